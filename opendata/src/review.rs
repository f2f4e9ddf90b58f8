//! What an éditeur does to an imported draft: publish it, reject it, or replace its spoken
//! answer. Each rewrites the fiche file (through a temporary file and a rename) and leaves every
//! other line as staff or the importer wrote it; publishing also clears the review flag of the
//! import manifest.

use std::path::{Path, PathBuf};

use guichet_knowledge::FicheStatus;

use crate::import::{ImportError, MANIFEST, SOURCES, read_manifest, write_atomic};

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("fiche « {0} » introuvable")]
    NotFound(String),
    #[error("identifiant de fiche « {0} » invalide")]
    BadId(String),
    #[error("fiche « {0} » : en-tête YAML (---) introuvable")]
    NoFrontMatter(String),
    #[error("réponse trop longue ({0} caractères, 2 000 au plus)")]
    TooLong(usize),
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// Longest spoken answer an éditeur may save.
pub const MAX_ANSWER: usize = 2_000;

/// The file of fiche `id` in the folder `dir`, if `id` is a fiche id.
pub fn fiche_path(dir: &Path, id: &str) -> Result<PathBuf, ReviewError> {
    let valid = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(ReviewError::BadId(id.chars().take(100).collect()));
    }
    let path = dir.join("fiches").join(format!("{id}.md"));
    if !path.is_file() {
        return Err(ReviewError::NotFound(id.to_owned()));
    }
    Ok(path)
}

fn read(path: &Path, id: &str) -> Result<String, ReviewError> {
    std::fs::read_to_string(path).map_err(|_| ReviewError::NotFound(id.to_owned()))
}

/// Splits a fiche into its front matter (with both `---` lines) and its body.
fn split(text: &str, id: &str) -> Result<(usize, usize), ReviewError> {
    let no_front = || ReviewError::NoFrontMatter(id.to_owned());
    if !text.starts_with("---") {
        return Err(no_front());
    }
    let first_end = text.find('\n').ok_or_else(no_front)? + 1;
    let mut offset = first_end;
    for line in text[first_end..].split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            return Ok((first_end, offset));
        }
    }
    Err(no_front())
}

/// Sets the `status:` of fiche `id` (adds the line when the fiche has none).
pub fn set_status(dir: &Path, id: &str, status: FicheStatus) -> Result<(), ReviewError> {
    let path = fiche_path(dir, id)?;
    let text = read(&path, id)?;
    let (front_start, body_start) = split(&text, id)?;
    let front = &text[front_start..body_start];
    let mut replaced = false;
    let mut new_front = String::new();
    for line in front.split_inclusive('\n') {
        if !replaced && line.starts_with("status:") {
            new_front.push_str(&format!("status: {}\n", status.as_str()));
            replaced = true;
        } else if !replaced && line.trim_end() == "---" {
            new_front.push_str(&format!("status: {}\n---\n", status.as_str()));
            replaced = true;
        } else {
            new_front.push_str(line);
        }
    }
    let new_text = format!("{}{new_front}{}", &text[..front_start], &text[body_start..]);
    write_atomic(&path, &new_text)?;
    if status == FicheStatus::Publiee {
        clear_review(dir, id)?;
    }
    Ok(())
}

/// Replaces the spoken answer (the body) of fiche `id`.
pub fn set_answer(dir: &Path, id: &str, answer: &str) -> Result<(), ReviewError> {
    let answer = answer.trim().replace("\r\n", "\n");
    if answer.chars().count() > MAX_ANSWER {
        return Err(ReviewError::TooLong(answer.chars().count()));
    }
    let path = fiche_path(dir, id)?;
    let text = read(&path, id)?;
    let (_, body_start) = split(&text, id)?;
    let new_text = format!("{}{answer}\n", &text[..body_start]);
    write_atomic(&path, &new_text)?;
    Ok(())
}

/// The source text an imported fiche was drawn from, if the import kept it.
pub fn source_text(dir: &Path, source_id: &str) -> Option<String> {
    let valid = source_id.starts_with('F') && source_id[1..].chars().all(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    std::fs::read_to_string(dir.join(SOURCES).join(format!("{source_id}.txt"))).ok()
}

/// Why fiche `id` should be read again after an import, if it should.
pub fn review_note(dir: &Path, id: &str) -> Option<String> {
    read_manifest(dir).ok()?.fiches.get(id)?.review.clone()
}

fn clear_review(dir: &Path, id: &str) -> Result<(), ReviewError> {
    let mut manifest = read_manifest(dir)?;
    let Some(entry) = manifest.fiches.get_mut(id) else {
        return Ok(());
    };
    if entry.review.take().is_none() {
        return Ok(());
    }
    let text = toml::to_string(&manifest)
        .map_err(|error| ImportError::Manifest(MANIFEST.into(), error.to_string()))?;
    write_atomic(&dir.join(MANIFEST), &text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_answer_are_rewritten_in_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("fiches")).unwrap();
        let path = dir.path().join("fiches/a.md");
        std::fs::write(
            &path,
            "---\nid: a\nstatus: brouillon\ntitle: A\n---\nAncienne.\n",
        )
        .unwrap();
        set_status(dir.path(), "a", FicheStatus::Publiee).unwrap();
        set_answer(dir.path(), "a", "Nouvelle réponse.\r\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "---\nid: a\nstatus: publiee\ntitle: A\n---\nNouvelle réponse.\n"
        );
        std::fs::write(&path, "---\nid: a\n---\nTexte.\n").unwrap();
        set_status(dir.path(), "a", FicheStatus::Rejetee).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "---\nid: a\nstatus: rejetee\n---\nTexte.\n"
        );
        assert!(matches!(
            set_status(dir.path(), "../etc/passwd", FicheStatus::Publiee),
            Err(ReviewError::BadId(_))
        ));
        assert!(matches!(
            set_status(dir.path(), "absente", FicheStatus::Publiee),
            Err(ReviewError::NotFound(_))
        ));
        assert!(matches!(
            set_answer(dir.path(), "a", &"x".repeat(3000)),
            Err(ReviewError::TooLong(_))
        ));
    }
}
