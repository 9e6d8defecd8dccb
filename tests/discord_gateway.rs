//! The Discord gateway end to end: the real adapter (serenity) against the fake Discord (gateway and REST), the
//! engine and a store (SQLite and PostgreSQL): DMs, buttons, forms, `/amplify`, the message command,
//! duplicates, drops and resumes, deferrals, hostile text, `/amplify join|leave` and the opt-in role, and the whole
//! week of the routine.

mod support;

#[path = "discord_gateway/world.rs"]
mod world;

use amplifier::discord::gateway::Outcome;
use amplifier::store::{DraftStatus, PostStatus, Store};
use anyhow::Context;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use support::fake_discord::gateway::{payloads, Place};
use support::fake_discord::BOT_ID;
use support::Case;
use world::{button_id, World, ALICE, BOB, CAROL, DAN, ERIN, FRANK, GRACE, GUILD, OPT_IN, SHARE};

const CASES: &[(&str, Case)] = &[
    (
        "it_identifies_with_the_least_intents_and_ignores_itself",
        |s| Box::pin(it_identifies_with_the_least_intents_and_ignores_itself(s)),
    ),
    (
        "a_dm_becomes_a_draft_preview_sent_back_through_the_transport",
        |s| Box::pin(a_dm_becomes_a_draft_preview_sent_back_through_the_transport(s)),
    ),
    ("a_duplicated_interaction_is_applied_once", |s| {
        Box::pin(a_duplicated_interaction_is_applied_once(s))
    }),
    ("a_gateway_drop_mid_flow_resumes_and_loses_nothing", |s| {
        Box::pin(a_gateway_drop_mid_flow_resumes_and_loses_nothing(s))
    }),
    (
        "slash_and_message_commands_are_answered_through_their_token",
        |s| {
            Box::pin(slash_and_message_commands_are_answered_through_their_token(
                s,
            ))
        },
    ),
    ("an_interaction_nobody_answers_in_time_is_deferred", |s| {
        Box::pin(an_interaction_nobody_answers_in_time_is_deferred(s))
    }),
    ("hostile_text_in_an_insight_pings_no_one", |s| {
        Box::pin(hostile_text_in_an_insight_pings_no_one(s))
    }),
    ("the_whole_week_runs_on_discord", |s| {
        Box::pin(the_whole_week_runs_on_discord(s))
    }),
    ("join_and_leave_give_and_take_the_opt_in_role", |s| {
        Box::pin(join_and_leave_give_and_take_the_opt_in_role(s))
    }),
    (
        "a_refused_role_tells_the_member_what_an_admin_must_fix",
        |s| Box::pin(a_refused_role_tells_the_member_what_an_admin_must_fix(s)),
    ),
    (
        "a_dm_belongs_to_the_server_the_person_is_a_member_of",
        |s| Box::pin(a_dm_belongs_to_the_server_the_person_is_a_member_of(s)),
    ),
    (
        "a_community_of_5000_gets_one_role_post_and_no_nudge_dm",
        |s| Box::pin(a_community_of_5000_gets_one_role_post_and_no_nudge_dm(s)),
    ),
];

fn main() {
    let extra = vec![libtest_mimic::Trial::test(
        "every_dispatch_the_fake_builds_parses_in_serenity",
        || every_dispatch_the_fake_builds_parses_in_serenity().map_err(|e| format!("{e:#}").into()),
    )];
    support::run_suite("discord_gateway", CASES, extra);
}

/// The fake's dispatches are only worth testing against if serenity reads them as Discord's: a payload it
/// cannot parse would never reach the handler and a test would time out for the wrong reason.
fn every_dispatch_the_fake_builds_parses_in_serenity() -> anyhow::Result<()> {
    use serenity::all::{Interaction, Message};
    let guild = Place::Guild {
        guild: GUILD.into(),
        channel: SHARE.into(),
    };
    let dm = Place::Dm {
        channel: "1300000000000000042".into(),
    };
    for place in [&guild, &dm] {
        let payloads = [
            payloads::button("1400000000000000001", ALICE, place, "su:1"),
            payloads::modal_submit(
                "1400000000000000002",
                ALICE,
                place,
                "rc:1:1",
                &[("comment", "x")],
            ),
            payloads::slash(
                "1400000000000000003",
                ALICE,
                place,
                json!([{"type": 1, "name": "help", "options": []}]),
            ),
            payloads::message_command(
                "1400000000000000004",
                ALICE,
                place,
                amplifier::discord::commands::DRAFT_FROM_MESSAGE,
                "1400000000000000005",
                DAN,
                "text",
            ),
        ];
        for payload in payloads {
            serde_json::from_value::<Interaction>(payload.clone())
                .with_context(|| format!("{place:?}: {payload}"))?;
        }
    }
    let message = payloads::dm_message(
        "1400000000000000006",
        "1300000000000000042",
        ALICE,
        "hi",
        false,
    );
    serde_json::from_value::<Message>(message)?;
    Ok(())
}

/// Long enough that delivery, driven by hand, always answers first.
const SLOW_DEFER: Duration = Duration::from_secs(120);

async fn it_identifies_with_the_least_intents_and_ignores_itself(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = World::start(store, SLOW_DEFER).await?;
    let identifies = w.fake.gateway.identifies();
    assert_eq!(identifies.len(), 1);
    // GUILDS (1) + DIRECT_MESSAGES (4096): no GUILD_MEMBERS, never MESSAGE_CONTENT (32768).
    assert_eq!(identifies[0]["intents"], json!(4097));
    assert!(identifies[0]["token"]
        .as_str()
        .is_some_and(|t| t.ends_with(world::TOKEN)));
    w.prompt_leaders().await?;
    let dm = w.dm_channel(ALICE)?;
    // The bot's own DM (as Discord echoes it) is not a reply.
    let key = w.next_id();
    w.fake.gateway.dispatch(
        "MESSAGE_CREATE",
        payloads::dm_message(&key, &dm, BOT_ID, "Your question this week", true),
    );
    assert_eq!(w.outcome(&key).await?, Outcome::Ignored);
    let alice = w.person(ALICE).await?;
    assert!(w
        .store
        .drafts_of(alice.id, &[DraftStatus::Editing])
        .await?
        .is_empty());
    w.stop().await
}

async fn a_dm_becomes_a_draft_preview_sent_back_through_the_transport(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = World::start(store, SLOW_DEFER).await?;
    w.prompt_leaders().await?;
    let prompt = w.last_dm(ALICE)?;
    assert!(
        prompt.to_string().contains("Your question this week"),
        "{prompt}"
    );
    let key = w
        .say(ALICE, "A customer said our onboarding felt like homework.")
        .await?;
    assert_eq!(w.outcome(&key).await?, Outcome::Applied);
    w.deliver().await?;
    let preview = w.last_dm(ALICE)?;
    let text = preview.to_string();
    assert!(
        text.contains("Here is your draft (v1)") && text.contains("homework"),
        "{text}"
    );
    assert!(
        button_id(&preview, "Submit for review").is_some(),
        "{preview}"
    );
    let alice = w.person(ALICE).await?;
    let draft = w
        .store
        .drafts_of(alice.id, &[DraftStatus::Editing])
        .await?
        .pop()
        .context("a draft")?;
    assert_eq!(draft.current_version, 1);
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}

async fn a_duplicated_interaction_is_applied_once(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let w = World::start(store, SLOW_DEFER).await?;
    w.prompt_leaders().await?;
    w.say(ALICE, "An insight worth sharing.").await?;
    w.deliver().await?;
    let submit = button_id(&w.last_dm(ALICE)?, "Submit for review").context("submit")?;
    let place = w.dm_place(ALICE)?;
    let key = w.next_id();
    let payload = payloads::button(&key, ALICE, &place, &submit);
    w.fake
        .gateway
        .dispatch("INTERACTION_CREATE", payload.clone());
    assert_eq!(w.outcome(&key).await?, Outcome::Applied);
    w.fake.gateway.dispatch("INTERACTION_CREATE", payload);
    w.wait_progress("the duplicate", |p| {
        p.recent
            .iter()
            .any(|(k, o)| k == &key && *o == Outcome::Duplicate)
    })
    .await?;
    w.deliver().await?;
    let reviews = w
        .dms(CAROL)?
        .into_iter()
        .filter(|m| button_id(m, "Approve").is_some())
        .count();
    assert_eq!(reviews, 1, "one review request");
    let answers = w
        .fake
        .interaction_answers()
        .into_iter()
        .filter(|r| r.path.contains(&key))
        .count();
    assert_eq!(answers, 1, "the interaction was answered once");
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}

async fn a_gateway_drop_mid_flow_resumes_and_loses_nothing(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = World::start(store, SLOW_DEFER).await?;
    w.prompt_leaders().await?;
    w.say(ALICE, "First half of the insight.").await?;
    w.wait_progress("connected", |p| p.connected).await?;
    w.fake.gateway.drop_connection();
    // Sent while the socket is down: Discord keeps it for the resume.
    let missed = w.next_id();
    let dm = w.dm_channel(ALICE)?;
    w.fake.gateway.dispatch(
        "MESSAGE_CREATE",
        payloads::dm_message(
            &missed,
            &dm,
            ALICE,
            "Second half, sent during the drop.",
            false,
        ),
    );
    assert_eq!(w.outcome(&missed).await?, Outcome::Applied);
    // `/readyz` follows `connected`: up again with the resume.
    w.wait_progress("the resume", |p| p.resumes >= 1 && p.connected)
        .await?;
    let resumes = w.fake.gateway.resumes();
    assert_eq!(resumes.len(), 1, "{resumes:?}");
    assert_eq!(
        w.fake.gateway.sessions(),
        1,
        "resumed, not identified again"
    );
    assert_eq!(w.fake.gateway.identifies().len(), 1);
    w.deliver().await?;
    let text = w.last_dm(ALICE)?.to_string();
    assert!(
        text.contains("First half") && text.contains("Second half"),
        "both messages joined the draft: {text}"
    );
    // After the resume the socket carries new events as before.
    let after = w.say(BOB, "Bob's answer after the resume.").await?;
    assert_eq!(w.outcome(&after).await?, Outcome::Applied);
    w.stop().await
}

async fn slash_and_message_commands_are_answered_through_their_token(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = World::start(store, SLOW_DEFER).await?;
    let channel = Place::Guild {
        guild: GUILD.into(),
        channel: SHARE.into(),
    };
    let key = w.next_id();
    w.fake.gateway.dispatch(
        "INTERACTION_CREATE",
        payloads::slash(
            &key,
            ALICE,
            &channel,
            json!([{"type": 1, "name": "status", "options": []}]),
        ),
    );
    assert_eq!(w.outcome(&key).await?, Outcome::Applied);
    w.deliver().await?;
    let answer = w.answer_to(&key)?;
    assert_eq!(answer.body["type"], json!(4), "{answer:?}");
    assert_eq!(
        answer.body["data"]["flags"],
        json!(64),
        "only Alice sees it"
    );
    // "Draft an insight" on someone's message starts a draft from its text.
    let key = w.next_id();
    w.fake.gateway.dispatch(
        "INTERACTION_CREATE",
        payloads::message_command(
            &key,
            BOB,
            &channel,
            amplifier::discord::commands::DRAFT_FROM_MESSAGE,
            &w.next_id(),
            DAN,
            "Shipping weekly beats shipping perfect.",
        ),
    );
    assert_eq!(w.outcome(&key).await?, Outcome::Applied);
    w.deliver().await?;
    w.answer_to(&key)?;
    let bob = w.person(BOB).await?;
    let drafts = w.store.drafts_of(bob.id, &[DraftStatus::Editing]).await?;
    assert_eq!(drafts.len(), 1, "a draft from the message");
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}

async fn an_interaction_nobody_answers_in_time_is_deferred(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = World::start(store, Duration::from_millis(50)).await?;
    let key = w.next_id();
    let channel = Place::Guild {
        guild: GUILD.into(),
        channel: SHARE.into(),
    };
    w.fake.gateway.dispatch(
        "INTERACTION_CREATE",
        payloads::slash(
            &key,
            ALICE,
            &channel,
            json!([{"type": 1, "name": "help", "options": []}]),
        ),
    );
    assert_eq!(w.outcome(&key).await?, Outcome::Applied);
    // Delivery is not running: the adapter defers on its own.
    w.wait_progress("the deferral", |p| p.deferred >= 1).await?;
    let deferral = w.answer_to(&key)?;
    assert_eq!(deferral.body, json!({"type": 5, "data": {"flags": 64}}));
    // The engine's answer then goes out as a follow-up through the token.
    w.deliver().await?;
    let answers: Vec<_> = w
        .fake
        .interaction_answers()
        .into_iter()
        .filter(|r| r.path.contains(&format!("token-{key}")))
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert!(answers[1].path.starts_with("/webhooks/"), "{answers:?}");
    assert_eq!(answers[1].status, 200);
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}

async fn hostile_text_in_an_insight_pings_no_one(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let w = World::start(store, SLOW_DEFER).await?;
    w.prompt_leaders().await?;
    let hostile = "My insight @everyone @here <@&123> <@456>";
    w.say(ALICE, hostile).await?;
    w.deliver().await?;
    w.click_in_dm(ALICE, "Submit for review").await?;
    w.click_in_dm(CAROL, "Approve").await?;
    w.say(
        ALICE,
        "https://www.linkedin.com/posts/alice_insight-activity-7265000000000000000-AbCd",
    )
    .await?;
    w.tick_and_deliver().await?;
    let published = w.fake.messages_in(SHARE);
    assert!(
        published
            .iter()
            .any(|m| m.to_string().contains("My insight")),
        "published: {published:?}"
    );
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    let mut carried = 0;
    for request in w.fake.requests() {
        let body = if request.body["data"].is_object() {
            &request.body["data"]
        } else {
            &request.body
        };
        if !body.to_string().contains("My insight") {
            continue;
        }
        carried += 1;
        let mentions = &body["allowed_mentions"];
        assert_eq!(mentions["parse"], json!([]), "{request:?}");
        assert_eq!(mentions["roles"], json!([]), "{request:?}");
        let users = mentions["users"].as_array().cloned().unwrap_or_default();
        assert!(!users.contains(&json!("456")), "{request:?}");
    }
    assert!(
        carried >= 3,
        "the preview, the review and the post carried the text"
    );
    w.stop().await
}

async fn the_whole_week_runs_on_discord(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let w = World::start(store, SLOW_DEFER).await?;
    // Prompt: at 09:00 in Berlin each leader gets one question.
    w.prompt_leaders().await?;
    for leader in [ALICE, BOB] {
        let prompt = w.last_dm(leader)?;
        assert!(button_id(&prompt, "Write in editor").is_some(), "{prompt}");
        assert!(button_id(&prompt, "Skip this week").is_some(), "{prompt}");
    }
    // Reply in the DM → draft v1 with a preview.
    w.say(ALICE, "A customer said our onboarding felt like homework.")
        .await?;
    w.say(ALICE, "We cut it to four steps.").await?;
    w.deliver().await?;
    let preview = w.last_dm(ALICE)?.to_string();
    assert!(
        preview.contains("homework") && preview.contains("four steps"),
        "{preview}"
    );
    // Submit → the approver gets the review.
    w.click_in_dm(ALICE, "Submit for review").await?;
    let review = w.last_dm(CAROL)?;
    assert!(button_id(&review, "Request changes").is_some(), "{review}");
    // Request changes: a form, then the comment reaches the leader with an Edit button.
    let form = w.click_in_dm(CAROL, "Request changes").await?;
    let form = form.context("the comment form opened")?;
    w.submit_form(CAROL, &form, &["Name the four steps."])
        .await?;
    let changes = w.last_dm(ALICE)?;
    assert!(
        changes.to_string().contains("Name the four steps."),
        "{changes}"
    );
    // Resubmit: Edit opens the editor; the new text is v2; the reviewer sees what changed.
    let editor = w
        .click_in_dm(ALICE, "Edit")
        .await?
        .context("the editor opened")?;
    w.submit_form(
        ALICE,
        &editor,
        &["A customer said our onboarding felt like homework. We cut it to four steps: sign in, import, invite, report."],
    )
    .await?;
    w.click_in_dm(ALICE, "Submit for review").await?;
    let review = w.last_dm(CAROL)?.to_string();
    assert!(
        review.contains("v2") && review.contains("What changed since v1"),
        "{review}"
    );
    // Approve → the leader gets the post kit.
    w.click_in_dm(CAROL, "Approve").await?;
    let kit = w.last_dm(ALICE)?;
    assert!(
        kit.to_string()
            .contains("Post it on your own profile first"),
        "{kit}"
    );
    let alice = w.person(ALICE).await?;
    let draft = w
        .store
        .drafts_of(alice.id, &[DraftStatus::Approved])
        .await?
        .pop()
        .context("approved draft")?;
    let reviews = w.store.reviews(draft.id).await?;
    assert_eq!(
        reviews
            .iter()
            .map(|r| (r.version, r.decision.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "request_changes"), (2, "approve")]
    );
    // The leader pastes the link of their own post → published in the share channel with the kit.
    w.say(
        ALICE,
        "https://www.linkedin.com/posts/alice_onboarding-activity-7265000000000000000-AbCd",
    )
    .await?;
    w.tick_and_deliver().await?;
    let post = w.store.post_of_draft(draft.id).await?.context("post")?;
    assert_eq!(post.status, PostStatus::Published);
    let channel = w.fake.messages_in(SHARE);
    assert_eq!(channel.len(), 1, "{channel:?}");
    assert!(channel[0]
        .to_string()
        .contains("Engage with the original first"));
    // Nudges: every teammate but the author, in their DM.
    for teammate in [BOB, CAROL, DAN, ERIN, FRANK] {
        let nudges = w
            .dms(teammate)?
            .into_iter()
            .filter(|m| m.to_string().contains("Could you amplify it"))
            .count();
        assert_eq!(nudges, 1, "{teammate}");
    }
    assert!(w
        .dms(ALICE)?
        .iter()
        .all(|m| !m.to_string().contains("Could you amplify it")));
    // A share click updates the live count on the channel post (edited, not posted again).
    w.click_in_dm(DAN, "Shared on LinkedIn").await?;
    let channel = w.fake.messages_in(SHARE);
    assert_eq!(channel.len(), 1);
    assert!(
        channel[0].to_string().contains("1 teammate shared it"),
        "{}",
        channel[0]
    );
    // A day later: one reminder to the leader who did not answer, one last nudge to those who did nothing.
    w.advance(chrono::Duration::days(1)).await?;
    assert!(w
        .dms(BOB)?
        .iter()
        .any(|m| m.to_string().contains("gentle reminder")));
    assert!(w
        .dms(ERIN)?
        .iter()
        .any(|m| m.to_string().contains("A last nudge")));
    assert!(!w
        .dms(DAN)?
        .iter()
        .any(|m| m.to_string().contains("A last nudge")));
    // Friday: the digest in the channel.
    w.advance(chrono::Duration::days(4)).await?;
    let digest: Vec<Value> = w
        .fake
        .messages_in(SHARE)
        .into_iter()
        .filter(|m| m.to_string().contains("Leadership's week"))
        .collect();
    assert_eq!(digest.len(), 1, "{digest:?}");
    assert!(
        digest[0].to_string().contains("1 post, 1 share"),
        "{}",
        digest[0]
    );
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    assert_eq!(w.fake.gateway.identifies().len(), 1);
    w.stop().await
}

/// The text of an interaction's first answer (`data`) or of a follow-up.
fn answer_text(r: &support::fake_discord::Recorded) -> String {
    let body = if r.path.contains("/interactions/") {
        &r.body["data"]
    } else {
        &r.body
    };
    body["content"]
        .as_str()
        .unwrap_or_default()
        .replace('\\', "")
}

/// Whether Grace is a member of the team in the store.
async fn grace_is_member(w: &World) -> anyhow::Result<bool> {
    let Some(grace) = w
        .store
        .person_by_platform_id(amplifier::domain::Platform::Discord, GUILD, GRACE)
        .await?
    else {
        return Ok(false);
    };
    Ok(w.store
        .teams_of_person(grace.id)
        .await?
        .iter()
        .any(|(_, role)| *role == amplifier::store::Role::Member))
}

async fn join_and_leave_give_and_take_the_opt_in_role(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let w = World::start(store, Duration::from_secs(120)).await?;
    let role_path = format!("/guilds/{GUILD}/members/{GRACE}/roles/{OPT_IN}");
    let (key, outcome) = w.slash(GRACE, "join", None).await?;
    assert_eq!(outcome, Outcome::Applied);
    w.deliver().await?;
    assert_eq!(w.fake.member_roles(GUILD, GRACE), [OPT_IN]);
    assert!(
        grace_is_member(&w).await?,
        "the store agrees with the server"
    );
    let answer = w.answer_to(&key)?;
    assert_eq!(answer.body["data"]["flags"], json!(64));
    assert!(
        answer_text(&answer).contains("Welcome aboard"),
        "{answer:?}"
    );
    // Joining again changes nothing and says so.
    let (key, _) = w.slash(GRACE, "join", None).await?;
    w.deliver().await?;
    assert!(answer_text(&w.answer_to(&key)?).contains("already in"));
    assert_eq!(w.fake.member_roles(GUILD, GRACE), [OPT_IN]);
    let (key, outcome) = w.slash(GRACE, "leave", None).await?;
    assert_eq!(outcome, Outcome::Applied);
    w.deliver().await?;
    assert!(w.fake.member_roles(GUILD, GRACE).is_empty());
    assert!(!grace_is_member(&w).await?);
    assert!(answer_text(&w.answer_to(&key)?).contains("You're out"));
    let role_calls: Vec<String> = w
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path == role_path)
        .map(|r| format!("{} {}", r.method, r.status))
        .collect();
    assert_eq!(role_calls, ["PUT 204", "PUT 204", "DELETE 204"]);
    // Someone given the role by hand, never listed, leaves: the role goes, and the answer does not say otherwise.
    let by_hand = "100000000000000012";
    w.fake.set_member_roles(GUILD, by_hand, &[OPT_IN]);
    let (key, outcome) = w.slash(by_hand, "leave", None).await?;
    assert_eq!(outcome, Outcome::Applied);
    w.deliver().await?;
    assert!(w.fake.member_roles(GUILD, by_hand).is_empty());
    let said = answer_text(&w.answer_to(&key)?);
    assert!(said.contains("You're out"), "{said}");
    // A crowd joining at once meets the route's limit: a short 429 is waited out, and the role still arrives.
    w.fake.fail_next(
        &role_path,
        429,
        json!({"message": "You are being rate limited.", "retry_after": 0.2, "global": false}),
        1,
    );
    let (_, outcome) = w.slash(GRACE, "join", None).await?;
    assert_eq!(outcome, Outcome::Applied);
    w.deliver().await?;
    assert_eq!(w.fake.member_roles(GUILD, GRACE), [OPT_IN]);
    assert!(grace_is_member(&w).await?);
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}

async fn a_refused_role_tells_the_member_what_an_admin_must_fix(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = World::start(store, Duration::from_secs(120)).await?;
    // An admin dragged the opt-in role above the bot's: Discord refuses to give it (50013).
    let mut role = w.fake.role(GUILD, OPT_IN).context("the opt-in role")?;
    role.position = 5;
    w.fake.set_role(GUILD, role.clone());
    let (key, outcome) = w.slash(GRACE, "join", None).await?;
    assert!(matches!(outcome, Outcome::Refused(_)), "{outcome:?}");
    w.deliver().await?;
    assert_eq!(w.fake.role_refusals(), 1);
    assert!(w.fake.member_roles(GUILD, GRACE).is_empty());
    assert!(!grace_is_member(&w).await?, "nothing recorded");
    let answers: Vec<_> = w
        .fake
        .interaction_answers()
        .into_iter()
        .filter(|r| r.path.contains(&key))
        .collect();
    assert_eq!(answers.len(), 1, "one answer: {answers:?}");
    let answer = &answers[0];
    assert_eq!(answer.body["type"], json!(4));
    assert_eq!(
        answer.body["data"]["flags"],
        json!(64),
        "only Grace sees it"
    );
    let text = answer_text(answer);
    for says in [
        "you are not in yet",
        "Missing Permissions",
        "Manage Roles",
        "drag it above the opt-in role",
    ] {
        assert!(text.contains(says), "{says:?} missing from {text}");
    }
    assert_eq!(
        answer.body["data"]["allowed_mentions"]["roles"],
        json!([]),
        "naming the role pings nobody"
    );
    // Once the admin fixed it, the same command works.
    role.position = 1;
    w.fake.set_role(GUILD, role);
    let (_, outcome) = w.slash(GRACE, "join", None).await?;
    assert_eq!(outcome, Outcome::Applied);
    w.deliver().await?;
    assert_eq!(w.fake.member_roles(GUILD, GRACE), [OPT_IN]);
    assert!(grace_is_member(&w).await?);
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}

const GUILD2: &str = "100000000000000019";
const SHARE2: &str = "110000000000000019";
/// In the second server only.
const IVY: &str = "100000000000000011";

/// `user` types `/amplify SUB` in their DM with the bot (`channel`); returns the key and the outcome.
async fn dm_slash(
    w: &World,
    user: &str,
    channel: &str,
    sub: &str,
) -> anyhow::Result<(String, Outcome)> {
    let key = w.next_id();
    w.fake.gateway.dispatch(
        "INTERACTION_CREATE",
        payloads::slash(
            &key,
            user,
            &Place::Dm {
                channel: channel.into(),
            },
            json!([{"type": 1, "name": sub, "options": []}]),
        ),
    );
    let outcome = w.outcome(&key).await?;
    Ok((key, outcome))
}

/// `user` writes `text` in their DM with the bot (`channel`, one the test names); returns the outcome.
async fn dm_text(w: &World, user: &str, channel: &str, text: &str) -> anyhow::Result<Outcome> {
    let key = w.next_id();
    w.fake.gateway.dispatch(
        "MESSAGE_CREATE",
        payloads::dm_message(&key, channel, user, text, false),
    );
    w.outcome(&key).await
}

async fn muted_in(w: &World, guild: &str, user: &str) -> anyhow::Result<Option<bool>> {
    Ok(w.store
        .person_by_platform_id(amplifier::domain::Platform::Discord, guild, user)
        .await?
        .map(|p| p.muted))
}

async fn a_dm_belongs_to_the_server_the_person_is_a_member_of(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    // A second team in a second server, where Alice leads too and Ivy is a member of the server only.
    let second = format!(
        r#"
[[teams]]
name = "Zeta"
platform = "discord"
workspace_id = "{GUILD2}"
leaders = ["{ALICE}"]
self_approval = true
share_channel = "{SHARE2}"
time_zone = "Europe/Berlin"
"#
    );
    let w = World::start_with(store, Duration::from_secs(120), &second).await?;
    w.fake.add_guild(
        GUILD2,
        "Second Server",
        &[(SHARE2, "amplify")],
        &[ALICE, IVY],
    );
    w.fake.gateway.join_guild(GUILD2);
    // Ivy is in the second server only: her DM command is that server's, not the first team's.
    let (_, outcome) = dm_slash(&w, IVY, "1300000000000000501", "mute").await?;
    assert_eq!(outcome, Outcome::Applied);
    w.deliver().await?;
    assert_eq!(muted_in(&w, GUILD2, IVY).await?, Some(true));
    assert_eq!(
        muted_in(&w, GUILD, IVY).await?,
        None,
        "never the first server's"
    );
    // Alice is in both: help needs no team and is answered at once.
    let (key, outcome) = dm_slash(&w, ALICE, "1300000000000000502", "help").await?;
    assert_eq!(outcome, Outcome::Applied);
    w.deliver().await?;
    w.answer_to(&key)?;
    // A command that needs a team is answered with a question, never a guess.
    let (key, outcome) = dm_slash(&w, ALICE, "1300000000000000502", "mute").await?;
    assert_eq!(outcome, Outcome::Asked);
    let question = w.answer_to(&key)?;
    assert_eq!(question.body["type"], json!(4));
    assert_eq!(question.body["data"]["flags"], json!(64));
    let menu = &question.body["data"]["components"][0]["components"][0];
    assert_eq!(menu["type"], json!(3), "a select menu: {question:?}");
    let offered: Vec<(&str, &str)> = menu["options"]
        .as_array()
        .context("options")?
        .iter()
        .map(|o| {
            (
                o["label"].as_str().unwrap_or(""),
                o["value"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(offered, [("Community", GUILD), ("Second Server", GUILD2)]);
    assert_eq!(muted_in(&w, GUILD, ALICE).await?, Some(false));
    assert_eq!(
        muted_in(&w, GUILD2, ALICE).await?,
        Some(false),
        "nothing done yet"
    );
    // She chooses the second server: the command runs there, answered through the choice.
    let custom_id = menu["custom_id"].as_str().context("custom_id")?.to_string();
    let choice = w.next_id();
    let dm = Place::Dm {
        channel: "1300000000000000502".into(),
    };
    w.fake.gateway.dispatch(
        "INTERACTION_CREATE",
        payloads::select(&choice, ALICE, &dm, &custom_id, &[GUILD2]),
    );
    assert_eq!(w.outcome(&choice).await?, Outcome::Applied);
    w.deliver().await?;
    assert_eq!(muted_in(&w, GUILD2, ALICE).await?, Some(true));
    assert_eq!(muted_in(&w, GUILD, ALICE).await?, Some(false));
    assert!(answer_text(&w.answer_to(&choice)?).contains("Muted"));
    // The same menu twice does nothing twice.
    let again = w.next_id();
    w.fake.gateway.dispatch(
        "INTERACTION_CREATE",
        payloads::select(&again, ALICE, &dm, &custom_id, &[GUILD]),
    );
    assert_eq!(w.outcome(&again).await?, Outcome::Ignored);
    assert_eq!(muted_in(&w, GUILD, ALICE).await?, Some(false));
    assert!(answer_text(&w.answer_to(&again)?).contains("no longer open"));
    // Memberships are read once and kept: 404 means not a member.
    let mut reads: Vec<(String, u16)> = w
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("/members/"))
        .map(|r| (r.path, r.status))
        .collect();
    reads.sort();
    assert_eq!(
        reads,
        [
            (format!("/guilds/{GUILD}/members/{ALICE}"), 200),
            (format!("/guilds/{GUILD}/members/{IVY}"), 404),
            (format!("/guilds/{GUILD2}/members/{ALICE}"), 200),
            (format!("/guilds/{GUILD2}/members/{IVY}"), 200),
        ]
    );
    // A DM message (nothing to ask a question with) from someone in both servers goes to the one where a
    // question waits for their answer: her answer becomes a draft in the second team, not the first.
    let zeta = w.store.team_by_name("Zeta").await?.context("team Zeta")?;
    let alice_there = w
        .store
        .person_by_platform_id(amplifier::domain::Platform::Discord, GUILD2, ALICE)
        .await?
        .context("Alice in the second server")?;
    let now = amplifier::clock::Clock::now(&*w.clock);
    let round = w.store.open_round(zeta.id, now, now).await?.round_id();
    w.store.create_ask(round, alice_there.id, None, now).await?;
    assert_eq!(
        dm_text(
            &w,
            ALICE,
            "1300000000000000502",
            "Our onboarding had eleven steps; we cut it to four."
        )
        .await?,
        Outcome::Applied
    );
    let drafts_in = |guild: &'static str| {
        let store = w.store.clone();
        async move {
            let Some(person) = store
                .person_by_platform_id(amplifier::domain::Platform::Discord, guild, ALICE)
                .await?
            else {
                return anyhow::Ok(0);
            };
            Ok(store.drafts_of(person.id, DraftStatus::ALL).await?.len())
        }
    };
    assert_eq!(
        (drafts_in(GUILD).await?, drafts_in(GUILD2).await?),
        (0, 1),
        "the answer joins the question that waits for it"
    );
    // With questions waiting in both servers, a DM message is never guessed: a menu in the DM asks which.
    let leadership = w
        .store
        .team_by_name("Leadership")
        .await?
        .context("team Leadership")?;
    let alice_here = w
        .store
        .person_by_platform_id(amplifier::domain::Platform::Discord, GUILD, ALICE)
        .await?
        .context("Alice in the first server")?;
    let round = w
        .store
        .open_round(leadership.id, now, now)
        .await?
        .round_id();
    w.store.create_ask(round, alice_here.id, None, now).await?;
    // (Her first answer closed the second server's question: a new week asks her there again.)
    let next_week = now + chrono::Duration::days(7);
    let round = w
        .store
        .open_round(zeta.id, next_week, now)
        .await?
        .round_id();
    let second_ask = w
        .store
        .create_ask(round, alice_there.id, None, now)
        .await?
        .id();
    assert_eq!(
        dm_text(
            &w,
            ALICE,
            "1300000000000000502",
            "Our support queue halved once we wrote the answers down."
        )
        .await?,
        Outcome::Asked
    );
    let asked = w
        .fake
        .messages_in("1300000000000000502")
        .into_iter()
        .rev()
        .find(|m| m["components"][0]["components"][0]["type"] == json!(3))
        .with_context(|| format!("a server menu in the DM: {:?}", w.fake.violations()))?;
    assert!(asked.get("flags").is_none_or(|f| f == &json!(0)), "{asked}");
    let custom_id = asked["components"][0]["components"][0]["custom_id"]
        .as_str()
        .context("custom_id")?
        .to_string();
    assert_eq!(
        (drafts_in(GUILD).await?, drafts_in(GUILD2).await?),
        (0, 1),
        "nothing done before the choice"
    );
    let choice = w.next_id();
    w.fake.gateway.dispatch(
        "INTERACTION_CREATE",
        payloads::select(&choice, ALICE, &dm, &custom_id, &[GUILD]),
    );
    assert_eq!(w.outcome(&choice).await?, Outcome::Applied);
    assert_eq!(
        (drafts_in(GUILD).await?, drafts_in(GUILD2).await?),
        (1, 1),
        "the message went where she chose"
    );
    // No question waits any more (she skips the second server's): known in both, a new DM is asked about again.
    w.store
        .set_ask_status(second_ask, amplifier::store::AskStatus::Skipped, now)
        .await?;
    assert_eq!(
        dm_text(
            &w,
            ALICE,
            "1300000000000000502",
            "A thought for a new draft."
        )
        .await?,
        Outcome::Asked
    );
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}

/// A community server: 5,000 members, the team nudges by one `role_post` in the share channel. Most hold the
/// opt-in role already (given by hand), some join and some leave with `/amplify`; one post pings the role's
/// holders as they are then, and nobody gets a nudge DM.
async fn a_community_of_5000_gets_one_role_post_and_no_nudge_dm(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let w = World::start_with(store, SLOW_DEFER, "nudge = \"role_post\"\n").await?;
    w.fake.allow_role_pings(OPT_IN);
    let community: Vec<String> = (0..5000u64)
        .map(|i| (120_000_000_000_000_000 + i).to_string())
        .collect();
    let ids: Vec<&str> = community.iter().map(String::as_str).collect();
    w.fake.add_members(GUILD, &ids);
    for id in &ids[..4950] {
        w.fake.set_member_roles(GUILD, id, &[OPT_IN]);
    }
    // 25 join with /amplify join; 10 who held the role leave with /amplify leave.
    let (joiners, leavers) = (&ids[4950..4975], &ids[..10]);
    for (people, sub) in [(joiners, "join"), (leavers, "leave")] {
        for id in people {
            let (_, outcome) = w.slash(id, sub, None).await?;
            assert_eq!(outcome, Outcome::Applied, "{sub} by {id}");
        }
    }
    w.deliver().await?;
    for id in joiners {
        assert_eq!(w.fake.member_roles(GUILD, id), [OPT_IN], "{id} joined");
    }
    for id in leavers {
        assert!(w.fake.member_roles(GUILD, id).is_empty(), "{id} left");
    }
    let holders = w.fake.holders(GUILD, OPT_IN);
    assert_eq!(holders, 4950 - 10 + 25);
    // The week: Alice answers, Carol approves, Alice pastes the link of her own post.
    w.prompt_leaders().await?;
    w.say(ALICE, "Our community answered 400 questions this week.")
        .await?;
    w.deliver().await?;
    w.click_in_dm(ALICE, "Submit for review").await?;
    w.click_in_dm(CAROL, "Approve").await?;
    w.say(
        ALICE,
        "https://www.linkedin.com/posts/alice_community-activity-7265000000000000001-AbCd",
    )
    .await?;
    w.tick_and_deliver().await?;
    // A day goes by: reminders would come now, nudges too; none do.
    w.advance(chrono::Duration::days(1)).await?;
    let channel = w.fake.messages_in(SHARE);
    assert_eq!(channel.len(), 1, "one post: {channel:?}");
    let post = &channel[0];
    assert!(
        post["content"]
            .as_str()
            .is_some_and(|c| c.contains(&format!("<@&{OPT_IN}>"))),
        "{post}"
    );
    assert_eq!(post["allowed_mentions"]["roles"], json!([OPT_IN]));
    assert_eq!(post["allowed_mentions"]["parse"], json!([]));
    // Discord pings the role's holders as they are: those who left are not pinged, those who joined are.
    assert_eq!(
        w.fake.role_pings(),
        [(SHARE.to_string(), OPT_IN.to_string(), holders)]
    );
    // Nobody was nudged by DM: no DM to any member of the community or of the team's members.
    assert!(
        ids.iter().all(|id| w.fake.dm_channel_of(id).is_none()),
        "a community member got a DM"
    );
    for teammate in [DAN, ERIN, FRANK, BOB, CAROL] {
        let nudged = w
            .fake
            .dm_channel_of(teammate)
            .map(|c| w.fake.messages_in(&c))
            .unwrap_or_default()
            .iter()
            .any(|m| m.to_string().contains("amplify it"));
        assert!(!nudged, "{teammate} was nudged by DM");
    }
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "took {took:?}");
    w.stop().await
}
