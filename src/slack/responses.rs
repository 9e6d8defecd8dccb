//! Slack's `response_url`s: every button press and slash command carries one that answers the person directly,
//! up to five times within thirty minutes, outside the Web API's rate tiers. The receiver keeps them by event
//! key; the transport answers a private reply to that event through it while it lasts (one request, no
//! pacing), and falls back to `chat.postEphemeral` when it is used up, expired, or refused.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// How many answers one `response_url` takes.
pub const USES: u8 = 5;
/// How long a `response_url` answers, from the event that carried it.
pub const LIFETIME: Duration = Duration::minutes(30);

/// Where Slack's own `response_url`s point.
const SLACK_HOOKS: &str = "https://hooks.slack.com/";

struct Entry {
    url: String,
    uses_left: u8,
    expires_at: DateTime<Utc>,
}

/// The `response_url`s of recent events, by event key.
pub struct ResponseUrls {
    /// Besides Slack's hooks host, URLs on the Web API's own origin are accepted (a Slack-compatible server or
    /// a test fake); any other URL in a payload is ignored, so an answer never goes somewhere unexpected.
    api_origin: Option<String>,
    entries: Mutex<HashMap<String, Entry>>,
}

impl ResponseUrls {
    /// `api_base_url` is `slack.api_base_url`.
    pub fn new(api_base_url: &str) -> ResponseUrls {
        ResponseUrls {
            api_origin: origin(api_base_url),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether answers may be sent to `url`.
    pub fn accepts(&self, url: &str) -> bool {
        url.starts_with(SLACK_HOOKS)
            || self
                .api_origin
                .as_deref()
                .is_some_and(|o| origin(url).as_deref() == Some(o))
    }

    /// Keeps the `response_url` of the event `key` (a redelivery keeps the uses already spent); expired
    /// entries go.
    pub fn insert(&self, key: &str, url: &str, now: DateTime<Utc>) {
        if !self.accepts(url) {
            tracing::debug!("ignored a response_url outside Slack's hooks and the API origin");
            return;
        }
        let mut entries = self.entries();
        entries.retain(|_, e| e.expires_at > now);
        entries.entry(key.to_string()).or_insert_with(|| Entry {
            url: url.to_string(),
            uses_left: USES,
            expires_at: now + LIFETIME,
        });
    }

    /// Whether the event `key` can still be answered through its `response_url`.
    pub fn usable(&self, key: &str, now: DateTime<Utc>) -> bool {
        self.entries()
            .get(key)
            .is_some_and(|e| e.uses_left > 0 && e.expires_at > now)
    }

    /// The `response_url` of the event `key`, spending one of its uses; `None` when it has none left.
    pub fn take(&self, key: &str, now: DateTime<Utc>) -> Option<String> {
        let mut entries = self.entries();
        let entry = entries.get_mut(key)?;
        if entry.uses_left == 0 || entry.expires_at <= now {
            return None;
        }
        entry.uses_left -= 1;
        Some(entry.url.clone())
    }

    /// Slack refused the URL (used up or expired on its side): no more answers through it.
    pub fn spent(&self, key: &str) {
        if let Some(entry) = self.entries().get_mut(key) {
            entry.uses_left = 0;
        }
    }
}

/// `scheme://host[:port]` of a URL, lowercased.
fn origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(port) => format!("{}://{}:{}", parsed.scheme(), host, port),
        None => format!("{}://{}", parsed.scheme(), host),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn only_slack_hooks_and_the_api_origin_are_kept() {
        let urls = ResponseUrls::new("http://127.0.0.1:4000/api");
        urls.insert("a", "https://hooks.slack.com/actions/T1/1/x", t(0));
        urls.insert("b", "http://127.0.0.1:4000/response/2", t(0));
        urls.insert("c", "http://127.0.0.1:4001/response/3", t(0));
        urls.insert("d", "https://hooks.slack.com.evil.example/x", t(0));
        urls.insert("e", "https://evil.example/?https://hooks.slack.com/", t(0));
        let kept: Vec<bool> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|k| urls.usable(k, t(1)))
            .collect();
        assert_eq!(kept, [true, true, false, false, false]);
    }

    #[test]
    fn five_answers_within_thirty_minutes() {
        let urls = ResponseUrls::new("https://slack.com/api");
        urls.insert("k", "https://hooks.slack.com/actions/1", t(0));
        for _ in 0..USES {
            assert!(urls.take("k", t(1)).is_some());
        }
        assert_eq!(urls.take("k", t(1)), None, "used up");
        urls.insert("k", "https://hooks.slack.com/actions/1", t(2));
        assert!(!urls.usable("k", t(2)), "a redelivery does not renew it");

        urls.insert("late", "https://hooks.slack.com/actions/2", t(0));
        assert!(urls.usable("late", t(29)));
        assert!(!urls.usable("late", t(30)));
        assert_eq!(urls.take("late", t(31)), None);

        urls.insert("refused", "https://hooks.slack.com/actions/3", t(0));
        urls.spent("refused");
        assert_eq!(urls.take("refused", t(1)), None);
    }
}
