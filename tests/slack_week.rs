//! The whole week of the routine on Slack: the real adapter (Socket Mode and the Web API transport) against the
//! fake Slack, the engine and a store, with a manual clock. Every request is checked by the fake against the
//! spec, Block Kit limits, mentions and rate limits.

mod support;

use chrono::{Duration as Span, TimeZone, Utc};
use serde_json::{json, Value};
use std::time::Duration;
use support::fake_slack::rig::{Mode, SlackRig, ALICE, BOB, CAROL, DAN, ERIN, SHARE_CHANNEL};
use support::fake_slack::{blockkit, TEAM};

const WITHIN: Duration = Duration::from_secs(10);

struct Week {
    rig: SlackRig,
    events: u32,
}

impl Week {
    async fn envelope(&self, kind: &str, payload: Value) {
        let socket = self.rig.socket();
        let id = socket.push(kind, payload);
        socket
            .wait_for(&format!("the ack of {id}"), WITHIN, |s| s.acked(&id))
            .await;
        // As `amplifier run` does: the engine's clock work after each event, then delivery.
        self.rig.advance(Span::zero()).await;
    }

    /// A message in the person's DM with the bot, as typed (Slack escapes it).
    async fn say(&mut self, user: &str, text: &str) {
        self.say_raw(user, &escape(text)).await;
    }

    /// A message whose text is already in Slack's markup (e.g. a pasted link in `<…>`).
    async fn say_raw(&mut self, user: &str, text: &str) {
        self.events += 1;
        let payload = json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
            "event_id": format!("EvWEEK{:04}", self.events), "event_time": self.rig.now().timestamp(),
            "event": {"type": "message", "user": user, "text": text, "ts": format!("{}.{:06}", self.rig.now().timestamp(), self.events),
                "channel": self.rig.fake.im_of(user), "channel_type": "im", "event_ts": "1"}});
        self.envelope("events_api", payload).await;
    }

    /// Presses the newest button with this label in `channel` (a DM or the share channel), with a live
    /// `response_url`.
    async fn press_in(&mut self, user: &str, channel: &str, label: &str) {
        let response_url = self.rig.fake.new_response_url();
        self.press_answered_at(user, channel, label, &response_url)
            .await;
    }

    /// Presses a button whose payload carries `response_url`.
    async fn press_answered_at(
        &mut self,
        user: &str,
        channel: &str,
        label: &str,
        response_url: &str,
    ) {
        let action_id = self.rig.fake.button(channel, label).unwrap_or_else(|| {
            panic!(
                "no button {label:?} in {channel}: {:#?}",
                self.rig.fake.messages_in(channel)
            )
        });
        let payload = json!({"type": "block_actions", "team": {"id": TEAM, "domain": "fake-team"},
            "user": {"id": user, "username": user, "team_id": TEAM}, "api_app_id": "A0FAKEAPP1", "token": "x",
            "container": {"type": "message", "channel_id": channel}, "trigger_id": self.rig.fake.new_trigger(),
            "channel": {"id": channel}, "response_url": response_url,
            "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "action_ts": "1"}]});
        self.envelope("interactive", payload).await;
    }

    async fn press(&mut self, user: &str, label: &str) {
        let im = self.rig.fake.im_of(user);
        self.press_in(user, &im, label).await;
    }

    /// Fills the newest modal opened for anyone with `text` in its first input and submits it.
    async fn submit(&mut self, user: &str, text: &str) {
        let opened = self.rig.fake.calls("views.open");
        let view = &opened.last().expect("a modal was opened").args["view"];
        let block = view["blocks"][0]["block_id"].as_str().unwrap();
        let input = view["blocks"][0]["element"]["action_id"].as_str().unwrap();
        let payload = json!({"type": "view_submission", "team": {"id": TEAM}, "user": {"id": user},
            "api_app_id": "A0FAKEAPP1", "trigger_id": self.rig.fake.new_trigger(),
            "view": {"id": format!("V0SUB{}", opened.len()), "team_id": TEAM, "type": "modal", "hash": "1.h",
                "callback_id": view["callback_id"],
                "state": {"values": {block: {input: {"type": "plain_text_input", "value": text}}}}}});
        self.envelope("interactive", payload).await;
    }

    /// Everything in a user's DM, newest last, as one string per message (text and blocks).
    fn dms(&self, user: &str) -> Vec<String> {
        self.rig
            .fake
            .messages_in(&self.rig.fake.im_of(user))
            .into_iter()
            .map(|(_, text, blocks)| format!("{text}\n{blocks}"))
            .collect()
    }

    fn channel(&self) -> Vec<String> {
        self.rig
            .fake
            .messages_in(SHARE_CHANNEL)
            .into_iter()
            .map(|(_, text, blocks)| format!("{text}\n{blocks}"))
            .collect()
    }

    /// Moves time an hour at a time, doing the clock's work at each step as `amplifier run` would.
    async fn advance(&self, by: Span) {
        let target = self.rig.now() + by;
        while self.rig.now() < target {
            let step = (target - self.rig.now()).min(Span::hours(1));
            self.rig.advance(step).await;
        }
    }
}

/// How Slack sends typed text in events: `&`, `<`, `>` escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn count(messages: &[String], needle: &str) -> usize {
    messages.iter().filter(|m| m.contains(needle)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_the_routine_on_slack() {
    // Monday 2026-11-30, 07:55 UTC (08:55 in Berlin).
    let rig = SlackRig::start(
        Mode::SocketMode,
        Utc.with_ymd_and_hms(2026, 11, 30, 7, 55, 0).unwrap(),
    )
    .await;
    rig.socket()
        .wait_for("a connection", WITHIN, |s| s.live() == 1)
        .await;
    let mut w = Week { rig, events: 0 };

    // Prompt: at 09:00 in Berlin each leader gets one question with buttons, in their DM.
    w.advance(Span::minutes(10)).await;
    for leader in [ALICE, BOB] {
        let dms = w.dms(leader);
        assert_eq!(dms.len(), 1, "{dms:?}");
        assert!(
            dms[0].contains("Your question this week") && dms[0].contains("Skip this week"),
            "{dms:?}"
        );
    }

    // Draft: two messages join up into v1; hostile text stays text.
    w.say(
        ALICE,
        "A customer said our onboarding felt like homework. <!channel> & <@U0BOB00001>",
    )
    .await;
    w.say(ALICE, "We cut it to four steps.").await;
    let dms = w.dms(ALICE);
    assert!(
        dms.last().unwrap().contains("Here is your draft (v1)"),
        "{dms:?}"
    );
    assert!(
        dms.last()
            .unwrap()
            .contains("&lt;!channel&gt; &amp; &lt;@U0BOB00001&gt;"),
        "{dms:?}"
    );

    // Review: the approver gets it; asks for changes with a comment (a modal).
    w.press(ALICE, "Submit for review").await;
    assert_eq!(
        count(&w.dms(CAROL), "Request changes"),
        1,
        "{:?}",
        w.dms(CAROL)
    );
    w.press(CAROL, "Request changes").await;
    w.submit(CAROL, "Name the four steps.").await;
    assert!(
        w.dms(ALICE)
            .iter()
            .any(|d| d.contains("Name the four steps.")),
        "{:?}",
        w.dms(ALICE)
    );

    // Resubmit: the editor (a modal) makes v2 and the reviewer sees what changed.
    w.press(ALICE, "Edit").await;
    w.submit(ALICE, "A customer said our onboarding felt like homework. We cut it to four steps: sign in, import, invite, report.").await;
    w.press(ALICE, "Submit for review").await;
    assert!(
        w.dms(CAROL)
            .iter()
            .any(|d| d.contains("v2") && d.contains("What changed since v1")),
        "{:#?}\n{:#?}",
        w.dms(CAROL),
        w.dms(ALICE)
            .iter()
            .map(|d| d.split('\n').next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    );

    // Approve: the leader is asked to post first and paste the link.
    w.press(CAROL, "Approve").await;
    assert!(
        w.dms(ALICE)
            .iter()
            .any(|d| d.contains("Paste the link of my post")),
        "{:?}",
        w.dms(ALICE)
    );
    // Slack wraps pasted links in angle brackets: `<https://…>`.
    w.say_raw(
        ALICE,
        "<https://www.linkedin.com/posts/alice_onboarding-activity-7265000000000000000-AbCd>",
    )
    .await;

    // Publish: the post in the share channel with its share kit; every teammate but the author is nudged.
    let channel = w.channel();
    assert_eq!(channel.len(), 1, "{channel:?}");
    assert!(channel[0].contains("Shared on LinkedIn"), "{channel:?}");
    for teammate in [BOB, CAROL, DAN, ERIN] {
        assert_eq!(
            count(&w.dms(teammate), "Could you amplify it"),
            1,
            "{teammate}: {:?}",
            w.dms(teammate)
        );
    }
    assert_eq!(count(&w.dms(ALICE), "Could you amplify it"), 0);

    // A share click updates the live count on the channel post (chat.update) and is answered only to the
    // presser through the press's response_url (outside the Web API's tiers), not with chat.postEphemeral.
    w.press(DAN, "Shared on LinkedIn").await;
    assert_eq!(w.rig.fake.calls("chat.update").len(), 1);
    assert!(
        w.channel()[0].contains("1 teammate shared it"),
        "{:?}",
        w.channel()
    );
    let answer = w.rig.fake.calls("response_url").pop().expect("an answer");
    assert_eq!(answer.status, 200);
    assert_eq!(
        (
            &answer.args["response_type"],
            &answer.args["replace_original"]
        ),
        (&json!("ephemeral"), &json!(false))
    );
    assert!(
        answer.args["text"]
            .as_str()
            .unwrap_or("")
            .contains("Thanks for sharing on LinkedIn"),
        "{answer:?}"
    );
    assert!(
        w.rig.fake.calls("chat.postEphemeral").is_empty(),
        "every answer so far went through its press's response_url"
    );
    // A response_url Slack refuses (used up, expired) leaves the answer to chat.postEphemeral.
    let refused = format!(
        "{}/response/T0FAKE-0-unknown",
        w.rig.fake.api_url.trim_end_matches("/api")
    );
    let im = w.rig.fake.im_of(DAN);
    w.press_answered_at(DAN, &im, "Shared on LinkedIn", &refused)
        .await;
    let answers: Vec<_> = w
        .rig
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "response_url")
        .collect();
    assert_eq!(answers.last().map(|a| a.status), Some(404), "{answers:#?}");
    let ephemeral = w.rig.fake.calls("chat.postEphemeral");
    assert_eq!(ephemeral.len(), 1, "{ephemeral:?}");
    assert!(
        ephemeral[0].args["text"]
            .as_str()
            .unwrap_or("")
            .contains("Already counted"),
        "{ephemeral:?}"
    );

    // Reminders: one to the leader who did not answer, one last nudge to those who did nothing.
    w.advance(Span::days(1)).await;
    assert_eq!(count(&w.dms(BOB), "gentle reminder"), 1, "{:?}", w.dms(BOB));
    assert_eq!(count(&w.dms(ERIN), "A last nudge"), 1, "{:?}", w.dms(ERIN));
    assert_eq!(count(&w.dms(DAN), "A last nudge"), 0);
    w.advance(Span::days(1)).await;
    assert_eq!(
        count(&w.dms(BOB), "gentle reminder"),
        1,
        "one reminder each"
    );

    // Report: the digest on Friday in the channel and to each leader.
    w.advance(Span::days(3)).await;
    assert_eq!(
        count(&w.channel(), "Leadership's week: 1 post, 1 share"),
        1,
        "{:?}",
        w.channel()
    );
    assert_eq!(count(&w.dms(ALICE), "Leadership's week"), 1);

    // Nothing Slack would refuse, no broadcast, and the only mentions are the ones the bot meant.
    assert_eq!(w.rig.fake.violations(), Vec::<String>::new());
    for r in w.rig.fake.requests() {
        let payload = blockkit::mrkdwn(&Value::Object(r.args.clone()));
        assert!(blockkit::broadcasts(&payload).is_empty(), "{payload}");
        for mention in blockkit::user_mentions(&payload) {
            assert!(
                [ALICE, BOB, CAROL, DAN, ERIN].contains(&mention.as_str()),
                "{mention} in {payload}"
            );
        }
    }
    let refused: Vec<_> = w
        .rig
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.status != 200)
        .map(|r| (r.method, r.status))
        .collect();
    assert_eq!(
        refused,
        [("response_url".to_string(), 404)],
        "no 429: the pacing kept within limits (the one refusal is the response_url refused on purpose)"
    );
    w.rig.shutdown().await;
}
