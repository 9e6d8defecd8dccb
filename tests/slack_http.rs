//! HTTP events against the fake Slack: v0 signatures (bad, stale or missing → 401, nothing applied), the URL
//! check, a retried event (`X-Slack-Retry-Num`) applied once, and commands and interactions as forms.

mod support;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use support::fake_slack::rig::{Mode, SlackRig, ALICE, SIGNING_SECRET};
use support::fake_slack::TEAM;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

fn monday() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap()
}

fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

fn command(rig: &SlackRig, text: &str, trigger: &str) -> String {
    let im = rig.fake.im_of(ALICE);
    form(&[
        ("token", "x"),
        ("team_id", TEAM),
        ("team_domain", "fake-team"),
        ("channel_id", &im),
        ("channel_name", "directmessage"),
        ("user_id", ALICE),
        ("user_name", "alice"),
        ("command", "/amplify"),
        ("text", text),
        ("api_app_id", "A0FAKEAPP1"),
        ("is_enterprise_install", "false"),
        ("response_url", "http://127.0.0.1:1/commands/x"),
        ("trigger_id", trigger),
    ])
}

async fn pending_rows(rig: &SlackRig) -> i64 {
    let depth = rig.store.outbox_depth().await.unwrap();
    depth.interactive + depth.bulk
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_stale_or_missing_signatures_are_refused_and_nothing_is_applied() {
    let rig = SlackRig::start(Mode::Http, monday()).await;
    let body = command(&rig, "help", &rig.fake.new_trigger());
    let now = rig.now().timestamp();
    for (why, headers) in [
        (
            "wrong secret",
            SlackRig::signed("not-the-secret", now, &body),
        ),
        ("stale", SlackRig::signed(SIGNING_SECRET, now - 301, &body)),
        (
            "from the future",
            SlackRig::signed(SIGNING_SECRET, now + 301, &body),
        ),
        ("missing", Vec::new()),
        (
            "signed for another body",
            SlackRig::signed(SIGNING_SECRET, now, "text=status"),
        ),
    ] {
        let (status, _) = rig.post_http(FORM, &body, &headers).await;
        assert_eq!(status, 401, "{why}");
    }
    assert_eq!(pending_rows(&rig).await, 0);
    // Within the window (300 s) it is accepted.
    let (status, _) = rig
        .post_http(
            FORM,
            &body,
            &SlackRig::signed(SIGNING_SECRET, now - 299, &body),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(pending_rows(&rig).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_event_is_applied_once_and_the_url_check_is_answered() {
    let rig = SlackRig::start(Mode::Http, monday()).await;
    let now = rig.now().timestamp();
    let challenge = json!({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}).to_string();
    let (status, body) = rig
        .post_http(
            JSON,
            &challenge,
            &SlackRig::signed(SIGNING_SECRET, now, &challenge),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"),
        "{body}"
    );

    let event = json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
        "event_id": "EvHTTP0001", "event_time": now,
        "event": {"type": "message", "user": ALICE, "text": "A thought for the week", "ts": "1795671261.951547",
            "channel": rig.fake.im_of(ALICE), "event_ts": "1795671261.951547", "channel_type": "im"}})
    .to_string();
    let (status, _) = rig
        .post_http(JSON, &event, &SlackRig::signed(SIGNING_SECRET, now, &event))
        .await;
    assert_eq!(status, 200);
    let after_first = pending_rows(&rig).await;
    assert!(after_first >= 1, "the reply was queued");
    for retry in 1..=3 {
        let mut headers = SlackRig::signed(SIGNING_SECRET, now, &event);
        headers.push(("X-Slack-Retry-Num", retry.to_string()));
        headers.push(("X-Slack-Retry-Reason", "http_timeout".to_string()));
        let (status, _) = rig.post_http(JSON, &event, &headers).await;
        assert_eq!(status, 200, "retry {retry}");
    }
    assert_eq!(
        pending_rows(&rig).await,
        after_first,
        "retries change nothing"
    );
    rig.deliver().await;
    let dms = rig.fake.calls("chat.postMessage");
    assert_eq!(dms.len() as i64, after_first);
    assert_eq!(rig.fake.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_interactions_arrive_as_forms() {
    let rig = SlackRig::start(Mode::Http, monday()).await;
    let now = rig.now().timestamp();
    let body = command(&rig, "draft", &rig.fake.new_trigger());
    let (status, _) = rig
        .post_http(FORM, &body, &SlackRig::signed(SIGNING_SECRET, now, &body))
        .await;
    assert_eq!(status, 200);
    rig.deliver().await;
    let opened = rig.fake.calls("views.open");
    assert_eq!(opened.len(), 1, "{:?}", rig.fake.requests());
    let view = &opened[0].args["view"];
    let submission = json!({"type": "view_submission", "team": {"id": TEAM}, "user": {"id": ALICE},
        "api_app_id": "A0FAKEAPP1", "trigger_id": rig.fake.new_trigger(),
        "view": {"id": "V0VIEW00009", "team_id": TEAM, "type": "modal", "hash": "1.fake",
            "callback_id": view["callback_id"],
            "state": {"values": {"insight": {"insight": {"type": "plain_text_input", "value": "Small teams ship."}}}}}});
    let body = form(&[("payload", &submission.to_string())]);
    let (status, _) = rig
        .post_http(FORM, &body, &SlackRig::signed(SIGNING_SECRET, now, &body))
        .await;
    assert_eq!(status, 200);
    rig.deliver().await;
    let previews = rig.fake.calls("chat.postMessage");
    assert_eq!(previews.len(), 1);
    assert!(Value::Object(previews[0].args.clone())
        .to_string()
        .contains("Small teams ship."));
    assert_eq!(rig.fake.violations(), Vec::<String>::new());
}
