//! A per-function compilation cache on disk, for Cranelift's incremental compilation.
//!
//! Every Python deploy compiles a component that is mostly CPython and the standard library, identical
//! from one build to the next; only the user's code and packages differ. With this cache a function
//! compiled once (keyed by a SHA-256 of its code and the compiler's settings, computed by Cranelift) is
//! not compiled again: a deploy pays only for the functions it has that no earlier one had.
//!
//! Entries are files named by their key, written to a temporary name and renamed, so a reader never
//! sees half an entry and several processes may share one folder. An entry that cannot be read or
//! decoded is a miss (Cranelift then compiles the function). The folder is kept under a byte budget:
//! when an insert takes it over, the entries used longest ago go (a hit marks its file's modification
//! time) until it is at three quarters of the budget.

use std::borrow::Cow;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use wasmtime::CacheStore;

/// The default budget: the functions of a few CPython builds with their packages (one is ~60 MB),
/// small next to the artifacts a data directory holds.
pub const DEFAULT_COMPILE_CACHE_BYTES: u64 = 1024 * 1024 * 1024;

/// Share of the budget the folder is brought down to when it goes over: eviction then runs once per
/// many inserts, not at every one.
const AFTER_EVICTION: f64 = 0.75;

/// A compilation cache in a folder.
#[derive(Debug)]
pub struct CompileCache {
    dir: PathBuf,
    budget: u64,
    /// Bytes in the folder, as far as this process knows (other processes sharing it add theirs, which
    /// the next eviction's scan counts).
    bytes: AtomicU64,
    evicting: Mutex<()>,
    temp: AtomicU64,
}

impl CompileCache {
    /// The cache in `dir` (made if missing), kept within `budget` bytes.
    pub fn open(dir: &Path, budget: u64) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        let cache = Self {
            dir: dir.to_path_buf(),
            budget,
            bytes: AtomicU64::new(0),
            evicting: Mutex::new(()),
            temp: AtomicU64::new(0),
        };
        let held = cache.entries().iter().map(|e| e.1).sum();
        cache.bytes.store(held, Ordering::Relaxed);
        Ok(cache)
    }

    fn path(&self, key: &[u8]) -> PathBuf {
        self.dir.join(hex::encode(key))
    }

    /// Entries with their sizes and modification times (temporary files of unfinished writes left out).
    fn entries(&self) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.filter_map(|e| {
            let e = e.ok()?;
            if e.file_name().to_string_lossy().starts_with('.') {
                return None;
            }
            let meta = e.metadata().ok()?;
            meta.is_file().then(|| {
                (
                    e.path(),
                    meta.len(),
                    meta.modified().unwrap_or(std::time::UNIX_EPOCH),
                )
            })
        })
        .collect()
    }

    /// Removes the entries used longest ago until the folder is within [`AFTER_EVICTION`] of the budget.
    fn evict(&self) {
        let Ok(_one) = self.evicting.try_lock() else {
            return; // another thread is at it
        };
        let mut entries = self.entries();
        let mut held: u64 = entries.iter().map(|e| e.1).sum();
        let target = (self.budget as f64 * AFTER_EVICTION) as u64;
        entries.sort_by_key(|e| e.2);
        for (path, size, _) in entries {
            if held <= target {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                held = held.saturating_sub(size);
            }
        }
        self.bytes.store(held, Ordering::Relaxed);
    }
}

impl CacheStore for CompileCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let mut file = fs::File::open(self.path(key)).ok()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).ok()?;
        // Used now: eviction takes the entries used longest ago (CPython's, used by every deploy, stay).
        let _ = file.set_modified(std::time::SystemTime::now());
        Some(Cow::Owned(bytes))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let size = value.len() as u64;
        if size > self.budget {
            return false;
        }
        let n = self.temp.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(format!(".{}-{n}", std::process::id()));
        let stored = fs::write(&temp, &value).and_then(|()| fs::rename(&temp, self.path(key)));
        if stored.is_err() {
            let _ = fs::remove_file(&temp);
            return false;
        }
        if self.bytes.fetch_add(size, Ordering::Relaxed) + size > self.budget {
            self.evict();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_the_folder_keeps_the_recently_used_within_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::open(dir.path(), 10_000).unwrap();
        assert!(cache.get(b"k0").is_none());
        assert!(cache.insert(b"k0", vec![7; 2000]));
        assert_eq!(cache.get(b"k0").as_deref(), Some(&[7u8; 2000][..]));
        assert!(
            !cache.insert(b"huge", vec![0; 10_001]),
            "larger than the budget"
        );
        for i in 1..5u8 {
            assert!(cache.insert(&[b'k', b'0' + i], vec![i; 2000]));
        }
        // k0 is the oldest entry but keeps being used; k1 is not.
        for i in 5..9u8 {
            assert!(cache.get(b"k0").is_some());
            assert!(cache.insert(&[b'k', b'0' + i], vec![i; 2000]));
            assert!(
                cache.bytes.load(Ordering::Relaxed) <= 10_000,
                "{}",
                cache.bytes.load(Ordering::Relaxed)
            );
        }
        let on_disk: u64 = cache.entries().iter().map(|e| e.1).sum();
        assert!(on_disk <= 10_000, "{on_disk}");
        assert!(cache.get(b"k0").is_some(), "used recently: kept");
        assert!(cache.get(b"k1").is_none(), "used longest ago: evicted");
        assert!(cache.get(b"k8").is_some(), "the newest entry is kept");
        // A second process's view of the same folder sees what is there.
        let again = CompileCache::open(dir.path(), 10_000).unwrap();
        assert_eq!(again.bytes.load(Ordering::Relaxed), on_disk);
        assert!(again.get(b"k8").is_some());
    }
}
