//! The state folder: where the emulator keeps its CA, its token signing key and the world as
//! clients changed it. Files are written atomically ([`crate::files`]), so a crash never leaves
//! half a world behind.

use std::path::PathBuf;

use anyhow::{Context, Result};

pub const WORLD_FILE: &str = "world.json";

/// The platform's data folder for the emulator (`~/.local/share/relay-explorer/emulator` on
/// Linux).
pub fn default_state_dir() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "relay-explorer")
        .context("no home folder was found for the emulator's state; pass --state-dir DIR")?;
    Ok(dirs.data_dir().join("emulator"))
}

pub use crate::files::{write_atomically, write_private};
