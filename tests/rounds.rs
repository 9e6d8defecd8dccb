//! Rounds over a real store, on SQLite and PostgreSQL: one round per team and slot across restarts,
//! catch-up, concurrent callers, daylight-saving changes and leaders in different zones.

mod support;

use amplifier::config::{Config, TeamConfig};
use amplifier::rounds::{next_wake, open_due_rounds, plan_for_team, RoundPlan};
use amplifier::store::{RoundStatus, Store};
use amplifier::teams::team_spec;
use anyhow::Context;
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;
use support::Case;

const WINDOW: Duration = Duration::from_secs(6 * 3600);

const CASES: &[(&str, Case)] = &[
    ("catch_up_opens_a_recent_slot_once_across_restarts", |s| {
        Box::pin(catch_up_opens_a_recent_slot_once_across_restarts(s))
    }),
    (
        "long_downtime_records_missed_slots_and_never_prompts_late",
        |s| Box::pin(long_downtime_records_missed_slots_and_never_prompts_late(s)),
    ),
    ("concurrent_schedulers_open_each_slot_once", |s| {
        Box::pin(concurrent_schedulers_open_each_slot_once(s))
    }),
    (
        "a_slot_in_the_spring_gap_fires_once_at_the_end_of_the_gap",
        |s| Box::pin(a_slot_in_the_spring_gap_fires_once_at_the_end_of_the_gap(s)),
    ),
    (
        "a_slot_in_the_autumn_overlap_fires_once_at_the_earlier_instant",
        |s| Box::pin(a_slot_in_the_autumn_overlap_fires_once_at_the_earlier_instant(s)),
    ),
    ("leaders_in_their_own_zones_get_their_own_slots", |s| {
        Box::pin(leaders_in_their_own_zones_get_their_own_slots(s))
    }),
];

fn main() {
    support::run_suite("rounds", CASES, Vec::new());
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// A shell team from literal TOML, synced through the same path `amplifier run` uses.
async fn team(store: &dyn Store, extra: &str) -> anyhow::Result<(TeamConfig, RoundPlan)> {
    let text = format!(
        "[[teams]]\nname = \"Leads\"\nplatform = \"shell\"\nworkspace_id = \"local\"\n\
         leaders = [\"alice\", \"bob\"]\nself_approval = true\nshare_channel = \"general\"\n{extra}\n"
    );
    let config = Config::parse(&text).map_err(anyhow::Error::msg)?;
    let team = config.teams[0].clone();
    store
        .sync_teams(&[team_spec(&team)], utc(2026, 1, 1, 0, 0))
        .await?;
    let stored = store.team_by_name("Leads").await?.context("synced team")?;
    let per_leader = team.prompt_zone == amplifier::config::PromptZone::Leader;
    let plan = plan_for_team(
        store,
        stored.id,
        "Leads",
        team.prompt_schedule.0.clone(),
        team.time_zone.0,
        per_leader,
    )
    .await?;
    Ok((team, plan))
}

/// Drives the scheduler the way `run` does: wake at each next slot (and every `step` in between) until `until`.
async fn drive(
    store: &dyn Store,
    plan: &RoundPlan,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    step: Span,
) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let mut opened = Vec::new();
    let mut now = from;
    while now <= until {
        let report = open_due_rounds(store, plan, now, WINDOW).await?;
        opened.extend(report.opened.iter().map(|o| o.slot));
        let next = next_wake(std::slice::from_ref(plan), now).context("schedule fires")?;
        now = next.min(now + step);
    }
    Ok(opened)
}

async fn catch_up_opens_a_recent_slot_once_across_restarts(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let (_, plan) = team(
        &*store,
        "time_zone = \"Europe/Berlin\"\nprompt_schedule = \"0 9 * * Mon\"",
    )
    .await?;
    // Started on Monday 2026-11-30 at 09:40 CET, forty minutes after the 09:00 slot.
    let slot = utc(2026, 11, 30, 8, 0);
    let first = open_due_rounds(&*store, &plan, slot + Span::minutes(40), WINDOW).await?;
    assert_eq!(first.opened.len(), 1, "{first:?}");
    assert_eq!(first.opened[0].slot, slot);
    // Restarts a minute and an hour later find nothing to do.
    for later in [41, 100] {
        let again = open_due_rounds(&*store, &plan, slot + Span::minutes(later), WINDOW).await?;
        assert!(
            again.opened.is_empty() && again.missed.is_empty(),
            "{again:?}"
        );
    }
    assert_eq!(store.last_round_slot(plan.team).await?, Some(slot));
    let log = store.audit_log(Some(plan.team), 10).await?;
    assert_eq!(log.iter().filter(|e| e.action == "round.opened").count(), 1);
    Ok(())
}

async fn long_downtime_records_missed_slots_and_never_prompts_late(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let (_, plan) = team(
        &*store,
        "time_zone = \"UTC\"\nprompt_schedule = \"0 9 * * Mon\"",
    )
    .await?;
    let first = utc(2026, 11, 2, 9, 0);
    assert_eq!(
        open_due_rounds(&*store, &plan, first, WINDOW)
            .await?
            .opened
            .len(),
        1
    );
    // Down for three weeks; back on Tuesday, a day after the last slot: nothing is prompted late.
    let back = utc(2026, 11, 24, 12, 0);
    let report = open_due_rounds(&*store, &plan, back, WINDOW).await?;
    assert!(report.opened.is_empty(), "{report:?}");
    assert_eq!(
        report.missed,
        vec![
            utc(2026, 11, 9, 9, 0),
            utc(2026, 11, 16, 9, 0),
            utc(2026, 11, 23, 9, 0)
        ]
    );
    assert!(
        open_due_rounds(&*store, &plan, back + Span::minutes(5), WINDOW)
            .await?
            .missed
            .is_empty()
    );
    assert_eq!(
        store.last_round_slot(plan.team).await?,
        Some(utc(2026, 11, 23, 9, 0))
    );
    // The next Monday opens normally.
    let next = open_due_rounds(&*store, &plan, utc(2026, 11, 30, 9, 0), WINDOW).await?;
    assert_eq!(next.opened.len(), 1);
    let round = store.round(next.opened[0].round).await?.context("round")?;
    assert_eq!(round.status, RoundStatus::Open);
    Ok(())
}

async fn concurrent_schedulers_open_each_slot_once(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let (_, plan) = team(
        &*store,
        "time_zone = \"Asia/Kolkata\"\nprompt_schedule = \"30 9 * * *\"",
    )
    .await?;
    let plan = Arc::new(plan);
    // Four replicas wake at the same moments over a week of daily slots.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (store, plan) = (store.clone(), plan.clone());
        tasks.push(tokio::spawn(async move {
            drive(
                &*store,
                &plan,
                utc(2026, 12, 1, 0, 0),
                utc(2026, 12, 8, 0, 0),
                Span::hours(6),
            )
            .await
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    all.sort();
    // 09:30 IST = 04:00 UTC, seven days, each opened by exactly one replica.
    let expected: Vec<_> = (1..=7).map(|d| utc(2026, 12, d, 4, 0)).collect();
    assert_eq!(all, expected);
    Ok(())
}

async fn a_slot_in_the_spring_gap_fires_once_at_the_end_of_the_gap(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let (_, plan) = team(
        &*store,
        "time_zone = \"Europe/Berlin\"\nprompt_schedule = \"30 2 * * Sun\"",
    )
    .await?;
    // 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST; 02:30 does not exist.
    let opened = drive(
        &*store,
        &plan,
        utc(2026, 3, 21, 0, 0),
        utc(2026, 4, 6, 0, 0),
        Span::minutes(15),
    )
    .await?;
    assert_eq!(
        opened,
        vec![
            utc(2026, 3, 22, 1, 30),
            utc(2026, 3, 29, 1, 0),
            utc(2026, 4, 5, 0, 30)
        ],
        "one fire per Sunday; the gap slot at 03:00 CEST"
    );
    Ok(())
}

async fn a_slot_in_the_autumn_overlap_fires_once_at_the_earlier_instant(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let (_, plan) = team(
        &*store,
        "time_zone = \"Europe/Berlin\"\nprompt_schedule = \"30 2 * * Sun\"",
    )
    .await?;
    // 2026-10-25: clocks go back from 03:00 CEST to 02:00 CET; 02:30 happens twice.
    let opened = drive(
        &*store,
        &plan,
        utc(2026, 10, 17, 0, 0),
        utc(2026, 11, 2, 0, 0),
        Span::minutes(15),
    )
    .await?;
    assert_eq!(
        opened,
        vec![
            utc(2026, 10, 18, 0, 30),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 11, 1, 1, 30)
        ],
        "one fire per Sunday; the overlap slot at the earlier 02:30 CEST"
    );
    Ok(())
}

async fn leaders_in_their_own_zones_get_their_own_slots(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let (_, plan) = team(
        &*store,
        "time_zone = \"UTC\"\nprompt_zone = \"leader\"\nprompt_schedule = \"0 9 * * Mon\"",
    )
    .await?;
    assert_eq!(plan.zones.len(), 1, "no leader has a zone yet: the team's");
    for (person, _) in store.team_people(plan.team).await? {
        let zone = if person.platform_user_id == "alice" {
            "Asia/Tokyo"
        } else {
            "America/New_York"
        };
        store.set_person_time_zone(person.id, Some(zone)).await?;
    }
    let stored = store.team(plan.team).await?.context("team")?;
    let plan = plan_for_team(
        &*store,
        stored.id,
        "Leads",
        plan.schedule.clone(),
        chrono_tz::UTC,
        true,
    )
    .await?;
    assert_eq!(plan.zones.len(), 2);
    let opened = drive(
        &*store,
        &plan,
        utc(2026, 3, 1, 0, 0),
        utc(2026, 3, 17, 0, 0),
        Span::hours(1),
    )
    .await?;
    // Tokyo 09:00 = 00:00 UTC; New York 09:00 = 14:00 UTC before 8 March (EST) and 13:00 UTC after (EDT).
    assert_eq!(
        opened,
        vec![
            utc(2026, 3, 2, 0, 0),
            utc(2026, 3, 2, 14, 0),
            utc(2026, 3, 9, 0, 0),
            utc(2026, 3, 9, 13, 0),
            utc(2026, 3, 16, 0, 0),
            utc(2026, 3, 16, 13, 0),
        ]
    );
    Ok(())
}
