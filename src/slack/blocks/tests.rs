//! Rendering tests: escaping, splitting, block and element limits.

use super::*;
use crate::chat::{Action, Input};

fn all_text(rendered: &Rendered) -> String {
    serde_json::to_string(&rendered.blocks).unwrap() + &rendered.text
}

fn section_texts(rendered: &Rendered) -> Vec<String> {
    rendered
        .blocks
        .iter()
        .filter_map(|b| match b {
            SlackBlock::Section {
                text: Text::Mrkdwn { text },
            } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn hostile_user_text_is_escaped_everywhere() {
    let hostile = "<!channel> @here <@U0123> &amp; *bold* <!subteam^S1> <https://evil|x>";
    let message = Message::new(hostile)
        .say(hostile)
        .quote(hostile)
        .copy("Post", hostile)
        .context(hostile);
    let rendered = render_message(&message);
    let json = all_text(&rendered);
    for bad in ["<!channel>", "<@U0123>", "<!subteam", "<https://evil"] {
        assert!(!json.contains(bad), "{bad} in {json}");
    }
    assert!(json.contains("&lt;!channel&gt;"), "{json}");
    assert!(json.contains("&amp;amp;"), "{json}");
    assert_eq!(
        rendered.text,
        "&lt;!channel&gt; @here &lt;@U0123&gt; &amp;amp; *bold* &lt;!subteam^S1&gt; &lt;https://evil|x&gt;"
    );
}

#[test]
fn intended_mentions_and_links_are_kept() {
    let message = Message::new("hi").section(vec![
        Inline::Text("Thanks ".into()),
        Inline::User("U0ALICE001".into()),
        Inline::Strong(" now".into()),
        Inline::Link {
            url: "https://example.com/a?b=1&c=2".into(),
            label: "the post".into(),
        },
        Inline::User("!channel".into()),
        Inline::Link {
            url: "javascript:alert(1)".into(),
            label: "x".into(),
        },
    ]);
    let text = &section_texts(&render_message(&message))[0];
    assert!(text.contains("<@U0ALICE001>"), "{text}");
    assert!(text.contains("> *now*<"), "{text}");
    assert!(
        text.contains("<https://example.com/a?b=1&amp;c=2|the post>"),
        "{text}"
    );
    assert!(
        text.contains("@!channel") && !text.contains("<!channel"),
        "{text}"
    );
    assert!(!text.contains("<javascript"), "{text}");
}

#[test]
fn long_text_is_split_into_marked_sections_within_limits() {
    let long = "word ".repeat(2000); // 10,000 characters
    let rendered = render_message(&Message::new("long").quote(long.clone()).say(long));
    let texts = section_texts(&rendered);
    assert!(texts.len() >= 8, "{}", texts.len());
    assert!(texts.iter().all(|t| t.chars().count() <= MAX_SECTION_TEXT));
    assert_eq!(
        texts.iter().filter(|t| t.starts_with(CONTINUED)).count(),
        texts.len() - 2,
        "every piece after the first of each text is marked"
    );
}

#[test]
fn too_many_blocks_are_shortened_visibly_and_keep_the_buttons() {
    let mut message = Message::new("many");
    for i in 0..80 {
        message = message.say(format!("line {i}"));
    }
    let message = message.buttons(vec![Button::primary(
        "Submit for review",
        Action::SubmitDraft { draft: 1 },
    )]);
    let rendered = render_message(&message);
    assert_eq!(rendered.blocks.len(), MAX_MESSAGE_BLOCKS);
    assert!(matches!(
        rendered.blocks.last(),
        Some(SlackBlock::Actions { .. })
    ));
    let json = all_text(&rendered);
    assert!(json.contains("shortened: 32 more parts"), "{json}");
}

#[test]
fn buttons_stay_within_limits_and_rows_of_25() {
    let mut list = Vec::new();
    for i in 0..30 {
        list.push(Button::action(
            &"L".repeat(100),
            Action::SkipAsk { ask: i + 1 },
        ));
    }
    list.push(Button::link("Open", "https://example.com"));
    let rendered = render_message(&Message::new("b").buttons(list));
    assert_eq!(rendered.blocks.len(), 2);
    for block in &rendered.blocks {
        let SlackBlock::Actions { elements } = block else {
            panic!("actions expected")
        };
        assert!(elements.len() <= MAX_ACTIONS_ELEMENTS);
        for b in elements {
            let Text::PlainText { text, .. } = &b.text else {
                panic!("plain text label")
            };
            assert!(text.chars().count() <= MAX_BUTTON_TEXT);
            assert!(b.action_id.len() <= MAX_ACTION_ID);
        }
    }
    let json = serde_json::to_value(&rendered.blocks).unwrap();
    assert_eq!(json[0]["elements"][0]["action_id"], "sk:1");
    assert_eq!(json[1]["elements"][5]["url"], "https://example.com");
}

#[test]
fn a_modal_fits_slack_limits() {
    let modal = Modal {
        title: "Edit your draft before review".into(),
        submit_label: "Save".into(),
        action: Action::EditDraft { draft: 3 }.to_string(),
        inputs: vec![Input {
            id: "text".into(),
            label: "Your insight".into(),
            initial: Some("x".repeat(5000)),
            multiline: true,
            max_len: 10_000,
            optional: false,
        }],
    };
    let view = serde_json::to_value(render_modal(&modal)).unwrap();
    assert_eq!(view["type"], "modal");
    assert_eq!(view["callback_id"], "ed:3");
    assert!(view["title"]["text"].as_str().unwrap().chars().count() <= MAX_VIEW_TITLE);
    let element = &view["blocks"][0]["element"];
    assert_eq!(element["type"], "plain_text_input");
    assert_eq!(element["max_length"], 3000);
    assert_eq!(element["initial_value"].as_str().unwrap().len(), 3000);
    assert_eq!(view["blocks"][0]["block_id"], "text");
}

#[test]
fn the_fallback_is_always_set() {
    let rendered = render_message(&Message::new("").say("Hello & welcome"));
    assert_eq!(rendered.text, "Hello &amp; welcome");
    let rendered = render_message(&Message::new("x".repeat(50_000)));
    assert_eq!(rendered.text.chars().count(), MAX_FALLBACK_TEXT);
}

#[test]
fn the_home_tab_allows_100_blocks() {
    let mut message = Message::new("home");
    for i in 0..150 {
        message = message.say(format!("line {i} <!here>"));
    }
    let home = render_home(&message);
    assert_eq!(home.kind, "home");
    assert_eq!(home.blocks.len(), MAX_VIEW_BLOCKS);
    let json = serde_json::to_string(&home).unwrap();
    assert!(!json.contains("<!here>") && json.contains("line 98 ") && json.contains("shortened"));
}
