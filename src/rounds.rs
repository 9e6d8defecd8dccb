//! Opens each team's prompt rounds at its slots: catch-up after downtime, then exactly one round per slot.
//!
//! A round is keyed by (team, scheduled instant) in the store, so restarts, catch-up and several replicas
//! can all call [`open_due_rounds`] for the same slot and only one of them gets `Created`.

use crate::schedule::{catch_up, CronSchedule};
use crate::store::{AuditEntry, Role, RoundId, RoundOpened, Store, StoreError, TeamId};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::time::Duration;

/// One team's prompt schedule and the zones it is read in (the team's, or each leader's own).
#[derive(Debug, Clone)]
pub struct RoundPlan {
    pub team: TeamId,
    pub team_name: String,
    pub schedule: CronSchedule,
    /// One entry per distinct zone; a slot is a local time in each of them.
    pub zones: Vec<Tz>,
}

/// A round this caller opened, with the zone whose local slot it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedRound {
    pub round: RoundId,
    pub slot: DateTime<Utc>,
    pub zone: Tz,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundsReport {
    /// Rounds this caller opened (exactly one caller opens each slot).
    pub opened: Vec<OpenedRound>,
    /// Slots due now that another caller (a replica, an earlier run) had already opened, missed or closed.
    pub already_handled: Vec<DateTime<Utc>>,
    /// Slots older than the catch-up window, recorded as missed and never prompted.
    pub missed: Vec<DateTime<Utc>>,
    /// Missed slots too many to list (a frequent schedule after long downtime); not recorded one by one.
    pub missed_not_listed: usize,
}

/// Builds the plan for a team: the team's zone, or the distinct zones of its leaders (falling back to the
/// team's zone for a leader who has none) when the team prompts each leader in their own zone.
pub async fn plan_for_team(
    store: &dyn Store,
    team: TeamId,
    team_name: &str,
    schedule: CronSchedule,
    team_zone: Tz,
    per_leader: bool,
) -> Result<RoundPlan, StoreError> {
    let mut zones = vec![];
    if per_leader {
        for (person, role) in store.team_people(team).await? {
            if role != Role::Leader {
                continue;
            }
            let zone = person
                .time_zone
                .as_deref()
                .and_then(|z| crate::zone::parse_zone(z).ok())
                .unwrap_or(team_zone);
            if !zones.contains(&zone) {
                zones.push(zone);
            }
        }
    }
    if zones.is_empty() {
        zones.push(team_zone);
    }
    Ok(RoundPlan {
        team,
        team_name: team_name.to_string(),
        schedule,
        zones,
    })
}

/// Opens the rounds whose slot has come, records older missed slots, and audits both.
/// Safe to call at any time and from several processes: it never opens a slot twice.
pub async fn open_due_rounds(
    store: &dyn Store,
    plan: &RoundPlan,
    now: DateTime<Utc>,
    catch_up_window: Duration,
) -> Result<RoundsReport, StoreError> {
    let last_slot = store.last_round_slot(plan.team).await?;
    let mut report = RoundsReport::default();
    for zone in &plan.zones {
        let pending = catch_up(&plan.schedule, *zone, last_slot, now, catch_up_window);
        report.missed_not_listed += pending.missed_not_listed;
        for slot in pending.missed {
            if store
                .record_missed_round(plan.team, slot, now)
                .await?
                .is_new()
            {
                audit(store, plan, "round.missed", slot, now, zone).await?;
                report.missed.push(slot);
            }
        }
        if let Some(slot) = pending.due {
            match store.open_round(plan.team, slot, now).await? {
                RoundOpened::Created(id) => {
                    audit(store, plan, "round.opened", slot, now, zone).await?;
                    report.opened.push(OpenedRound {
                        round: id,
                        slot,
                        zone: *zone,
                    });
                }
                RoundOpened::AlreadyOpen(_) | RoundOpened::AlreadyDone(..) => {
                    report.already_handled.push(slot)
                }
            }
        }
    }
    Ok(report)
}

async fn audit(
    store: &dyn Store,
    plan: &RoundPlan,
    action: &str,
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
    zone: &Tz,
) -> Result<(), StoreError> {
    let detail = serde_json::json!({
        "scheduled_at": slot.to_rfc3339(),
        "local": slot.with_timezone(zone).format("%Y-%m-%d %H:%M %Z").to_string(),
        "zone": zone.name(),
    });
    store
        .audit(&AuditEntry {
            at: now,
            team_id: Some(plan.team),
            actor: "scheduler".to_string(),
            action: action.to_string(),
            subject: format!("team:{}", plan.team_name),
            detail_json: detail.to_string(),
        })
        .await?;
    Ok(())
}

/// When the next slot of any plan comes, strictly after `now`.
pub fn next_wake(plans: &[RoundPlan], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    plans
        .iter()
        .flat_map(|plan| {
            plan.zones
                .iter()
                .filter_map(|zone| plan.schedule.next_after(*zone, now))
        })
        .min()
}
