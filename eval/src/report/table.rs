//! The terminal report: headline figures, the worst fiches, the failing dialogues.

use std::fmt::Write;

use super::{Report, describe, percent};
use crate::ratio::Ratio;

/// How much of the failures to show.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub worst_fiches: usize,
    pub failing_dialogues: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            worst_fiches: 10,
            failing_dialogues: 25,
        }
    }
}

pub fn render(report: &Report, limits: Limits) -> String {
    let mut out = String::new();
    let m = &report.figures.metrics;
    let _ = writeln!(
        out,
        "Évaluation — {} — {} dialogues, {} tours ({} notés) — {}",
        report.commune, m.dialogues, m.caller_turns, m.scored_turns, report.mode
    );
    let rows: [(&str, &Ratio); 11] = [
        ("Précision des actions", &m.action_accuracy),
        ("Précision des fiches", &m.fiche_accuracy),
        ("Taux de mauvaise orientation", &m.misroute),
        ("Taux de fausses réponses", &m.false_answer),
        ("Hors périmètre bien traité", &m.out_of_scope_handled),
        ("Réussite des dialogues", &m.dialogue_success),
        ("Tours justes", &m.turn_accuracy),
        ("Transferts : précision", &m.handoff_precision),
        ("Transferts : rappel", &m.handoff_recall),
        ("SMS corrects", &m.sms_correctness),
        ("Couverture des fiches", &m.coverage),
    ];
    for (label, ratio) in rows {
        let _ = writeln!(
            out,
            "  {label:<30} {:>8}  ({}/{})",
            percent(ratio.rate),
            ratio.count,
            ratio.total
        );
    }
    if !m.uncovered_fiches.is_empty() {
        let _ = writeln!(
            out,
            "  Fiches non couvertes : {}",
            m.uncovered_fiches.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "  {:<30} p50 {} µs · p95 {} µs · p99 {} µs · max {} µs",
        "Latence par tour", m.latency.p50_us, m.latency.p95_us, m.latency.p99_us, m.latency.max_us
    );

    if report.figures.breakdown.len() > 1 {
        let _ = writeln!(out, "\nPar jeu et par étiquette :");
        let _ = writeln!(
            out,
            "  {:<28} {:>5} {:>12} {:>12} {:>12} {:>12}",
            "groupe", "tours", "tours justes", "fiche juste", "fausses rép.", "hors pér. ok"
        );
        for group in &report.figures.breakdown {
            let _ = writeln!(
                out,
                "  {:<28} {:>5} {:>12} {:>12} {:>12} {:>12}",
                group.group,
                group.scored_turns,
                percent(group.turn_accuracy.rate),
                percent(group.fiche_accuracy.rate),
                percent(group.false_answer.rate),
                percent(group.out_of_scope_handled.rate)
            );
        }
    }

    let worst: Vec<_> = report
        .figures
        .per_fiche
        .iter()
        .filter(|fiche| fiche.turn_accuracy.count < fiche.turn_accuracy.total)
        .take(limits.worst_fiches)
        .collect();
    if !worst.is_empty() {
        let _ = writeln!(out, "\nFiches les moins bien traitées :");
        let _ = writeln!(
            out,
            "  {:<34} {:>5} {:>12} {:>12} {:>12}",
            "fiche", "tours", "tours justes", "fiche juste", "mal orientés"
        );
        for fiche in worst {
            let _ = writeln!(
                out,
                "  {:<34} {:>5} {:>12} {:>12} {:>12}",
                fiche.fiche,
                fiche.turns,
                percent(fiche.turn_accuracy.rate),
                percent(fiche.fiche_accuracy.rate),
                fiche.misroute.count
            );
        }
    }

    let failing: Vec<_> = report.failing().collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "\nDialogues en échec ({}) :", failing.len());
        for run in failing.iter().take(limits.failing_dialogues) {
            let _ = writeln!(out, "  ✗ {} — {}", run.id, run.name);
            if let Some(error) = &run.start_error {
                let _ = writeln!(out, "      début d'appel : {error}");
            }
            for turn in run.failing() {
                let _ = writeln!(out, "      tour {} : « {} »", turn.number, turn.caller);
                if let Some(expect) = &turn.expect {
                    let _ = writeln!(out, "        attendu : {}", describe::expected(expect));
                }
                let _ = writeln!(out, "        obtenu  : {}", describe::got(turn));
                let said = describe::said(turn);
                if !said.is_empty() {
                    let _ = writeln!(out, "        dit     : « {} »", shorten(&said, 160));
                }
            }
        }
        if failing.len() > limits.failing_dialogues {
            let _ = writeln!(
                out,
                "  … et {} autres (tous dans report.json / report.html)",
                failing.len() - limits.failing_dialogues
            );
        }
    }
    out
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;

    #[test]
    fn shows_figures_worst_fiches_and_failures() {
        let text = render(&sample_report(), Limits::default());
        assert!(text.contains("Précision des fiches"));
        assert!(text.contains("50,0 %  (2/4)"), "{text}");
        assert!(text.contains("Fiches non couvertes : cni, permis-conduire"));
        assert!(text.contains("Dialogues en échec (2)"));
        assert!(text.contains("tour 1 : « ma carte grise »"));
        assert!(text.contains("attendu : action deflect, fiche carte-grise, sms oui"));
        assert!(text.contains(
            "obtenu  : action answer, fiche permis-conduire (confiance 0,60, règle test), sms non"
        ));
        assert!(!text.contains("bon.yaml"));
    }
}
