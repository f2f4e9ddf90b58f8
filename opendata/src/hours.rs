//! Opening periods of the directory (`plage_ouverture`) turned into an OpenStreetMap
//! `opening_hours` expression, public holidays closed, checked by the `opening-hours` crate.
//!
//! A period is `nom_jour_debut`…`nom_jour_fin` (French day names) with up to two time ranges
//! (`valeur_heure_debut_1`/`valeur_heure_fin_1`, then `_2` for offices closed at lunch). Periods
//! are merged day by day (two periods on the same day add up), then consecutive days with the
//! same hours are grouped: `Mo-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00; PH off`.

use std::str::FromStr as _;

use crate::directory::OpeningPeriod;

const DAYS: [(&str, &str); 7] = [
    ("lundi", "Mo"),
    ("mardi", "Tu"),
    ("mercredi", "We"),
    ("jeudi", "Th"),
    ("vendredi", "Fr"),
    ("samedi", "Sa"),
    ("dimanche", "Su"),
];

/// Why the hours of a record cannot be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HoursError {
    #[error("aucun horaire publié")]
    Missing,
    #[error("jour inconnu « {0} »")]
    UnknownDay(String),
    #[error("heure illisible « {0} » (attendu HH:MM ou HH:MM:SS)")]
    BadTime(String),
    #[error("plage horaire incomplète ou inversée « {0}-{1} »")]
    BadRange(String, String),
    #[error("expression « {0} » refusée par le vérificateur d'horaires : {1}")]
    Invalid(String, String),
}

/// The OpenStreetMap expression of `periods`, `PH off` appended.
pub fn to_osm(periods: &[OpeningPeriod]) -> Result<String, HoursError> {
    let mut per_day: [Vec<(u16, u16)>; 7] = Default::default();
    for period in periods {
        if period.ranges.is_empty() && period.first_day.is_empty() {
            continue;
        }
        let first = day_index(&period.first_day)?;
        let last = if period.last_day.trim().is_empty() {
            first
        } else {
            day_index(&period.last_day)?
        };
        let mut ranges = Vec::new();
        for (start, end) in &period.ranges {
            let (from, to) = (minutes(start)?, minutes(end)?);
            if to <= from {
                return Err(HoursError::BadRange(start.clone(), end.clone()));
            }
            ranges.push((from, to));
        }
        // Lundi…Vendredi; a range that wraps (Samedi…Lundi) covers the week's end.
        let mut day = first;
        loop {
            per_day[day].extend(ranges.iter().copied());
            if day == last {
                break;
            }
            day = (day + 1) % 7;
        }
    }
    for ranges in &mut per_day {
        ranges.sort_unstable();
        ranges.dedup();
    }
    if per_day.iter().all(Vec::is_empty) {
        return Err(HoursError::Missing);
    }
    let mut rules = Vec::new();
    let mut day = 0;
    while day < 7 {
        if per_day[day].is_empty() {
            day += 1;
            continue;
        }
        let mut last = day;
        while last + 1 < 7 && per_day[last + 1] == per_day[day] {
            last += 1;
        }
        let days = match last - day {
            0 => DAYS[day].1.to_owned(),
            1 => format!("{},{}", DAYS[day].1, DAYS[last].1),
            _ => format!("{}-{}", DAYS[day].1, DAYS[last].1),
        };
        let hours = per_day[day]
            .iter()
            .map(|(from, to)| format!("{}-{}", clock(*from), clock(*to)))
            .collect::<Vec<_>>()
            .join(",");
        rules.push(format!("{days} {hours}"));
        day = last + 1;
    }
    rules.push("PH off".to_owned());
    let expression = rules.join("; ");
    opening_hours::OpeningHours::from_str(&expression)
        .map_err(|error| HoursError::Invalid(expression.clone(), error.to_string()))?;
    Ok(expression)
}

fn day_index(name: &str) -> Result<usize, HoursError> {
    let lower = name.trim().to_lowercase();
    DAYS.iter()
        .position(|(french, _)| *french == lower)
        .ok_or_else(|| HoursError::UnknownDay(name.to_owned()))
}

/// `HH:MM` or `HH:MM:SS` (also `8h30`) as minutes since midnight; 24:00 is allowed as an end.
fn minutes(value: &str) -> Result<u16, HoursError> {
    let bad = || HoursError::BadTime(value.to_owned());
    let mut parts = value.trim().split([':', 'h', 'H']);
    let hours: u16 = parts
        .next()
        .filter(|part| !part.is_empty() && part.len() <= 2)
        .and_then(|part| part.parse().ok())
        .ok_or_else(bad)?;
    let minutes: u16 = match parts.next() {
        None | Some("") => 0,
        Some(part) if part.len() == 2 => part.parse().map_err(|_| bad())?,
        Some(_) => return Err(bad()),
    };
    if let Some(seconds) = parts.next()
        && (seconds.len() != 2 || seconds.parse::<u8>().is_err())
    {
        return Err(bad());
    }
    if parts.next().is_some() || minutes >= 60 || hours > 24 || (hours == 24 && minutes > 0) {
        return Err(bad());
    }
    Ok(hours * 60 + minutes)
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(first: &str, last: &str, ranges: &[(&str, &str)]) -> OpeningPeriod {
        OpeningPeriod {
            first_day: first.into(),
            last_day: last.into(),
            ranges: ranges
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            comment: String::new(),
        }
    }

    #[test]
    fn weekdays_with_lunch_break_and_saturday_morning() {
        let periods = [
            period(
                "Lundi",
                "Vendredi",
                &[("08:30:00", "12:00:00"), ("13:30:00", "17:30:00")],
            ),
            period("Samedi", "Samedi", &[("09:00:00", "12:00:00")]),
        ];
        assert_eq!(
            to_osm(&periods).unwrap(),
            "Mo-Fr 08:30-12:00,13:30-17:30; Sa 09:00-12:00; PH off"
        );
    }

    #[test]
    fn periods_on_the_same_day_add_up_and_equal_days_group() {
        let periods = [
            period("Lundi", "", &[("13:30", "17:30")]),
            period("Mardi", "Jeudi", &[("08:30", "12:00")]),
            period("Mardi", "Jeudi", &[("13:30", "17:30")]),
            period("Vendredi", "", &[("08:30", "12:00")]),
        ];
        assert_eq!(
            to_osm(&periods).unwrap(),
            "Mo 13:30-17:30; Tu-Th 08:30-12:00,13:30-17:30; Fr 08:30-12:00; PH off"
        );
    }

    #[test]
    fn bad_input_is_named() {
        assert_eq!(to_osm(&[]), Err(HoursError::Missing));
        assert_eq!(
            to_osm(&[period("Lundo", "", &[("08:00", "12:00")])]),
            Err(HoursError::UnknownDay("Lundo".into()))
        );
        assert_eq!(
            to_osm(&[period("Lundi", "", &[("8:3O", "12:00")])]),
            Err(HoursError::BadTime("8:3O".into()))
        );
        assert_eq!(
            to_osm(&[period("Lundi", "", &[("14:00", "12:00")])]),
            Err(HoursError::BadRange("14:00".into(), "12:00".into()))
        );
        assert_eq!(
            to_osm(&[period("Lundi", "", &[("14:00", "")])]),
            Err(HoursError::BadTime("".into()))
        );
    }
}
