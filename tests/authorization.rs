//! Forged buttons, forms and commands through the real adapters: another team's draft id, a member or a leader
//! approving, the author approving their own draft, someone from another Slack workspace or Discord server,
//! someone else's ask, draft or post, malformed ids, team changes by a non-admin. Each forgery is sent twice and
//! refused both times: the forger (and nobody else) is told why, an audit entry names them, and nothing in the
//! store changes. The real approver's approval then works, so the refusals were not an accident of set-up.

mod support;

#[path = "drive/slack.rs"]
mod slack;
#[path = "drive/state.rs"]
mod state;
#[allow(dead_code)]
#[path = "discord_gateway/world.rs"]
mod world;

use amplifier::discord::gateway::Outcome;
use amplifier::domain::Platform;
use amplifier::store::{AskStatus, DraftStatus, PostStatus, Store};
use anyhow::Context;
use serde_json::{json, Value};
use slack::{Slack, Where};
use state::{audited, state, State};
use std::sync::Arc;
use std::time::Duration;
use support::fake_discord::gateway::{payloads, Place};
use support::fake_slack::rig::SHARE_CHANNEL;
use support::fake_slack::TEAM;
use support::Case;
use world::{World, GUILD, SHARE};

const CASES: &[(&str, Case)] = &[
    (
        "forgeries_on_slack_are_refused_and_audited_every_time",
        |s| Box::pin(forgeries_on_slack_are_refused_and_audited_every_time(s)),
    ),
    (
        "forgeries_on_discord_are_refused_and_audited_every_time",
        |s| Box::pin(forgeries_on_discord_are_refused_and_audited_every_time(s)),
    ),
];

fn main() {
    support::run_suite("authorization", CASES, Vec::new());
}

/// Who acts. Alice and Bob lead Leadership, Carol approves it and is the admin, Dan and Erin are its members;
/// Erin also leads Ghosts, which Dan approves; Mallory is from another workspace or server; the stranger is in
/// no team and acts from their DM with the bot (on Discord a DM names no server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Alice,
    Bob,
    Carol,
    Dan,
    Erin,
    Mallory,
    Stranger,
}

/// What a forger sends.
#[derive(Debug, Clone)]
enum Act {
    Press(String),
    Submit(String, Vec<(&'static str, &'static str)>),
    Command(String),
}

struct Forgery {
    who: Who,
    act: Act,
    /// What the refusal says.
    reply: &'static str,
    /// The audit action that records it.
    audit: &'static str,
}

const NOT_APPROVER: &str = "Only the team's approvers can review that draft.";
const NOT_AUTHOR: &str = "Only the author can change that draft.";
const NOT_MINE: &str = "That button is not one of mine";
const NOT_YOUR_ASK: &str = "That question was not asked to you";
const NOT_POST_AUTHOR: &str = "Only the author can do that for this post.";
const NOT_PUBLISHER: &str = "Only the author or an approver can publish this post.";
const NOT_TEAM: &str = "That post belongs to a team you are not part of.";
const NOT_ADMIN: &str = "Only admins can change teams.";

fn press(who: Who, id: String, reply: &'static str, audit: &'static str) -> Forgery {
    Forgery {
        who,
        act: Act::Press(id),
        reply,
        audit,
    }
}

/// The forgeries while Alice's draft (`alice`, v1) waits for Leadership's approver and Erin's (`erin`) for
/// Ghosts'; `bob_ask` is Bob's open question.
fn draft_forgeries(alice: i64, erin: i64, bob_ask: i64) -> Vec<Forgery> {
    let review = |who, verb: &str, draft: i64| {
        press(
            who,
            format!("{verb}:{draft}:1"),
            NOT_APPROVER,
            "review.refused",
        )
    };
    vec![
        // Another team's draft: Leadership's approver on Ghosts' draft, Ghosts' approver on Leadership's.
        review(Who::Carol, "ap", erin),
        review(Who::Dan, "ap", alice),
        // A leader who is no approver, for every review action; the author on their own draft.
        review(Who::Bob, "ap", alice),
        review(Who::Bob, "ea", alice),
        review(Who::Bob, "rc", alice),
        review(Who::Bob, "rj", alice),
        review(Who::Alice, "ap", alice),
        // Someone from another workspace or server.
        review(Who::Mallory, "ap", alice),
        review(Who::Mallory, "rj", erin),
        review(Who::Stranger, "ap", alice),
        // A draft that does not exist.
        review(Who::Carol, "ap", 987_654_321),
        // The edited text of "Edit & approve", submitted by a non-approver: no version is added.
        Forgery {
            who: Who::Bob,
            act: Act::Submit(format!("ea:{alice}:1"), vec![("insight", "Forged text.")]),
            reply: NOT_APPROVER,
            audit: "review.refused",
        },
        // Someone else's draft.
        press(
            Who::Bob,
            format!("su:{alice}"),
            NOT_AUTHOR,
            "action.refused",
        ),
        press(
            Who::Bob,
            format!("ed:{alice}"),
            NOT_AUTHOR,
            "action.refused",
        ),
        press(
            Who::Carol,
            format!("di:{alice}"),
            NOT_AUTHOR,
            "action.refused",
        ),
        press(
            Who::Mallory,
            format!("di:{erin}"),
            NOT_AUTHOR,
            "action.refused",
        ),
        Forgery {
            who: Who::Dan,
            act: Act::Submit(format!("ed:{erin}"), vec![("insight", "Forged text.")]),
            reply: NOT_AUTHOR,
            audit: "action.refused",
        },
        // Someone else's question.
        press(
            Who::Dan,
            format!("sk:{bob_ask}"),
            NOT_YOUR_ASK,
            "action.refused",
        ),
        press(
            Who::Alice,
            format!("we:{bob_ask}"),
            NOT_YOUR_ASK,
            "action.refused",
        ),
        press(
            Who::Mallory,
            format!("rt:{bob_ask}"),
            NOT_YOUR_ASK,
            "action.refused",
        ),
        // Ids we never made.
        press(
            Who::Carol,
            format!("ap:{alice}:1:1"),
            NOT_MINE,
            "action.refused",
        ),
        press(
            Who::Carol,
            format!("ap:-{alice}:1"),
            NOT_MINE,
            "action.refused",
        ),
        press(
            Who::Carol,
            "ap:99999999999999999999:1".into(),
            NOT_MINE,
            "action.refused",
        ),
        press(
            Who::Mallory,
            "<!channel>".into(),
            NOT_MINE,
            "action.refused",
        ),
        // Team changes by someone who is no admin.
        Forgery {
            who: Who::Bob,
            act: Act::Command("team add approver <@{bob}> to Ghosts".into()),
            reply: NOT_ADMIN,
            audit: "team.refused",
        },
        Forgery {
            who: Who::Mallory,
            act: Act::Command("team create Takeover".into()),
            reply: NOT_ADMIN,
            audit: "team.refused",
        },
    ]
}

/// The forgeries once Alice's post (`post`) waits for her link.
fn post_forgeries(post: i64) -> Vec<Forgery> {
    vec![
        press(
            Who::Dan,
            format!("pn:{post}"),
            NOT_PUBLISHER,
            "action.refused",
        ),
        press(
            Who::Mallory,
            format!("pn:{post}"),
            NOT_PUBLISHER,
            "action.refused",
        ),
        press(
            Who::Bob,
            format!("so:{post}"),
            NOT_POST_AUTHOR,
            "action.refused",
        ),
        press(
            Who::Bob,
            format!("pl:{post}"),
            NOT_POST_AUTHOR,
            "action.refused",
        ),
        Forgery {
            who: Who::Carol,
            act: Act::Submit(
                format!("pl:{post}"),
                vec![(
                    "link",
                    "https://www.linkedin.com/posts/carol_forged-activity-7265000000000000000-AbCd",
                )],
            ),
            reply: NOT_POST_AUTHOR,
            audit: "action.refused",
        },
        press(
            Who::Mallory,
            format!("sh:{post}:linkedin"),
            NOT_TEAM,
            "action.refused",
        ),
        press(
            Who::Mallory,
            format!("nt:{post}"),
            NOT_TEAM,
            "action.refused",
        ),
        press(
            Who::Mallory,
            format!("ps:{post}"),
            NOT_TEAM,
            "action.refused",
        ),
        // Someone in no team, from a DM: sharing there does not make them a member.
        press(
            Who::Stranger,
            format!("sh:{post}:linkedin"),
            NOT_TEAM,
            "action.refused",
        ),
        press(
            Who::Stranger,
            format!("nt:{post}"),
            NOT_TEAM,
            "action.refused",
        ),
    ]
}

/// The state without the outbox: a refusal's answer is a row, but nothing else may change.
fn without_outbox(mut s: State) -> State {
    s.outbox_rows = 0;
    s
}

/// Runs each forgery twice through `send` (which returns what the platform received, as text addressed to the
/// forger, and any message sent to someone else) and checks the refusal every time.
async fn refuse_each<F, Fut>(
    store: &dyn Store,
    forgeries: &[Forgery],
    id_of: impl Fn(Who) -> String,
    mut send: F,
) -> anyhow::Result<()>
where
    F: FnMut(Who, Act) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Vec<String>, Vec<String>)>>,
{
    for f in forgeries {
        for attempt in 1..=2 {
            let what = format!("{:?} {:?} (attempt {attempt})", f.who, f.act);
            let before = without_outbox(state(store).await?);
            let audits = audited(store, f.audit).await?.len();
            let (to_forger, to_others) = send(f.who, f.act.clone()).await?;
            anyhow::ensure!(
                to_others.is_empty(),
                "{what}: others were told {to_others:?}"
            );
            anyhow::ensure!(
                to_forger.len() == 1 && to_forger[0].contains(f.reply),
                "{what}: the answer is {to_forger:?}, not {:?}",
                f.reply
            );
            let log = audited(store, f.audit).await?;
            anyhow::ensure!(
                log.len() == audits + 1,
                "{what}: {} new {} entries",
                log.len() as i64 - audits as i64,
                f.audit
            );
            anyhow::ensure!(
                log[0].0.ends_with(&format!(":{}", id_of(f.who))),
                "{what}: audited as {:?}",
                log[0]
            );
            let after = without_outbox(state(store).await?);
            anyhow::ensure!(before == after, "{what}: changed {before:?} into {after:?}");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Slack

const OTHER_TEAM: &str = "T0OTHER0001";
const MALLORY: &str = "U0MALLORY1";
const STRANGER: &str = "U0STRANGE1";

fn slack_id(who: Who) -> (&'static str, &'static str) {
    use support::fake_slack::rig::{ALICE, BOB, CAROL, DAN, ERIN};
    match who {
        Who::Alice => (TEAM, ALICE),
        Who::Bob => (TEAM, BOB),
        Who::Carol => (TEAM, CAROL),
        Who::Dan => (TEAM, DAN),
        Who::Erin => (TEAM, ERIN),
        Who::Mallory => (OTHER_TEAM, MALLORY),
        Who::Stranger => (TEAM, STRANGER),
    }
}

/// Sends an act from the share channel (a shared channel, for Mallory); returns the answers to the actor and
/// any message to anyone else.
async fn slack_act(s: &Slack, who: Who, act: Act) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (team, user) = slack_id(who);
    let place = match who {
        Who::Stranger => Where::Dm,
        _ => Where::Channel(SHARE_CHANNEL.to_string()),
    };
    let mark = s.mark();
    match act {
        Act::Press(id) => s.push("interactive", s.press_payload(team, user, &place, &id)),
        Act::Submit(callback, fields) => s.push(
            "interactive",
            s.submit_payload(team, user, &callback, &fields),
        ),
        Act::Command(text) => {
            let text = text.replace("{bob}", slack_id(Who::Bob).1);
            s.push(
                "slash_commands",
                s.command_payload(team, user, &place, &text),
            )
        }
    }
    .await?;
    s.deliver().await?;
    let sent = s.since(mark);
    let problems = slack::mention_problems(&sent, &[]);
    anyhow::ensure!(problems.is_empty(), "{problems:?}");
    let im = s.rig.fake.im_of(user);
    let (mut mine, mut others) = (Vec::new(), Vec::new());
    for m in slack::messages(&sent) {
        let to_actor = match m.method.as_str() {
            "chat.postEphemeral" => m.args["user"] == user,
            _ => m.args["channel"] == im.as_str(),
        };
        let text = slack::readable(m);
        if to_actor {
            mine.push(text)
        } else {
            others.push(text)
        }
    }
    Ok((mine, others))
}

async fn slack_person(s: &Slack, who: Who) -> anyhow::Result<amplifier::store::Person> {
    let (team, user) = slack_id(who);
    s.rig
        .store
        .person_by_platform_id(Platform::Slack, team, user)
        .await?
        .with_context(|| format!("{who:?}"))
}

async fn in_review(store: &dyn Store, person: &amplifier::store::Person) -> anyhow::Result<i64> {
    Ok(store
        .drafts_of(person.id, &[DraftStatus::InReview])
        .await?
        .first()
        .context("a draft in review")?
        .id
        .0)
}

async fn open_ask(store: &dyn Store, person: &amplifier::store::Person) -> anyhow::Result<i64> {
    let asks = store.open_asks_of(person.id).await?;
    let ask = asks.first().context("an open ask")?;
    anyhow::ensure!(ask.status == AskStatus::Open);
    Ok(ask.id.0)
}

async fn forgeries_on_slack_are_refused_and_audited_every_time(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let s = Slack::start(store, world::monday()).await;
    s.rig.fake.add_user(MALLORY, "mallory", "Europe/London");
    s.rig.fake.add_user(STRANGER, "stranger", "Europe/London");
    s.rig.clock.advance(chrono::Duration::minutes(10));
    s.tick().await?;
    let store = s.rig.store.clone();
    let carol = slack_id(Who::Carol).1;
    let channel = Where::Channel(SHARE_CHANNEL.into());
    // Ghosts: Erin leads it, Dan approves it.
    for command in [
        "team create Ghosts".to_string(),
        format!("team add leader <@{}> to Ghosts", slack_id(Who::Erin).1),
        format!("team add approver <@{}> to Ghosts", slack_id(Who::Dan).1),
    ] {
        s.command(carol, &channel, &command).await?;
    }
    s.deliver().await?;
    for (who, text) in [
        (Who::Alice, "Alice's insight."),
        (Who::Erin, "Erin's insight."),
    ] {
        let user = slack_id(who).1;
        s.dm(user, text).await?;
        s.deliver().await?;
        let draft = store
            .drafts_of(slack_person(&s, who).await?.id, &[DraftStatus::Editing])
            .await?
            .first()
            .with_context(|| format!("{who:?}'s draft"))?
            .id
            .0;
        s.press(user, &Where::Dm, &format!("su:{draft}")).await?;
        s.deliver().await?;
    }
    let alice = in_review(&*store, &slack_person(&s, Who::Alice).await?).await?;
    let erin = in_review(&*store, &slack_person(&s, Who::Erin).await?).await?;
    let bob_ask = open_ask(&*store, &slack_person(&s, Who::Bob).await?).await?;
    let id_of = |who| slack_id(who).1.to_string();
    refuse_each(
        &*store,
        &draft_forgeries(alice, erin, bob_ask),
        id_of,
        |who, act| slack_act(&s, who, act),
    )
    .await?;
    // The real approver approves: the post waits for Alice's link.
    let (mine, _) = slack_act(&s, Who::Carol, Act::Press(format!("ap:{alice}:1"))).await?;
    anyhow::ensure!(mine.iter().any(|m| m.contains("Approved")), "{mine:?}");
    let post = store
        .posts_of_author(
            slack_person(&s, Who::Alice).await?.id,
            PostStatus::AwaitingLink,
        )
        .await?
        .first()
        .context("Alice's post")?
        .id
        .0;
    refuse_each(&*store, &post_forgeries(post), id_of, |who, act| {
        slack_act(&s, who, act)
    })
    .await?;
    assert_eq!(s.rig.fake.violations(), Vec::<String>::new());
    s.rig.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Discord

const OTHER_GUILD: &str = "100000000000000077";
const OTHER_CHANNEL: &str = "110000000000000077";
const D_MALLORY: &str = "100000000000000099";
const D_STRANGER: &str = "100000000000000088";

fn discord_id(who: Who) -> (&'static str, &'static str) {
    match who {
        Who::Alice => (GUILD, world::ALICE),
        Who::Bob => (GUILD, world::BOB),
        Who::Carol => (GUILD, world::CAROL),
        Who::Dan => (GUILD, world::DAN),
        Who::Erin => (GUILD, world::ERIN),
        Who::Mallory => (OTHER_GUILD, D_MALLORY),
        // The adapter attributes a DM to the only server with a team.
        Who::Stranger => (GUILD, D_STRANGER),
    }
}

/// Sends an act from a server channel (Mallory's own server for Mallory); returns the answers through the
/// interaction's token and any message sent anywhere else.
async fn discord_act(w: &World, who: Who, act: Act) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (guild, user) = discord_id(who);
    let place = match who {
        Who::Stranger => Place::Dm {
            channel: "1300000000000000777".into(),
        },
        _ => Place::Guild {
            guild: guild.into(),
            channel: if guild == GUILD { SHARE } else { OTHER_CHANNEL }.into(),
        },
    };
    let key = w.next_id();
    let mark = w.fake.request_count();
    let payload = match act {
        Act::Press(id) => payloads::button(&key, user, &place, &id),
        Act::Submit(callback, fields) => {
            payloads::modal_submit(&key, user, &place, &callback, &fields)
        }
        Act::Command(text) => {
            let text = text.replace("{bob}", discord_id(Who::Bob).1);
            // Every command here is an admin's `team …`: on Discord the admins' own command.
            let rest = text
                .strip_prefix("team ")
                .context("only team commands are acted here")?;
            let options = json!([{"type": 3, "name": "args", "value": rest}]);
            payloads::command(
                &key,
                user,
                &place,
                amplifier::discord::commands::TEAM_COMMAND,
                options,
            )
        }
    };
    w.fake.gateway.dispatch("INTERACTION_CREATE", payload);
    anyhow::ensure!(w.outcome(&key).await? == Outcome::Applied, "{key}");
    w.deliver().await?;
    let (mut mine, mut others) = (Vec::new(), Vec::new());
    for r in w.fake.requests_since(mark) {
        let body = if r.path.contains("/interactions/") {
            r.body["data"].clone()
        } else {
            r.body.clone()
        };
        // A refusal pings nobody (other messages, such as a review request naming its author, may).
        if r.path.contains(&key) && (body.get("content").is_some() || body.get("embeds").is_some())
        {
            let mentions = &body["allowed_mentions"];
            anyhow::ensure!(
                mentions["parse"] == json!([])
                    && mentions["users"].as_array().is_none_or(|u| u.is_empty()),
                "pings: {body}"
            );
        }
        let text = texts(&body);
        if r.path.contains(&key) {
            mine.push(text);
        } else {
            others.push(format!("{} {}: {text}", r.method, r.path));
        }
    }
    Ok((mine, others))
}

fn texts(v: &Value) -> String {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.replace('\\', "")),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    out.join("\n")
}

async fn discord_person(w: &World, who: Who) -> anyhow::Result<amplifier::store::Person> {
    let (guild, user) = discord_id(who);
    w.store
        .person_by_platform_id(Platform::Discord, guild, user)
        .await?
        .with_context(|| format!("{who:?}"))
}

async fn forgeries_on_discord_are_refused_and_audited_every_time(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let w = World::start(store, Duration::from_secs(120)).await?;
    w.fake.gateway.join_guild(OTHER_GUILD);
    w.prompt_leaders().await?;
    let store = w.store.clone();
    for command in [
        "team create Ghosts".to_string(),
        format!("team add leader <@{}> to Ghosts", world::ERIN),
        format!("team add approver <@{}> to Ghosts", world::DAN),
    ] {
        let (mine, _) = discord_act(&w, Who::Carol, Act::Command(command.clone())).await?;
        anyhow::ensure!(!mine.is_empty(), "{command}: {mine:?}");
    }
    for (who, text) in [
        (Who::Alice, "Alice's insight."),
        (Who::Erin, "Erin's insight."),
    ] {
        let key = w.next_id();
        w.fake.gateway.dispatch(
            "INTERACTION_CREATE",
            payloads::slash(
                &key,
                discord_id(who).1,
                &Place::Guild { guild: GUILD.into(), channel: SHARE.into() },
                json!([{"type": 1, "name": "draft", "options": [{"type": 3, "name": "text", "value": text}]}]),
            ),
        );
        anyhow::ensure!(w.outcome(&key).await? == Outcome::Applied, "{key}");
        w.deliver().await?;
        let draft = store
            .drafts_of(discord_person(&w, who).await?.id, &[DraftStatus::Editing])
            .await?
            .first()
            .with_context(|| format!("{who:?}'s draft"))?
            .id
            .0;
        let (mine, _) = discord_act(&w, who, Act::Press(format!("su:{draft}"))).await?;
        anyhow::ensure!(!mine.is_empty(), "{mine:?}");
    }
    let alice = in_review(&*store, &discord_person(&w, Who::Alice).await?).await?;
    let erin = in_review(&*store, &discord_person(&w, Who::Erin).await?).await?;
    let bob_ask = open_ask(&*store, &discord_person(&w, Who::Bob).await?).await?;
    let id_of = |who| discord_id(who).1.to_string();
    refuse_each(
        &*store,
        &draft_forgeries(alice, erin, bob_ask),
        id_of,
        |who, act| discord_act(&w, who, act),
    )
    .await?;
    let (mine, _) = discord_act(&w, Who::Carol, Act::Press(format!("ap:{alice}:1"))).await?;
    anyhow::ensure!(mine.iter().any(|m| m.contains("Approved")), "{mine:?}");
    let post = store
        .posts_of_author(
            discord_person(&w, Who::Alice).await?.id,
            PostStatus::AwaitingLink,
        )
        .await?
        .first()
        .context("Alice's post")?
        .id
        .0;
    refuse_each(&*store, &post_forgeries(post), id_of, |who, act| {
        discord_act(&w, who, act)
    })
    .await?;
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    w.stop().await
}
