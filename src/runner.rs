//! `amplifier run`: migrate, sync the config's teams, then run the routine until shutdown: the engine's clock
//! work and delivery for Slack and Discord teams, or an interactive terminal for a team on the shell.

use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::delivery::{Delivery, DeliveryConfig, Transport};
use crate::domain::Platform;
use crate::engine::{Engine, TickReport};
use crate::shell::{Shell, SHELL_HELP};
use anyhow::Context;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// The longest the clock work sleeps (a safety net: it wakes when something is due, and after every event).
const MAX_NAP: Duration = Duration::from_secs(60);

/// When the clock work should next run: the next instant something is due, at most [`MAX_NAP`] away.
fn next_tick(
    now: chrono::DateTime<chrono::Utc>,
    next: Option<chrono::DateTime<chrono::Utc>>,
) -> chrono::DateTime<chrono::Utc> {
    let cap = now + chrono::Duration::from_std(MAX_NAP).unwrap_or_default();
    next.map_or(cap, |at| at.min(cap))
}

/// The least real time a delivery claim lasts. The lease is counted on the run's clock; on a sped-up test
/// clock (`AMPLIFIER_TEST_CLOCK`) its 120 s could be a few real milliseconds, shorter than one send, and
/// every claim would expire before its row's turn.
const MIN_REAL_LEASE: Duration = Duration::from_secs(2);

/// Delivery's production settings, with the lease stretched to [`MIN_REAL_LEASE`] of real time if the
/// clock runs fast (never changed on the system clock).
fn delivery_config(owner: String, clock: &dyn Clock) -> DeliveryConfig {
    let mut config = DeliveryConfig::new(owner);
    let real = clock.real(config.lease);
    if !real.is_zero() && real < MIN_REAL_LEASE {
        config.lease = config
            .lease
            .mul_f64(MIN_REAL_LEASE.as_secs_f64() / real.as_secs_f64());
    }
    config
}

/// Runs the bot until `shutdown` resolves.
pub async fn run(
    config: Config,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let url = config.database_url();
    let redacted = crate::store::redact_url(&url);
    let store = crate::store::open(&url)
        .await
        .with_context(|| format!("opening the database {redacted}"))?;
    store
        .migrate()
        .await
        .with_context(|| format!("migrating the database {redacted}"))?;
    let report = crate::teams::sync_config_teams(&*store, &config, clock.now()).await?;
    tracing::info!(
        database = %redacted,
        teams_created = report.teams_created,
        teams_updated = report.teams_updated,
        people_added = report.people_added,
        roles_added = report.roles_added,
        roles_removed = report.roles_removed,
        "teams synced from the config"
    );
    let engine = Arc::new(Engine::new(
        store.clone(),
        config.base_dir.clone(),
        config.scheduler.catch_up_window.0,
    ));
    engine.load_prompt_packs().await?;
    let result = match config.teams.iter().find(|t| t.platform == Platform::Shell) {
        Some(team) => {
            run_shell(
                engine,
                clock.now(),
                &team.workspace_id,
                team.leaders.first().map_or("admin", String::as_str),
                shutdown,
            )
            .await
        }
        None => {
            let wake = Arc::new(Notify::new());
            let (stop, stopped) = watch::channel(false);
            let mut platforms =
                connect_platforms(&config, &engine, &clock, &wake, &stopped).await?;
            platforms.tasks.push(
                serve_http(
                    &config,
                    engine.store().clone(),
                    platforms.readiness.clone(),
                    platforms.slack_routes.take(),
                    stopped.clone(),
                )
                .await?,
            );
            let result = run_loop(
                engine.clone(),
                &*clock,
                platforms.transports,
                wake,
                &stop,
                stopped,
                shutdown,
            )
            .await;
            let _ = stop.send(true);
            if let Some(discord) = platforms.discord {
                if let Err(e) = discord.stop().await {
                    tracing::warn!(error = %e, "the Discord gateway did not stop cleanly");
                }
            }
            for task in platforms.tasks {
                let _ = task.await;
            }
            result
        }
    };
    store.close().await;
    result
}

/// What `run` connected to: the transports delivery sends through, and the adapters that receive.
struct Platforms {
    transports: Vec<Arc<dyn Transport>>,
    discord: Option<crate::discord::DiscordAdapter>,
    /// Background tasks (Slack Socket Mode, people sync, the HTTP listener) that end once `stop` is sent.
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Slack's HTTP events routes, served with health and metrics on `http.listen`.
    slack_routes: Option<axum::Router>,
    readiness: Arc<crate::http::Readiness>,
}

/// Resolves once the run is stopping.
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Connects the configured platforms. Slack: Socket Mode (or the HTTP events routes on `http.listen`), the
/// daily people sync, and the transport. Discord: the `/amplify` command is registered globally
/// (idempotently), the gateway delivers events to the engine. Every event an adapter applies wakes
/// delivery, so replies and forms go out at once (forms must answer within the platforms' 3 seconds).
async fn connect_platforms(
    config: &Config,
    engine: &Arc<Engine>,
    clock: &Arc<dyn Clock>,
    wake: &Arc<Notify>,
    stopped: &watch::Receiver<bool>,
) -> anyhow::Result<Platforms> {
    let mut platforms = Platforms {
        transports: Vec::new(),
        discord: None,
        tasks: Vec::new(),
        slack_routes: None,
        readiness: Arc::new(crate::http::Readiness::default()),
    };
    if let Some(slack) = config.slack.as_ref().filter(|s| s.bot_token.is_some()) {
        let connection = crate::slack::connect(
            slack,
            engine.clone(),
            clock.clone(),
            wake.clone(),
            until_stopped(stopped.clone()),
        )
        .await?;
        tracing::info!(workspace = %connection.team_id, bot = %connection.bot_user, "connected to Slack");
        platforms.transports.push(connection.transport.clone());
        platforms.tasks.push(tokio::spawn(crate::slack::people::run(
            connection.people.clone(),
            clock.clone(),
            until_stopped(stopped.clone()),
        )));
        if let Some(task) = connection.socket_mode {
            platforms.tasks.push(task);
        }
        platforms.slack_routes = connection.http_routes;
        platforms.tasks.push(follow_readiness(
            platforms.readiness.clone(),
            "slack",
            connection.connected.clone(),
            |up| *up,
        ));
    }
    if let Some(discord) = &config.discord {
        if let (Some(token), Some(app)) = (&discord.bot_token, &discord.application_id) {
            let rest = crate::discord::rest::Rest::new(&discord.api_base_url, token.expose())?;
            let guilds: Vec<&str> = config
                .teams
                .iter()
                .filter(|t| t.platform == Platform::Discord)
                .map(|t| t.workspace_id.as_str())
                .collect();
            crate::discord::commands::register(&rest, app, &guilds)
                .await
                .context("registering /amplify with Discord")?;
            let interactions = Arc::new(crate::discord::interactions::Interactions::default());
            platforms
                .transports
                .push(Arc::new(crate::discord::DiscordTransport::new(
                    rest,
                    app,
                    engine.store().clone(),
                    clock.clone(),
                    interactions.clone(),
                )));
            let settings = crate::discord::gateway::GatewaySettings::from_config(discord)?;
            let adapter = crate::discord::DiscordAdapter::connect(
                settings,
                engine.clone(),
                clock.clone(),
                interactions,
                std::future::pending(),
            )
            .await?;
            let mut progress = adapter.progress();
            let wake = wake.clone();
            tokio::spawn(async move {
                while progress.changed().await.is_ok() {
                    wake.notify_one();
                }
            });
            platforms.tasks.push(follow_readiness(
                platforms.readiness.clone(),
                "discord",
                adapter.progress(),
                |p| p.connected,
            ));
            platforms.discord = Some(adapter);
        }
    }
    Ok(platforms)
}

/// Keeps `/readyz` in step with an adapter's connection until the adapter ends.
fn follow_readiness<T: Send + Sync + 'static>(
    readiness: Arc<crate::http::Readiness>,
    platform: &'static str,
    mut state: watch::Receiver<T>,
    connected: fn(&T) -> bool,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let up = connected(&state.borrow_and_update());
            readiness.set(platform, up);
            if state.changed().await.is_err() {
                // The adapter ended (shutdown) or, in Slack's HTTP mode, has no connection to follow.
                return;
            }
        }
    })
}

/// Serves `/healthz`, `/readyz`, `/metrics` (and Slack's events routes in HTTP mode) on `http.listen`.
async fn serve_http(
    config: &Config,
    store: Arc<dyn crate::store::Store>,
    readiness: Arc<crate::http::Readiness>,
    slack_routes: Option<axum::Router>,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (http.listen): pick a free address in the config",
                config.http.listen
            )
        })?;
    let address = listener.local_addr()?;
    tracing::info!(%address, slack_events = slack_routes.is_some(), "http listening");
    let app = crate::http::router(store, readiness, slack_routes);
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(until_stopped(stopped))
            .await
        {
            tracing::error!(error = %e, "the HTTP listener failed");
        }
    }))
}

/// The clock's work and delivery, side by side until shutdown. `wake` lets an adapter that handed the engine
/// an event have its reply delivered at once rather than at the next minute.
#[allow(clippy::too_many_arguments)]
async fn run_loop(
    engine: Arc<Engine>,
    clock: &dyn Clock,
    transports: Vec<Arc<dyn Transport>>,
    wake: Arc<Notify>,
    stop: &watch::Sender<bool>,
    stopped: watch::Receiver<bool>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let owner = format!(
        "amplifier-{}-{}",
        std::process::id(),
        clock.now().timestamp_millis()
    );
    let delivery = Delivery::new(
        engine.store().clone(),
        transports,
        delivery_config(owner, clock),
    )?;
    tracing::info!("scheduler running");
    let ticking = async {
        let mut stopped = stopped.clone();
        let result = async {
            let mut due_at = clock.now();
            let mut last: Option<(chrono::DateTime<chrono::Utc>, TickReport)> = None;
            loop {
                if clock.now() >= due_at {
                    let now = clock.now();
                    let report = engine.tick(now).await?;
                    if report.did_work() {
                        tracing::info!(?report, "clock work done");
                        wake.notify_one();
                    }
                    let work = engine.next_due(None, now, &report).await?;
                    // Work still due after a tick that did some (a batch limit) goes at once; work the tick
                    // looked at and left (waiting for something) waits for what comes next.
                    due_at = if work.replanned || (report.did_work() && work.due_now) {
                        now
                    } else {
                        next_tick(now, work.next)
                    };
                    last = Some((now, report));
                    continue;
                }
                let nap = (due_at - clock.now()).to_std().unwrap_or_default();
                tokio::select! {
                    _ = stopped.wait_for(|stop| *stop) => break,
                    _ = tokio::time::sleep(clock.real(nap)) => {}
                    _ = engine.replanned() => {
                        let now = clock.now();
                        let (since, report) = last.unwrap_or_default();
                        let work = engine.next_due(Some(since), now, &report).await?;
                        due_at = if work.replanned || work.due_now {
                            now
                        } else {
                            due_at.min(next_tick(now, work.next))
                        };
                    }
                }
            }
            anyhow::Ok(())
        }
        .await;
        // An error ends the run: stop delivery too.
        let _ = stop.send(true);
        result
    };
    let delivering = delivery.run(clock, wake.clone(), until_stopped(stopped.clone()));
    let stopping = async {
        tokio::select! {
            _ = shutdown => {
                let _ = stop.send(true);
            }
            _ = until_stopped(stopped.clone()) => {}
        }
    };
    let (ticked, (), ()) = tokio::join!(ticking, delivering, stopping);
    tracing::info!("shutting down");
    ticked
}

/// An interactive terminal: people take turns with `/as NAME`; time moves with `/advance`.
async fn run_shell(
    engine: Arc<Engine>,
    start: chrono::DateTime<chrono::Utc>,
    workspace: &str,
    first: &str,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let clock = Arc::new(ManualClock::new(start));
    let mut shell = Shell::new(engine, clock, workspace, first)?;
    tracing::info!("scheduler running");
    println!("Amplifier shell. Time stands still until you /advance it.\n{SHELL_HELP}");
    shell.settle().await?;
    for line in shell.world().drain_lines() {
        println!("{line}");
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(16);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut line = String::new();
        while stdin.read_line(&mut line).is_ok_and(|n| n > 0) {
            if tx.blocking_send(std::mem::take(&mut line)).is_err() {
                break;
            }
        }
    });
    tokio::pin!(shutdown);
    let mut open = true;
    loop {
        if open {
            print!("{}> ", shell.person());
            use std::io::Write;
            let _ = std::io::stdout().flush();
        }
        tokio::select! {
            _ = &mut shutdown => break,
            line = rx.recv(), if open => match line {
                None => open = false,
                Some(line) if line.trim() == "/quit" => break,
                Some(line) => {
                    for printed in shell.input(&line).await? {
                        println!("{printed}");
                    }
                }
            },
        }
    }
    tracing::info!("shutting down");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ScaledClock, SystemClock};

    #[test]
    fn the_lease_lasts_two_real_seconds_on_a_fast_clock_only() {
        let normal = DeliveryConfig::new("x").lease;
        assert_eq!(delivery_config("x".into(), &SystemClock).lease, normal);
        let now = chrono::Utc::now();
        let slow = ScaledClock::new(now, now, 60.0);
        assert_eq!(delivery_config("x".into(), &slow).lease, normal);
        let fast = ScaledClock::new(now, now, 10_000.0);
        let lease = delivery_config("x".into(), &fast).lease;
        assert!((fast.real(lease).as_secs_f64() - MIN_REAL_LEASE.as_secs_f64()).abs() < 1e-3);
    }
}
