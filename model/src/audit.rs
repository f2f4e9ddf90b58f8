//! The audit log of what staff did, and the evaluation runs kept for the console.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One line of the audit log (every staff action).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (e-mail, or `system`).
    pub actor: String,
    /// Commune concerned, if any.
    pub commune: Option<String>,
    /// What (e.g. `ticket.claim`).
    pub action: String,
    /// Details (free text or JSON text).
    pub detail: String,
}

/// A stored audit line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Row id.
    pub id: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// An evaluation run to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvalRun {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// The commune evaluated.
    pub commune: String,
    /// Headline metrics.
    pub metrics: Value,
    /// Full JSON report.
    pub report: Value,
}

/// A stored evaluation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRun {
    /// Row id.
    pub id: i64,
    /// The run.
    #[serde(flatten)]
    pub run: NewEvalRun,
}
