//! Cron expression parsing: fields, Unix day-of-week numbering and the error messages users see.
//!
//! We parse every field ourselves instead of handing the user's text to the `cron` crate, because
//! the crate numbers weekdays 1-7 from Sunday, insists on a seconds field and reports five-field
//! input with a misleading message. The result is a [`Spec`] of explicit value sets, which the
//! scheduler turns into a normalised expression for the crate (weekdays as names), so the crate's
//! numbering never reaches a user.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{Datelike, NaiveDate};

/// The field of a cron expression an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CronField {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl CronField {
    /// The name users read in error messages.
    pub fn name(self) -> &'static str {
        match self {
            CronField::Second => "second",
            CronField::Minute => "minute",
            CronField::Hour => "hour",
            CronField::DayOfMonth => "day-of-month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day-of-week",
            CronField::Year => "year",
        }
    }

    /// What the user may type in this field; ends every error about it.
    fn hint(self) -> &'static str {
        match self {
            CronField::Second | CronField::Minute => "0-59",
            CronField::Hour => "0-23",
            CronField::DayOfMonth => "1-31",
            CronField::Month => "1-12 or names like Jan-Dec",
            CronField::DayOfWeek => "0-7 (0 and 7 are Sunday) or names like Mon-Fri",
            CronField::Year => "1970-2100",
        }
    }

    /// Inclusive bounds of the numbers the user may type.
    fn bounds(self) -> (u32, u32) {
        match self {
            CronField::Second | CronField::Minute => (0, 59),
            CronField::Hour => (0, 23),
            CronField::DayOfMonth => (1, 31),
            CronField::Month => (1, 12),
            CronField::DayOfWeek => (0, 7),
            CronField::Year => (1970, 2100),
        }
    }

    /// The values `*` stands for (day-of-week 7 is Sunday again, so `*` stops at 6).
    fn full_range(self) -> (u32, u32) {
        match self {
            CronField::DayOfWeek => (0, 6),
            other => other.bounds(),
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cron expression the user must fix. The message names the field and says what to type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CronError {
    /// The field at fault; `None` when the expression as a whole is wrong (e.g. field count).
    pub field: Option<CronField>,
    pub message: String,
}

impl CronError {
    fn whole(message: String) -> CronError {
        CronError {
            field: None,
            message,
        }
    }

    fn in_field(field: CronField, message: String) -> CronError {
        CronError {
            field: Some(field),
            message,
        }
    }
}

const MONTH_NAMES: &[(&str, u32)] = &[
    ("jan", 1),
    ("january", 1),
    ("feb", 2),
    ("february", 2),
    ("mar", 3),
    ("march", 3),
    ("apr", 4),
    ("april", 4),
    ("may", 5),
    ("jun", 6),
    ("june", 6),
    ("jul", 7),
    ("july", 7),
    ("aug", 8),
    ("august", 8),
    ("sep", 9),
    ("sept", 9),
    ("september", 9),
    ("oct", 10),
    ("october", 10),
    ("nov", 11),
    ("november", 11),
    ("dec", 12),
    ("december", 12),
];

/// Unix numbering: 0 = Sunday.
const WEEKDAY_NAMES: &[(&str, u32)] = &[
    ("sun", 0),
    ("sunday", 0),
    ("mon", 1),
    ("monday", 1),
    ("tue", 2),
    ("tues", 2),
    ("tuesday", 2),
    ("wed", 3),
    ("wednesday", 3),
    ("thu", 4),
    ("thur", 4),
    ("thurs", 4),
    ("thursday", 4),
    ("fri", 5),
    ("friday", 5),
    ("sat", 6),
    ("saturday", 6),
];

/// Names the `cron` crate accepts, indexed by Unix weekday number; used when normalising.
pub(crate) const CRATE_WEEKDAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// A parsed expression: the explicit set of values of every field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    pub seconds: BTreeSet<u32>,
    pub minutes: BTreeSet<u32>,
    pub hours: BTreeSet<u32>,
    pub days_of_month: BTreeSet<u32>,
    pub months: BTreeSet<u32>,
    /// Unix numbering, 0 = Sunday … 6 = Saturday (7 already folded into 0).
    pub days_of_week: BTreeSet<u32>,
    /// `None` when the expression has no year field (every year).
    pub years: Option<BTreeSet<u32>>,
    /// The day-of-month field was literally `*` or `?`.
    pub dom_star: bool,
    /// The day-of-week field was literally `*` or `?`.
    pub dow_star: bool,
}

impl Spec {
    /// Whether any slot falls on `date`, by the Unix rule: when both day fields are restricted
    /// (neither is `*`), a day matches if EITHER matches; otherwise both must.
    pub fn day_matches(&self, date: NaiveDate) -> bool {
        let year_ok = match &self.years {
            Some(years) => u32::try_from(date.year()).is_ok_and(|y| years.contains(&y)),
            None => true,
        };
        if !year_ok || !self.months.contains(&date.month()) {
            return false;
        }
        let dom = self.days_of_month.contains(&date.day());
        let dow = self
            .days_of_week
            .contains(&date.weekday().num_days_from_sunday());
        if !self.dom_star && !self.dow_star {
            dom || dow
        } else {
            dom && dow
        }
    }

    /// How many slots a matching day holds.
    pub fn slots_per_day(&self) -> usize {
        self.seconds.len() * self.minutes.len() * self.hours.len()
    }
}

/// Expands `@daily` and friends into five fields.
fn expand_shortcut(expr: &str) -> Result<Option<&'static str>, CronError> {
    let Some(name) = expr.strip_prefix('@') else {
        return Ok(None);
    };
    let fields = match name.to_ascii_lowercase().as_str() {
        "yearly" | "annually" => "0 0 1 1 *",
        "monthly" => "0 0 1 * *",
        "weekly" => "0 0 * * 0",
        "daily" | "midnight" => "0 0 * * *",
        "hourly" => "0 * * * *",
        _ => {
            return Err(CronError::whole(format!(
                "unknown shortcut '{expr}': use @hourly, @daily, @weekly, @monthly or @yearly, \
                 or five fields like '0 9 * * Mon' (Mondays at 09:00)"
            )))
        }
    };
    Ok(Some(fields))
}

/// Parses a whole expression into its value sets.
pub(crate) fn parse_spec(expr: &str) -> Result<Spec, CronError> {
    let trimmed = expr.trim();
    let text = expand_shortcut(trimmed)?.unwrap_or(trimmed);
    let parts: Vec<&str> = text.split_whitespace().collect();
    // Five fields have no seconds; six and seven put seconds first, seven add a year.
    let (second, rest, year) = match parts.len() {
        5 => ("0", &parts[..], None),
        6 => (parts[0], &parts[1..], None),
        7 => (parts[0], &parts[1..6], Some(parts[6])),
        n => {
            return Err(CronError::whole(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {n}: \
                 e.g. '0 9 * * Mon' is Mondays at 09:00 (6 or 7 fields put seconds first and \
                 may add a year last)"
            )))
        }
    };
    let dom_text = rest[2];
    let dow_text = rest[4];
    Ok(Spec {
        seconds: parse_field(CronField::Second, second)?,
        minutes: parse_field(CronField::Minute, rest[0])?,
        hours: parse_field(CronField::Hour, rest[1])?,
        days_of_month: parse_field(CronField::DayOfMonth, dom_text)?,
        months: parse_field(CronField::Month, rest[3])?,
        days_of_week: parse_field(CronField::DayOfWeek, dow_text)?,
        years: year.map(|y| parse_field(CronField::Year, y)).transpose()?,
        dom_star: is_star(dom_text),
        dow_star: is_star(dow_text),
    })
}

fn is_star(text: &str) -> bool {
    text == "*" || text == "?"
}

/// Parses one field: a comma list of `*`, `?` (day fields only), values, ranges `a-b`, and steps
/// `*/n`, `a-b/n`, `a/n` (from `a` to the field's end).
fn parse_field(field: CronField, text: &str) -> Result<BTreeSet<u32>, CronError> {
    let mut values = BTreeSet::new();
    for piece in text.split(',') {
        if piece.is_empty() {
            return Err(CronError::in_field(
                field,
                format!(
                    "{field} field '{text}' has an empty list entry: separate values with single \
                     commas, like 1,15"
                ),
            ));
        }
        parse_piece(field, piece, &mut values)?;
    }
    if field == CronField::DayOfWeek && values.remove(&7) {
        values.insert(0);
    }
    Ok(values)
}

fn parse_piece(field: CronField, piece: &str, values: &mut BTreeSet<u32>) -> Result<(), CronError> {
    let (base, step) = match piece.split_once('/') {
        Some((base, step_text)) => (base, Some(parse_step(field, piece, step_text)?)),
        None => (piece, None),
    };
    let (full_lo, full_hi) = field.full_range();
    let (lo, hi) = if base == "*" || base == "?" {
        if base == "?" && !matches!(field, CronField::DayOfMonth | CronField::DayOfWeek) {
            return Err(CronError::in_field(
                field,
                format!(
                    "{field} field '{piece}': '?' only works in day-of-month and day-of-week; \
                     use * or {}",
                    field.hint()
                ),
            ));
        }
        (full_lo, full_hi)
    } else if let Some((a, b)) = base.split_once('-') {
        if a.is_empty() || b.is_empty() {
            return Err(CronError::in_field(
                field,
                format!(
                    "{field} field '{piece}' is missing a number: use {}",
                    field.hint()
                ),
            ));
        }
        let lo = parse_value(field, a)?;
        let mut hi = parse_value(field, b)?;
        // `Fri-Sun` and `5-0` mean Friday through Sunday: Sunday ends a week as well as starts it.
        if field == CronField::DayOfWeek && hi == 0 && lo > 0 {
            hi = 7;
        }
        if lo > hi {
            let example = if field == CronField::DayOfWeek {
                "like 1-5, or list the days, like Fri,Sat,Sun,Mon"
            } else {
                "like 1-5"
            };
            return Err(CronError::in_field(
                field,
                format!("{field} field '{piece}' is a backwards range: put the smaller value first, {example}"),
            ));
        }
        (lo, hi)
    } else {
        let value = parse_value(field, base)?;
        match step {
            // `a/n` runs from `a` to the end of the field, as in most crons.
            Some(_) => (value, full_hi.max(value)),
            None => (value, value),
        }
    };
    let step = step.unwrap_or(1);
    values.extend((lo..=hi).step_by(step));
    Ok(())
}

fn parse_step(field: CronField, piece: &str, text: &str) -> Result<usize, CronError> {
    match text.parse::<usize>() {
        Ok(step) if step >= 1 => Ok(step),
        _ => Err(CronError::in_field(
            field,
            format!("{field} field '{piece}' needs a whole-number step of 1 or more after '/', like */15"),
        )),
    }
}

fn parse_value(field: CronField, text: &str) -> Result<u32, CronError> {
    let (lo, hi) = field.bounds();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u32>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(v),
            _ => Err(CronError::in_field(
                field,
                format!(
                    "{field} field '{text}' is out of range: use {}",
                    field.hint()
                ),
            )),
        };
    }
    let names = match field {
        CronField::Month => MONTH_NAMES,
        CronField::DayOfWeek => WEEKDAY_NAMES,
        _ => &[],
    };
    let lower = text.to_ascii_lowercase();
    if let Some(&(_, v)) = names.iter().find(|(name, _)| *name == lower) {
        return Ok(v);
    }
    let what = if names.is_empty() {
        "is not a number"
    } else {
        "is not a number or a name"
    };
    Err(CronError::in_field(
        field,
        format!("{field} field '{text}' {what}: use {}", field.hint()),
    ))
}
