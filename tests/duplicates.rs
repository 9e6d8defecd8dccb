//! Every inbound event delivered twice, through the whole routine: Slack Socket Mode redeliveries (the same
//! envelope again, and the same payload in a new envelope), Slack HTTP retries (`X-Slack-Retry-Num` 1 to 3),
//! and Discord gateway dispatches sent twice. After each duplicate nothing reaches the platform and nothing
//! changes in the store: no second draft version, review, post, nudge, share confirmation or reply.

mod support;

#[path = "drive/slack.rs"]
mod slack;
#[path = "drive/state.rs"]
mod state;
#[allow(dead_code)]
#[path = "discord_gateway/world.rs"]
mod world;

use amplifier::discord::gateway::Outcome;
use amplifier::store::{DraftStatus, PostStatus, Store};
use anyhow::Context;
use serde_json::{json, Value};
use slack::{Slack, Where};
use state::state;
use std::sync::Arc;
use std::time::Duration;
use support::fake_discord::gateway::{payloads, Place};
use support::fake_slack::rig::{ALICE, BOB, CAROL, DAN, SHARE_CHANNEL};
use support::fake_slack::TEAM;
use support::Case;
use world::{button_id, World, GUILD, SHARE};

const CASES: &[(&str, Case)] = &[
    (
        "every_socket_mode_envelope_twice_through_the_week_has_one_effect",
        |s| Box::pin(every_socket_mode_envelope_twice_through_the_week_has_one_effect(s)),
    ),
    (
        "slack_http_retries_of_every_kind_of_payload_have_one_effect",
        |s| {
            Box::pin(slack_http_retries_of_every_kind_of_payload_have_one_effect(
                s,
            ))
        },
    ),
    (
        "every_discord_dispatch_twice_through_the_week_has_one_effect",
        |s| Box::pin(every_discord_dispatch_twice_through_the_week_has_one_effect(s)),
    ),
];

fn main() {
    support::run_suite("duplicates", CASES, Vec::new());
}

/// Monday 2026-11-30, 07:55 UTC (08:55 in Berlin).
fn monday() -> chrono::DateTime<chrono::Utc> {
    world::monday()
}

// ---------------------------------------------------------------------------------------------------------
// Slack, Socket Mode

/// Applies a payload once as `amplifier run` would (event, delivery, the clock's work), then sends it twice
/// more as Slack redelivers (the same envelope again, and in a new envelope): nothing more may happen.
async fn slack_twice(s: &Slack, kind: &str, payload: Value) -> anyhow::Result<Vec<String>> {
    let mark = s.mark();
    let id = s.push(kind, payload.clone()).await?;
    s.deliver().await?;
    s.tick().await?;
    let effect: Vec<String> = slack::messages(&s.since(mark))
        .iter()
        .map(|r| format!("{} {}", r.method, slack::readable(r)))
        .collect();
    anyhow::ensure!(!effect.is_empty(), "the first delivery did nothing");
    let before = state(&*s.rig.store).await?;
    let mark = s.mark();
    s.resend(&id, kind, payload.clone()).await;
    s.push(kind, payload).await?;
    s.deliver().await?;
    let again = s.since(mark);
    anyhow::ensure!(
        again.is_empty(),
        "the redelivery reached Slack: {:?}",
        again.iter().map(|r| &r.method).collect::<Vec<_>>()
    );
    let after = state(&*s.rig.store).await?;
    anyhow::ensure!(
        before == after,
        "the redelivery changed {before:?} into {after:?}"
    );
    Ok(effect)
}

/// A form's submission for the newest modal opened, with `text` in its first input.
fn submission(s: &Slack, user: &str, text: &str) -> anyhow::Result<Value> {
    let opened = s.rig.fake.calls("views.open");
    let view = &opened.last().context("a modal was opened")?.args["view"];
    let callback = view["callback_id"].as_str().context("callback_id")?;
    let input = view["blocks"][0]["element"]["action_id"]
        .as_str()
        .context("an input")?;
    Ok(s.submit_payload(TEAM, user, callback, &[(input, text)]))
}

fn button(s: &Slack, user: &str, label: &str) -> anyhow::Result<String> {
    let im = s.rig.fake.im_of(user);
    s.rig
        .fake
        .button(&im, label)
        .with_context(|| format!("no {label:?} in {user}'s DM"))
}

async fn every_socket_mode_envelope_twice_through_the_week_has_one_effect(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let s = Slack::start(store, monday()).await;
    s.rig.clock.advance(chrono::Duration::minutes(10));
    s.tick().await?;
    let dm = |user: &str, text: &str| s.dm_payload(TEAM, user, text);
    let press = |user: &str, label: &str| -> anyhow::Result<Value> {
        Ok(s.press_payload(TEAM, user, &Where::Dm, &button(&s, user, label)?))
    };

    // Draft: two messages, each twice: one draft, one version.
    slack_twice(
        &s,
        "events_api",
        dm(ALICE, "Customers forgive missing features."),
    )
    .await?;
    slack_twice(
        &s,
        "events_api",
        dm(ALICE, "They never forgive slow answers."),
    )
    .await?;
    // Review: submitted twice, one review request; changes requested twice, one comment.
    slack_twice(&s, "interactive", press(ALICE, "Submit for review")?).await?;
    slack_twice(&s, "interactive", press(CAROL, "Request changes")?).await?;
    slack_twice(
        &s,
        "interactive",
        submission(&s, CAROL, "Say which answers.")?,
    )
    .await?;
    // v2 through the editor, submitted twice; approved twice.
    slack_twice(&s, "interactive", press(ALICE, "Edit")?).await?;
    slack_twice(
        &s,
        "interactive",
        submission(
            &s,
            ALICE,
            "Customers forgive missing features, never slow support answers.",
        )?,
    )
    .await?;
    slack_twice(&s, "interactive", press(ALICE, "Submit for review")?).await?;
    slack_twice(&s, "interactive", press(CAROL, "Approve")?).await?;
    // The leader's link, twice: one post, one round of nudges.
    slack_twice(
        &s,
        "events_api",
        dm(
            ALICE,
            "<https://www.linkedin.com/posts/alice_support-activity-7265000000000000000-AbCd>",
        ),
    )
    .await?;
    // A share, twice: one confirmation, one count update.
    slack_twice(&s, "interactive", press(DAN, "Shared on LinkedIn")?).await?;
    // Commands, the home tab and the message shortcut, twice each.
    let channel = Where::Channel(SHARE_CHANNEL.to_string());
    slack_twice(
        &s,
        "slash_commands",
        s.command_payload(TEAM, CAROL, &channel, "status"),
    )
    .await?;
    slack_twice(
        &s,
        "slash_commands",
        s.command_payload(TEAM, BOB, &Where::Dm, "pause until friday"),
    )
    .await?;
    let home = json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
        "event_id": "Ev0HOMEDUP1", "event_time": 1795671261,
        "event": {"type": "app_home_opened", "user": ALICE, "channel": s.rig.fake.im_of(ALICE), "tab": "home",
            "event_ts": "1795671261.951547"}});
    slack_twice(&s, "events_api", home).await?;
    slack_twice(
        &s,
        "interactive",
        s.shortcut_payload(TEAM, BOB, "Weekly beats perfect."),
    )
    .await?;

    // Everything happened exactly once.
    let st = state(&*s.rig.store).await?;
    let alice_drafts: Vec<_> = st
        .drafts
        .iter()
        .filter(|d| d.1 == DraftStatus::Published.as_str())
        .collect();
    assert_eq!(alice_drafts.len(), 1, "{st:?}");
    assert_eq!(alice_drafts[0].2, 2, "two versions: {st:?}");
    assert_eq!(st.reviews, 2, "request changes, then approve: {st:?}");
    assert_eq!(st.posts.len(), 1, "{st:?}");
    assert_eq!(st.posts[0].1, PostStatus::Published.as_str());
    assert_eq!(st.nudges, 4, "Bob, Carol, Dan, Erin: {st:?}");
    assert_eq!(st.shares, 1, "{st:?}");
    assert_eq!(st.paused_or_muted, vec![BOB.to_string()]);
    assert_eq!(
        st.drafts.iter().filter(|d| d.1 == "editing").count(),
        1,
        "Bob's draft from the shortcut: {st:?}"
    );
    assert_eq!(s.rig.fake.calls("chat.update").len(), 1);
    assert_eq!(s.rig.fake.messages_in(SHARE_CHANNEL).len(), 1);
    assert_eq!(s.rig.fake.violations(), Vec::<String>::new());
    s.rig.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Slack, HTTP events

/// Posts a payload; then Slack's retries (1 to 3, as after timeouts): one effect.
async fn http_retried(s: &Slack, kind: &str, payload: Value) -> anyhow::Result<()> {
    let mark = s.mark();
    anyhow::ensure!(s.post(kind, &payload, None).await == 200, "first delivery");
    s.deliver().await?;
    s.tick().await?;
    anyhow::ensure!(
        !slack::messages(&s.since(mark)).is_empty(),
        "the first delivery did nothing"
    );
    let before = state(&*s.rig.store).await?;
    let mark = s.mark();
    for retry in 1..=3 {
        anyhow::ensure!(
            s.post(kind, &payload, Some(retry)).await == 200,
            "retry {retry} not acknowledged"
        );
    }
    s.deliver().await?;
    let again = s.since(mark);
    anyhow::ensure!(
        again.is_empty(),
        "a retry reached Slack: {:?}",
        again.iter().map(|r| &r.method).collect::<Vec<_>>()
    );
    let after = state(&*s.rig.store).await?;
    anyhow::ensure!(before == after, "a retry changed {before:?} into {after:?}");
    Ok(())
}

async fn slack_http_retries_of_every_kind_of_payload_have_one_effect(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let s = Slack::start_http(store, monday()).await;
    s.rig.clock.advance(chrono::Duration::minutes(10));
    s.tick().await?;
    http_retried(
        &s,
        "events_api",
        s.dm_payload(TEAM, ALICE, "Retries must not double a draft."),
    )
    .await?;
    let submit = s.press_payload(
        TEAM,
        ALICE,
        &Where::Dm,
        &button(&s, ALICE, "Submit for review")?,
    );
    http_retried(&s, "interactive", submit).await?;
    let approve = s.press_payload(TEAM, CAROL, &Where::Dm, &button(&s, CAROL, "Approve")?);
    http_retried(&s, "interactive", approve).await?;
    http_retried(
        &s,
        "events_api",
        s.dm_payload(
            TEAM,
            ALICE,
            "<https://www.linkedin.com/posts/alice_retries-activity-7265000000000000000-AbCd>",
        ),
    )
    .await?;
    let shared = s.press_payload(
        TEAM,
        DAN,
        &Where::Dm,
        &button(&s, DAN, "Shared on LinkedIn")?,
    );
    http_retried(&s, "interactive", shared).await?;
    http_retried(
        &s,
        "slash_commands",
        s.command_payload(TEAM, BOB, &Where::Channel(SHARE_CHANNEL.into()), "mute"),
    )
    .await?;
    let st = state(&*s.rig.store).await?;
    assert_eq!(st.versions, 1, "{st:?}");
    assert_eq!(st.reviews, 1, "{st:?}");
    assert_eq!(st.posts.len(), 1, "{st:?}");
    assert_eq!(st.nudges, 4, "{st:?}");
    assert_eq!(st.shares, 1, "{st:?}");
    assert_eq!(st.paused_or_muted, vec![BOB.to_string()]);
    assert_eq!(s.rig.fake.violations(), Vec::<String>::new());
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Discord, gateway

/// Dispatches an event as the gateway does, delivers, does the clock's work; then dispatches the very same
/// event again: the adapter sees a duplicate and nothing more happens. Returns the form the first one opened.
async fn discord_twice(
    w: &World,
    t: &str,
    payload: Value,
    key: &str,
) -> anyhow::Result<Option<world::Form>> {
    let mark = w.fake.request_count();
    w.fake.gateway.dispatch(t, payload.clone());
    anyhow::ensure!(w.outcome(key).await? == Outcome::Applied, "{key}");
    w.tick_and_deliver().await?;
    let first = w.fake.requests_since(mark);
    anyhow::ensure!(!first.is_empty(), "the first dispatch did nothing");
    let form = first
        .iter()
        .find(|r| r.path.starts_with(&format!("/interactions/{key}/")) && r.body["type"] == 9)
        .map(|r| world::Form {
            custom_id: r.body["data"]["custom_id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            inputs: r.body["data"]["components"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|row| row["components"][0]["custom_id"].as_str())
                .map(str::to_string)
                .collect(),
        });
    let before = state(&*w.store).await?;
    let mark = w.fake.request_count();
    w.fake.gateway.dispatch(t, payload);
    w.wait_progress("the duplicate", |p| {
        p.recent.iter().filter(|(k, _)| k == key).count() >= 2
    })
    .await?;
    // The newest outcome for the key is the second dispatch's.
    let second = w.outcome(key).await?;
    anyhow::ensure!(second == Outcome::Duplicate, "{second:?}");
    w.deliver().await?;
    let again = w.fake.requests_since(mark);
    anyhow::ensure!(
        again.is_empty(),
        "the duplicate reached Discord: {:?}",
        again
            .iter()
            .map(|r| (&r.method, &r.path))
            .collect::<Vec<_>>()
    );
    let after = state(&*w.store).await?;
    anyhow::ensure!(
        before == after,
        "the duplicate changed {before:?} into {after:?}"
    );
    Ok(form)
}

async fn every_discord_dispatch_twice_through_the_week_has_one_effect(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = World::start(store, Duration::from_secs(120)).await?;
    w.prompt_leaders().await?;
    let dm = |user: &str, text: &str| -> anyhow::Result<(String, Value)> {
        let key = w.next_id();
        let payload = payloads::dm_message(&key, &w.dm_channel(user)?, user, text, false);
        Ok((key, payload))
    };
    let press = |user: &str, label: &str| -> anyhow::Result<(String, Value)> {
        let custom_id = w
            .dms(user)?
            .iter()
            .rev()
            .find_map(|m| button_id(m, label))
            .with_context(|| format!("no {label:?} in {user}'s DM"))?;
        let key = w.next_id();
        Ok((
            key.clone(),
            payloads::button(&key, user, &w.dm_place(user)?, &custom_id),
        ))
    };
    let submit = |user: &str, form: &world::Form, text: &str| -> anyhow::Result<(String, Value)> {
        let key = w.next_id();
        let fields = [(form.inputs[0].as_str(), text)];
        Ok((
            key.clone(),
            payloads::modal_submit(&key, user, &w.dm_place(user)?, &form.custom_id, &fields),
        ))
    };
    macro_rules! twice {
        ($t:expr, $pair:expr) => {{
            let (key, payload) = $pair?;
            discord_twice(&w, $t, payload, &key).await?
        }};
    }
    twice!(
        "MESSAGE_CREATE",
        dm(world::ALICE, "Customers forgive missing features.")
    );
    twice!(
        "MESSAGE_CREATE",
        dm(world::ALICE, "They never forgive slow answers.")
    );
    twice!(
        "INTERACTION_CREATE",
        press(world::ALICE, "Submit for review")
    );
    let form = twice!("INTERACTION_CREATE", press(world::CAROL, "Request changes"))
        .context("the comment form")?;
    twice!(
        "INTERACTION_CREATE",
        submit(world::CAROL, &form, "Say which answers.")
    );
    let editor = twice!("INTERACTION_CREATE", press(world::ALICE, "Edit")).context("the editor")?;
    twice!(
        "INTERACTION_CREATE",
        submit(
            world::ALICE,
            &editor,
            "Customers forgive missing features, never slow support answers."
        )
    );
    twice!(
        "INTERACTION_CREATE",
        press(world::ALICE, "Submit for review")
    );
    twice!("INTERACTION_CREATE", press(world::CAROL, "Approve"));
    twice!(
        "MESSAGE_CREATE",
        dm(
            world::ALICE,
            "https://www.linkedin.com/posts/alice_support-activity-7265000000000000000-AbCd"
        )
    );
    twice!(
        "INTERACTION_CREATE",
        press(world::DAN, "Shared on LinkedIn")
    );
    let guild = Place::Guild {
        guild: GUILD.into(),
        channel: SHARE.into(),
    };
    let key = w.next_id();
    let status = payloads::slash(
        &key,
        world::CAROL,
        &guild,
        json!([{"type": 1, "name": "status", "options": []}]),
    );
    discord_twice(&w, "INTERACTION_CREATE", status, &key).await?;
    let key = w.next_id();
    let pause = payloads::slash(
        &key,
        world::BOB,
        &guild,
        json!([{"type": 1, "name": "pause", "options": [{"type": 3, "name": "until", "value": "friday"}]}]),
    );
    discord_twice(&w, "INTERACTION_CREATE", pause, &key).await?;
    let key = w.next_id();
    let shortcut = payloads::message_command(
        &key,
        world::BOB,
        &guild,
        amplifier::discord::commands::DRAFT_FROM_MESSAGE,
        &w.next_id(),
        world::DAN,
        "Weekly beats perfect.",
    );
    discord_twice(&w, "INTERACTION_CREATE", shortcut, &key).await?;

    let st = state(&*w.store).await?;
    let approved: Vec<_> = st
        .drafts
        .iter()
        .filter(|d| d.1 == DraftStatus::Published.as_str())
        .collect();
    assert_eq!(approved.len(), 1, "{st:?}");
    assert_eq!(approved[0].2, 2, "two versions: {st:?}");
    assert_eq!(st.reviews, 2, "{st:?}");
    assert_eq!(st.posts.len(), 1, "{st:?}");
    assert_eq!(st.nudges, 5, "Bob, Carol, Dan, Erin, Frank: {st:?}");
    assert_eq!(st.shares, 1, "{st:?}");
    assert_eq!(st.paused_or_muted, vec![world::BOB.to_string()]);
    assert_eq!(w.fake.messages_in(SHARE).len(), 1);
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}
