//! Time as a parameter: the workflow asks a `Clock` for `now` and never reads the wall clock itself.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// Where "now" comes from. Production uses [`SystemClock`]; tests and the demo use [`ManualClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to, so a week of the routine runs in milliseconds.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward; a negative step is refused so time never runs backwards.
    pub fn advance(&self, by: chrono::Duration) {
        assert!(
            by >= chrono::Duration::zero(),
            "a ManualClock never goes back"
        );
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Jumps to `to`, which must not be earlier than the current time.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        assert!(to >= *now, "a ManualClock never goes back");
        *now = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(chrono::Duration::hours(2));
        assert_eq!(clock.now(), start + chrono::Duration::hours(2));
        clock.set(start + chrono::Duration::days(7));
        assert_eq!(clock.now(), start + chrono::Duration::days(7));
    }

    #[test]
    #[should_panic(expected = "never goes back")]
    fn manual_clock_refuses_to_go_back() {
        let start = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
        ManualClock::new(start).set(start - chrono::Duration::seconds(1));
    }
}
