//! Questions to the assistant about itself: "c'est quoi votre prénom", "vous êtes un robot",
//! "vous aimez le foot". Callers test a voice that answers; the search read these words as a
//! request and found the fiche sharing one of them (changing one's first name for "votre
//! prénom", stray animals for "vous aimez les chats"). The robot says what it is and asks the
//! motive of the call, and that it can pass an agent. A request for a human ("je veux pas
//! parler à un robot") is read before ([`crate::intents::wants_human`]), in what is left once
//! these questions are set aside: "t'es un robot ou une vraie personne ?" is a question.

use std::sync::LazyLock;

use crate::intents::{Lexicon, words};

static ABOUT_THE_ASSISTANT: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "votre prénom",
        "ton prénom",
        "comment vous vous appelez",
        "vous vous appelez comment",
        "comment tu t'appelles",
        "tu t'appelles comment",
        "vous êtes un robot",
        "vous êtes une machine",
        "tu es un robot",
        "t'es un robot",
        "t'es une machine",
        "une intelligence artificielle",
        "vous êtes une vraie personne",
        "tu es une vraie personne",
        "t'es une vraie personne",
        "êtes-vous une vraie personne",
        "ou une vraie personne",
        "vous êtes un humain",
        "tu es un humain",
        "t'es un humain",
        "ou un humain",
        "c'est un robot",
        "c'est une machine",
        "je parle à un robot",
        "je parle à une machine",
        "vous êtes qui",
        "t'es qui",
        "qui êtes-vous",
        "vous aimez",
        "tu aimes",
        "tu préfères",
        "vous avez quel âge",
        "quel âge vous avez",
        "quel âge avez-vous",
        "t'as quel âge",
        "tu as quel âge",
        "quel âge tu as",
        "vous êtes mariée",
        "vous êtes marié",
        "vous faites des pauses",
        "vous dormez",
        "vous habitez où",
        "tu fais quoi de beau",
        "vous faites quoi de beau",
        "quoi de beau",
        "quoi de neuf",
    ])
});

/// Whether the caller asks the assistant about itself (see the module documentation).
pub fn asks_about_the_assistant(normalized: &str) -> bool {
    ABOUT_THE_ASSISTANT.found_in(&words(normalized))
}

/// The message without its questions to the assistant: "vous êtes une vraie personne ?" asks
/// what the robot is, and is not by itself a request for a human.
pub fn without_questions_to_the_assistant(normalized: &str) -> String {
    ABOUT_THE_ASSISTANT.removed_from(normalized)
}

#[cfg(test)]
mod tests {
    use guichet_knowledge::normalize;

    use super::*;

    #[test]
    fn questions_about_the_assistant_are_not_requests() {
        for text in [
            "euh c'est quoi votre prénom",
            "vous aimez les chats ou les chiens vous",
            "t'es un robot ou une vraie personne toi",
            "vous avez quel âge",
            "tu fais quoi de beau aujourd'hui toi",
        ] {
            assert!(asks_about_the_assistant(&normalize(text)), "{text}");
        }
        for text in [
            "je voudrais changer le prénom de mon fils",
            "à quel âge je peux partir à la retraite",
            "mon mari aime pas attendre",
            "les chats errants dans ma rue",
        ] {
            assert!(!asks_about_the_assistant(&normalize(text)), "{text}");
        }
    }
}
