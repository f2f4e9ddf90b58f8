//! The starter pack: the national procedures a mairie is asked about most, each a local fiche id
//! bound to a service-public.fr fiche (`F…`), with the ways callers ask it; and the clarifying
//! groups (a passport: lost, stolen, expired or first?). Shipped as `starter-pack.toml` beside this
//! crate, editable: `guichet kb import service-public --pack FILE` reads another one.

use serde::Deserialize;

/// The pack shipped with guichet.
pub const SHIPPED: &str = include_str!("../starter-pack.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterPack {
    #[serde(default, rename = "fiche")]
    pub fiches: Vec<StarterFiche>,
    #[serde(default, rename = "group")]
    pub groups: Vec<StarterGroup>,
}

/// One procedure: a local fiche drawn from a national one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterFiche {
    /// The local fiche id (`passeport-renouvellement`).
    pub id: String,
    /// The service-public.fr fiche (`F21091`).
    pub source: String,
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Overrides the competence guessed from `OuSAdresser` (e.g. waste: the intercommunality).
    pub competence: Option<String>,
    /// The partner key with `competence` (default: the competence's name).
    pub partner: Option<String>,
}

/// A fiche that only asks which case applies.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterGroup {
    pub id: String,
    pub title: String,
    pub question: String,
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub options: Vec<StarterOption>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterOption {
    pub goto: String,
    pub answers: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("pack de démarrage illisible : {0}")]
    Toml(String),
    #[error("pack de démarrage : {0}")]
    Invalid(String),
}

impl StarterPack {
    pub fn shipped() -> Self {
        Self::parse(SHIPPED).expect("the shipped starter pack is valid (tested)")
    }

    pub fn parse(text: &str) -> Result<Self, PackError> {
        let pack: StarterPack =
            toml::from_str(text).map_err(|error| PackError::Toml(error.to_string()))?;
        let mut ids = std::collections::BTreeSet::new();
        for id in pack
            .fiches
            .iter()
            .map(|fiche| &fiche.id)
            .chain(pack.groups.iter().map(|group| &group.id))
        {
            let valid = !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(PackError::Invalid(format!(
                    "identifiant « {id} » invalide : lettres minuscules sans accent, chiffres et tirets"
                )));
            }
            if !ids.insert(id.clone()) {
                return Err(PackError::Invalid(format!(
                    "identifiant « {id} » en double"
                )));
            }
        }
        for fiche in &pack.fiches {
            let valid = fiche.source.starts_with('F')
                && fiche.source.len() > 1
                && fiche.source[1..].chars().all(|c| c.is_ascii_digit());
            if !valid {
                return Err(PackError::Invalid(format!(
                    "« {} » : fiche source « {} » invalide (attendu F suivi de chiffres)",
                    fiche.id, fiche.source
                )));
            }
        }
        for group in &pack.groups {
            for option in &group.options {
                if !pack.fiches.iter().any(|fiche| fiche.id == option.goto) {
                    return Err(PackError::Invalid(format!(
                        "groupe « {} » : l'option mène à « {} », absente du pack",
                        group.id, option.goto
                    )));
                }
            }
        }
        Ok(pack)
    }

    /// The service-public.fr ids the pack needs.
    pub fn sources(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.fiches.iter().map(|f| f.source.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_pack_is_valid() {
        let pack = StarterPack::parse(SHIPPED).unwrap();
        assert!(pack.fiches.len() >= 30, "{}", pack.fiches.len());
        assert!(pack.groups.iter().any(|group| group.id == "passeport"));
    }

    #[test]
    fn a_group_pointing_nowhere_is_refused() {
        let text = "[[group]]\nid = \"g\"\ntitle = \"G\"\nquestion = \"?\"\n\
                    options = [{ goto = \"absent\", answers = [\"a\"] }]\n";
        assert!(StarterPack::parse(text).is_err());
        assert!(StarterPack::parse("[[fiche]]\nid = \"A\"\nsource = \"F1\"\n").is_err());
        assert!(StarterPack::parse("[[fiche]]\nid = \"a\"\nsource = \"X1\"\n").is_err());
    }
}
