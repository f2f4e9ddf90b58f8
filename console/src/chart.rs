//! Server-drawn SVG charts of the statistics page: the geometry is computed here, the
//! template writes the `<svg>` elements (so every text stays escaped). No script, no inline
//! style: colours come from the classes of `console.css`, sizes from SVG attributes.

use serde::Serialize;

use crate::french;
use crate::stats::Tally;

/// Height of the bars' area, in SVG units.
const PLOT_HEIGHT: f64 = 160.0;
/// Room under the bars for the period's label and above for its call count.
const LABEL_ROOM: f64 = 34.0;
const TOP_ROOM: f64 = 16.0;
/// Left margin for the percentage axis.
const AXIS_ROOM: f64 = 36.0;
/// Width of one period's column (bar and gap).
const COLUMN: f64 = 52.0;
const BAR: f64 = 32.0;

/// The outcomes, in stacking order (bottom first): CSS class and French legend.
pub const SERIES: [(&str, &str); 5] = [
    ("robot", "Réglés par l'assistant"),
    ("transfer", "Transférés à un agent"),
    ("callback", "À rappeler"),
    ("lost", "Perdus"),
    ("open", "En cours"),
];

/// One coloured piece of a bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// CSS class (`robot`, `lost`…).
    pub class: &'static str,
    /// Tooltip: « Perdus : 12,5 % (3) ».
    pub title: String,
}

/// One period's bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// Where its labels are centred.
    pub center: f64,
    /// « 3 déc. » or « sem. du 30 nov. ».
    pub label: String,
    /// Number of calls, above the bar.
    pub calls: String,
    pub segments: Vec<Segment>,
}

/// A horizontal grid line with its percentage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridLine {
    pub y: f64,
    pub label: String,
}

/// A 100 % stacked-bar chart of outcomes per period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    /// The y of the bars' bottom.
    pub base: f64,
    pub label_y: f64,
    pub axis_x: f64,
    pub columns: Vec<Column>,
    pub grid: Vec<GridLine>,
}

/// Draws `periods` (label, tally), oldest first.
pub fn stacked(periods: &[(String, Tally)]) -> Chart {
    let base = TOP_ROOM + PLOT_HEIGHT;
    let columns = periods
        .iter()
        .enumerate()
        .map(|(i, (label, tally))| {
            let x = AXIS_ROOM + i as f64 * COLUMN + (COLUMN - BAR) / 2.0;
            let counts = [
                tally.settled_by_robot,
                tally.transfers,
                tally.callbacks,
                tally.lost,
                tally.in_progress,
            ];
            let mut top = base;
            let segments = SERIES
                .iter()
                .zip(counts)
                .filter(|(_, count)| *count > 0)
                .map(|(&(class, legend), count)| {
                    let share = tally.percent(count);
                    let height = PLOT_HEIGHT * share / 100.0;
                    top -= height;
                    Segment {
                        x,
                        y: round(top),
                        width: BAR,
                        height: round(height),
                        class,
                        title: format!("{label} — {legend} : {} ({count})", french::percent(share)),
                    }
                })
                .collect();
            Column {
                center: x + BAR / 2.0,
                label: label.clone(),
                calls: french::integer(tally.calls),
                segments,
            }
        })
        .collect();
    let grid = [0.0, 50.0, 100.0]
        .iter()
        .map(|pct| GridLine {
            y: base - PLOT_HEIGHT * pct / 100.0,
            label: format!("{pct:.0}\u{a0}%"),
        })
        .collect();
    Chart {
        width: AXIS_ROOM + (periods.len().max(1)) as f64 * COLUMN,
        height: base + LABEL_ROOM,
        base,
        label_y: base + 16.0,
        axis_x: AXIS_ROOM - 4.0,
        columns,
        grid,
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_stack_to_the_full_height_with_french_tooltips() {
        let tally = Tally {
            calls: 4,
            settled_by_robot: 2,
            transfers: 0,
            callbacks: 1,
            lost: 1,
            in_progress: 0,
        };
        let chart = stacked(&[
            ("3 déc.".into(), tally),
            ("4 déc.".into(), Tally::default()),
        ]);
        assert_eq!(chart.columns.len(), 2);
        let bar = &chart.columns[0];
        assert_eq!(bar.segments.len(), 3, "no empty segment");
        let height: f64 = bar.segments.iter().map(|s| s.height).sum();
        assert!((height - PLOT_HEIGHT).abs() < 0.5, "{height}");
        assert_eq!(bar.segments[0].class, "robot");
        assert_eq!(
            bar.segments[0].title,
            "3 déc. — Réglés par l'assistant : 50,0\u{a0}% (2)"
        );
        assert!(chart.columns[1].segments.is_empty(), "a day without calls");
        assert_eq!(chart.grid[1].label, "50\u{a0}%");
    }
}
