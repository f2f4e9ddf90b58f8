//! Fuzz target `opening_hours`: the opening hours the engine evaluates (`commune.toml`'s
//! `opening_hours`, rollout windows, partners' hours: [`Schedule`], OpenStreetMap syntax with
//! French public holidays) and the words it says about the next opening.
//!
//! Arbitrary expressions are rejected or parsed without panic; for a parsed expression and any
//! instant (DST transitions, year boundaries, far dates) in any of the communes' timezones,
//! evaluation never panics and is consistent: closed until `next_opening`, open then; the
//! state does not change before `next_change`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use guichet_agent::speech::when_in_words;
use guichet_fuzz::{Input, ensure, mutate};
use guichet_knowledge::{Schedule, ScheduleQuery};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const TARGET: &str = "opening_hours";

#[derive(Debug, Clone)]
struct Case {
    expression: String,
    /// Seconds since the Unix epoch.
    at: i64,
    tz: Tz,
}

impl Input for Case {
    /// The expression alone, so that the file can join the corpus (the instant and the
    /// timezone are in the `.txt` note beside it).
    fn to_bytes(&self) -> Vec<u8> {
        self.expression.clone().into_bytes()
    }
}

/// The timezones of French communes: metropolitan and overseas (DST and no DST).
const ZONES: &[Tz] = &[
    chrono_tz::Europe::Paris,
    chrono_tz::Europe::Paris,
    chrono_tz::Europe::Paris,
    chrono_tz::Indian::Reunion,
    chrono_tz::America::Cayenne,
    chrono_tz::America::Martinique,
    chrono_tz::America::Miquelon,
    chrono_tz::Pacific::Noumea,
    chrono_tz::Pacific::Tahiti,
    chrono_tz::UTC,
];

fn check(case: &Case) -> Result<(), String> {
    let schedule = match Schedule::parse(&case.expression, case.tz) {
        Ok(schedule) => schedule,
        Err(error) => {
            return ensure(!error.reason.trim().is_empty(), || {
                format!("an invalid expression without a reason: {error:?}")
            });
        }
    };
    let Some(t) = DateTime::<Utc>::from_timestamp(case.at, 0) else {
        return Ok(());
    };
    let tz = schedule.timezone();
    let open = schedule.is_open(t);
    let next_opening = schedule.next_opening(t);
    let next_change = schedule.next_change(t);

    if open {
        ensure(next_opening.is_none(), || {
            format!("open at {t} yet opening next at {next_opening:?}")
        })?;
    }
    if let Some(opening) = next_opening {
        ensure(opening > t, || {
            format!("next opening {opening} is not after {t}")
        })?;
        ensure(schedule.is_open(opening), || {
            format!("closed at its next opening {opening} (from {t})")
        })?;
        ensure(next_change.is_some_and(|change| change <= opening), || {
            format!("next change {next_change:?} is after the next opening {opening} (from {t})")
        })?;
        let words = when_in_words(t.with_timezone(&tz), opening.with_timezone(&tz));
        ensure(!words.trim().is_empty(), || {
            "no words for the next opening".into()
        })?;
    }
    if let Some(change) = next_change {
        ensure(change > t, || {
            format!("next change {change} is not after {t}")
        })?;
        let probes = [t + (change - t) / 2, change - Duration::seconds(1)];
        for probe in probes.into_iter().filter(|probe| *probe >= t) {
            ensure(schedule.is_open(probe) == open, || {
                format!(
                    "{} at {t}, but not at {probe}, before the next change {change}",
                    if open { "open" } else { "closed" }
                )
            })?;
        }
    }
    Ok(())
}

/// The last Sunday of a month at 01:00 UTC: when Europe's clocks change (March, October).
fn dst_change(year: i32, month: u32) -> i64 {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let Some(mut day) = next_month.and_then(|first| first.pred_opt()) else {
        return 0;
    };
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().unwrap_or(day);
    }
    day.and_hms_opt(1, 0, 0)
        .map_or(0, |at| Utc.from_utc_datetime(&at).timestamp())
}

fn new_year(year: i32) -> i64 {
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .map_or(0, |at| at.timestamp())
}

/// Instants where evaluation is hard: around DST changes and new year (local midnight is up
/// to 14 h away from UTC's), ordinary days, the edges of the supported years, far dates.
fn instant() -> impl Strategy<Value = i64> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    prop_oneof![
        3 => (1971i32..2100, prop_oneof![Just(3u32), Just(10u32)], -180i64..180, 0i64..60)
            .prop_map(|(year, month, minutes, seconds)| dst_change(year, month) + minutes * 60 + seconds),
        2 => (1901i32..2200, -1500i64..1500)
            .prop_map(|(year, minutes)| new_year(year) + minutes * 60),
        3 => 1_700_000_000i64..2_000_000_000,
        1 => new_year(1900)..new_year(10_000),
        1 => min..=max,
        1 => select(vec![
            min, max, 0, -1, new_year(1900) - 1, new_year(1900), new_year(10_000) - 60,
            new_year(10_000), new_year(10_000) + 86_400 * 61,
        ]),
    ]
}

/// Expressions of the OpenStreetMap grammar: mostly valid, with odd values (times past
/// midnight, open ends, sun events, year and week ranges, nth weekdays, holidays).
fn expression() -> impl Strategy<Value = String> {
    let day = select(&["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"][..]);
    let weekdays = prop_oneof![
        3 => day.clone().prop_map(str::to_owned),
        3 => (day.clone(), day.clone()).prop_map(|(a, b)| format!("{a}-{b}")),
        1 => (day, prop_oneof![1i32..6, -5i32..0]).prop_map(|(a, n)| format!("{a}[{n}]")),
        1 => select(&["PH", "SH", "PH,Sa", "Mo-Fr,PH", "Sa,Su"][..]).prop_map(str::to_owned),
    ];
    let month = select(
        &[
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ][..],
    );
    let dates = prop_oneof![
        4 => Just(String::new()),
        1 => (month.clone(), 1u32..29).prop_map(|(m, d)| format!("{m} {d:02}")),
        1 => (month.clone(), month).prop_map(|(a, b)| format!("{a}-{b}")),
        1 => (1900i32..9999, 0i32..50).prop_map(|(a, n)| format!("{a}-{}", (a + n).min(9999))),
        1 => (1u32..54, 0u32..20, 1u32..5)
            .prop_map(|(a, n, step)| format!("week {a:02}-{:02}/{step}", (a + n).min(53))),
        1 => select(&["easter", "easter +1 day", "easter -2 days"][..]).prop_map(str::to_owned),
    ];
    let time = (0u32..24, 0u32..60).prop_map(|(h, m)| (h * 60 + m, format!("{h:02}:{m:02}")));
    let span = prop_oneof![
        4 => (time.clone(), 1u32..600).prop_map(|((start, text), length)| {
            let end = start + length;
            format!("{text}-{:02}:{:02}", end / 60, end % 60)
        }),
        1 => time.prop_map(|(_, text)| format!("{text}+")),
        1 => select(&["sunrise-sunset", "(sunrise+01:00)-(sunset-00:30)", "dawn-dusk", "00:00-24:00"][..])
            .prop_map(str::to_owned),
    ];
    let spans = vec(span, 0..4).prop_map(|spans| spans.join(","));
    let modifier = select(
        &[
            "",
            "off",
            "closed",
            "open",
            "unknown",
            "\"sur rendez-vous\"",
        ][..],
    );
    let rule = (dates, prop::option::of(weekdays), spans, modifier).prop_map(
        |(dates, weekdays, spans, modifier)| {
            let words = [
                dates.as_str(),
                weekdays.as_deref().unwrap_or(""),
                &spans,
                modifier,
            ];
            let rule = words
                .iter()
                .filter(|word| !word.is_empty())
                .copied()
                .collect::<Vec<_>>();
            if rule.is_empty() {
                "off".to_owned()
            } else {
                rule.join(" ")
            }
        },
    );
    let separator = prop_oneof![4 => Just("; "), 1 => Just(", "), 1 => Just(" || ")];
    (vec((rule, separator), 1..5), prop::bool::weighted(0.1)).prop_map(|(rules, always)| {
        let mut text = if always {
            "24/7; ".to_owned()
        } else {
            String::new()
        };
        for (index, (rule, separator)) in rules.iter().enumerate() {
            if index > 0 {
                text.push_str(separator);
            }
            text.push_str(rule);
        }
        text
    })
}

fn expression_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches('\n')
        .to_owned()
}

fn strategy(corpus: &[Vec<u8>]) -> impl Strategy<Value = Case> {
    let tokens = [
        "Mo", "Fr", "Su", "PH", "SH", "off", "open", "unknown", "24/7", "week", "easter",
        "sunrise", "sunset", "dawn", "dusk", "Jan", "Dec", ":", "-", "+", ",", ";", "||", "/", "[",
        "]", "(", ")", "\"", "00:00", "24:00", "48:00", "10000", "1900", "-1", "99",
    ];
    let mutated = mutate::bytes(
        corpus,
        &tokens,
        expression().prop_map(String::into_bytes).boxed(),
    )
    .prop_map(|bytes| expression_text(&bytes));
    let expression = prop_oneof![2 => mutated, 1 => expression()];
    (expression, instant(), select(ZONES)).prop_map(|(expression, at, tz)| Case {
        expression,
        at,
        tz,
    })
}

/// Each corpus expression at the instants that matter most, in the metropolitan timezone.
fn seeds(corpus: &[Vec<u8>]) -> Vec<Case> {
    let instants = [
        dst_change(2026, 3) - 30 * 60,
        dst_change(2026, 3) + 30 * 60,
        dst_change(2026, 10) - 61 * 60,
        dst_change(2026, 10) - 30 * 60,
        dst_change(2026, 10) - 30,
        dst_change(2026, 10) + 30 * 60,
        new_year(2027) - 3600,
        1_773_134_100, // Tuesday 10 March 2026, 10:15 in Paris
        1_778_745_600, // Thursday 14 May 2026 (Ascension), 10:00 in Paris
        new_year(9999),
        DateTime::<Utc>::MAX_UTC.timestamp(),
        DateTime::<Utc>::MIN_UTC.timestamp(),
    ];
    corpus
        .iter()
        .flat_map(|bytes| {
            instants.iter().map(move |&at| Case {
                expression: expression_text(bytes),
                at,
                tz: chrono_tz::Europe::Paris,
            })
        })
        .collect()
}

#[test]
fn opening_hours_expressions_and_instants() {
    let corpus = guichet_fuzz::corpus(TARGET);
    assert!(!corpus.is_empty(), "the opening_hours corpus is missing");
    let summary = guichet_fuzz::run(TARGET, seeds(&corpus), strategy(&corpus), check);
    assert!(summary.generated > 0 || guichet_fuzz::budget().is_zero());
}

/// The grammar must draw valid expressions, else evaluation would hardly be fuzzed at all.
#[test]
fn the_grammar_draws_valid_expressions() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let drawn: Vec<String> = (0..200)
        .filter_map(|_| expression().new_tree(&mut runner).ok())
        .map(|tree| proptest::strategy::ValueTree::current(&tree))
        .collect();
    let invalid: Vec<&String> = drawn
        .iter()
        .filter(|expression| Schedule::parse(expression, chrono_tz::Europe::Paris).is_err())
        .collect();
    assert_eq!(drawn.len(), 200);
    assert!(
        invalid.len() <= 20,
        "{} invalid, e.g. {:?}",
        invalid.len(),
        invalid.first()
    );
}
