//! Catch-up after downtime: which missed slot still fires, which are only recorded, in bounded work.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::{resolve, wall_clock, CronSchedule};

/// How late a missed slot may still fire: a prompt six hours late is still useful the same day;
/// one from yesterday is noise.
pub const DEFAULT_CATCH_UP_WINDOW: Duration = Duration::from_secs(6 * 60 * 60);

/// At most this many missed slots are listed (the newest); the rest are only counted, so a
/// per-minute schedule after a year of downtime still costs next to nothing.
pub const MISSED_LIST_LIMIT: usize = 300;

/// What to do at start-up for one team.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// The most recent missed slot, still inside the window: fire it now.
    pub due: Option<DateTime<Utc>>,
    /// Older missed slots (ascending, the newest [`MISSED_LIST_LIMIT`]): record, never fire.
    pub missed: Vec<DateTime<Utc>>,
    /// Missed slots older than those in `missed`, counted but not listed.
    pub missed_not_listed: usize,
}

/// What to do at start after downtime. `last_slot` is the last slot already handled (from the
/// store; `None` for a new team, which looks back only `window`). Of the slots in
/// `(last_slot, now]`, the most recent fires now (`due`) if it was missed by less than `window`;
/// all others are `missed`. Calling again with `last_slot = due` yields nothing new.
pub fn catch_up(
    schedule: &CronSchedule,
    zone: Tz,
    last_slot: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    window: Duration,
) -> CatchUp {
    let window = TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
    // No slot exists before 1970 (the crate's first year); clamping keeps the counting bounded.
    let floor = Utc.with_ymd_and_hms(1969, 12, 30, 0, 0, 0).single();
    let lower = match last_slot {
        Some(t) => t,
        None => now
            .checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    };
    let lower = floor.map_or(lower, |f| lower.max(f));
    if lower >= now {
        return CatchUp::default();
    }

    let mut newest_first = schedule
        .fires_until_rev(zone, now)
        .take_while(|t| *t > lower)
        .peekable();
    let due = match newest_first.peek() {
        Some(latest) if now - *latest < window => newest_first.next(),
        Some(_) => None,
        None => return CatchUp::default(),
    };
    let mut missed: Vec<DateTime<Utc>> = newest_first.take(MISSED_LIST_LIMIT).collect();
    missed.reverse();
    let missed_not_listed = match missed.first() {
        Some(oldest) if missed.len() == MISSED_LIST_LIMIT => {
            count_fires(schedule, zone, lower, *oldest - TimeDelta::nanoseconds(1))
        }
        _ => 0,
    };
    CatchUp {
        due,
        missed,
        missed_not_listed,
    }
}

/// The number of fires in `(after, upto]`, without listing them: a day whose offset is constant
/// holds [`Spec::slots_per_day`](super::parse::Spec::slots_per_day) fires if its date matches,
/// so only the first and last days and days with a transition are walked slot by slot.
pub(crate) fn count_fires(
    schedule: &CronSchedule,
    zone: Tz,
    after: DateTime<Utc>,
    upto: DateTime<Utc>,
) -> usize {
    let one_ns = TimeDelta::nanoseconds(1);
    let Some(first) = wall_clock(zone, after)
        .date()
        .checked_sub_days(Days::new(1))
    else {
        return 0;
    };
    let last = wall_clock(zone, upto).date();
    let spec = schedule.spec();
    let mut total = 0;
    for day in first.iter_days().take_while(|d| *d <= last) {
        let Some(next_day) = day.succ_opt() else {
            break;
        };
        // The instants of this day: [lo, hi). These intervals tile the time line, so every
        // fire is counted in exactly one of them.
        let (Some(lo), Some(hi)) = (
            resolve(zone, day.and_time(NaiveTime::MIN)),
            resolve(zone, next_day.and_time(NaiveTime::MIN)),
        ) else {
            continue;
        };
        let from = after.max(lo - one_ns);
        let to = upto.min(hi - one_ns);
        if from >= to {
            continue;
        }
        let whole_day = from == lo - one_ns && to == hi - one_ns;
        if whole_day && steady_offset(zone, lo - TimeDelta::hours(3), hi + TimeDelta::hours(1)) {
            if spec.day_matches(day) {
                total += spec.slots_per_day();
            }
        } else {
            total += schedule
                .fires_after(zone, from)
                .take_while(|t| *t <= to)
                .count();
        }
    }
    total
}

/// Whether `zone` keeps one UTC offset over `[from, to]`, sampled every 30 minutes (no zone
/// changes offset twice within that).
fn steady_offset(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let offset = |t: DateTime<Utc>| t.with_timezone(&zone).offset().fix();
    let first = offset(from);
    let mut t = from;
    while t < to {
        t += TimeDelta::minutes(30);
        if offset(t.min(to)) != first {
            return false;
        }
    }
    true
}
