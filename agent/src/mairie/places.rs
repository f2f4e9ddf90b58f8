//! Where and when of the commune's other places, from `commune.toml`: the mairie's other sites
//! (`[services.*]`: « la mairie annexe du Valibout, elle ouvre quand ? ») and the local offices
//! of its partners (« la CAF de Trappes c'est où ? »), which `commune init` fills from the
//! Annuaire. A site's question is answered with that site, never with the main mairie's address
//! or hours; what the file does not give is said so, with the site's number. A partner's is
//! answered within its deflection (see `answer.rs`): the body in charge, then its address or
//! its hours when the caller asked.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use guichet_knowledge::text::{is_generic_word, is_stop_word};
use guichet_knowledge::{Partner, Schedule, names, normalize};

use super::opening::{Gender, Hours, WHEN};
use super::whereabouts::WHERE;
use super::{MAIRIE, asks_of_the_mairie};
use crate::intents::{Lexicon, words};
use crate::speech::phone_in_words;
use crate::turn::TurnInProgress;

/// The decision rule of an answer about one of the mairie's other sites.
const RULE: &str = "mairie_site";

/// A site of the mairie other than the main one, named as such.
static ANNEXE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "annexe",
        "annexes",
        "mairie de quartier",
        "mairie déléguée",
        "mairie annexe",
    ])
});

/// Asking where a partner's office is, in a question about its matter. Stricter than the
/// mairie's [`WHERE`], which only counts with the mairie named: « où est » folds into the « ou
/// c'est » of "or is it" (« je la fais moi ou c'est la maternité »), « le chemin » is a path.
static OFFICE_WHERE: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "c'est où",
        "il est où",
        "elle est où",
        "c'est situé où",
        "se trouve",
        "se situe",
        "quelle adresse",
        "leur adresse",
        "son adresse",
        "l'adresse de",
        "l'adresse du",
        "l'adresse des",
        "adresse postale",
        "quelle rue",
        "où aller",
        "où il faut aller",
        "où je dois aller",
        "où je vais",
        "où on va",
    ])
});

/// Asking when a partner's office is open, in a question about its matter: its hours and the
/// verbs of opening, not « fermé » alone (« mes droits sont fermés » is the matter), nor the
/// caller's own hours (« mes horaires à l'usine »).
static OFFICE_WHEN: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::new(&[
        "les horaires",
        "leurs horaires",
        "ses horaires",
        "quels horaires",
        "horaires d'ouverture",
        "heures d'ouverture",
        "jours d'ouverture",
        "à quelle heure",
        "jusqu'à quelle heure",
        "c'est ouvert",
        "est ouvert",
        "est ouverte",
        "sont ouverts",
        "ouvre",
        "ouvrent",
        "ouvrira",
        "ferme à",
        "ferment",
        "fermera",
    ])
});

/// The words of a site's name and key that tell it from the mairie: not its generic words, nor
/// the commune's name, nor the mairie's (« Mairie annexe du Valibout - Plaisir » → valibout).
fn own_words(key: &str, site: &Partner, commune: &str) -> Vec<String> {
    let commune = normalize(commune);
    let commune: Vec<&str> = words(&commune);
    let name = normalize(&format!("{} {}", site.name, key.replace('_', " ")));
    let stripped = ANNEXE.removed_from(&MAIRIE.removed_from(&name));
    let mut own: Vec<String> = words(&stripped)
        .into_iter()
        .filter(|word| {
            word.chars().count() > 2
                && !is_stop_word(word)
                && !is_generic_word(word)
                && !commune.contains(word)
        })
        .map(str::to_owned)
        .collect();
    own.sort();
    own.dedup();
    own
}

impl TurnInProgress<'_> {
    /// The sites the message names: by their own words with « annexe », or with « mairie »
    /// when the word is not a topic of the folder; else every site when it says « annexe »
    /// alone. Empty when it names none (the main mairie).
    fn named_sites(&self) -> Vec<(String, Partner, Vec<String>)> {
        let commune = self.kb().commune();
        let said = words(&self.text);
        let says_annexe = ANNEXE.found_in(&said);
        if !says_annexe && !MAIRIE.found_in(&said) {
            return Vec::new();
        }
        let sites: Vec<(String, Partner, Vec<String>)> = commune
            .services
            .iter()
            .map(|(key, site)| {
                let own = own_words(key, site, &commune.name);
                (key.clone(), site.clone(), own)
            })
            .collect();
        // Without « annexe », a word of the site's name that is also a topic (« la mairie c'est
        // où, près du marché ? » for a « Mairie annexe du Marché ») does not name it.
        let names_it =
            |word: &str| said.contains(&word) && (says_annexe || !self.sure_of_a_topic(word));
        let named: Vec<_> = sites
            .iter()
            .filter(|(_, _, own)| own.iter().any(|word| names_it(word)))
            .cloned()
            .collect();
        if named.is_empty() && says_annexe {
            sites
        } else {
            named
        }
    }

    /// Answers where or when one of the mairie's other sites is open, when the message names
    /// one and is not about another topic (see [`TurnInProgress::answers_about_the_mairie`]).
    /// The main mairie's rules do not answer it: its address is not the site's.
    pub(super) fn answers_about_a_site(&mut self, understood: bool) -> Option<bool> {
        let said = words(&self.text);
        let (asks_where, asks_when) = (WHERE.found_in(&said), WHEN.found_in(&said));
        if !asks_where && !asks_when {
            return None;
        }
        let sites = self.named_sites();
        if sites.is_empty() {
            return None;
        }
        if understood {
            let mut rest = ANNEXE.removed_from(&MAIRIE.removed_from(&self.text));
            rest = WHEN.removed_from(&WHERE.removed_from(&rest));
            let own: Vec<&str> = sites
                .iter()
                .flat_map(|(_, _, own)| own.iter().map(String::as_str))
                .collect();
            let rest: Vec<&str> = words(&rest)
                .into_iter()
                .filter(|word| !own.contains(word))
                .collect();
            if self.sure_of_a_topic(&rest.join(" ")) {
                return Some(false);
            }
        }
        let mut sentences = Vec::new();
        let mut written = Vec::new();
        for (key, site, _) in &sites {
            let details = Details::of(
                &site.name,
                asks_where.then_some(site.postal_address.as_deref()),
                asks_when.then(|| self.kb().service_hours(key)),
                self.ctx.now,
            );
            sentences.extend(details.said);
            written.extend(sms_line(&site.name, details.written));
            if details.missing {
                let named = names::with_article(&site.name);
                sentences.push(match &site.phone {
                    Some(phone) => format!(
                        "Je n'ai pas cette information pour {named} ; vous pouvez l'appeler au {}.",
                        phone_in_words(phone)
                    ),
                    None => format!("Je n'ai pas cette information pour {named}."),
                });
            }
        }
        self.answer_from_commune_toml(
            RULE,
            "adresse ou horaires d'un site de la mairie donnés",
            sentences.join(" "),
            written.join(" ; "),
            "Je vous envoie ces informations par SMS.",
        );
        Some(true)
    }

    /// What the caller asked of a partner's office, when its matter is being deflected to it:
    /// its address (« c'est où »), its hours (« ouvert le samedi ? »), as `commune.toml` gives
    /// them. Empty when the message asks neither, or the file says nothing of it.
    pub fn office_details(&self, partner: &Partner) -> Details {
        let said = words(&self.text);
        // « l'adresse de la mairie », « la mairie ouvre quand » ask of the mairie, not of it.
        let asks_where = OFFICE_WHERE.found_in(&said) && !asks_of_the_mairie(&WHERE, &self.text);
        let asks_when = OFFICE_WHEN.found_in(&said) && !asks_of_the_mairie(&WHEN, &self.text);
        Details::of(
            &partner.name,
            asks_where.then_some(partner.postal_address.as_deref()),
            asks_when.then(|| self.kb().partner_hours(&partner.key)),
            self.ctx.now,
        )
    }
}

/// One line of an SMS about a place: its name, then what is written of it (a number, a site,
/// its address, its hours): « CAF : 1 avenue… - horaires lun.-ven. 8h30-12h30. ». `None`
/// when there is nothing to write.
pub fn sms_line(name: &str, parts: Vec<String>) -> Option<String> {
    (!parts.is_empty()).then(|| format!("{name} : {}", parts.join(" - ")))
}

/// A place's address and hours, as asked: said, and written for an SMS.
#[derive(Debug, Default)]
pub struct Details {
    /// « La CAF se trouve à l'adresse suivante : … », « En ce moment, l'accueil de… ».
    pub said: Vec<String>,
    /// « 1 avenue… », « horaires lun.-ven. 8h30-12h30. », for [`sms_line`].
    pub written: Vec<String>,
    /// Something asked that the file does not give.
    pub missing: bool,
}

impl Details {
    /// `address` and the place's `schedule` (its hours at `now`): `None` when not asked,
    /// `Some(None)` when asked and unknown.
    fn of(
        name: &str,
        address: Option<Option<&str>>,
        schedule: Option<Option<&Schedule>>,
        now: DateTime<Utc>,
    ) -> Details {
        let hours =
            schedule.map(|schedule| schedule.and_then(|s| Hours::of(s, now, Gender::Masculine)));
        let mut details = Details::default();
        match address {
            Some(Some(address)) => {
                details.said.push(format!(
                    "{} se trouve à l'adresse suivante : {address}.",
                    capitalised(&names::with_article(name))
                ));
                details.written.push(address.to_owned());
            }
            Some(None) => details.missing = true,
            None => {}
        }
        match hours {
            Some(Some(hours)) => {
                details.said.push(format!(
                    "En ce moment, l'accueil {} {}",
                    names::of(name),
                    hours.said
                ));
                details.written.push(format!("horaires {}", hours.written));
            }
            Some(None) => details.missing = true,
            None => {}
        }
        details
    }
}

/// The first letter in capitals, to open a sentence.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_told_by_the_words_the_mairie_does_not_share() {
        let site = Partner {
            key: "mairie_annexe_du_valibout".into(),
            name: "Mairie annexe du Valibout - Plaisir".into(),
            ..Default::default()
        };
        assert_eq!(own_words(&site.key, &site, "Plaisir"), ["valibout"]);
    }

    #[test]
    fn what_is_asked_of_an_office() {
        let asks = |lexicon: &Lexicon, text: &str| lexicon.found_in(&words(&normalize(text)));
        for text in [
            "le commissariat il est où",
            "c'est où qu'on dépose le dossier",
            "la CAF de Trappes se trouve dans quelle rue",
            "je cherche l'adresse de la CPAM",
        ] {
            assert!(asks(&OFFICE_WHERE, text), "{text}");
        }
        for text in [
            "il faut que je la fasse moi ou c'est la maternité",
            "y a des gravats dans le chemin derrière chez moi",
            "je paie mes impôts, c'est quoi le chemin pour devenir français",
        ] {
            assert!(!asks(&OFFICE_WHERE, text), "{text}");
        }
        for text in [
            "la CAF elle est ouverte le samedi",
            "le centre des impôts ouvre à quelle heure",
            "c'est quoi les horaires de la gendarmerie",
        ] {
            assert!(asks(&OFFICE_WHEN, text), "{text}");
        }
        for text in [
            "à la pharmacie on me dit que mes droits sont fermés",
            "mes horaires à l'usine démarrent à six heures",
        ] {
            assert!(!asks(&OFFICE_WHEN, text), "{text}");
        }
    }

    #[test]
    fn sentences_open_with_a_capital() {
        assert_eq!(capitalised("la mairie annexe"), "La mairie annexe");
        assert_eq!(capitalised("écoles"), "Écoles");
        assert_eq!(capitalised(""), "");
    }
}
