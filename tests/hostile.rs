//! Hostile input through the real adapters: every case of `tests/data/hostile/corpus.toml` (mentions of every
//! kind on both platforms, 50 KB texts, direction, invisible and combining characters, emoji sequences, markup
//! and Block Kit injection, control characters, links that are no post, malformed commands and absurd dates)
//! reaches the engine as a DM, a form, `/amplify`, the message shortcut or a pasted link, on Slack (Socket
//! Mode) and on Discord (the gateway), one rig per platform and database for the whole corpus.
//!
//! For each case: the event is applied (no panic, no failure), nothing the bot sends breaks the platform's
//! spec or limits (the fakes record every violation), nobody is mentioned (Slack: no broadcast, no user
//! mention, no link markup in mrkdwn; Discord: `allowed_mentions` lets no one be pinged), only the person
//! who acted is answered, they are answered, and a mistake's answer names the problem.

mod support;

#[path = "drive/slack.rs"]
mod slack;
#[allow(dead_code)]
#[path = "discord_gateway/world.rs"]
mod world;

use amplifier::discord::gateway::Outcome;
use amplifier::domain::Platform;
use amplifier::store::{DraftStatus, PostStatus, Store};
use anyhow::Context;
use serde::Deserialize;
use serde_json::{json, Value};
use slack::{Slack, Where};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use support::fake_discord::gateway::{payloads, Place};
use support::fake_slack::rig::{ALICE as S_ALICE, CAROL as S_CAROL, SHARE_CHANNEL};
use support::fake_slack::TEAM as S_TEAM;
use support::Case;
use world::{World, ALICE as D_ALICE, CAROL as D_CAROL, GUILD, SHARE};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/hostile/corpus.toml"
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    case: Vec<HostileCase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Dm,
    Form,
    Command,
    Shortcut,
    Link,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostileCase {
    name: String,
    category: String,
    kind: Kind,
    #[serde(default)]
    prefix: String,
    text: String,
    repeat: Option<usize>,
    #[serde(default)]
    raw: bool,
    via: Option<String>,
    actor: Option<String>,
    platforms: Option<Vec<String>>,
    #[serde(default)]
    expect: Vec<String>,
}

impl HostileCase {
    fn text(&self) -> String {
        format!(
            "{}{}",
            self.prefix,
            self.text.repeat(self.repeat.unwrap_or(1))
        )
    }

    fn on(&self, platform: &str) -> bool {
        self.platforms
            .as_ref()
            .is_none_or(|p| p.iter().any(|x| x == platform))
    }

    fn by_admin(&self) -> bool {
        self.actor.as_deref() == Some("carol")
    }

    fn via_dm(&self) -> bool {
        self.kind == Kind::Dm || (self.kind == Kind::Link && self.via.as_deref() == Some("dm"))
    }

    /// A DM that is only whitespace (NUL is removed at the edge): nothing to answer.
    fn silent(&self) -> bool {
        self.via_dm() && self.text().replace('\0', "").trim().is_empty()
    }
}

fn corpus() -> &'static [HostileCase] {
    static CORPUS_CASES: OnceLock<Vec<HostileCase>> = OnceLock::new();
    CORPUS_CASES.get_or_init(|| {
        let text = std::fs::read_to_string(CORPUS).expect("the hostile corpus is readable");
        toml::from_str::<Corpus>(&text)
            .expect("the hostile corpus parses")
            .case
    })
}

const CASES: &[(&str, Case)] = &[
    ("the_corpus_on_slack", |s| Box::pin(the_corpus_on_slack(s))),
    ("the_corpus_on_discord", |s| {
        Box::pin(the_corpus_on_discord(s))
    }),
];

fn main() {
    let extra = vec![libtest_mimic::Trial::test(
        "the_corpus_covers_every_kind_of_hostile_input",
        || the_corpus_covers_every_kind_of_hostile_input().map_err(|e| format!("{e:#}").into()),
    )];
    support::run_suite("hostile", CASES, extra);
}

/// The corpus holds what the issue asks for: 200+ cases, unique names, every mention syntax of both platforms,
/// every category, and every case runs on at least one platform.
fn the_corpus_covers_every_kind_of_hostile_input() -> anyhow::Result<()> {
    let cases = corpus();
    anyhow::ensure!(cases.len() >= 200, "only {} cases", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    anyhow::ensure!(names.len() == cases.len(), "case names repeat");
    for category in [
        "mention", "long", "unicode", "markup", "control", "link", "command",
    ] {
        let n = cases.iter().filter(|c| c.category == category).count();
        anyhow::ensure!(n >= 10, "{n} cases of {category}");
    }
    for kind in [
        Kind::Dm,
        Kind::Form,
        Kind::Command,
        Kind::Shortcut,
        Kind::Link,
    ] {
        anyhow::ensure!(cases.iter().any(|c| c.kind == kind), "no {kind:?} case");
    }
    let texts: Vec<String> = cases.iter().map(HostileCase::text).collect();
    for token in [
        "<@U",
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<!subteam^",
        "<#C",
        "@everyone",
        "@here",
        "<@1",
        "<@!",
        "<@&",
        "<#1",
        "\u{202e}",
        "\u{200b}",
        "\u{200d}",
        "\u{0301}",
        "\u{0000}",
        "\u{001b}",
        "*bold*",
        "<http://evil",
        "&lt;",
        "\"blocks\"",
        "pause until 31/02",
        "pause until 99999",
        "pause until -1",
        "pause until in -3 days",
    ] {
        anyhow::ensure!(
            texts.iter().any(|t| t.contains(token)),
            "no case carries {token:?}"
        );
    }
    anyhow::ensure!(texts.iter().any(|t| t.len() >= 50_000), "no 50 KB text");
    for c in cases {
        anyhow::ensure!(c.on("slack") || c.on("discord"), "{} runs nowhere", c.name);
        // Every command and pasted link is answered with what was wrong (or what was done).
        anyhow::ensure!(
            !matches!(c.kind, Kind::Command | Kind::Link) || !c.expect.is_empty(),
            "{} says nothing about its answer",
            c.name
        );
        anyhow::ensure!(
            matches!(c.actor.as_deref(), None | Some("alice") | Some("carol")),
            "{}: actor",
            c.name
        );
    }
    Ok(())
}

/// Monday 2026-11-30, 07:55 UTC (08:55 in Berlin).
fn monday() -> chrono::DateTime<chrono::Utc> {
    world::monday()
}

/// Runs every case, collecting failures so one run shows them all.
async fn run_all<F, Fut>(platform: &str, cases: &[&HostileCase], mut run: F) -> Vec<String>
where
    F: FnMut(HostileCase) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut failures = Vec::new();
    for case in cases {
        if let Err(e) = run((*case).clone()).await {
            failures.push(format!(
                "{platform} {} ({:?}): {}",
                case.name,
                case.kind,
                cut(&format!("{e:#}"), 1500)
            ));
        }
    }
    failures
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// With `AMPLIFIER_HOSTILE_REPLIES=FILE`, each case's answer is appended to FILE: what to read when writing a
/// case's `expect`.
fn note_reply(platform: &str, case: &HostileCase, reply: &str) {
    let Ok(path) = std::env::var("AMPLIFIER_HOSTILE_REPLIES") else {
        return;
    };
    use std::io::Write;
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(
            file,
            "{platform} {}: {}",
            case.name,
            cut(&reply.replace('\n', " / "), 300)
        );
    }
}

/// The expected phrases missing from `reply` (case-insensitive).
fn missing(case: &HostileCase, reply: &str) -> Vec<String> {
    missing_spelled(case, reply, |e| e.to_string())
}

/// The expected phrases, as the platform spells commands (`spell`), missing from `reply`.
fn missing_spelled(case: &HostileCase, reply: &str, spell: impl Fn(&str) -> String) -> Vec<String> {
    let reply = reply.to_lowercase();
    case.expect
        .iter()
        .map(|e| spell(e))
        .filter(|e| !reply.contains(&e.to_lowercase()))
        .collect()
}

/// Discards the person's open drafts so the next case starts from none (cleanup, not under test).
async fn discard_open_drafts(
    store: &dyn Store,
    platform: Platform,
    workspace: &str,
    user: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let Some(person) = store
        .person_by_platform_id(platform, workspace, user)
        .await?
    else {
        return Ok(());
    };
    for draft in store
        .drafts_of(
            person.id,
            &[
                DraftStatus::Editing,
                DraftStatus::ChangesRequested,
                DraftStatus::InReview,
            ],
        )
        .await?
    {
        store
            .set_draft_status(draft.id, DraftStatus::Discarded, now)
            .await?;
    }
    Ok(())
}

async fn awaiting_link(
    store: &dyn Store,
    platform: Platform,
    workspace: &str,
    user: &str,
) -> anyhow::Result<Vec<i64>> {
    let person = store
        .person_by_platform_id(platform, workspace, user)
        .await?
        .context("the leader")?;
    Ok(store
        .posts_of_author(person.id, PostStatus::AwaitingLink)
        .await?
        .iter()
        .map(|p| p.id.0)
        .collect())
}

// ---------------------------------------------------------------------------------------------------------
// Slack

async fn the_corpus_on_slack(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let s = Slack::start(store, monday()).await;
    let cases: Vec<&HostileCase> = corpus().iter().filter(|c| c.on("slack")).collect();
    let (links, others): (Vec<&HostileCase>, Vec<&HostileCase>) =
        cases.iter().partition(|c| c.kind == Kind::Link);
    let mut failures = run_all("slack", &others, |case| slack_case(&s, case, None)).await;
    // A post waiting for Alice's link, for the pasted-link cases.
    s.dm(S_ALICE, "An insight worth a post.").await?;
    s.deliver().await?;
    s.press_label(S_ALICE, "Submit for review").await?;
    s.deliver().await?;
    s.press_label(S_CAROL, "Approve").await?;
    s.deliver().await?;
    let post = *awaiting_link(&*s.rig.store, Platform::Slack, S_TEAM, S_ALICE)
        .await?
        .first()
        .context("a post awaiting Alice's link")?;
    failures.extend(
        run_all("slack", &links, |case| async {
            slack_case(&s, case, Some(post)).await?;
            let waiting = awaiting_link(&*s.rig.store, Platform::Slack, S_TEAM, S_ALICE).await?;
            anyhow::ensure!(waiting == vec![post], "taken as the post's link");
            Ok(())
        })
        .await,
    );
    anyhow::ensure!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    s.rig.shutdown().await;
    Ok(())
}

async fn slack_case(s: &Slack, case: HostileCase, post: Option<i64>) -> anyhow::Result<()> {
    let actor = if case.by_admin() { S_CAROL } else { S_ALICE };
    let violations = s.rig.fake.violations().len();
    let mark = s.mark();
    let text = case.text();
    // Typed text reaches us escaped; `raw` text is markup Slack made (a real mention, a link).
    let markup = if case.raw {
        text.clone()
    } else {
        slack::escape(&text)
    };
    let channel = Where::Channel(SHARE_CHANNEL.to_string());
    match case.kind {
        Kind::Dm => s.push("events_api", s.dm_payload(S_TEAM, actor, &markup)),
        Kind::Command => s.push(
            "slash_commands",
            s.command_payload(S_TEAM, actor, &channel, &markup),
        ),
        // Form values are plain text: Slack escapes nothing in them.
        Kind::Form => s.push(
            "interactive",
            s.submit_payload(S_TEAM, actor, "nd", &[("insight", &text)]),
        ),
        Kind::Shortcut => s.push("interactive", s.shortcut_payload(S_TEAM, actor, &markup)),
        Kind::Link if case.via_dm() => s.push("events_api", s.dm_payload(S_TEAM, actor, &markup)),
        Kind::Link => {
            let callback = format!("pl:{}", post.context("a post awaiting the link")?);
            s.push(
                "interactive",
                s.submit_payload(S_TEAM, actor, &callback, &[("link", &text)]),
            )
        }
    }
    .await?;
    s.deliver().await?;
    let sent = s.since(mark);
    let refused = &s.rig.fake.violations()[violations..];
    anyhow::ensure!(refused.is_empty(), "Slack would refuse: {refused:?}");
    for r in &sent {
        anyhow::ensure!(
            (r.status == 200 && r.error.is_none()) || r.status == 429,
            "{} answered {} {:?}",
            r.method,
            r.status,
            r.error
        );
    }
    let problems = slack::mention_problems(&sent, &[]);
    anyhow::ensure!(problems.is_empty(), "mentions: {problems:?}");
    let messages = slack::messages(&sent);
    let im = s.rig.fake.im_of(actor);
    for m in &messages {
        let to_actor = match m.method.as_str() {
            "chat.postEphemeral" | "views.open" | "views.publish" => m
                .args
                .get("user")
                .or(m.args.get("user_id"))
                .is_none_or(|u| u == actor),
            _ => m.args["channel"] == im.as_str(),
        };
        anyhow::ensure!(to_actor, "sent to someone else: {:?}", m.args);
    }
    let reply: String = messages
        .iter()
        .map(|m| slack::readable(m))
        .collect::<Vec<_>>()
        .join("\n");
    note_reply("slack", &case, &reply);
    if case.silent() {
        anyhow::ensure!(messages.is_empty(), "answered a blank DM: {reply}");
    } else {
        anyhow::ensure!(!messages.is_empty(), "no answer");
        if case.kind == Kind::Command {
            anyhow::ensure!(messages.len() == 1, "{} answers: {reply}", messages.len());
        }
        let absent = missing(&case, &reply);
        anyhow::ensure!(
            absent.is_empty(),
            "the answer does not say {absent:?}: {}",
            cut(&reply, 600)
        );
    }
    discard_open_drafts(&*s.rig.store, Platform::Slack, S_TEAM, S_ALICE, s.rig.now()).await
}

// ---------------------------------------------------------------------------------------------------------
// Discord

/// `/amplify` options as Discord sends them for `text` (the subcommand, then its one string option), or
/// `None` when Discord's command definitions cannot express it.
/// The command and options Discord would send for `/amplify TEXT` (its registered definitions decide: a word
/// that is a command of its own, such as the admins' `team`, goes to that command), or `None` when no command
/// Discord shows can carry the text.
fn discord_options(text: &str) -> Option<(String, Value)> {
    static DEFS: OnceLock<Value> = OnceLock::new();
    let defs = DEFS.get_or_init(|| {
        serde_json::from_str(amplifier::discord::commands::COMMANDS_JSON).expect("commands.json")
    });
    let text = text.trim_start();
    let (sub, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let mut rest = rest.trim();
    if let Some((command, _)) = amplifier::discord::commands::WORD_COMMANDS
        .iter()
        .find(|(_, word)| *word == sub)
    {
        let def = defs.as_array()?.iter().find(|c| c["name"] == *command)?;
        let option = &def["options"][0];
        let options = if rest.is_empty() {
            json!([])
        } else {
            json!([{"type": 3, "name": option["name"], "value": rest}])
        };
        return Some((command.to_string(), options));
    }
    let amplify = defs.as_array()?.iter().find(|c| c["name"] == "amplify")?;
    let def = amplify["options"]
        .as_array()?
        .iter()
        .find(|o| o["name"] == sub)?;
    let option = def["options"].as_array().and_then(|o| o.first());
    if sub == "pause" {
        rest = rest.strip_prefix("until").unwrap_or(rest).trim();
    }
    let options = match (option, rest.is_empty()) {
        (_, true) => json!([]),
        (Some(o), false) => json!([{"type": 3, "name": o["name"], "value": rest}]),
        (None, false) => return None,
    };
    Some((
        "amplify".to_string(),
        json!([{"type": 1, "name": sub, "options": options}]),
    ))
}

async fn the_corpus_on_discord(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let w = World::start(store, Duration::from_secs(120)).await?;
    w.prompt_leaders().await?;
    let cases: Vec<&HostileCase> = corpus().iter().filter(|c| c.on("discord")).collect();
    let (links, others): (Vec<&HostileCase>, Vec<&HostileCase>) =
        cases.iter().partition(|c| c.kind == Kind::Link);
    let mut failures = run_all("discord", &others, |case| discord_case(&w, case, None)).await;
    w.say(D_ALICE, "An insight worth a post.").await?;
    w.deliver().await?;
    w.click_in_dm(D_ALICE, "Submit for review").await?;
    w.click_in_dm(D_CAROL, "Approve").await?;
    let post = *awaiting_link(&*w.store, Platform::Discord, GUILD, D_ALICE)
        .await?
        .first()
        .context("a post awaiting Alice's link")?;
    failures.extend(
        run_all("discord", &links, |case| async {
            discord_case(&w, case, Some(post)).await?;
            let waiting = awaiting_link(&*w.store, Platform::Discord, GUILD, D_ALICE).await?;
            anyhow::ensure!(waiting == vec![post], "taken as the post's link");
            Ok(())
        })
        .await,
    );
    anyhow::ensure!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    w.stop().await
}

/// The message a Discord request carries, if it carries one.
fn discord_message(r: &support::fake_discord::Recorded) -> Option<&Value> {
    let parts: Vec<&str> = r.path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [.., "channels", _, "messages"] | [.., "channels", _, "messages", _] => Some(&r.body),
        [.., "webhooks", _, _] | [.., "webhooks", _, _, "messages", _] => Some(&r.body),
        [.., "interactions", _, _, "callback"] => r.body.get("data"),
        _ => None,
    }
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| k.as_str() != "allowed_mentions")
            .for_each(|(_, i)| strings(i, out)),
        _ => {}
    }
}

/// Problems with who a Discord message could ping: `allowed_mentions` must exist, parse nothing, and name
/// only the `intended` users and no role.
fn discord_mention_problems(body: &Value, intended: &[&str]) -> Vec<String> {
    let mentions = &body["allowed_mentions"];
    let mut problems = Vec::new();
    if !mentions.is_object() {
        // A modal or a deferral carries no text that could ping.
        if body.get("content").is_some() || body.get("embeds").is_some() {
            problems.push(format!("no allowed_mentions: {body}"));
        }
        return problems;
    }
    if mentions["parse"] != json!([]) {
        problems.push(format!("allowed_mentions.parse {}", mentions["parse"]));
    }
    for user in mentions["users"].as_array().into_iter().flatten() {
        if !intended.iter().any(|i| user == i) {
            problems.push(format!("allowed_mentions.users pings {user}"));
        }
    }
    if mentions["roles"].as_array().is_some_and(|r| !r.is_empty()) {
        problems.push(format!("allowed_mentions.roles {}", mentions["roles"]));
    }
    problems
}

async fn discord_case(w: &World, case: HostileCase, post: Option<i64>) -> anyhow::Result<()> {
    let actor = if case.by_admin() { D_CAROL } else { D_ALICE };
    let violations = w.fake.violations().len();
    let mark = w.fake.request_count();
    let text = case.text();
    let key = w.next_id();
    let guild = Place::Guild {
        guild: GUILD.into(),
        channel: SHARE.into(),
    };
    let dispatch = |t: &str, d: Value| {
        w.fake.gateway.dispatch(t, d);
    };
    match case.kind {
        Kind::Dm => dispatch(
            "MESSAGE_CREATE",
            payloads::dm_message(&key, &w.dm_channel(actor)?, actor, &text, false),
        ),
        Kind::Link if case.via_dm() => dispatch(
            "MESSAGE_CREATE",
            payloads::dm_message(&key, &w.dm_channel(actor)?, actor, &text, false),
        ),
        Kind::Command => {
            let (command, options) = discord_options(&text).with_context(|| {
                "Discord's /amplify cannot carry this text: mark the case platforms = [\"slack\"]"
            })?;
            dispatch(
                "INTERACTION_CREATE",
                payloads::command(&key, actor, &guild, &command, options),
            )
        }
        Kind::Form => dispatch(
            "INTERACTION_CREATE",
            payloads::modal_submit(
                &key,
                actor,
                &w.dm_place(actor)?,
                "nd",
                &[("insight", &text)],
            ),
        ),
        Kind::Link => {
            let callback = format!("pl:{}", post.context("a post awaiting the link")?);
            dispatch(
                "INTERACTION_CREATE",
                payloads::modal_submit(
                    &key,
                    actor,
                    &w.dm_place(actor)?,
                    &callback,
                    &[("link", &text)],
                ),
            )
        }
        Kind::Shortcut => {
            let target = w.next_id();
            dispatch(
                "INTERACTION_CREATE",
                payloads::message_command(
                    &key,
                    actor,
                    &guild,
                    amplifier::discord::commands::DRAFT_FROM_MESSAGE,
                    &target,
                    world::DAN,
                    &text,
                ),
            )
        }
    }
    let outcome = w.outcome(&key).await?;
    if case.silent() {
        anyhow::ensure!(
            matches!(outcome, Outcome::Ignored | Outcome::Applied),
            "{outcome:?}"
        );
    } else {
        anyhow::ensure!(outcome == Outcome::Applied, "{outcome:?}");
    }
    w.deliver().await?;
    let sent: Vec<_> = w.fake.requests_since(mark);
    let refused = &w.fake.violations()[violations..];
    anyhow::ensure!(refused.is_empty(), "Discord would refuse: {refused:?}");
    let dm = w.fake.dm_channel_of(actor);
    let mut replies = Vec::new();
    for r in &sent {
        anyhow::ensure!(
            r.status < 300,
            "{} {} answered {}",
            r.method,
            r.path,
            r.status
        );
        let Some(body) = discord_message(r) else {
            continue;
        };
        let problems = discord_mention_problems(body, &[]);
        anyhow::ensure!(problems.is_empty(), "mentions: {problems:?}");
        let to_actor = r.path.contains(&key)
            || dm
                .as_ref()
                .is_some_and(|c| r.path.contains(&format!("/channels/{c}/")));
        anyhow::ensure!(to_actor, "sent to someone else: {} {}", r.method, r.path);
        let mut out = Vec::new();
        strings(body, &mut out);
        replies.push(out.join("\n"));
    }
    let reply = unescape_discord(&replies.join("\n"));
    note_reply("discord", &case, &reply);
    if case.silent() {
        anyhow::ensure!(replies.is_empty(), "answered a blank DM: {reply}");
    } else {
        anyhow::ensure!(!replies.is_empty(), "no answer");
        if case.kind == Kind::Command {
            anyhow::ensure!(replies.len() == 1, "{} answers: {reply}", replies.len());
        }
        // Discord spells the admins' words as their own command: `/amplify-team list`.
        let absent = missing_spelled(&case, &reply, |e| {
            amplifier::discord::commands::spelled_for_discord(e).into_owned()
        });
        anyhow::ensure!(
            absent.is_empty(),
            "the answer does not say {absent:?}: {}",
            cut(&reply, 600)
        );
    }
    discard_open_drafts(
        &*w.store,
        Platform::Discord,
        GUILD,
        D_ALICE,
        amplifier::clock::Clock::now(&*w.clock),
    )
    .await
}

/// Discord's markdown escapes undone, for reading what a person would see.
fn unescape_discord(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}
