//! Discord's rate limits as the transport sees them: the global 50 requests per second and each route's bucket,
//! learnt from the `X-RateLimit-*` headers (the docs say to read them, not hard-code them).
//!
//! Pure bookkeeping over instants handed in by the caller: the delivery workers ask [`Pacer::reserve`] before
//! each send (it hands out successive slots, so a burst is spread instead of every row getting the same instant)
//! and the transport feeds each answer's headers back with [`Pacer::observe`].

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// Requests per second per bot token; interaction callbacks do not count, but pacing them too costs nothing.
pub const GLOBAL_PER_SECOND: i64 = 50;

/// The pace the transport keeps under [`GLOBAL_PER_SECOND`]: 4 % below it, so a send that left a little late
/// (its slot is a lower bound) never puts a 51st request into a second.
pub const GLOBAL_PACE_PER_SECOND: i64 = 48;

/// What one answer said about its route's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketState {
    pub remaining: i64,
    /// Seconds until the bucket refills (`X-RateLimit-Reset-After`).
    pub reset_after: f64,
}

#[derive(Debug, Clone)]
struct Bucket {
    remaining: i64,
    reset_at: DateTime<Utc>,
    /// Slots handed out since the last answer (their requests are not answered yet).
    reserved: i64,
}

/// Pacing for one bot token.
#[derive(Debug, Default)]
pub struct Pacer {
    /// The next free slot of the global limit, one every 1/50 s.
    next_global: Option<DateTime<Utc>>,
    buckets: HashMap<String, Bucket>,
    /// Slots already handed to rows: a row told to wait is asked again when its slot comes and must get the same
    /// answer, not a new slot at the back of the queue.
    slots: HashMap<i64, DateTime<Utc>>,
}

impl Pacer {
    /// When row `row`'s request on `scope` may go: `now` or later. Reserves the slot; asked again, the row gets
    /// the same slot (and once it has come, the slot is used up). `requests` is how many requests the row
    /// makes (2 for a DM whose channel must be opened first): each takes its own share of the global limit.
    pub fn reserve(
        &mut self,
        row: i64,
        scope: &str,
        requests: i64,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if let Some(&slot) = self.slots.get(&row) {
            if slot > now {
                return slot;
            }
            self.slots.remove(&row);
            return now;
        }
        let (at, reserved) = self.next_slot(scope, requests.max(1), now);
        if reserved && at > now {
            self.slots.insert(row, at);
        }
        at
    }

    /// The next slot, and whether it was reserved (false: the bucket is empty, come back at its reset).
    fn next_slot(
        &mut self,
        scope: &str,
        requests: i64,
        now: DateTime<Utc>,
    ) -> (DateTime<Utc>, bool) {
        let mut at = now;
        if let Some(bucket) = self.buckets.get_mut(scope) {
            if bucket.reset_at <= now {
                // Refilled: what we knew is stale; let one request learn the new state.
                bucket.remaining = bucket.remaining.max(1);
                bucket.reserved = 0;
                bucket.reset_at = now;
            }
            if bucket.remaining - bucket.reserved <= 0 {
                // Empty: nothing before the refill; then the row asks again (no slot is kept for it).
                return (bucket.reset_at.max(now), false);
            }
            bucket.reserved += 1;
        }
        let spacing = Duration::microseconds(requests * 1_000_000 / GLOBAL_PACE_PER_SECOND);
        if let Some(next) = self.next_global {
            at = at.max(next);
        }
        self.next_global = Some(at + spacing);
        (at, true)
    }

    /// Records an answer's bucket headers.
    pub fn observe(&mut self, scope: &str, state: BucketState, now: DateTime<Utc>) {
        let reset_at =
            now + Duration::milliseconds((state.reset_after.max(0.0) * 1000.0).ceil() as i64);
        let bucket = self.buckets.entry(scope.to_string()).or_insert(Bucket {
            remaining: state.remaining,
            reset_at,
            reserved: 0,
        });
        bucket.remaining = state.remaining;
        bucket.reset_at = reset_at;
        bucket.reserved = (bucket.reserved - 1).max(0);
    }

    /// A 429 on `scope`: nothing there until `until`.
    pub fn hold(&mut self, scope: &str, until: DateTime<Utc>) {
        let bucket = self.buckets.entry(scope.to_string()).or_insert(Bucket {
            remaining: 0,
            reset_at: until,
            reserved: 0,
        });
        bucket.remaining = 0;
        bucket.reserved = 0;
        bucket.reset_at = bucket.reset_at.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_burst_is_spread_just_under_fifty_per_second() {
        let mut p = Pacer::default();
        let slots: Vec<_> = (0..100)
            .map(|i| p.reserve(i, &format!("c{i}"), 1, t0()))
            .collect();
        // Asked again before its slot, a row gets the same slot; at its slot, it goes.
        assert_eq!(p.reserve(7, "c7", 1, t0()), slots[7]);
        assert_eq!(p.reserve(7, "c7", 1, slots[7]), slots[7]);
        assert_eq!(slots[0], t0());
        // 48 a second: 99 gaps of 1/48 s.
        assert_eq!(slots[99] - slots[0], Duration::microseconds(99 * 20_833));
        // Never more than 49 slots in any one second (48 and a rounding), so a late send leaves room under 50.
        for (i, s) in slots.iter().enumerate().skip(49) {
            assert!(*s - slots[i - 49] >= Duration::seconds(1));
        }
    }

    #[test]
    fn an_empty_bucket_waits_for_its_reset_and_reservations_count() {
        let mut p = Pacer::default();
        p.observe(
            "channel:1",
            BucketState {
                remaining: 2,
                reset_after: 5.0,
            },
            t0(),
        );
        let a = p.reserve(1, "channel:1", 1, t0());
        let b = p.reserve(2, "channel:1", 1, t0());
        assert!(a < t0() + Duration::seconds(1) && b < t0() + Duration::seconds(1));
        // Two reserved and not yet answered: the third waits for the reset.
        assert_eq!(
            p.reserve(3, "channel:1", 1, t0()),
            t0() + Duration::seconds(5)
        );
        // Another route is not held by this one.
        assert!(p.reserve(4, "channel:2", 1, t0()) < t0() + Duration::seconds(1));
        // After the reset one request may go to learn the new state.
        let later = t0() + Duration::seconds(6);
        assert_eq!(p.reserve(3, "channel:1", 1, later), later);
    }

    #[test]
    fn a_row_of_two_requests_takes_two_global_slots() {
        let mut p = Pacer::default();
        assert_eq!(p.reserve(1, "dm", 2, t0()), t0());
        // The next row waits for both of the first row's requests: 2/48 s.
        let one = Duration::microseconds(1_000_000 / GLOBAL_PACE_PER_SECOND);
        assert_eq!(p.reserve(2, "dm", 1, t0()), t0() + one * 2);
        assert_eq!(p.reserve(3, "dm", 1, t0()), t0() + one * 3);
    }

    #[test]
    fn a_hold_keeps_the_scope_closed_until_it_ends() {
        let mut p = Pacer::default();
        let until = t0() + Duration::milliseconds(4951);
        p.hold("channel:1", until);
        assert_eq!(p.reserve(1, "channel:1", 1, t0()), until);
        assert_eq!(
            p.reserve(1, "channel:1", 1, t0() + Duration::seconds(1)),
            until
        );
        assert!(p.reserve(1, "channel:1", 1, until) >= until);
    }
}
