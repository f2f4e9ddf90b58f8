//! Writing a commune's fiche files from the console (a suggestion accepted, a fiche saved in
//! the editor): checked first on a scratch copy with the same checker as `guichet kb check`,
//! then replaced atomically, one writer at a time on this node.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use guichet_knowledge::{Knowledge, Problem};

/// Serialises the console's writes to fiche files and suggestions on this node, so that two
/// éditeurs never rewrite the same fiche or move the same suggestion at once.
pub(crate) static REVIEW_LOCK: Mutex<()> = Mutex::new(());

/// Why an edited fiche was not written.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The knowledge folder would be invalid: `fichier:ligne: message` lines, paths relative
    /// to the commune's folder.
    #[error("le dossier de connaissances serait invalide ; la fiche n'a pas été modifiée")]
    Invalid(Vec<String>),
    /// Reading or writing a file failed.
    #[error("erreur de fichier : {0}")]
    Io(#[from] std::io::Error),
}

/// `fichier:ligne: message` of the errors of a check of `root`, paths relative to `root`.
pub(crate) fn error_lines(problems: &[Problem], root: &Path) -> Vec<String> {
    problems
        .iter()
        .filter(|problem| problem.is_error())
        .map(|problem| {
            let mut shown = problem.clone();
            if let Ok(relative) = problem.path.strip_prefix(root) {
                shown.path = if relative.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    relative.to_path_buf()
                };
            }
            shown.to_string()
        })
        .collect()
}

/// Checks the folder as it would be with `fiche_file` (relative) replaced by `text`: on a
/// scratch copy of what the checker reads (the top-level files and the fiche's folder), so the
/// folder in service never holds an unchecked fiche.
pub(crate) fn check_edit(
    commune_dir: &Path,
    fiche_file: &Path,
    text: &str,
) -> Result<Knowledge, CheckError> {
    let scratch = ScratchDir::new()?;
    copy_files(commune_dir, scratch.path())?;
    if let Some(fiches) = fiche_file.parent().filter(|p| !p.as_os_str().is_empty()) {
        copy_files(&commune_dir.join(fiches), &scratch.path().join(fiches))?;
    }
    std::fs::write(scratch.path().join(fiche_file), text)?;
    let report = guichet_knowledge::check(scratch.path());
    report
        .knowledge
        .ok_or_else(|| CheckError::Invalid(error_lines(&report.problems, scratch.path())))
}

/// Copies the regular files of `from` (not its folders) into `to`.
fn copy_files(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            std::fs::copy(&path, to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// A temporary folder, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> std::io::Result<Self> {
        let token = crate::auth::random_token();
        let path = std::env::temp_dir().join(format!("guichet-fiche-check-{}", &token[..20]));
        std::fs::create_dir(&path)?;
        Ok(ScratchDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(dir = %self.0.display(), %error, "scratch folder not removed");
        }
    }
}

/// Replaces `path` by `text` atomically: a hidden temporary file in the same folder (not a
/// `.md`, so the loader never reads it), synced, given the old file's permissions, renamed.
pub(crate) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("file without a folder"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let token = crate::auth::random_token();
    let temporary = dir.join(format!(".{name}.{}.tmp", &token[..12]));
    let written = (|| {
        let mut file = std::fs::File::create_new(&temporary)?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        file.sync_all()?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temporary, metadata.permissions())?;
        }
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}
