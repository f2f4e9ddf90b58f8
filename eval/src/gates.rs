//! Quality gates: the run fails when fiche accuracy is below a floor, or the misroute rate or the
//! false-answer rate above a ceiling (fractions, e.g. 0.95, 0.01 and 0.01).

use crate::metrics::Metrics;
use crate::report::percent;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gates {
    pub min_fiche_accuracy: Option<f64>,
    pub max_misroute: Option<f64>,
    pub max_false_answers: Option<f64>,
}

/// A bound a rate must respect: a floor or a ceiling (fractions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// The rate must be at least this.
    AtLeast(f64),
    /// The rate must be at most this.
    AtMost(f64),
}

impl Limit {
    /// Whether `rate` respects the bound (a rate with nothing counted never does).
    pub fn holds(self, rate: Option<f64>) -> bool {
        match self {
            Limit::AtLeast(floor) => rate.is_some_and(|rate| rate + 1e-12 >= floor),
            Limit::AtMost(ceiling) => rate.is_some_and(|rate| rate <= ceiling + 1e-12),
        }
    }
}

impl Gates {
    /// The gates the CI holds every change to (`.ci/run`): fiche accuracy at least 95 %,
    /// misroutes and false answers at most 1 % each. The console's Évaluation page judges the
    /// recorded runs against them.
    pub const CI: Gates = Gates {
        min_fiche_accuracy: Some(0.95),
        max_misroute: Some(0.01),
        max_false_answers: Some(0.01),
    };

    /// The fiche-accuracy bound, if any.
    pub fn fiche_accuracy_limit(&self) -> Option<Limit> {
        self.min_fiche_accuracy.map(Limit::AtLeast)
    }

    /// The misroute bound, if any.
    pub fn misroute_limit(&self) -> Option<Limit> {
        self.max_misroute.map(Limit::AtMost)
    }

    /// The false-answer bound, if any.
    pub fn false_answers_limit(&self) -> Option<Limit> {
        self.max_false_answers.map(Limit::AtMost)
    }

    /// `Some(true)` when the fiche-accuracy gate holds, `None` when there is no such gate.
    /// With no turn expecting a fiche, the gate cannot hold.
    pub fn fiche_accuracy_holds(&self, metrics: &Metrics) -> Option<bool> {
        Some(
            self.fiche_accuracy_limit()?
                .holds(metrics.fiche_accuracy.rate),
        )
    }

    pub fn misroute_holds(&self, metrics: &Metrics) -> Option<bool> {
        Some(self.misroute_limit()?.holds(metrics.misroute.rate))
    }

    pub fn false_answers_hold(&self, metrics: &Metrics) -> Option<bool> {
        Some(self.false_answers_limit()?.holds(metrics.false_answer.rate))
    }

    /// One French sentence per breached gate; empty when every gate holds.
    pub fn breaches(&self, metrics: &Metrics) -> Vec<String> {
        let mut breaches = Vec::new();
        if let (Some(false), Some(floor)) =
            (self.fiche_accuracy_holds(metrics), self.min_fiche_accuracy)
        {
            breaches.push(format!(
                "précision des fiches {} ({}/{}) sous le minimum exigé de {}",
                percent(metrics.fiche_accuracy.rate),
                metrics.fiche_accuracy.count,
                metrics.fiche_accuracy.total,
                percent(Some(floor))
            ));
        }
        if let (Some(false), Some(ceiling)) = (self.misroute_holds(metrics), self.max_misroute) {
            breaches.push(format!(
                "taux de mauvaise orientation {} ({}/{}) au-dessus du maximum admis de {}",
                percent(metrics.misroute.rate),
                metrics.misroute.count,
                metrics.misroute.total,
                percent(Some(ceiling))
            ));
        }
        if let (Some(false), Some(ceiling)) =
            (self.false_answers_hold(metrics), self.max_false_answers)
        {
            breaches.push(format!(
                "taux de fausses réponses {} ({}/{}) au-dessus du maximum admis de {}",
                percent(metrics.false_answer.rate),
                metrics.false_answer.count,
                metrics.false_answer.total,
                percent(Some(ceiling))
            ));
        }
        breaches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratio::Ratio;

    fn metrics(fiche: (usize, usize), misroute: (usize, usize)) -> Metrics {
        Metrics {
            fiche_accuracy: Ratio::new(fiche.0, fiche.1),
            misroute: Ratio::new(misroute.0, misroute.1),
            false_answer: Ratio::new(misroute.0, misroute.1 * 2),
            ..Metrics::default()
        }
    }

    #[test]
    fn gates_hold_at_the_boundary_and_fail_beyond() {
        let gates = Gates {
            min_fiche_accuracy: Some(0.95),
            max_misroute: Some(0.01),
            max_false_answers: None,
        };
        assert!(gates.breaches(&metrics((95, 100), (1, 100))).is_empty());
        let breaches = gates.breaches(&metrics((94, 100), (2, 100)));
        assert_eq!(breaches.len(), 2);
        assert!(
            breaches[0].contains("94,0 %") && breaches[0].contains("95,0 %"),
            "{breaches:?}"
        );
        assert!(breaches[1].contains("2,0 %") && breaches[1].contains("1,0 %"));
        assert_eq!(gates.breaches(&metrics((0, 0), (0, 0))).len(), 2);
        assert!(
            Gates::default()
                .breaches(&metrics((0, 10), (10, 10)))
                .is_empty()
        );
    }

    #[test]
    fn the_false_answer_gate_counts_every_scored_turn() {
        let gates = Gates {
            max_false_answers: Some(0.01),
            ..Gates::default()
        };
        // 2 false answers over 200 scored turns: 1 %, held; 3 over 200: breached.
        assert!(gates.breaches(&metrics((95, 100), (2, 100))).is_empty());
        let breaches = gates.breaches(&metrics((95, 100), (3, 100)));
        assert_eq!(breaches.len(), 1);
        assert!(
            breaches[0].contains("fausses réponses") && breaches[0].contains("1,5 %"),
            "{breaches:?}"
        );
    }
}
