//! Adds a question to a fiche's `questions:` list by editing the file's text: comments, key
//! order, quoting, line endings and the spoken answer stay exactly as staff wrote them.
//!
//! Handled forms of the list: a block sequence (`questions:` then `  - …` lines, at any
//! indentation), an empty key (`questions:`), a one-line flow sequence (`questions: [a, b]`)
//! and a missing key (added before the closing `---`). Anything else is refused: the éditeur
//! adds the question by hand. The caller must check the result with the knowledge loader.

/// Why the question could not be added by the console.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The file has no `---` front matter.
    #[error("la fiche n'a pas d'en-tête entre deux lignes « --- »")]
    NoFrontMatter,
    /// The `questions:` list is written in a form this editor does not rewrite.
    #[error(
        "la liste « questions » de la fiche est écrite sous une forme que la console ne sait pas modifier ({0}) : ajoutez la question à la main"
    )]
    Unsupported(&'static str),
}

/// One line of the file with its line ending.
struct Line<'a> {
    text: &'a str,
    start: usize,
}

impl Line<'_> {
    /// The line without its `\n` / `\r\n`.
    fn content(&self) -> &str {
        self.text.trim_end_matches(['\n', '\r'])
    }
    fn end(&self) -> usize {
        self.start + self.text.len()
    }
}

/// Returns `text` with `question` appended to the fiche's `questions:` list.
pub fn add_question(text: &str, question: &str) -> Result<String, EditError> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let body_start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut lines = Vec::new();
    let mut offset = body_start;
    for line in text[body_start..].split_inclusive('\n') {
        lines.push(Line {
            text: line,
            start: offset,
        });
        offset += line.len();
    }
    if lines
        .first()
        .is_none_or(|l| l.content().trim_end() != "---")
    {
        return Err(EditError::NoFrontMatter);
    }
    let close = lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, l)| l.content().trim_end() == "---")
        .map(|(index, _)| index)
        .ok_or(EditError::NoFrontMatter)?;
    let front = &lines[1..close];
    let key = front
        .iter()
        .position(|l| top_level_value(l.content(), "questions").is_some());
    let Some(key) = key else {
        // No list yet: add one just before the closing fence.
        let at = lines[close].start;
        let block = format!("questions:{newline}  - {}{newline}", block_scalar(question));
        return Ok(splice(text, at, at, &block));
    };
    let key_line = &front[key];
    let value = top_level_value(key_line.content(), "questions").unwrap_or_default();
    let value = value.trim();
    if value.is_empty() || value.starts_with('#') {
        insert_block_item(text, &front[key..], question, newline)
    } else if value.starts_with('[') {
        insert_flow_item(text, key_line, question)
    } else {
        Err(EditError::Unsupported("valeur qui n'est pas une liste"))
    }
}

/// The value after `key:` when `line` is that top-level key (no indentation).
fn top_level_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?.trim_start_matches([' ', '\t']);
    rest.strip_prefix(':')
        .filter(|value| value.is_empty() || value.starts_with([' ', '\t']))
}

/// `questions:` followed by `- …` lines: a new item after the last line of the list, with the
/// indentation and dash spacing of the first item.
fn insert_block_item(
    text: &str,
    from_key: &[Line<'_>],
    question: &str,
    newline: &str,
) -> Result<String, EditError> {
    let mut prefix: Option<String> = None;
    let mut last = &from_key[0];
    for line in &from_key[1..] {
        let content = line.content();
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indented = content.starts_with([' ', '\t']);
        let is_item = trimmed == "-" || trimmed.starts_with("- ") || trimmed.starts_with("-\t");
        if !indented && !is_item {
            break;
        }
        if prefix.is_none() {
            if !is_item {
                return Err(EditError::Unsupported("contenu qui n'est pas une liste"));
            }
            let dash = content.len() - trimmed.len();
            let after = trimmed[1..].len() - trimmed[1..].trim_start().len();
            prefix = Some(format!(
                "{}-{}",
                &content[..dash],
                if after == 0 { " " } else { &trimmed[1..=after] }
            ));
        }
        last = line;
    }
    let prefix = prefix.unwrap_or_else(|| "  - ".to_string());
    let at = last.end();
    // The list's last line may lack a line ending only if it ends the file, which the closing
    // fence rules out; keep it safe anyway.
    let lead = if last.text.ends_with('\n') {
        ""
    } else {
        newline
    };
    let item = format!("{lead}{prefix}{}{newline}", block_scalar(question));
    Ok(splice(text, at, at, &item))
}

/// `questions: [a, b]` on one line: `, "question"` before the closing bracket.
fn insert_flow_item(text: &str, key_line: &Line<'_>, question: &str) -> Result<String, EditError> {
    let content = key_line.content();
    let open = content
        .find('[')
        .ok_or(EditError::Unsupported("liste entre crochets"))?;
    let close = content
        .rfind(']')
        .filter(|&close| close > open)
        .filter(|&close| {
            let after = content[close + 1..].trim_start();
            after.is_empty() || after.starts_with('#')
        })
        .ok_or(EditError::Unsupported(
            "liste entre crochets sur plusieurs lignes",
        ))?;
    let inside = content[open + 1..close].trim();
    let quoted = json_scalar(question);
    let item = if inside.is_empty() {
        quoted
    } else if inside.ends_with(',') {
        format!(" {quoted}")
    } else {
        format!(", {quoted}")
    };
    let at = if inside.is_empty() {
        key_line.start + open + 1
    } else {
        key_line.start + open + 1 + content[open + 1..close].trim_end().len()
    };
    Ok(splice(text, at, at, &item))
}

fn splice(text: &str, from: usize, to: usize, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..from]);
    out.push_str(with);
    out.push_str(&text[to..]);
    out
}

/// The question as a YAML scalar for a block list item: plain when it reads back unchanged
/// (`- mon passeport est perdu`), double-quoted otherwise.
fn block_scalar(question: &str) -> String {
    let plain = question.to_string();
    // Read back as a YAML value, not as strings: `12`, `yes` or `~` must stay text.
    let reads_back = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&format!("- {plain}\n"))
        .is_ok_and(|value| {
            value
                .as_sequence()
                .is_some_and(|items| items.len() == 1 && items[0].as_str() == Some(question))
        });
    if reads_back && !plain.contains(['\n', '\r']) {
        plain
    } else {
        json_scalar(question)
    }
}

/// The question double-quoted (a JSON string is a valid YAML double-quoted scalar).
fn json_scalar(question: &str) -> String {
    serde_json::Value::String(question.to_string()).to_string()
}

// ----- The éditeurs' fiche editor: a whole fiche file, checked like `guichet kb check` -----

/// Longest fiche text the editor accepts.
pub const MAX_FICHE_BYTES: usize = 64 * 1024;

/// Why an edited fiche was not saved (French, for the éditeur).
#[derive(Debug, thiserror::Error)]
pub enum FicheEditError {
    /// Not a fiche of the commune's folder (unknown id, national catalogue, bad name).
    #[error("fiche introuvable dans le dossier de la commune")]
    NotFound,
    /// Over [`MAX_FICHE_BYTES`].
    #[error("la fiche dépasse {} Kio", MAX_FICHE_BYTES / 1024)]
    TooLong,
    /// The folder would not load: `fichier:ligne: message` lines.
    #[error("la fiche n'est pas valide ; rien n'a été enregistré")]
    Invalid(Vec<String>),
    /// The edited text declares another fiche (its id changed).
    #[error("la fiche modifiée ne porte plus l'identifiant « {0} » ; rien n'a été enregistré")]
    IdChanged(String),
    /// Someone saved the fiche since the editor opened it.
    #[error(
        "la fiche a été modifiée par quelqu'un d'autre depuis l'ouverture de l'éditeur ; rechargez-la"
    )]
    Changed,
    /// Reading or writing a file failed.
    #[error("erreur de fichier : {0}")]
    Io(#[from] std::io::Error),
}

impl From<crate::fiche_file::CheckError> for FicheEditError {
    fn from(error: crate::fiche_file::CheckError) -> Self {
        use crate::fiche_file::CheckError;
        match error {
            CheckError::Invalid(lines) => FicheEditError::Invalid(lines),
            CheckError::Io(error) => FicheEditError::Io(error),
        }
    }
}

/// A commune's own fiche, as the editor opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FicheSource {
    /// Its file, relative to the commune's folder.
    pub file: std::path::PathBuf,
    /// The file's text.
    pub text: String,
    /// SHA-256 of the text: a save is refused when the file no longer has it.
    pub digest: String,
}

fn digest(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// Whether `id` has the shape of a fiche id (no path, no dot).
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The file of fiche `id` in `knowledge`, relative to `commune_dir`: published or not, but
/// only the commune's own (a fiche of the national catalogue is not in the folder).
fn own_file(
    knowledge: &guichet_knowledge::Knowledge,
    commune_dir: &std::path::Path,
    id: &str,
) -> Option<std::path::PathBuf> {
    let fiche = knowledge
        .fiches()
        .iter()
        .chain(knowledge.unpublished())
        .find(|fiche| fiche.id == id)?;
    fiche
        .path
        .strip_prefix(commune_dir)
        .ok()
        .filter(|relative| !relative.as_os_str().is_empty())
        .map(std::path::Path::to_path_buf)
}

/// The commune's own fiches (id, title), published and not, sorted by title.
pub fn own_fiches(commune_dir: &std::path::Path) -> Vec<(String, String)> {
    let Some(knowledge) = guichet_knowledge::check(commune_dir).knowledge else {
        return Vec::new();
    };
    let mut fiches: Vec<(String, String)> = knowledge
        .fiches()
        .iter()
        .chain(knowledge.unpublished())
        .filter(|fiche| fiche.path.starts_with(commune_dir))
        .map(|fiche| (fiche.id.clone(), fiche.title.clone()))
        .collect();
    fiches.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    fiches
}

/// Opens fiche `id` of the commune's folder for editing.
pub fn open_fiche(commune_dir: &std::path::Path, id: &str) -> Result<FicheSource, FicheEditError> {
    if !valid_id(id) {
        return Err(FicheEditError::NotFound);
    }
    let report = guichet_knowledge::check(commune_dir);
    let knowledge = report.knowledge.ok_or(FicheEditError::NotFound)?;
    let file = own_file(&knowledge, commune_dir, id).ok_or(FicheEditError::NotFound)?;
    let text = std::fs::read_to_string(commune_dir.join(&file))?;
    Ok(FicheSource {
        digest: digest(&text),
        file,
        text,
    })
}

/// Checks `text` as the new content of fiche `id` — the whole folder with it, by the checker
/// of `guichet kb check`, on a scratch copy — and returns the fiche as the loader reads it
/// (the preview). Nothing in the folder changes.
pub fn check_fiche(
    commune_dir: &std::path::Path,
    id: &str,
    text: &str,
) -> Result<guichet_knowledge::Fiche, FicheEditError> {
    if text.len() > MAX_FICHE_BYTES {
        return Err(FicheEditError::TooLong);
    }
    let source = open_fiche(commune_dir, id)?;
    let knowledge = crate::fiche_file::check_edit(commune_dir, &source.file, text)?;
    knowledge
        .fiches()
        .iter()
        .chain(knowledge.unpublished())
        .find(|fiche| fiche.id == id)
        .cloned()
        .ok_or_else(|| FicheEditError::IdChanged(id.to_string()))
}

/// Saves `text` as fiche `id` when it checks (see [`check_fiche`]) and the file still has
/// `expected_digest` (nobody saved it meanwhile): atomically (a temporary file renamed), so
/// the service's live reload only ever sees the old or the new fiche.
pub fn save_fiche(
    commune_dir: &std::path::Path,
    id: &str,
    text: &str,
    expected_digest: &str,
) -> Result<guichet_knowledge::Fiche, FicheEditError> {
    let _lock = crate::fiche_file::REVIEW_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let fiche = check_fiche(commune_dir, id, text)?;
    let source = open_fiche(commune_dir, id)?;
    if source.digest != expected_digest {
        return Err(FicheEditError::Changed);
    }
    crate::fiche_file::write_atomically(&commune_dir.join(&source.file), text)?;
    Ok(fiche)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions(text: &str) -> Vec<String> {
        let front = text
            .trim_start_matches('\u{feff}')
            .split("---")
            .nth(1)
            .expect("front matter");
        let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(front).expect("yaml");
        serde_yaml_ng::from_value(value["questions"].clone()).expect("questions")
    }

    #[test]
    fn appends_to_a_block_list_and_keeps_the_rest() {
        let text = "---\nid: a\n# les questions\nquestions:\n    -   un\n    -   deux # commentaire\n\n# fin\nkeywords: [x]\n---\nLa réponse.\n";
        let out = add_question(text, "trois : quatre").expect("edit");
        assert_eq!(
            out,
            "---\nid: a\n# les questions\nquestions:\n    -   un\n    -   deux # commentaire\n    -   \"trois : quatre\"\n\n# fin\nkeywords: [x]\n---\nLa réponse.\n"
        );
        assert_eq!(questions(&out), ["un", "deux", "trois : quatre"]);
    }

    #[test]
    fn plain_when_safe_quoted_otherwise() {
        let text = "---\nquestions:\n- un\n---\nR\n";
        let out = add_question(text, "mon passeport il est plus bon").expect("edit");
        assert!(out.contains("\n- mon passeport il est plus bon\n"), "{out}");
        for tricky in [
            "yes", "- x", "a #b", "'x'", "\"x\"", "12", "[x]", "x: y", "@x", "%x", "~", "*x", "!x",
            "&x", "x:", "? x", "|x", ">x", "a\\b", "l'état", "  ",
        ] {
            let out = add_question(text, tricky).expect("edit");
            assert_eq!(questions(&out), ["un", tricky], "{out}");
        }
    }

    #[test]
    fn last_item_spanning_lines_and_crlf() {
        let text = "---\r\nquestions:\r\n  - un\r\n  - deux\r\n    suite\r\nhandoff: offer\r\n---\r\nR\r\n";
        let out = add_question(text, "trois").expect("edit");
        assert_eq!(
            out,
            "---\r\nquestions:\r\n  - un\r\n  - deux\r\n    suite\r\n  - trois\r\nhandoff: offer\r\n---\r\nR\r\n"
        );
    }

    #[test]
    fn flow_empty_and_missing_lists() {
        let flow = add_question(
            "---\nquestions: [un, \"deux\"] # c\n---\nR\n",
            "trois, quatre",
        )
        .expect("edit");
        assert_eq!(
            flow,
            "---\nquestions: [un, \"deux\", \"trois, quatre\"] # c\n---\nR\n"
        );
        let empty_flow = add_question("---\nquestions: []\n---\nR\n", "un").expect("edit");
        assert_eq!(questions(&empty_flow), ["un"]);
        let empty =
            add_question("---\nid: a\nquestions:\nkeywords: [x]\n---\nR\n", "un").expect("edit");
        assert_eq!(
            empty,
            "---\nid: a\nquestions:\n  - un\nkeywords: [x]\n---\nR\n"
        );
        let missing = add_question("\u{feff}---\nid: a\n---\nR\n", "un").expect("edit");
        assert_eq!(missing, "\u{feff}---\nid: a\nquestions:\n  - un\n---\nR\n");
    }

    #[test]
    fn refuses_what_it_cannot_rewrite() {
        assert_eq!(add_question("id: a\n", "x"), Err(EditError::NoFrontMatter));
        assert!(matches!(
            add_question("---\nquestions: [un,\n  deux]\n---\nR\n", "x"),
            Err(EditError::Unsupported(_))
        ));
        assert!(matches!(
            add_question("---\nquestions: un\n---\nR\n", "x"),
            Err(EditError::Unsupported(_))
        ));
        assert!(matches!(
            add_question("---\nquestions:\n  a: b\n---\nR\n", "x"),
            Err(EditError::Unsupported(_))
        ));
        // `questions_extra:` is another key, not the list.
        let out = add_question("---\nquestions_extra: 1\n---\nR\n", "x").expect("edit");
        assert!(out.contains("questions:\n  - x\n"));
    }
}
