//! Multi-document YAML files (recorded dialogues) found and read safely.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The YAML files (`.yaml`, `.yml`) of a folder and its subfolders, sorted; a file is itself.
pub fn yaml_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The text without the byte order mark some editors write first (serde_yaml_ng misreads it).
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// How many documents of `text` can be read, from the first: after a YAML syntax error,
/// serde_yaml_ng's document iterator goes on with broken documents (the same error forever,
/// or events that make it panic), so a reader takes no more than these (and the next one, to
/// report its error).
pub fn readable_documents(text: &str) -> usize {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|document| serde::de::IgnoredAny::deserialize(document).is_ok())
        .take_while(|&ok| ok)
        .count()
}

/// A YAML scalar or a list of them: `fiche: passeport` or `fiche: [cni, passeport]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }
}
