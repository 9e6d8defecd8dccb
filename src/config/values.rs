//! Typed setting values parsed at the edge: secrets that never print, durations, clock times, zones and schedules.

use crate::schedule::CronSchedule;
use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

/// A token or signing secret. `Debug` and `Display` never show it; use [`Secret::expose`] where it is sent.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A human duration such as `24h`, `90m` or `1h 30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub fn hours(h: u64) -> Self {
        HumanDuration(Duration::from_secs(h * 3600))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "\"{text}\" has no unit: write it like 24h, 90m or 1h 30m"
            ));
        }
        humantime::parse_duration(trimmed)
            .map(HumanDuration)
            .map_err(|e| {
                format!("\"{text}\" is not a duration ({e}): write it like 24h, 90m or 1h 30m")
            })
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        HumanDuration::parse(&text).map_err(de::Error::custom)
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A time of day in 24-hour `HH:MM`, read in each person's own zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTime(pub NaiveTime);

impl ClockTime {
    pub fn hm(hour: u32, minute: u32) -> Self {
        ClockTime(NaiveTime::from_hms_opt(hour, minute, 0).expect("a valid constant time"))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(text.trim(), "%H:%M")
            .map(ClockTime)
            .map_err(|_| {
                de::Error::custom(format!(
                    "\"{text}\" is not a time of day: write it in 24-hour HH:MM, like 09:00 or 18:30"
                ))
            })
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An IANA time zone such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        crate::zone::parse_zone(&text)
            .map(Zone)
            .map_err(de::Error::custom)
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

/// A cron expression as people write it (five Unix fields, or six with seconds).
#[derive(Debug, Clone)]
pub struct Cron(pub CronSchedule);

impl Cron {
    /// A built-in default; panics only if the constant itself is wrong, which a unit test proves it is not.
    pub fn constant(expr: &str) -> Self {
        Cron(CronSchedule::parse(expr).expect("a valid built-in cron expression"))
    }
}

impl<'de> Deserialize<'de> for Cron {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CronSchedule::parse(&text)
            .map(Cron)
            .map_err(|e| de::Error::custom(format!("bad cron expression \"{text}\": {e}")))
    }
}

impl Serialize for Cron {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

/// A schedule that can also be `"off"` (e.g. the digest) or `"immediately"` (publishing).
#[derive(Debug, Clone)]
pub enum Slot {
    Cron(Box<Cron>),
    /// Publishing only: publish as soon as a post is ready.
    Immediately,
    /// Digest only: never send one.
    Off,
}

impl Slot {
    pub fn cron(&self) -> Option<&CronSchedule> {
        match self {
            Slot::Cron(c) => Some(&c.0),
            Slot::Immediately | Slot::Off => None,
        }
    }
}

impl<'de> Deserialize<'de> for Slot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.trim() {
            "immediately" => Ok(Slot::Immediately),
            "off" => Ok(Slot::Off),
            expr => CronSchedule::parse(expr).map(|c| Slot::Cron(Box::new(Cron(c)))).map_err(|e| {
                de::Error::custom(format!(
                    "bad schedule \"{text}\": {e} (or write \"immediately\" / \"off\" where allowed)"
                ))
            }),
        }
    }
}

impl Serialize for Slot {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Slot::Cron(c) => c.serialize(s),
            Slot::Immediately => s.serialize_str("immediately"),
            Slot::Off => s.serialize_str("off"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("xoxb-very-secret");
        assert!(!format!("{s:?}").contains("very-secret"));
        assert!(!format!("{s}").contains("very-secret"));
        assert_eq!(s.expose(), "xoxb-very-secret");
    }

    #[test]
    fn durations() {
        assert_eq!(
            HumanDuration::parse("24h").unwrap(),
            HumanDuration::hours(24)
        );
        assert_eq!(
            HumanDuration::parse("90m").unwrap().0,
            Duration::from_secs(90 * 60)
        );
        assert_eq!(
            HumanDuration::parse("1h 30m").unwrap().0,
            Duration::from_secs(90 * 60)
        );
        assert!(HumanDuration::parse("24").unwrap_err().contains("no unit"));
        assert!(HumanDuration::parse("a day").unwrap_err().contains("24h"));
    }

    #[test]
    fn built_in_crons_parse() {
        for expr in super::super::DEFAULT_CRONS {
            Cron::constant(expr);
        }
    }
}
