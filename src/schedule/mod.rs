//! The scheduler: turns a team's cron expression and IANA time zone into exact fire instants
//! (DST-exact, no duplicates, nothing silently skipped) and decides what to do after downtime.
//!
//! # The rules users get
//! * Five Unix fields (`min hour dom month dow`), or six/seven with seconds first and an optional
//!   year last; `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` too.
//! * Day-of-week numbers are the Unix ones in EVERY form: 0 and 7 = Sunday, 1 = Monday …
//!   6 = Saturday, or names (`Mon-Fri`). The `cron` crate's own 1 = Sunday never shows.
//! * When both day-of-month and day-of-week are restricted (neither is `*`), a day matches if
//!   either matches, as in Unix cron: `0 9 1 * Mon` fires on the 1st and on every Monday.
//! * A slot is a wall-clock time in the team's zone. A slot that a spring-forward gap swallows
//!   fires at the first instant after the gap (the transition); a slot that a fall-back overlap
//!   repeats fires once, at the earlier instant. Slots that resolve to the same instant fire once.
//!
//! # How
//! The `cron` crate is run on *naive local time* (in `Utc`, whose wall clock never jumps), and we
//! resolve each naive slot into the zone ourselves: the crate, left to the zone, would skip gap
//! slots and fire overlap slots twice. No function here reads the clock; callers pass `now`.

mod catch_up;
mod parse;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

pub use catch_up::{catch_up, CatchUp, DEFAULT_CATCH_UP_WINDOW, MISSED_LIST_LIMIT};
pub use parse::{CronError, CronField};

use parse::{Spec, CRATE_WEEKDAY_NAMES};

/// How far before `after`'s wall-clock time the naive iteration starts. Resolution is monotone,
/// so no slot before `after`'s wall clock can resolve past `after`; the margin (more than the
/// largest DST shift, 2 h in Antarctica/Troll) is a guard, and costs little.
const LOOKBACK: TimeDelta = TimeDelta::hours(3);

/// The longest run of wall-clock time a zone has ever skipped (Pacific/Apia dropped a whole day in
/// 2011) is well under this; a slot in a "gap" longer than this is dropped rather than searched.
const MAX_GAP: TimeDelta = TimeDelta::hours(48);

/// Iteration bounds inside the `cron` crate's years (1970-2100), which it handles badly outside
/// (a negative year wraps around to a huge one and the search ends empty).
/// (Evaluated at compile time, so the `expect`s cannot fire at run time.)
const FIRST_SLOT: NaiveDateTime = NaiveDateTime::new(
    chrono::NaiveDate::from_ymd_opt(1969, 12, 31).expect("a real date"),
    chrono::NaiveTime::MIN,
);
const PAST_LAST_SLOT: NaiveDateTime = NaiveDateTime::new(
    chrono::NaiveDate::from_ymd_opt(2101, 1, 2).expect("a real date"),
    chrono::NaiveTime::MIN,
);

/// A validated cron expression. Keeps the text the user wrote for display and storage.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    source: String,
    spec: Spec,
    /// One crate schedule, or two whose union is the expression when both day fields are
    /// restricted (the crate ANDs them; Unix cron ORs them).
    engines: Vec<cron::Schedule>,
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for CronSchedule {}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for CronSchedule {
    type Err = CronError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CronSchedule::parse(s)
    }
}

impl CronSchedule {
    /// Accepts Unix five-field cron (`min hour dom month dow`), six fields with seconds first, and
    /// seven with a year last. Day-of-week numbers are Unix ones in all three forms: 0 and 7 =
    /// Sunday, 1 = Monday … 6 = Saturday, in values, lists, ranges (`1-5`) and steps (`*/2`,
    /// `1-5/2`); names (`Mon`, `mon-fri`, `Fri-Sun`) work too.
    pub fn parse(expr: &str) -> Result<CronSchedule, CronError> {
        let spec = parse::parse_spec(expr)?;
        let engines = if !spec.dom_star && !spec.dow_star {
            vec![
                engine(&spec, DayPart::DomOnly)?,
                engine(&spec, DayPart::DowOnly)?,
            ]
        } else {
            vec![engine(&spec, DayPart::Both)?]
        };
        Ok(CronSchedule {
            source: expr.trim().to_string(),
            spec,
            engines,
        })
    }

    /// The expression as the user wrote it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Next fire strictly after `after`, in `zone`, DST-exact. `None` when the schedule never
    /// fires again (the crate searches no further than the year 2100).
    pub fn next_after(&self, zone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.fires_after(zone, after).next()
    }

    /// The fire instants in `(from, to]`, ascending, at most `limit` of them.
    pub fn fires_between(
        &self,
        zone: Tz,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        self.fires_after(zone, from)
            .take_while(|t| *t <= to)
            .take(limit)
            .collect()
    }

    /// All fires strictly after `after`, ascending, without duplicates; ends when the schedule
    /// does (a past year, Feb 30, or the year 2100).
    pub fn fires_after(
        &self,
        zone: Tz,
        after: DateTime<Utc>,
    ) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let start = wall_clock(zone, after)
            .checked_sub_signed(LOOKBACK)
            .map_or(FIRST_SLOT, |t| t.max(FIRST_SLOT));
        let mut last: Option<DateTime<Utc>> = None;
        self.naive_slots(start, Direction::Forward)
            .filter_map(move |slot| resolve(zone, slot))
            .filter(move |t| *t > after)
            .filter(move |t| {
                // Resolution is monotone, so equal instants are adjacent.
                let fresh = last != Some(*t);
                last = Some(*t);
                fresh
            })
    }

    /// All fires at or before `until`, newest first, without duplicates.
    pub fn fires_until_rev(
        &self,
        zone: Tz,
        until: DateTime<Utc>,
    ) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let start = wall_clock(zone, until)
            .checked_add_signed(LOOKBACK)
            .map_or(PAST_LAST_SLOT, |t| t.min(PAST_LAST_SLOT));
        let mut last: Option<DateTime<Utc>> = None;
        self.naive_slots(start, Direction::Backward)
            .filter_map(move |slot| resolve(zone, slot))
            .filter(move |t| *t <= until)
            .filter(move |t| {
                let fresh = last != Some(*t);
                last = Some(*t);
                fresh
            })
    }

    /// True when the schedule has no fire after `now` in `zone` — `0 9 30 2 *` (Feb 30), or a
    /// year field entirely in the past. For the config validator: such a schedule parses but
    /// would silently never prompt anyone. Fast: the crate walks years and months, not days.
    pub fn never_fires(&self, zone: Tz, now: DateTime<Utc>) -> bool {
        self.next_after(zone, now).is_none()
    }

    pub(crate) fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Naive local slots strictly after (forward) or strictly before (backward) `start`; the
    /// union of the engines' slots, sorted in the direction of travel, without duplicates.
    fn naive_slots(
        &self,
        start: NaiveDateTime,
        direction: Direction,
    ) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let start = match direction {
            Direction::Forward => Some(start),
            Direction::Backward => self.backward_start(start),
        };
        let origin = start.map(|s| Utc.from_utc_datetime(&s));
        let mut streams: Vec<std::iter::Peekable<Box<dyn Iterator<Item = NaiveDateTime>>>> = self
            .engines
            .iter()
            .filter_map(|engine| Some((engine, origin?)))
            .map(|(engine, origin)| {
                let it = engine.after_owned(origin).map(|t| t.naive_utc());
                let boxed: Box<dyn Iterator<Item = NaiveDateTime>> = match direction {
                    Direction::Forward => Box::new(it),
                    Direction::Backward => Box::new(it.rev()),
                };
                boxed.peekable()
            })
            .collect();
        std::iter::from_fn(move || {
            let pick = |a: NaiveDateTime, b: NaiveDateTime| match direction {
                Direction::Forward => a.min(b),
                Direction::Backward => a.max(b),
            };
            let next = streams
                .iter_mut()
                .filter_map(|s| s.peek().copied())
                .reduce(pick)?;
            for s in &mut streams {
                if s.peek() == Some(&next) {
                    s.next();
                }
            }
            Some(next)
        })
    }
}

impl CronSchedule {
    /// Works around a `cron` 0.17 bug: searching backwards from a year the schedule does not
    /// include, the crate keeps that year's month and day as bounds for the previous year (from
    /// 2027-03-05 it looks for 2026 slots only up to March 5th). Starting at the first instant
    /// after the last included year avoids it. `None` when no included year is that early.
    fn backward_start(&self, start: NaiveDateTime) -> Option<NaiveDateTime> {
        let year = u32::try_from(start.year()).ok()?;
        let last_year = match &self.spec.years {
            Some(years) => years.range(..=year).next_back().copied()?,
            None => year.min(2100),
        };
        if last_year >= year {
            return Some(start);
        }
        let next = i32::try_from(last_year).ok()?.checked_add(1)?;
        chrono::NaiveDate::from_ymd_opt(next, 1, 1).map(|d| d.and_time(chrono::NaiveTime::MIN))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// Which day fields a crate schedule carries (see [`CronSchedule::engines`]).
#[derive(Clone, Copy)]
enum DayPart {
    Both,
    DomOnly,
    DowOnly,
}

/// Builds a crate schedule from the explicit value sets, weekdays as names.
fn engine(spec: &Spec, part: DayPart) -> Result<cron::Schedule, CronError> {
    fn list(values: &std::collections::BTreeSet<u32>, full: usize) -> String {
        if values.len() == full {
            return "*".to_string();
        }
        values
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
    let dom = match part {
        DayPart::DowOnly => "*".to_string(),
        _ => list(&spec.days_of_month, 31),
    };
    let dow = match part {
        DayPart::DomOnly => "*".to_string(),
        _ if spec.days_of_week.len() == 7 => "*".to_string(),
        _ => spec
            .days_of_week
            .iter()
            .filter_map(|d| CRATE_WEEKDAY_NAMES.get(*d as usize).copied())
            .collect::<Vec<_>>()
            .join(","),
    };
    let mut text = format!(
        "{} {} {} {} {} {}",
        list(&spec.seconds, 60),
        list(&spec.minutes, 60),
        list(&spec.hours, 24),
        dom,
        list(&spec.months, 12),
        dow
    );
    if let Some(years) = &spec.years {
        text.push(' ');
        text.push_str(&list(years, usize::MAX));
    }
    cron::Schedule::from_str(&text).map_err(|e| CronError {
        field: None,
        message: format!("this cron expression could not be scheduled ({e}); try a simpler form like '0 9 * * Mon'"),
    })
}

/// `t`'s wall-clock time in `zone`, for instants within a few days of the years the `cron`
/// crate covers (1970-2100); instants beyond are clamped, as no slot lies there. (chrono's own
/// `naive_local` panics at the ends of its range.)
pub(crate) fn wall_clock(zone: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    let lo = FIRST_SLOT.and_utc() - TimeDelta::days(2);
    let hi = PAST_LAST_SLOT.and_utc() + TimeDelta::days(2);
    t.clamp(lo, hi).with_timezone(&zone).naive_local()
}

/// The instant a wall-clock slot fires at in `zone`: the only instant if there is one; the
/// earlier of two in a fall-back overlap; the first instant after a spring-forward gap (the
/// transition itself) when the slot falls in one. `None` only for a "gap" longer than
/// `MAX_GAP`, which no real zone has.
pub fn resolve(zone: Tz, slot: NaiveDateTime) -> Option<DateTime<Utc>> {
    if let Some(t) = zone.from_local_datetime(&slot).earliest() {
        return Some(t.with_timezone(&Utc));
    }
    let valid = |secs: i64| {
        slot.checked_add_signed(TimeDelta::seconds(secs))
            .and_then(|t| zone.from_local_datetime(&t).earliest())
    };
    // Find a valid wall-clock time after the gap, then bisect (in whole seconds: every zone
    // transition is on a whole second) to the first one.
    let mut hi = 3600_i64;
    while valid(hi).is_none() {
        hi *= 2;
        if hi > MAX_GAP.num_seconds() {
            return None;
        }
    }
    let mut lo = 0_i64;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if valid(mid).is_some() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    valid(hi).map(|t| t.with_timezone(&Utc))
}
