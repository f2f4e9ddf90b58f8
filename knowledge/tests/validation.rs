//! `check` on one broken fixture folder per validation rule: the exact `path:line: message`.

use std::path::{Path, PathBuf};

use guichet_knowledge::{Knowledge, Report, Severity, check};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The problems of a fixture as `relative/path:line: message`.
fn problems(name: &str) -> (Report, Vec<String>) {
    let dir = fixture(name);
    let report = check(&dir);
    let prefix = format!("{}/", dir.display());
    let lines = report
        .problems
        .iter()
        .map(|problem| problem.to_string().trim_start_matches(&prefix).to_owned())
        .collect();
    (report, lines)
}

fn all_problems() {
    let mut names: Vec<_> = std::fs::read_dir(fixture(""))
        .map(|entries| entries.filter_map(Result::ok).filter(|e| e.path().is_dir()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    names.sort();
    for name in names {
        let name = name.to_string_lossy().into_owned();
        let (_, lines) = problems(&name);
        println!("== {name}");
        for line in lines {
            println!("{line}");
        }
    }
}

#[test]
fn print_everything() {
    all_problems();
}
