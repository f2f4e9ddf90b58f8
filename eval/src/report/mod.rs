//! The result of one eval run and its renderings. The JSON form is the whole report (every
//! turn's decision, scored or not, and every figure); it is also what `--baseline` reads back.

pub mod describe;
pub mod html;
pub mod junit;
pub mod table;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::metrics::{self, Figures};
use crate::replay::DialogueRun;

/// Version of the JSON layout; bumped when a field changes meaning.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: u32,
    /// RFC 3339, UTC.
    pub generated_at: String,
    /// The commune's name.
    pub commune: String,
    /// `in-process`, or the base URL of the server replayed over HTTP.
    pub mode: String,
    #[serde(flatten)]
    pub figures: Figures,
    pub dialogues: Vec<DialogueRun>,
}

impl Report {
    pub fn new(
        commune: &str,
        mode: &str,
        runs: Vec<DialogueRun>,
        folder_fiches: &BTreeSet<String>,
    ) -> Self {
        Report {
            format: FORMAT_VERSION,
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            commune: commune.to_owned(),
            mode: mode.to_owned(),
            figures: metrics::compute(&runs, folder_fiches),
            dialogues: runs,
        }
    }

    pub fn to_json(&self) -> String {
        // A report holds only strings, numbers and enums: serialising it cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn failing(&self) -> impl Iterator<Item = &DialogueRun> {
        self.dialogues.iter().filter(|run| !run.passed)
    }
}

/// Formats a rate as a French percentage ("95,2 %"), or "—" when nothing was counted.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(rate) => format!("{:.1} %", rate * 100.0).replace('.', ","),
        None => "—".to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::metrics::tests::{folder, sample_runs};

    pub fn sample_report() -> Report {
        Report::new("Villebourg", "in-process", sample_runs(), &folder())
    }

    #[test]
    fn json_round_trips() {
        let report = sample_report();
        let text = report.to_json();
        let back = Report::from_json(&text).unwrap();
        assert_eq!(back, report);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["metrics"]["fiche_accuracy"]["rate"], 0.5);
        // Unscored turns keep their decision.
        let goodbye = &value["dialogues"][0]["turns"][2];
        assert_eq!(goodbye["verdict"]["scored"], false);
        assert_eq!(goodbye["got"]["decision"]["action"], "goodbye");
        assert_eq!(value["sweep"].as_array().unwrap().len(), 21);
    }

    #[test]
    fn percentages_in_french() {
        assert_eq!(percent(Some(0.9523)), "95,2 %");
        assert_eq!(percent(None), "—");
    }
}
