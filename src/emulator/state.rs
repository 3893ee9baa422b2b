//! The state folder: where the emulator keeps its CA, its token signing key and the world as
//! clients changed it. Files are written atomically (a temporary file renamed over the old one),
//! so a crash never leaves half a world behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub const WORLD_FILE: &str = "world.json";

/// The platform's data folder for the emulator (`~/.local/share/relay-explorer/emulator` on
/// Linux).
pub fn default_state_dir() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "relay-explorer")
        .context("no home folder was found for the emulator's state; pass --state-dir DIR")?;
    Ok(dirs.data_dir().join("emulator"))
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o644)
}

/// Like [`write_atomically`], readable by the owner only (keys, secrets).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o600)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("state"),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
