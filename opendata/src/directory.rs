//! DILA's national directory of public services ("Annuaire de l'administration", the "base de
//! données locales" published on data.gouv.fr): its JSON export read into [`ServiceRecord`]s.
//!
//! The export is `{"service": [record, …]}` (the API answers `{"results": […]}`, and a bare array
//! is accepted too). A record holds `id`, `nom`, `code_insee_commune`, `pivot` (`[{
//! "type_service_local": "mairie", "code_insee_commune": ["78490", …] }]`: the kind of office and
//! the communes it serves), `adresse` (`[{ "type_adresse", "numero_voie", "complement1",
//! "code_postal", "nom_commune" }]`), `telephone` (`[{ "valeur", "description" }]`),
//! `adresse_courriel` (a string or a list), `site_internet` (`[{ "libelle", "valeur" }]`) and
//! `plage_ouverture` (see [`crate::hours`]). Depending on the export, the nested fields are JSON
//! values or JSON text inside a string: both are accepted.

use serde_json::Value;

/// Largest directory file read (the national export is about 400 MB; a département's is far less).
pub const MAX_DIRECTORY_BYTES: usize = 1 << 30;

/// A directory file that cannot be used, with the record and field at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DirectoryError {
    #[error(
        "ce fichier n'est pas un export de l'Annuaire de l'administration (JSON invalide : {0})"
    )]
    NotJson(String),
    #[error(
        "ce fichier n'est pas un export de l'Annuaire de l'administration : une liste « service » d'enregistrements est attendue"
    )]
    NotDirectory,
    #[error("fichier trop volumineux ({0} octets)")]
    TooLarge(usize),
    #[error("enregistrement n° {index} ({name}) : champ « {field} » : {message}")]
    Field {
        index: usize,
        name: String,
        field: &'static str,
        message: String,
    },
}

/// One opening period of a [`ServiceRecord`], as published (`plage_ouverture`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpeningPeriod {
    pub first_day: String,
    pub last_day: String,
    /// Up to two (start, end) pairs, `HH:MM[:SS]` as published.
    pub ranges: Vec<(String, String)>,
    pub comment: String,
}

/// One kind of office a record is (`pivot`), with the communes it serves when given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pivot {
    pub kind: String,
    pub communes: Vec<String>,
}

/// One office of the directory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceRecord {
    /// Position in the file (1-based), for messages.
    pub index: usize,
    pub id: String,
    pub name: String,
    /// The commune the office is in.
    pub insee: String,
    pub pivots: Vec<Pivot>,
    /// "numéro et voie, code postal commune" of the first postal address.
    pub address: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub websites: Vec<String>,
    pub opening: Vec<OpeningPeriod>,
    /// The raw `plage_ouverture` was present but not a list of periods.
    pub opening_unreadable: Option<String>,
}

impl ServiceRecord {
    pub fn is(&self, kind: &str) -> bool {
        self.pivots.iter().any(|pivot| pivot.kind == kind)
    }

    /// Does this office serve `insee` as a `kind` (by its pivot's communes, else by its place)?
    pub fn serves(&self, kind: &str, insee: &str) -> bool {
        self.pivots.iter().any(|pivot| {
            pivot.kind == kind
                && if pivot.communes.is_empty() {
                    self.insee == insee
                } else {
                    pivot.communes.iter().any(|code| code == insee)
                }
        })
    }

    /// A readable name for messages: the name, else the id.
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("id {}", self.id)
        } else {
            self.name.clone()
        }
    }
}

/// Reads the directory export.
pub fn parse_directory(bytes: &[u8]) -> Result<Vec<ServiceRecord>, DirectoryError> {
    if bytes.len() > MAX_DIRECTORY_BYTES {
        return Err(DirectoryError::TooLarge(bytes.len()));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|error| DirectoryError::NotJson(error.to_string()))?;
    let records = match value {
        Value::Array(records) => records,
        Value::Object(mut object) => match object
            .remove("service")
            .or_else(|| object.remove("results"))
        {
            Some(Value::Array(records)) => records,
            _ => return Err(DirectoryError::NotDirectory),
        },
        _ => return Err(DirectoryError::NotDirectory),
    };
    if records.is_empty() || !records.iter().all(Value::is_object) {
        return Err(DirectoryError::NotDirectory);
    }
    records
        .iter()
        .enumerate()
        .map(|(index, record)| read_record(index + 1, record))
        .collect()
}

fn read_record(index: usize, record: &Value) -> Result<ServiceRecord, DirectoryError> {
    let name = text(record.get("nom"));
    let field_error = |field: &'static str, message: String| DirectoryError::Field {
        index,
        name: if name.is_empty() {
            format!("id {}", text(record.get("id")))
        } else {
            name.clone()
        },
        field,
        message,
    };
    let nested = |field: &'static str| -> Result<Vec<Value>, DirectoryError> {
        nested_list(record.get(field)).map_err(|message| field_error(field, message))
    };
    let pivots = nested("pivot")?
        .iter()
        .map(|pivot| Pivot {
            kind: text(pivot.get("type_service_local")),
            communes: strings(pivot.get("code_insee_commune")),
        })
        .filter(|pivot| !pivot.kind.is_empty())
        .collect();
    let address = nested("adresse")?
        .iter()
        .find(|address| {
            !text(address.get("type_adresse"))
                .to_lowercase()
                .contains("postale")
        })
        .map(|address| {
            let street = [
                text(address.get("numero_voie")),
                text(address.get("complement1")),
                text(address.get("complement2")),
            ]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
            let town = [
                text(address.get("code_postal")),
                text(address.get("nom_commune")),
            ]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
            [street, town]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|address| !address.is_empty());
    let phones = nested("telephone")?
        .iter()
        .map(|phone| match phone {
            Value::String(number) => number.trim().to_owned(),
            other => text(other.get("valeur")),
        })
        .filter(|phone| !phone.is_empty())
        .collect();
    let emails = match record.get("adresse_courriel") {
        Some(Value::String(value)) if !value.trim_start().starts_with('[') => {
            vec![value.trim().to_owned()]
        }
        other => nested_list(other)
            .map_err(|message| field_error("adresse_courriel", message))?
            .iter()
            .map(|email| match email {
                Value::String(email) => email.trim().to_owned(),
                other => text(other.get("valeur")),
            })
            .collect(),
    }
    .into_iter()
    .filter(|email: &String| !email.is_empty())
    .collect();
    let websites = nested("site_internet")?
        .iter()
        .map(|site| match site {
            Value::String(url) => url.trim().to_owned(),
            other => text(other.get("valeur")),
        })
        .filter(|url| !url.is_empty())
        .collect();
    let (opening, opening_unreadable) = match nested_list(record.get("plage_ouverture")) {
        Ok(periods) => (
            periods
                .iter()
                .map(|period| OpeningPeriod {
                    first_day: text(period.get("nom_jour_debut")),
                    last_day: text(period.get("nom_jour_fin")),
                    ranges: [1, 2]
                        .iter()
                        .map(|n| {
                            (
                                text(period.get(format!("valeur_heure_debut_{n}").as_str())),
                                text(period.get(format!("valeur_heure_fin_{n}").as_str())),
                            )
                        })
                        .filter(|(start, end)| !start.is_empty() || !end.is_empty())
                        .collect(),
                    comment: text(period.get("commentaire")),
                })
                .collect(),
            None,
        ),
        Err(message) => (Vec::new(), Some(message)),
    };
    Ok(ServiceRecord {
        index,
        id: text(record.get("id")),
        name,
        insee: text(record.get("code_insee_commune")),
        pivots,
        address,
        phones,
        emails,
        websites,
        opening,
        opening_unreadable,
    })
}

/// A nested list field: a JSON array, or a string holding one; absent, null or "" is empty.
fn nested_list(value: Option<&Value>) -> Result<Vec<Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(Value::Object(_)) => Ok(vec![value.cloned().unwrap_or_default()]),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(Vec::new()),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(object @ Value::Object(_)) => Ok(vec![object]),
            Ok(_) => Err("liste JSON attendue".into()),
            Err(error) => Err(format!("texte JSON invalide ({error})")),
        },
        Some(_) => Err("liste JSON attendue".into()),
    }
}

/// A scalar as trimmed text ("" when absent or not a scalar).
fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

/// A string or a list of strings (possibly as JSON text).
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(one)) if !one.trim_start().starts_with('[') => {
            vec![one.trim().to_owned()]
        }
        other => nested_list(other)
            .unwrap_or_default()
            .iter()
            .map(|item| text(Some(item)))
            .filter(|item| !item.is_empty())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_as_values_or_json_text() {
        let as_values = br#"{"service":[{"id":"a","nom":"Mairie - X","code_insee_commune":"78490",
            "pivot":[{"type_service_local":"mairie","code_insee_commune":["78490"]}],
            "telephone":[{"valeur":"01 30 79 62 62"}],"adresse_courriel":["mairie@x.fr"],
            "site_internet":[{"valeur":"https://www.x.fr"}],
            "adresse":[{"type_adresse":"Adresse","numero_voie":"2 rue A","code_postal":"78370","nom_commune":"X"}]}]}"#;
        let as_text = br#"{"service":[{"id":"a","nom":"Mairie - X","code_insee_commune":"78490",
            "pivot":"[{\"type_service_local\":\"mairie\",\"code_insee_commune\":[\"78490\"]}]",
            "telephone":"[{\"valeur\":\"01 30 79 62 62\"}]","adresse_courriel":"mairie@x.fr",
            "site_internet":"[{\"valeur\":\"https://www.x.fr\"}]",
            "adresse":"[{\"type_adresse\":\"Adresse\",\"numero_voie\":\"2 rue A\",\"code_postal\":\"78370\",\"nom_commune\":\"X\"}]"}]}"#;
        let left = parse_directory(as_values).unwrap();
        let right = parse_directory(as_text).unwrap();
        assert_eq!(left, right);
        assert!(left[0].serves("mairie", "78490"));
        assert_eq!(left[0].address.as_deref(), Some("2 rue A, 78370 X"));
        assert_eq!(left[0].phones, ["01 30 79 62 62"]);
    }

    #[test]
    fn not_a_directory() {
        assert!(matches!(
            parse_directory(b"not json"),
            Err(DirectoryError::NotJson(_))
        ));
        assert_eq!(
            parse_directory(br#"{"features":[]}"#),
            Err(DirectoryError::NotDirectory)
        );
        assert_eq!(
            parse_directory(br#"[1,2]"#),
            Err(DirectoryError::NotDirectory)
        );
    }

    #[test]
    fn a_broken_nested_field_names_record_and_field() {
        let error = parse_directory(br#"[{"nom":"CAF des Yvelines","pivot":"[{oops"}]"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("CAF des Yvelines"), "{error}");
        assert!(error.contains("pivot"), "{error}");
    }
}
