//! Unpacking an uploaded source tree (`tar.gz`) safely: size limits, regular files and folders only, no
//! path may leave the destination.

use std::io::Read;
use std::path::{Component, Path};

/// Largest upload accepted, compressed. Source trees are small; artifacts are built, not uploaded.
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;
/// Largest total unpacked size, against compression bombs.
pub const MAX_UNPACKED_BYTES: u64 = 200 * 1024 * 1024;
/// Most entries in an upload.
pub const MAX_ENTRIES: usize = 20_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum UploadError {
    #[error("the upload is not a gzip-compressed tar archive: {0}")]
    Malformed(String),
    #[error("the upload unpacks to more than {} MB", MAX_UNPACKED_BYTES / 1_000_000)]
    TooLarge,
    #[error("the upload has more than {MAX_ENTRIES} files")]
    TooManyFiles,
    #[error("the upload contains an unsafe path `{0}` (absolute, or leaving the project folder)")]
    UnsafePath(String),
    #[error("cannot write the upload: {0}")]
    Io(String),
}

/// Unpacks `archive` into `dest` (which must exist and be empty). Links and special files are skipped.
pub fn unpack(archive: &[u8], dest: &Path) -> Result<usize, UploadError> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut total = 0u64;
    let mut count = 0usize;
    let entries = tar
        .entries()
        .map_err(|e| UploadError::Malformed(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| UploadError::Malformed(e.to_string()))?;
        count += 1;
        if count > MAX_ENTRIES {
            return Err(UploadError::TooManyFiles);
        }
        let path = entry
            .path()
            .map_err(|e| UploadError::Malformed(e.to_string()))?
            .into_owned();
        let safe = !path.as_os_str().is_empty()
            && path
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !safe {
            return Err(UploadError::UnsafePath(path.display().to_string()));
        }
        let target = dest.join(&path);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| UploadError::Io(e.to_string()))?;
        } else if kind.is_file() {
            total += entry.header().size().unwrap_or(0);
            if total > MAX_UNPACKED_BYTES {
                return Err(UploadError::TooLarge);
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| UploadError::Io(e.to_string()))?;
            }
            let mut bytes = Vec::new();
            entry
                .by_ref()
                .take(MAX_UNPACKED_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| UploadError::Malformed(e.to_string()))?;
            std::fs::write(&target, bytes).map_err(|e| UploadError::Io(e.to_string()))?;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name to build hostile archives.
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn unpacks_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let n = unpack(
            &archive(&[("server.py", b"print(1)"), ("pkg/mod.py", b"x = 1")]),
            dir.path(),
        )
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            std::fs::read(dir.path().join("pkg/mod.py")).unwrap(),
            b"x = 1"
        );
        let other = tempfile::tempdir().unwrap();
        assert_eq!(
            unpack(&archive(&[("../evil.py", b"x")]), other.path()),
            Err(UploadError::UnsafePath("../evil.py".into()))
        );
        assert_eq!(
            unpack(&archive(&[("/etc/x", b"x")]), other.path()),
            Err(UploadError::UnsafePath("/etc/x".into()))
        );
        assert!(matches!(
            unpack(b"not a tarball", other.path()),
            Err(UploadError::Malformed(_))
        ));
    }
}
