//! The weekly routine end to end, through the engine, a real store (SQLite and PostgreSQL) and the shell adapter,
//! with a manual clock.

mod support;

use amplifier::chat::{Action, Event, EventKind};
use amplifier::clock::{Clock, ManualClock};
use amplifier::config::Config;
use amplifier::domain::Platform;
use amplifier::engine::{Engine, Handled};
use amplifier::shell::Shell;
use amplifier::store::{AskStatus, DraftStatus, NudgeStatus, PostStatus, Store};
use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::Case;

const CASES: &[(&str, Case)] = &[
    ("a_teams_export_round_trips_as_json_and_csv", |s| {
        Box::pin(a_teams_export_round_trips_as_json_and_csv(s))
    }),
    ("someone_from_the_server_who_shares_joins_the_team", |s| {
        Box::pin(someone_from_the_server_who_shares_joins_the_team(s))
    }),
    (
        "a_community_is_nudged_by_one_post_that_mentions_only_its_opt_in_role",
        |s| Box::pin(a_community_is_nudged_by_one_post_that_mentions_only_its_opt_in_role(s)),
    ),
    (
        "a_member_confirms_a_share_by_pasting_its_link_in_the_dm",
        |s| Box::pin(a_member_confirms_a_share_by_pasting_its_link_in_the_dm(s)),
    ),
    (
        "a_member_who_refuses_dms_is_skipped_and_named_to_the_leaders",
        |s| Box::pin(a_member_who_refuses_dms_is_skipped_and_named_to_the_leaders(s)),
    ),
    (
        "the_digest_counts_streaks_unless_the_team_turns_the_leaderboard_off",
        |s| Box::pin(the_digest_counts_streaks_unless_the_team_turns_the_leaderboard_off(s)),
    ),
    (
        "share_kits_fit_each_network_and_mastodon_opens_on_the_members_instance",
        |s| Box::pin(share_kits_fit_each_network_and_mastodon_opens_on_the_members_instance(s)),
    ),
    ("a_leaders_copy_of_the_digest_waits_for_their_hours", |s| {
        Box::pin(a_leaders_copy_of_the_digest_waits_for_their_hours(s))
    }),
    (
        "a_member_who_lets_three_nudges_pass_rests_then_is_asked_again",
        |s| Box::pin(a_member_who_lets_three_nudges_pass_rests_then_is_asked_again(s)),
    ),
    ("a_team_zone_prompt_waits_for_each_leaders_morning", |s| {
        Box::pin(a_team_zone_prompt_waits_for_each_leaders_morning(s))
    }),
    ("a_review_request_waits_for_the_approvers_morning", |s| {
        Box::pin(a_review_request_waits_for_the_approvers_morning(s))
    }),
    ("with_urgent_reviews_a_review_request_goes_at_once", |s| {
        Box::pin(with_urgent_reviews_a_review_request_goes_at_once(s))
    }),
    ("a_post_waits_for_its_publish_slot_or_publish_now", |s| {
        Box::pin(a_post_waits_for_its_publish_slot_or_publish_now(s))
    }),
    ("a_week_of_the_routine_reads_like_the_brief", |s| {
        Box::pin(a_week_of_the_routine_reads_like_the_brief(s))
    }),
    ("a_non_approver_cannot_approve_and_is_audited", |s| {
        Box::pin(a_non_approver_cannot_approve_and_is_audited(s))
    }),
    ("an_event_delivered_twice_is_applied_once", |s| {
        Box::pin(an_event_delivered_twice_is_applied_once(s))
    }),
    (
        "a_leader_who_moves_zone_after_a_tick_is_prompted_at_nine_in_the_new_zone",
        |s| Box::pin(a_leader_who_moves_zone_after_a_tick_is_prompted_at_nine_in_the_new_zone(s)),
    ),
    (
        "a_leader_is_prompted_at_nine_in_their_own_zone_across_dst",
        |s| Box::pin(a_leader_is_prompted_at_nine_in_their_own_zone_across_dst(s)),
    ),
    (
        "a_member_in_quiet_hours_is_nudged_when_their_day_starts",
        |s| Box::pin(a_member_in_quiet_hours_is_nudged_when_their_day_starts(s)),
    ),
    ("the_weekly_cap_is_respected", |s| {
        Box::pin(the_weekly_cap_is_respected(s))
    }),
    (
        "a_pasted_link_from_another_site_is_refused_and_nothing_is_lost",
        |s| Box::pin(a_pasted_link_from_another_site_is_refused_and_nothing_is_lost(s)),
    ),
    ("paused_and_muted_people_are_left_alone", |s| {
        Box::pin(paused_and_muted_people_are_left_alone(s))
    }),
    ("prompts_rotate_without_repeats_and_old_asks_expire", |s| {
        Box::pin(prompts_rotate_without_repeats_and_old_asks_expire(s))
    }),
    ("command_mistakes_are_answered_with_what_to_type", |s| {
        Box::pin(command_mistakes_are_answered_with_what_to_type(s))
    }),
];

fn main() {
    support::run_suite("routine", CASES, Vec::new());
}

/// Monday 2026-11-30, 07:55 UTC (08:55 in Berlin).
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 7, 55, 0).unwrap()
}

const TEAM: &str = r#"
[[teams]]
name = "Leadership"
platform = "shell"
workspace_id = "demo"
leaders = ["alice", "bob"]
approvers = ["carol"]
admins = ["carol"]
members = ["dan", "erin", "frank"]
share_channel = "amplify"
time_zone = "Europe/Berlin"
networks = ["linkedin", "x", "bluesky"]
"#;

struct World {
    shell: Shell,
    engine: Arc<Engine>,
    clock: Arc<ManualClock>,
    store: Arc<dyn Store>,
}

async fn world(store: Arc<dyn Store>, team: &str, start: DateTime<Utc>) -> anyhow::Result<World> {
    let config = Config::parse(team).map_err(anyhow::Error::msg)?;
    let problems = amplifier::config::validate(&config, start);
    anyhow::ensure!(problems.is_empty(), "test config: {problems:?}");
    amplifier::teams::sync_config_teams(&*store, &config, start).await?;
    let engine = Arc::new(Engine::new(
        store.clone(),
        PathBuf::from("."),
        Duration::from_secs(6 * 3600),
    ));
    engine.load_prompt_packs().await?;
    let clock = Arc::new(ManualClock::new(start));
    let shell = Shell::new(engine.clone(), clock.clone(), "demo", "alice")?;
    Ok(World {
        shell,
        engine,
        clock,
        store,
    })
}

impl World {
    /// Types lines as `person`; returns everything shown.
    async fn as_(&mut self, person: &str, lines: &[&str]) -> anyhow::Result<String> {
        let mut out = self.shell.input(&format!("/as {person}")).await?;
        for line in lines {
            out.extend(self.shell.input(line).await?);
        }
        Ok(out.join("\n"))
    }

    async fn advance(&mut self, by: &str) -> anyhow::Result<String> {
        Ok(self
            .shell
            .input(&format!("/advance {by}"))
            .await?
            .join("\n"))
    }

    async fn audit_count(&self, action: &str) -> anyhow::Result<usize> {
        Ok(self
            .store
            .audit_log(None, 10_000)
            .await?
            .iter()
            .filter(|e| e.action == action)
            .count())
    }
}

/// The DMs to `person` in a transcript, each as one block of text.
fn dms_to(out: &str, person: &str) -> Vec<String> {
    let header = format!("DM to {person}:");
    format!("\n{out}")
        .split("\n→ ")
        .filter_map(|chunk| chunk.strip_prefix(header.as_str()))
        .map(str::to_string)
        .collect()
}

async fn a_week_of_the_routine_reads_like_the_brief(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let mut w = world(store, TEAM, monday()).await?;
    // Prompt: at 09:00 in Berlin each leader gets one question with three buttons.
    let out = w.advance("10m").await?;
    for leader in ["alice", "bob"] {
        let dm = dms_to(&out, leader);
        assert_eq!(dm.len(), 1, "{out}");
        assert!(
            dm[0].contains("Your question this week")
                && dm[0].contains("Write in editor")
                && dm[0].contains("Skip this week")
                && dm[0].contains("Remind me tomorrow"),
            "{out}"
        );
    }
    // Reply capture: two messages join up into draft v1, with a preview and Submit / Edit / Discard.
    let out = w
        .as_(
            "alice",
            &[
                "A customer said our onboarding felt like homework.",
                "We cut it to four steps.",
            ],
        )
        .await?;
    assert!(
        out.contains("Here is your draft (v1)")
            && out.contains("homework")
            && out.contains("four steps"),
        "{out}"
    );
    let alice = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "alice")
        .await?
        .context("alice")?;
    let draft = w
        .store
        .drafts_of(alice.id, &[DraftStatus::Editing])
        .await?
        .pop()
        .context("draft")?;
    assert_eq!(draft.current_version, 1);
    // Review: the approver gets the draft with four decisions.
    let out = w.as_("alice", &["/click Submit for review"]).await?;
    let review = dms_to(&out, "carol");
    assert!(
        review.len() == 1
            && review[0].contains("Approve")
            && review[0].contains("Request changes")
            && review[0].contains("Reject"),
        "{out}"
    );
    // Request changes with a comment: the leader sees it and an Edit button.
    let out = w
        .as_("carol", &["/click Request changes", "Name the four steps."])
        .await?;
    assert!(
        dms_to(&out, "alice")
            .iter()
            .any(|d| d.contains("Name the four steps.") && d.contains("Edit")),
        "{out}"
    );
    // Resubmission makes v2; the reviewer sees what changed.
    let out = w.as_("alice", &["/click Edit", "A customer said our onboarding felt like homework. We cut it to four steps: sign in, import, invite, report.", "/click Submit for review"]).await?;
    let review = dms_to(&out, "carol");
    assert!(
        review
            .iter()
            .any(|d| d.contains("v2") && d.contains("What changed since v1")),
        "{out}"
    );
    // Approve: the leader gets the post kit.
    let out = w.as_("carol", &["/click Approve"]).await?;
    assert!(
        dms_to(&out, "alice")
            .iter()
            .any(|d| d.contains("Post it on your own profile first")
                && d.contains("Paste the link of my post")),
        "{out}"
    );
    let reviews = w.store.reviews(draft.id).await?;
    assert_eq!(
        reviews
            .iter()
            .map(|r| (r.version, r.decision.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "request_changes"), (2, "approve")]
    );
    // Leader posts first: the pasted link is checked and becomes the canonical link; the post is published.
    let out = w
        .as_(
            "alice",
            &["https://www.linkedin.com/posts/alice_onboarding-activity-7265000000000000000-AbCd"],
        )
        .await?;
    assert!(
        out.contains("→ #amplify:")
            && out.contains("Engage with the original first")
            && out.contains("Shared on LinkedIn"),
        "{out}"
    );
    let post = w.store.post_of_draft(draft.id).await?.context("post")?;
    assert_eq!(post.status, PostStatus::Published);
    assert!(post
        .canonical_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://www.linkedin.com/posts/")));
    // Amplify: every teammate but the author is nudged (it is 09:05 in Berlin: everyone's working hours).
    for teammate in ["bob", "carol", "dan", "erin", "frank"] {
        assert_eq!(
            dms_to(&out, teammate)
                .iter()
                .filter(|d| d.contains("Could you amplify it"))
                .count(),
            1,
            "{teammate}: {out}"
        );
    }
    assert!(
        dms_to(&out, "alice")
            .iter()
            .all(|d| !d.contains("Could you amplify it")),
        "not the author"
    );
    // A confirmation updates the live count on the channel post.
    let out = w.as_("dan", &["/click Shared on LinkedIn"]).await?;
    assert!(
        out.contains("#amplify (updated)") && out.contains("1 teammate shared it"),
        "{out}"
    );
    // One reminder to the leader who did not answer, and one nudge reminder to those who did nothing.
    let out = w.advance("1d").await?;
    assert!(
        dms_to(&out, "bob")
            .iter()
            .any(|d| d.contains("gentle reminder")),
        "{out}"
    );
    assert!(
        dms_to(&out, "erin")
            .iter()
            .any(|d| d.contains("A last nudge")),
        "{out}"
    );
    assert!(
        dms_to(&out, "dan").is_empty(),
        "dan shared: no reminder\n{out}"
    );
    let out = w.advance("1d").await?;
    assert!(
        !out.contains("gentle reminder") && !out.contains("A last nudge"),
        "one reminder each\n{out}"
    );
    // Report: the digest on Friday, to the channel and to each leader.
    let out = w.advance("3d").await?;
    assert!(
        out.contains("→ #amplify:\n  Leadership's week: 1 post, 1 share"),
        "{out}"
    );
    assert_eq!(
        dms_to(&out, "alice")
            .iter()
            .filter(|d| d.contains("Leadership's week"))
            .count(),
        1
    );
    assert_eq!(w.audit_count("digest.sent").await?, 1);
    Ok(())
}

async fn review_ready(w: &mut World) -> anyhow::Result<(i64, i64)> {
    w.advance("10m").await?;
    w.as_(
        "alice",
        &["An insight worth sharing.", "/click Submit for review"],
    )
    .await?;
    let alice = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "alice")
        .await?
        .context("alice")?;
    let draft = w
        .store
        .drafts_of(alice.id, &[DraftStatus::InReview])
        .await?
        .pop()
        .context("draft in review")?;
    Ok((draft.id.0, draft.current_version))
}

async fn a_non_approver_cannot_approve_and_is_audited(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let mut w = world(store, TEAM, monday()).await?;
    let (draft, version) = review_ready(&mut w).await?;
    let forged = |person: &str, workspace: &str, key: &str| Event {
        platform: Platform::Shell,
        workspace_id: workspace.to_string(),
        person: person.to_string(),
        channel: None,
        key: key.to_string(),
        kind: EventKind::Button {
            action: Some(Action::Approve { draft, version }),
            raw_id: Action::Approve { draft, version }.to_string(),
        },
    };
    let now = w.clock.now();
    // A member, the author (no self-approval), and the approver's name in another workspace.
    for (person, workspace, key) in [
        ("dan", "demo", "f1"),
        ("alice", "demo", "f2"),
        ("carol", "elsewhere", "f3"),
    ] {
        assert_eq!(
            w.engine
                .handle(&forged(person, workspace, key), now)
                .await?,
            Handled::Applied
        );
    }
    let stored = w
        .store
        .draft(amplifier::store::DraftId(draft))
        .await?
        .context("draft")?;
    assert_eq!(stored.status, DraftStatus::InReview, "nobody approved it");
    assert!(w.store.reviews(stored.id).await?.is_empty());
    assert_eq!(w.audit_count("review.refused").await?, 3);
    // A malformed id is refused and audited too.
    let bad = Event {
        key: "f4".into(),
        kind: EventKind::Button {
            action: None,
            raw_id: "ap:1:2:3".into(),
        },
        ..forged("dan", "demo", "f4")
    };
    w.engine.handle(&bad, now).await?;
    assert_eq!(w.audit_count("action.refused").await?, 1);
    // The real approver can.
    let out = w.as_("carol", &["/click Approve"]).await?;
    assert!(out.contains("Approved"), "{out}");
    Ok(())
}

async fn an_event_delivered_twice_is_applied_once(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let w = world(store, TEAM, monday()).await?;
    let event = Event {
        platform: Platform::Shell,
        workspace_id: "demo".into(),
        person: "alice".into(),
        channel: None,
        key: "Ev0123".into(),
        kind: EventKind::DirectMessage {
            text: "One insight.".into(),
        },
    };
    let now = w.clock.now();
    assert_eq!(w.engine.handle(&event, now).await?, Handled::Applied);
    assert_eq!(w.engine.handle(&event, now).await?, Handled::Duplicate);
    let alice = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "alice")
        .await?
        .context("alice")?;
    let drafts = w.store.drafts_of(alice.id, &[DraftStatus::Editing]).await?;
    assert_eq!(drafts.len(), 1);
    let versions = w.store.draft_versions(drafts[0].id).await?;
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0].body, "One insight.",
        "the text was not joined twice"
    );
    assert_eq!(w.store.outbox_depth().await?.interactive, 1, "one preview");
    Ok(())
}

async fn a_leader_is_prompted_at_nine_in_their_own_zone_across_dst(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace(
        "time_zone = \"Europe/Berlin\"",
        "time_zone = \"Europe/Berlin\"\nprompt_zone = \"leader\"",
    );
    // Monday 2027-03-01; New York moves to EDT on Sunday 2027-03-14.
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2027, 2, 28, 12, 0, 0).unwrap(),
    )
    .await?;
    w.as_("alice", &["/amplify timezone America/New_York"])
        .await?;
    w.advance("21d").await?;
    let alice = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "alice")
        .await?
        .context("alice")?;
    let log = w.store.audit_log(None, 10_000).await?;
    let mut times: Vec<DateTime<Utc>> = log
        .iter()
        .filter(|e| e.action == "ask.sent" && e.detail_json.contains("\"alice\""))
        .map(|e| e.at)
        .collect();
    times.sort();
    // 09:00 EST = 14:00 UTC, then 09:00 EDT = 13:00 UTC.
    assert_eq!(
        times,
        vec![
            Utc.with_ymd_and_hms(2027, 3, 1, 14, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 8, 14, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 15, 13, 0, 0).unwrap()
        ],
    );
    let _ = alice;
    Ok(())
}

/// A tick stores when the team is next due (here 09:00 in New York); a leader's new zone must make the next
/// tick look at the team again, so they are asked at 09:00 in Berlin, hours before that.
async fn a_leader_who_moves_zone_after_a_tick_is_prompted_at_nine_in_the_new_zone(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace(
        "time_zone = \"Europe/Berlin\"",
        "time_zone = \"America/New_York\"\nprompt_zone = \"leader\"",
    );
    let mut w = world(store, &team, monday()).await?;
    w.advance("1m").await?;
    assert_eq!(w.audit_count("ask.sent").await?, 0);
    w.as_("alice", &["/amplify timezone Europe/Berlin"]).await?;
    w.advance("10m").await?;
    let log = w.store.audit_log(None, 10_000).await?;
    let asked: Vec<DateTime<Utc>> = log
        .iter()
        .filter(|e| e.action == "ask.sent" && e.detail_json.contains("\"alice\""))
        .map(|e| e.at)
        .collect();
    assert_eq!(
        asked,
        vec![Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap()],
        "09:00 in Berlin"
    );
    Ok(())
}

async fn publish_now(w: &mut World) -> anyhow::Result<()> {
    w.as_(
        "alice",
        &[
            "/amplify draft Teams that write things down decide faster.",
            "/click Submit for review",
        ],
    )
    .await?;
    w.as_("carol", &["/click Approve"]).await?;
    Ok(())
}

async fn a_member_in_quiet_hours_is_nudged_when_their_day_starts(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace(
        "networks =",
        "publish_mode = \"team_shares_text\"\nnetworks =",
    );
    // Monday 17:30 in Berlin = 16:30 UTC = 01:30 in Tokyo.
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap(),
    )
    .await?;
    w.as_("erin", &["/amplify timezone Asia/Tokyo"]).await?;
    publish_now(&mut w).await?;
    let erin = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "erin")
        .await?
        .context("erin")?;
    let dan = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "dan")
        .await?
        .context("dan")?;
    let store = w.store.clone();
    let nudge_of = |person| {
        let store = store.clone();
        async move {
            let mut all = Vec::new();
            for status in [NudgeStatus::Pending, NudgeStatus::Sent] {
                all.extend(
                    store
                        .nudges_in_status(None, status)
                        .await?
                        .into_iter()
                        .filter(|n| n.person_id == person),
                );
            }
            anyhow::Ok(all.pop())
        }
    };
    assert!(
        nudge_of(dan.id)
            .await?
            .context("dan's nudge")?
            .sent_at
            .is_some(),
        "dan is in Berlin working hours"
    );
    let pending = nudge_of(erin.id).await?.context("erin's nudge")?;
    assert_eq!(
        pending.status,
        NudgeStatus::Pending,
        "01:30 in Tokyo: not now"
    );
    w.advance("12h").await?;
    let sent = nudge_of(erin.id).await?.context("erin's nudge")?;
    // Tuesday 09:00 in Tokyo = 00:00 UTC.
    assert_eq!(
        sent.sent_at,
        Some(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap())
    );
    Ok(())
}

async fn the_weekly_cap_is_respected(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let team = TEAM.replace(
        "networks =",
        "publish_mode = \"team_shares_text\"\nweekly_nudge_cap = 1\nnetworks =",
    );
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    )
    .await?;
    publish_now(&mut w).await?;
    w.as_(
        "alice",
        &[
            "/amplify draft A second insight, the same week.",
            "/click Submit for review",
        ],
    )
    .await?;
    let out = w.as_("carol", &["/click Approve"]).await?;
    assert!(
        dms_to(&out, "dan").is_empty(),
        "dan already had this week's one nudge\n{out}"
    );
    let dan = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "dan")
        .await?
        .context("dan")?;
    let cancelled = w
        .store
        .nudges_in_status(None, NudgeStatus::Cancelled)
        .await?;
    assert!(cancelled.iter().any(|n| n.person_id == dan.id));
    assert!(w.audit_count("nudge.capped").await? >= 1);
    Ok(())
}

async fn a_pasted_link_from_another_site_is_refused_and_nothing_is_lost(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    // 08:55 in Berlin, before the approver's day: review traffic goes at once for this test.
    let team = TEAM.replace("networks =", "urgent_reviews = true\nnetworks =");
    let mut w = world(store, &team, monday()).await?;
    publish_now(&mut w).await?;
    let out = w
        .as_("alice", &["https://evil.example/linkedin.com/posts/x"])
        .await?;
    assert!(
        dms_to(&out, "alice")
            .iter()
            .any(|d| d.to_lowercase().contains("linkedin")),
        "the reply says what a right link looks like\n{out}"
    );
    let alice = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "alice")
        .await?
        .context("alice")?;
    let waiting = w
        .store
        .posts_of_author(alice.id, PostStatus::AwaitingLink)
        .await?;
    assert_eq!(waiting.len(), 1, "the post still waits for a right link");
    let out = w
        .as_(
            "alice",
            &["https://www.linkedin.com/posts/alice_writing-activity-7265000000000000001-XyZw"],
        )
        .await?;
    assert!(out.contains("→ #amplify:"), "{out}");
    Ok(())
}

async fn paused_and_muted_people_are_left_alone(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let mut w = world(store, TEAM, monday()).await?;
    let out = w.as_("bob", &["/amplify pause until Dec 10"]).await?;
    assert!(out.contains("Paused"), "{out}");
    w.as_("dan", &["/amplify mute"]).await?;
    let out = w.advance("10m").await?;
    assert_eq!(dms_to(&out, "alice").len(), 1);
    assert!(dms_to(&out, "bob").is_empty(), "bob is paused\n{out}");
    w.as_("alice", &["Short insight.", "/click Submit for review"])
        .await?;
    w.as_("carol", &["/click Approve"]).await?;
    let out = w.as_("alice", &["/click Publish without my link"]).await?;
    assert!(dms_to(&out, "dan").is_empty(), "dan is muted\n{out}");
    assert!(dms_to(&out, "bob").is_empty(), "bob is paused\n{out}");
    assert_eq!(dms_to(&out, "erin").len(), 1, "{out}");
    Ok(())
}

async fn prompts_rotate_without_repeats_and_old_asks_expire(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let mut w = world(store, TEAM, monday()).await?;
    let mut questions = Vec::new();
    for _ in 0..3 {
        let out = w.advance("7d").await?;
        let dm = dms_to(&out, "alice")
            .into_iter()
            .find(|d| d.contains("Your question this week"))
            .context("a prompt")?
            .to_string();
        questions.push(
            dm.lines()
                .find(|l| l.trim_start().starts_with('│'))
                .unwrap_or_default()
                .to_string(),
        );
    }
    questions.sort();
    questions.dedup();
    assert_eq!(questions.len(), 3, "no repeats: {questions:?}");
    let bob = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "bob")
        .await?
        .context("bob")?;
    let open = w.store.open_asks_of(bob.id).await?;
    assert_eq!(open.len(), 1, "earlier asks expired when the next came");
    assert_eq!(open[0].status, AskStatus::Open);
    Ok(())
}

async fn command_mistakes_are_answered_with_what_to_type(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let mut w = world(store, TEAM, monday()).await?;
    let out = w.as_("dan", &["/amplify timezone Europe/Pariss"]).await?;
    assert!(out.contains("did you mean \"Europe/Paris\""), "{out}");
    let out = w.as_("dan", &["/amplify stauts"]).await?;
    assert!(out.contains("/amplify status"), "{out}");
    let out = w.as_("dan", &["/amplify team create Growth"]).await?;
    assert!(out.contains("Only admins"), "{out}");
    let out = w
        .as_(
            "carol",
            &[
                "/amplify team create Growth",
                "/amplify team set timezone Growth Asia/Tokyo",
                "/amplify team set timezone Leadership Asia/Tokyo",
            ],
        )
        .await?;
    assert!(
        out.contains("Created Growth")
            && out.contains("Updated Growth")
            && out.contains("config file"),
        "{out}"
    );
    Ok(())
}

async fn a_post_waits_for_its_publish_slot_or_publish_now(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace(
        "networks =",
        "publish_mode = \"team_shares_text\"\npublish_schedule = \"0 10 * * Tue\"\nurgent_reviews = true\nnetworks =",
    );
    let mut w = world(store, &team, monday()).await?;
    w.as_(
        "alice",
        &["/amplify draft First insight.", "/click Submit for review"],
    )
    .await?;
    let out = w.as_("carol", &["/click Approve"]).await?;
    assert!(
        out.contains("Publish now") && !out.contains("→ #amplify:"),
        "waits for Tuesday 10:00\n{out}"
    );
    // The slot: Tuesday 10:00 in Berlin = 09:00 UTC.
    let out = w.advance("1d 2h").await?;
    assert!(out.contains("→ #amplify:"), "{out}");
    let alice = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "alice")
        .await?
        .context("alice")?;
    w.as_(
        "alice",
        &["/amplify draft Second insight.", "/click Submit for review"],
    )
    .await?;
    w.as_("carol", &["/click Approve"]).await?;
    let out = w.as_("carol", &["/click Publish now"]).await?;
    assert!(
        out.contains("→ #amplify:") && out.contains("Second insight"),
        "{out}"
    );
    let published = w
        .store
        .posts_of_author(alice.id, PostStatus::Published)
        .await?;
    assert_eq!(published.len(), 2);
    assert_eq!(
        published.iter().filter_map(|p| p.published_at).min(),
        Some(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap())
    );
    Ok(())
}

async fn share_kits_fit_each_network_and_mastodon_opens_on_the_members_instance(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM
        .replace(
            "networks = [\"linkedin\", \"x\", \"bluesky\"]",
            "networks = [\"linkedin\", \"x\", \"bluesky\", \"mastodon\", \"threads\"]",
        )
        .replace(
            "networks =",
            "publish_mode = \"team_shares_text\"\nnetworks =",
        );
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    )
    .await?;
    let out = w
        .as_(
            "dan",
            &[
                "/amplify mastodon https://",
                "/amplify mastodon @Fosstodon.org",
            ],
        )
        .await?;
    assert!(
        out.contains("is not a server name")
            && out.contains("Saved: share links for Mastodon now open on fosstodon.org"),
        "{out}"
    );
    // A 5,000-character insight with emoji, CJK and a URL.
    let long = format!(
        "Ship small 🚀 and listen: https://example.com/notes {} 小さく出荷する。",
        "We learned to cut scope early. ".repeat(160)
    );
    w.as_(
        "alice",
        &[
            &format!("/amplify draft {long}"),
            "/click Submit for review",
        ],
    )
    .await?;
    let out = w.as_("carol", &["/click Approve"]).await?;
    let channel: &str = out
        .split("\n→ ")
        .find(|c| c.starts_with("#amplify:"))
        .context("channel post")?;
    assert!(
        !channel.contains("Share on Mastodon"),
        "the channel has no instance to share on\n{channel}"
    );
    let dan = dms_to(&out, "dan")
        .into_iter()
        .find(|d| d.contains("Could you amplify it"))
        .context("dan's nudge")?;
    let link = |label: &str| -> Option<String> {
        let start = dan.find(&format!("{label} ↗"))?;
        let rest = &dan[start..];
        Some(rest[..rest.find(']')?].to_string())
    };
    assert!(link("Share on Mastodon").is_some(), "{dan}");
    let shell = &w.shell;
    let button = |label: &str| shell.world().button_by_label("dan", label);
    let url = |label: &str| match button(label).map(|b| b.target) {
        Ok(amplifier::shell::ButtonTarget::Link(url)) => url,
        other => panic!("{label}: {other:?}"),
    };
    assert!(url("Share on Mastodon").starts_with("https://fosstodon.org/share?text="));
    // Each network's text, decoded from its link, fits that network's limit.
    let text_of = |link: String| -> String {
        let parsed = url::Url::parse(&link).expect("a URL");
        parsed
            .query_pairs()
            .find(|(k, _)| k == "text")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    use amplifier::domain::share_kit::{grapheme_length, mastodon_length, x_weighted_length};
    let x = text_of(url("Share on X"));
    assert!(x_weighted_length(&x) <= 280 && x.ends_with('…'), "{x}");
    let bluesky = text_of(url("Share on Bluesky"));
    assert!(grapheme_length(&bluesky) <= 300, "{bluesky}");
    let mastodon = text_of(url("Share on Mastodon"));
    assert!(mastodon_length(&mastodon) <= 500, "{mastodon}");
    let threads = text_of(url("Share on Threads"));
    assert!(grapheme_length(&threads) <= 500, "{threads}");
    assert!(
        dan.contains("Text for LinkedIn (copy)"),
        "LinkedIn takes a URL only: its text is a copy block"
    );
    Ok(())
}

async fn publish_and_share(w: &mut World, text: &str, sharer: &str) -> anyhow::Result<()> {
    w.as_(
        "alice",
        &[
            &format!("/amplify draft {text}"),
            "/click Submit for review",
        ],
    )
    .await?;
    w.as_("carol", &["/click Approve"]).await?;
    w.as_(sharer, &["/click Shared on LinkedIn"]).await?;
    Ok(())
}

async fn the_digest_counts_streaks_unless_the_team_turns_the_leaderboard_off(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    // Reviews happen on a Sunday here: review traffic goes at once.
    let team = TEAM.replace(
        "networks =",
        "publish_mode = \"team_shares_text\"\nurgent_reviews = true\nnetworks =",
    );
    // Tuesday 2026-12-01 10:00 UTC; digests on Fridays at 16:00 Berlin.
    let mut w = world(
        store.clone(),
        &team,
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
    )
    .await?;
    publish_and_share(&mut w, "Week one insight.", "dan").await?;
    let first = w.advance("4d").await?;
    assert!(
        first.contains("Top amplifiers: @dan (1)") && !first.contains("Share streaks"),
        "{first}"
    );
    w.advance("4d").await?;
    publish_and_share(&mut w, "Week two insight.", "dan").await?;
    let second = w.advance("4d").await?;
    assert!(second.contains("Share streaks: @dan: 2 weeks"), "{second}");
    // The same week with the leaderboard off names nobody.
    let quiet = team.replace("networks =", "leaderboard = false\nnetworks =");
    let config = Config::parse(&quiet).map_err(anyhow::Error::msg)?;
    amplifier::teams::sync_config_teams(&*store, &config, w.clock.now()).await?;
    publish_and_share(&mut w, "Week three insight.", "erin").await?;
    let third = w.advance("7d").await?;
    assert!(
        third.contains("Leadership's week: 1 post, 1 share"),
        "{third}"
    );
    assert!(
        !third.contains("Top amplifiers") && !third.contains("Share streaks"),
        "{third}"
    );
    Ok(())
}

/// Erin lets every nudge pass. After three in a row she rests for the team's `back_off_rest` (two weeks here),
/// counted from the last one, and `/amplify status` says so; then she is asked again. Dan shares (all but one
/// week) and is never rested.
async fn a_member_who_lets_three_nudges_pass_rests_then_is_asked_again(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace(
        "networks =",
        "publish_mode = \"team_shares_text\"\nback_off_rest = \"2w\"\nnetworks =",
    );
    // Tuesday 2026-12-01 10:00 UTC (11:00 in Berlin), one post a week.
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
    )
    .await?;
    let mut erin_nudged = Vec::new();
    for week in 1..=6 {
        w.as_(
            "alice",
            &[
                &format!("/amplify draft Insight of week {week}."),
                "/click Submit for review",
            ],
        )
        .await?;
        let out = w.as_("carol", &["/click Approve"]).await?;
        let nudged = |who: &str| {
            dms_to(&out, who)
                .iter()
                .any(|d| d.contains("A teammate just published."))
        };
        erin_nudged.push(nudged("erin"));
        assert!(
            nudged("dan"),
            "week {week}: dan shares, so he is always asked\n{out}"
        );
        if week != 4 {
            w.as_("dan", &["/click Shared on LinkedIn"]).await?;
        }
        if week == 4 {
            let status = w.as_("erin", &["/amplify status"]).await?;
            // Her third nudge went on 2026-12-15: she rests until two weeks later.
            assert!(
                status.contains("Resting from nudges until 2026-12-29"),
                "{status}"
            );
        }
        w.advance("7d").await?;
    }
    // Weeks 1-3 asked; week 4 resting (two weeks from week 3's nudge end exactly at week 5's post); week 5
    // asked again; she lets that one pass too, so week 6 rests again.
    assert_eq!(
        erin_nudged,
        vec![true, true, true, false, true, false],
        "erin's nudges by week"
    );
    let erin_rested = w
        .store
        .audit_log(None, 10_000)
        .await?
        .iter()
        .filter(|e| e.action == "nudge.backed_off" && e.detail_json.contains("\"erin\""))
        .count();
    assert_eq!(erin_rested, 2, "weeks 4 and 6");
    Ok(())
}

/// The team asks at 09:00 in Berlin (`prompt_zone = "team"`); Bob, in New York, gets his question when his
/// day starts there, not at 03:00.
async fn a_team_zone_prompt_waits_for_each_leaders_morning(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    // Sunday 2026-11-29 12:00 UTC.
    let mut w = world(
        store,
        TEAM,
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap(),
    )
    .await?;
    w.as_("bob", &["/amplify timezone America/New_York"])
        .await?;
    // Monday 08:10 UTC: 09:10 in Berlin, 03:10 in New York.
    let berlin = w.advance("20h10m").await?;
    assert_eq!(dms_to(&berlin, "alice").len(), 1, "{berlin}");
    assert!(
        dms_to(&berlin, "bob").is_empty(),
        "03:10 in New York: {berlin}"
    );
    // 13:59 UTC is 08:59 in New York: still nothing; 14:00 is 09:00.
    let early = w.advance("5h49m").await?;
    assert!(dms_to(&early, "bob").is_empty(), "{early}");
    let morning = w.advance("1m").await?;
    let bob = dms_to(&morning, "bob");
    assert!(
        bob.len() == 1 && bob[0].contains("Your question this week"),
        "{morning}"
    );
    Ok(())
}

/// Alice submits at 08:55 in Berlin: Carol's review card waits for 09:00, her start of day, while Alice's own
/// answer comes at once.
async fn a_review_request_waits_for_the_approvers_morning(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let mut w = world(store.clone(), TEAM, monday()).await?;
    let out = w
        .as_(
            "alice",
            &["/amplify draft Early thoughts.", "/click Submit for review"],
        )
        .await?;
    assert!(dms_to(&out, "carol").is_empty(), "08:55 in Berlin: {out}");
    let morning = w.advance("5m").await?;
    assert!(
        dms_to(&morning, "carol")
            .iter()
            .any(|d| d.contains("Early thoughts.")),
        "{morning}"
    );

    Ok(())
}

/// The same at 08:55 with `urgent_reviews = true`: the card goes at once.
async fn with_urgent_reviews_a_review_request_goes_at_once(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace("networks =", "urgent_reviews = true\nnetworks =");
    let mut w = world(store, &team, monday()).await?;
    let out = w
        .as_(
            "alice",
            &[
                "/amplify draft Urgent thoughts.",
                "/click Submit for review",
            ],
        )
        .await?;
    assert!(
        dms_to(&out, "carol")
            .iter()
            .any(|d| d.contains("Urgent thoughts.")),
        "{out}"
    );
    Ok(())
}

/// The digest goes to the channel at the team's slot (Friday 16:00 in Berlin); a leader in Kolkata, where that
/// is 20:30, gets their copy when their Monday starts, not at night.
async fn a_leaders_copy_of_the_digest_waits_for_their_hours(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    // Tuesday 2026-12-01 10:00 UTC.
    let mut w = world(
        store,
        TEAM,
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
    )
    .await?;
    w.as_("alice", &["/amplify timezone Asia/Kolkata"]).await?;
    // Friday 15:30 UTC: the digest slot has passed.
    let friday = w.advance("3d5h30m").await?;
    assert!(
        friday.contains("#amplify:") && friday.contains("Leadership's week"),
        "{friday}"
    );
    assert_eq!(
        dms_to(&friday, "bob")
            .iter()
            .filter(|d| d.contains("'s week"))
            .count(),
        1,
        "{friday}"
    );
    assert!(
        dms_to(&friday, "alice").is_empty(),
        "20:30 in Kolkata: {friday}"
    );
    // Monday 03:00 UTC is 08:30 in Kolkata: still before her day.
    let early = w.advance("2d11h30m").await?;
    assert!(dms_to(&early, "alice").is_empty(), "{early}");
    // 09:00 in Kolkata.
    let monday = w.advance("30m").await?;
    assert_eq!(
        dms_to(&monday, "alice")
            .iter()
            .filter(|d| d.contains("Leadership's week"))
            .count(),
        1,
        "{monday}"
    );
    Ok(())
}

async fn a_member_who_refuses_dms_is_skipped_and_named_to_the_leaders(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace(
        "networks =",
        "publish_mode = \"team_shares_text\"\nnetworks =",
    );
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
    )
    .await?;
    let erin = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "erin")
        .await?
        .context("erin")?;
    // What delivery records when the platform refuses a DM (Discord 50007).
    w.store.set_person_dms_closed(erin.id, true).await?;
    w.as_(
        "alice",
        &[
            "/amplify draft Closed doors, open channels.",
            "/click Submit for review",
        ],
    )
    .await?;
    let out = w.as_("carol", &["/click Approve"]).await?;
    assert!(
        dms_to(&out, "erin").is_empty() && dms_to(&out, "dan").len() == 1,
        "{out}"
    );
    let digest = w.advance("4d").await?;
    let to_alice = dms_to(&digest, "alice")
        .into_iter()
        .find(|d| d.contains("'s week"))
        .context("digest")?;
    assert!(
        to_alice.contains("1 teammate can't get my DMs: @erin"),
        "{to_alice}"
    );
    let channel = digest
        .split("\n→ ")
        .find(|c| c.starts_with("#amplify:"))
        .context("channel digest")?;
    assert!(
        !channel.contains("can't get my DMs"),
        "the channel copy singles no one out\n{channel}"
    );
    // Erin writes to the bot: it may write back again.
    w.as_("erin", &["/amplify status"]).await?;
    w.as_("erin", &["hello bot"]).await?;
    assert!(!w.store.person(erin.id).await?.context("erin")?.dms_closed);
    Ok(())
}

async fn a_member_confirms_a_share_by_pasting_its_link_in_the_dm(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace(
        "networks =",
        "publish_mode = \"team_shares_text\"\nnetworks =",
    );
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
    )
    .await?;
    publish_now(&mut w).await?;
    let out = w
        .as_(
            "erin",
            &["https://bsky.app/profile/erin.example/post/3kabc123"],
        )
        .await?;
    assert!(
        out.contains("Thanks for sharing on Bluesky") && out.contains("#amplify (updated)"),
        "{out}"
    );
    let out = w
        .as_("frank", &["https://evil.example/profile/frank/post/1"])
        .await?;
    assert!(
        out.contains("could not tell which network"),
        "a link from nowhere is refused\n{out}"
    );
    let out = w
        .as_(
            "erin",
            &["https://bsky.app/profile/erin.example/post/3kabc124"],
        )
        .await?;
    assert!(
        out.contains("No post is waiting for a link from you"),
        "{out}"
    );
    let erin = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "erin")
        .await?
        .context("erin")?;
    let post = w
        .store
        .posts_of_author(
            w.store
                .person_by_platform_id(Platform::Shell, "demo", "alice")
                .await?
                .context("alice")?
                .id,
            PostStatus::Published,
        )
        .await?
        .pop()
        .context("post")?;
    let shares = w.store.shares(post.id).await?;
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].person_id, erin.id);
    assert_eq!(
        shares[0].url.as_deref(),
        Some("https://bsky.app/profile/erin.example/post/3kabc123")
    );
    Ok(())
}

async fn a_community_is_nudged_by_one_post_that_mentions_only_its_opt_in_role(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace("networks =", "publish_mode = \"team_shares_text\"\nnudge = \"role_post\"\nopt_in_role = \"amplifiers\"\nnetworks =");
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
    )
    .await?;
    w.as_(
        "alice",
        &[
            "/amplify draft Communities grow by answering questions.",
            "/click Submit for review",
        ],
    )
    .await?;
    let out = w.as_("carol", &["/click Approve"]).await?;
    let channel = out
        .split("\n→ ")
        .find(|c| c.starts_with("#amplify:"))
        .context("channel post")?;
    assert!(
        channel.contains("@&amplifiers: a new post to amplify"),
        "{channel}"
    );
    for member in ["bob", "dan", "erin", "frank"] {
        assert!(
            dms_to(&out, member).is_empty(),
            "no DM to {member} in role_post mode\n{out}"
        );
    }
    assert!(w
        .store
        .nudges_in_status(None, NudgeStatus::Pending)
        .await?
        .is_empty());
    Ok(())
}

async fn someone_from_the_server_who_shares_joins_the_team(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let team = TEAM.replace("networks =", "publish_mode = \"team_shares_text\"\nnudge = \"role_post\"\nopt_in_role = \"amplifiers\"\nnetworks =");
    let mut w = world(
        store,
        &team,
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
    )
    .await?;
    publish_now(&mut w).await?;
    // Grace holds the opt-in role but never ran /amplify join: the role mention reached her.
    let out = w.as_("grace", &["/click Shared on X"]).await?;
    assert!(
        out.contains("Thanks for sharing on X") && out.contains("1 teammate shared it"),
        "{out}"
    );
    let grace = w
        .store
        .person_by_platform_id(Platform::Shell, "demo", "grace")
        .await?
        .context("grace")?;
    let team_id = w
        .store
        .team_by_name("Leadership")
        .await?
        .context("team")?
        .id;
    assert!(w
        .store
        .team_people(team_id)
        .await?
        .iter()
        .any(|(p, role)| p.id == grace.id && role.as_str() == "member"));
    // Someone from another workspace pressing the same button is refused.
    let post = w.store.shares(amplifier::store::PostId(1)).await?;
    assert_eq!(post.len(), 1);
    let forged = Event {
        platform: Platform::Shell,
        workspace_id: "elsewhere".into(),
        person: "mallory".into(),
        channel: None,
        key: "x1".into(),
        kind: EventKind::Button {
            action: Some(Action::Shared {
                post: 1,
                network: amplifier::domain::Network::X,
            }),
            raw_id: "sh:1:x".into(),
        },
    };
    w.engine.handle(&forged, w.clock.now()).await?;
    assert_eq!(
        w.store.shares(amplifier::store::PostId(1)).await?.len(),
        1,
        "not counted"
    );
    assert_eq!(w.audit_count("action.refused").await?, 1);
    Ok(())
}

async fn a_teams_export_round_trips_as_json_and_csv(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let mut w = world(store, TEAM, monday()).await?;
    w.advance("10m").await?;
    w.as_(
        "alice",
        &["Listen for the word homework.", "/click Submit for review"],
    )
    .await?;
    w.as_("carol", &["/click Request changes", "Add an example."])
        .await?;
    w.as_(
        "alice",
        &[
            "/click Edit",
            "Listen for the word homework, as our customer did.",
            "/click Submit for review",
        ],
    )
    .await?;
    w.as_("carol", &["/click Approve"]).await?;
    w.as_(
        "alice",
        &["https://www.linkedin.com/posts/alice_homework-activity-7265000000000000000-AbCd"],
    )
    .await?;
    w.as_("dan", &["/click Shared on LinkedIn"]).await?;
    let export = amplifier::export::export_team(&*w.store, "Leadership", w.clock.now()).await?;
    assert_eq!(export.drafts.len(), 1);
    let draft = &export.drafts[0];
    assert_eq!(
        draft.versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(
        draft
            .reviews
            .iter()
            .map(|r| r.decision.as_str())
            .collect::<Vec<_>>(),
        vec!["request_changes", "approve"]
    );
    assert_eq!(draft.reviews[0].comment.as_deref(), Some("Add an example."));
    assert_eq!(export.posts.len(), 1);
    let post = &export.posts[0];
    assert_eq!(post.author, "alice");
    assert!(post
        .canonical_url
        .as_deref()
        .is_some_and(|u| u.contains("linkedin.com/posts/")));
    assert_eq!(post.shares.len(), 1);
    assert_eq!(post.shares[0].person, "dan");
    assert!(post.nudges.len() >= 4, "{:?}", post.nudges);
    // JSON reads back into the same export.
    let json = serde_json::to_string(&export)?;
    let back: amplifier::export::TeamExport = serde_json::from_str(&json)?;
    assert_eq!(back, export);
    // CSV: one row per record, reading back into the same rows.
    let csv_text = amplifier::export::to_csv(&export)?;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<amplifier::export::CsvRow> = reader.deserialize().collect::<Result<_, _>>()?;
    assert_eq!(rows, amplifier::export::csv_rows(&export));
    assert_eq!(rows.len(), 2 + 2 + 1 + post.nudges.len() + 1);
    assert!(
        amplifier::export::export_team(&*w.store, "Nope", w.clock.now())
            .await
            .is_err()
    );
    Ok(())
}
