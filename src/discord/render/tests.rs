//! Rendering within Discord's limits: escaping, mentions, long texts, buttons, forms, nonces.

use super::*;
use crate::chat::{Action, Input};

fn total_embed_chars(m: &DiscordMessage) -> usize {
    m.embeds.iter().map(Embed::chars).sum()
}

#[test]
fn hostile_text_pings_no_one_and_shows_literally() {
    let hostile = "@everyone @here <@&123> <@456> **bold** # title";
    let m = message(&Message::new("x").say(hostile).quote(hostile));
    assert!(m.allowed_mentions.parse.is_empty());
    assert!(m.allowed_mentions.users.is_empty());
    assert!(m.allowed_mentions.roles.is_empty());
    assert!(!m.allowed_mentions.replied_user);
    // Every mention and formatting character is preceded by a backslash.
    let chars: Vec<char> = m.content.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if matches!(c, '@' | '<' | '>' | '*') && !(i > 0 && chars[i - 1] == '\\') {
            // The quote marker the bot itself adds is the one '>' allowed.
            let quote_marker = *c == '>' && (i == 0 || chars[i - 1] == '\n');
            assert!(quote_marker, "unescaped {c} at {i} in {}", m.content);
        }
    }
    assert!(m.content.contains("\\@everyone") && m.content.contains("\\<\\@456\\>"));
    // Zero-width characters cannot smuggle a mention past the escaping.
    assert_eq!(escape("@\u{200B}everyone"), "\\@everyone");
    assert_eq!(escape("# heading\n- item"), "\\# heading\n\\- item");
}

#[test]
fn only_the_intended_user_is_mentioned() {
    let m = message(&Message::new("x").section(vec![
        Inline::User("100000000000000002".into()),
        Inline::Text(" wrote <@100000000000000003>".into()),
        Inline::User("100000000000000002".into()),
    ]));
    assert_eq!(m.allowed_mentions.users, vec!["100000000000000002"]);
    assert!(m.content.starts_with("<@100000000000000002>"));
    // Not a snowflake (a shell name): shown as text, never a mention.
    let m = message(&Message::new("x").section(vec![Inline::User("alice".into())]));
    assert!(m.allowed_mentions.users.is_empty());
    assert_eq!(m.content, "\\@alice");
}

#[test]
fn short_messages_stay_in_content() {
    let m = message(&Message::new("x").say("Hello").quote("my insight"));
    assert_eq!(m.content, "Hello\n> my insight");
    assert!(m.embeds.is_empty());
    // An empty message falls back to its fallback text.
    let m = message(&Message::new("only fallback"));
    assert_eq!(m.content, "only fallback");
}

#[test]
fn a_long_insight_moves_into_an_embed_within_every_limit() {
    let insight = "word ".repeat(600); // 3,000 characters
    let m = message(
        &Message::new("x")
            .say("Here is your draft (v1)")
            .quote(insight.trim()),
    );
    assert!(m.content.chars().count() <= CONTENT_MAX);
    assert!(m.content.contains("Here is your draft"));
    assert_eq!(m.embeds.len(), 1);
    assert_eq!(m.embeds[0].description, insight.trim());
    assert!(total_embed_chars(&m) <= EMBEDS_TOTAL_MAX);
}

#[test]
fn a_text_longer_than_one_embed_is_split_with_a_marker_and_the_total_holds() {
    let long = "x".repeat(5000) + " " + &"y".repeat(5000);
    let m = message(
        &Message::new("x")
            .say("intro")
            .copy("LinkedIn", &long)
            .quote(&long),
    );
    assert!(m.content.chars().count() <= CONTENT_MAX);
    assert!(m.embeds.len() >= 2);
    assert!(m
        .embeds
        .iter()
        .all(|e| e.description.chars().count() <= EMBED_DESCRIPTION_MAX));
    assert!(
        total_embed_chars(&m) <= EMBEDS_TOTAL_MAX,
        "{}",
        total_embed_chars(&m)
    );
    assert!(m.embeds[0].description.ends_with(CUT_MARKER));
}

#[test]
fn long_sections_are_cut_with_a_marker() {
    let m = message(&Message::new("x").say("z".repeat(2500)));
    assert_eq!(m.content.chars().count(), CONTENT_MAX);
    assert!(m.content.ends_with(CUT_MARKER));
    // Escapes double the length; still within the limit and never ending in a lone backslash before the marker.
    let m = message(&Message::new("x").say("*".repeat(1500)));
    assert!(m.content.chars().count() <= CONTENT_MAX);
    assert!(!m.content.contains("\\\n"));
}

#[test]
fn buttons_become_rows_of_five_at_most_five_rows() {
    let buttons: Vec<Button> = (1..=30)
        .map(|i| Button::action(&format!("B{i}"), Action::SubmitDraft { draft: i }))
        .collect();
    let m = message(&Message::new("x").say("pick").buttons(buttons));
    assert_eq!(m.components.len(), ROWS_MAX);
    assert!(m
        .components
        .iter()
        .all(|r| r.kind == 1 && r.components.len() <= BUTTONS_PER_ROW));
    let m = message(&Message::new("x").buttons(vec![
        Button::primary(
            "Approve",
            Action::Approve {
                draft: 1,
                version: 2,
            },
        ),
        Button::danger(
            "Reject",
            Action::Reject {
                draft: 1,
                version: 2,
            },
        ),
        Button::action(
            "Again",
            Action::Approve {
                draft: 1,
                version: 2,
            },
        ),
        Button::link("Open", "https://example.com/a"),
    ]));
    let json = serde_json::to_value(&m).unwrap();
    let row = &json["components"][0]["components"];
    assert_eq!(
        row.as_array().unwrap().len(),
        3,
        "the duplicate custom_id is left out: {row}"
    );
    assert_eq!(row[0]["style"], 1);
    assert_eq!(row[0]["custom_id"], "ap:1:2");
    assert_eq!(row[1]["style"], 4);
    assert_eq!(row[2]["style"], 5);
    assert_eq!(row[2]["url"], "https://example.com/a");
    assert!(row[2].get("custom_id").is_none());
}

#[test]
fn a_share_url_too_long_for_a_link_button_goes_into_the_text() {
    let url = format!(
        "https://www.linkedin.com/feed/?shareActive=true&text={}",
        "a".repeat(600)
    );
    let m = message(
        &Message::new("x")
            .say("Share it")
            .buttons(vec![Button::link("LinkedIn", &url)]),
    );
    assert!(m.components.is_empty());
    assert!(m.content.contains(&url), "{}", m.content);
}

#[test]
fn labels_are_cut_to_discord_lengths() {
    let m = message(
        &Message::new("x").buttons(vec![Button::action(&"L".repeat(200), Action::NewDraft)]),
    );
    let Component::Button(b) = &m.components[0].components[0] else {
        panic!("a button")
    };
    assert_eq!(b.label.chars().count(), BUTTON_LABEL_MAX);
}

#[test]
fn forms_fit_discords_modal_limits() {
    let inputs: Vec<Input> = (0..7)
        .map(|i| Input {
            id: format!("f{i}"),
            label: "A label that is far longer than forty-five characters allows".into(),
            initial: Some("v".repeat(5000)),
            multiline: i == 0,
            max_len: 9000,
            optional: i == 1,
        })
        .collect();
    let d = modal(&Modal {
        title: "T".repeat(60),
        submit_label: "Save".into(),
        action: "ed:4".into(),
        inputs,
    });
    assert_eq!(d.custom_id, "ed:4");
    assert_eq!(d.title.chars().count(), MODAL_TITLE_MAX);
    assert_eq!(d.components.len(), MODAL_ROWS_MAX);
    let json = serde_json::to_value(&d).unwrap();
    let first = &json["components"][0]["components"][0];
    assert_eq!(first["type"], 4);
    assert_eq!(first["style"], 2);
    assert_eq!(first["max_length"], 4000);
    assert_eq!(first["value"].as_str().unwrap().chars().count(), 4000);
    assert_eq!(
        first["label"].as_str().unwrap().chars().count(),
        INPUT_LABEL_MAX
    );
    assert_eq!(json["components"][1]["components"][0]["required"], false);
    assert_eq!(json["components"][1]["components"][0]["style"], 1);
}

#[test]
fn nonces_are_stable_short_and_distinct() {
    let a = nonce("ask:42:prompt");
    assert_eq!(a, nonce("ask:42:prompt"));
    assert_ne!(a, nonce("ask:43:prompt"));
    assert!(a.len() <= NONCE_MAX);
    // Pinned: a change here would make a resend after an upgrade post twice.
    assert_eq!(nonce(""), "ampcbf29ce484222325");
}

#[test]
fn the_opt_in_role_is_the_only_role_allowed() {
    let m = message(&Message::new("x").section(vec![
        Inline::Role("100000000000000009".into()),
        Inline::Text(" <@&100000000000000010> @everyone".into()),
    ]));
    assert_eq!(
        m.allowed_mentions.roles,
        vec!["100000000000000009".to_string()]
    );
    assert!(m.allowed_mentions.parse.is_empty());
    assert!(
        m.content.contains("<@&100000000000000009>")
            && !m.content.contains(" <@&100000000000000010>"),
        "{}",
        m.content
    );
}
