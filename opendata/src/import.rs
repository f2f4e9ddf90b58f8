//! Writing the drafts into a commune folder, and importing again from a newer DILA release.
//!
//! The manifest `.import/service-public.toml` records, per local fiche, the DILA fiche and date it
//! was drawn from and a digest of the file as written. On a new import:
//! - a fiche absent from the folder is written as a draft;
//! - a fiche whose file still has the digest written (nobody touched it: still a draft) is
//!   replaced by the new draft;
//! - a fiche staff edited or published (its digest differs) is never overwritten: when its
//!   source is newer than the one recorded, it is flagged for review in the manifest and the
//!   report.
//!
//! The plain text of each source goes to `.import/sources/F….txt`, read beside the spoken answer
//! when a draft is reviewed. Every file is written to a temporary file and renamed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::draft::{render_fiche, render_group};
use crate::starter::StarterPack;
use crate::vosdroits::Publication;

pub const MANIFEST: &str = ".import/service-public.toml";
pub const SOURCES: &str = ".import/sources";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub fiches: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The DILA fiche (`F21091`); absent for a clarifying group.
    pub source: Option<String>,
    pub source_date: Option<chrono::NaiveDate>,
    /// SHA-256 of the file as the importer wrote it.
    pub digest: String,
    /// Why staff should look at this fiche again (a newer source), if they should.
    pub review: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub written: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// Edited or published by staff: kept as they are.
    pub kept: Vec<String>,
    /// Kept, and their source changed since: to review.
    pub flagged: Vec<String>,
    /// Pack entries whose DILA fiche is not in the release read.
    pub missing: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0} : {1}")]
    Io(String, String),
    #[error("{0} : manifeste d'import illisible ({1})")]
    Manifest(String, String),
    #[error(
        "{0} n'est pas un dossier de commune (commune.toml absent) : lancez d'abord `guichet commune init`"
    )]
    NotCommune(String),
}

pub fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn read_manifest(dir: &Path) -> Result<Manifest, ImportError> {
    let path = dir.join(MANIFEST);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|error| ImportError::Manifest(path.display().to_string(), error.to_string())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(error) => Err(ImportError::Io(
            path.display().to_string(),
            error.to_string(),
        )),
    }
}

/// Writes `text` to `path` through a temporary file in the same folder, then renames it.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), ImportError> {
    let io = |error: std::io::Error| ImportError::Io(path.display().to_string(), error.to_string());
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io)?;
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.persist(path).map_err(|error| io(error.error))?;
    Ok(())
}

/// Imports the pack's fiches from `publications` into the commune folder `dir`.
pub fn import(
    dir: &Path,
    publications: &[Publication],
    pack: &StarterPack,
) -> Result<ImportReport, ImportError> {
    let commune_file = dir.join("commune.toml");
    let commune_text = std::fs::read_to_string(&commune_file)
        .map_err(|_| ImportError::NotCommune(dir.display().to_string()))?;
    let partners: BTreeSet<String> = toml::from_str::<toml::Table>(&commune_text)
        .ok()
        .and_then(|table| table.get("partners").and_then(|p| p.as_table()).cloned())
        .map(|partners| partners.keys().cloned().collect())
        .unwrap_or_default();
    let mut manifest = read_manifest(dir)?;
    let by_id: BTreeMap<&str, &Publication> =
        publications.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut report = ImportReport::default();
    // Everything is rendered before anything is written.
    let mut drafts: Vec<(String, String, Option<&Publication>)> = Vec::new();
    let mut present: BTreeSet<&str> = BTreeSet::new();
    for entry in &pack.fiches {
        let Some(publication) = by_id.get(entry.source.as_str()) else {
            report
                .missing
                .push(format!("{} ({})", entry.id, entry.source));
            continue;
        };
        let draft = render_fiche(entry, publication, &partners);
        report.notes.extend(draft.notes);
        drafts.push((entry.id.clone(), draft.text, Some(publication)));
        present.insert(entry.id.as_str());
    }
    for group in &pack.groups {
        // A group only if at least one of its cases was imported.
        if group
            .options
            .iter()
            .any(|option| present.contains(option.goto.as_str()))
        {
            drafts.push((group.id.clone(), render_group(group).text, None));
        }
    }
    let fiches_dir = dir.join("fiches");
    for (id, text, publication) in drafts {
        let path: PathBuf = fiches_dir.join(format!("{id}.md"));
        let new_date = publication.and_then(|p| p.date);
        let new_entry = ManifestEntry {
            source: publication.map(|p| p.id.clone()),
            source_date: new_date,
            digest: digest(&text),
            review: None,
        };
        if let Some(publication) = publication {
            write_atomic(
                &dir.join(SOURCES).join(format!("{}.txt", publication.id)),
                &format!(
                    "{}\n{}\n\n{}",
                    publication.title, publication.url, publication.plain_text
                ),
            )?;
        }
        let existing = match std::fs::read_to_string(&path) {
            Ok(existing) => Some(existing),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(ImportError::Io(
                    path.display().to_string(),
                    error.to_string(),
                ));
            }
        };
        let recorded = manifest.fiches.get(&id).cloned();
        match (existing, recorded) {
            (None, _) => {
                write_atomic(&path, &text)?;
                manifest.fiches.insert(id.clone(), new_entry);
                report.written.push(id);
            }
            (Some(existing), Some(recorded)) if digest(&existing) == recorded.digest => {
                if existing == text {
                    report.unchanged.push(id);
                } else {
                    write_atomic(&path, &text)?;
                    manifest.fiches.insert(id.clone(), new_entry);
                    report.updated.push(id);
                }
            }
            (Some(_), recorded) => {
                let newer = match (&recorded, new_date) {
                    (Some(recorded), Some(new)) => recorded.source_date.is_none_or(|old| new > old),
                    (None, Some(_)) => true,
                    _ => false,
                };
                let mut entry = recorded.unwrap_or_else(|| ManifestEntry {
                    source: new_entry.source.clone(),
                    source_date: None,
                    digest: String::new(),
                    review: None,
                });
                if newer && let Some(publication) = publication {
                    entry.review = Some(format!(
                        "source {} modifiée le {} : fiche modifiée par les services, à relire",
                        publication.id,
                        new_date.map(|d| d.to_string()).unwrap_or_default()
                    ));
                    entry.source_date = new_date;
                    report.flagged.push(id.clone());
                }
                manifest.fiches.insert(id.clone(), entry);
                report.kept.push(id);
            }
        }
    }
    let text = toml::to_string(&manifest)
        .map_err(|error| ImportError::Manifest(MANIFEST.into(), error.to_string()))?;
    write_atomic(
        &dir.join(MANIFEST),
        &format!(
            "# Manifeste d'import service-public.fr (écrit par `guichet kb import`, ne pas modifier).\n{text}"
        ),
    )?;
    Ok(report)
}
