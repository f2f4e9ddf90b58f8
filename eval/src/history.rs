//! What the store's history of eval runs keeps of a report (the console's Évaluation page).
//!
//! The headline metrics are a JSON object the console shows as is to operators (so its keys are
//! French): it flattens it (`a.b`), lists it in key order and puts the first four in the history
//! table, so the four figures operators watch come first (numbered keys sort first), the others
//! under `détails`. Rates are fractions (0.953); a rate with nothing counted is `null` and not
//! shown.

use serde_json::{Value, json};

use crate::gates::{Gates, Limit};
use crate::report::Report;

/// The French label of a headline key, flattened as the console flattens it (`détails.mode`):
/// the one list of what each stored figure means. `None` for a key this version does not know
/// (runs recorded by another version).
pub fn label(key: &str) -> Option<&'static str> {
    Some(match key {
        "1_fiches_justes" => "Précision des fiches",
        "2_fausses_routes" => "Taux de mauvaise orientation",
        "3_dialogues_réussis" => "Dialogues réussis",
        "4_actions_justes" => "Actions justes",
        "détails.couverture_fiches" => "Fiches couvertes par les dialogues",
        "détails.dialogues" => "Dialogues rejoués",
        "détails.fausses_réponses" => "Taux de fausses réponses",
        "détails.hors_périmètre_bien_traité" => "Demandes hors périmètre bien traitées",
        "détails.latence_p95_us" => "Temps de réponse (95 sur 100 en moins de)",
        "détails.mode" => "Mode de rejeu",
        "détails.sms_corrects" => "SMS corrects",
        "détails.tours_justes" => "Tours justes",
        "détails.tours_notés" => "Tours notés",
        "détails.transferts_précision" => "Transferts justifiés",
        "détails.transferts_rappel" => "Transferts attendus effectués",
        _ => return None,
    })
}

/// Whether a headline key is a rate (a fraction, shown as a percentage).
pub fn is_rate(key: &str) -> bool {
    !matches!(
        key,
        "détails.dialogues" | "détails.latence_p95_us" | "détails.mode" | "détails.tours_notés"
    )
}

/// The bound `gates` put on a headline key, if any.
pub fn limit(key: &str, gates: &Gates) -> Option<Limit> {
    match key {
        "1_fiches_justes" => gates.fiche_accuracy_limit(),
        "2_fausses_routes" => gates.misroute_limit(),
        "détails.fausses_réponses" => gates.false_answers_limit(),
        _ => None,
    }
}

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
    fn the_gated_figures_have_labels_and_the_cis_limits() {
        let gated = [
            "1_fiches_justes",
            "2_fausses_routes",
            "détails.fausses_réponses",
        ];
        for key in gated {
            assert!(label(key).is_some(), "{key}");
            assert!(limit(key, &Gates::CI).is_some(), "{key}");
            assert!(is_rate(key));
        }
        assert_eq!(
            limit("1_fiches_justes", &Gates::CI),
            Some(Limit::AtLeast(0.95))
        );
        assert_eq!(limit("3_dialogues_réussis", &Gates::CI), None);
        // Every key the headline holds has a label.
        let value = headline(&sample_report());
        for (key, inner) in value.as_object().unwrap() {
            match inner.as_object() {
                Some(details) => {
                    for sub in details.keys() {
                        assert!(label(&format!("{key}.{sub}")).is_some(), "{key}.{sub}");
                    }
                }
                None => assert!(label(key).is_some(), "{key}"),
            }
        }
    }

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
