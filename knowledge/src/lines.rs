//! Finding the line of a key in a YAML front matter or a TOML file, for messages to staff.

/// Line (1-based, in the whole file) of the top-level YAML key `key` in a front matter whose
/// first line is line `first_line` of the file.
pub(crate) fn yaml_key_line(front: &str, first_line: usize, key: &str) -> Option<usize> {
    front.lines().enumerate().find_map(|(index, line)| {
        let starts = line.starts_with(key) && line[key.len()..].trim_start().starts_with(':');
        starts.then_some(first_line + index)
    })
}

/// Line of the first line at or after `from_line` (file line numbers) whose content, once
/// trimmed and stripped of a list dash, starts with `key:`, and containing `value` if given.
pub(crate) fn yaml_nested_line(
    front: &str,
    first_line: usize,
    from_line: usize,
    key: &str,
    value: Option<&str>,
) -> Option<usize> {
    front.lines().enumerate().find_map(|(index, line)| {
        let number = first_line + index;
        if number < from_line {
            return None;
        }
        let content = line.trim_start().trim_start_matches('-').trim_start();
        let is_key = content.starts_with(key) && content[key.len()..].trim_start().starts_with(':');
        let has_value = value.is_none_or(|value| content.contains(value));
        (is_key && has_value).then_some(number)
    })
}

/// Line (1-based) of `key = …` in the TOML table `section` (`None` = top level; e.g.
/// `Some("partners.agglomeration")`), or of the section header when the key is absent.
pub(crate) fn toml_key_line(text: &str, section: Option<&str>, key: Option<&str>) -> usize {
    let mut current: Option<String> = None;
    let mut header_line = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix('[') {
            let name = header.trim_end_matches(']').trim().replace(' ', "");
            current = Some(name.trim_matches('"').to_owned());
            if current.as_deref() == section {
                header_line = Some(index + 1);
            }
            continue;
        }
        if current.as_deref() != section {
            continue;
        }
        if let Some(key) = key {
            let is_key =
                trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with('=');
            if is_key {
                return index + 1;
            }
        }
    }
    header_line.unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_yaml_and_toml_keys() {
        let front = "id: a\ntitle: b\nclarify:\n  options:\n    - answers: [x]\n      goto: c\n";
        assert_eq!(yaml_key_line(front, 2, "title"), Some(3));
        assert_eq!(yaml_nested_line(front, 2, 4, "goto", Some("c")), Some(7));
        let toml = "name = \"x\"\n[transfer]\nnumber = \"1\"\n[partners.agglo]\nwebsite = \"y\"\n";
        assert_eq!(toml_key_line(toml, None, Some("name")), 1);
        assert_eq!(toml_key_line(toml, Some("transfer"), Some("number")), 3);
        assert_eq!(
            toml_key_line(toml, Some("partners.agglo"), Some("website")),
            5
        );
        assert_eq!(
            toml_key_line(toml, Some("partners.agglo"), Some("phone")),
            4
        );
    }
}
