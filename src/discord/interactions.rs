//! Interactions waiting for an answer, by the event key the engine knows them by.
//!
//! Discord lets an interaction be answered once, within 3 seconds (a message, a modal, or a deferral), and its
//! token then serves follow-ups for 15 minutes. The gateway side registers each interaction and defers it when
//! nothing answered it in time; the transport answers with the engine's reply or form. Whoever comes first wins
//! ([`Interactions::claim`] is the one place the state changes).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a token serves follow-ups.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    pub id: String,
    pub token: String,
    /// Component (button) interactions defer with DEFERRED_UPDATE_MESSAGE, the others with an ephemeral
    /// DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE.
    pub component: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not answered: the first answer may be a message, a modal or a deferral.
    Fresh,
    /// Answered (or deferred): only follow-ups through the token.
    Answered,
}

#[derive(Debug)]
struct Entry {
    interaction: Interaction,
    state: State,
    received: Instant,
}

/// The interactions of the last 15 minutes.
#[derive(Debug, Default)]
pub struct Interactions {
    inner: Mutex<HashMap<String, Entry>>,
}

impl Interactions {
    pub fn insert(&self, key: &str, interaction: Interaction) {
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, e| now.duration_since(e.received) < TOKEN_LIFETIME);
        map.entry(key.to_string()).or_insert(Entry {
            interaction,
            state: State::Fresh,
            received: now,
        });
    }

    /// The interaction behind `key` and its state before this call, marking it answered. `None` when unknown or
    /// its token expired.
    pub fn claim(&self, key: &str) -> Option<(Interaction, State)> {
        let mut map = self.lock();
        let entry = map.get_mut(key)?;
        if entry.received.elapsed() >= TOKEN_LIFETIME {
            map.remove(key);
            return None;
        }
        let before = entry.state;
        entry.state = State::Answered;
        if before == State::Fresh {
            // The first answer (message, modal or deferral) is Discord's acknowledgement.
            crate::telemetry::record_ack("discord", "gateway", entry.received.elapsed());
        }
        Some((entry.interaction.clone(), before))
    }

    /// Whether `key` is an interaction whose token still answers (without claiming it).
    pub fn knows(&self, key: &str) -> bool {
        self.lock()
            .get(key)
            .is_some_and(|e| e.received.elapsed() < TOKEN_LIFETIME)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_claim_sees_fresh_and_later_ones_answered() {
        let map = Interactions::default();
        let i = Interaction {
            id: "1".into(),
            token: "t".into(),
            component: true,
        };
        map.insert("k", i.clone());
        // A redelivered interaction does not reset its state.
        assert_eq!(map.claim("k"), Some((i.clone(), State::Fresh)));
        map.insert("k", i.clone());
        assert_eq!(map.claim("k"), Some((i, State::Answered)));
        assert_eq!(map.claim("other"), None);
        assert!(map.knows("k") && !map.knows("other"));
    }
}
