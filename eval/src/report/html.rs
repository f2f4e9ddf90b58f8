//! A self-contained HTML report: inline CSS, inline SVG charts (threshold sweep, confusion
//! matrix), no script, no external resource. The geometry is computed here; the template only
//! places it.

use std::collections::BTreeMap;

use minijinja::{Environment, context};
use serde::Serialize;

use super::{Report, describe, percent};
use crate::gates::Gates;
use crate::metrics::{Ratio, SweepPoint};

const TEMPLATE: &str = include_str!("../../templates/report.html");

/// At most this many fiches on each axis of the confusion matrix.
const MATRIX_MAX: usize = 15;

#[derive(Serialize)]
struct Card {
    label: &'static str,
    value: String,
    detail: String,
    status: &'static str,
}

#[derive(Serialize)]
struct Tick {
    at: f64,
    label: String,
}

#[derive(Serialize)]
struct Dot {
    x: f64,
    y: f64,
    title: String,
}

#[derive(Serialize)]
struct Chart {
    title: &'static str,
    color: &'static str,
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    plot_width: f64,
    plot_height: f64,
    points: String,
    dots: Vec<Dot>,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    marker: Option<Tick>,
}

#[derive(Serialize)]
struct Label {
    name: String,
    at: f64,
}

#[derive(Serialize)]
struct Cell {
    x: f64,
    y: f64,
    count: usize,
    opacity: f64,
    title: String,
}

#[derive(Serialize)]
struct Matrix {
    width: f64,
    height: f64,
    left: f64,
    top: f64,
    cell: f64,
    rows: Vec<Label>,
    columns: Vec<Label>,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct TurnView {
    number: usize,
    caller: String,
    scored: bool,
    right: bool,
    expected: String,
    got: String,
    said: String,
    failures: Vec<String>,
}

#[derive(Serialize)]
struct RunView {
    id: String,
    name: String,
    channel: String,
    from: String,
    at: String,
    start_error: Option<String>,
    turns: Vec<TurnView>,
}

pub fn render(report: &Report, gates: &Gates) -> Result<String, minijinja::Error> {
    let m = &report.figures.metrics;
    let status = |holds: Option<bool>| match holds {
        Some(true) => "ok",
        Some(false) => "bad",
        None => "",
    };
    let card = |label, ratio: &Ratio, holds: Option<bool>| Card {
        label,
        value: percent(ratio.rate),
        detail: format!("{} sur {}", ratio.count, ratio.total),
        status: status(holds),
    };
    let mut cards = vec![
        card(
            "Précision des fiches",
            &m.fiche_accuracy,
            gates.fiche_accuracy_holds(m),
        ),
        card(
            "Taux de mauvaise orientation",
            &m.misroute,
            gates.misroute_holds(m),
        ),
        card(
            "Taux de fausses réponses",
            &m.false_answer,
            gates.false_answers_hold(m),
        ),
        card("Hors périmètre bien traité", &m.out_of_scope_handled, None),
        card("Précision des actions", &m.action_accuracy, None),
        card("Réussite des dialogues", &m.dialogue_success, None),
        card("Tours justes", &m.turn_accuracy, None),
        card("Transferts : précision", &m.handoff_precision, None),
        card("Transferts : rappel", &m.handoff_recall, None),
        card("SMS corrects", &m.sms_correctness, None),
        card("Couverture des fiches", &m.coverage, None),
    ];
    cards.push(Card {
        label: "Latence par tour (p50 / p95 / p99)",
        value: format!("{} µs", m.latency.p95_us),
        detail: format!(
            "p50 {} µs · p99 {} µs · max {} µs",
            m.latency.p50_us, m.latency.p99_us, m.latency.max_us
        ),
        status: "",
    });

    let sweep = &report.figures.sweep;
    let charts = vec![
        sweep_chart(
            "Part des réponses engagées",
            "#12355b",
            sweep,
            |point| point.answered,
            None,
        ),
        sweep_chart(
            "Taux de mauvaise orientation",
            "#c62828",
            sweep,
            |point| point.misroute,
            gates.max_misroute,
        ),
        sweep_chart(
            "Précision des fiches",
            "#2e7d32",
            sweep,
            |point| point.fiche_accuracy,
            None,
        ),
        sweep_chart(
            "Taux de fausses réponses (tous les tours notés)",
            "#ad1457",
            sweep,
            |point| point.false_answer,
            gates.max_false_answers,
        ),
    ];
    let sweep_rows: Vec<_> = sweep
        .iter()
        .map(|point| {
            context! {
                threshold => format!("{:.2}", point.threshold).replace('.', ","),
                answered => percent(point.answered.rate),
                misroute => percent(point.misroute.rate),
                fiche_accuracy => percent(point.fiche_accuracy.rate),
                false_answer => percent(point.false_answer.rate),
            }
        })
        .collect();

    let max_count = report
        .figures
        .confusion
        .iter()
        .map(|c| c.count)
        .max()
        .unwrap_or(1)
        .max(1);
    let confusion_rows: Vec<_> = report
        .figures
        .confusion
        .iter()
        .map(|c| {
            context! {
                expected => c.expected,
                got => c.got.clone().unwrap_or_else(|| "aucune".into()),
                count => c.count,
                bar => (c.count as f64 / max_count as f64 * 160.0).round(),
            }
        })
        .collect();

    let per_fiche: Vec<_> = report
        .figures
        .per_fiche
        .iter()
        .map(|f| {
            context! {
                fiche => f.fiche,
                turns => f.turns,
                turn_accuracy => percent(f.turn_accuracy.rate),
                action_accuracy => percent(f.action_accuracy.rate),
                fiche_accuracy => percent(f.fiche_accuracy.rate),
                misroutes => f.misroute.count,
                failing => f.failing_dialogues.join(", "),
            }
        })
        .collect();

    let failing: Vec<RunView> = report
        .failing()
        .map(|run| RunView {
            id: run.id.clone(),
            name: run.name.clone(),
            channel: format!("{:?}", run.channel).to_lowercase(),
            from: run.from.clone(),
            at: run.at.clone(),
            start_error: run.start_error.clone(),
            turns: run
                .turns
                .iter()
                .map(|turn| TurnView {
                    number: turn.number,
                    caller: turn.caller.clone(),
                    scored: turn.verdict.scored,
                    right: turn.verdict.scored && turn.verdict.right,
                    expected: turn
                        .expect
                        .as_ref()
                        .map(describe::expected)
                        .unwrap_or_default(),
                    got: describe::got(turn),
                    said: describe::said(turn),
                    failures: turn.verdict.failures.clone(),
                })
                .collect(),
        })
        .collect();
    let all_runs: Vec<_> = report
        .dialogues
        .iter()
        .map(|run| {
            context! {
                id => run.id, name => run.name, scored => run.scored_turns,
                failed => run.failed_turns, passed => run.passed,
            }
        })
        .collect();

    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)?;
    env.get_template("report.html")?.render(context! {
        commune => report.commune,
        mode => report.mode,
        generated_at => report.generated_at,
        dialogues_count => report.dialogues.len(),
        metrics => m,
        uncovered => m.uncovered_fiches.join(", "),
        cards,
        charts,
        sweep => sweep_rows,
        breakdown => report.figures.breakdown.iter().map(|group| context! {
            group => group.group,
            turns => group.scored_turns,
            turn_accuracy => percent(group.turn_accuracy.rate),
            fiche_accuracy => percent(group.fiche_accuracy.rate),
            false_answer => percent(group.false_answer.rate),
            false_answer_detail => format!("{}/{}", group.false_answer.count, group.false_answer.total),
            out_of_scope_handled => percent(group.out_of_scope_handled.rate),
        }).collect::<Vec<_>>(),
        confusion_rows,
        matrix => matrix(report),
        per_fiche,
        failing,
        all_runs,
    })
}

/// A line chart of one sweep series against the threshold; the y scale is 0–100 % for the
/// answered share and 0–(max, at least 2 %) for the misroute rate, so small rates stay visible.
fn sweep_chart(
    title: &'static str,
    color: &'static str,
    sweep: &[SweepPoint],
    series: impl Fn(&SweepPoint) -> Ratio,
    ceiling: Option<f64>,
) -> Chart {
    let (width, height, left, right_pad, top, bottom_pad) = (440.0, 260.0, 52.0, 16.0, 14.0, 40.0);
    let (right, bottom) = (width - right_pad, height - bottom_pad);
    let (plot_width, plot_height) = (right - left, bottom - top);
    let rates: Vec<f64> = sweep
        .iter()
        .map(|p| series(p).rate.unwrap_or(0.0))
        .collect();
    let highest = rates.iter().copied().fold(ceiling.unwrap_or(0.0), f64::max);
    let y_max = if ceiling.is_some() || highest < 0.2 {
        // Round up to the next 1 % above the data (at least 2 %).
        ((highest * 100.0).ceil() / 100.0 + 0.01).max(0.02)
    } else {
        1.0
    };
    let x = |t: f64| round(left + t * plot_width);
    let y = |r: f64| round(bottom - r / y_max * plot_height);
    let points = sweep
        .iter()
        .zip(&rates)
        .map(|(p, r)| format!("{},{}", x(p.threshold), y(*r)))
        .collect::<Vec<_>>()
        .join(" ");
    let dots = sweep
        .iter()
        .zip(&rates)
        .map(|(p, r)| Dot {
            x: x(p.threshold),
            y: y(*r),
            title: format!("seuil {:.2} : {}", p.threshold, percent(Some(*r))),
        })
        .collect();
    let x_ticks = (0..=10)
        .step_by(2)
        .map(|i| {
            let t = f64::from(i) / 10.0;
            Tick {
                at: x(t),
                label: format!("{t:.1}").replace('.', ","),
            }
        })
        .collect();
    let y_ticks = (0..=4)
        .map(|i| {
            let r = y_max * f64::from(i) / 4.0;
            Tick {
                at: y(r),
                label: percent(Some(r)),
            }
        })
        .collect();
    // The ceiling (a gate), drawn as a horizontal dashed line.
    let marker = ceiling.map(|limit| Tick {
        at: y(limit),
        label: format!("maximum admis {}", percent(Some(limit))),
    });
    Chart {
        title,
        color,
        width,
        height,
        left,
        right,
        top,
        bottom,
        plot_width,
        plot_height,
        points,
        dots,
        x_ticks,
        y_ticks,
        marker,
    }
}

fn matrix(report: &Report) -> Matrix {
    let mut row_totals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut column_totals: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &report.figures.confusion {
        *row_totals.entry(&c.expected).or_default() += c.count;
        *column_totals
            .entry(c.got.as_deref().unwrap_or("aucune"))
            .or_default() += c.count;
    }
    let top = |totals: BTreeMap<&str, usize>| -> Vec<String> {
        let mut names: Vec<(&str, usize)> = totals.into_iter().collect();
        names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        names
            .into_iter()
            .take(MATRIX_MAX)
            .map(|(name, _)| name.to_owned())
            .collect()
    };
    let (rows, columns) = (top(row_totals), top(column_totals));
    let (cell, left, top_margin) = (22.0, 230.0, 150.0);
    let max_count = report
        .figures
        .confusion
        .iter()
        .map(|c| c.count)
        .max()
        .unwrap_or(1)
        .max(1);
    let cells = report
        .figures
        .confusion
        .iter()
        .filter_map(|c| {
            let got = c.got.as_deref().unwrap_or("aucune");
            let row = rows.iter().position(|name| *name == c.expected)?;
            let column = columns.iter().position(|name| name == got)?;
            Some(Cell {
                x: left + column as f64 * cell,
                y: top_margin + row as f64 * cell,
                count: c.count,
                opacity: round(0.15 + 0.85 * c.count as f64 / max_count as f64),
                title: format!("{} → {} : {}", c.expected, got, c.count),
            })
        })
        .collect();
    Matrix {
        width: left + columns.len() as f64 * cell + 140.0,
        height: top_margin + rows.len() as f64 * cell + 10.0,
        left,
        top: top_margin,
        cell,
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, name)| Label {
                name,
                at: top_margin + i as f64 * cell,
            })
            .collect(),
        columns: columns
            .into_iter()
            .enumerate()
            .map(|(i, name)| Label {
                name,
                at: left + i as f64 * cell,
            })
            .collect(),
        cells,
    }
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;

    #[test]
    fn self_contained_with_every_chart() {
        let mut report = sample_report();
        report.dialogues[1].name = "<script>alert(1)</script>".into();
        let gates = Gates {
            min_fiche_accuracy: Some(0.95),
            max_misroute: Some(0.01),
            max_false_answers: Some(0.01),
        };
        let html = render(&report, &gates).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(
            html.matches("<svg").count(),
            5,
            "four sweep charts and the confusion matrix"
        );
        assert!(html.contains("<polyline"));
        assert!(html.contains("carte-grise → permis-conduire : 1"));
        assert!(!html.contains("<script>"), "names are escaped");
        assert!(html.contains("&lt;script&gt;"));
        assert!(
            !html.contains("http://")
                || html.matches("http://").count()
                    == html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        );
        assert!(
            !html.contains("<link") && !html.contains("src="),
            "no external resource"
        );
        assert!(
            html.contains("card bad"),
            "fiche accuracy 50 % breaches 95 %"
        );
        // Each SVG parses as XML on its own.
        for svg in html.split("<svg").skip(1) {
            let end = svg.find("</svg>").unwrap();
            let fragment = format!("<svg{}</svg>", &svg[..end]);
            roxmltree::Document::parse(&fragment).unwrap();
        }
    }
}
