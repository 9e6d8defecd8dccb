//! `amplifier run`: migrate, sync the config's teams, then open every team's rounds at their slots until shutdown.

use crate::clock::Clock;
use crate::config::{Config, PromptZone};
use crate::rounds::{next_wake, open_due_rounds, plan_for_team, RoundPlan};
use crate::store::Store;
use anyhow::Context;
use std::future::Future;
use std::time::Duration;

/// The longest the scheduler sleeps, so a changed clock or a new leader zone is noticed within a minute.
const MAX_NAP: Duration = Duration::from_secs(60);

/// Runs the bot until `shutdown` resolves.
pub async fn run(
    config: Config,
    clock: &dyn Clock,
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
    for platform in config.platforms_in_use() {
        tracing::warn!(%platform, "this build has no {platform} adapter yet: rounds are opened and recorded, messages wait in the outbox");
    }
    let plans = plans(&*store, &config).await?;
    tracing::info!(teams = plans.len(), "scheduler running");
    tokio::pin!(shutdown);
    loop {
        let now = clock.now();
        for plan in &plans {
            let report =
                open_due_rounds(&*store, plan, now, config.scheduler.catch_up_window.0).await?;
            for opened in &report.opened {
                tracing::info!(team = %plan.team_name, round = %opened.round, slot = %opened.slot, "round opened");
            }
            if !report.missed.is_empty() || report.missed_not_listed > 0 {
                tracing::warn!(team = %plan.team_name, missed = report.missed.len() + report.missed_not_listed, "slots passed while the bot was down; recorded as missed");
            }
        }
        let nap = next_wake(&plans, now)
            .and_then(|at| (at - now).to_std().ok())
            .map_or(MAX_NAP, |d| d.min(MAX_NAP));
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(nap) => {}
        }
    }
    tracing::info!("shutting down");
    store.close().await;
    Ok(())
}

async fn plans(store: &dyn Store, config: &Config) -> anyhow::Result<Vec<RoundPlan>> {
    let mut plans = Vec::new();
    for team in &config.teams {
        let name = team.name.trim();
        let stored = store
            .team_by_name(name)
            .await?
            .with_context(|| format!("team {name} was synced but is not in the database"))?;
        let per_leader = team.prompt_zone == PromptZone::Leader;
        plans.push(
            plan_for_team(
                store,
                stored.id,
                name,
                team.prompt_schedule.0.clone(),
                team.time_zone.0,
                per_leader,
            )
            .await?,
        );
    }
    Ok(plans)
}
