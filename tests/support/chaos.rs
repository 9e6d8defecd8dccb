//! Seeded fault injection for the fake platforms: a share of calls answered 5xx or 429 with a
//! `Retry-After`, decided by a small deterministic RNG so a failing run can be replayed from its seed.

/// SplitMix64: tiny, seedable, good enough to pick fault points and kill points.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }
}

/// A seed from `AMPLIFIER_TEST_SEED` when set (to replay a run), else from the time; always printed.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("AMPLIFIER_TEST_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("{test}: seed {seed} (replay with AMPLIFIER_TEST_SEED={seed})");
    seed
}

/// What an injected fault answers instead of the real call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ServerError,
    RateLimited { retry_after_secs: u64 },
}

/// Fails a share of calls: `server_error` of them with 5xx, `rate_limited` with 429 and a
/// `Retry-After` of 1 to 3 seconds (on the fake's clock). Counts what it injected.
#[derive(Debug, Clone)]
pub struct Faults {
    rng: Rng,
    server_error: f64,
    rate_limited: f64,
    pub injected_5xx: u32,
    pub injected_429: u32,
}

impl Faults {
    pub fn new(seed: u64, server_error: f64, rate_limited: f64) -> Faults {
        Faults {
            rng: Rng::new(seed),
            server_error,
            rate_limited,
            injected_5xx: 0,
            injected_429: 0,
        }
    }

    /// The fault for the next call, if any.
    pub fn roll(&mut self) -> Option<Fault> {
        let x = self.rng.unit();
        if x < self.server_error {
            self.injected_5xx += 1;
            Some(Fault::ServerError)
        } else if x < self.server_error + self.rate_limited {
            self.injected_429 += 1;
            Some(Fault::RateLimited {
                retry_after_secs: self.rng.between(1, 3),
            })
        } else {
            None
        }
    }
}
