//! Time as a parameter: the workflow asks a `Clock` for `now` and never reads the wall clock itself.

use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::Duration;

/// Where "now" comes from. Production uses [`SystemClock`]; tests and the demo use [`ManualClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// How long to really wait for `span` of this clock's time to pass. Timers (naps, backoffs)
    /// go through this so a [`ScaledClock`] run keeps its pace; other clocks wait `span` itself.
    fn real(&self, span: Duration) -> Duration {
        span
    }
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

/// The wall clock sped up: `now = start + (wall now − origin) × scale`. Two processes given the
/// same settings share one timeline, so the reliability tests run real `amplifier run` processes
/// (and the fake platforms beside them) through a simulated week in a minute. Set only by the
/// `AMPLIFIER_TEST_CLOCK` variable (see [`ScaledClock::from_setting`]); never for production.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    start: DateTime<Utc>,
    origin: DateTime<Utc>,
    scale: f64,
}

impl ScaledClock {
    /// A clock that reads `start` at the wall-clock instant `origin` and runs `scale` times faster.
    pub fn new(start: DateTime<Utc>, origin: DateTime<Utc>, scale: f64) -> Self {
        Self {
            start,
            origin,
            scale,
        }
    }

    /// Parses `start=RFC3339 origin=UNIX_MILLIS scale=N` (in any order).
    pub fn from_setting(setting: &str) -> Result<Self, String> {
        let (mut start, mut origin, mut scale) = (None, None, None);
        for part in setting.split_whitespace() {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not key=value"))?;
            match key {
                "start" => {
                    start = Some(
                        DateTime::parse_from_rfc3339(value)
                            .map_err(|e| format!("start `{value}`: {e}"))?
                            .with_timezone(&Utc),
                    )
                }
                "origin" => {
                    let millis: i64 = value
                        .parse()
                        .map_err(|e| format!("origin `{value}`: {e}"))?;
                    origin = Some(
                        DateTime::from_timestamp_millis(millis)
                            .ok_or_else(|| format!("origin `{value}` is out of range"))?,
                    )
                }
                "scale" => {
                    let n: f64 = value.parse().map_err(|e| format!("scale `{value}`: {e}"))?;
                    if !(n.is_finite() && n >= 1.0) {
                        return Err(format!("scale `{value}` must be a number ≥ 1"));
                    }
                    scale = Some(n)
                }
                other => return Err(format!("unknown key `{other}` (use start, origin, scale)")),
            }
        }
        match (start, origin, scale) {
            (Some(start), Some(origin), Some(scale)) => Ok(Self::new(start, origin, scale)),
            _ => Err("give start=RFC3339 origin=UNIX_MILLIS scale=N".to_string()),
        }
    }

    /// This clock's reading at the wall-clock instant `wall`.
    pub fn at(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        let elapsed = (wall - self.origin).num_microseconds().unwrap_or(i64::MAX) as f64;
        self.start + chrono::Duration::microseconds((elapsed * self.scale) as i64)
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        self.at(Utc::now())
    }

    fn real(&self, span: Duration) -> Duration {
        span.div_f64(self.scale)
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
    fn scaled_clock_runs_faster_from_its_origin() {
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let origin = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap();
        let clock = ScaledClock::from_setting(&format!(
            "scale=600 start={} origin={}",
            start.to_rfc3339(),
            origin.timestamp_millis()
        ))
        .unwrap();
        assert_eq!(clock.at(origin), start);
        assert_eq!(
            clock.at(origin + chrono::Duration::seconds(6)),
            start + chrono::Duration::hours(1)
        );
        assert_eq!(
            clock.real(Duration::from_secs(60)),
            Duration::from_millis(100)
        );
        assert!(ScaledClock::from_setting("scale=0.5 start=x origin=1").is_err());
        assert!(ScaledClock::from_setting("scale=2")
            .unwrap_err()
            .contains("start="));
    }

    #[test]
    #[should_panic(expected = "never goes back")]
    fn manual_clock_refuses_to_go_back() {
        let start = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
        ManualClock::new(start).set(start - chrono::Duration::seconds(1));
    }
}
