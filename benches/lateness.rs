//! Lateness on the system clock: the release `amplifier run` (no test clock) against the fake Slack in Socket
//! Mode at Slack's real tiers, one team with a leader and N members (default 1,000). The leader's prompt slot is
//! 5 s after start; an approved post publishes 10 s after start, so the run fans N nudges out.
//!
//! Reports, from the run's database and the fake's records:
//! - how late each sent outbox row went after its `not_before` (p50 / p99 / max), rows last held by a 429
//!   counted apart (their wait is the platform's);
//! - how late the prompt reached the leader after its slot.
//!
//! Slack's `conversations.open` allows 50 calls a minute, so 1,000 nudges take about 21 minutes of wall time.
//! Run: `cargo bench --bench lateness` (`AMPLIFIER_BENCH_LATENESS_MEMBERS` sets N).

mod common;
#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use chrono::{DateTime, Duration as Span, Timelike, Utc};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::fake_slack::{FakeSlack, TEAM};

const LEADER: &str = "U0ALICE001";
const SHARE: &str = "C0AMPLIFY1";

fn main() -> anyhow::Result<()> {
    let members: usize = std::env::var("AMPLIFIER_BENCH_LATENESS_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    println!("lateness on the system clock ({})", common::machine());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let clock: Arc<dyn amplifier::clock::Clock> = Arc::new(amplifier::clock::SystemClock);
    let (fake, _socket) = rt.block_on(async {
        let fake = FakeSlack::start(clock).await;
        let socket = fake.socket_mode().await;
        (fake, socket)
    });
    let users: Vec<String> = (0..members).map(|i| format!("U1L{i:07}")).collect();
    for u in &users {
        fake.add_user(u, &u.to_lowercase(), "UTC");
    }
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("amplifier.db").display());
    let start = Utc::now();
    let prompt = (start + Span::seconds(5))
        .with_nanosecond(0)
        .unwrap_or(start);
    let publish = prompt + Span::seconds(5);
    let quiet_start = (start + Span::hours(6)).format("%H:00");
    let quiet_end = (start + Span::hours(8)).format("%H:00");
    let list: Vec<String> = users.iter().map(|u| format!("\"{u}\"")).collect();
    let config = format!(
        "[log]\nlevel = \"warn\"\n[database]\nurl = \"{url}\"\n[http]\nlisten = \"127.0.0.1:0\"\n[slack]\n\
         bot_token = \"xoxb-fake-bot-token\"\napp_token = \"xapp-fake-app-token\"\napi_base_url = \"{}\"\n\
         [[teams]]\nname = \"Leadership\"\nplatform = \"slack\"\nworkspace_id = \"{TEAM}\"\nleaders = [\"{LEADER}\"]\n\
         self_approval = true\nmembers = [{}]\nshare_channel = \"{SHARE}\"\ntime_zone = \"UTC\"\n\
         prompt_schedule = \"{} {} {} * * *\"\ndigest_schedule = \"off\"\nweekends = \"allow\"\n\
         quiet_hours = {{ start = \"{quiet_start}\", end = \"{quiet_end}\" }}\nweekly_nudge_cap = 10\n",
        fake.api_url,
        list.join(", "),
        prompt.second(),
        prompt.minute(),
        prompt.hour()
    );
    let path = dir.path().join("amplifier.toml");
    std::fs::write(&path, config)?;
    rt.block_on(support::binary::seed_approved_posts(&path, publish))?;
    let bot = common::spawn_bot(&path, &[]);
    let wall = Instant::now();
    let nudged = |fake: &FakeSlack| {
        fake.calls("chat.postMessage")
            .iter()
            .filter(|r| {
                r.error.is_none()
                    && Value::Object(r.args.clone())
                        .to_string()
                        .contains(support::binary::NUDGE_TEXT)
            })
            .count()
    };
    let mut reported = 0;
    while nudged(&fake) < members {
        std::thread::sleep(Duration::from_secs(1));
        let done = nudged(&fake);
        if done >= reported + 100 {
            println!(
                "  {done} of {members} nudges sent after {:.0} s",
                wall.elapsed().as_secs_f64()
            );
            reported = done;
        }
        if wall.elapsed() > Duration::from_secs(3_600) {
            common::stop(bot);
            anyhow::bail!(
                "the fan-out did not finish within an hour: {} of {members}",
                nudged(&fake)
            );
        }
    }
    let elapsed = wall.elapsed().as_secs_f64();
    common::stop(bot);

    let asked: Option<DateTime<Utc>> = fake
        .calls("chat.postMessage")
        .iter()
        .find(|r| {
            Value::Object(r.args.clone())
                .to_string()
                .contains("Your question this week")
        })
        .map(|r| r.at);
    type SentRow = (String, DateTime<Utc>, DateTime<Utc>, Option<String>);
    let rows: Vec<SentRow> = rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await?;
        let rows = sqlx::query_as(
            "SELECT idempotency_key, not_before, sent_at, last_error FROM outbox WHERE status = 'sent'",
        )
        .fetch_all(&pool)
        .await?;
        pool.close().await;
        anyhow::Ok(rows)
    })?;
    let (held, paced): (Vec<_>, Vec<_>) = rows
        .iter()
        .partition(|(_, _, _, e)| e.as_deref().is_some_and(|e| e.contains("rate limit")));
    let late: Vec<f64> = paced
        .iter()
        .map(|(_, nb, sent, _)| (*sent - *nb).num_microseconds().unwrap_or(0) as f64 / 1000.0)
        .collect();
    let max = late.iter().copied().fold(0.0, f64::max);
    println!(
        "  Slack ×1, {members} nudges: {} rows sent in {elapsed:.0} s wall; lateness after not_before: p50 {:.1} ms, p99 {:.1} ms, max {max:.1} ms (target: max ≤ 1,000 ms) → {}; {} rows last held by a 429 (not counted)",
        rows.len(),
        common::percentile(&late, 0.5),
        common::percentile(&late, 0.99),
        common::verdict(max <= 1_000.0),
        held.len(),
    );
    match asked {
        Some(at) => {
            let by = (at - prompt).num_microseconds().unwrap_or(0) as f64 / 1000.0;
            println!(
                "  the prompt reached the leader {by:.1} ms after its slot (target 0 to 1,000 ms) → {}",
                common::verdict((0.0..=1_000.0).contains(&by))
            );
        }
        None => println!("  the prompt never reached the leader → MISS"),
    }
    println!(
        "  429s the fake answered: {}; spec violations: {}",
        fake.requests().iter().filter(|r| r.status == 429).count(),
        fake.violations().len()
    );
    Ok(())
}
