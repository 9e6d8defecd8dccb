//! The Slack transport against the fake Slack: what reaches the Web API for each outbox op, pacing, 429 storms,
//! and how Slack's errors are sorted.

mod support;

use amplifier::chat::{Button, Destination, Input, Message, Modal, Outbound};
use amplifier::clock::{Clock, ManualClock};
use amplifier::delivery::{Delivery, DeliveryConfig, DeliveryReport, Transport};
use amplifier::domain::Platform;
use amplifier::slack::api::WebApi;
use amplifier::slack::{trigger_key, SlackTransport};
use amplifier::store::{Lane, NewOutboxMessage, OutboxStatus, Store};
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;
use support::fake_slack::{blockkit, Failure, FakeSlack, BOT_TOKEN};

const CHANNEL: &str = "C0AMPLIFY1";
const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap()
}

struct Rig {
    fake: FakeSlack,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    delivery: Delivery,
    _dir: tempfile::TempDir,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("slack.db").display());
    let store = amplifier::store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(ManualClock::new(start()));
    let fake = FakeSlack::start(clock.clone()).await;
    let api = WebApi::new(&fake.api_url, BOT_TOKEN).unwrap();
    let transport: Arc<dyn Transport> =
        Arc::new(SlackTransport::new(api, store.clone(), clock.clone()));
    let config = DeliveryConfig {
        max_attempts: 5,
        base_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(10),
        ..DeliveryConfig::new("slack-test")
    };
    let delivery = Delivery::new(store.clone(), vec![transport], config).unwrap();
    Rig {
        fake,
        store,
        clock,
        delivery,
        _dir: dir,
    }
}

impl Rig {
    async fn enqueue(&self, key: &str, op: &Outbound) {
        let lane = match op {
            Outbound::OpenModal { .. } | Outbound::Private { .. } => Lane::Interactive,
            _ => Lane::Bulk,
        };
        let queued = self
            .store
            .enqueue(
                &NewOutboxMessage {
                    idempotency_key: key.to_string(),
                    platform: Platform::Slack,
                    workspace_id: support::fake_slack::TEAM.to_string(),
                    lane,
                    payload_json: serde_json::to_string(op).unwrap(),
                    not_before: self.clock.now(),
                },
                self.clock.now(),
            )
            .await
            .unwrap();
        assert!(queued, "{key} queued");
    }

    /// Runs delivery passes, moving the test clock in quarter seconds, until nothing is pending; returns
    /// the passes' reports. Fails after ten minutes of test time.
    async fn drain(&self) -> Vec<DeliveryReport> {
        let deadline = self.clock.now() + chrono::Duration::minutes(10);
        let mut reports = Vec::new();
        loop {
            reports.push(self.delivery.run_once(&*self.clock).await.unwrap());
            let depth = self.store.outbox_depth().await.unwrap();
            if depth.interactive + depth.bulk == 0 {
                return reports;
            }
            assert!(self.clock.now() < deadline, "still pending: {depth:?}");
            self.clock.advance(chrono::Duration::milliseconds(250));
        }
    }

    async fn status(&self, key: &str) -> (OutboxStatus, Option<String>, Option<String>) {
        let row = self.store.outbox_by_key(key).await.unwrap().unwrap();
        (row.status, row.platform_ref, row.last_error)
    }

    fn assert_clean(&self) {
        assert_eq!(self.fake.violations(), Vec::<String>::new());
    }
}

fn send(to: Destination, message: Message) -> Outbound {
    Outbound::Send {
        workspace_id: support::fake_slack::TEAM.to_string(),
        to,
        message,
    }
}

fn post(text: &str) -> Outbound {
    send(
        Destination::Channel(CHANNEL.to_string()),
        Message::new(text).say(text),
    )
}

#[tokio::test]
async fn a_dm_a_channel_post_and_its_update_reach_slack_as_the_spec_wants() {
    let rig = rig().await;
    let prompt = Message::new("Your question this week")
        .say("Your question this week")
        .buttons(vec![Button::primary(
            "Write in editor",
            amplifier::chat::Action::WriteInEditor { ask: 1 },
        )]);
    rig.enqueue(
        "ask:1:prompt",
        &send(Destination::Person(ALICE.into()), prompt),
    )
    .await;
    rig.enqueue("post:1", &post("New post: 0 shares")).await;
    rig.drain().await;
    rig.enqueue(
        "post:1:count",
        &Outbound::Update {
            workspace_id: support::fake_slack::TEAM.to_string(),
            original_key: "post:1".into(),
            message: Message::new("New post: 3 shares").say("New post: 3 shares"),
        },
    )
    .await;
    rig.drain().await;

    let im = rig.fake.im_of(ALICE);
    assert_eq!(rig.fake.calls("conversations.open").len(), 1);
    let posts = rig.fake.calls("chat.postMessage");
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].args["channel"], im.as_str());
    assert_eq!(
        posts[0].args["blocks"][1]["elements"][0]["action_id"],
        "we:1"
    );
    assert_eq!(posts[1].args["channel"], CHANNEL);
    for p in &posts {
        assert!(p.args.get("link_names").is_none() && p.args.get("parse").is_none());
        assert!(
            !p.args["text"].as_str().unwrap().is_empty(),
            "fallback text set"
        );
    }
    let (status, platform_ref, _) = rig.status("post:1").await;
    assert_eq!(status, OutboxStatus::Sent);
    let platform_ref = platform_ref.unwrap();
    let (channel, ts) = platform_ref.split_once(':').unwrap();
    assert_eq!(channel, CHANNEL);
    let updates = rig.fake.calls("chat.update");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].args["ts"], ts);
    assert_eq!(
        rig.fake.message(CHANNEL, ts).unwrap().0,
        "New post: 3 shares"
    );
    rig.assert_clean();
}

#[tokio::test]
async fn hostile_text_reaches_slack_escaped_and_mentions_nobody() {
    let rig = rig().await;
    let hostile = "<!channel> @here <@U0123> &amp; *bold* <!subteam^S0TEAM|all>";
    let message = Message::new(hostile)
        .say("Alice's draft:")
        .quote(hostile)
        .copy("Paste this", hostile);
    rig.enqueue("review:1", &send(Destination::Person(BOB.into()), message))
        .await;
    rig.enqueue(
        "private:1",
        &Outbound::Private {
            workspace_id: support::fake_slack::TEAM.to_string(),
            person: ALICE.into(),
            channel: Some(CHANNEL.into()),
            message: Message::new(hostile).say(hostile),
        },
    )
    .await;
    rig.drain().await;
    let requests = rig.fake.requests();
    assert_eq!(
        requests.iter().filter(|r| r.error.is_none()).count(),
        3,
        "{requests:?}"
    );
    for r in &requests {
        let payload = blockkit::mrkdwn(&serde_json::Value::Object(r.args.clone()));
        assert!(blockkit::broadcasts(&payload).is_empty(), "{payload}");
        assert_eq!(
            blockkit::user_mentions(&payload),
            Vec::<String>::new(),
            "{payload}"
        );
    }
    let dm = &rig.fake.calls("chat.postMessage")[0];
    let payload = serde_json::Value::Object(dm.args.clone()).to_string();
    assert!(
        payload.contains("&lt;!channel&gt;") && payload.contains("&amp;amp;"),
        "{payload}"
    );
    assert_eq!(rig.fake.calls("chat.postEphemeral")[0].args["user"], ALICE);
    rig.assert_clean();
}

#[tokio::test]
async fn a_burst_to_one_channel_leaves_a_second_apart_without_a_429() {
    let rig = rig().await;
    for i in 0..5 {
        rig.enqueue(&format!("burst:{i}"), &post(&format!("message {i}")))
            .await;
    }
    rig.drain().await;
    let posts = rig.fake.calls("chat.postMessage");
    assert_eq!(posts.len(), 5);
    for pair in posts.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= chrono::Duration::seconds(1),
            "{:?}",
            (pair[0].at, pair[1].at)
        );
    }
    assert!(rig.fake.requests().iter().all(|r| r.status == 200));
    rig.assert_clean();
}

#[tokio::test]
async fn a_429_storm_delivers_everything_and_nothing_before_its_retry_after() {
    let rig = rig().await;
    rig.fake.fail_next(
        "chat.postMessage",
        6,
        Failure::RateLimited {
            retry_after_secs: 3,
        },
    );
    rig.fake.fail_next(
        "conversations.open",
        2,
        Failure::RateLimited {
            retry_after_secs: 5,
        },
    );
    for i in 0..4 {
        rig.enqueue(&format!("storm:{i}"), &post(&format!("post {i}")))
            .await;
    }
    for (i, user) in [ALICE, BOB, "U0CAROL001"].iter().enumerate() {
        rig.enqueue(
            &format!("storm:dm:{i}"),
            &send(
                Destination::Person(user.to_string()),
                Message::new("hi").say("hi"),
            ),
        )
        .await;
    }
    let reports = rig.drain().await;
    let limited: u32 = reports.iter().map(|r| r.total.rate_limited).sum();
    assert!(limited >= 6, "{limited}");
    assert_eq!(rig.fake.calls("chat.postMessage").len(), 7);
    let throttled = rig
        .fake
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert_eq!(
        throttled,
        8,
        "{:?}",
        rig.fake
            .requests()
            .iter()
            .map(|r| (
                &r.method,
                r.args.get("channel").and_then(|c| c.as_str()),
                r.at.format("%S%.3f").to_string(),
                r.status
            ))
            .collect::<Vec<_>>()
    );
    // The fake records any call made in a scope before its Retry-After passed.
    rig.assert_clean();
}

#[tokio::test]
async fn slack_errors_are_permanent_or_retried() {
    let rig = rig().await;
    rig.enqueue(
        "archived",
        &send(
            Destination::Channel("C0ARCHIVED".into()),
            Message::new("x").say("x"),
        ),
    )
    .await;
    rig.enqueue(
        "gone",
        &send(
            Destination::Channel("C0NOTTHERE".into()),
            Message::new("x").say("x"),
        ),
    )
    .await;
    rig.enqueue(
        "nobody",
        &send(
            Destination::Person("U0NOBODY01".into()),
            Message::new("x").say("x"),
        ),
    )
    .await;
    rig.drain().await;
    for (key, code) in [
        ("archived", "is_archived"),
        ("gone", "channel_not_found"),
        ("nobody", "user_not_found"),
    ] {
        let (status, _, error) = rig.status(key).await;
        assert_eq!(status, OutboxStatus::Failed, "{key}");
        assert!(error.unwrap_or_default().contains(code), "{key}");
    }
    // A 500 and an internal_error are retried, then the row goes through.
    rig.fake
        .fail_next("chat.postMessage", 1, Failure::ServerError);
    rig.fake
        .fail_next("chat.postMessage", 1, Failure::Error("internal_error"));
    rig.enqueue("flaky", &post("flaky")).await;
    let reports = rig.drain().await;
    let retried: u32 = reports.iter().map(|r| r.total.retried).sum();
    assert_eq!(retried, 2);
    assert_eq!(rig.status("flaky").await.0, OutboxStatus::Sent);
    rig.assert_clean();
}

#[tokio::test]
async fn a_private_answer_in_a_channel_the_bot_is_not_in_goes_to_the_dm() {
    let rig = rig().await;
    rig.enqueue(
        "private:elsewhere",
        &Outbound::Private {
            workspace_id: support::fake_slack::TEAM.to_string(),
            person: ALICE.into(),
            channel: Some("C0NOTMEMBR".into()),
            message: Message::new("Nothing open for you right now.")
                .say("Nothing open for you right now."),
        },
    )
    .await;
    rig.drain().await;
    assert_eq!(rig.status("private:elsewhere").await.0, OutboxStatus::Sent);
    let dm = rig.fake.calls("chat.postMessage");
    assert_eq!(dm.len(), 1);
    assert_eq!(dm[0].args["channel"], rig.fake.im_of(ALICE).as_str());
    rig.assert_clean();
}

/// The draft editor as the engine opens it (submit action `ed:7`).
fn editor_modal(title: &str) -> Modal {
    Modal {
        title: title.into(),
        submit_label: "Save".into(),
        action: "ed:7".into(),
        inputs: vec![Input {
            id: "text".into(),
            label: "Your insight".into(),
            initial: Some("First thoughts".into()),
            multiline: true,
            max_len: 4000,
            optional: false,
        }],
    }
}

/// Opens `modal` for Alice in answer to the interaction `trigger`.
fn open_modal(modal: Modal, trigger: String) -> Outbound {
    Outbound::OpenModal {
        workspace_id: support::fake_slack::TEAM.to_string(),
        person: ALICE.into(),
        trigger,
        modal,
    }
}

#[tokio::test]
async fn a_modal_opens_with_the_interactions_trigger() {
    let rig = rig().await;
    let open = |trigger: String| open_modal(editor_modal("Edit your draft for review"), trigger);
    rig.enqueue("modal:ok", &open(trigger_key(&rig.fake.new_trigger())))
        .await;
    rig.enqueue("modal:not-an-interaction", &open("EvODHDEYBLVN".into()))
        .await;
    rig.drain().await;
    let opened = rig.fake.calls("views.open");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].args["view"]["callback_id"], "ed:7");
    assert_eq!(
        opened[0].args["view"]["blocks"][0]["element"]["max_length"],
        3000
    );
    assert_eq!(rig.status("modal:ok").await.0, OutboxStatus::Sent);
    assert_eq!(
        rig.status("modal:not-an-interaction").await.0,
        OutboxStatus::Failed
    );
    rig.assert_clean();
}

#[tokio::test]
async fn a_form_too_late_to_open_becomes_a_dm_with_its_button_again() {
    let rig = rig().await;
    let open = |trigger: String| open_modal(editor_modal("Edit your draft"), trigger);
    // Queued at the press, but its turn comes 4 s later: views.open is not even tried.
    rig.enqueue("modal:stale", &open(trigger_key(&rig.fake.new_trigger())))
        .await;
    rig.clock.advance(chrono::Duration::seconds(4));
    rig.drain().await;
    assert!(rig.fake.calls("views.open").is_empty());
    assert_eq!(rig.status("modal:stale").await.0, OutboxStatus::Sent);
    let im = rig.fake.im_of(ALICE);
    let again = rig.fake.messages_in(&im);
    assert_eq!(again.len(), 1, "{again:?}");
    assert!(again[0].1.contains("press the button"), "{again:?}");
    // The button is the press that opens this form again.
    assert_eq!(
        rig.fake.button(&im, "Edit your draft").as_deref(),
        Some("ed:7")
    );

    // Slack itself says the trigger expired (it was issued 3 s before the row was queued).
    let trigger = rig.fake.new_trigger();
    rig.clock.advance(chrono::Duration::seconds(3));
    rig.clock.advance(chrono::Duration::milliseconds(500));
    rig.enqueue("modal:expired", &open(trigger_key(&trigger)))
        .await;
    rig.drain().await;
    let tried: Vec<_> = rig
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "views.open")
        .collect();
    assert_eq!(tried.len(), 1);
    assert_eq!(tried[0].error.as_deref(), Some("expired_trigger_id"));
    assert_eq!(rig.status("modal:expired").await.0, OutboxStatus::Sent);
    assert_eq!(rig.fake.messages_in(&im).len(), 2);
    rig.assert_clean();
}

#[tokio::test]
async fn the_home_tab_is_published_within_view_limits() {
    let rig = rig().await;
    let api = WebApi::new(&rig.fake.api_url, BOT_TOKEN).unwrap();
    let transport = SlackTransport::new(api, rig.store.clone(), rig.clock.clone());
    let mut home = Message::new("Your Amplifier").say("Open questions: 1");
    for i in 0..70 {
        home = home.say(format!("Post {i} to share"));
    }
    let sent = transport.publish_home(ALICE, &home).await.unwrap();
    assert_eq!(sent.platform_ref.as_deref(), Some("V0HOME0001"));
    let published = rig.fake.calls("views.publish");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].args["user_id"], ALICE);
    assert_eq!(
        published[0].args["view"]["blocks"]
            .as_array()
            .unwrap()
            .len(),
        71
    );
    let gone = transport
        .publish_home("U0NOBODY01", &home)
        .await
        .unwrap_err();
    assert!(
        matches!(gone, amplifier::delivery::SendError::Permanent(_)),
        "{gone:?}"
    );
    rig.assert_clean();
}

#[test]
fn the_manifest_matches_what_the_adapter_handles() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bots/slack/manifest.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let commands = &manifest["features"]["slash_commands"];
    assert_eq!(commands[0]["command"], amplifier::slack::inbound::COMMAND);
    // Mentions arrive as <@U…|name>, which the adapter normalizes for the command grammar.
    assert_eq!(commands[0]["should_escape"], true);
    let shortcut = &manifest["features"]["shortcuts"][0];
    assert_eq!(shortcut["type"], "message");
    assert_eq!(shortcut["callback_id"], amplifier::slack::inbound::SHORTCUT);
    let scopes: Vec<&str> = manifest["oauth_config"]["scopes"]["bot"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    for needed in [
        "chat:write",
        "im:write",
        "im:history",
        "commands",
        "users:read",
        "usergroups:read",
        "usergroups:write",
    ] {
        assert!(scopes.contains(&needed), "{needed}");
    }
    // The user-group scopes are the manifest's optional ones: a token without them still starts.
    let required = amplifier::slack::scopes::required_bot_scopes();
    for optional in amplifier::slack::scopes::OPTIONAL_BOT_SCOPES {
        assert!(scopes.contains(optional), "{optional} in the manifest");
        assert!(
            !required.iter().any(|s| s == optional),
            "{optional} not required"
        );
    }
    let events: Vec<&str> = manifest["settings"]["event_subscriptions"]["bot_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    for needed in ["message.im", "app_home_opened", "user_change"] {
        assert!(events.contains(&needed), "{needed}");
    }
    assert_eq!(manifest["settings"]["socket_mode_enabled"], true);
    assert_eq!(manifest["settings"]["interactivity"]["is_enabled"], true);
    assert_eq!(manifest["features"]["app_home"]["home_tab_enabled"], true);
    for url in [
        &commands[0]["url"],
        &manifest["settings"]["event_subscriptions"]["request_url"],
        &manifest["settings"]["interactivity"]["request_url"],
    ] {
        assert!(url
            .as_str()
            .unwrap()
            .ends_with(amplifier::slack::http::PATH));
    }
}
