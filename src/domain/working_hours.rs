//! When a person may be prompted or nudged: outside their quiet hours and (by the team's rule) not on a weekend,
//! all in their own zone.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

/// A person's working window, read in their own zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    pub zone: Tz,
    /// Quiet from `quiet_start` until `quiet_end` (wrapping past midnight when start > end).
    pub quiet_start: NaiveTime,
    pub quiet_end: NaiveTime,
    /// Saturdays and Sundays are quiet all day.
    pub weekends_quiet: bool,
}

impl WorkingHours {
    /// Whether `at` is inside the person's working time.
    pub fn allows(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.zone);
        if self.weekends_quiet && matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        !self.is_quiet_time(local.time())
    }

    fn is_quiet_time(&self, t: NaiveTime) -> bool {
        let (start, end) = (self.quiet_start, self.quiet_end);
        if start == end {
            false
        } else if start < end {
            start <= t && t < end
        } else {
            t >= start || t < end
        }
    }

    /// `at` itself when allowed, otherwise the first allowed instant after it: the end of the quiet hours on the
    /// next working day. DST gaps resolve to the first valid instant after them.
    pub fn next_allowed(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if self.allows(at) {
            return at;
        }
        let local = at.with_timezone(&self.zone);
        // The working day starts at `quiet_end` (or midnight when there are no quiet hours). Look at most 8 days
        // ahead: some day within a week is a working day.
        let start_of_day = if self.quiet_start == self.quiet_end {
            NaiveTime::MIN
        } else {
            self.quiet_end
        };
        for offset in 0..=8 {
            let day = local.date_naive() + Duration::days(offset);
            let Some(candidate) = crate::schedule::resolve(self.zone, day.and_time(start_of_day))
            else {
                continue;
            };
            if candidate > at && self.allows(candidate) {
                return candidate;
            }
        }
        // Unreachable with a sane configuration (validation refuses equal quiet hours with quiet weekends only
        // making two days quiet); fall back to a day later rather than never.
        at + Duration::days(1)
    }

    /// The start of the person's week (Monday 00:00 in their zone) containing `at`: the weekly cap's window.
    pub fn week_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let local = at.with_timezone(&self.zone).date_naive();
        let monday = local - Duration::days(local.weekday().num_days_from_monday() as i64);
        crate::schedule::resolve(self.zone, monday.and_time(NaiveTime::MIN)).unwrap_or(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hours(zone: Tz) -> WorkingHours {
        WorkingHours {
            zone,
            quiet_start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            quiet_end: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            weekends_quiet: true,
        }
    }

    #[test]
    fn inside_working_hours_is_now() {
        let h = hours(chrono_tz::Europe::Berlin);
        // Wednesday 2026-11-25 10:00 CET.
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        assert!(h.allows(at));
        assert_eq!(h.next_allowed(at), at);
    }

    #[test]
    fn evening_waits_for_the_next_morning_in_the_persons_zone() {
        let h = hours(chrono_tz::Asia::Tokyo);
        // Wednesday 20:00 JST = 11:00 UTC → Thursday 09:00 JST = 00:00 UTC.
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 11, 0, 0).unwrap();
        assert_eq!(
            h.next_allowed(at),
            Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap()
        );
        // Early morning 07:00 JST the same day → 09:00 JST.
        let early = Utc.with_ymd_and_hms(2026, 11, 24, 22, 0, 0).unwrap();
        assert_eq!(
            h.next_allowed(early),
            Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn friday_evening_waits_for_monday_unless_weekends_are_allowed() {
        let mut h = hours(chrono_tz::America::New_York);
        // Friday 2026-11-27 19:00 EST = Saturday 00:00 UTC.
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
        assert_eq!(
            h.next_allowed(at),
            Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap()
        );
        h.weekends_quiet = false;
        assert_eq!(
            h.next_allowed(at),
            Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap()
        );
    }

    #[test]
    fn daytime_quiet_window_without_wrap() {
        let h = WorkingHours {
            zone: chrono_tz::UTC,
            quiet_start: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            quiet_end: NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
            weekends_quiet: false,
        };
        let lunch = Utc.with_ymd_and_hms(2026, 11, 25, 12, 30, 0).unwrap();
        assert_eq!(
            h.next_allowed(lunch),
            Utc.with_ymd_and_hms(2026, 11, 25, 13, 0, 0).unwrap()
        );
    }

    #[test]
    fn week_starts_on_monday_midnight_local() {
        let h = hours(chrono_tz::Australia::Sydney);
        // Wednesday 2026-11-25 12:00 AEDT.
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap();
        // Monday 2026-11-23 00:00 AEDT = Sunday 13:00 UTC.
        assert_eq!(
            h.week_start(at),
            Utc.with_ymd_and_hms(2026, 11, 22, 13, 0, 0).unwrap()
        );
    }
}
