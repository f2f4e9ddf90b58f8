//! A draft fiche (`status: brouillon`) written from a service-public.fr fiche and its starter-pack
//! entry: title and question variants, keywords, the service-public link and the online services
//! for the SMS, a short spoken answer, the competence guessed from `OuSAdresser`, `source:`.
//!
//! The draft holds national material only (no commune name, no local number): the same draft
//! serves every commune, so it can later live once in a shared national layer; the commune's
//! partners only decide which competence is kept (a partner the commune lacks falls back to the
//! mairie, with a note).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::starter::{StarterFiche, StarterGroup};
use crate::vosdroits::Publication;

/// Sentences a caller should not hear: screen directions, tables, lead-ins to lists.
const UNSPOKEN: &[&str] = &[
    "cliquez",
    "ci-dessous",
    "ci-après",
    "tableau",
    "voir ",
    "suivant",
    "suivante",
    "onglet",
    "rubrique",
    "cette page",
    "ce simulateur",
];
/// Longest spoken answer, in characters (about 30 seconds of speech).
const MAX_SPOKEN: usize = 480;
/// Most linked questions kept as question variants.
const MAX_LINKED_QUESTIONS: usize = 4;

#[derive(Serialize)]
struct FrontMatter<'a> {
    id: &'a str,
    title: &'a str,
    competence: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    partner: Option<&'a str>,
    questions: Vec<String>,
    keywords: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms: Option<String>,
    handoff: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    clarify: Option<ClarifyOut<'a>>,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<SourceOut<'a>>,
}

#[derive(Serialize)]
struct ClarifyOut<'a> {
    question: &'a str,
    options: Vec<OptionOut<'a>>,
}

#[derive(Serialize)]
struct OptionOut<'a> {
    answers: &'a [String],
    goto: &'a str,
}

#[derive(Serialize)]
struct SourceOut<'a> {
    name: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    url: &'a str,
}

/// A rendered draft and what the importer should tell staff about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub text: String,
    pub notes: Vec<String>,
}

/// The competence and partner guessed from who to turn to (`OuSAdresser`): any mairie makes it
/// the commune's; else the first local office guichet knows.
pub fn guess_competence(publication: &Publication) -> (&'static str, Option<&'static str>) {
    let pivots: Vec<&str> = publication
        .contacts
        .iter()
        .filter_map(|contact| contact.pivot.as_deref())
        .collect();
    if pivots.is_empty() && publication.contacts.is_empty() {
        return ("commune", None);
    }
    if pivots.iter().any(|pivot| pivot.starts_with("mairie"))
        || publication
            .contacts
            .iter()
            .any(|contact| contact.title.to_lowercase().starts_with("mairie"))
    {
        return ("commune", None);
    }
    for pivot in &pivots {
        let guess = match *pivot {
            "prefecture" | "sous_pref" => ("etat", Some("prefecture")),
            "caf" => ("autre", Some("caf")),
            "cpam" => ("autre", Some("cpam")),
            "pole_emploi" | "france_travail" => ("etat", Some("france_travail")),
            "tribunal_judiciaire" | "ti" | "tgi" => ("etat", Some("tribunal")),
            "epci" => ("agglomeration", None),
            _ => continue,
        };
        return guess;
    }
    ("commune", None)
}

/// Renders the draft of `entry` from `publication`; `partners` are the commune's partner keys.
pub fn render_fiche(
    entry: &StarterFiche,
    publication: &Publication,
    partners: &BTreeSet<String>,
) -> Draft {
    let mut notes = Vec::new();
    let (guessed, guessed_partner) = guess_competence(publication);
    let mut competence = entry.competence.as_deref().unwrap_or(guessed).to_owned();
    let mut partner = entry.partner.clone().or_else(|| {
        entry
            .competence
            .is_none()
            .then(|| guessed_partner.map(str::to_owned))
            .flatten()
    });
    if competence != "commune" {
        let key = partner.clone().unwrap_or_else(|| competence.clone());
        if !partners.contains(&key) {
            notes.push(format!(
                "{} : compétence « {competence} » mais pas de partenaire « {key} » dans commune.toml : \
                 fiche rattachée à la mairie, à revoir",
                entry.id
            ));
            competence = "commune".into();
            partner = None;
        } else if partner.as_deref() == Some(competence.as_str()) {
            partner = None;
        }
    } else {
        partner = None;
    }

    let mut questions = Vec::new();
    for question in entry
        .questions
        .iter()
        .cloned()
        .chain([publication.title.clone()])
        .chain(
            publication
                .questions
                .iter()
                .take(MAX_LINKED_QUESTIONS)
                .cloned(),
        )
    {
        push_unique(&mut questions, question);
    }
    let mut keywords = Vec::new();
    for keyword in entry.keywords.iter().cloned().chain(
        publication
            .subjects
            .iter()
            .map(|subject| subject.to_lowercase()),
    ) {
        push_unique(&mut keywords, keyword);
    }
    let online = publication
        .services
        .iter()
        .find(|service| service.kind == "Téléservice");
    let sms = Some(match online {
        Some(service) => format!(
            "{} : {{link}} - En ligne : {}",
            short_title(&publication.title),
            service.url
        ),
        None => format!("{} : {{link}}", short_title(&publication.title)),
    });
    let answer = spoken_answer(publication);
    if answer.is_empty() {
        notes.push(format!(
            "{} : aucune phrase à dire trouvée dans {} : réponse à écrire",
            entry.id, publication.id
        ));
    }
    let date = publication.date.map(|date| date.to_string());
    let front = FrontMatter {
        id: &entry.id,
        title: &publication.title,
        competence: &competence,
        partner: partner.as_deref(),
        questions,
        keywords,
        link: Some(&publication.url),
        sms,
        handoff: "offer",
        clarify: None,
        status: "brouillon",
        source: Some(SourceOut {
            name: "service-public.fr",
            id: &publication.id,
            date,
            url: &publication.url,
        }),
    };
    let body = if answer.is_empty() {
        format!("Réponse à écrire à partir de la fiche {}.", publication.id)
    } else {
        answer
    };
    Draft {
        text: format!("{}{body}\n", front_matter(&front)),
        notes,
    }
}

/// Renders a clarifying group as a draft fiche.
pub fn render_group(group: &StarterGroup) -> Draft {
    let front = FrontMatter {
        id: &group.id,
        title: &group.title,
        competence: "commune",
        partner: None,
        questions: group.questions.clone(),
        keywords: group.keywords.clone(),
        link: None,
        sms: None,
        handoff: "offer",
        clarify: Some(ClarifyOut {
            question: &group.question,
            options: group
                .options
                .iter()
                .map(|option| OptionOut {
                    answers: &option.answers,
                    goto: &option.goto,
                })
                .collect(),
        }),
        status: "brouillon",
        source: None,
    };
    Draft {
        text: front_matter(&front),
        notes: Vec::new(),
    }
}

fn front_matter(front: &FrontMatter) -> String {
    let yaml = serde_yaml_ng::to_string(front).unwrap_or_default();
    format!("---\n{yaml}---\n")
}

fn push_unique(list: &mut Vec<String>, item: String) {
    let item = item.trim().to_owned();
    if !item.is_empty() && !list.iter().any(|seen| seen.eq_ignore_ascii_case(&item)) {
        list.push(item);
    }
}

/// "Carte d'identité d'un majeur : en cas de perte" stays; long titles are cut at a word.
fn short_title(title: &str) -> String {
    if title.chars().count() <= 60 {
        return title.to_owned();
    }
    let mut out = String::new();
    for word in title.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > 60 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Two or three sentences a standardiste would say: the introduction, then the most common case
/// (the first one DILA lists), with screen directions and list lead-ins left out.
pub fn spoken_answer(publication: &Publication) -> String {
    let mut sentences: Vec<String> = Vec::new();
    let mut length = 0;
    let mut take = |paragraphs: &[String], limit: usize, sentences: &mut Vec<String>| {
        let mut taken = 0;
        for sentence in paragraphs.iter().flat_map(|p| split_sentences(p)) {
            if taken >= limit || sentences.len() >= 3 {
                break;
            }
            if !speakable(&sentence) || length + sentence.len() > MAX_SPOKEN {
                continue;
            }
            length += sentence.len() + 1;
            sentences.push(sentence);
            taken += 1;
        }
    };
    let intro: &[String] = if publication.introduction.is_empty() {
        std::slice::from_ref(&publication.description)
    } else {
        &publication.introduction
    };
    take(intro, 2, &mut sentences);
    if let Some(case) = publication.cases.first() {
        take(&case.paragraphs, 1, &mut sentences);
    } else {
        take(&publication.paragraphs, 1, &mut sentences);
    }
    sentences.join(" ")
}

fn speakable(sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    sentence.chars().count() >= 20
        && !sentence.trim_end().ends_with(':')
        && !lower.contains("http")
        && !UNSPOKEN.iter().any(|word| lower.contains(word))
}

fn split_sentences(paragraph: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = paragraph.chars().collect();
    for (index, c) in chars.iter().enumerate() {
        current.push(*c);
        let end = matches!(c, '.' | '!' | '?')
            && chars.get(index + 1).is_none_or(|next| next.is_whitespace())
            // "M. Dupont", "n° 3." are rare in fiches; "etc." ends sentences anyway.
            ;
        if end {
            out.push(current.trim().to_owned());
            current.clear();
        }
    }
    let rest = current.trim();
    if !rest.is_empty() && !rest.ends_with(':') {
        out.push(format!("{rest}."));
    } else if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vosdroits::{Case, Contact, Publication};

    fn publication() -> Publication {
        Publication {
            id: "F1".into(),
            title: "Renouvellement du passeport d'un majeur".into(),
            subjects: vec!["Papiers".into()],
            description: String::new(),
            date: chrono::NaiveDate::from_ymd_opt(2024, 1, 2),
            url: "https://www.service-public.fr/particuliers/vosdroits/F1".into(),
            breadcrumb: vec![],
            introduction: vec![
                "Pour refaire votre passeport, vous devez vous adresser à une mairie équipée. \
                 Cliquez ici pour la liste. Les conditions sont les suivantes :"
                    .into(),
            ],
            cases: vec![Case {
                title: "En France".into(),
                paragraphs: vec![
                    "Vous faites une pré-demande en ligne puis vous prenez rendez-vous.".into(),
                ],
            }],
            paragraphs: vec![],
            services: vec![],
            contacts: vec![Contact {
                title: "Mairie".into(),
                pivot: Some("mairie_passeport_bio".into()),
            }],
            questions: vec!["Peut-on avoir deux passeports ?".into()],
            plain_text: String::new(),
        }
    }

    #[test]
    fn spoken_answer_leaves_screen_directions_out() {
        let answer = spoken_answer(&publication());
        assert_eq!(
            answer,
            "Pour refaire votre passeport, vous devez vous adresser à une mairie équipée. \
             Vous faites une pré-demande en ligne puis vous prenez rendez-vous."
        );
    }

    #[test]
    fn competence_from_where_to_go_and_missing_partner_falls_back() {
        let mut publication = publication();
        assert_eq!(guess_competence(&publication), ("commune", None));
        publication.contacts = vec![Contact {
            title: "Préfecture".into(),
            pivot: Some("prefecture".into()),
        }];
        assert_eq!(guess_competence(&publication), ("etat", Some("prefecture")));
        let entry = StarterFiche {
            id: "titre".into(),
            source: "F1".into(),
            questions: vec![],
            keywords: vec![],
            competence: None,
            partner: None,
        };
        let draft = render_fiche(&entry, &publication, &BTreeSet::new());
        assert!(draft.text.contains("competence: commune"), "{}", draft.text);
        assert_eq!(draft.notes.len(), 1);
        let partners = BTreeSet::from(["prefecture".to_owned()]);
        let draft = render_fiche(&entry, &publication, &partners);
        assert!(draft.text.contains("competence: etat"), "{}", draft.text);
        assert!(draft.text.contains("partner: prefecture"), "{}", draft.text);
        assert!(draft.text.contains("status: brouillon"));
    }
}
