//! What the store's history of eval runs keeps of a report (the console's Évaluation page).
//!
//! The headline metrics are a JSON object the console shows as is to operators (so its keys are
//! French): it flattens it (`a.b`), lists it in key order and puts the first four in the history
//! table, so the four figures operators watch come first (numbered keys sort first), the others
//! under `détails`. Rates are fractions (0.953); a rate with nothing counted is `null` and not
//! shown.

use serde_json::{Value, json};

use crate::report::Report;

/// The headline metrics of a report.
pub fn headline(report: &Report) -> Value {
    let metrics = &report.figures.metrics;
    json!({
        "1_fiches_justes": metrics.fiche_accuracy.rate,
        "2_fausses_routes": metrics.misroute.rate,
        "3_dialogues_réussis": metrics.dialogue_success.rate,
        "4_actions_justes": metrics.action_accuracy.rate,
        "détails": {
            "couverture_fiches": metrics.coverage.rate,
            "dialogues": metrics.dialogues,
            "fausses_réponses": metrics.false_answer.rate,
            "hors_périmètre_bien_traité": metrics.out_of_scope_handled.rate,
            "latence_p95_us": metrics.latency.p95_us,
            "mode": report.mode,
            "sms_corrects": metrics.sms_correctness.rate,
            "tours_justes": metrics.turn_accuracy.rate,
            "tours_notés": metrics.scored_turns,
            "transferts_précision": metrics.handoff_precision.rate,
            "transferts_rappel": metrics.handoff_recall.rate,
        },
    })
}

/// The whole report, as stored beside the headline.
pub fn report_value(report: &Report) -> Value {
    // A report holds only strings, numbers and enums: it always converts.
    serde_json::to_value(report).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;

    #[test]
    fn the_watched_figures_come_first_in_key_order() {
        let report = sample_report();
        let value = headline(&report);
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "1_fiches_justes",
                "2_fausses_routes",
                "3_dialogues_réussis",
                "4_actions_justes",
                "détails"
            ]
        );
        assert_eq!(
            value["1_fiches_justes"].as_f64(),
            report.figures.metrics.fiche_accuracy.rate
        );
        assert_eq!(value["détails"]["mode"], "in-process");
        let back = Report::from_json(&report_value(&report).to_string()).unwrap();
        assert_eq!(back, report);
    }
}
