//! `commune.toml` from the directory: the mairie's name, address, phone, website and hours, its
//! other sites (mairies annexes) as `[services.*]`, and the local offices of the bodies callers
//! confuse with the mairie (the intercommunality, CAF, CPAM, France Travail, préfecture,
//! tribunal, maison de justice, France Services, police or gendarmerie, MDPH, ADIL, MSA,
//! Éducation nationale, impôts, CARSAT, Banque de France) as `[partners.*]` with their phones
//! and hours, under the national catalogue's keys: a deflection then says the local office and
//! its number instead of the national body's.

use std::fmt::Write as _;

use guichet_knowledge::is_short_number;
use guichet_phone::PhoneNumber;

use crate::directory::ServiceRecord;
use crate::hours::to_osm;

/// A directory that cannot give this commune's `commune.toml`.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InitError {
    #[error("code INSEE « {0} » invalide : cinq caractères, chiffres (ou 2A/2B pour la Corse)")]
    BadInsee(String),
    #[error(
        "code INSEE {0} inconnu de l'annuaire : aucun enregistrement ne concerne cette commune"
    )]
    UnknownInsee(String),
    #[error(
        "aucun enregistrement « mairie » pour le code INSEE {0} (champ « pivot » / « type_service_local »)"
    )]
    NoMairie(String),
    #[error("enregistrement n° {index} ({name}) : champ « {field} » : {message}")]
    Field {
        index: usize,
        name: String,
        field: &'static str,
        message: String,
    },
}

/// A local office kind of the directory and the partner it becomes.
struct PartnerKind {
    /// `type_service_local` values, preferred first.
    pivots: &'static [&'static str],
    /// The partner's key: the national catalogue's where it has one
    /// (`knowledge/national/partners.toml`), so that the local office replaces the national
    /// body in its fiches' deflections.
    key: &'static str,
    competences: &'static [&'static str],
    /// Whether callers' reports of its matters (fly-tipping, a leak) are taken for it: its
    /// directory e-mail becomes `report_email`, so the robot offers to take the report.
    takes_reports: bool,
    /// One office per département (MDPH, ADIL…): when none lists the commune among those it
    /// serves, the one in the commune's département is taken.
    departmental: bool,
}

impl PartnerKind {
    const fn local(
        pivots: &'static [&'static str],
        key: &'static str,
        competences: &'static [&'static str],
    ) -> Self {
        PartnerKind {
            pivots,
            key,
            competences,
            takes_reports: false,
            departmental: false,
        }
    }

    const fn departmental(self) -> Self {
        PartnerKind {
            departmental: true,
            ..self
        }
    }
}

const PARTNER_KINDS: &[PartnerKind] = &[
    PartnerKind {
        takes_reports: true,
        ..PartnerKind::local(
            &["epci"],
            "agglomeration",
            &[
                "déchets",
                "eau potable",
                "assainissement",
                "transports en commun",
            ],
        )
    },
    PartnerKind::local(
        &["caf"],
        "caf",
        &[
            "allocations familiales",
            "aide au logement",
            "prime d'activité",
        ],
    ),
    PartnerKind::local(
        &["cpam"],
        "cpam",
        &[
            "assurance maladie",
            "carte Vitale",
            "remboursements de soins",
        ],
    ),
    PartnerKind::local(
        &["france_travail", "pole_emploi"],
        "france-travail",
        &["recherche d'emploi", "allocations chômage"],
    ),
    PartnerKind::local(
        &["prefecture", "sous_pref"],
        "prefecture",
        &["titre de séjour", "naturalisation"],
    )
    .departmental(),
    PartnerKind::local(
        &["tribunal_judiciaire", "ti", "tgi"],
        "tribunal",
        &["justice", "litiges civils"],
    ),
    PartnerKind::local(
        &["mjd"],
        "point-justice",
        &[
            "information juridique",
            "conciliation",
            "aide juridictionnelle",
        ],
    ),
    // The commune's own (or intercommunal) social action centre: the national catalogue's
    // `ccas` fiche gives its number and hours.
    PartnerKind::local(
        &["ccas", "cias"],
        "ccas",
        &["aide sociale de la commune", "domiciliation"],
    ),
    PartnerKind::local(
        &["france_services", "msap"],
        "france_services",
        &["aide aux démarches en ligne", "accompagnement numérique"],
    ),
    PartnerKind::local(
        &["commissariat_police", "gendarmerie"],
        "police-gendarmerie",
        &["plaintes", "mains courantes"],
    ),
    PartnerKind::local(
        &["maison_handicapees"],
        "departement",
        &[
            "handicap",
            "allocation adulte handicapé",
            "carte mobilité inclusion",
        ],
    )
    .departmental(),
    PartnerKind::local(
        &["adil"],
        "adil",
        &["droits des locataires et des propriétaires"],
    )
    .departmental(),
    PartnerKind::local(&["msa"], "msa", &["protection sociale agricole"]).departmental(),
    PartnerKind::local(
        &["inspection_academique", "rectorat"],
        "education-nationale",
        &["collèges", "lycées", "affectation"],
    )
    .departmental(),
    PartnerKind::local(
        &["sip"],
        "impots",
        &[
            "impôt sur le revenu",
            "taxe foncière",
            "prélèvement à la source",
        ],
    ),
    PartnerKind::local(
        &["carsat"],
        "assurance-retraite",
        &["retraite des salariés du privé", "pension de réversion"],
    )
    .departmental(),
    PartnerKind::local(
        &["banque_de_france"],
        "banque-de-france",
        &["droit au compte", "surendettement"],
    )
    .departmental(),
];

/// What `commune init` found, beside the file text.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneDraft {
    pub name: String,
    /// The text of `commune.toml`.
    pub toml: String,
    /// Partner keys written.
    pub partners: Vec<String>,
    /// Service keys written (annexes).
    pub services: Vec<String>,
    /// Things staff should look at (French), e.g. an office whose hours could not be read.
    pub notes: Vec<String>,
}

/// Builds `commune.toml` for `insee` from the directory records.
pub fn commune_toml(records: &[ServiceRecord], insee: &str) -> Result<CommuneDraft, InitError> {
    let insee = insee.trim();
    let valid = insee.len() == 5
        && insee.is_ascii()
        && (insee.chars().all(|c| c.is_ascii_digit())
            || (insee.starts_with("2A") || insee.starts_with("2B"))
                && insee[2..].chars().all(|c| c.is_ascii_digit()));
    if !valid {
        return Err(InitError::BadInsee(insee.to_owned()));
    }
    if !records.iter().any(|record| {
        record.insee == insee
            || record
                .pivots
                .iter()
                .any(|p| p.communes.iter().any(|c| c == insee))
    }) {
        return Err(InitError::UnknownInsee(insee.to_owned()));
    }
    let mut mairies: Vec<&ServiceRecord> = records
        .iter()
        .filter(|record| record.serves("mairie", insee) && record.insee == insee)
        .collect();
    // The main mairie first: not an annexe, then file order.
    mairies.sort_by_key(|record| (is_annexe(record), record.index));
    let Some((mairie, annexes)) = mairies.split_first() else {
        return Err(InitError::NoMairie(insee.to_owned()));
    };
    let field = |record: &ServiceRecord, field: &'static str, message: String| InitError::Field {
        index: record.index,
        name: record.label(),
        field,
        message,
    };
    let name = commune_name(mairie);
    let hours = hours_of(mairie).map_err(|message| field(mairie, "plage_ouverture", message))?;
    let phone = mairie
        .phones
        .first()
        .ok_or_else(|| field(mairie, "telephone", "aucun numéro publié".into()))?;
    let phone = published_number(phone)
        .ok_or_else(|| field(mairie, "telephone", format!("numéro « {phone} » illisible")))?;
    let mut notes = Vec::new();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Commune de {name} : fichier créé par `guichet commune init` depuis l'Annuaire de\n\
         # l'administration (DILA, Licence Ouverte 2.0), enregistrement « {} » ({}).\n\
         # Relisez-le, complétez-le, puis vérifiez avec `guichet kb check`.",
        mairie.label(),
        mairie.id
    );
    let _ = writeln!(out, "name = {}", quote(&name));
    let _ = writeln!(out, "insee = {}", quote(insee));
    let _ = writeln!(out, "timezone = \"Europe/Paris\"");
    let _ = writeln!(
        out,
        "# Syntaxe OpenStreetMap opening_hours ; « PH off » = fermé les jours fériés."
    );
    for comment in mairie
        .opening
        .iter()
        .map(|p| &p.comment)
        .filter(|c| !c.is_empty())
    {
        let _ = writeln!(out, "# Annuaire : {}", comment.replace('\n', " "));
    }
    let _ = writeln!(out, "opening_hours = {}", quote(&hours));
    let greeting = format!(
        "Bonjour, vous êtes en ligne avec l'assistant automatique de la mairie de {name}. Vous \
         pouvez à tout moment demander à parler à un agent. En quelques mots, quel est le motif de \
         votre appel ?"
    );
    let _ = writeln!(out, "greeting = {}", quote(&greeting));
    let _ = writeln!(out, "# Durée de conservation des transcriptions, en jours.");
    let _ = writeln!(out, "retention_days = 90");
    if let Some(website) = mairie.websites.iter().find(|url| is_web_url(url)) {
        let _ = writeln!(out, "website = {}", quote(website));
    }
    if let Some(address) = &mairie.address {
        let _ = writeln!(out, "address = {}", quote(address));
    }
    let _ = writeln!(
        out,
        "\n[transfer]\n# Standard de la mairie (transferts d'appels en direct).\nnumber = {}",
        quote(&phone)
    );
    let _ = writeln!(out, "\n[sms]\nsender = {}", quote(&sms_sender(&name)));
    let _ = writeln!(
        out,
        "\n[rollout]\n# Pas de restriction : l'assistant répond à tout le monde, à toute heure."
    );

    let mut services = Vec::new();
    for annexe in annexes {
        let site = service_name(annexe, &name);
        let key = unique_key(&slug(site.as_deref().unwrap_or("annexe")), &services);
        let _ = writeln!(out, "\n[services.{key}]");
        // The name as said: without the commune's, which every site shares.
        write_office(
            &mut out,
            annexe,
            site.as_deref().unwrap_or(&annexe.name),
            &mut notes,
        );
        services.push(key);
    }

    let mut partners = Vec::new();
    for kind in PARTNER_KINDS {
        let Some(office) = office_of(kind, records, insee) else {
            continue;
        };
        let _ = writeln!(out, "\n[partners.{}]", kind.key);
        write_office(&mut out, office, &office.name, &mut notes);
        let competences = kind
            .competences
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "competences = [{competences}]");
        if kind.takes_reports {
            write_report_email(&mut out, office, &mut notes);
        }
        partners.push(kind.key.to_owned());
    }
    Ok(CommuneDraft {
        name,
        toml: out,
        partners,
        services,
        notes,
    })
}

/// The office of `kind` that serves `insee`: one in the commune itself first, then file order;
/// for a departmental kind, else the one in the commune's département.
fn office_of<'a>(
    kind: &PartnerKind,
    records: &'a [ServiceRecord],
    insee: &str,
) -> Option<&'a ServiceRecord> {
    let first = |serves: &dyn Fn(&ServiceRecord, &str) -> bool| {
        kind.pivots.iter().find_map(|pivot| {
            records
                .iter()
                .filter(|record| serves(record, pivot))
                .min_by_key(|record| (record.insee != insee, record.index))
        })
    };
    first(&|record, pivot| record.serves(pivot, insee)).or_else(|| {
        let department = department_of(insee);
        kind.departmental
            .then(|| {
                first(&|record, pivot| {
                    record.is(pivot) && department_of(&record.insee) == department
                })
            })
            .flatten()
    })
}

/// The département of an INSEE code: its first two characters, three overseas (971…976).
fn department_of(insee: &str) -> &str {
    let length = if insee.starts_with("97") { 3 } else { 2 };
    insee.get(..length).unwrap_or(insee)
}

/// The office's directory e-mail as the address of the reports taken for it. A report is
/// forwarded only through a `[[notifications.routes]]` route of the service; until one exists
/// it waits at the mairie as a ticket « à transmettre ».
fn write_report_email(out: &mut String, office: &ServiceRecord, notes: &mut Vec<String>) {
    let Some(email) = office.emails.first() else {
        return;
    };
    let _ = writeln!(
        out,
        "# Signalements des appelants : adresse générale de l'Annuaire, à remplacer par l'adresse dédiée si elle existe."
    );
    let _ = writeln!(out, "report_email = {}", quote(email));
    notes.push(format!(
        "« {} » : les signalements iront à « {email} » (adresse de l'Annuaire), à confirmer",
        office.label()
    ));
}

/// An office's table: `name` (as the robot says it), then what the directory gives of it.
fn write_office(out: &mut String, office: &ServiceRecord, name: &str, notes: &mut Vec<String>) {
    let _ = writeln!(out, "# Annuaire : « {} » ({})", office.label(), office.id);
    let _ = writeln!(out, "name = {}", quote(name));
    if let Some(website) = office.websites.iter().find(|url| is_web_url(url)) {
        let _ = writeln!(out, "website = {}", quote(website));
    }
    match office
        .phones
        .first()
        .map(|phone| (phone, office_number(phone)))
    {
        Some((_, Some(phone))) => {
            let _ = writeln!(out, "phone = {}", quote(&phone));
        }
        Some((raw, None)) => notes.push(format!(
            "« {} » : numéro « {raw} » illisible, non repris",
            office.label()
        )),
        None => {}
    }
    if let Some(email) = office.emails.first() {
        let _ = writeln!(out, "email = {}", quote(email));
    }
    if let Some(address) = &office.address {
        let _ = writeln!(out, "postal_address = {}", quote(address));
    }
    match hours_of(office) {
        Ok(hours) => {
            let _ = writeln!(out, "opening_hours = {}", quote(&hours));
        }
        Err(message) => notes.push(format!(
            "« {} » : horaires non repris ({message})",
            office.label()
        )),
    }
}

fn hours_of(record: &ServiceRecord) -> Result<String, String> {
    if let Some(message) = &record.opening_unreadable {
        return Err(message.clone());
    }
    to_osm(&record.opening).map_err(|error| error.to_string())
}

fn is_annexe(record: &ServiceRecord) -> bool {
    let name = record.name.to_lowercase();
    name.contains("annexe") || name.contains("déléguée") || name.contains("mobile")
}

/// "Mairie - Plaisir", "Mairie de Plaisir" → "Plaisir".
fn commune_name(mairie: &ServiceRecord) -> String {
    let name = mairie.name.trim();
    for prefix in [
        "Mairie - ",
        "Mairie – ",
        "Mairie de ",
        "Mairie d'",
        "Mairie d’",
        "Mairie ",
    ] {
        if let Some(rest) = name.strip_prefix(prefix)
            && !rest.trim().is_empty()
        {
            return rest.trim().to_owned();
        }
    }
    name.to_owned()
}

/// A site's name without the commune's (« Mairie annexe du Valibout - Plaisir » → « Mairie
/// annexe du Valibout »); `None` when nothing else is left.
fn service_name(annexe: &ServiceRecord, commune: &str) -> Option<String> {
    let name = annexe.name.replace(commune, "");
    let name = name.trim_matches(|c: char| c == '-' || c == '–' || c.is_whitespace());
    (!name.is_empty()).then(|| name.to_owned())
}

/// A TOML key: lowercase ASCII letters, digits and `_`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = fold_accent(c.to_ascii_lowercase());
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() { "site".into() } else { out }
}

fn unique_key(base: &str, taken: &[String]) -> String {
    let mut key = base.to_owned();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    key
}

pub(crate) fn fold_accent(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
        'î' | 'ï' | 'Î' => 'i',
        'ô' | 'ö' | 'Ô' => 'o',
        'ù' | 'û' | 'ü' | 'Û' => 'u',
        'ç' | 'Ç' => 'c',
        'œ' => 'o',
        other => other,
    }
}

/// The SMS sender id: the commune's name in capitals, 11 ASCII letters or digits at most.
fn sms_sender(name: &str) -> String {
    let sender: String = name
        .chars()
        .map(|c| fold_accent(c).to_ascii_uppercase())
        .filter(char::is_ascii_alphanumeric)
        .take(11)
        .collect();
    if sender.is_empty() {
        "MAIRIE".into()
    } else {
        sender
    }
}

/// A number as published ("01 30 79 62 62", "+33 1 30…") in E.164, if it is one that the
/// numbering plans say exists (the mairie's: calls are transferred to it).
fn published_number(raw: &str) -> Option<String> {
    PhoneNumber::parse(raw)
        .filter(PhoneNumber::is_valid)
        .map(String::from)
}

/// An office's number as published: [`published_number`], or a national short service number
/// ("36 46" → "3646"), which callers dial as it is (a partner's number is only said).
fn office_number(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if is_short_number(&digits) {
        return Some(digits);
    }
    published_number(raw)
}

fn is_web_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_phones_and_senders() {
        assert_eq!(
            published_number("01 30 79 62 62").as_deref(),
            Some("+33130796262")
        );
        assert_eq!(
            published_number("+33 1 30 79 62 62").as_deref(),
            Some("+33130796262")
        );
        assert_eq!(
            published_number("36 46"),
            None,
            "no transfer to a short number"
        );
        assert_eq!(office_number("36 46").as_deref(), Some("3646"));
        assert_eq!(office_number("3949").as_deref(), Some("3949"));
        assert_eq!(
            office_number("01 39 49 78 00").as_deref(),
            Some("+33139497800")
        );
        assert_eq!(published_number("pas un numéro"), None);
        assert_eq!(office_number("12"), None);
        assert_eq!(sms_sender("Saint-Étienne-du-Rouvray"), "SAINTETIENN");
        assert_eq!(
            slug("Mairie annexe du Valibout"),
            "mairie_annexe_du_valibout"
        );
        let mairie = ServiceRecord {
            name: "Mairie - Plaisir".into(),
            ..Default::default()
        };
        assert_eq!(commune_name(&mairie), "Plaisir");
    }

    #[test]
    fn departements_of_insee_codes() {
        assert_eq!(department_of("78490"), "78");
        assert_eq!(department_of("2A004"), "2A");
        assert_eq!(department_of("97411"), "974");
    }

    #[test]
    fn insee_is_checked_before_anything() {
        assert_eq!(
            commune_toml(&[], "7849"),
            Err(InitError::BadInsee("7849".into()))
        );
        assert_eq!(
            commune_toml(&[], "78490"),
            Err(InitError::UnknownInsee("78490".into()))
        );
    }
}
