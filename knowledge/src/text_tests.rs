use super::*;

#[test]
fn normalize_folds_elides_and_strips_punctuation() {
    assert_eq!(normalize("Qu'est-ce que l'État ?"), "est ce que etat");
    assert_eq!(normalize("  Carte d’IDENTITÉ!! "), "carte identite");
    assert_eq!(
        normalize("aujourd'hui, j'ai perdu mon œuf"),
        "aujourdhui ai perdu mon oeuf"
    );
    assert_eq!(normalize("il est expiré."), "il est expire");
    assert_eq!(normalize(""), "");
}

#[test]
fn normalize_joins_spelled_acronyms() {
    assert_eq!(normalize("les règles du P. L. U."), "les regles du plu");
    assert_eq!(normalize("une demande de r s a"), "une demande de rsa");
    assert_eq!(normalize("l'a p a"), "apa");
    assert_eq!(normalize("il y a t il"), "il y a t il");
    assert_eq!(normalize("je n a pas"), "je n a pas");
}

#[test]
fn terms_drop_fillers_and_stem() {
    assert_eq!(
        terms("Euh bonjour madame, je voudrais renouveler mon passeport s'il vous plaît"),
        vec!["renouvel", "passeport"]
    );
    assert_eq!(terms("renouvellement"), terms("renouveler"));
    assert_eq!(terms("carte d'identité"), terms("CARTE IDENTITE"));
    assert!(terms("bah alors voilà euh").is_empty());
    // Intensifiers say how much, never what.
    assert_eq!(terms("t'es complètement débile"), terms("t'es débile"));
    // Nor do a text message's abbreviations, interjections, or the framing verbs' other
    // forms: unknown to the fiches, they weighed as the rarest words of the folder.
    assert_eq!(
        terms("bjr cmt refaire ma carte grise svp"),
        terms("refaire ma carte grise")
    );
    assert_eq!(
        terms("ah on m'a dit qu'il faudrait un acte de naissance"),
        terms("un acte de naissance")
    );
    assert_eq!(terms("ils veulent pas me payer"), terms("pas me payer"));
}

#[test]
fn words_whose_stems_collide_stay_apart() {
    // Cutting is not a blow ("ça coupe" must not find the violence lines' "coups"), a
    // building is not a blow, loitering is not a train.
    for (one, other) in [
        ("mairie", "maire"),
        ("ça coupe", "des coups"),
        ("le bâtiment", "il me bat"),
        ("faire bâtir", "il la bat"),
        ("un chien qui traîne", "un chien train"),
        ("des rats", "raté"),
        ("ça a monté", "le montant"),
        ("des punaises", "il est puni"),
        ("l'armée", "une arme"),
        ("faire garder mon bébé", "le médecin de garde"),
        ("la gare", "un garant"),
    ] {
        assert_ne!(terms(one), terms(other), "{one} / {other}");
    }
    for (one, same) in [
        ("mairies", "mairie"),
        ("bâtiments", "bâtiment"),
        ("ils traînent", "il traîne"),
        ("j'ai raté", "rater"),
        ("tagué", "un tag"),
        ("des garants", "une garante"),
    ] {
        assert_eq!(terms(one), terms(same), "{one} / {same}");
    }
    assert_eq!(
        terms("on m'a coupé l'électricité"),
        terms("couper électricité")
    );
    // "parce que" is a conjunction, not a park.
    assert!(terms("parce que").is_empty());
    assert_eq!(terms("le parc"), vec!["parc"]);
}

#[test]
fn each_stop_or_filler_word_is_listed_once() {
    let mut seen = HashSet::new();
    for word in STOP_WORDS.iter().chain(FILLER_WORDS) {
        assert!(seen.insert(word), "« {word} » is listed twice");
    }
}

#[test]
fn elided_words_written_apart_are_stop_words() {
    // Transcripts drop the apostrophe: "c est", "qu il", "jusqu au".
    assert_eq!(
        terms("c est pour un acte de décès"),
        terms("c'est pour un acte de décès")
    );
    assert_eq!(terms("qu il a perdu"), terms("qu'il a perdu"));
    assert!(ELIDED.iter().all(|word| is_stop_word(word)));
}

#[test]
fn hedges_are_stop_words_but_not_the_words_they_resemble() {
    // "je crois que", "je pense que" soften a request: the question "je crois qu'un enfant
    // est maltraité" must not make "croisés" (a crossword) find the 119.
    assert_eq!(
        terms("je crois que j'ai perdu mon passeport"),
        terms("j'ai perdu mon passeport")
    );
    assert_eq!(
        terms("je pense qu'il faut un acte"),
        terms("il faut un acte")
    );
    assert!(!terms("des pensées suicidaires").is_empty());
    assert!(!terms("mots croisés").is_empty());
}

#[test]
fn an_interjection_drawn_out_is_a_filler_but_a_word_is_not_squeezed() {
    for word in ["hmmm", "hmmmm", "euhhh", "heuuu", "pffff", "bahhh", "ahhhh"] {
        assert!(is_stop_word(word), "{word}");
    }
    for word in ["homme", "hommes", "passeport", "allocation"] {
        assert!(!is_stop_word(word), "{word}");
    }
}
