//! Where the last sync left off: the change-feed cursor of each Lightspeed
//! resource, so a later sync fetches only what changed. Kept as a small JSON
//! file next to the workbook, replaced atomically (temp file, fsync, rename),
//! so a crash leaves either the old state or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub products: i64,
    pub inventory: i64,
    pub sales: i64,
    pub last_sync: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a sync state file ({reason}); remove it to sync everything again")]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// The state file at `path`.
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(path: impl Into<PathBuf>) -> StateFile {
        StateFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved state; a missing file is the start (sync everything).
    pub fn load(&self) -> Result<SyncState, StateError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StateError::Corrupt { path: self.path.clone(), reason: e.to_string() }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(SyncState::default()),
            Err(source) => Err(StateError::Read { path: self.path.clone(), source }),
        }
    }

    /// Replaces the saved state atomically.
    pub fn save(&self, state: &SyncState) -> Result<(), StateError> {
        let write_error = |source| StateError::Write { path: self.path.clone(), source };
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(write_error)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
        let json = serde_json::to_vec_pretty(state).map_err(|e| write_error(std::io::Error::other(e)))?;
        temp.write_all(&json).map_err(write_error)?;
        temp.as_file().sync_all().map_err(write_error)?;
        temp.persist(&self.path).map_err(|e| write_error(e.error))?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_the_start_and_a_saved_state_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("nested/state.json"));
        assert_eq!(file.load().unwrap(), SyncState::default());
        let state = SyncState { products: 1201, inventory: 1350, sales: 1411, last_sync: Some(DateTime::UNIX_EPOCH) };
        file.save(&state).unwrap();
        assert_eq!(file.load().unwrap(), state);
        let leftovers = std::fs::read_dir(dir.path().join("nested")).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files are left behind");
    }

    #[test]
    fn a_corrupt_file_is_an_error_that_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{not json").unwrap();
        let error = StateFile::new(&path).load().unwrap_err();
        assert!(error.to_string().contains("remove it to sync everything again"), "{error}");
    }
}
