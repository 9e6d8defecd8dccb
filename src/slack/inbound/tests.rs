//! Payloads as Slack sends them (trimmed from captured envelopes) → chat events.

use super::*;
use crate::slack::trigger_of;

fn callback(event: serde_json::Value) -> EventCallback {
    serde_json::from_value(serde_json::json!({
        "token": "x", "team_id": "T0FAKE0001", "api_app_id": "A0FAKEAPP1", "type": "event_callback",
        "event_id": "EvODHDEYBLVN", "event_time": 1795671261, "event": event
    }))
    .unwrap()
}

#[test]
fn a_dm_reply_becomes_a_direct_message_unescaped() {
    let cb = callback(
        serde_json::json!({"type": "message", "user": "U0ALICE001", "channel": "D2325824FC4",
        "channel_type": "im", "ts": "1.2", "text": "Fast &amp; kind &lt;3"}),
    );
    let event = from_callback(&cb, "U0FAKEBOT1").unwrap();
    assert_eq!(event.key, "EvODHDEYBLVN");
    assert_eq!(event.workspace_id, "T0FAKE0001");
    assert_eq!(event.person, "U0ALICE001");
    assert_eq!(event.channel.as_deref(), Some("D2325824FC4"));
    assert_eq!(
        event.kind,
        EventKind::DirectMessage {
            text: "Fast & kind <3".into()
        }
    );
}

#[test]
fn pasted_links_lose_slacks_markup() {
    assert_eq!(
        plain_links("mine: <https://www.linkedin.com/posts/a-1?x=1&amp;y=2> and <https://b.example|b.example> <@U1>"),
        "mine: https://www.linkedin.com/posts/a-1?x=1&amp;y=2 and https://b.example <@U1>"
    );
    let cb = callback(
        serde_json::json!({"type": "message", "user": "U0ALICE001", "channel": "D1",
        "channel_type": "im", "text": "<https://x.example/p?a=1&amp;b=2>"}),
    );
    assert_eq!(
        from_callback(&cb, "U0FAKEBOT1").unwrap().kind,
        EventKind::DirectMessage {
            text: "https://x.example/p?a=1&b=2".into()
        }
    );
}

#[test]
fn bot_messages_edits_and_channel_messages_are_ignored() {
    for event in [
        serde_json::json!({"type": "message", "user": "U0FAKEBOT1", "channel": "D1", "channel_type": "im", "text": "mine"}),
        serde_json::json!({"type": "message", "user": "U0ALICE001", "bot_id": "B1", "channel": "D1", "channel_type": "im", "text": "x"}),
        serde_json::json!({"type": "message", "user": "U0ALICE001", "subtype": "message_changed", "channel": "D1", "channel_type": "im", "text": "x"}),
        serde_json::json!({"type": "message", "user": "U0ALICE001", "channel": "C1", "channel_type": "channel", "text": "x"}),
        serde_json::json!({"type": "reaction_added", "user": "U0ALICE001"}),
    ] {
        assert_eq!(
            from_callback(&callback(event.clone()), "U0FAKEBOT1"),
            None,
            "{event}"
        );
    }
}

#[test]
fn opening_the_home_tab_is_seen_but_not_the_messages_tab() {
    let home = callback(
        serde_json::json!({"type": "app_home_opened", "user": "U0ALICE001", "channel": "D1", "tab": "home"}),
    );
    assert_eq!(
        from_callback(&home, "U0FAKEBOT1").unwrap().kind,
        EventKind::HomeOpened
    );
    let messages = callback(
        serde_json::json!({"type": "app_home_opened", "user": "U0ALICE001", "channel": "D1", "tab": "messages"}),
    );
    assert_eq!(from_callback(&messages, "U0FAKEBOT1"), None);
}

fn interaction(value: serde_json::Value) -> Interaction {
    serde_json::from_value(value).unwrap()
}

#[test]
fn a_button_press_carries_its_action_and_trigger() {
    let i = interaction(
        serde_json::json!({"type": "block_actions", "team": {"id": "T0FAKE0001"},
        "user": {"id": "U0ALICE001"}, "trigger_id": "374.41.b72", "channel": {"id": "D1"},
        "container": {"type": "message"}, "actions": [{"action_id": "su:4", "type": "button"}]}),
    );
    let event = from_interaction(&i).unwrap();
    assert_eq!(trigger_of(&event.key), Some("374.41.b72"));
    assert_eq!(
        event.kind,
        EventKind::Button {
            action: Some(Action::SubmitDraft { draft: 4 }),
            raw_id: "su:4".into()
        }
    );
    let forged = interaction(
        serde_json::json!({"type": "block_actions", "team": {"id": "T1"},
        "user": {"id": "U1"}, "trigger_id": "t", "actions": [{"action_id": "ap:1:2:3"}]}),
    );
    assert!(matches!(
        from_interaction(&forged).unwrap().kind,
        EventKind::Button { action: None, .. }
    ));
    let link = interaction(
        serde_json::json!({"type": "block_actions", "team": {"id": "T1"},
        "user": {"id": "U1"}, "trigger_id": "t", "actions": [{"action_id": "link:0"}]}),
    );
    assert_eq!(from_interaction(&link), None);
}

#[test]
fn a_modal_submission_carries_its_fields() {
    let i = interaction(
        serde_json::json!({"type": "view_submission", "team": {"id": "T0FAKE0001"},
        "user": {"id": "U0ALICE001"}, "trigger_id": "t.1",
        "view": {"id": "V1", "team_id": "T0FAKE0001", "hash": "h", "callback_id": "ed:3", "type": "modal",
            "state": {"values": {"text": {"text": {"type": "plain_text_input", "value": "New &amp; better"}}}}}}),
    );
    let event = from_interaction(&i).unwrap();
    assert_eq!(
        event.kind,
        EventKind::ModalSubmit {
            action: Some(Action::EditDraft { draft: 3 }),
            raw_id: "ed:3".into(),
            // Input values come back as typed, not escaped.
            fields: vec![("text".into(), "New &amp; better".into())],
        }
    );
}

#[test]
fn the_message_shortcut_drafts_from_the_message() {
    let i = interaction(
        serde_json::json!({"type": "message_action", "team": {"id": "T1"}, "user": {"id": "U1"},
        "callback_id": "draft_insight", "trigger_id": "t.2", "response_url": "http://x",
        "message": {"type": "message", "text": "We shipped &lt;fast&gt;"}}),
    );
    assert_eq!(
        from_interaction(&i).unwrap().kind,
        EventKind::DraftFromMessage {
            text: "We shipped <fast>".into()
        }
    );
}

#[test]
fn the_slash_command_normalizes_mentions() {
    let c: SlashCommand = serde_json::from_value(serde_json::json!({"team_id": "T1", "channel_id": "C1",
        "user_id": "U0CAROL001", "command": "/amplify", "text": " team add leader <@U0BOB00001|bob> to <#C0AMPLIFY1|amplify> ",
        "trigger_id": "t.3", "response_url": "http://x", "is_enterprise_install": "false"})).unwrap();
    let event = from_command(&c).unwrap();
    assert_eq!(
        event.kind,
        EventKind::Command {
            text: "team add leader <@U0BOB00001> to <#C0AMPLIFY1>".into()
        }
    );
    assert_eq!(trigger_of(&event.key), Some("t.3"));
    let other: SlashCommand =
        serde_json::from_value(serde_json::json!({"team_id": "T1", "user_id": "U1",
        "command": "/other", "trigger_id": "t"}))
        .unwrap();
    assert_eq!(from_command(&other), None);
}
