//! DILA's "vos droits" fiches (service-public.fr) in their production format: one XML
//! `Publication` per file, from the `vosdroits` zip or an unpacked folder.
//!
//! What is kept of a fiche: its id, title, subjects, date and page; the breadcrumb
//! (`FilDAriane`); the introduction; the cases of its first `BlocCas` (the most common one first,
//! as DILA orders them); the online services (`ServiceEnLigne`); who to turn to (`OuSAdresser`
//! with its `PivotLocal`); the linked questions (`QuestionReponse`); and the whole text as plain
//! prose for the review. Tables, references and conditions are skipped.

use std::io::Read as _;
use std::path::Path;

use chrono::NaiveDate;
use roxmltree::{Document, Node};

/// Largest fiche read (the biggest published one is about 300 KB).
pub const MAX_FICHE_BYTES: u64 = 8 << 20;
/// Largest number of entries read from a zip (the national zip holds about 10,000).
pub const MAX_ZIP_ENTRIES: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum FicheError {
    #[error("{file} : XML invalide ({message})")]
    Xml { file: String, message: String },
    #[error("{file} : ce n'est pas une fiche « Publication » de service-public.fr")]
    NotPublication { file: String },
    #[error("{file} : élément « {element} » manquant")]
    Missing { file: String, element: &'static str },
    #[error("{file} : fichier trop volumineux")]
    TooLarge { file: String },
    #[error("{0} : lecture impossible ({1})")]
    Io(String, String),
    #[error("{0} : archive zip illisible ({1})")]
    Zip(String, String),
}

/// A web service linked from a fiche (`ServiceEnLigne`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineService {
    pub title: String,
    pub url: String,
    /// "Téléservice", "Formulaire", "Simulateur"…
    pub kind: String,
}

/// Who to turn to (`OuSAdresser`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub title: String,
    /// `PivotLocal` (a directory `type_service_local`), when local.
    pub pivot: Option<String>,
}

/// One case of a fiche (`Cas` of the first `BlocCas`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub title: String,
    /// Its paragraphs, as plain sentences.
    pub paragraphs: Vec<String>,
}

/// One vosdroits fiche.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub id: String,
    pub title: String,
    pub subjects: Vec<String>,
    pub description: String,
    pub date: Option<NaiveDate>,
    pub url: String,
    pub breadcrumb: Vec<String>,
    pub introduction: Vec<String>,
    pub cases: Vec<Case>,
    /// Paragraphs of the text outside any case (for fiches without `BlocCas`).
    pub paragraphs: Vec<String>,
    pub services: Vec<OnlineService>,
    pub contacts: Vec<Contact>,
    pub questions: Vec<String>,
    /// The whole fiche as plain text, one paragraph a line (for the review).
    pub plain_text: String,
}

/// Parses one fiche; `file` names it in messages.
pub fn parse_publication(xml: &str, file: &str) -> Result<Publication, FicheError> {
    if xml.len() as u64 > MAX_FICHE_BYTES {
        return Err(FicheError::TooLarge { file: file.into() });
    }
    let document = Document::parse(xml).map_err(|error| FicheError::Xml {
        file: file.into(),
        message: error.to_string(),
    })?;
    let root = document.root_element();
    if root.tag_name().name() != "Publication" {
        return Err(FicheError::NotPublication { file: file.into() });
    }
    let id = root
        .attribute("ID")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| FicheError::Missing {
            file: file.into(),
            element: "Publication/@ID",
        })?
        .to_owned();
    let child_text = |name: &str| {
        root.children()
            .find(|node| node.is_element() && node.tag_name().name() == name)
            .map(|node| flat_text(node))
            .unwrap_or_default()
    };
    let title = child_text("title");
    if title.is_empty() {
        return Err(FicheError::Missing {
            file: file.into(),
            element: "dc:title",
        });
    }
    let subjects = child_text("subject")
        .split([',', '-'])
        .map(str::trim)
        .filter(|subject| !subject.is_empty())
        .map(str::to_owned)
        .collect();
    let date = parse_date(&child_text("date")).or_else(|| {
        root.attribute("dateDerniereModificationImportante")
            .and_then(parse_date)
    });
    // A page address that a fiche could not hold (a damaged export) gives way to the page's
    // canonical address.
    let url = root
        .attribute("spUrl")
        .filter(|url| guichet_knowledge::is_web_address(url))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("https://www.service-public.fr/particuliers/vosdroits/{id}"));
    let breadcrumb = root
        .children()
        .find(|node| node.has_tag_name("FilDAriane"))
        .map(|node| {
            node.children()
                .filter(|node| node.has_tag_name("Niveau"))
                .map(flat_text)
                .collect()
        })
        .unwrap_or_default();
    let introduction = root
        .children()
        .find(|node| node.has_tag_name("Introduction"))
        .map(paragraphs)
        .unwrap_or_default();
    let texte = root.children().find(|node| node.has_tag_name("Texte"));
    let cases = texte
        .and_then(|texte| {
            texte
                .descendants()
                .find(|node| node.has_tag_name("BlocCas"))
        })
        .map(|bloc| {
            bloc.children()
                .filter(|node| node.has_tag_name("Cas"))
                .map(|case| Case {
                    title: case
                        .children()
                        .find(|node| node.has_tag_name("Titre"))
                        .map(flat_text)
                        .unwrap_or_default(),
                    paragraphs: paragraphs(case),
                })
                .collect()
        })
        .unwrap_or_default();
    let text_paragraphs = texte.map(paragraphs).unwrap_or_default();
    let mut services: Vec<OnlineService> = Vec::new();
    for node in root
        .descendants()
        .filter(|node| node.has_tag_name("ServiceEnLigne"))
    {
        let Some(url) = node
            .attribute("URL")
            .filter(|url| guichet_knowledge::is_web_address(url))
        else {
            continue;
        };
        if services.iter().any(|service| service.url == url) {
            continue;
        }
        services.push(OnlineService {
            title: node
                .children()
                .find(|child| child.has_tag_name("Titre"))
                .map(flat_text)
                .unwrap_or_default(),
            url: url.to_owned(),
            kind: node.attribute("type").unwrap_or_default().to_owned(),
        });
    }
    let mut contacts: Vec<Contact> = Vec::new();
    for node in root
        .descendants()
        .filter(|node| node.has_tag_name("OuSAdresser"))
    {
        let contact = Contact {
            title: node
                .children()
                .find(|child| child.has_tag_name("Titre"))
                .map(flat_text)
                .unwrap_or_default(),
            pivot: node
                .children()
                .find(|child| child.has_tag_name("PivotLocal"))
                .map(flat_text)
                .filter(|pivot| !pivot.is_empty()),
        };
        if !contacts.contains(&contact) {
            contacts.push(contact);
        }
    }
    let questions = root
        .children()
        .filter(|node| node.has_tag_name("QuestionReponse"))
        .map(flat_text)
        .filter(|question| !question.is_empty())
        .collect();
    let mut plain_text = String::new();
    for paragraph in introduction.iter().chain(&text_paragraphs) {
        plain_text.push_str(paragraph);
        plain_text.push('\n');
    }
    Ok(Publication {
        id,
        title,
        subjects,
        description: child_text("description"),
        date,
        url,
        breadcrumb,
        introduction,
        cases,
        paragraphs: text_paragraphs,
        services,
        contacts,
        questions,
        plain_text,
    })
}

/// "modified 2020-10-01", "2020-10-01", "2019-01-03T00:00:00".
fn parse_date(value: &str) -> Option<NaiveDate> {
    let value = value.trim();
    let value = value.strip_prefix("modified").unwrap_or(value).trim();
    NaiveDate::parse_from_str(value.get(..10)?, "%Y-%m-%d").ok()
}

/// The `Paragraphe`s and list items under `node`, tables and conditions skipped, in order.
fn paragraphs(node: Node) -> Vec<String> {
    let mut out = Vec::new();
    collect_paragraphs(node, &mut out);
    out
}

fn collect_paragraphs(node: Node, out: &mut Vec<String>) {
    for child in node.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "Tableau" | "Condition" | "Reference" | "OuSAdresser" | "ServiceEnLigne"
            | "Definition" | "Abreviation" | "Titre" => {}
            "Paragraphe" => {
                let text = flat_text(child);
                if !text.is_empty() {
                    out.push(text);
                }
            }
            _ => collect_paragraphs(child, out),
        }
    }
}

/// The text of `node` and its descendants, whitespace collapsed.
fn flat_text(node: Node) -> String {
    let mut text = String::new();
    for piece in node.descendants().filter(Node::is_text) {
        text.push_str(piece.text().unwrap_or_default());
        text.push(' ');
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // "mot ." / "mot ," left by inline elements.
    collapsed
        .replace(" .", ".")
        .replace(" ,", ",")
        .replace("( ", "(")
        .replace(" )", ")")
}

/// Reads the fiches `wanted` (ids such as `F21091`; all `F…` fiches when `None`) from a
/// `vosdroits` zip or a folder of XML files.
pub fn read_fiches(from: &Path, wanted: Option<&[String]>) -> Result<Vec<Publication>, FicheError> {
    let want = |stem: &str| match wanted {
        Some(ids) => ids.iter().any(|id| id == stem),
        None => stem.starts_with('F'),
    };
    let name_of = |path: &Path| path.display().to_string();
    let mut out = Vec::new();
    if from.is_dir() {
        let entries =
            std::fs::read_dir(from).map_err(|e| FicheError::Io(name_of(from), e.to_string()))?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "xml"))
            .filter(|path| path.file_stem().and_then(|s| s.to_str()).is_some_and(want))
            .collect();
        paths.sort();
        for path in paths {
            let size = std::fs::metadata(&path)
                .map_err(|e| FicheError::Io(name_of(&path), e.to_string()))?
                .len();
            if size > MAX_FICHE_BYTES {
                return Err(FicheError::TooLarge {
                    file: name_of(&path),
                });
            }
            let xml = std::fs::read_to_string(&path)
                .map_err(|e| FicheError::Io(name_of(&path), e.to_string()))?;
            out.push(parse_publication(&xml, &name_of(&path))?);
        }
        return Ok(out);
    }
    let file =
        std::fs::File::open(from).map_err(|e| FicheError::Io(name_of(from), e.to_string()))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| FicheError::Zip(name_of(from), e.to_string()))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(FicheError::Zip(name_of(from), "trop d'entrées".into()));
    }
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| FicheError::Zip(name_of(from), e.to_string()))?;
        if !entry.is_file() {
            continue;
        }
        let name = entry.name().to_owned();
        let base = name.rsplit('/').next().unwrap_or(&name);
        let Some(stem) = base.strip_suffix(".xml") else {
            continue;
        };
        if !want(stem) {
            continue;
        }
        let file = format!("{}:{name}", name_of(from));
        if entry.size() > MAX_FICHE_BYTES {
            return Err(FicheError::TooLarge { file });
        }
        let mut xml = String::new();
        (&mut entry)
            .take(MAX_FICHE_BYTES + 1)
            .read_to_string(&mut xml)
            .map_err(|e| FicheError::Io(file.clone(), e.to_string()))?;
        out.push(parse_publication(&xml, &file)?);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FICHE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Publication xmlns:dc="http://purl.org/dc/elements/1.1/" ID="F99" spUrl="https://www.service-public.fr/particuliers/vosdroits/F99">
<dc:title>Titre de test</dc:title><dc:subject>Papiers - Citoyenneté</dc:subject><dc:date>modified 2024-05-02</dc:date>
<FilDAriane><Niveau ID="Particuliers">Accueil particuliers</Niveau><Niveau ID="N1">Papiers</Niveau></FilDAriane>
<Introduction><Texte><Paragraphe>Vous pouvez <LienInterne LienPublication="F1">faire ceci</LienInterne> en mairie.</Paragraphe></Texte></Introduction>
<Texte><BlocCas affichage="onglet"><Cas><Titre><Paragraphe>Majeur</Paragraphe></Titre><Paragraphe>Premier cas .</Paragraphe><Tableau><Paragraphe>ignoré</Paragraphe></Tableau></Cas><Cas><Titre><Paragraphe>Mineur</Paragraphe></Titre><Paragraphe>Second.</Paragraphe></Cas></BlocCas></Texte>
<OuSAdresser ID="R1" type="Local"><Titre>Mairie</Titre><PivotLocal>mairie</PivotLocal></OuSAdresser>
<ServiceEnLigne ID="R2" URL="https://example.gouv.fr/teleservice" type="Téléservice"><Titre>Faire en ligne</Titre></ServiceEnLigne>
<QuestionReponse ID="F2">Comment faire si… ?</QuestionReponse>
</Publication>"#;

    #[test]
    fn reads_a_publication() {
        let fiche = parse_publication(FICHE, "F99.xml").unwrap();
        assert_eq!(fiche.id, "F99");
        assert_eq!(fiche.title, "Titre de test");
        assert_eq!(fiche.subjects, ["Papiers", "Citoyenneté"]);
        assert_eq!(fiche.date, NaiveDate::from_ymd_opt(2024, 5, 2));
        assert_eq!(fiche.breadcrumb, ["Accueil particuliers", "Papiers"]);
        assert_eq!(fiche.introduction, ["Vous pouvez faire ceci en mairie."]);
        assert_eq!(fiche.cases.len(), 2);
        assert_eq!(fiche.cases[0].title, "Majeur");
        assert_eq!(fiche.cases[0].paragraphs, ["Premier cas."]);
        assert_eq!(fiche.contacts[0].pivot.as_deref(), Some("mairie"));
        assert_eq!(fiche.services[0].url, "https://example.gouv.fr/teleservice");
        assert_eq!(fiche.questions, ["Comment faire si… ?"]);
    }

    /// Found by the `vosdroits_xml` fuzz target: a damaged `spUrl` made a draft that did not load.
    #[test]
    fn a_damaged_page_address_gives_way_to_the_canonical_one() {
        let damaged = FICHE
            .replace(r#"spUrl="https://"#, r#"spUrl="dhttps://"#)
            .replace(
                r#"URL="https://example.gouv.fr"#,
                r#"URL="http:/nulle-part"#,
            );
        let fiche = parse_publication(&damaged, "F99.xml").unwrap();
        assert_eq!(
            fiche.url,
            "https://www.service-public.fr/particuliers/vosdroits/F99"
        );
        assert!(fiche.services.is_empty(), "{:?}", fiche.services);
    }

    #[test]
    fn refuses_what_is_not_a_fiche() {
        assert!(matches!(
            parse_publication("<a/>", "x.xml"),
            Err(FicheError::NotPublication { .. })
        ));
        assert!(matches!(
            parse_publication("<Publication", "x.xml"),
            Err(FicheError::Xml { .. })
        ));
        assert!(matches!(
            parse_publication("<Publication ID=\"F1\"/>", "x.xml"),
            Err(FicheError::Missing { .. })
        ));
        // A DTD (entity expansion) is refused.
        let bomb = "<!DOCTYPE p [<!ENTITY a \"aaaa\">]><Publication ID=\"F1\">&a;</Publication>";
        assert!(parse_publication(bomb, "x.xml").is_err());
    }
}
