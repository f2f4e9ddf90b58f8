//! Copies of the valid fixture folder, for the tests that change a commune's files.

use std::path::{Path, PathBuf};

/// The valid fixture folder (`tests/fixtures/valid`).
pub fn valid() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid")
}

/// Copies the folder `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// A temporary copy of the valid fixture: the guard and the commune folder.
pub fn valid_copy() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("commune");
    copy_dir(&valid(), &dir).unwrap();
    (temp, dir)
}
