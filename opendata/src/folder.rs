//! The two steps of a new commune as whole operations on folders, used by the `guichet` command
//! and the tests: [`init_folder`] (a new knowledge folder from the directory, written in a
//! temporary folder and renamed: nothing half-written) and [`import_service_public`].

use std::path::Path;

use crate::commune::{CommuneDraft, InitError, commune_toml};
use crate::directory::{DirectoryError, parse_directory};
use crate::import::{ImportError, ImportReport, import};
use crate::starter::StarterPack;
use crate::vosdroits::{FicheError, read_fiches};

/// National synonyms written into a new folder (editable there).
pub const SYNONYMS: &str = include_str!("../synonyms.txt");

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{0} existe déjà et n'est pas vide : choisissez un autre dossier (--out)")]
    Exists(String),
    #[error("{file} : {error}")]
    Directory { file: String, error: DirectoryError },
    #[error("{file} : {error}")]
    Init { file: String, error: InitError },
    #[error("{0} : {1}")]
    Io(String, String),
    #[error(transparent)]
    Fiche(#[from] FicheError),
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// Reads the directory export `directory`, and writes the knowledge folder of `insee` at `out`
/// (`commune.toml`, `synonyms.txt`, an empty `fiches/`).
pub fn init_folder(directory: &Path, insee: &str, out: &Path) -> Result<CommuneDraft, FolderError> {
    let file = directory.display().to_string();
    let io = |path: &Path, error: std::io::Error| {
        FolderError::Io(path.display().to_string(), error.to_string())
    };
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(|error| io(out, error))?
            .next()
            .is_some()
    {
        return Err(FolderError::Exists(out.display().to_string()));
    }
    let bytes = std::fs::read(directory).map_err(|error| io(directory, error))?;
    let records = parse_directory(&bytes).map_err(|error| FolderError::Directory {
        file: file.clone(),
        error,
    })?;
    let draft = commune_toml(&records, insee).map_err(|error| FolderError::Init { file, error })?;
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|error| io(parent, error))?;
    let staging = tempfile::Builder::new()
        .prefix(".guichet-init-")
        .tempdir_in(parent)
        .map_err(|error| io(parent, error))?;
    let write = |name: &str, text: &str| {
        let path = staging.path().join(name);
        std::fs::write(&path, text).map_err(|error| io(&path, error))
    };
    write("commune.toml", &draft.toml)?;
    write("synonyms.txt", SYNONYMS)?;
    std::fs::create_dir(staging.path().join("fiches"))
        .map_err(|error| io(&staging.path().join("fiches"), error))?;
    if out.exists() {
        // An empty folder (checked above) is replaced.
        std::fs::remove_dir(out).map_err(|error| io(out, error))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, out).map_err(|error| {
        let _ = std::fs::remove_dir_all(&staged);
        io(out, error)
    })?;
    Ok(draft)
}

/// Imports the pack's fiches from a `vosdroits` zip or folder into the commune folder.
pub fn import_service_public(
    from: &Path,
    commune: &Path,
    pack: &StarterPack,
) -> Result<ImportReport, FolderError> {
    if !commune.join("commune.toml").is_file() {
        return Err(ImportError::NotCommune(commune.display().to_string()).into());
    }
    let wanted = pack.sources();
    let publications = read_fiches(from, Some(&wanted))?;
    Ok(import(commune, &publications, pack)?)
}
