//! The data a knowledge folder holds, once loaded and validated.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which body is competent for a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Competence {
    Commune,
    Agglomeration,
    Departement,
    Region,
    Etat,
    Autre,
    /// No public service: the caller's own bank, insurer, operator, employer or carrier, or a
    /// request no office handles (the weather, small talk). The robot says so and what the
    /// caller can do, and never presents it as an answer of the mairie or of a public body.
    Aucune,
}

impl Competence {
    /// A public body is in charge (the commune or another): not [`Competence::Aucune`].
    pub fn is_public(self) -> bool {
        self != Competence::Aucune
    }
}

/// Whether a fiche's answer should lead to a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HandoffPolicy {
    Never,
    #[default]
    Offer,
    Always,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClarifyOption {
    /// Short replies that select this option ("expiré", "il est périmé").
    pub answers: Vec<String>,
    /// The fiche id this option leads to.
    pub goto: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clarify {
    pub question: String,
    pub options: Vec<ClarifyOption>,
}

/// Whether a fiche may reach a caller. Only a published fiche is indexed and answered; a draft
/// (written by an importer, or by staff not yet done) and a rejected fiche are kept for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FicheStatus {
    #[default]
    Publiee,
    Brouillon,
    Rejetee,
}

impl FicheStatus {
    /// The value as written in a fiche's `status:` field.
    pub fn as_str(self) -> &'static str {
        match self {
            FicheStatus::Publiee => "publiee",
            FicheStatus::Brouillon => "brouillon",
            FicheStatus::Rejetee => "rejetee",
        }
    }
}

/// Where a fiche's facts come from (`source:` in its front matter): an imported service-public.fr
/// fiche, a national body's official site…
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FicheSource {
    /// Who publishes the facts ("service-public.fr", "ameli.fr").
    pub name: String,
    /// The publisher's identifier of the text ("F1342"), when it has one.
    pub id: Option<String>,
    /// The date of the text the fiche was drawn from (or when it was last checked).
    pub date: Option<chrono::NaiveDate>,
    /// The page the facts were read from.
    pub url: Option<String>,
}

/// One topic written by staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fiche {
    pub id: String,
    pub title: String,
    pub competence: Competence,
    /// Key of `commune.toml`'s `[partners.*]` in charge when competence is not `commune`.
    /// Already resolved: defaults to the competence's name when the fiche does not say.
    pub partner: Option<String>,
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub link: Option<String>,
    /// SMS template; `{link}` is replaced by the link.
    pub sms: Option<String>,
    pub handoff: HandoffPolicy,
    pub clarify: Option<Clarify>,
    /// Ids of the fiches whose mission this body takes over for a public of its own
    /// (`specialises:`): the Mutualité sociale agricole is the health insurance, the family
    /// allowance fund and the pension fund of farm workers, so `msa` specialises `cpam`,
    /// `caf-allocations` and `assurance-retraite`. When the best match is one of those and
    /// this fiche is nearly as likely (the caller also said what makes them its public:
    /// "agricole", "vendanges"), the engine names this body (see `guichet_agent`'s
    /// `best_match`). An id that the folder does not hold is ignored: warned at load as a
    /// typo, unless it is a national fiche the commune disabled.
    #[serde(default)]
    pub specialises: Vec<String>,
    /// Ids of the fiches this body is a recourse or a support beside (`recourse_for:`): the
    /// Défenseur des droits for the matters a discrimination touches (housing, disability,
    /// work, school), France Victimes beside the police complaint and the courts. Named like a
    /// body that specialises them when the caller says its words ("discrimination",
    /// "victime"), and one topic with them; but the caller is sent to the fiche itself first
    /// when the recorded questions most like theirs were meant for it (a refused leave is the
    /// employer's before it is a discrimination). Checked like `specialises`.
    #[serde(default)]
    pub recourse_for: Vec<String>,
    /// The spoken answer (plain French prose). Empty only for a fiche that only clarifies.
    pub answer: String,
    /// Published, draft or rejected: only a published fiche reaches a caller.
    pub status: FicheStatus,
    /// Where the facts come from, when the fiche says (`source:`).
    pub source: Option<FicheSource>,
    /// The file the fiche was read from (for messages).
    pub path: PathBuf,
    /// The answer as the engine speaks it, worked out on first use (see [`Fiche::spoken_answer`]).
    #[serde(skip)]
    pub spoken: Derived,
}

/// A text worked out from a fiche once, on first use, and kept with it until the folder is
/// loaded again. Not part of the fiche: it compares equal and is never serialised.
#[derive(Clone, Default)]
pub struct Derived(OnceLock<String>);

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived")
    }
}

impl Fiche {
    /// The answer as spoken: `speak` (the engine's rule) applied to [`Fiche::answer`] the first
    /// time, then kept (an answer is read out on every turn that gives it).
    pub fn spoken_answer(&self, speak: impl FnOnce(&str) -> String) -> &str {
        self.spoken.0.get_or_init(|| speak(&self.answer))
    }

    /// The SMS text with `{link}` expanded, if the fiche has one.
    pub fn sms_text(&self) -> Option<String> {
        let template = self.sms.as_ref()?;
        Some(template.replace("{link}", self.link.as_deref().unwrap_or("")))
    }
}

/// Another body the commune redirects to (agglomération, préfecture, ANTS…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Partner {
    pub key: String,
    pub name: String,
    pub competences: Vec<String>,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub opening_hours: Option<String>,
    /// Where reports filed for a caller are forwarded; a partner with one accepts reports.
    pub report_email: Option<String>,
    pub report_url: Option<String>,
}

impl Partner {
    pub fn accepts_reports(&self) -> bool {
        self.report_email.is_some() || self.report_url.is_some()
    }
}

/// Progressive rollout: where the robot answers; elsewhere calls go straight to the standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Rollout {
    /// Opening-hours expression of the windows in which the robot answers; `None` = always.
    pub windows: Option<String>,
    /// Only these callers get the robot; empty = everyone.
    pub pilot_numbers: Vec<String>,
}

/// `commune.toml`'s `[sms]` limits: whatever queues an SMS, the outbox refuses it beyond them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsGuard {
    /// SMS per recipient per day (the commune's local day).
    pub per_recipient_daily: u32,
    /// SMS per day for the whole commune; none beyond it.
    pub daily_budget: u32,
    /// Share of the budget (percent) at which administrators are alerted.
    pub alert_percent: u8,
}

impl Default for SmsGuard {
    fn default() -> Self {
        SmsGuard {
            per_recipient_daily: 5,
            daily_budget: 300,
            alert_percent: 80,
        }
    }
}

/// `commune.toml`, validated.
#[derive(Debug, Clone)]
pub struct Commune {
    pub name: String,
    pub insee: String,
    pub timezone: chrono_tz::Tz,
    pub opening_hours: String,
    pub greeting: String,
    pub transfer_number: String,
    pub sms_sender: String,
    /// `[sms]`'s limits on outgoing SMS.
    pub sms_guard: SmsGuard,
    pub retention_days: u32,
    pub rollout: Rollout,
    pub partners: BTreeMap<String, Partner>,
    /// Other sites of the mairie (`[services.*]`: mairies annexes…), with their own phone and
    /// hours; `competences` is empty and no report is forwarded to them.
    pub services: BTreeMap<String, Partner>,
    /// Website of the commune, said in words to landline callers ("villebourg point example").
    pub website: Option<String>,
    pub address: Option<String>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub fiche_id: String,
    /// Raw engine score (for debugging only; not comparable across queries).
    pub score: f32,
    /// In [0, 1], comparable across queries: the engine decides on it.
    pub confidence: f32,
    /// Which of the query's distinctive concepts (bit `i`: the `i`-th, the first 64) the
    /// fiche's title or keywords say: the words of its own public ("agriculteur" for the MSA,
    /// "victime" for France Victimes), not the circumstances of its example questions.
    #[serde(default)]
    pub keyword_concepts: u64,
}

/// Is the mairie (or a partner, or a rollout window) open at a given instant.
/// Evaluates an OpenStreetMap opening_hours expression in a timezone, French public holidays closed.
pub trait ScheduleQuery {
    fn is_open(&self, at: DateTime<Utc>) -> bool;
    /// The next instant it opens, if it is closed at `at` and opens within the search horizon.
    fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>>;
}
