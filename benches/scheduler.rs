//! Scheduler benchmark: one `Engine::tick` with 100,000 teams in PostgreSQL.
//!
//! Seeds 100,000 teams (one multi-row INSERT per 5,000) whose next due instants are spread evenly over a week,
//! as teams in many zones and schedules would be (about ten teams come due per minute), then measures ticks:
//! one with no team due, and ticks a minute apart that each do the work of the ten or so teams that came due.
//! Queries are counted from sqlx's own statement log (`sqlx::query` events), so the count covers every
//! statement the store sends. For comparison, the first tick after the migration (every team's instant
//! unknown, which is what every tick cost before teams carried `next_due_at`) is measured on 1,000 teams.
//!
//! Run: `cargo bench --bench scheduler` (PostgreSQL from `AMPLIFIER_BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; a scratch database is created and dropped).

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use amplifier::config::Config;
use amplifier::engine::Engine;
use amplifier::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::{Connection, Executor, PgConnection};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tracing_subscriber::layer::SubscriberExt;

const TEAMS: usize = 100_000;
const TARGET_MS: f64 = 100.0;

/// Counts every statement sqlx runs (it logs each one under the `sqlx::query` target).
struct QueryCounter(Arc<AtomicU64>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for QueryCounter {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

const TEAM: &str = r#"
[[teams]]
name = "template"
platform = "shell"
workspace_id = "bench"
leaders = []
approvers = []
admins = []
members = []
self_approval = true
share_channel = "amplify"
time_zone = "UTC"
networks = ["linkedin"]
"#;

fn main() -> anyhow::Result<()> {
    let queries = Arc::new(AtomicU64::new(0));
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(QueryCounter(queries.clone())),
    )?;
    let admin = std::env::var("AMPLIFIER_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (url, database) = support::create_database(&admin)
            .await
            .map_err(anyhow::Error::msg)?;
        let outcome = bench(&url, &queries).await;
        support::drop_database(&admin, &database)
            .await
            .map_err(anyhow::Error::msg)?;
        outcome
    })
}

/// The settings of a plain team (weekly prompt on Monday 09:00 UTC, digest on Friday), as the sync stores them.
fn settings_json() -> anyhow::Result<String> {
    let config = Config::parse(TEAM).map_err(anyhow::Error::msg)?;
    Ok(amplifier::teams::team_spec(&config.teams[0]).settings_json)
}

/// Inserts `count` teams named `prefix-N`; team N is next due at `first + N × spacing` (`None`: unknown).
async fn seed(
    conn: &mut PgConnection,
    prefix: &str,
    count: usize,
    due: Option<(DateTime<Utc>, Duration)>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let settings = settings_json()?;
    for chunk in (0..count).collect::<Vec<_>>().chunks(5_000) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "INSERT INTO teams (name, platform, workspace_id, settings_json, source, created_at, updated_at, next_due_at) ",
        );
        insert.push_values(chunk, |mut row, i| {
            row.push_bind(format!("{prefix}-{i:06}"))
                .push_bind("shell")
                .push_bind("bench")
                .push_bind(&settings)
                .push_bind("config")
                .push_bind(now)
                .push_bind(now)
                .push_bind(due.map(|(first, spacing)| first + spacing * (*i as i32)));
        });
        insert.build().execute(&mut *conn).await?;
    }
    conn.execute("ANALYZE teams").await?;
    Ok(())
}

async fn timed_tick(
    engine: &Engine,
    now: DateTime<Utc>,
    queries: &AtomicU64,
) -> anyhow::Result<(f64, u64, amplifier::engine::TickReport, usize)> {
    let due = engine.store().due_teams(now).await?.len();
    let before = queries.load(Ordering::Relaxed);
    let started = Instant::now();
    let report = engine.tick(now).await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok((ms, queries.load(Ordering::Relaxed) - before, report, due))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn bench(url: &str, queries: &AtomicU64) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = amplifier::store::open(url).await?;
    store.migrate().await?;
    let engine = Engine::new(
        store.clone(),
        PathBuf::from("."),
        std::time::Duration::from_secs(6 * 3600),
    );
    let mut conn = PgConnection::connect(url).await?;
    // Tuesday 2026-12-01 12:00 UTC: between the template's Monday prompt and Friday digest.
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();

    // The old cost, on 1,000 teams: every team looked at (its instant unknown).
    seed(&mut conn, "first", 1_000, None, now).await?;
    let (first_ms, first_queries, _, first_due) = timed_tick(&engine, now, queries).await?;
    conn.execute("DELETE FROM teams").await?;

    let seeded = Instant::now();
    let spacing = Duration::milliseconds(7 * 24 * 3600 * 1000 / TEAMS as i64);
    seed(
        &mut conn,
        "team",
        TEAMS,
        Some((now + Duration::seconds(1), spacing)),
        now,
    )
    .await?;
    let seed_s = seeded.elapsed().as_secs_f64();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM teams")
        .fetch_one(&mut conn)
        .await?;

    println!(
        "scheduler: one Engine::tick with {count} teams in PostgreSQL (seeded in {seed_s:.1} s)"
    );
    println!(
        "  machine: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    // Warm the pool and the plan cache, then no team due.
    timed_tick(&engine, now, queries).await?;
    let mut idle = Vec::new();
    let mut idle_queries = Vec::new();
    for _ in 0..20 {
        let (ms, q, _, due) = timed_tick(&engine, now, queries).await?;
        assert_eq!(due, 0);
        idle.push(ms);
        idle_queries.push(q);
    }
    idle.sort_by(f64::total_cmp);
    // Ticks a minute apart: the teams that came due in that minute are worked.
    let mut busy = Vec::new();
    let mut busy_queries = Vec::new();
    let mut busy_due = Vec::new();
    for minute in 1..=20 {
        let at = now + Duration::minutes(minute);
        let (ms, q, _, due) = timed_tick(&engine, at, queries).await?;
        busy.push(ms);
        busy_queries.push(q);
        busy_due.push(due);
    }
    let still_due = engine
        .store()
        .due_teams(now + Duration::minutes(20))
        .await?
        .len();
    busy.sort_by(f64::total_cmp);
    let (p50, max) = (percentile(&idle, 0.5), idle[idle.len() - 1]);
    println!(
        "  tick, no team due:      p50 {p50:.2} ms, max {max:.2} ms over {} ticks; queries per tick {:?}  (target ≤ {TARGET_MS} ms, constant) → {}",
        idle.len(),
        dedup(&idle_queries),
        verdict(max <= TARGET_MS && dedup(&idle_queries).len() == 1)
    );
    let per_team: Vec<f64> = busy_queries
        .iter()
        .zip(&busy_due)
        .filter(|(_, d)| **d > 0)
        .map(|(q, d)| (*q as f64 - idle_queries[0] as f64) / *d as f64)
        .collect();
    println!(
        "  tick a minute apart:    p50 {:.2} ms, max {:.2} ms; teams due per tick {:?}; queries per tick {:?} = {} + {:.1} per due team  → {}",
        percentile(&busy, 0.5),
        busy[busy.len() - 1],
        busy_due,
        busy_queries,
        idle_queries[0],
        per_team.iter().sum::<f64>() / per_team.len().max(1) as f64,
        verdict(busy[busy.len() - 1] <= TARGET_MS && still_due == 0)
    );
    println!(
        "  for comparison, the first tick after migration 0007 (every instant unknown, as every tick was before): {first_due} teams, {first_ms:.0} ms, {first_queries} queries ({:.1} per team; ×100 for 100,000 teams ≈ {:.0} s, {} queries)",
        first_queries as f64 / first_due as f64,
        first_ms * 100.0 / 1000.0,
        first_queries * 100
    );
    store.close().await;
    Ok(())
}

fn dedup(v: &[u64]) -> Vec<u64> {
    let mut d = v.to_vec();
    d.sort();
    d.dedup();
    d
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}
