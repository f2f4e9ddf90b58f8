//! Reading and checking `commune.toml`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::lines::toml_key_line;
use crate::load::checks::{check_e164, check_partner_phone, check_url};
use crate::model::{Commune, Partner, Rollout, SmsGuard};
use crate::problem::{Problems, line_of_offset};
use crate::schedule::Schedule;

#[derive(Deserialize, Default)]
struct RawCommune {
    name: Option<String>,
    insee: Option<String>,
    timezone: Option<String>,
    opening_hours: Option<String>,
    greeting: Option<String>,
    retention_days: Option<u32>,
    website: Option<String>,
    address: Option<String>,
    transfer: Option<RawTransfer>,
    sms: Option<RawSms>,
    rollout: Option<RawRollout>,
    #[serde(default)]
    partners: BTreeMap<String, RawPartner>,
    /// Other sites of the mairie (mairies annexes): a partner's fields, without reports.
    #[serde(default)]
    services: BTreeMap<String, RawPartner>,
    national: Option<RawNational>,
}

#[derive(Deserialize, Default)]
struct RawNational {
    #[serde(default)]
    disabled: Vec<String>,
    recorded_questions: Option<bool>,
}

/// The partners of the national catalogue (`knowledge/national/partners.toml`).
#[derive(Deserialize, Default)]
struct RawPartners {
    #[serde(default)]
    partners: BTreeMap<String, RawPartner>,
}

#[derive(Deserialize, Default)]
struct RawTransfer {
    number: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawSms {
    sender: Option<String>,
    per_recipient_daily: Option<u32>,
    daily_budget: Option<u32>,
    alert_percent: Option<u8>,
}

#[derive(Deserialize, Default)]
struct RawRollout {
    windows: Option<String>,
    #[serde(default)]
    pilot_numbers: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawPartner {
    name: Option<String>,
    #[serde(default)]
    competences: Vec<String>,
    website: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    postal_address: Option<String>,
    opening_hours: Option<String>,
    report_email: Option<String>,
    report_url: Option<String>,
}

const TOP_KEYS: &[&str] = &[
    "name",
    "insee",
    "timezone",
    "opening_hours",
    "greeting",
    "retention_days",
    "website",
    "address",
    "transfer",
    "sms",
    "rollout",
    "partners",
    "services",
    "national",
];
const NATIONAL_KEYS: &[&str] = &["disabled", "recorded_questions"];
const TRANSFER_KEYS: &[&str] = &["number"];
const SMS_KEYS: &[&str] = &[
    "sender",
    "per_recipient_daily",
    "daily_budget",
    "alert_percent",
];
const ROLLOUT_KEYS: &[&str] = &["windows", "pilot_numbers"];
const PARTNER_KEYS: &[&str] = &[
    "name",
    "competences",
    "website",
    "phone",
    "email",
    "postal_address",
    "opening_hours",
    "report_email",
    "report_url",
];
const SERVICE_KEYS: &[&str] = &[
    "name",
    "website",
    "phone",
    "email",
    "postal_address",
    "opening_hours",
];

/// The commune with its parsed schedules.
pub(crate) struct LoadedCommune {
    pub commune: Commune,
    pub opening_hours: Option<Schedule>,
    pub rollout_windows: Option<Schedule>,
    pub partner_hours: BTreeMap<String, Schedule>,
    pub service_hours: BTreeMap<String, Schedule>,
    /// National fiches the commune turns off (`[national] disabled = […]`), with the line.
    pub national_disabled: Vec<(String, usize)>,
    /// Whether the national recorded questions are read (`[national] recorded_questions`,
    /// default true).
    pub national_questions: bool,
}

/// Reads `commune.toml`; `None` when it cannot be read or parsed at all.
pub(crate) fn load_commune(path: &Path, problems: &mut Problems) -> Option<LoadedCommune> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            problems.error(
                path,
                0,
                "fichier absent : chaque dossier de commune a un commune.toml",
            );
            return None;
        }
        Err(error) => {
            problems.error(path, 0, format!("fichier illisible ({error})"));
            return None;
        }
    };
    let table: toml::Table = match toml::from_str(&text) {
        Ok(table) => table,
        Err(error) => {
            let line = error
                .span()
                .map_or(1, |span| line_of_offset(&text, span.start));
            let message = error.message().trim().to_owned();
            problems.error(path, line, format!("syntaxe TOML invalide : {message}"));
            return None;
        }
    };
    check_unknown_keys(path, &text, &table, problems);
    let raw: RawCommune = match toml::from_str(&text) {
        Ok(raw) => raw,
        Err(error) => {
            let line = error
                .span()
                .map_or(1, |span| line_of_offset(&text, span.start));
            let message = error.message().trim().to_owned();
            problems.error(path, line, format!("valeur de type incorrect : {message}"));
            return None;
        }
    };
    Some(build_commune(path, &text, raw, problems))
}

fn check_unknown_keys(path: &Path, text: &str, table: &toml::Table, problems: &mut Problems) {
    let mut check = |section: Option<&str>, table: Option<&toml::Table>, known: &[&str]| {
        let Some(table) = table else { return };
        for key in table.keys().filter(|key| !known.contains(&key.as_str())) {
            let line = toml_key_line(text, section, Some(key));
            problems.error(
                path,
                line,
                format!("clé inconnue « {key} » (faute de frappe ?)"),
            );
        }
    };
    let section = |name: &str| table.get(name).and_then(toml::Value::as_table);
    check(None, Some(table), TOP_KEYS);
    check(Some("transfer"), section("transfer"), TRANSFER_KEYS);
    check(Some("sms"), section("sms"), SMS_KEYS);
    check(Some("rollout"), section("rollout"), ROLLOUT_KEYS);
    check(Some("national"), section("national"), NATIONAL_KEYS);
    if let Some(partners) = table.get("partners").and_then(toml::Value::as_table) {
        for (key, partner) in partners {
            let section = format!("partners.{key}");
            check(Some(section.as_str()), partner.as_table(), PARTNER_KEYS);
        }
    }
    if let Some(services) = table.get("services").and_then(toml::Value::as_table) {
        for (key, service) in services {
            let section = format!("services.{key}");
            check(Some(section.as_str()), service.as_table(), SERVICE_KEYS);
        }
    }
}

fn build_commune(
    path: &Path,
    text: &str,
    raw: RawCommune,
    problems: &mut Problems,
) -> LoadedCommune {
    let line = |section: Option<&str>, key: &str| toml_key_line(text, section, Some(key));
    let mut required =
        |value: Option<String>, section: Option<&str>, key: &str, what: &str| match value
            .filter(|value| !value.trim().is_empty())
        {
            Some(value) => value,
            None => {
                let at = section.map_or(1, |section| toml_key_line(text, Some(section), None));
                problems.error(path, at, format!("{what} manquant(e) (clé « {key} »)"));
                String::new()
            }
        };
    let name = required(raw.name, None, "name", "nom de la commune");
    let greeting = required(raw.greeting, None, "greeting", "message d'accueil");
    let opening_expression = required(
        raw.opening_hours,
        None,
        "opening_hours",
        "horaires d'ouverture",
    );
    let transfer = raw.transfer.unwrap_or_default();
    let transfer_number = required(
        transfer.number,
        Some("transfer"),
        "number",
        "numéro de transfert [transfer]",
    );
    let sms = raw.sms.unwrap_or_default();
    let defaults = SmsGuard::default();
    let sms_guard = SmsGuard {
        per_recipient_daily: sms
            .per_recipient_daily
            .unwrap_or(defaults.per_recipient_daily),
        daily_budget: sms.daily_budget.unwrap_or(defaults.daily_budget),
        alert_percent: sms.alert_percent.unwrap_or(defaults.alert_percent),
    };
    let sms_sender = required(
        sms.sender,
        Some("sms"),
        "sender",
        "expéditeur des SMS [sms]",
    );
    if !(1..=100).contains(&sms_guard.alert_percent) {
        problems.error(
            path,
            line(Some("sms"), "alert_percent"),
            "seuil d'alerte du budget SMS [sms] alert_percent : entre 1 et 100".to_string(),
        );
    }

    let timezone = match raw.timezone.as_deref() {
        None => chrono_tz::Europe::Paris,
        Some(name) => match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => tz,
            Err(_) => {
                problems.error(
                    path,
                    line(None, "timezone"),
                    format!("fuseau horaire inconnu « {name} » (exemple : Europe/Paris)"),
                );
                chrono_tz::Europe::Paris
            }
        },
    };

    let mut schedule = |expression: &str, at: usize, what: &str| -> Option<Schedule> {
        match Schedule::parse(expression, timezone) {
            Ok(schedule) => Some(schedule),
            Err(error) => {
                problems.error(path, at, format!("{what} : {error}"));
                None
            }
        }
    };
    let opening_hours = if opening_expression.is_empty() {
        None
    } else {
        schedule(
            &opening_expression,
            line(None, "opening_hours"),
            "horaires de la mairie",
        )
    };
    let rollout = raw.rollout.unwrap_or_default();
    let rollout_windows = rollout.windows.as_deref().and_then(|windows| {
        schedule(
            windows,
            line(Some("rollout"), "windows"),
            "fenêtres de déploiement [rollout]",
        )
    });
    let mut partner_hours = BTreeMap::new();
    for (key, partner) in &raw.partners {
        let section = format!("partners.{key}");
        if let Some(expression) = &partner.opening_hours {
            let at = line(Some(&section), "opening_hours");
            if let Some(parsed) =
                schedule(expression, at, &format!("horaires du partenaire « {key} »"))
            {
                partner_hours.insert(key.clone(), parsed);
            }
        }
    }
    let mut service_hours = BTreeMap::new();
    for (key, service) in &raw.services {
        if let Some(expression) = &service.opening_hours {
            let at = line(Some(&format!("services.{key}")), "opening_hours");
            if let Some(parsed) = schedule(expression, at, &format!("horaires du site « {key} »"))
            {
                service_hours.insert(key.clone(), parsed);
            }
        }
    }

    if !transfer_number.is_empty() {
        check_e164(
            path,
            line(Some("transfer"), "number"),
            &transfer_number,
            "numéro de transfert",
            problems,
        );
    }
    let sender_ok =
        !sms_sender.is_empty() && (check_sender(&sms_sender) || sms_sender.starts_with('+'));
    if !sms_sender.is_empty() && !sender_ok {
        problems.error(
            path,
            line(Some("sms"), "sender"),
            format!(
                "expéditeur SMS « {sms_sender} » invalide : 11 caractères au plus, lettres \
                 et chiffres sans accent, ou un numéro au format international"
            ),
        );
    }
    for number in &rollout.pilot_numbers {
        check_e164(
            path,
            line(Some("rollout"), "pilot_numbers"),
            number,
            "numéro pilote",
            problems,
        );
    }
    if let Some(website) = &raw.website {
        check_url(
            path,
            line(None, "website"),
            website,
            "site de la commune",
            problems,
        );
    }

    let partners = read_offices(
        path,
        text,
        "partners",
        "du partenaire",
        raw.partners,
        problems,
    );
    let services = read_offices(path, text, "services", "du site", raw.services, problems);
    let national_questions = (raw.national.as_ref())
        .and_then(|national| national.recorded_questions)
        .unwrap_or(true);
    let national_disabled = raw
        .national
        .map(|national| {
            national
                .disabled
                .into_iter()
                .map(|id| (id, line(Some("national"), "disabled")))
                .collect()
        })
        .unwrap_or_default();

    let commune = Commune {
        name,
        insee: raw.insee.unwrap_or_default(),
        timezone,
        opening_hours: opening_expression,
        greeting,
        transfer_number,
        sms_sender,
        sms_guard,
        retention_days: raw.retention_days.unwrap_or(90),
        rollout: Rollout {
            windows: rollout.windows,
            pilot_numbers: rollout.pilot_numbers,
        },
        partners,
        services,
        website: raw.website,
        address: raw.address,
    };
    LoadedCommune {
        commune,
        opening_hours,
        rollout_windows,
        partner_hours,
        service_hours,
        national_disabled,
        national_questions,
    }
}

/// Reads the partners of the national catalogue: the same sections as `commune.toml`'s.
pub(crate) fn parse_partners(
    path: &Path,
    text: &str,
    problems: &mut Problems,
) -> BTreeMap<String, Partner> {
    match toml::from_str::<RawPartners>(text) {
        Ok(raw) => read_offices(
            path,
            text,
            "partners",
            "du partenaire",
            raw.partners,
            problems,
        ),
        Err(error) => {
            let line = error
                .span()
                .map_or(1, |span| line_of_offset(text, span.start));
            problems.error(
                path,
                line,
                format!("syntaxe TOML invalide : {}", error.message().trim()),
            );
            BTreeMap::new()
        }
    }
}

/// An alphanumeric SMS sender: 1 to 11 ASCII letters, digits or spaces, at least one letter.
fn check_sender(sender: &str) -> bool {
    (1..=11).contains(&sender.len())
        && sender
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ')
        && sender.chars().any(|c| c.is_ascii_alphabetic())
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// The `[partners.*]` or `[services.*]` tables, checked, by key.
fn read_offices(
    path: &Path,
    text: &str,
    table: &str,
    of: &str,
    raw: BTreeMap<String, RawPartner>,
    problems: &mut Problems,
) -> BTreeMap<String, Partner> {
    raw.into_iter()
        .map(|(key, office)| {
            let office = read_office(path, text, table, of, key, office, problems);
            (office.key.clone(), office)
        })
        .collect()
}

/// A `[partners.*]` or `[services.*]` table, checked.
fn read_office(
    path: &Path,
    text: &str,
    table: &str,
    of: &str,
    key: String,
    partner: RawPartner,
    problems: &mut Problems,
) -> Partner {
    {
        let section = format!("{table}.{key}");
        let at = |field: &str| toml_key_line(text, Some(&section), Some(field));
        let name = match partner.name.filter(|name| !name.trim().is_empty()) {
            Some(name) => name,
            None => {
                problems.error(
                    path,
                    at("name"),
                    format!("nom {of} « {key} » manquant (clé « name »)"),
                );
                String::new()
            }
        };
        if let Some(website) = &partner.website {
            check_url(
                path,
                at("website"),
                website,
                &format!("site {of} « {key} »"),
                problems,
            );
        }
        if let Some(report_url) = &partner.report_url {
            check_url(
                path,
                at("report_url"),
                report_url,
                &format!("adresse de signalement {of} « {key} »"),
                problems,
            );
        }
        if let Some(phone) = &partner.phone {
            check_partner_phone(
                path,
                at("phone"),
                phone,
                &format!("téléphone {of} « {key} »"),
                problems,
            );
        }
        for (field, email) in [
            ("email", &partner.email),
            ("report_email", &partner.report_email),
        ] {
            if let Some(email) = email
                && !looks_like_email(email)
            {
                problems.error(
                    path,
                    at(field),
                    format!("adresse e-mail « {email} » invalide"),
                );
            }
        }
        Partner {
            key,
            name,
            competences: partner.competences,
            website: partner.website,
            phone: partner.phone,
            email: partner.email,
            postal_address: partner.postal_address,
            opening_hours: partner.opening_hours,
            report_email: partner.report_email,
            report_url: partner.report_url,
        }
    }
}
