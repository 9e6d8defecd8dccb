//! The Discord transport against the fake Discord: DMs, nonces, edits, interaction answers, rate limits,
//! refused DMs and failures, through the real delivery workers and a store (SQLite and PostgreSQL).

mod support;

use amplifier::chat::{Destination, Input, Message, Modal, Outbound};
use amplifier::clock::{Clock, ManualClock};
use amplifier::delivery::{Delivery, DeliveryConfig, Transport, AUDIT_FAILED};
use amplifier::discord::interactions::{Interaction, Interactions};
use amplifier::discord::rest::Rest;
use amplifier::discord::DiscordTransport;
use amplifier::domain::Platform;
use amplifier::store::{Lane, NewOutboxMessage, OutboxStatus, Store};
use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use support::fake_discord::{FakeDiscord, APPLICATION_ID};
use support::Case;

const CASES: &[(&str, Case)] = &[
    ("a_dm_opens_a_channel_and_carries_nonce_and_no_pings", |s| {
        Box::pin(a_dm_opens_a_channel_and_carries_nonce_and_no_pings(s))
    }),
    ("an_update_edits_the_message_its_original_row_sent", |s| {
        Box::pin(an_update_edits_the_message_its_original_row_sent(s))
    }),
    ("a_resend_after_a_crash_is_dropped_by_the_nonce", |s| {
        Box::pin(a_resend_after_a_crash_is_dropped_by_the_nonce(s))
    }),
    ("a_429_storm_delivers_everything_and_nothing_early", |s| {
        Box::pin(a_429_storm_delivers_everything_and_nothing_early(s))
    }),
    ("a_member_who_refuses_dms_is_recorded_not_retried", |s| {
        Box::pin(a_member_who_refuses_dms_is_recorded_not_retried(s))
    }),
    ("server_errors_are_retried_until_delivered", |s| {
        Box::pin(server_errors_are_retried_until_delivered(s))
    }),
    ("commands_register_idempotently_and_match_the_spec", |s| {
        Box::pin(commands_register_idempotently_and_match_the_spec(s))
    }),
    ("forms_and_private_replies_answer_their_interaction", |s| {
        Box::pin(forms_and_private_replies_answer_their_interaction(s))
    }),
];

fn main() {
    let extra = vec![libtest_mimic::Trial::test(
        "the_fake_refuses_bodies_that_break_discords_rules",
        || the_fake_refuses_bodies_that_break_discords_rules().map_err(|e| format!("{e:#}").into()),
    )];
    support::run_suite("discord", CASES, extra);
}

/// The fake's checks are what make the other cases meaningful: a captured real body passes; each broken rule
/// (the spec's and the docs') is refused with a 400.
fn the_fake_refuses_bodies_that_break_discords_rules() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let clock = Arc::new(ManualClock::new(start()));
        let fake = FakeDiscord::start(clock).await;
        fake.set_route_limit(100, chrono::Duration::seconds(5));
        let rest = Rest::new(&fake.base_url, "t").map_err(anyhow::Error::msg)?;
        let example = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/platform-specs/examples/discord/rest_post_channel_message_request.json"
        ))?;
        let good: Value = serde_json::from_str(&example)?;
        let path = format!("/channels/{SHARE}/messages");
        let answer = rest.call(reqwest::Method::POST, &path, Some(&good)).await?;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let broken: Vec<(&str, Value)> = vec![
            ("content over 2,000", {
                let mut b = good.clone();
                b["content"] = json!("x".repeat(2001));
                b
            }),
            ("no allowed_mentions", {
                let mut b = good.clone();
                b.as_object_mut().unwrap().remove("allowed_mentions");
                b
            }),
            ("parse everyone", {
                let mut b = good.clone();
                b["allowed_mentions"]["parse"] = json!(["everyone"]);
                b["allowed_mentions"]["users"] = json!([]);
                b
            }),
            ("a role allowed", {
                let mut b = good.clone();
                b["allowed_mentions"]["roles"] = json!(["123"]);
                b
            }),
            ("six rows", {
                let mut b = good.clone();
                let row = b["components"][0].clone();
                b["components"] = json!([
                    row.clone(),
                    row.clone(),
                    row.clone(),
                    row.clone(),
                    row.clone(),
                    row
                ]);
                b
            }),
            ("embeds over 6,000", {
                let mut b = good.clone();
                b["embeds"] =
                    json!([{"description": "d".repeat(4000)}, {"description": "d".repeat(2500)}]);
                b
            }),
            ("no nonce", {
                let mut b = good.clone();
                b.as_object_mut().unwrap().remove("nonce");
                b
            }),
            // The spec's own rules.
            ("custom_id over 100", {
                let mut b = good.clone();
                b["components"][0]["components"][0]["custom_id"] = json!("c".repeat(101));
                b
            }),
            ("nonce over 25", {
                let mut b = good.clone();
                b["nonce"] = json!("n".repeat(26));
                b
            }),
            ("button label over 80", {
                let mut b = good.clone();
                b["components"][0]["components"][0]["label"] = json!("l".repeat(81));
                b
            }),
            ("content not a string", {
                let mut b = good.clone();
                b["content"] = json!(42);
                b
            }),
        ];
        for (why, body) in broken {
            let answer = rest.call(reqwest::Method::POST, &path, Some(&body)).await?;
            assert_eq!(answer.status, 400, "{why}: accepted");
        }
        assert_eq!(fake.violations().len(), 11);
        Ok(())
    })
}

const WS: &str = "100000000000000009";
const ALICE: &str = "100000000000000002";
const SHARE: &str = "110000000000000001";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

struct World {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    fake: FakeDiscord,
    transport: Arc<DiscordTransport>,
    interactions: Arc<Interactions>,
    delivery: Delivery,
}

async fn world(store: Arc<dyn Store>) -> anyhow::Result<World> {
    let clock = Arc::new(ManualClock::new(start()));
    let fake = FakeDiscord::start(clock.clone()).await;
    let interactions = Arc::new(Interactions::default());
    let rest = Rest::new(&fake.base_url, "test-token").map_err(anyhow::Error::msg)?;
    let transport = Arc::new(DiscordTransport::new(
        rest,
        APPLICATION_ID,
        store.clone(),
        clock.clone(),
        interactions.clone(),
    ));
    let config = DeliveryConfig {
        lease: Duration::from_secs(60),
        batch: 10,
        max_attempts: 4,
        base_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(60),
        max_idle: Duration::from_secs(3600),
        ..DeliveryConfig::new("test")
    };
    let delivery = Delivery::new(store.clone(), vec![transport.clone()], config)?;
    Ok(World {
        store,
        clock,
        fake,
        transport,
        interactions,
        delivery,
    })
}

impl World {
    async fn enqueue(&self, key: &str, op: &Outbound) -> anyhow::Result<()> {
        self.store
            .enqueue(
                &NewOutboxMessage {
                    idempotency_key: key.to_string(),
                    platform: Platform::Discord,
                    workspace_id: WS.to_string(),
                    lane: Lane::Bulk,
                    payload_json: serde_json::to_string(op)?,
                    not_before: self.clock.now(),
                },
                self.clock.now(),
            )
            .await?;
        Ok(())
    }

    /// Runs delivery passes, moving the clock to each next due row, until nothing is pending (or `limit` passes).
    async fn drain(&self, limit: usize) -> anyhow::Result<()> {
        for _ in 0..limit {
            let report = self.delivery.run_once(&*self.clock).await?;
            match report.next_due {
                Some(due) if due > self.clock.now() => self.clock.set(due),
                Some(_) => {}
                None => {
                    if self.store.outbox_depth().await?.bulk == 0
                        && self.store.outbox_depth().await?.interactive == 0
                    {
                        return Ok(());
                    }
                    self.clock.advance(chrono::Duration::seconds(1));
                }
            }
        }
        anyhow::bail!("outbox not drained after {limit} passes")
    }
}

fn dm(to: &str, text: &str) -> Outbound {
    Outbound::Send {
        workspace_id: WS.into(),
        to: Destination::Person(to.into()),
        message: Message::new(text).say(text),
    }
}

fn post(channel: &str, text: &str) -> Outbound {
    Outbound::Send {
        workspace_id: WS.into(),
        to: Destination::Channel(channel.into()),
        message: Message::new(text).quote(text),
    }
}

async fn a_dm_opens_a_channel_and_carries_nonce_and_no_pings(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = world(store).await?;
    let hostile = "My insight @everyone @here <@&123> <@456>";
    w.enqueue("ask:1:prompt", &dm(ALICE, hostile)).await?;
    w.drain(10).await?;
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    let channel = w
        .fake
        .dm_channel_of(ALICE)
        .context("a DM channel was opened")?;
    let messages = w.fake.messages_in(&channel);
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["allowed_mentions"]["parse"], json!([]));
    assert_eq!(m["allowed_mentions"]["roles"], json!([]));
    assert_eq!(m["allowed_mentions"]["users"], json!([]));
    assert_eq!(m["enforce_nonce"], json!(true));
    assert_eq!(
        m["nonce"],
        json!(amplifier::discord::render::nonce("ask:1:prompt"))
    );
    assert!(m["content"].as_str().unwrap().contains("\\@everyone"));
    let row = w
        .store
        .outbox_by_key("ask:1:prompt")
        .await?
        .context("row")?;
    assert_eq!(row.status, OutboxStatus::Sent);
    assert_eq!(
        row.platform_ref,
        Some(format!("{channel}/{}", m["id"].as_str().unwrap()))
    );
    // The second DM reuses the channel: one open in all.
    w.enqueue("ask:2:prompt", &dm(ALICE, "again")).await?;
    w.drain(10).await?;
    let opens = w
        .fake
        .requests()
        .iter()
        .filter(|r| r.path == "/users/@me/channels")
        .count();
    assert_eq!(opens, 1);
    assert_eq!(w.fake.messages_in(&channel).len(), 2);
    Ok(())
}

async fn an_update_edits_the_message_its_original_row_sent(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = world(store).await?;
    w.enqueue("post:1:channel", &post(SHARE, "Published insight"))
        .await?;
    w.drain(10).await?;
    let update = Outbound::Update {
        workspace_id: WS.into(),
        original_key: "post:1:channel".into(),
        message: Message::new("x").say("Published insight (3 shares)"),
    };
    w.enqueue("post:1:count:3", &update).await?;
    w.drain(10).await?;
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    let messages = w.fake.messages_in(SHARE);
    assert_eq!(messages.len(), 1, "edited, not posted again");
    assert_eq!(
        messages[0]["content"],
        json!("Published insight (3 shares)")
    );
    assert!(w
        .fake
        .requests()
        .iter()
        .any(|r| r.method == "PATCH" && r.status == 200));
    Ok(())
}

async fn a_resend_after_a_crash_is_dropped_by_the_nonce(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = world(store).await?;
    w.enqueue("digest:1", &post(SHARE, "Weekly digest")).await?;
    let row = w.store.outbox_by_key("digest:1").await?.context("row")?;
    // The process sent it, then died before recording it: the row is sent again.
    let first = w.transport.send(&row).await?;
    let second = w.transport.send(&row).await?;
    assert_eq!(first, second, "Discord returned the first message");
    assert_eq!(w.fake.messages_in(SHARE).len(), 1);
    Ok(())
}

async fn a_429_storm_delivers_everything_and_nothing_early(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = world(store).await?;
    w.fake.set_route_limit(5, chrono::Duration::seconds(5));
    for i in 0..20 {
        w.enqueue(&format!("share:{i}"), &post(SHARE, &format!("post {i}")))
            .await?;
    }
    for i in 0..60 {
        let channel = format!("1200000000000001{i:02}");
        w.enqueue(&format!("other:{i}"), &post(&channel, "hello"))
            .await?;
    }
    w.drain(2000).await?;
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    assert_eq!(
        w.fake.early(),
        Vec::<String>::new(),
        "a request came while Discord said to wait"
    );
    assert_eq!(w.fake.messages_in(SHARE).len(), 20);
    let requests = w.fake.requests();
    let limited = requests.iter().filter(|r| r.status == 429).count();
    assert!(
        limited <= 2,
        "{limited} 429s: the pacing should learn from the headers"
    );
    // Never more than 5 accepted messages in the share channel in any 5 seconds, and never 50 in a second.
    let accepted: Vec<_> = requests
        .iter()
        .filter(|r| r.status == 200 && r.path == format!("/channels/{SHARE}/messages"))
        .map(|r| r.at)
        .collect();
    for (i, at) in accepted.iter().enumerate().skip(5) {
        assert!(
            *at - accepted[i - 5] >= chrono::Duration::seconds(5),
            "{accepted:?}"
        );
    }
    let all: Vec<_> = requests.iter().map(|r| r.at).collect();
    for (i, at) in all.iter().enumerate().skip(50) {
        assert!(*at - all[i - 50] >= chrono::Duration::seconds(1));
    }
    let sent = w.store.outbox_by_key("share:19").await?.context("row")?;
    assert_eq!(sent.status, OutboxStatus::Sent);
    Ok(())
}

async fn a_member_who_refuses_dms_is_recorded_not_retried(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = world(store).await?;
    let alice = w
        .store
        .upsert_person(Platform::Discord, WS, ALICE, w.clock.now())
        .await?
        .id();
    w.fake.refuse_dms(ALICE);
    w.enqueue("nudge:1", &dm(ALICE, "Share it?")).await?;
    w.drain(10).await?;
    w.clock.advance(chrono::Duration::hours(2));
    w.drain(10).await?;
    let row = w.store.outbox_by_key("nudge:1").await?.context("row")?;
    assert_eq!(row.status, OutboxStatus::Failed);
    assert!(
        row.last_error.as_deref().unwrap_or("").contains("50007"),
        "{row:?}"
    );
    let channel = w.fake.dm_channel_of(ALICE).context("dm")?;
    let tries = w
        .fake
        .requests()
        .iter()
        .filter(|r| r.path == format!("/channels/{channel}/messages"))
        .count();
    assert_eq!(tries, 1, "a 50007 is never retried");
    let audited = w
        .store
        .audit_log(None, 100)
        .await?
        .into_iter()
        .filter(|e| e.action == AUDIT_FAILED)
        .count();
    assert_eq!(audited, 1, "audited");
    assert!(
        w.store.person(alice).await?.context("alice")?.dms_closed,
        "recorded on the person, so the routine stops DMing them and the digest names them"
    );
    Ok(())
}

async fn server_errors_are_retried_until_delivered(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let w = world(store).await?;
    w.fake.fail_next(
        "/messages",
        502,
        json!({"message": "Bad Gateway", "code": 0}),
        2,
    );
    w.enqueue("post:9:channel", &post(SHARE, "Insight")).await?;
    w.drain(20).await?;
    assert_eq!(w.fake.messages_in(SHARE).len(), 1);
    let row = w
        .store
        .outbox_by_key("post:9:channel")
        .await?
        .context("row")?;
    assert_eq!(row.status, OutboxStatus::Sent);
    Ok(())
}

async fn forms_and_private_replies_answer_their_interaction(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = world(store).await?;
    let key = "1300000000000000777";
    w.interactions.insert(
        key,
        Interaction {
            id: key.into(),
            token: "tok".into(),
            component: true,
        },
    );
    let form = Outbound::OpenModal {
        workspace_id: WS.into(),
        person: ALICE.into(),
        trigger: key.into(),
        modal: Modal {
            title: "Edit your draft".into(),
            submit_label: "Save".into(),
            action: "ed:4".into(),
            inputs: vec![Input {
                id: "text".into(),
                label: "Your insight".into(),
                initial: Some("draft text".into()),
                multiline: true,
                max_len: 3000,
                optional: false,
            }],
        },
    };
    w.enqueue(&format!("ev:discord:{key}:1"), &form).await?;
    let reply = Outbound::Private {
        workspace_id: WS.into(),
        person: ALICE.into(),
        channel: Some(SHARE.into()),
        message: Message::new("Saved").say("Saved"),
    };
    w.enqueue(&format!("ev:discord:{key}:2"), &reply).await?;
    w.drain(10).await?;
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    let answers = w.fake.interaction_answers();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0].path, format!("/interactions/{key}/tok/callback"));
    assert_eq!(answers[0].body["type"], json!(9));
    assert_eq!(answers[0].body["data"]["custom_id"], json!("ed:4"));
    // The form was the interaction's answer: the reply is a follow-up only Alice sees.
    assert_eq!(answers[1].path, format!("/webhooks/{APPLICATION_ID}/tok"));
    assert_eq!(answers[1].body["flags"], json!(64));
    // A reply with no interaction behind it goes to the DM.
    w.enqueue("ev:discord:1300000000000000999:1", &reply)
        .await?;
    w.drain(10).await?;
    let channel = w.fake.dm_channel_of(ALICE).context("dm")?;
    assert_eq!(w.fake.messages_in(&channel).len(), 1);
    Ok(())
}

async fn commands_register_idempotently_and_match_the_spec(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = world(store).await?;
    // Room for the refused registrations at the end under one route's limit.
    w.fake.set_route_limit(100, chrono::Duration::seconds(5));
    let rest = Rest::new(&w.fake.base_url, "t").map_err(anyhow::Error::msg)?;
    use amplifier::discord::commands::register;
    register(&rest, APPLICATION_ID, &[WS])
        .await
        .map_err(anyhow::Error::msg)?;
    register(&rest, APPLICATION_ID, &[WS])
        .await
        .map_err(anyhow::Error::msg)?;
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    let puts: Vec<_> = w
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    // Each start: the global definitions, then the server's own list emptied (earlier versions registered there).
    let global = format!("/applications/{APPLICATION_ID}/commands");
    let guild = format!("/applications/{APPLICATION_ID}/guilds/{WS}/commands");
    let paths: Vec<&str> = puts.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, [&global, &guild, &global, &guild]);
    assert_eq!(
        puts[0].body, puts[2].body,
        "the same definitions every time"
    );
    assert_eq!(puts[1].body, json!([]));
    // `/amplify` works in servers and in the bot's DM (where leaders answer); the message command in servers.
    let amplify = &puts[0].body[0];
    assert_eq!(amplify["name"], "amplify");
    assert_eq!(amplify["contexts"], json!([0, 1]));
    assert_eq!(amplify["integration_types"], json!([0]));
    assert!(amplify.get("dm_permission").is_none(), "deprecated");
    assert!(
        amplify.get("default_member_permissions").is_none(),
        "every member sees /amplify"
    );
    // The admins' words: a command of its own that only members with Manage Server see, in servers only.
    let team = &puts[0].body[1];
    assert_eq!(team["name"], "amplify-team");
    assert_eq!(team["default_member_permissions"], "32");
    assert_eq!(team["contexts"], json!([0]));
    let subcommands: Vec<&Value> = amplify["options"]
        .as_array()
        .context("options")?
        .iter()
        .map(|o| &o["name"])
        .collect();
    assert!(
        !subcommands.contains(&&json!("team")),
        "members would see /amplify team: {subcommands:?}"
    );
    assert_eq!(puts[0].body[2]["name"], "Draft an insight");
    assert_eq!(puts[0].body[2]["contexts"], json!([0]));
    // Discord holds what was put: doctor compares it with commands.json.
    let held = rest.call(reqwest::Method::GET, &global, None).await?.body;
    assert_eq!(held[1]["default_member_permissions"], "32");
    // The docs' form of the permission is a string of an integer; the fake refuses any other, as Discord does.
    for wrong in [json!(32), json!("Manage Server"), json!("-32"), json!("")] {
        let mut body = puts[0].body.clone();
        body[1]["default_member_permissions"] = wrong.clone();
        let answer = rest
            .call(reqwest::Method::PUT, &global, Some(&body))
            .await?;
        assert_eq!(answer.status, 400, "{wrong} accepted");
    }
    assert_eq!(w.fake.violations().len(), 4);
    Ok(())
}
