//! An emergency in progress: whatever else the caller's words match, the emergency numbers
//! first.
//!
//! A standardiste who hears "elle est tombée, elle n'arrive plus à se relever" does not look
//! for the service that shares a word with the sentence (the cemetery's "tombe"): they say
//! "raccrochez et appelez le 15". The search cannot do that: the words of an emergency are
//! everyday words, and the topic they share with a fiche is an accident of the language.
//!
//! The phrases below describe, in the caller's words, what the emergency services (15, 17, 18,
//! 112) ask about first: a person whose vital functions fail (unconscious, not breathing,
//! choking, pain in the chest, a stroke or a fit happening, and the signs of a stroke said
//! without its name: a twisted mouth, speech gone), heavy bleeding or a deep wound, a fall
//! without getting up, poisoning (medicines, a household product, a button battery),
//! drowning, electrocution, a burn, a fire or an explosion, a road accident happening, and
//! violence happening now (a weapon, a fight, a break-in being attempted). A word that also
//! tells a past event or an administrative matter is never enough alone ("un accident du
//! travail", "il a eu un AVC l'an dernier", "blessé", "tombé", "l'incendie" of a lost document,
//! "la machine a avalé ma carte"): each phrase says the state itself, or the event with the
//! words that make it current. A smell or a leak of gas is one ("gaz" with a word of smelling or leaking
//! anywhere in the message: "ça sent très fort le gaz", "une odeur bizarre, je crois que c'est le
//! gaz"): the emergency fiche gives the gas emergency number beside the others (the energy
//! fiche keeps the meter, the contract, the bill).
//!
//! A person who speaks of taking their own life is the 3114's in the same way, whatever the
//! rest of the sentence: "mon fils dit qu'il veut mourir depuis qu'il a perdu son travail" is
//! not a matter for France Travail ([`line_for_danger_now`]).
//!
//! The same asymmetry holds for an unsure guess at one of the lines for a person in danger
//! (15, 119, 3919, 3114: [`is_danger_line`]): asking "vous appelez bien au sujet de :
//! violences conjugales ?" costs a caller in danger more than hearing a number they did not
//! need, so the number is given straight away, unless another such line is nearly as likely
//! ([`RIVAL_SHARE`]: a child beaten at home may be the 119's or the 3919's). A sure match on
//! one line with another one close behind ([`SECOND_LINE_SHARE`]) gives both
//! numbers: the first line's answer, then « vous pouvez aussi appeler… » the other's.

use std::sync::LazyLock;

use crate::intents::{Lexicon, words};
use crate::speech::WEEKDAYS;

/// The id of the national catalogue's emergency fiche (15, 17, 18, 112, 114).
pub const EMERGENCY_FICHE: &str = "urgences";

static EMERGENCY: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        // Consciousness.
        "inconscient",
        "inconsciente",
        "perdu connaissance",
        "sans connaissance",
        "évanoui",
        "évanouie",
        "s'est effondré",
        "s'est effondrée",
        "bouge plus",
        "ne bouge plus",
        // Breathing.
        "respire plus",
        "respire pas",
        "respire mal",
        "respire difficilement",
        "arrive plus à respirer",
        "arrive pas à respirer",
        "du mal à respirer",
        "il s'étouffe",
        "elle s'étouffe",
        // Heart, stroke, fits.
        "fait un malaise",
        "fait une crise cardiaque",
        "arrêt cardiaque",
        "douleur dans la poitrine",
        "douleur à la poitrine",
        "mal à la poitrine",
        "fait un avc",
        // The signs of a stroke (face, arm, speech) callers describe without naming it.
        "bouche de travers",
        "bouche tordue",
        "visage de travers",
        "visage paralysé",
        "parle plus normalement",
        "arrive plus à parler",
        "bras ne répond plus",
        "bras qui répond plus",
        "convulse",
        "convulsions",
        "crise d'épilepsie",
        // Bleeding, falls, injuries.
        "saigne",
        "saigne beaucoup",
        "hémorragie",
        "perd beaucoup de sang",
        "se relever",
        "se relève pas",
        "se relève plus",
        "plaie profonde",
        "plaie est profonde",
        "coupure profonde",
        "entaille profonde",
        "gravement blessé",
        "gravement blessée",
        "blessé grave",
        "blessée grave",
        // Poisoning, drowning, electrocution, burns.
        "intoxiqué",
        "intoxiquée",
        "intoxication",
        "empoisonné",
        "empoisonnée",
        "overdose",
        "avalé un produit",
        "avalé des médicaments",
        "avalé des cachets",
        "avalé une pile",
        "avalé des piles",
        "avalé du produit",
        "bu du produit",
        "avalé de la javel",
        "bu de la javel",
        "avalé de l'eau de javel",
        "bu de l'eau de javel",
        // Drowning, said of someone else: the caller who says "je suis noyé" is drowning in
        // debts or paperwork.
        "s'est noyé",
        "s'est noyée",
        "est noyé",
        "est noyée",
        "se noyer",
        "se noie",
        "noyade",
        "électrocuté",
        "électrocutée",
        "gravement brûlé",
        "gravement brûlée",
        "s'est brûlé",
        "s'est brûlée",
        "s'est ébouillanté",
        "s'est ébouillantée",
        "eau bouillante",
        "huile bouillante",
        // Fire, gas, explosion.
        "il y a le feu",
        "y a le feu",
        "pris feu",
        "prend feu",
        "en feu",
        "il y a un incendie",
        "y a un incendie",
        "explosion",
        "des flammes",
        "les flammes",
        "de la fumée qui sort",
        // A road accident happening ("il y a eu un accident" tells a past one).
        "il y a un accident",
        "y a un accident",
        "voiture dans le fossé",
        "voiture est dans le fossé",
    ])
});

/// Violence going on, unless the message dates it in the past ([`PAST`]).
static VIOLENCE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "au secours",
        "coups de feu",
        "avec un couteau",
        "avec une arme",
        "se battent",
        "en train de se battre",
        "en train de frapper",
        "en train de me frapper",
        "en train de cambrioler",
        "en train de voler",
        "en train de forcer",
        "en train de se faire frapper",
        "en train de se faire agresser",
        // A break-in being attempted ("essaie", not "a essayé": the accent-free spelling of
        // the past participle, "essaye", is left out).
        "essaie de forcer",
        "essaient de forcer",
        "essaie d'entrer chez",
        "essaient d'entrer chez",
        "essaie de rentrer chez",
        "essaient de rentrer chez",
    ])
});

/// Words that date what the caller tells in the past, or tell it as coming back night after
/// night: "mon voisin m'a menacé avec un couteau hier, je veux porter plainte" is a complaint to
/// file, "une femme crie au secours presque chaque nuit en face" the 3919's, not an emergency in
/// progress. Only looked for ("hier" covers "avant-hier" and "hier soir"). They date violence
/// only: "il a fait un AVC l'an dernier et là il refait un malaise" is an emergency, and so is
/// "elle est tombée ce matin, elle n'arrive plus à se relever".
static PAST: LazyLock<Lexicon> = LazyLock::new(|| {
    let past = [
        "hier",
        "l'autre jour",
        "l'autre soir",
        "la semaine dernière",
        "ce matin",
        "le week-end dernier",
        "le mois dernier",
        "l'an dernier",
        "l'année dernière",
        "chaque nuit",
        "chaque soir",
        "tous les soirs",
        "toutes les nuits",
    ];
    // A day named too: what is happening now is not dated ("il m'a menacé avec un couteau
    // dimanche" is told after the fact, to be recorded).
    Lexicon::new(&[&past[..], &WEEKDAYS[..]].concat())
});

/// The id of the national catalogue's suicide prevention fiche (3114).
pub const SUICIDE_PREVENTION_FICHE: &str = "prevention-suicide";

/// A person who speaks of taking their own life, in the words callers use ("il dit qu'il veut
/// mourir", "je pense à me foutre en l'air"). Said of oneself or of a relative, never as a past
/// event: "mon père s'est suicidé" (a death to declare) and "il menace de me tuer" (violence)
/// are not read.
static SUICIDAL: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "veux mourir",
        "veut mourir",
        "voulait mourir",
        "envie de mourir",
        "préfère mourir",
        "préférerais mourir",
        "veux me tuer",
        "vais me tuer",
        "envie de me tuer",
        "veut se tuer",
        "va se tuer",
        "parle de se tuer",
        "me suicider",
        "se suicider",
        "pensées suicidaires",
        "idées suicidaires",
        "idées noires",
        "veux en finir",
        "veut en finir",
        "vais en finir",
        "pense à en finir",
        "pensé à en finir",
        "penser à en finir",
        "envie d'en finir",
        "en finir avec la vie",
        "me foutre en l'air",
        "se foutre en l'air",
        "mettre fin à mes jours",
        "mettre fin à ses jours",
        "plus envie de vivre",
        "me jeter sous un train",
        "me jeter par la fenêtre",
        "me pendre",
        "se pendre",
        // The warning signs the 3114 teaches to hear, in callers' words: thinking of it
        // ("je pense à me tuer"), the means ("me tirer une balle", "sauter du pont"), no reason
        // left to live, being a burden ("personne me regretterait"), a farewell written, harm
        // done to oneself. Each says it of a person, never of a thing or a file.
        // "Pense à…", not "a cherché à me tuer" (violence) nor "commencé à me supprimer les
        // aides" (a file).
        "pense à me tuer",
        "pensé à me tuer",
        "penser à me tuer",
        "sérieusement à me tuer",
        "pense à se tuer",
        "compte se tuer",
        "pense à me supprimer",
        "envie de me supprimer",
        "me tirer une balle",
        "se tirer une balle",
        "sauter du pont",
        "sauter d'un pont",
        "sauter du toit",
        "sauter par la fenêtre",
        "me jeter du pont",
        "me jeter d'un pont",
        "envie de disparaître",
        "envie d'exister",
        "ne plus me réveiller",
        "jamais me réveiller",
        "arrêter de respirer",
        "continuer à vivre",
        "continuer de vivre",
        "raison de vivre",
        "à quoi bon vivre",
        "envie de tout arrêter",
        "décidé d'en terminer",
        "envie d'en terminer",
        "me laisser mourir",
        "se laisser mourir",
        "mieux sans moi",
        "personne me regretterait",
        "personne ne me regretterait",
        "personne la regretterait",
        "personne le regretterait",
        "lettre d'adieu",
        "lettres d'adieu",
        "mot d'adieu",
        "mots d'adieu",
        "message d'adieu",
        "messages d'adieu",
        "vais faire une bêtise",
        "me scarifie",
        "se scarifie",
        "me mutile",
        "se mutile",
    ])
});

/// The line a person in danger right now needs, whatever else the caller's words match, and
/// the rule that gives it: the emergency services for an emergency in progress, the 3114 for a
/// person who speaks of taking their own life (see the module documentation).
pub fn line_for_danger_now(normalized: &str) -> Option<(&'static str, &'static str)> {
    if is_emergency(normalized) {
        Some((EMERGENCY_FICHE, "emergency"))
    } else if SUICIDAL.found_in(&words(normalized)) {
        Some((SUICIDE_PREVENTION_FICHE, "suicidal_words"))
    } else {
        None
    }
}

/// The national catalogue's lines for a person in danger: emergencies, a child in danger,
/// violence against women, suicide prevention.
const DANGER_LINES: &[&str] = &[
    EMERGENCY_FICHE,
    "enfance-en-danger",
    "violences-femmes",
    SUICIDE_PREVENTION_FICHE,
];

/// A sure match on this line is never held back by the recorded questions' second opinion
/// (`Policy::second_opinion`): the helplines for a child in danger, for violence against women
/// and for suicide prevention. The emergency numbers' fiche is not among them: a caller in an
/// emergency is heard by the emergency words before any search ([`line_for_danger_now`]), and
/// what the search alone reads as an emergency is often one of its words in another matter
/// (« mon mari s'est cassé la jambe en tombant du tracteur, c'est quelle caisse qui paye son
/// arrêt »). Measured in the twenty-eighth pass (`docs/tuning-log.md`): over 7,369 scored
/// turns, 5 false answers fewer for 2 callers asking for the pharmacie de garde asked first.
pub fn is_never_doubted(fiche_id: &str) -> bool {
    is_danger_line(fiche_id) && fiche_id != EMERGENCY_FICHE
}

/// Least share of the best guess's confidence at which another danger line is a rival.
pub const RIVAL_SHARE: f32 = 0.7;

/// The fiche is one of the lines for a person in danger.
pub fn is_danger_line(fiche_id: &str) -> bool {
    DANGER_LINES.contains(&fiche_id)
}

/// The first line for a person in danger other than `best` that scores at least `least` (a
/// share of the best's confidence: [`RIVAL_SHARE`], [`SECOND_LINE_SHARE`]), if any.
pub fn other_danger_line<'h>(
    hits: &'h [guichet_knowledge::Hit],
    best: &str,
    least: f32,
) -> Option<&'h guichet_knowledge::Hit> {
    hits.iter().find(|hit| {
        hit.fiche_id != best && is_danger_line(&hit.fiche_id) && hit.confidence >= least
    })
}

/// Share of a sure line's confidence from which another line for a person in danger is given
/// too, after it ("mon compagnon me frappe… avec les petits": the 119 and the 3919). Swept over
/// the dev batches (turns given a second line / in how many that line was the one expected):
/// 0.7 16 / 3, **0.6 25 / 4**, 0.5 35 / 5, the last one adding the 3919 to a farmer's fall from
/// his tractor.
pub const SECOND_LINE_SHARE: f32 = 0.6;

/// Least confidence at which the search's match is kept before a helpline the recorded
/// questions lead with (`best_match::recorded_line`): the search all but certain of its match
/// (« un enfant se fait frapper chez lui » is the 119's at 1.0, whatever the 3919's recorded
/// callers say of « frapper »). Swept in the twenty-ninth pass (`docs/tuning-log.md`): any
/// value from 0.65 to 0.9 keeps that one match and no other.
pub const CERTAIN_MATCH: f32 = 0.8;

/// A thing that no longer moves ("mon dossier, ça bouge plus"): "bouge plus" of a person is an
/// emergency, of a file or an account it is a delay. Taken out of the message before
/// [`EMERGENCY`] is looked for.
static STUCK: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "ça bouge plus",
        "ça ne bouge plus",
        "ça bouge pas",
        "ça ne bouge pas",
        "rien ne bouge",
        "rien bouge",
    ])
});

/// Words that, beside "gaz", tell a smell or a leak.
const GAS_SIGNS: &[&str] = &["sent", "sens", "sentir", "odeur", "fuite", "fuit"];

/// The caller describes an emergency in progress (see the module documentation).
fn is_emergency(normalized: &str) -> bool {
    let said = words(normalized);
    let gas = said.contains(&"gaz") && said.iter().any(|word| GAS_SIGNS.contains(word));
    gas || EMERGENCY.found_in(&words(&STUCK.removed_from(normalized)))
        || (VIOLENCE.found_in(&said) && !PAST.found_in(&said))
}

#[cfg(test)]
mod tests {
    use super::*;
    use guichet_knowledge::normalize;

    fn emergency(text: &str) -> bool {
        is_emergency(&normalize(text))
    }

    #[test]
    fn a_person_in_danger_now_is_an_emergency() {
        for text in [
            "ma grand-mère est tombée, elle n'arrive plus à se relever",
            "il ne respire plus",
            "il y a une odeur de gaz dans la cage d'escalier",
            "ça sent le gaz très fort dans la rue",
            "ça sent très fort le gaz dans la cage d'escalier",
            "je crois qu'il y a une fuite, ça doit être le gaz",
            "mon voisin a perdu connaissance dans l'escalier",
            "mon père fait un malaise",
            "elle saigne beaucoup",
            "au secours il y a le feu",
            "quelqu'un est en train de cambrioler chez le voisin",
            "ils se battent avec un couteau devant l'école",
            "hier il est tombé et là il saigne beaucoup",
            "mon mari a la bouche tordue et il arrive plus à parler",
            "la petite a avalé une pile de la télécommande",
            "mon grand-père a bu de la javel il a confondu avec l'eau",
            "le bébé s'est renversé de l'eau bouillante sur le bras",
            "ma mère est par terre dans la cuisine elle se relève pas",
            "y a un accident devant chez moi un motard est par terre",
            "il y a des flammes qui sortent de la cave de l'immeuble",
            "deux types essaient de forcer la porte du garage",
            "quelqu'un essaie de rentrer chez ma mère par le balcon",
            "le petit est en train de se noyer dans la piscine",
            "venez vite un enfant s'est noyé dans le lac",
            "mon mari est par terre il bouge plus",
            "ça fait une heure qu'elle ne bouge plus",
        ] {
            assert!(emergency(text), "{text}");
        }
    }

    #[test]
    fn a_past_event_or_a_matter_to_declare_is_no_emergency() {
        for text in [
            "quelqu'un a essayé de forcer ma porte la semaine dernière je veux porter plainte",
            "il y a eu un accident de voiture le mois dernier il me faut le constat",
            "je voudrais une attestation pour un accident du travail",
            "j'essaie de rentrer dans mon espace en ligne et ça marche pas",
            "mon fils s'est blessé au foot il lui faut un certificat",
            "avec les crédits je suis noyé je sais plus comment rembourser",
            "je suis noyée sous la paperasse",
            // Violence told as coming back night after night: not happening now.
            "une femme crie au secours presque chaque nuit dans l'immeuble d'en face",
        ] {
            assert!(!emergency(text), "{text}");
        }
        // A person's state may be going on whenever it began: never dated away.
        for text in [
            "elle est tombée ce matin, elle n'arrive plus à se relever",
            "il a fait un avc l'an dernier et là il refait un malaise, il respire plus",
            "ça sent le gaz dans l'escalier tous les soirs",
        ] {
            assert!(emergency(text), "{text}");
        }
    }

    #[test]
    fn a_person_who_speaks_of_taking_their_life_needs_the_3114() {
        let line = |text: &str| line_for_danger_now(&normalize(text)).map(|(fiche, _)| fiche);
        for text in [
            "mon fils il dit qu'il veut mourir depuis qu'il a perdu son travail",
            "des fois je pense à me foutre en l'air",
            "j'ai des idées noires tout le temps",
            // The warning signs, in other words.
            "le soir je pense à me tirer une balle",
            "elle m'a laissé un message d'adieu sur mon répondeur",
            "franchement je vois plus aucune raison de vivre",
            "mon fils de seize ans se scarifie les avant-bras",
            "il répète que tout le monde serait mieux sans moi, qu'il dit",
        ] {
            assert_eq!(line(text), Some(SUICIDE_PREVENTION_FICHE), "{text}");
        }
        assert_eq!(
            line("il a avalé des cachets, il veut mourir"),
            Some(EMERGENCY_FICHE)
        );
        for text in [
            "mon père s'est suicidé, il me faut l'acte de décès",
            "mon mari menace de me tuer",
            "ma mère vient de mourir à l'hôpital",
            "le voisin a cherché à me tuer avec sa voiture",
            "la caisse a commencé à me supprimer les aides au logement",
            "pour continuer à recevoir mes allocations que faut-il faire",
        ] {
            assert_eq!(line(text), None, "{text}");
        }
    }

    #[test]
    fn another_danger_line_nearly_as_likely_is_a_rival() {
        let hit = |fiche_id: &str, confidence: f32| guichet_knowledge::Hit {
            fiche_id: fiche_id.to_owned(),
            score: 1.0,
            confidence,
            keyword_concepts: 0,
        };
        assert!(is_danger_line("violences-femmes") && !is_danger_line("cimetiere-concession"));
        let hits = [
            hit("violences-femmes", 0.30),
            hit("enfance-en-danger", 0.25),
        ];
        assert_eq!(
            other_danger_line(&hits, "violences-femmes", 0.30 * RIVAL_SHARE)
                .map(|hit| hit.fiche_id.as_str()),
            Some("enfance-en-danger")
        );
        let hits = [
            hit("violences-femmes", 0.30),
            hit("enfance-en-danger", 0.15),
        ];
        assert!(other_danger_line(&hits, "violences-femmes", 0.30 * RIVAL_SHARE).is_none());
        let hits = [
            hit("violences-femmes", 0.30),
            hit("cimetiere-concession", 0.29),
        ];
        assert!(other_danger_line(&hits, "violences-femmes", 0.30 * RIVAL_SHARE).is_none());
    }

    #[test]
    fn a_past_event_or_a_shared_word_is_not() {
        for text in [
            "on a perdu notre livret de famille dans l'incendie",
            "le distributeur a avalé ma carte",
            "mon mari a eu un AVC l'an dernier, on voudrait une aide pour le handicap",
            "ma femme s'est blessée sur le chantier, c'est un accident du travail",
            "ma mère a failli tomber sur le trottoir défoncé",
            "la concession de ma grand-mère au cimetière arrive à la fin",
            "mon conseiller ne répond plus",
            "je viens d'emménager, il faut ouvrir le compteur de gaz",
            "ma facture de gaz a doublé",
            "je voudrais changer de fournisseur de gaz",
            "mon voisin m'a menacé avec un couteau hier, je veux porter plainte",
            "on s'est fait agresser avec une arme la semaine dernière",
            "avant-hier soir il m'a menacé avec un couteau",
            "mon voisin m'a menacé avec un couteau dimanche, je veux que ce soit enregistré",
            "j'ai déposé mon dossier il y a six mois et ça bouge plus",
            "ma demande de logement, rien ne bouge depuis un an",
        ] {
            assert!(!emergency(text), "{text}");
        }
    }
}
