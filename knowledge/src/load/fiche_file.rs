//! Reading one fiche: YAML front matter between `---` lines, then the spoken answer.

use std::path::Path;

use serde::Deserialize;

use crate::lines::{yaml_key_line, yaml_nested_line};
use crate::load::checks::check_url;
use crate::model::{
    Clarify, ClarifyOption, Competence, Fiche, FicheSource, FicheStatus, HandoffPolicy,
};
use crate::problem::Problems;

#[derive(Deserialize, Default)]
struct RawFiche {
    id: Option<String>,
    title: Option<String>,
    competence: Option<String>,
    partner: Option<String>,
    #[serde(default)]
    questions: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    link: Option<String>,
    sms: Option<String>,
    handoff: Option<String>,
    clarify: Option<RawClarify>,
    #[serde(default)]
    specialises: Vec<String>,
    #[serde(default)]
    recourse_for: Vec<String>,
    status: Option<String>,
    source: Option<RawSource>,
}

#[derive(Deserialize, Default)]
struct RawSource {
    name: Option<String>,
    id: Option<String>,
    date: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawClarify {
    question: Option<String>,
    #[serde(default)]
    options: Vec<RawOption>,
}

#[derive(Deserialize, Default)]
struct RawOption {
    #[serde(default)]
    answers: Vec<String>,
    goto: Option<String>,
}

const FICHE_KEYS: &[&str] = &[
    "id",
    "title",
    "competence",
    "partner",
    "questions",
    "keywords",
    "link",
    "sms",
    "handoff",
    "clarify",
    "specialises",
    "recourse_for",
    "status",
    "source",
];
const SOURCE_KEYS: &[&str] = &["name", "id", "date", "url"];
const CLARIFY_KEYS: &[&str] = &["question", "options"];
const OPTION_KEYS: &[&str] = &["answers", "goto"];

/// Where things are in a fiche file, for the checks made once all fiches are read.
#[derive(Debug, Clone, Default)]
pub(crate) struct FicheLines {
    pub id: usize,
    pub competence: usize,
    pub partner: Option<usize>,
    pub questions: usize,
    pub sms: usize,
    /// Line of `specialises:`.
    pub specialises: usize,
    /// Line of `recourse_for:`.
    pub recourse_for: usize,
    /// Line of each clarify option's `goto`, in order.
    pub gotos: Vec<usize>,
}

/// The fiche ids of a list (`specialises:`, `recourse_for:`), trimmed, empty ones dropped.
fn fiche_ids(raw: &[String]) -> Vec<String> {
    raw.iter()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect()
}

/// Reads a fiche; `None` when it is too broken to be used (the problems say why).
pub(crate) fn load_fiche(path: &Path, problems: &mut Problems) -> Option<(Fiche, FicheLines)> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            problems.error(path, 0, format!("fichier illisible ({error})"));
            return None;
        }
    };
    parse_fiche(path, &text, problems)
}

/// Parses the text of a fiche read from `path` (a file, or a fiche of the national catalogue
/// embedded in the binary).
pub(crate) fn parse_fiche(
    path: &Path,
    text: &str,
    problems: &mut Problems,
) -> Option<(Fiche, FicheLines)> {
    let Some((front, body, body_line)) = split_front_matter(text) else {
        problems.error(
            path,
            1,
            "en-tête manquant : la fiche doit commencer par une ligne « --- », les champs, puis une autre ligne « --- »",
        );
        return None;
    };
    // The front matter starts on line 2 (line 1 is `---`).
    let first = 2;
    let value: serde_yaml_ng::Value = match serde_yaml_ng::from_str(front) {
        Ok(value) => value,
        Err(error) => {
            let line = error.location().map_or(first, |at| first + at.line() - 1);
            problems.error(
                path,
                line,
                format!("en-tête YAML illisible : {}", yaml_message(&error)),
            );
            return None;
        }
    };
    let Some(mapping) = value.as_mapping() else {
        problems.error(
            path,
            first,
            "l'en-tête doit être une liste de champs « clé: valeur »",
        );
        return None;
    };
    check_unknown_keys(path, front, first, mapping, problems);
    let raw: RawFiche = match serde_yaml_ng::from_str(front) {
        Ok(raw) => raw,
        Err(error) => {
            let line = error.location().map_or(first, |at| first + at.line() - 1);
            problems.error(
                path,
                line,
                format!("valeur incorrecte : {}", yaml_message(&error)),
            );
            return None;
        }
    };

    let key_line = |key: &str| yaml_key_line(front, first, key);
    let mut lines = FicheLines {
        id: key_line("id").unwrap_or(first),
        competence: key_line("competence").unwrap_or(first),
        partner: key_line("partner"),
        questions: key_line("questions").unwrap_or(first),
        sms: key_line("sms").unwrap_or(first),
        specialises: key_line("specialises").unwrap_or(first),
        recourse_for: key_line("recourse_for").unwrap_or(first),
        gotos: Vec::new(),
    };

    let id = match raw
        .id
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
    {
        Some(id) => {
            let valid = id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                problems.error(
                    path,
                    lines.id,
                    format!("identifiant « {id} » invalide : lettres minuscules sans accent, chiffres et tirets seulement"),
                );
            }
            id
        }
        None => {
            problems.error(path, first, "identifiant manquant (champ « id »)");
            String::new()
        }
    };
    let title = raw
        .title
        .map(|title| title.trim().to_owned())
        .unwrap_or_default();
    if title.is_empty() {
        problems.error(
            path,
            key_line("title").unwrap_or(first),
            "titre manquant (champ « title »)",
        );
    }
    let competence = match raw.competence.as_deref().map(str::trim) {
        None | Some("") => {
            problems.error(
                path,
                lines.competence,
                "compétence manquante (champ « competence »)",
            );
            None
        }
        Some(name) => match parse_competence(name) {
            Some(competence) => Some(competence),
            None => {
                problems.error(
                    path,
                    lines.competence,
                    format!(
                        "compétence inconnue « {name} » : valeurs possibles commune, agglomeration, \
                         departement, region, etat, autre, aucune"
                    ),
                );
                None
            }
        },
    };
    let handoff = match raw.handoff.as_deref().map(str::trim) {
        None => HandoffPolicy::default(),
        Some(name) => match name {
            "never" => HandoffPolicy::Never,
            "offer" => HandoffPolicy::Offer,
            "always" => HandoffPolicy::Always,
            _ => {
                problems.error(
                    path,
                    key_line("handoff").unwrap_or(first),
                    format!("valeur « {name} » inconnue pour « handoff » : never, offer ou always"),
                );
                HandoffPolicy::default()
            }
        },
    };
    if let Some(link) = &raw.link {
        check_url(
            path,
            key_line("link").unwrap_or(first),
            link,
            "lien de la fiche",
            problems,
        );
    }
    let clarify = raw.clarify.map(|clarify| {
        let clarify_line = key_line("clarify").unwrap_or(first);
        let question = clarify.question.unwrap_or_default();
        if question.trim().is_empty() {
            problems.error(
                path,
                clarify_line,
                "question de précision manquante (champ « clarify.question »)",
            );
        }
        if clarify.options.is_empty() {
            problems.error(
                path,
                clarify_line,
                "aucune option de précision (champ « clarify.options »)",
            );
        }
        let mut search_from = clarify_line;
        let options = clarify
            .options
            .into_iter()
            .map(|option| {
                let goto = option.goto.unwrap_or_default();
                let goto_line = if goto.is_empty() {
                    yaml_nested_line(front, first, search_from, "answers", None)
                        .unwrap_or(clarify_line)
                } else {
                    yaml_nested_line(front, first, search_from, "goto", Some(&goto))
                        .unwrap_or(clarify_line)
                };
                search_from = goto_line + 1;
                if goto.is_empty() {
                    problems.error(
                        path,
                        goto_line,
                        "option de précision sans destination (champ « goto »)",
                    );
                }
                if option.answers.iter().all(|answer| answer.trim().is_empty()) {
                    problems.error(
                        path,
                        goto_line,
                        "option de précision sans réponse (champ « answers »)",
                    );
                }
                lines.gotos.push(goto_line);
                ClarifyOption {
                    answers: option.answers,
                    goto,
                }
            })
            .collect();
        Clarify { question, options }
    });
    let status = match raw.status.as_deref().map(str::trim) {
        None => FicheStatus::default(),
        Some(name) => parse_status(name).unwrap_or_else(|| {
            problems.error(
                path,
                key_line("status").unwrap_or(first),
                format!("statut « {name} » inconnu : publiee, brouillon ou rejetee"),
            );
            FicheStatus::default()
        }),
    };
    let source = raw.source.map(|source| {
        let source_line = key_line("source").unwrap_or(first);
        let line_of = |key: &str| {
            yaml_nested_line(front, first, source_line, key, None).unwrap_or(source_line)
        };
        read_source(path, source_line, line_of, source, problems)
    });
    let answer = body.trim().to_owned();
    if answer.is_empty() && clarify.is_none() {
        problems.error(
            path,
            body_line,
            "réponse manquante : écrivez la réponse parlée après la seconde ligne « --- »",
        );
    }

    let fiche = Fiche {
        id,
        title,
        competence: competence.unwrap_or(Competence::Commune),
        partner: raw.partner.map(|partner| partner.trim().to_owned()),
        questions: raw.questions,
        keywords: raw.keywords,
        link: raw.link,
        sms: raw.sms,
        handoff,
        clarify,
        specialises: fiche_ids(&raw.specialises),
        recourse_for: fiche_ids(&raw.recourse_for),
        answer,
        status,
        source,
        path: path.to_path_buf(),
        spoken: Default::default(),
    };
    Some((fiche, lines))
}

/// Splits `---\n<front>\n---\n<body>`; returns the front matter, the body and the body's first
/// line number.
fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut offset = 0;
    let mut front_start = None;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let is_fence = line.trim_end() == "---";
        match front_start {
            None if index == 0 && is_fence => front_start = Some(offset + line.len()),
            None => return None,
            Some(start) if is_fence => {
                let body = &text[offset + line.len()..];
                return Some((&text[start..offset], body, index + 2));
            }
            Some(_) => {}
        }
        offset += line.len();
    }
    None
}

fn check_unknown_keys(
    path: &Path,
    front: &str,
    first: usize,
    mapping: &serde_yaml_ng::Mapping,
    problems: &mut Problems,
) {
    let unknown = |key: &serde_yaml_ng::Value, known: &[&str]| -> Option<String> {
        let name = key
            .as_str()
            .map_or_else(|| format!("{key:?}"), str::to_owned);
        (!known.contains(&name.as_str())).then_some(name)
    };
    for (key, value) in mapping {
        if let Some(name) = unknown(key, FICHE_KEYS) {
            let line = yaml_key_line(front, first, &name).unwrap_or(first);
            problems.error(
                path,
                line,
                format!("champ inconnu « {name} » (faute de frappe ?)"),
            );
        }
        if key.as_str() == Some("source")
            && let Some(source) = value.as_mapping()
        {
            let source_line = yaml_key_line(front, first, "source").unwrap_or(first);
            for key in source.keys() {
                if let Some(name) = unknown(key, SOURCE_KEYS) {
                    let line = yaml_nested_line(front, first, source_line, &name, None)
                        .unwrap_or(source_line);
                    problems.error(
                        path,
                        line,
                        format!("champ inconnu « source.{name} » : name, id, date ou url"),
                    );
                }
            }
        }
        if key.as_str() != Some("clarify") {
            continue;
        }
        let clarify_line = yaml_key_line(front, first, "clarify").unwrap_or(first);
        let Some(clarify) = value.as_mapping() else {
            continue;
        };
        for (key, value) in clarify {
            if let Some(name) = unknown(key, CLARIFY_KEYS) {
                let line = yaml_nested_line(front, first, clarify_line, &name, None)
                    .unwrap_or(clarify_line);
                problems.error(
                    path,
                    line,
                    format!("champ inconnu « clarify.{name} » (faute de frappe ?)"),
                );
            }
            let Some(options) = value.as_sequence() else {
                continue;
            };
            for option in options.iter().filter_map(serde_yaml_ng::Value::as_mapping) {
                for key in option.keys() {
                    if let Some(name) = unknown(key, OPTION_KEYS) {
                        let line = yaml_nested_line(front, first, clarify_line, &name, None)
                            .unwrap_or(clarify_line);
                        problems.error(
                            path,
                            line,
                            format!("champ inconnu « {name} » dans une option de précision (faute de frappe ?)"),
                        );
                    }
                }
            }
        }
    }
}

/// `publiee` (the default), `brouillon` or `rejetee`; accents are accepted.
fn parse_status(name: &str) -> Option<FicheStatus> {
    Some(match name {
        "publiee" | "publiée" => FicheStatus::Publiee,
        "brouillon" => FicheStatus::Brouillon,
        "rejetee" | "rejetée" => FicheStatus::Rejetee,
        _ => return None,
    })
}

/// `source: { name, id, date, url }`: who publishes the facts is required; the date is
/// `AAAA-MM-JJ`; the URL is checked like any link.
fn read_source(
    path: &Path,
    line: usize,
    line_of: impl Fn(&str) -> usize,
    raw: RawSource,
    problems: &mut Problems,
) -> FicheSource {
    let name = raw
        .name
        .map(|name| name.trim().to_owned())
        .unwrap_or_default();
    if name.is_empty() {
        problems.error(
            path,
            line,
            "source sans nom (champ « source.name », par exemple service-public.fr)",
        );
    }
    let date = raw.date.and_then(|date| {
        let parsed = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok();
        if parsed.is_none() {
            problems.error(
                path,
                line_of("date"),
                format!("date de source « {date} » illisible : écrivez AAAA-MM-JJ"),
            );
        }
        parsed
    });
    if let Some(url) = &raw.url {
        check_url(path, line_of("url"), url, "lien de la source", problems);
    }
    FicheSource {
        name,
        id: raw
            .id
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty()),
        date,
        url: raw.url,
    }
}

fn parse_competence(name: &str) -> Option<Competence> {
    Some(match name {
        "commune" => Competence::Commune,
        "agglomeration" => Competence::Agglomeration,
        "departement" => Competence::Departement,
        "region" => Competence::Region,
        "etat" => Competence::Etat,
        "autre" => Competence::Autre,
        "aucune" => Competence::Aucune,
        _ => return None,
    })
}

/// The key a competence defaults to as a partner (`agglomeration` → `[partners.agglomeration]`).
pub(crate) fn competence_key(competence: Competence) -> &'static str {
    match competence {
        Competence::Commune => "commune",
        Competence::Agglomeration => "agglomeration",
        Competence::Departement => "departement",
        Competence::Region => "region",
        Competence::Etat => "etat",
        Competence::Autre => "autre",
        Competence::Aucune => "aucune",
    }
}

/// The serde_yaml_ng message without its trailing location (the line is reported apart).
fn yaml_message(error: &serde_yaml_ng::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::split_front_matter;

    fn parse(front: &str) -> crate::model::Fiche {
        let text = format!("---\nid: a\ntitle: A\ncompetence: autre\n{front}---\nLa réponse.\n");
        let mut problems = crate::problem::Problems::default();
        let (fiche, _) =
            crate::load::parse_fiche(std::path::Path::new("a.md"), &text, &mut problems)
                .expect("a valid fiche");
        fiche
    }

    #[test]
    fn reads_the_fiches_a_body_specialises() {
        let fiche = parse("specialises: [cpam, \" caf-allocations \", \"\"]\n");
        assert_eq!(fiche.specialises, ["cpam", "caf-allocations"]);
        assert!(parse("").specialises.is_empty(), "none unless said");
        let fiche = parse("recourse_for: [employeur, \" adil\"]\n");
        assert_eq!(fiche.recourse_for, ["employeur", "adil"]);
        assert!(fiche.specialises.is_empty() && parse("").recourse_for.is_empty());
    }

    #[test]
    fn splits_front_matter() {
        let text = "---\nid: a\n---\nLa réponse.\n";
        assert_eq!(
            split_front_matter(text),
            Some(("id: a\n", "La réponse.\n", 4))
        );
        assert_eq!(split_front_matter("id: a\n"), None);
        assert_eq!(split_front_matter("---\nid: a\n"), None);
    }
}
