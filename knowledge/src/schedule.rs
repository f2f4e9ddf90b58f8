//! Opening hours in OpenStreetMap `opening_hours` syntax, evaluated in a timezone, with the
//! French public holiday calendar that the `opening-hours` crate ships (`PH` = jours fériés).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use opening_hours::localization::{Country, NoLocation, TzLocation};
use opening_hours::{Context, DATE_END, OpeningHours, RuleKind};

use crate::model::ScheduleQuery;

/// How far ahead [`ScheduleQuery::next_opening`] looks.
const HORIZON_DAYS: i64 = 60;

/// The first year the `opening-hours` crate evaluates (its last is [`DATE_END`]).
const FIRST_YEAR: i32 = 1900;

/// A parsed opening-hours expression bound to a timezone and to French public holidays.
#[derive(Clone)]
pub struct Schedule {
    expression: String,
    hours: OpeningHours<TzLocation<Tz>>,
    /// The same hours on the local wall clock, for "open at": the crate answers it over the
    /// minute that follows, which in local time runs backwards just before clocks go back.
    wall_clock: OpeningHours<NoLocation>,
    /// The same hours without public holidays: the usual week.
    usual: OpeningHours<NoLocation>,
}

/// One day of the usual week and its openings, in minutes after midnight (an end may be 24:00
/// or later, for hours that run past midnight). No openings: closed that day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHours {
    pub day: Weekday,
    pub open: Vec<std::ops::Range<u32>>,
}

/// An opening-hours expression that does not parse.
#[derive(Debug, Clone, thiserror::Error)]
#[error("horaires invalides « {expression} » : {reason}")]
pub struct ScheduleError {
    pub expression: String,
    pub reason: String,
}

impl Schedule {
    /// Parse `expression` (e.g. `Mo-Fr 08:30-12:00; PH off`) for a place in `tz`.
    pub fn parse(expression: &str, tz: Tz) -> Result<Self, ScheduleError> {
        let parsed = OpeningHours::from_str(expression).map_err(|error| ScheduleError {
            expression: expression.to_owned(),
            reason: describe(&error.to_string()),
        })?;
        let context = Context::default().with_holidays(Country::FR.holidays());
        Ok(Self {
            expression: expression.to_owned(),
            usual: parsed.clone(),
            wall_clock: parsed.clone().with_context(context.clone()),
            hours: parsed.with_context(context.with_locale(TzLocation::new(tz))),
        })
    }

    /// The expression as written by staff.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn timezone(&self) -> Tz {
        *self.hours.get_context().locale.get_timezone()
    }

    /// `at` in the schedule's timezone, when the `opening-hours` crate can evaluate it with
    /// the search horizon (years 1900 to 9999); outside them a schedule says nothing: closed,
    /// no next opening or change (rather than a date overflow).
    fn local(&self, at: DateTime<Utc>) -> Option<DateTime<Tz>> {
        // Checked in UTC, a day inside the bounds: no timezone is a day away from UTC.
        let utc = at.naive_utc();
        let supported = utc.year() > FIRST_YEAR
            && utc
                .checked_add_signed(Duration::days(HORIZON_DAYS + 1))
                .is_some_and(|horizon| horizon < DATE_END);
        supported.then(|| at.with_timezone(&self.timezone()))
    }

    fn open_at(&self, local: DateTime<Tz>) -> bool {
        self.wall_clock.is_open(local.naive_local())
    }

    /// The week (Monday to Sunday) that holds `at`, as it usually is: public holidays aside.
    /// Empty outside the dates the schedule evaluates.
    pub fn usual_week(&self, at: DateTime<Utc>) -> Vec<DayHours> {
        let Some(local) = self.local(at) else {
            return Vec::new();
        };
        let monday = local.date_naive().week(Weekday::Mon).first_day();
        monday
            .iter_days()
            .take(7)
            .map(|date| DayHours {
                day: date.weekday(),
                open: open_minutes(&self.usual, date),
            })
            .collect()
    }

    /// Whether the mairie is closed on public holidays when it would usually be open: read on
    /// the first public holiday after `at` that falls on a usually open day.
    pub fn closed_on_public_holidays(&self, at: DateTime<Utc>) -> bool {
        let Some(local) = self.local(at) else {
            return false;
        };
        let holidays = self.wall_clock.get_context().holidays.get_public();
        let mut after = local.date_naive();
        // French public holidays come every few weeks; a year holds eleven.
        for _ in 0..12 {
            let Some(holiday) = holidays.first_after(after) else {
                return false;
            };
            if !open_minutes(&self.usual, holiday).is_empty() {
                return open_minutes(&self.wall_clock, holiday).is_empty();
            }
            after = holiday;
        }
        false
    }

    /// The next instant the state changes (opens or closes), within the search horizon.
    pub fn next_change(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = self.local(at)?;
        let horizon = local + Duration::days(HORIZON_DAYS);
        let interval = self.hours.iter_range(local, horizon).next()?;
        (interval.range.end < horizon)
            .then(|| first_after(interval.range.end, local).with_timezone(&Utc))
    }
}

/// The first instant after `after` that shows the wall-clock time of `at`: on the night the
/// clocks go back, the `opening-hours` crate gives the later of the two.
fn first_after(at: DateTime<Tz>, after: DateTime<Tz>) -> DateTime<Tz> {
    match at.timezone().from_local_datetime(&at.naive_local()) {
        LocalResult::Ambiguous(earliest, _) if earliest > after => earliest,
        _ => at,
    }
}

/// The open ranges of `date`, in minutes after midnight.
fn open_minutes(hours: &OpeningHours<NoLocation>, date: NaiveDate) -> Vec<std::ops::Range<u32>> {
    let minutes = |hour: u8, minute: u8| u32::from(hour) * 60 + u32::from(minute);
    hours
        .schedule_at(date)
        .into_iter()
        .filter(|range| range.kind == RuleKind::Open)
        .map(|range| {
            let (start, end) = (range.range.start, range.range.end);
            minutes(start.hour(), start.minute())..minutes(end.hour(), end.minute())
        })
        .collect()
}

/// The parser's error in words: where it stopped understanding the expression.
fn describe(error: &str) -> String {
    let position = error.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("-->")?;
        let (_, column) = rest.trim().split_once(':')?;
        column.trim().parse::<usize>().ok()
    });
    match position {
        Some(column) => format!("syntaxe non reconnue à partir du caractère {column}"),
        None => error
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("syntaxe non reconnue")
            .to_owned(),
    }
}

impl ScheduleQuery for Schedule {
    fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.local(at).is_some_and(|local| self.open_at(local))
    }

    fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = self.local(at)?;
        if self.open_at(local) {
            return None;
        }
        let horizon = local + Duration::days(HORIZON_DAYS);
        self.hours
            .iter_range(local, horizon)
            .find(|interval| interval.kind == RuleKind::Open)
            .map(|interval| first_after(interval.range.start, local).with_timezone(&Utc))
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schedule")
            .field("expression", &self.expression)
            .field("timezone", &self.timezone())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const MAIRIE: &str = "Mo 13:30-17:30; Tu-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00; PH off";

    fn paris(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Paris
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .map(|dt| dt.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn evaluates_in_the_commune_timezone() -> Result<(), ScheduleError> {
        let schedule = Schedule::parse(MAIRIE, chrono_tz::Europe::Paris)?;
        assert!(schedule.is_open(paris(2026, 3, 10, 10, 15)));
        assert!(
            !schedule.is_open(paris(2026, 3, 9, 9, 30)),
            "closed Monday morning"
        );
        assert_eq!(
            schedule.next_opening(paris(2026, 3, 9, 9, 30)),
            Some(paris(2026, 3, 9, 13, 30))
        );
        assert_eq!(schedule.next_opening(paris(2026, 3, 10, 10, 15)), None);
        Ok(())
    }

    #[test]
    fn french_public_holidays_are_closed() -> Result<(), ScheduleError> {
        let schedule = Schedule::parse(MAIRIE, chrono_tz::Europe::Paris)?;
        assert!(!schedule.is_open(paris(2026, 5, 1, 10, 0)), "1er mai");
        assert!(!schedule.is_open(paris(2026, 5, 14, 10, 0)), "Ascension");
        assert!(!schedule.is_open(paris(2026, 7, 14, 10, 0)), "14 juillet");
        assert!(schedule.is_open(paris(2026, 7, 15, 10, 0)));
        // Thursday 14 May 2026 (Ascension) 10:00 → Friday 15 May 08:30.
        assert_eq!(
            schedule.next_opening(paris(2026, 5, 14, 10, 0)),
            Some(paris(2026, 5, 15, 8, 30))
        );
        Ok(())
    }

    #[test]
    fn the_usual_week_leaves_public_holidays_aside() -> Result<(), ScheduleError> {
        let schedule = Schedule::parse(MAIRIE, chrono_tz::Europe::Paris)?;
        // Thursday 14 May 2026 is Ascension: the week still shows Thursday's usual hours.
        let week = schedule.usual_week(paris(2026, 5, 14, 10, 0));
        let days: Vec<Weekday> = week.iter().map(|day| day.day).collect();
        assert_eq!(days[0], Weekday::Mon);
        assert_eq!(days.len(), 7);
        // Each day's openings as (from, to) in hours and minutes.
        let spans = |day: &DayHours| -> Vec<((u32, u32), (u32, u32))> {
            day.open
                .iter()
                .map(|span| {
                    (
                        (span.start / 60, span.start % 60),
                        (span.end / 60, span.end % 60),
                    )
                })
                .collect()
        };
        assert_eq!(spans(&week[0]), [((13, 30), (17, 30))]);
        assert_eq!(spans(&week[3]), [((8, 30), (12, 0)), ((13, 30), (17, 30))]);
        assert_eq!(spans(&week[5]), [((9, 0), (12, 0))]);
        assert!(week[6].open.is_empty());
        assert!(schedule.closed_on_public_holidays(paris(2026, 5, 14, 10, 0)));
        let always = Schedule::parse("Mo-Fr 09:00-17:00", chrono_tz::Europe::Paris)?;
        assert!(!always.closed_on_public_holidays(paris(2026, 5, 14, 10, 0)));
        // Open on public holidays at other hours: not "closed".
        let other = Schedule::parse(
            "Mo-Fr 09:00-17:00; PH 10:00-12:00",
            chrono_tz::Europe::Paris,
        )?;
        assert!(!other.closed_on_public_holidays(paris(2026, 5, 14, 10, 0)));
        Ok(())
    }

    #[test]
    fn invalid_expression_is_an_error() {
        assert!(Schedule::parse("lundi de 9h à 12h", chrono_tz::Europe::Paris).is_err());
    }
}
