//! The keyring that encrypts projects' secrets: from configuration, or for the embedded default a key
//! generated once into `<data-dir>/secret.key` (readable by its owner only).

use anyhow::Context;
use berth_control::Keyring;
use std::path::Path;

/// The key file's name in the data dir.
const KEY_FILE: &str = "secret.key";

/// The configured keys (hex, comma-separated), else the data dir's key file, made if missing.
pub fn keyring(configured: Option<&str>, data: &Path) -> anyhow::Result<Keyring> {
    if let Some(hex) = configured.filter(|k| !k.trim().is_empty()) {
        return Keyring::from_hex(hex).context("BERTH_SECRET_KEY / --secret-key");
    }
    let path = data.join(KEY_FILE);
    let hex = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hex = Keyring::generate_hex();
            crate::up::write_private(&path, &hex)?;
            tracing::info!(path = %path.display(), "generated the key that encrypts secrets");
            hex
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the secret key {}", path.display()));
        }
    };
    Keyring::from_hex(hex.trim())
        .with_context(|| format!("the secret key in {} is damaged", path.display()))
}
