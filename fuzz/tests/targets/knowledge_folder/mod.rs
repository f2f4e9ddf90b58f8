//! A knowledge folder in a temporary directory, for the targets that fuzz one of its files
//! through `guichet_knowledge::check`, the entry point of `guichet kb check` and of the server.

use std::path::{Path, PathBuf};

use guichet_fuzz::ensure;
use guichet_knowledge::Report;

pub struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    /// A folder with a `fiches/` directory and, when given, a `commune.toml`.
    pub fn new(commune: Option<&[u8]>) -> Folder {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temporary folder: {error}"));
        std::fs::create_dir_all(dir.path().join("fiches"))
            .unwrap_or_else(|error| panic!("fiches folder: {error}"));
        let folder = Folder { dir };
        if let Some(commune) = commune {
            folder.write("commune.toml", commune);
        }
        folder
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn write(&self, relative: &str, bytes: &[u8]) {
        let path = self.path(relative);
        std::fs::write(&path, bytes).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    }

    pub fn check(&self) -> Report {
        guichet_knowledge::check(self.dir.path())
    }
}

/// Every problem reported for `file` says where: a line of the file (1 to the line after the
/// last), 0 only when the file is not UTF-8 text; and a message.
pub fn check_problem_lines(report: &Report, file: &Path, text: &[u8]) -> Result<(), String> {
    let last = guichet_fuzz::line_count(text) + 1;
    let utf8 = std::str::from_utf8(text).is_ok();
    for problem in report
        .problems
        .iter()
        .filter(|problem| problem.path == file)
    {
        ensure(problem.line <= last, || {
            format!(
                "line {} of a file of {} lines: {problem}",
                problem.line,
                last - 1
            )
        })?;
        ensure(problem.line >= 1 || !utf8, || {
            format!("no line for a problem of a readable file: {problem}")
        })?;
        ensure(!problem.message.trim().is_empty(), || {
            format!("empty message at line {}", problem.line)
        })?;
    }
    Ok(())
}
