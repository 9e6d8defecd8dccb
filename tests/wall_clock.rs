//! Real time, as people feel it: the `amplifier` binary (the release build in CI, through
//! `AMPLIFIER_TEST_BINARY`) on the system clock — no test clock — against the fake Slack (Socket Mode) and the
//! fake Discord (gateway), both at the platforms' real rate limits. Schedules are a few seconds apart; each test
//! asserts what a person would notice:
//! - the week's prompt arrives at most 1 s after its slot (and not before it);
//! - each draft preview at most 1.5 s after the DM that changed it, with two DMs 5 ms apart;
//! - a form opens within the platform's 3 s after the press, pressed right after the bot wrote in that DM;
//! - when every member presses *Shared* at once, the last one's thanks at most 1.5 s after the first press;
//! - the digest at most 1 s after its slot;
//! - no outbox row was sent more than 1 s after its `not_before` (none was held by a 429 here).
//!
//! Nothing here sleeps to wait for something: each step waits on a condition with a deadline. The pauses are
//! the people's own pace: the 5 ms between the two DMs (the input being tested), and a second to read a
//! message before answering it (Slack lets a channel take one message a second, so a reply to someone who
//! answers in under a second is paced by the platform, not late).

mod support;

use chrono::{DateTime, Duration as Span, Timelike, Utc};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::binary::{self, Failed, Running};
use support::fake_discord::gateway::{payloads, Place};
use support::fake_discord::{button_id, FakeDiscord, APPLICATION_ID};
use support::fake_slack::{FakeSlack, APP_TOKEN, BOT_TOKEN, TEAM};

/// Both tests start a binary and fakes; one at a time keeps each one's timing its own.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How long any step may take before the test fails (a deadline on a condition, not a sleep).
const STEP: Duration = Duration::from_secs(20);

/// What a person notices, as the issue states it.
const PROMPT_LATE: Span = Span::milliseconds(1_000);
const PREVIEW_LATE: Span = Span::milliseconds(1_500);
const FORM_DEADLINE: Span = Span::milliseconds(3_000);
const DIGEST_LATE: Span = Span::milliseconds(1_000);
const ROW_LATE: Span = Span::milliseconds(1_000);

const SLACK_LEADER: &str = "U0ALICE001";
const SLACK_MEMBERS: [&str; 4] = ["U0BOB00001", "U0CAROL001", "U0DAN00001", "U0ERIN0001"];
const SLACK_SHARE: &str = "C0AMPLIFY1";

const GUILD: &str = "1100000000000000002";
const DISCORD_LEADER: &str = "1100000000000000003";
const DISCORD_SHARE: &str = "1100000000000000006";
const DISCORD_MEMBERS: [&str; 3] = [
    "1100000000000000011",
    "1100000000000000012",
    "1100000000000000013",
];

/// How long a person takes to read a message before they answer it.
const READING: Duration = Duration::from_millis(1_100);

/// A six-field cron (seconds first) that fires daily at `at` (UTC).
fn daily_at(at: DateTime<Utc>) -> String {
    format!("{} {} {} * * *", at.second(), at.minute(), at.hour())
}

/// The next whole second at least `lead` from now.
fn slot_after(lead: Span) -> DateTime<Utc> {
    let at = Utc::now() + lead;
    at.with_nanosecond(0).expect("a valid instant") + Span::seconds(1)
}

/// Keys every team shares: the prompt and digest slots, no quiet hours now (they are set hours away from the
/// current time, whenever the test runs), weekends allowed, and publishing straight after approval.
fn team_keys(prompt: DateTime<Utc>, digest: DateTime<Utc>) -> String {
    let quiet_start = (Utc::now() + Span::hours(6)).format("%H:00");
    let quiet_end = (Utc::now() + Span::hours(8)).format("%H:00");
    format!(
        "time_zone = \"UTC\"\nself_approval = true\npublish_mode = \"team_shares_text\"\n\
         prompt_schedule = \"{}\"\ndigest_schedule = \"{}\"\n\
         quiet_hours = {{ start = \"{quiet_start}\", end = \"{quiet_end}\" }}\nweekends = \"allow\"\n\
         networks = [\"linkedin\", \"x\"]\n",
        daily_at(prompt),
        daily_at(digest)
    )
}

fn late(what: &str, at: DateTime<Utc>, due: DateTime<Utc>, allowed: Span) -> Result<(), Failed> {
    let by = at - due;
    if by < Span::zero() {
        return Err(format!(
            "{what} came {} ms early (at {at}, due {due})",
            -by.num_milliseconds()
        )
        .into());
    }
    if by > allowed {
        return Err(format!(
            "{what} came {} ms after {due}: a person notices more than {} ms",
            by.num_milliseconds(),
            allowed.num_milliseconds()
        )
        .into());
    }
    println!("{what}: {} ms", by.num_milliseconds());
    Ok(())
}

/// Waits (polling the fakes' records, with a deadline) until `find` returns something.
fn wait_until<T>(what: &str, mut find: impl FnMut() -> Option<T>) -> Result<T, Failed> {
    let deadline = Instant::now() + STEP;
    loop {
        if let Some(found) = find() {
            return Ok(found);
        }
        if Instant::now() > deadline {
            return Err(format!("waited {STEP:?} for {what}").into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A sent outbox row: key, not_before, sent_at, last_error.
type SentRow = (String, DateTime<Utc>, DateTime<Utc>, Option<String>);

/// Every sent outbox row, read from the run's SQLite file.
fn sent_rows(rt: &tokio::runtime::Runtime, url: &str) -> Result<Vec<SentRow>, Failed> {
    Ok(rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let rows: Vec<SentRow> = sqlx::query_as(
            "SELECT idempotency_key, not_before, sent_at, last_error FROM outbox WHERE status = 'sent'",
        )
        .fetch_all(&pool)
        .await?;
        pool.close().await;
        anyhow::Ok(rows)
    })?)
}

/// No row went out more than [`ROW_LATE`] after its `not_before` unless a 429 held it.
fn rows_on_time(rt: &tokio::runtime::Runtime, url: &str, at_least: usize) -> Result<(), Failed> {
    let rows = sent_rows(rt, url)?;
    if rows.len() < at_least {
        return Err(format!(
            "only {} rows were sent, expected {at_least} or more",
            rows.len()
        )
        .into());
    }
    let mut worst = Span::zero();
    for (key, not_before, sent_at, error) in &rows {
        if error.as_deref().is_some_and(|e| e.contains("rate limit")) {
            continue;
        }
        let by = *sent_at - *not_before;
        worst = worst.max(by);
        if by > ROW_LATE {
            return Err(format!(
                "{key} was sent {} ms after its not_before ({not_before}); last error {error:?}",
                by.num_milliseconds()
            )
            .into());
        }
    }
    println!(
        "{} rows sent, the latest {} ms after its not_before",
        rows.len(),
        worst.num_milliseconds()
    );
    Ok(())
}

/// A run of the binary on the system clock: its config is the logging and database part, `platform_and_team`,
/// then [`team_keys`] for a prompt slot 3 s from now and a digest 14 s after it. `week` plays the people's part
/// (given the two slots); the binary is then stopped with SIGTERM and must exit cleanly. A failed week carries
/// the bot's last log lines. Returns the database URL and the folder that holds it.
fn on_the_binary(
    name: &str,
    platform_and_team: &str,
    week: impl FnOnce(&mut Running, DateTime<Utc>, DateTime<Utc>) -> Result<(), Failed>,
) -> Result<(String, tempfile::TempDir), Failed> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("amplifier.db").display());
    let prompt = slot_after(Span::seconds(3));
    let digest = prompt + Span::seconds(14);
    let config = format!(
        "[log]\nformat = \"json\"\nlevel = \"amplifier=debug,info\"\n[http]\nlisten = \"127.0.0.1:0\"\n\
         [database]\nurl = \"{url}\"\n{platform_and_team}{}",
        team_keys(prompt, digest)
    );
    let path = binary::write_config(dir.path(), &config);
    println!("binary: {}", binary::amplifier_binary().display());
    let mut run = Running::start(name, &path, "", &[])?;
    let outcome = week(&mut run, prompt, digest);
    let (exit, _, log) = run.terminate(Duration::from_secs(20))?;
    if let Err(e) = outcome {
        return Err(format!("{e}\n--- the bot's last log lines:\n{}", tail(&log, 40)).into());
    }
    if !exit.success() {
        return Err(format!("{name} did not exit cleanly: {exit:?}").into());
    }
    Ok((url, dir))
}

fn quoted(ids: &[&str]) -> String {
    ids.iter()
        .map(|m| format!("\"{m}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------- Slack

struct SlackWorld {
    fake: FakeSlack,
    socket: support::fake_slack::socket::FakeSocket,
    events: u32,
}

impl SlackWorld {
    /// The first bot message (posted or edited) in `channel` containing `needle`, after request `from`.
    fn wrote(&self, channel: &str, needle: &str, from: usize) -> Option<DateTime<Utc>> {
        self.fake
            .requests_since(from)
            .into_iter()
            .filter(|r| r.method == "chat.postMessage" || r.method == "chat.update")
            .filter(|r| {
                r.error.is_none() && r.args.get("channel").and_then(Value::as_str) == Some(channel)
            })
            .find(|r| Value::Object(r.args.clone()).to_string().contains(needle))
            .map(|r| r.at)
    }

    fn dm(&mut self, user: &str, text: &str) -> DateTime<Utc> {
        self.events += 1;
        let n = self.events;
        let now = Utc::now();
        let payload = json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
            "event_id": format!("EvWALL{n:04}"), "event_time": now.timestamp(),
            "event": {"type": "message", "user": user, "text": text,
                "ts": format!("{}.{n:06}", now.timestamp()),
                "channel": self.fake.im_of(user), "channel_type": "im", "event_ts": "1"}});
        self.socket.push("events_api", payload);
        now
    }

    /// Presses the newest button labelled `label` in `user`'s DM; returns when the press was made.
    fn press(&mut self, user: &str, label: &str) -> Result<DateTime<Utc>, Failed> {
        let im = self.fake.im_of(user);
        let action_id = self.fake.button(&im, label).ok_or_else(|| {
            format!(
                "no button {label:?} in {user}'s DM: {:#?}",
                self.fake.messages_in(&im)
            )
        })?;
        let payload = json!({"type": "block_actions", "team": {"id": TEAM, "domain": "fake-team"},
            "user": {"id": user, "username": user, "team_id": TEAM}, "api_app_id": "A0FAKEAPP1", "token": "x",
            "container": {"type": "message", "channel_id": im}, "trigger_id": self.fake.new_trigger(),
            "channel": {"id": im}, "response_url": self.fake.new_response_url(),
            "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "action_ts": "1"}]});
        let at = Utc::now();
        self.socket.push("interactive", payload);
        Ok(at)
    }

    /// The form `views.open` opened after request `from`, when it was opened.
    fn form_opened(&self, from: usize) -> Option<(DateTime<Utc>, Value)> {
        self.fake
            .requests_since(from)
            .into_iter()
            .find(|r| r.method == "views.open")
            .map(|r| (r.at, Value::Object(r.args.clone()), r.error))
            .map(|(at, args, error)| (at, json!({"view": args["view"], "error": error})))
    }

    fn submit(&mut self, user: &str, view: &Value, text: &str) {
        let block = view["blocks"][0]["block_id"].as_str().unwrap_or_default();
        let input = view["blocks"][0]["element"]["action_id"]
            .as_str()
            .unwrap_or_default();
        self.events += 1;
        let payload = json!({"type": "view_submission", "team": {"id": TEAM}, "user": {"id": user},
            "api_app_id": "A0FAKEAPP1", "trigger_id": self.fake.new_trigger(),
            "view": {"id": format!("V0WALL{}", self.events), "team_id": TEAM, "type": "modal", "hash": "1.h",
                "callback_id": view["callback_id"],
                "state": {"values": {block: {input: {"type": "plain_text_input", "value": text}}}}}});
        self.socket.push("interactive", payload);
    }
}

#[test]
fn slack_on_the_wall_clock() -> Result<(), Failed> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let clock: Arc<dyn amplifier::clock::Clock> = Arc::new(amplifier::clock::SystemClock);
    let (fake, socket) = rt.block_on(async {
        let fake = FakeSlack::start(clock).await;
        let socket = fake.socket_mode().await;
        (fake, socket)
    });
    let team = format!(
        "[slack]\nbot_token = \"{BOT_TOKEN}\"\napp_token = \"{APP_TOKEN}\"\napi_base_url = \"{}\"\n\
         [[teams]]\nname = \"Leadership\"\nplatform = \"slack\"\nworkspace_id = \"{TEAM}\"\n\
         leaders = [\"{SLACK_LEADER}\"]\nmembers = [{}]\nshare_channel = \"{SLACK_SHARE}\"\n",
        fake.api_url,
        quoted(&SLACK_MEMBERS)
    );
    let mut w = SlackWorld {
        fake,
        socket,
        events: 0,
    };
    let (url, _dir) = on_the_binary("slack", &team, |run, prompt, digest| {
        slack_week(&mut w, run, prompt, digest)
    })?;
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    // The prompt, two previews, the edited preview, the review card, the post, four nudges, the digests.
    rows_on_time(&rt, &url, 10)?;
    drop(rt);
    Ok(())
}

fn slack_week(
    w: &mut SlackWorld,
    run: &mut Running,
    prompt: DateTime<Utc>,
    digest: DateTime<Utc>,
) -> Result<(), Failed> {
    let im = w.fake.im_of(SLACK_LEADER);
    // The prompt at its slot.
    let asked = wait_until("the week's prompt", || {
        w.wrote(&im, "Your question this week", 0)
    })?;
    late("the prompt after its slot", asked, prompt, PROMPT_LATE)?;
    std::thread::sleep(READING);

    // Two DMs 5 ms apart: each shows in a preview soon after, though the second is paced behind the first.
    let from = w.fake.request_count();
    let first = w.dm(SLACK_LEADER, "Onboarding felt like homework to a customer.");
    std::thread::sleep(Duration::from_millis(5));
    let second = w.dm(SLACK_LEADER, "We cut it to four steps.");
    let shown = wait_until("the first preview", || {
        w.wrote(&im, "felt like homework", from)
    })?;
    late("the first preview after its DM", shown, first, PREVIEW_LATE)?;
    // Right after the bot wrote in this DM, with the second preview still paced: press Edit.
    let before_press = w.fake.request_count();
    let pressed = w.press(SLACK_LEADER, "Edit")?;
    let shown = wait_until("the second preview", || w.wrote(&im, "four steps", from))?;
    late(
        "the second preview after its DM",
        shown,
        second,
        PREVIEW_LATE,
    )?;
    let (opened, form) = wait_until("the editor opening", || w.form_opened(before_press))?;
    if !form["error"].is_null() {
        return Err(format!("the editor did not open: {}", form["error"]).into());
    }
    late(
        "the editor after the Edit press",
        opened,
        pressed,
        FORM_DEADLINE,
    )?;
    std::thread::sleep(READING);

    // The edited draft, then review and publishing by presses; each answer shows in the DM.
    let from = w.fake.request_count();
    let edited_at = Utc::now();
    w.submit(
        SLACK_LEADER,
        &form["view"],
        "A customer said onboarding felt like homework. We cut it to four steps: sign in, import, invite, report.",
    );
    let shown = wait_until("the edited preview", || {
        w.wrote(&im, "sign in, import", from)
    })?;
    late(
        "the edited preview after the form",
        shown,
        edited_at,
        PREVIEW_LATE,
    )?;
    std::thread::sleep(READING);
    let from = w.fake.request_count();
    let pressed = w.press(SLACK_LEADER, "Submit for review")?;
    let shown = wait_until("the review card", || {
        w.fake
            .button(&im, "Approve")
            .and_then(|_| w.wrote(&im, "Approve", from))
    })?;
    late(
        "the review card after the press",
        shown,
        pressed,
        PREVIEW_LATE,
    )?;
    std::thread::sleep(READING);
    let from = w.fake.request_count();
    let pressed = w.press(SLACK_LEADER, "Approve")?;
    let posted = wait_until("the post in the share channel", || {
        w.wrote(SLACK_SHARE, "sign in, import", from)
    })?;
    late("the post after the approval", posted, pressed, PREVIEW_LATE)?;
    for member in SLACK_MEMBERS {
        let member_im = w.fake.im_of(member);
        wait_until(&format!("{member}'s nudge"), || {
            w.wrote(&member_im, binary::NUDGE_TEXT, from)
        })?;
    }

    // Every member presses *Shared on LinkedIn* at once. Each thanks goes through its press's response_url,
    // outside Slack's tiers, so none waits behind the others (chat.postEphemeral takes one call per 0.6 s).
    std::thread::sleep(READING);
    let first = Utc::now();
    for member in SLACK_MEMBERS {
        w.press(member, "Shared on LinkedIn")?;
    }
    let last_thanks = wait_until("every member's thanks", || {
        let thanks: Vec<DateTime<Utc>> = w
            .fake
            .requests()
            .into_iter()
            .filter(|r| {
                r.method == "response_url"
                    && r.status == 200
                    && r.args["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("Thanks for sharing"))
            })
            .map(|r| r.at)
            .collect();
        (thanks.len() == SLACK_MEMBERS.len())
            .then(|| thanks.into_iter().max())
            .flatten()
    })?;
    late(
        "the last thanks after the burst of share presses",
        last_thanks,
        first,
        PREVIEW_LATE,
    )?;

    // The digest at its slot.
    let sent = wait_until("the digest", || {
        w.wrote(SLACK_SHARE, "Leadership's week", 0)
    })?;
    late("the digest after its slot", sent, digest, DIGEST_LATE)?;
    run.drain();
    Ok(())
}

// ---------------------------------------------------------------- Discord

struct DiscordWorld {
    fake: FakeDiscord,
    ids: u64,
}

impl DiscordWorld {
    fn next_id(&mut self) -> String {
        self.ids += 1;
        format!("{}", 1_400_000_000_000_000_000u64 + self.ids)
    }

    /// The first bot message created or edited in `channel` (or in answer to an interaction there: the test's
    /// interactions are all in one person's DM) containing `needle`, after request `from`.
    fn wrote(&self, channel: &str, needle: &str, from: usize) -> Option<DateTime<Utc>> {
        let created = format!("/channels/{channel}/messages");
        self.fake
            .requests_since(from)
            .into_iter()
            .filter(|r| {
                r.status < 300
                    && (r.path.starts_with(&created)
                        || r.path.starts_with("/interactions/")
                        || r.path.starts_with("/webhooks/"))
            })
            .find(|r| r.body.to_string().contains(needle))
            .map(|r| r.at)
    }

    fn dm_channel(&self, user: &str) -> Result<String, Failed> {
        self.fake
            .dm_channel_of(user)
            .ok_or_else(|| format!("the bot never opened a DM with {user}").into())
    }

    fn dm(&mut self, user: &str, text: &str) -> Result<DateTime<Utc>, Failed> {
        let id = self.next_id();
        let channel = self.dm_channel(user)?;
        let at = Utc::now();
        self.fake.gateway.dispatch(
            "MESSAGE_CREATE",
            payloads::dm_message(&id, &channel, user, text, false),
        );
        Ok(at)
    }

    /// Presses the newest button labelled `label` in `user`'s DM: (interaction id, when).
    fn press(&mut self, user: &str, label: &str) -> Result<(String, DateTime<Utc>), Failed> {
        let channel = self.dm_channel(user)?;
        let custom_id = self
            .fake
            .messages_in(&channel)
            .iter()
            .rev()
            .find_map(|m| button_id(m, label))
            .ok_or_else(|| format!("no button {label:?} in {user}'s DM"))?;
        let id = self.next_id();
        let at = Utc::now();
        self.fake.gateway.dispatch(
            "INTERACTION_CREATE",
            payloads::button(&id, user, &Place::Dm { channel }, &custom_id),
        );
        Ok((id, at))
    }

    /// The first answer to interaction `id`.
    fn answer(&self, id: &str) -> Option<(DateTime<Utc>, Value)> {
        self.fake
            .interaction_answers()
            .into_iter()
            .find(|r| r.path.starts_with(&format!("/interactions/{id}/")))
            .map(|r| (r.at, r.body))
    }
}

#[test]
fn discord_on_the_wall_clock() -> Result<(), Failed> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let clock: Arc<dyn amplifier::clock::Clock> = Arc::new(amplifier::clock::SystemClock);
    let fake = rt.block_on(FakeDiscord::start(clock));
    fake.gateway.join_guild(GUILD);
    let team = format!(
        "[discord]\nbot_token = \"test-token\"\napplication_id = \"{APPLICATION_ID}\"\napi_base_url = \"{}\"\n\
         [[teams]]\nname = \"Community\"\nplatform = \"discord\"\nworkspace_id = \"{GUILD}\"\n\
         leaders = [\"{DISCORD_LEADER}\"]\nmembers = [{}]\nshare_channel = \"{DISCORD_SHARE}\"\n",
        fake.base_url,
        quoted(&DISCORD_MEMBERS)
    );
    let mut w = DiscordWorld { fake, ids: 0 };
    let (url, _dir) = on_the_binary("discord", &team, |run, prompt, digest| {
        discord_week(&mut w, run, prompt, digest)
    })?;
    assert_eq!(w.fake.violations(), Vec::<String>::new());
    assert_eq!(w.fake.late_interactions(), Vec::<String>::new());
    rows_on_time(&rt, &url, 8)?;
    drop(rt);
    Ok(())
}

fn discord_week(
    w: &mut DiscordWorld,
    run: &mut Running,
    prompt: DateTime<Utc>,
    digest: DateTime<Utc>,
) -> Result<(), Failed> {
    let asked = wait_until("the week's prompt", || {
        let channel = w.fake.dm_channel_of(DISCORD_LEADER)?;
        w.wrote(&channel, "Your question this week", 0)
    })?;
    late("the prompt after its slot", asked, prompt, PROMPT_LATE)?;
    let dm = w.dm_channel(DISCORD_LEADER)?;
    std::thread::sleep(READING);

    let from = w.fake.request_count();
    let first = w.dm(
        DISCORD_LEADER,
        "Onboarding felt like homework to a customer.",
    )?;
    std::thread::sleep(Duration::from_millis(5));
    let second = w.dm(DISCORD_LEADER, "We cut it to four steps.")?;
    let shown = wait_until("the first preview", || {
        w.wrote(&dm, "felt like homework", from)
    })?;
    late("the first preview after its DM", shown, first, PREVIEW_LATE)?;
    let (press, pressed) = w.press(DISCORD_LEADER, "Edit")?;
    let shown = wait_until("the second preview", || w.wrote(&dm, "four steps", from))?;
    late(
        "the second preview after its DM",
        shown,
        second,
        PREVIEW_LATE,
    )?;
    let (opened, form) = wait_until("the editor opening", || w.answer(&press))?;
    if form["type"] != 9 {
        return Err(format!("the Edit press was not answered with a form: {form}").into());
    }
    late(
        "the editor after the Edit press",
        opened,
        pressed,
        FORM_DEADLINE,
    )?;
    std::thread::sleep(READING);

    let from = w.fake.request_count();
    let custom_id = form["data"]["custom_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let input = form["data"]["components"][0]["components"][0]["custom_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id = w.next_id();
    let edited_at = Utc::now();
    w.fake.gateway.dispatch(
        "INTERACTION_CREATE",
        payloads::modal_submit(
            &id,
            DISCORD_LEADER,
            &Place::Dm { channel: dm.clone() },
            &custom_id,
            &[(
                input.as_str(),
                "A customer said onboarding felt like homework. We cut it to four steps: sign in, import, invite, report.",
            )],
        ),
    );
    let shown = wait_until("the edited preview", || {
        w.wrote(&dm, "sign in, import", from)
    })?;
    late(
        "the edited preview after the form",
        shown,
        edited_at,
        PREVIEW_LATE,
    )?;
    std::thread::sleep(READING);
    let (review, pressed) = w.press(DISCORD_LEADER, "Submit for review")?;
    let (answered, _) = wait_until("the answer to Submit for review", || w.answer(&review))?;
    late(
        "the answer to Submit for review",
        answered,
        pressed,
        FORM_DEADLINE,
    )?;
    let shown = wait_until("the review card", || {
        w.fake
            .messages_in(&dm)
            .iter()
            .any(|m| button_id(m, "Approve").is_some())
            .then_some(())
    });
    shown?;
    std::thread::sleep(READING);
    let from = w.fake.request_count();
    let (_, pressed) = w.press(DISCORD_LEADER, "Approve")?;
    let posted = wait_until("the post in the share channel", || {
        w.wrote(DISCORD_SHARE, "sign in, import", from)
    })?;
    late("the post after the approval", posted, pressed, PREVIEW_LATE)?;
    for member in DISCORD_MEMBERS {
        wait_until(&format!("{member}'s nudge"), || {
            let channel = w.fake.dm_channel_of(member)?;
            w.wrote(&channel, binary::NUDGE_TEXT, from)
        })?;
    }

    let sent = wait_until("the digest", || {
        w.wrote(DISCORD_SHARE, "Community's week", 0)
    })?;
    late("the digest after its slot", sent, digest, DIGEST_LATE)?;
    run.drain();
    Ok(())
}

fn tail(log: &[String], n: usize) -> String {
    log[log.len().saturating_sub(n)..].join("\n")
}
