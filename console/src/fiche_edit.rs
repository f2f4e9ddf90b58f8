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
