//! Slack's rate limits as a pacing model: each Web API method's tier (per workspace) and chat.postMessage's one
//! message per second per channel. Rows get successive reserved slots, so a burst leaves evenly spaced.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

/// How much slower than a tier's documented rate calls are spaced: Slack counts calls per rolling minute, and a
/// few milliseconds of timer jitter at exactly the limit put the last call of a minute into the next window.
pub const TIER_MARGIN_PERCENT: u64 = 2;

/// A method's documented tier, as the spacing between two calls that keeps within it (with
/// [`TIER_MARGIN_PERCENT`] to spare).
pub fn method_interval(method: &str) -> Duration {
    let per_minute: u64 = match method {
        // Tier 1.
        "apps.connections.open" => 1,
        // Tier 2.
        "users.list" | "conversations.list" => 20,
        // Tier 3.
        "conversations.open"
        | "chat.update"
        | "conversations.history"
        | "conversations.replies" => 50,
        // Tier 4.
        "chat.postEphemeral" | "views.open" | "views.update" | "views.publish" | "users.info" => {
            100
        }
        _ => 20,
    };
    Duration::from_micros(60_000_000 * (100 + TIER_MARGIN_PERCENT) / 100 / per_minute)
}

/// chat.postMessage: about one message per second per channel.
pub const CHANNEL_INTERVAL: Duration = Duration::from_secs(1);

/// The scopes one send uses, each with the spacing it needs.
pub type Plan = Vec<(String, Duration)>;

/// Reserved slots per scope and per row.
#[derive(Debug, Default)]
pub struct Pacing {
    next_free: HashMap<String, DateTime<Utc>>,
    /// The slot a row was given, so the row is let through when it comes back at that time.
    reserved: HashMap<i64, DateTime<Utc>>,
    /// 429 holds per scope: they apply to rows that reserved a slot before the 429 came, too.
    holds: HashMap<String, DateTime<Utc>>,
    /// The earliest next call per scope counted from the last call actually made (a send can leave later than
    /// its slot, and Slack counts from when the call arrived).
    after_sent: HashMap<String, DateTime<Utc>>,
}

impl Pacing {
    /// When row `row` may go: `None` now, or the instant it was given (reserving it for this row).
    pub fn wait_before(
        &mut self,
        row: i64,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if let Some(slot) = self.reserved.get(&row).copied() {
            let held = plan
                .iter()
                .filter_map(|(scope, _)| {
                    let hold = self.holds.get(scope).copied();
                    let sent = self.after_sent.get(scope).copied();
                    hold.max(sent)
                })
                .fold(slot, |a, b| a.max(b));
            if held > now {
                if held > slot {
                    // Moved back: the calls queued behind it move too.
                    for (scope, interval) in plan {
                        let after =
                            held + chrono::Duration::from_std(*interval).unwrap_or_default();
                        let next = self.next_free.entry(scope.clone()).or_insert(after);
                        if *next < after {
                            *next = after;
                        }
                    }
                }
                self.reserved.insert(row, held);
                return Some(held);
            }
            self.reserved.remove(&row);
            // Held past its slot (a 429 on the scope): it goes now, so the scope's next call waits for it.
            for (scope, interval) in plan {
                let after = now + chrono::Duration::from_std(*interval).unwrap_or_default();
                let next = self.next_free.entry(scope.clone()).or_insert(after);
                if *next < after {
                    *next = after;
                }
            }
            return None;
        }
        let slot = plan
            .iter()
            .filter_map(|(scope, _)| self.next_free.get(scope).copied())
            .fold(now, |a, b| a.max(b));
        for (scope, interval) in plan {
            let interval = chrono::Duration::from_std(*interval).unwrap_or_default();
            self.next_free.insert(scope.clone(), slot + interval);
        }
        if slot > now {
            self.reserved.insert(row, slot);
            Some(slot)
        } else {
            None
        }
    }

    /// A call of `plan` was made at `at` (Slack answered it): the next call in each of its scopes waits a full
    /// interval from then, even if this one left after its slot.
    pub fn sent(&mut self, plan: &Plan, at: DateTime<Utc>) {
        for (scope, interval) in plan {
            let after = at + chrono::Duration::from_std(*interval).unwrap_or_default();
            let floor = self.after_sent.entry(scope.clone()).or_insert(after);
            if *floor < after {
                *floor = after;
            }
            let next = self.next_free.entry(scope.clone()).or_insert(after);
            if *next < after {
                *next = after;
            }
        }
    }

    /// After a 429: nothing in `scope` before `until`.
    pub fn hold(&mut self, scope: &str, until: DateTime<Utc>) {
        let held = self.holds.entry(scope.to_string()).or_insert(until);
        if *held < until {
            *held = until;
        }
        let next = self.next_free.entry(scope.to_string()).or_insert(until);
        if *next < until {
            *next = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_burst_to_one_channel_leaves_a_second_apart() {
        let mut pacing = Pacing::default();
        let plan: Plan = vec![("chat.postMessage:C1".into(), CHANNEL_INTERVAL)];
        let slots: Vec<_> = (1..=4)
            .map(|row| pacing.wait_before(row, &plan, at(0)))
            .collect();
        assert_eq!(slots, vec![None, Some(at(1)), Some(at(2)), Some(at(3))]);
        // A row that comes back at its slot goes; early, it is told the same slot again.
        assert_eq!(pacing.wait_before(3, &plan, at(1)), Some(at(2)));
        assert_eq!(pacing.wait_before(3, &plan, at(2)), None);

        // Another channel is not held up by the first one's pace.
        let other: Plan = vec![("chat.postMessage:C2".into(), CHANNEL_INTERVAL)];
        assert_eq!(pacing.wait_before(9, &other, at(0)), None);
        // A row let through late (held by a 429) pushes the next one back.
        assert_eq!(pacing.wait_before(1000, &plan, at(20)), None);
        assert_eq!(pacing.wait_before(1000, &plan, at(20)), Some(at(21)));
    }

    #[test]
    fn a_call_that_left_late_pushes_the_next_one_back() {
        let mut pacing = Pacing::default();
        let plan: Plan = vec![("chat.postMessage:C1".into(), CHANNEL_INTERVAL)];
        assert_eq!(pacing.wait_before(1, &plan, at(0)), None);
        assert_eq!(pacing.wait_before(2, &plan, at(0)), Some(at(1)));
        // Row 1's call reached Slack 30 ms after its slot: row 2 waits a whole second from then.
        let late = at(0) + chrono::Duration::milliseconds(30);
        pacing.sent(&plan, late);
        let again = late + CHANNEL_INTERVAL_CHRONO;
        assert_eq!(pacing.wait_before(2, &plan, at(1)), Some(again));
        assert_eq!(pacing.wait_before(2, &plan, again), None);
        // A new row queues after both.
        assert_eq!(
            pacing.wait_before(3, &plan, at(1)),
            Some(again + CHANNEL_INTERVAL_CHRONO)
        );
    }

    const CHANNEL_INTERVAL_CHRONO: chrono::Duration = chrono::Duration::seconds(1);

    #[test]
    fn tiers_space_calls_and_a_hold_pushes_them_back() {
        let mut pacing = Pacing::default();
        let plan: Plan = vec![("chat.update".into(), method_interval("chat.update"))];
        assert_eq!(pacing.wait_before(1, &plan, at(0)), None);
        assert_eq!(
            pacing.wait_before(2, &plan, at(0)),
            // Tier 3, 50 a minute: 1.2 s apart, plus the 2 % margin.
            Some(at(0) + chrono::Duration::milliseconds(1224))
        );
        let reserved = pacing.wait_before(3, &plan, at(0)).unwrap();
        pacing.hold("chat.update", at(30));
        assert_eq!(pacing.wait_before(4, &plan, at(0)), Some(at(30)));
        // A row that reserved its slot before the 429 waits for the hold too.
        assert_eq!(pacing.wait_before(3, &plan, reserved), Some(at(30)));
        assert_eq!(pacing.wait_before(3, &plan, at(30)), None);
    }
}
