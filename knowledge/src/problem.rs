//! Problems found in a knowledge folder, reported to staff as `path:line: message` (French).

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a problem is: errors refuse the folder, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one file, at one line (1-based; 0 when it concerns the whole file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub path: PathBuf,
    pub line: usize,
    pub severity: Severity,
    /// Plain French, for municipal staff.
    pub message: String,
}

impl Problem {
    pub fn error(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn warning(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.severity {
            Severity::Error => "",
            Severity::Warning => "attention : ",
        };
        write!(
            f,
            "{}:{}: {prefix}{}",
            self.path.display(),
            self.line.max(1),
            self.message
        )
    }
}

/// A folder that failed validation: every problem found, errors and warnings.
#[derive(Debug, Clone, thiserror::Error)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

impl LoadError {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|problem| problem.is_error())
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors().count();
        writeln!(
            f,
            "le dossier de connaissances contient {count} erreur(s) :"
        )?;
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Collects problems while a folder is read.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn error(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.0.push(Problem::error(path, line, message));
    }

    pub fn warning(&mut self, path: &Path, line: usize, message: impl Into<String>) {
        self.0.push(Problem::warning(path, line, message));
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Problem::is_error)
    }
}

/// 1-based line of a byte offset in a text.
pub(crate) fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}
