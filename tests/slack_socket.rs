//! Socket Mode against the fake Slack: envelopes become engine events and are acknowledged, a redelivery is
//! applied once, `disconnect` and dropped sockets reconnect, unacknowledged envelopes are redelivered, and the
//! modal trigger of an interaction reaches views.open; `/amplify join|leave` keep the opt-in user group in step.

mod support;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use std::time::Duration;
use support::fake_slack::rig::{Mode, SlackRig, ALICE, CAROL};
use support::fake_slack::TEAM;

const WITHIN: Duration = Duration::from_secs(10);

fn monday() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap()
}

fn command(rig: &SlackRig, user: &str, text: &str, trigger: &str) -> Value {
    json!({"token": "x", "team_id": TEAM, "team_domain": "fake-team", "channel_id": rig.fake.im_of(user),
        "channel_name": "directmessage", "user_id": user, "user_name": "someone", "command": "/amplify",
        "text": text, "api_app_id": "A0FAKEAPP1", "is_enterprise_install": "false",
        "response_url": "http://127.0.0.1:1/commands/x", "trigger_id": trigger})
}

fn dm(rig: &SlackRig, user: &str, text: &str, event_id: &str) -> Value {
    json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
        "event_id": event_id, "event_time": 1795671261,
        "event": {"type": "message", "user": user, "text": text, "ts": "1795671261.951547",
            "channel": rig.fake.im_of(user), "event_ts": "1795671261.951547", "channel_type": "im"}})
}

async fn acked(rig: &SlackRig, id: &str) {
    rig.socket()
        .wait_for(&format!("the ack of {id}"), WITHIN, |s| s.acked(id))
        .await;
}

async fn pending_rows(rig: &SlackRig) -> i64 {
    let depth = rig.store.outbox_depth().await.unwrap();
    depth.interactive + depth.bulk
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_is_applied_acknowledged_and_answered_privately_once() {
    let rig = SlackRig::start(Mode::SocketMode, monday()).await;
    rig.socket()
        .wait_for("the first connection", WITHIN, |s| s.live() == 1)
        .await;
    let payload = command(&rig, ALICE, "help", &rig.fake.new_trigger());
    let id = rig.socket().push("slash_commands", payload.clone());
    acked(&rig, &id).await;
    assert_eq!(pending_rows(&rig).await, 1, "one answer queued");
    rig.deliver().await;
    let answers = rig.fake.calls("chat.postEphemeral");
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].args["user"], ALICE);
    assert!(
        answers[0].args["text"]
            .as_str()
            .unwrap()
            .contains("amplify"),
        "{:?}",
        answers[0].args
    );

    // Slack sends the same envelope again: acknowledged, nothing applied twice.
    rig.socket().resend(&id, "slash_commands", payload);
    rig.socket()
        .wait_for("the second ack", WITHIN, |s| {
            s.acks().iter().filter(|a| **a == id).count() == 2
        })
        .await;
    assert_eq!(pending_rows(&rig).await, 0);
    rig.deliver().await;
    assert_eq!(rig.fake.calls("chat.postEphemeral").len(), 1);
    assert_eq!(rig.fake.violations(), Vec::<String>::new());
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_opens_a_modal_with_its_trigger_and_the_submission_becomes_a_draft() {
    let rig = SlackRig::start(Mode::SocketMode, monday()).await;
    rig.socket()
        .wait_for("a connection", WITHIN, |s| s.live() == 1)
        .await;
    let id = rig.socket().push(
        "slash_commands",
        command(&rig, ALICE, "draft", &rig.fake.new_trigger()),
    );
    acked(&rig, &id).await;
    rig.deliver().await;
    let opened = rig.fake.calls("views.open");
    assert_eq!(opened.len(), 1, "{:?}", rig.fake.requests());
    let view = &opened[0].args["view"];
    let block = view["blocks"][0]["block_id"].as_str().unwrap().to_string();
    let input = view["blocks"][0]["element"]["action_id"]
        .as_str()
        .unwrap()
        .to_string();
    let text = "Customers forgive missing features, never slow answers. <!channel> & friends";
    let submission = json!({"type": "view_submission", "team": {"id": TEAM, "domain": "fake-team"},
        "user": {"id": ALICE, "username": "alice", "name": "alice", "team_id": TEAM},
        "api_app_id": "A0FAKEAPP1", "token": "x", "trigger_id": rig.fake.new_trigger(),
        "view": {"id": "V0VIEW00001", "team_id": TEAM, "type": "modal", "hash": "1.fake",
            "callback_id": view["callback_id"], "blocks": view["blocks"],
            "state": {"values": {block: {input: {"type": "plain_text_input", "value": text}}}}}});
    let id = rig.socket().push("interactive", submission);
    acked(&rig, &id).await;
    rig.deliver().await;
    let previews = rig.fake.calls("chat.postMessage");
    assert_eq!(previews.len(), 1, "{:?}", rig.fake.requests());
    assert_eq!(previews[0].args["channel"], rig.fake.im_of(ALICE).as_str());
    let payload = Value::Object(previews[0].args.clone()).to_string();
    assert!(
        payload.contains("never slow answers")
            && payload.contains("&lt;!channel&gt; &amp; friends"),
        "{payload}"
    );
    assert_eq!(rig.fake.violations(), Vec::<String>::new());
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnects_and_dropped_sockets_reconnect_and_unacked_envelopes_are_redelivered() {
    let rig = SlackRig::start(Mode::SocketMode, monday()).await;
    let socket = rig.socket().clone();
    socket
        .wait_for("a connection", WITHIN, |s| s.live() == 1)
        .await;

    socket.disconnect("refresh_requested");
    socket
        .wait_for("a new connection after disconnect", WITHIN, |s| {
            s.accepted() == 2 && s.live() == 1
        })
        .await;
    let first = socket.push(
        "events_api",
        dm(&rig, CAROL, "hello after refresh", "Ev0001"),
    );
    acked(&rig, &first).await;

    socket.drop_socket();
    socket
        .wait_for("a new connection after a dropped socket", WITHIN, |s| {
            s.accepted() == 3 && s.live() == 1
        })
        .await;
    let second = socket.push(
        "slash_commands",
        command(&rig, CAROL, "status", &rig.fake.new_trigger()),
    );
    acked(&rig, &second).await;

    // apps.connections.open was asked for each new socket, with the app token.
    assert_eq!(rig.fake.calls("apps.connections.open").len(), 3);
    // Everything acknowledged: nothing left to redeliver.
    assert_eq!(socket.redeliver_unacked(), 0);

    // An envelope lost on the wire comes again with retry_attempt 1: applied and acknowledged, once.
    let lost = socket.push_lost(
        "slash_commands",
        command(&rig, CAROL, "help", &rig.fake.new_trigger()),
    );
    assert_eq!(socket.redeliver_unacked(), 1);
    acked(&rig, &lost).await;
    rig.deliver().await;
    assert_eq!(
        rig.fake.calls("chat.postEphemeral").len(),
        2,
        "status and help answered: {:?}",
        rig.fake.requests()
    );
    assert_eq!(socket.redeliver_unacked(), 0);
    assert_eq!(rig.fake.violations(), Vec::<String>::new());
    rig.shutdown().await;
}

/// `/readyz` follows this: up after `hello`, down while Slack cannot be reached, up again after reconnecting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_state_follows_the_socket_down_and_up() {
    use support::fake_slack::Failure;
    let rig = SlackRig::start(Mode::SocketMode, monday()).await;
    let mut connected = rig.connection.connected.clone();
    let up = |c: &bool| *c;
    tokio::time::timeout(WITHIN, connected.wait_for(up))
        .await
        .expect("connected after hello")
        .unwrap();
    // The next apps.connections.open fails, so the adapter waits (backs off) while down.
    rig.fake
        .fail_next("apps.connections.open", 1, Failure::ServerError);
    rig.socket().drop_socket();
    tokio::time::timeout(WITHIN, connected.wait_for(|c| !*c))
        .await
        .expect("down once the socket dropped")
        .unwrap();
    tokio::time::timeout(WITHIN, connected.wait_for(up))
        .await
        .expect("up again after the retry")
        .unwrap();
    assert_eq!(
        rig.socket().accepted(),
        2,
        "one new socket after the failed open"
    );
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_get_their_slack_name_zone_and_out_of_office_status_once_a_day() {
    use amplifier::domain::Platform;
    let rig = SlackRig::start(Mode::SocketMode, monday()).await;
    rig.fake
        .set_status(support::fake_slack::rig::DAN, ":palm_tree:", "");
    rig.fake.set_status(
        support::fake_slack::rig::ERIN,
        ":calendar:",
        "OOO until Monday",
    );
    let people = rig.connection.people.clone();

    let done = people.refresh(rig.now()).await.unwrap();
    assert_eq!(
        (done.asked, done.out_of_office, done.rate_limited),
        (5, 2, false)
    );
    let person = |id: &'static str| {
        let store = rig.store.clone();
        async move {
            store
                .person_by_platform_id(Platform::Slack, TEAM, id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let dan = person(support::fake_slack::rig::DAN).await;
    assert!(dan.out_of_office);
    assert_eq!(dan.time_zone.as_deref(), Some("Asia/Tokyo"));
    assert_eq!(dan.display_name.as_deref(), Some("dan"));
    assert!(person(support::fake_slack::rig::ERIN).await.out_of_office);
    assert!(!person(ALICE).await.out_of_office);
    // users.info went out as a GET-style read with the user as a query argument, once per person.
    let asked = rig.fake.calls("users.info");
    assert_eq!(asked.len(), 5);
    assert!(asked.iter().all(|r| r.args.contains_key("user")));

    // Within the day nobody is asked again; the day after, everyone is, and a cleared status counts.
    rig.fake.set_status(support::fake_slack::rig::DAN, "", "");
    assert_eq!(
        people
            .refresh(rig.now() + chrono::Duration::hours(23))
            .await
            .unwrap()
            .asked,
        0
    );
    let done = people
        .refresh(rig.now() + chrono::Duration::hours(25))
        .await
        .unwrap();
    assert_eq!((done.asked, done.out_of_office), (5, 1));
    assert!(!person(support::fake_slack::rig::DAN).await.out_of_office);
    assert_eq!(rig.fake.violations(), Vec::<String>::new());
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_the_engine_could_not_apply_is_left_unacknowledged_for_slack_to_redeliver() {
    let rig = SlackRig::start(Mode::SocketMode, monday()).await;
    let socket = rig.socket().clone();
    socket
        .wait_for("a connection", WITHIN, |s| s.live() == 1)
        .await;
    // The database goes away: the engine cannot record the event.
    rig.store.close().await;
    let failed = socket.push(
        "slash_commands",
        command(&rig, ALICE, "status", &rig.fake.new_trigger()),
    );
    // Envelopes are handled in order, so once a later one (which needs no database) is acknowledged, the
    // first has been handled too, and was not acknowledged.
    let reaction = json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
        "event_id": "EvREACT001", "event_time": 1795671261,
        "event": {"type": "reaction_added", "user": ALICE, "reaction": "tada", "event_ts": "1"}});
    let ignored = socket.push("events_api", reaction);
    acked(&rig, &ignored).await;
    assert!(
        !socket.acked(&failed),
        "an envelope that was not applied must not be acknowledged"
    );
    assert_eq!(socket.redeliver_unacked(), 1, "Slack would send it again");
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_the_home_tab_publishes_what_is_open_for_the_person() {
    let rig = SlackRig::start(Mode::SocketMode, monday()).await;
    rig.socket()
        .wait_for("the first connection", WITHIN, |s| s.live() == 1)
        .await;
    let payload = json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
        "event_id": "Ev0HOME0001", "event_time": 1795671261,
        "event": {"type": "app_home_opened", "user": ALICE, "channel": rig.fake.im_of(ALICE), "tab": "home",
            "event_ts": "1795671261.951547"}});
    let id = rig.socket().push("events_api", payload);
    acked(&rig, &id).await;
    rig.deliver().await;
    let published = rig.fake.calls("views.publish");
    assert_eq!(
        published.len(),
        1,
        "{:?}",
        rig.fake
            .requests()
            .iter()
            .map(|r| r.method.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(published[0].args["user_id"], ALICE);
    let view = published[0].args["view"].to_string();
    assert!(
        view.contains("What's open for you") && view.contains("New draft"),
        "{view}"
    );
    assert_eq!(rig.fake.violations(), Vec::<String>::new());
    rig.shutdown().await;
}

fn user_change(user: &str, emoji: &str, text: &str, event_id: &str) -> Value {
    json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
        "event_id": event_id, "event_time": 1795671261,
        "event": {"type": "user_change", "event_ts": "1795671261.951547",
            "user": {"id": user, "team_id": TEAM, "name": "carol", "deleted": false, "tz": "Europe/London",
                "profile": {"real_name": "Carol", "display_name": "carol",
                    "status_emoji": emoji, "status_text": text}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_office_status_is_seen_the_moment_it_is_set() {
    let rig = SlackRig::start(Mode::SocketMode, monday()).await;
    rig.socket()
        .wait_for("the first connection", WITHIN, |s| s.live() == 1)
        .await;
    let out_of_office = || async {
        rig.store
            .person_by_platform_id(amplifier::domain::Platform::Slack, TEAM, CAROL)
            .await
            .unwrap()
            .expect("carol is on the team")
            .out_of_office
    };
    assert!(!out_of_office().await);
    // Slack's `user_change` (subscribed in the manifest) as the status is set: no users.info sweep needed.
    let before = rig.fake.calls("users.info").len();
    let id = rig.socket().push(
        "events_api",
        user_change(CAROL, ":palm_tree:", "Back on the 12th", "EvUSER0001"),
    );
    acked(&rig, &id).await;
    assert!(out_of_office().await, "out of office at once");
    assert_eq!(rig.fake.calls("users.info").len(), before);
    // Cleared the same way; someone the bot does not know is acknowledged and ignored.
    let id = rig
        .socket()
        .push("events_api", user_change(CAROL, "", "", "EvUSER0002"));
    acked(&rig, &id).await;
    assert!(!out_of_office().await, "back");
    let id = rig.socket().push(
        "events_api",
        user_change("U0STRANGER", ":palm_tree:", "", "EvUSER0003"),
    );
    acked(&rig, &id).await;
    rig.shutdown().await;
}

/// Waits until `done` holds, looking again after each Web API call the fake answers (what changes its state);
/// fails after [`WITHIN`].
async fn until(rig: &SlackRig, what: &str, mut done: impl FnMut() -> bool) {
    // A call answered before the tap exists has already changed the state `done` reads.
    let mut calls = rig.fake.tap();
    let deadline = tokio::time::Instant::now() + WITHIN;
    while !done() {
        match tokio::time::timeout_at(deadline, calls.recv()).await {
            Ok(Some(_)) => {}
            _ => panic!("{what} within {WITHIN:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_and_leave_keep_the_opt_in_user_group_in_step() {
    const GROUP: &str = "S0AMPLIFY1";
    const FRANK: &str = "U0FRANK001";
    let rig = SlackRig::start_with(
        Mode::SocketMode,
        monday(),
        &format!("nudge = \"role_post\"\nopt_in_role = \"{GROUP}\""),
    )
    .await;
    rig.socket()
        .wait_for("the first connection", WITHIN, |s| s.live() == 1)
        .await;
    rig.fake.add_usergroup(GROUP, &[ALICE]);
    rig.fake.add_user(FRANK, "frank", "Europe/Berlin");

    let id = rig.socket().push(
        "slash_commands",
        command(&rig, FRANK, "join", &rig.fake.new_trigger()),
    );
    acked(&rig, &id).await;
    until(&rig, "Frank in the opt-in group", || {
        rig.fake.usergroup(GROUP) == [ALICE, FRANK]
    })
    .await;
    let id = rig.socket().push(
        "slash_commands",
        command(&rig, FRANK, "leave", &rig.fake.new_trigger()),
    );
    acked(&rig, &id).await;
    until(&rig, "Frank out of the opt-in group", || {
        rig.fake.usergroup(GROUP) == [ALICE]
    })
    .await;

    // Several join at the same moment: Slack's update replaces the whole list, yet nobody is lost.
    let crowd: Vec<String> = (1..=6).map(|i| format!("U0CROWD{i:03}")).collect();
    for user in &crowd {
        rig.fake.add_user(user, user, "Europe/Berlin");
    }
    let pushed: Vec<String> = crowd
        .iter()
        .map(|user| {
            rig.socket().push(
                "slash_commands",
                command(&rig, user, "join", &rig.fake.new_trigger()),
            )
        })
        .collect();
    for id in &pushed {
        acked(&rig, id).await;
    }
    until(&rig, "the whole crowd in the opt-in group", || {
        let group = rig.fake.usergroup(GROUP);
        crowd.iter().all(|u| group.contains(u))
    })
    .await;
    let mut expected: Vec<String> = std::iter::once(ALICE.to_string())
        .chain(crowd.iter().cloned())
        .collect();
    let mut group = rig.fake.usergroup(GROUP);
    expected.sort();
    group.sort();
    assert_eq!(group, expected);

    // A workspace that did not grant the optional user-group scopes: the join is recorded, the group stays as
    // it is, and the member is told what to ask their admin for.
    let before = rig.fake.usergroup(GROUP);
    let required = amplifier::slack::scopes::required_bot_scopes();
    rig.fake
        .set_scopes(&required.iter().map(String::as_str).collect::<Vec<_>>());
    let id = rig.socket().push(
        "slash_commands",
        command(&rig, FRANK, "join", &rig.fake.new_trigger()),
    );
    acked(&rig, &id).await;
    until(&rig, "Frank told what to ask for", || {
        rig.fake.calls("chat.postEphemeral").iter().any(|c| {
            c.args["user"] == FRANK
                && c.args["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("usergroups:write") && t.contains("reinstall"))
        })
    })
    .await;
    assert_eq!(rig.fake.usergroup(GROUP), before, "the group is as it was");
    let frank = rig
        .store
        .person_by_platform_id(amplifier::domain::Platform::Slack, TEAM, FRANK)
        .await
        .unwrap()
        .expect("Frank is known");
    let teams = rig.store.teams_of_person(frank.id).await.unwrap();
    assert_eq!(teams.len(), 1, "the join itself is recorded: {teams:?}");
    assert_eq!(rig.fake.violations(), Vec::<String>::new());
    rig.shutdown().await;
}
