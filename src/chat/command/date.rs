//! Dates for `pause until DATE`, read relative to the person's own today (no clock is read here).

use chrono::{Datelike, Months, NaiveDate, TimeDelta, Weekday};

use super::{shown, typed, CommandError};

/// A pause reaches at most this many days past today: a year, leap years included.
pub const MAX_PAUSE_DAYS: i64 = 366;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Reads the words after `pause until` (already lowercase, trailing commas and dots dropped).
pub(super) fn parse_until(words: &[String], today: NaiveDate) -> Result<NaiveDate, CommandError> {
    let ws: Vec<&str> = words.iter().map(String::as_str).collect();
    match ws.as_slice() {
        [] => Err(CommandError::new(
            "say until when: a date, tomorrow, a weekday or in N days".to_string(),
            suggest(after(today, 7)),
        )),
        ["today"] => in_range(Some(today), today),
        ["tomorrow"] => in_range(after(today, 1), today),
        [day] | ["next", day] if weekday(day).is_some() => {
            let wanted = weekday(day).unwrap_or(Weekday::Mon);
            let ahead =
                (wanted.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
            let ahead = if ahead == 0 { 7 } else { ahead };
            in_range(after(today, i64::from(ahead)), today)
        }
        ["in", count, unit] => relative(count, unit, today),
        [iso] if iso.contains(['-', '/']) => iso_date(iso, today),
        [a, b] => day_month(a, b, None, today),
        [a, b, year] => day_month(a, b, Some(year), today),
        _ => Err(unreadable(&words.join(" "), today)),
    }
}

/// `today + days`, or `None` past the end of the calendar chrono can represent.
fn after(today: NaiveDate, days: i64) -> Option<NaiveDate> {
    today.checked_add_signed(TimeDelta::try_days(days)?)
}

fn suggest(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| typed(&format!("pause until {d}")))
}

/// The checks every date goes through: after today, and at most a year ahead.
fn in_range(date: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate, CommandError> {
    match date {
        Some(date) if date <= today => Err(CommandError::new(
            format!("that date has passed — pick a day after {today}"),
            suggest(after(today, 1)),
        )),
        Some(date) if (date - today).num_days() <= MAX_PAUSE_DAYS => Ok(date),
        _ => Err(too_far(today)),
    }
}

fn too_far(today: NaiveDate) -> CommandError {
    let last = after(today, MAX_PAUSE_DAYS);
    CommandError::new(
        match last {
            Some(last) => {
                format!("that is too far: you can pause at most a year ahead, until {last}")
            }
            None => "that is too far: you can pause at most a year ahead".to_string(),
        },
        suggest(last),
    )
}

fn unreadable(text: &str, today: NaiveDate) -> CommandError {
    CommandError::new(
        format!(
            "{} is not a date I can read — write it like 2026-12-24, Dec 24, tomorrow, friday or in 2 weeks",
            shown(text)
        ),
        suggest(after(today, 7)),
    )
}

fn weekday(word: &str) -> Option<Weekday> {
    let day = match word {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

/// A month by name (`dec`, `december`, `sept`), numbered from 1.
fn month(word: &str) -> Option<u32> {
    if word == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|name| {
            let name = name.to_lowercase();
            word == name || (word.len() == 3 && name.starts_with(word))
        })
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// A count of days, months…: digits only. Numbers too long for `u64` count as `u64::MAX`: they
/// are too far either way, and must not overflow.
fn number(word: &str) -> Option<u64> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(word.parse().unwrap_or(u64::MAX))
}

/// A day of the month, with an optional ordinal ending (`24th`).
fn day_number(word: &str) -> Option<u64> {
    number(day_digits(word))
}

fn day_digits(word: &str) -> &str {
    ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|end| word.strip_suffix(end))
        .unwrap_or(word)
}

/// `in 3 days`, `in 2 weeks`, `in a month`.
fn relative(count: &str, unit: &str, today: NaiveDate) -> Result<NaiveDate, CommandError> {
    let n = match count {
        "a" | "an" | "one" => Some(1),
        other => number(other),
    };
    let unit_days = match unit.trim_end_matches('s') {
        "day" => Some(1),
        "week" => Some(7),
        "month" => None,
        _ => return Err(unreadable(&format!("in {count} {unit}"), today)),
    };
    let Some(n) = n else {
        return Err(unreadable(&format!("in {count} {unit}"), today));
    };
    match unit_days {
        Some(per) => {
            let days = n.saturating_mul(per);
            if days > MAX_PAUSE_DAYS as u64 {
                return Err(too_far(today));
            }
            in_range(after(today, days as i64), today)
        }
        None if n > 12 => Err(too_far(today)),
        None => in_range(today.checked_add_months(Months::new(n as u32)), today),
    }
}

/// `2026-12-24` (or `2026/12/24`).
fn iso_date(word: &str, today: NaiveDate) -> Result<NaiveDate, CommandError> {
    let parts: Vec<&str> = word.split(['-', '/']).collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(unreadable(word, today));
    };
    // The year comes first: 24/12/2026 and 12/24/2026 are ambiguous between countries.
    let day_text = *d;
    let (Some(_), Some(m), Some(d)) = (number(y), number(m), number(d)) else {
        return Err(unreadable(word, today));
    };
    if y.len() < 4 {
        return Err(unreadable(word, today));
    }
    let year = year(y, today)?;
    if !(1..=12).contains(&m) {
        return Err(CommandError::new(
            format!(
                "{} is not a date: there is no month {m} (months go from 01 to 12)",
                shown(word)
            ),
            suggest(after(today, 7)),
        ));
    }
    exact(year, m as u32, d, day_text, today)
}

/// A year written in full. More than four digits is too far ahead, fewer is ambiguous.
fn year(word: &str, today: NaiveDate) -> Result<i32, CommandError> {
    if number(word).is_none() {
        return Err(unreadable(word, today));
    }
    match word.len() {
        4 => word.parse().map_err(|_| unreadable(word, today)),
        n if n > 4 => Err(too_far(today)),
        _ => Err(CommandError::new(
            format!("write the year in full: {} is ambiguous", shown(word)),
            suggest(after(today, 7)),
        )),
    }
}

/// One day of one year, which may not exist.
fn exact(
    year: i32,
    month: u32,
    day: u64,
    day_text: &str,
    today: NaiveDate,
) -> Result<NaiveDate, CommandError> {
    let date = u32::try_from(day)
        .ok()
        .and_then(|d| NaiveDate::from_ymd_opt(year, month, d));
    match date {
        Some(date) => in_range(Some(date), today),
        None => Err(no_such_day(month, day, day_text, Some(year), today)),
    }
}

/// `Dec 24`, `24 Dec`, `December 24 2027`, `24th of`… without a year: the next time it comes.
fn day_month(
    a: &str,
    b: &str,
    year_word: Option<&str>,
    today: NaiveDate,
) -> Result<NaiveDate, CommandError> {
    let (m, d, day_text) = match (month(a), day_number(b), month(b), day_number(a)) {
        (Some(m), Some(d), _, _) => (m, d, day_digits(b)),
        (_, _, Some(m), Some(d)) => (m, d, day_digits(a)),
        _ => {
            let text = match year_word {
                Some(y) => format!("{a} {b} {y}"),
                None => format!("{a} {b}"),
            };
            return Err(unreadable(&text, today));
        }
    };
    if let Some(y) = year_word {
        let year = year(y, today)?;
        return exact(year, m, d, day_text, today);
    }
    let day = u32::try_from(d).unwrap_or(u32::MAX);
    for y in [today.year(), today.year().saturating_add(1)] {
        if let Some(date) = NaiveDate::from_ymd_opt(y, m, day) {
            if date > today {
                return in_range(Some(date), today);
            }
        }
    }
    // Only February 29 exists in some years and not in the next two.
    let next_leap = (today.year().saturating_add(2)..today.year().saturating_add(9))
        .find(|y| NaiveDate::from_ymd_opt(*y, m, day).is_some());
    match next_leap {
        Some(y) => Err(CommandError::new(
            format!(
                "{} {day} comes next in {y}, and you can pause at most a year ahead",
                MONTHS[m as usize - 1]
            ),
            suggest(last_day_of(m, today)),
        )),
        None => Err(no_such_day(m, d, day_text, None, today)),
    }
}

/// The last day of `month` that is still to come within a year: what someone asking for
/// "February 30" most likely wants.
fn last_day_of(month: u32, today: NaiveDate) -> Option<NaiveDate> {
    [today.year(), today.year().saturating_add(1)]
        .into_iter()
        .filter_map(|y| {
            (28..=31)
                .rev()
                .find_map(|d| NaiveDate::from_ymd_opt(y, month, d))
        })
        .find(|d| *d > today && (*d - today).num_days() <= MAX_PAUSE_DAYS)
}

/// `day_text` is the day as typed (a huge number is shown as typed, not as `u64::MAX`).
fn no_such_day(
    month: u32,
    day: u64,
    day_text: &str,
    year: Option<i32>,
    today: NaiveDate,
) -> CommandError {
    let name = MONTHS[(month as usize).clamp(1, 12) - 1];
    let day_text = super::cut(day_text.trim_start_matches('0'), 20);
    let day_text = if day_text.is_empty() {
        "0".into()
    } else {
        day_text
    };
    let message = match year {
        Some(y) if month == 2 && day == 29 => {
            format!("{y}-02-29 does not exist: {y} is not a leap year")
        }
        _ => format!("{name} {day_text} does not exist"),
    };
    let fix = last_day_of(month, today).or_else(|| after(today, 7));
    CommandError::new(message, suggest(fix))
}
