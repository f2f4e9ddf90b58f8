//! Fuzz target `vosdroits_xml`: service-public.fr fiches (DILA's `Publication` XML) through
//! `guichet_opendata::parse_publication`, then the draft fiche written from them.
//!
//! Any input is refused with a message or read; a draft written from a fiche read is a valid
//! fiche for the knowledge loader, with a spoken answer of at most three sentences.

use guichet_fuzz::ensure;
use guichet_opendata::draft::render_fiche;
use guichet_opendata::parse_publication;
use guichet_opendata::starter::StarterFiche;
use proptest::prelude::*;
use proptest::sample::select;

const TARGET: &str = "vosdroits_xml";

const WORDS: &[&str] = &[
    "<Publication ID=\"F1\">",
    "</Publication>",
    "<dc:title>",
    "</dc:title>",
    "<Introduction><Texte><Paragraphe>",
    "</Paragraphe></Texte></Introduction>",
    "<BlocCas><Cas><Titre><Paragraphe>A</Paragraphe></Titre>",
    "</Cas></BlocCas>",
    "<OuSAdresser><Titre>Préfecture</Titre><PivotLocal>prefecture</PivotLocal></OuSAdresser>",
    "<ServiceEnLigne URL=\"https://a.gouv.fr\" type=\"Téléservice\"><Titre>x</Titre></ServiceEnLigne>",
    "<QuestionReponse ID=\"F2\">Q ?</QuestionReponse>",
    "<dc:date>modified 2024-01-01</dc:date>",
    "<!DOCTYPE x [<!ENTITY a \"b\">]>",
    "&amp;",
    "Cliquez ici. ",
    "Une phrase qui se dit bien au téléphone. ",
    ":",
];

fn fresh() -> BoxedStrategy<Vec<u8>> {
    let sentence = select(
        &[
            "Vous devez vous adresser à la mairie.",
            "Cliquez ici pour la liste.",
            "Les conditions sont les suivantes :",
            "M. le maire signe.",
            "",
            "« Entre guillemets » et <MiseEnEvidence>gras</MiseEnEvidence>.",
        ][..],
    );
    (
        proptest::collection::vec(sentence.clone(), 0..5),
        proptest::collection::vec(sentence, 0..3),
        select(&["mairie", "prefecture", "caf", "", "inconnu"][..]),
        select(&["Titre", "", "  ", "T & co"][..]),
    )
        .prop_map(|(intro, case, pivot, title)| {
            format!(
                "<Publication xmlns:dc=\"http://purl.org/dc/elements/1.1/\" ID=\"F9\">\
                 <dc:title>{}</dc:title><Introduction><Texte><Paragraphe>{}</Paragraphe></Texte></Introduction>\
                 <Texte><BlocCas><Cas><Titre><Paragraphe>A</Paragraphe></Titre><Paragraphe>{}</Paragraphe></Cas></BlocCas></Texte>\
                 <OuSAdresser><Titre>X</Titre><PivotLocal>{pivot}</PivotLocal></OuSAdresser></Publication>",
                title.replace('&', "&amp;"),
                intro.join(" "),
                case.join(" ")
            )
            .into_bytes()
        })
        .boxed()
}

fn check(input: &[u8]) -> Result<(), String> {
    let Ok(xml) = std::str::from_utf8(input) else {
        return Ok(());
    };
    let Ok(publication) = parse_publication(xml, "fuzz.xml") else {
        return Ok(());
    };
    let entry = StarterFiche {
        id: "essai".into(),
        source: publication.id.clone(),
        questions: vec!["une question".into()],
        keywords: vec![],
        competence: None,
        partner: None,
    };
    let partners = ["prefecture".to_owned(), "caf".to_owned()]
        .into_iter()
        .collect();
    let draft = render_fiche(&entry, &publication, &partners);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::create_dir(dir.path().join("fiches")).map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("fiches/essai.md"), &draft.text).map_err(|e| e.to_string())?;
    let report = guichet_knowledge::check(dir.path());
    let problems: Vec<String> = report
        .errors()
        .map(|p| p.to_string())
        .filter(|p| p.contains("essai.md"))
        .collect();
    ensure(problems.is_empty(), || {
        format!("the draft does not load: {problems:?}\n{}", draft.text)
    })?;
    let body = draft.text.rsplit("---\n").next().unwrap_or_default();
    ensure(body.matches(". ").count() <= 3, || {
        format!("too many sentences: {body}")
    })
}

#[test]
fn vosdroits_fiches() {
    guichet_fuzz::fuzz_bytes(TARGET, WORDS, fresh(), check);
}
