//! Footprint: the release binary's size, the time from starting `amplifier run` to its Socket Mode connection
//! being open on the fake Slack, and its resident memory once idle (`VmRSS` in `/proc/PID/status`, with the
//! peak `VmHWM`). One team of 50 members on SQLite; the first start creates and migrates the database, later
//! starts find it.
//!
//! Run: `cargo bench --bench footprint`.

mod common;
#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::fake_slack::FakeSlack;

const STARTS: usize = 6;
const IDLE: Duration = Duration::from_secs(10);

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let size = std::fs::metadata(common::BINARY)?.len();
    println!(
        "footprint: target/release/amplifier ({})",
        common::machine()
    );
    println!(
        "  binary size: {:.1} MB ({size} bytes, not stripped)",
        size as f64 / 1e6
    );
    runtime.block_on(async {
        let fake = FakeSlack::start(Arc::new(amplifier::clock::SystemClock)).await;
        let socket = fake.socket_mode().await;
        let members: Vec<String> = (0..50).map(|i| format!("U0M{i:07}")).collect();
        for m in &members {
            fake.add_user(m, &m.to_lowercase(), "Europe/Berlin");
        }
        let dir = tempfile::tempdir()?;
        let db = format!("sqlite://{}", dir.path().join("amp.db").display());
        let path = dir.path().join("amplifier.toml");
        std::fs::write(&path, common::slack_config(&fake.api_url, &db, &members))?;
        let mut connects = Vec::new();
        let mut rss = Vec::new();
        for start in 0..STARTS {
            let before = socket.accepted();
            let started = Instant::now();
            let child = common::spawn_bot(&path, &[]);
            socket
                .wait_for("the bot's Socket Mode connection", Duration::from_secs(60), |s| {
                    s.accepted() > before
                })
                .await;
            let connected = started.elapsed().as_secs_f64() * 1000.0;
            let pid = child.id().to_string();
            tokio::time::sleep(IDLE).await;
            let (now_kb, peak_kb) = (
                common::status_kb(&pid, "VmRSS").unwrap_or(0),
                common::status_kb(&pid, "VmHWM").unwrap_or(0),
            );
            println!(
                "  start {}{}: connected after {connected:.0} ms; idle {} s later VmRSS {:.1} MB (peak VmHWM {:.1} MB)",
                start + 1,
                if start == 0 { " (new database, migrations)" } else { "" },
                IDLE.as_secs(),
                now_kb as f64 / 1024.0,
                peak_kb as f64 / 1024.0
            );
            connects.push(connected);
            rss.push(now_kb as f64 / 1024.0);
            common::stop(child);
        }
        let warm = &connects[1..];
        let connect_p50 = common::percentile(warm, 0.5);
        let connect_max = warm.iter().copied().fold(0.0, f64::max);
        let rss_max = rss.iter().copied().fold(0.0, f64::max);
        println!(
            "  start → connected: first {:.0} ms, later starts p50 {connect_p50:.0} ms, max {connect_max:.0} ms (target ≤ 300 ms) → {}",
            connects[0],
            common::verdict(connects.iter().all(|c| *c <= 300.0))
        );
        println!(
            "  idle RSS: max {rss_max:.1} MB over {STARTS} starts (target ≤ 25 MB) → {}",
            common::verdict(rss_max <= 25.0)
        );
        let violations = fake.violations();
        if !violations.is_empty() {
            println!("  fake saw {} violations, first: {}", violations.len(), violations[0]);
        }
        anyhow::Ok(())
    })
}
