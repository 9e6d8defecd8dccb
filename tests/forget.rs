//! Forgetting a person: `/amplify forget-me` after a realistic week, checked by a scan of every column of every
//! table (from the database's own catalog) on SQLite and PostgreSQL; the store's rules on their own; and
//! `amplifier forget` through the real binary.
//!
//! The PostgreSQL half needs `AMPLIFIER_TEST_POSTGRES_URL` (add `AMPLIFIER_REQUIRE_POSTGRES=1` to make its
//! absence a failure), as in the store suite.

mod support;

use amplifier::clock::ManualClock;
use amplifier::config::Config;
use amplifier::domain::Platform;
use amplifier::engine::Engine;
use amplifier::shell::Shell;
use amplifier::store::{
    self, DraftStatus, Lane, NewOutboxMessage, NewPost, NewReview, OutboxStatus, PersonId,
    PostStatus, ReviewDecision, Role, Store, StoreError,
};
use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use libtest_mimic::{Arguments, Failed, Trial};
use sqlx::{AssertSqlSafe, Connection};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

type CaseFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
/// A case gets the store and the database's URL, so it can read the catalog behind the store's back.
type Case = fn(Arc<dyn Store>, String) -> CaseFuture;

const CASES: &[(&str, Case)] = &[
    (
        "forget_me_after_a_week_leaves_no_personal_data_in_any_column",
        |s, url| Box::pin(forget_me_after_a_week_leaves_no_personal_data_in_any_column(s, url)),
    ),
    (
        "an_approvers_edit_stays_with_the_author_and_a_rollback_keeps_everything",
        |s, url| {
            Box::pin(
                an_approvers_edit_stays_with_the_author_and_a_rollback_keeps_everything(s, url),
            )
        },
    ),
    ("a_farewell_row_is_erased_once_sent_or_failed", |s, url| {
        Box::pin(a_farewell_row_is_erased_once_sent_or_failed(s, url))
    }),
];

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for &(name, case) in CASES {
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            on_sqlite(case).map_err(Failed::from)
        }));
        let name = format!("postgres::{name}");
        trials.push(support::postgres_trial(name, move |url| {
            on_postgres(url, case).map_err(Failed::from)
        }));
    }
    trials.push(Trial::test(
        "cli_forget_prints_counts_and_refuses_unknown_or_ambiguous_ids",
        cli_forget_prints_counts_and_refuses_unknown_or_ambiguous_ids,
    ));
    libtest_mimic::run(&args, trials).exit();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

async fn run_case(url: String, case: Case) -> Result<(), String> {
    let store = store::open(&url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let outcome = case(store.clone(), url).await;
    store.close().await;
    outcome.map_err(|e| format!("{e:#}"))
}

fn on_sqlite(case: Case) -> Result<(), String> {
    runtime().block_on(async {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let url = format!("sqlite://{}", dir.path().join("amplifier.db").display());
        run_case(url, case).await
    })
}

fn on_postgres(admin_url: &str, case: Case) -> Result<(), String> {
    runtime().block_on(async {
        let (url, database) = support::create_database(admin_url).await?;
        let outcome = run_case(url, case).await;
        let dropped = support::drop_database(admin_url, &database).await;
        outcome?;
        dropped
    })
}

// ---- the catalog scan ----------------------------------------------------------------------------------

/// Every (table, column) of the database, from its own catalog; nothing listed by hand.
async fn columns(url: &str) -> anyhow::Result<Vec<(String, String)>> {
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' ORDER BY m.name, p.cid",
        )
        .fetch_all(&mut conn)
        .await?;
        conn.close().await?;
        Ok(rows)
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&mut conn)
        .await?;
        conn.close().await?;
        Ok(rows)
    }
}

/// The columns (as `table.column`) in which some row's value, read as text, contains `needle`.
async fn columns_containing(url: &str, needle: &str) -> anyhow::Result<Vec<String>> {
    let mut hits = Vec::new();
    let all = columns(url).await?;
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        for (table, column) in &all {
            let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE instr(CAST(\"{column}\" AS TEXT), $1) > 0"
            )))
            .bind(needle)
            .fetch_one(&mut conn)
            .await?;
            if n > 0 {
                hits.push(format!("{table}.{column}"));
            }
        }
        conn.close().await?;
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        for (table, column) in &all {
            let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE strpos(\"{column}\"::text, $1) > 0"
            )))
            .bind(needle)
            .fetch_one(&mut conn)
            .await?;
            if n > 0 {
                hits.push(format!("{table}.{column}"));
            }
        }
        conn.close().await?;
    }
    Ok(hits)
}

/// The person-referencing columns (`person_id`, `author_id`, `editor_id`, `reviewer_id`, and `people.id`)
/// that hold `id`.
async fn person_columns_holding(url: &str, id: PersonId) -> anyhow::Result<Vec<String>> {
    let refers = |table: &str, column: &str| {
        matches!(
            column,
            "person_id" | "author_id" | "editor_id" | "reviewer_id"
        ) || (table == "people" && column == "id")
    };
    let mut hits = Vec::new();
    let all = columns(url).await?;
    let targets: Vec<_> = all.iter().filter(|(t, c)| refers(t, c)).collect();
    anyhow::ensure!(targets.len() >= 9, "person columns found: {targets:?}");
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        for (table, column) in targets {
            let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\" = $1"
            )))
            .bind(id.0)
            .fetch_one(&mut conn)
            .await?;
            if n > 0 {
                hits.push(format!("{table}.{column}"));
            }
        }
        conn.close().await?;
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        for (table, column) in targets {
            let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\" = $1"
            )))
            .bind(id.0)
            .fetch_one(&mut conn)
            .await?;
            if n > 0 {
                hits.push(format!("{table}.{column}"));
            }
        }
        conn.close().await?;
    }
    Ok(hits)
}

// ---- a week of the routine in the shell ----------------------------------------------------------------

/// Monday 2026-11-30, 07:55 UTC (08:55 in Berlin).
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 7, 55, 0).unwrap()
}

const TEAM: &str = r#"
[[teams]]
name = "Leadership"
platform = "shell"
workspace_id = "demo"
leaders = ["alice", "bob"]
approvers = ["carol"]
admins = ["carol"]
members = ["dan", "erin"]
share_channel = "amplify"
time_zone = "Europe/Berlin"
networks = ["linkedin", "x", "bluesky"]
digest_schedule = "0 16 * * 5"
"#;

struct World {
    shell: Shell,
    store: Arc<dyn Store>,
}

async fn world(store: Arc<dyn Store>) -> anyhow::Result<World> {
    let config = Config::parse(TEAM).map_err(anyhow::Error::msg)?;
    let problems = amplifier::config::validate(&config, monday());
    anyhow::ensure!(problems.is_empty(), "test config: {problems:?}");
    amplifier::teams::sync_config_teams(&*store, &config, monday()).await?;
    let engine = Arc::new(Engine::new(
        store.clone(),
        PathBuf::from("."),
        Duration::from_secs(6 * 3600),
    ));
    engine.load_prompt_packs().await?;
    let clock = Arc::new(ManualClock::new(monday()));
    let shell = Shell::new(engine, clock, "demo", "alice")?;
    Ok(World { shell, store })
}

impl World {
    async fn as_(&mut self, person: &str, lines: &[&str]) -> anyhow::Result<String> {
        let mut out = self.shell.input(&format!("/as {person}")).await?;
        for line in lines {
            out.extend(self.shell.input(line).await?);
        }
        Ok(out.join("\n"))
    }

    async fn advance(&mut self, by: &str) -> anyhow::Result<String> {
        Ok(self
            .shell
            .input(&format!("/advance {by}"))
            .await?
            .join("\n"))
    }

    async fn person(&self, id: &str) -> anyhow::Result<amplifier::store::Person> {
        self.store
            .person_by_platform_id(Platform::Shell, "demo", id)
            .await?
            .with_context(|| format!("{id} is stored"))
    }
}

const ALICE_V1: &str = "Wonderland insight: a customer said our onboarding felt like homework.";
const ALICE_V2: &str =
    "Wonderland insight: a customer said our onboarding felt like homework, so we cut it to four steps.";
const ALICE_POST_LINK: &str =
    "https://www.linkedin.com/posts/wonderland_onboarding-activity-7265000000000000000-AbCd";
const ALICE_SHARE_LINK: &str = "https://bsky.app/profile/looking-glass.example/post/3kglass42";
const ALICE_NAME: &str = "Lewis Carroll's Heroine";
const ALICE_DM: &str = "DWONDER77";
const ALICE_MASTODON: &str = "rabbit-hole.example";
const BOB_TEXT: &str = "Builder insight: the smallest release we shipped taught us the most.";
const BOB_POST_LINK: &str =
    "https://www.linkedin.com/posts/builder_release-activity-7265000000000000001-XyZw";
const CAROL_COMMENT: &str = "Name the four steps, please.";

async fn forget_me_after_a_week_leaves_no_personal_data_in_any_column(
    store: Arc<dyn Store>,
    url: String,
) -> anyhow::Result<()> {
    let mut w = world(store).await?;
    w.advance("10m").await?;
    // Alice, a leader named in the config, lives a week: settings, a profile from the platform, a draft
    // with two versions through review, her own post first, a post that is nudged and shared.
    w.as_(
        "alice",
        &[
            "/amplify timezone Europe/Lisbon",
            &format!("/amplify mastodon {ALICE_MASTODON}"),
        ],
    )
    .await?;
    let alice = w.person("alice").await?;
    w.store
        .set_person_display_name(alice.id, Some(ALICE_NAME))
        .await?;
    w.store
        .set_person_dm_channel(alice.id, Some(ALICE_DM))
        .await?;
    w.as_("alice", &[ALICE_V1, "/click Submit for review"])
        .await?;
    w.as_("carol", &["/click Request changes", CAROL_COMMENT])
        .await?;
    w.as_(
        "alice",
        &["/click Edit", ALICE_V2, "/click Submit for review"],
    )
    .await?;
    w.as_("carol", &["/click Approve"]).await?;
    let out = w.as_("alice", &[ALICE_POST_LINK]).await?;
    anyhow::ensure!(out.contains("→ #amplify:"), "alice's post is out\n{out}");
    w.as_("dan", &["/click Shared on LinkedIn"]).await?;
    // Bob's post: Alice is nudged and shares it with a link; Dan shares it too.
    w.as_("bob", &[BOB_TEXT, "/click Submit for review"])
        .await?;
    w.as_("carol", &["/click Approve"]).await?;
    w.as_("bob", &[BOB_POST_LINK]).await?;
    // It is 08:05 in Lisbon: her nudge waits for her working day.
    w.advance("2h").await?;
    let out = w
        .as_("alice", &["/click Paste my link", ALICE_SHARE_LINK])
        .await?;
    anyhow::ensure!(out.contains("Thanks for sharing on Bluesky"), "{out}");
    w.as_("dan", &["/click Shared on LinkedIn"]).await?;
    // Friday's digest names her among the amplifiers and goes to her as a leader.
    let out = w.advance("4d 8h").await?;
    anyhow::ensure!(out.contains("Leadership's week"), "the digest ran\n{out}");

    let bob = w.person("bob").await?;
    let bob_draft = w
        .store
        .drafts_of(bob.id, &[DraftStatus::Published])
        .await?
        .pop()
        .context("bob's published draft")?;
    let bob_post = w
        .store
        .post_of_draft(bob_draft.id)
        .await?
        .context("bob's post")?;
    let bob_shares_before = w.store.shares(bob_post.id).await?.len();
    assert_eq!(bob_shares_before, 2, "alice and dan shared bob's post");

    // What the scan looks for, and proof that it finds each of them before the forget.
    let personal = [
        "alice",
        ALICE_NAME,
        ALICE_DM,
        ALICE_MASTODON,
        ALICE_V1,
        ALICE_V2,
        ALICE_POST_LINK,
        ALICE_SHARE_LINK,
    ];
    let tables: std::collections::BTreeSet<String> =
        columns(&url).await?.into_iter().map(|(t, _)| t).collect();
    assert!(
        tables.len() >= 17,
        "the catalog lists every table: {tables:?}"
    );
    for needle in personal {
        assert!(
            !columns_containing(&url, needle).await?.is_empty(),
            "before the forget the scan finds {needle:?}"
        );
    }
    assert!(!person_columns_holding(&url, alice.id).await?.is_empty());

    // Forget me: a confirmation with a button first, nothing deleted yet.
    let out = w.as_("alice", &["/amplify forget-me"]).await?;
    assert!(
        out.contains("Forget me") && out.contains("cannot be undone"),
        "{out}"
    );
    assert!(
        w.store.person(alice.id).await?.is_some(),
        "not before the click"
    );
    let out = w.as_("alice", &["/click Forget me"]).await?;
    assert!(
        out.contains("Done: I deleted everything I stored about you")
            && out.contains("1 post")
            && out.contains("The config file of Leadership still names you")
            && out.contains("delete them there"),
        "{out}"
    );

    // Nothing identifying is left in any column of any table.
    for needle in personal {
        let hits = columns_containing(&url, needle).await?;
        assert!(hits.is_empty(), "{needle:?} is still in {hits:?}");
    }
    let hits = person_columns_holding(&url, alice.id).await?;
    assert!(hits.is_empty(), "alice's id is still in {hits:?}");

    // The forget is audited without naming her.
    let log = w.store.audit_log(None, 10_000).await?;
    let forgotten: Vec<_> = log
        .iter()
        .filter(|e| e.action == "person.forgotten")
        .collect();
    assert_eq!(forgotten.len(), 1, "{log:#?}");
    assert_eq!(forgotten[0].actor, "self");
    let detail: serde_json::Value = serde_json::from_str(&forgotten[0].detail_json)?;
    assert_eq!(detail["drafts"], 1);
    assert_eq!(detail["versions"], 2);
    assert_eq!(detail["posts"], 1);
    assert_eq!(detail["shares"], 1);

    // Everyone else's data is intact: Bob's draft, post and review, Dan's share of Bob's post, Carol and Dan.
    assert_eq!(w.store.draft_versions(bob_draft.id).await?.len(), 1);
    assert_eq!(w.store.reviews(bob_draft.id).await?.len(), 1);
    let post = w.store.post(bob_post.id).await?.context("bob's post")?;
    assert_eq!(post.status, PostStatus::Published);
    assert_eq!(post.canonical_url.as_deref(), Some(BOB_POST_LINK));
    let shares = w.store.shares(bob_post.id).await?;
    assert_eq!(
        shares.len(),
        bob_shares_before - 1,
        "only alice's share went"
    );
    assert!(!columns_containing(&url, BOB_TEXT).await?.is_empty());
    for other in ["bob", "carol", "dan", "erin"] {
        w.person(other).await?;
    }
    let roles = w
        .store
        .team_people(post.team_id)
        .await?
        .iter()
        .filter(|(_, r)| *r == Role::Leader)
        .count();
    assert_eq!(roles, 1, "bob still leads");

    // The routine goes on without her, and the config adds her back at the next start, with no history.
    w.advance("3d").await?;
    assert!(
        w.store.person(alice.id).await?.is_none() || {
            // SQLite may hand a freed id to a newcomer; then it is not her.
            w.store.person(alice.id).await?.unwrap().platform_user_id != "alice"
        }
    );
    let config = Config::parse(TEAM).map_err(anyhow::Error::msg)?;
    amplifier::teams::sync_config_teams(&*w.store, &config, monday()).await?;
    let again = w.person("alice").await?;
    assert!(w
        .store
        .drafts_of(
            again.id,
            &[
                DraftStatus::Published,
                DraftStatus::Editing,
                DraftStatus::InReview
            ]
        )
        .await?
        .is_empty());
    assert_eq!(again.display_name, None);
    Ok(())
}

/// The store's rules alone: an approver's *Edit & approve* of someone else's draft stays with that draft's
/// author; the same id in another workspace is someone else; an unknown person is `NotFound`; and a forget
/// rolled back leaves everything.
async fn an_approvers_edit_stays_with_the_author_and_a_rollback_keeps_everything(
    store: Arc<dyn Store>,
    _url: String,
) -> anyhow::Result<()> {
    let now = monday();
    let team = store
        .create_command_team(
            &amplifier::store::NewTeam {
                name: "Edits".into(),
                platform: Platform::Slack,
                workspace_id: "T1".into(),
                settings_json: "{}".into(),
            },
            now,
        )
        .await?
        .context("team")?;
    let bob = store
        .upsert_person(Platform::Slack, "T1", "UBOB", now)
        .await?
        .id();
    let carol = store
        .upsert_person(Platform::Slack, "T1", "UCAROL", now)
        .await?
        .id();
    store.grant_role(team, carol, Role::Approver).await?;
    let draft = store
        .create_draft(team, bob, None, "Bob's first words.", now)
        .await?;
    let v2 = store
        .add_draft_version(draft, carol, "Bob's words, tightened by Carol.", now)
        .await?;
    store
        .record_review(
            &NewReview {
                draft_id: draft,
                version: v2,
                reviewer_id: carol,
                decision: ReviewDecision::EditAndApprove,
                comment: Some("Tightened the opening line.".into()),
            },
            now,
        )
        .await?;
    let post = store
        .create_post(
            &NewPost {
                draft_id: draft,
                version: v2,
                status: PostStatus::Scheduled,
                publish_at: Some(now),
            },
            now,
        )
        .await?
        .id();

    // The same id in another workspace is someone else: entries of that workspace's teams stay.
    let elsewhere = store
        .create_command_team(
            &amplifier::store::NewTeam {
                name: "Elsewhere".into(),
                platform: Platform::Slack,
                workspace_id: "T2".into(),
                settings_json: "{}".into(),
            },
            now,
        )
        .await?
        .context("team")?;
    for team_id in [team, elsewhere] {
        store
            .audit(&amplifier::store::AuditEntry {
                at: now,
                team_id: Some(team_id),
                actor: "scheduler".into(),
                action: "member.joined".into(),
                subject: "person:UCAROL".into(),
                detail_json: r#"{"person":"UCAROL"}"#.into(),
            })
            .await?;
    }

    // Rolled back: nothing changed.
    let tx = store.begin().await?;
    tx.forget_person(carol, "cli", now).await?;
    tx.rollback().await?;
    assert!(store.person(carol).await?.is_some());
    assert_eq!(store.reviews(draft).await?.len(), 1);

    let report = store.forget_person(carol, "cli", now).await?;
    assert_eq!(report.reviews, 1);
    assert_eq!(report.roles, 1);
    assert_eq!(report.edits_credited_to_authors, 1);
    assert_eq!(report.drafts, 0);
    assert!(store.person(carol).await?.is_none());
    let versions = store.draft_versions(draft).await?;
    assert_eq!(versions.len(), 2);
    assert!(versions.iter().all(|v| v.editor_id == bob), "{versions:?}");
    assert!(store.reviews(draft).await?.is_empty());
    let kept = store.post(post).await?.context("bob's post stays")?;
    assert_eq!(kept.body, "Bob's words, tightened by Carol.");

    let joined: Vec<_> = store
        .audit_log(None, 100)
        .await?
        .into_iter()
        .filter(|e| e.action == "member.joined")
        .collect();
    assert_eq!(joined.len(), 2);
    for entry in joined {
        if entry.team_id == Some(team) {
            assert_eq!(
                (
                    entry.actor.as_str(),
                    entry.subject.as_str(),
                    entry.detail_json.as_str()
                ),
                ("forgotten", "forgotten", "{}")
            );
        } else {
            assert_eq!(entry.subject, "person:UCAROL", "another workspace's UCAROL");
        }
    }

    match store.forget_person(carol, "cli", now).await {
        Err(StoreError::NotFound { what: "person", .. }) => {}
        other => anyhow::bail!("forgetting twice: {other:?}"),
    }
    Ok(())
}

/// Rows keyed `erase:…` wait like any other, and are deleted, not kept, once acknowledged for good.
async fn a_farewell_row_is_erased_once_sent_or_failed(
    store: Arc<dyn Store>,
    _url: String,
) -> anyhow::Result<()> {
    let now = monday();
    let row = |key: &str| NewOutboxMessage {
        idempotency_key: key.to_string(),
        platform: Platform::Shell,
        workspace_id: "demo".into(),
        lane: Lane::Interactive,
        payload_json: r#"{"person":"someone"}"#.into(),
        not_before: now,
    };
    for key in [
        "erase:ev:shell:a:1",
        "erase:ev:shell:b:1",
        "ev:shell:c:1",
        "ev:shell:d:1",
    ] {
        assert!(store.enqueue(&row(key), now).await?);
    }
    let claimed = store
        .claim_outbox("worker", now, Duration::from_secs(60), 10)
        .await?;
    assert_eq!(claimed.len(), 4);
    assert!(
        store.outbox_by_key("erase:ev:shell:a:1").await?.is_some(),
        "kept until acknowledged"
    );
    for message in &claimed {
        let done =
            if message.idempotency_key.contains(":a:") || message.idempotency_key.contains(":c:") {
                store
                    .mark_sent(message.id, "worker", now, Some("ref"))
                    .await?
            } else {
                store.mark_failed(message.id, "worker", "gone").await?
            };
        assert!(done, "{}", message.idempotency_key);
    }
    assert!(store.outbox_by_key("erase:ev:shell:a:1").await?.is_none());
    assert!(store.outbox_by_key("erase:ev:shell:b:1").await?.is_none());
    assert_eq!(
        store
            .outbox_by_key("ev:shell:c:1")
            .await?
            .context("kept")?
            .status,
        OutboxStatus::Sent
    );
    assert_eq!(
        store
            .outbox_by_key("ev:shell:d:1")
            .await?
            .context("kept")?
            .status,
        OutboxStatus::Failed
    );
    Ok(())
}

// ---- the binary ---------------------------------------------------------------------------------------

fn amplifier() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amplifier"));
    for var in [
        "AMPLIFIER_CONFIG",
        "AMPLIFIER_DATABASE_URL",
        "AMPLIFIER_SLACK_BOT_TOKEN",
        "AMPLIFIER_SLACK_APP_TOKEN",
        "AMPLIFIER_SLACK_SIGNING_SECRET",
        "AMPLIFIER_DISCORD_TOKEN",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn output(cmd: &mut Command) -> anyhow::Result<(bool, String, String)> {
    let out = cmd.output()?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn write_config(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("amplifier.toml");
    let db = dir.join("amplifier.db");
    std::fs::write(
        &path,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n\n[[teams]]\nname = \"Demo\"\nplatform = \"shell\"\n\
             workspace_id = \"local\"\nleaders = [\"alice\"]\napprovers = [\"carol\"]\n\
             members = [\"dan\"]\nshare_channel = \"general\"\ntime_zone = \"Europe/Berlin\"\n",
            db.display()
        ),
    )?;
    Ok(path)
}

fn cli_forget_prints_counts_and_refuses_unknown_or_ambiguous_ids() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let path = write_config(dir.path())?;
    let now = monday();
    runtime().block_on(async {
        let config = Config::load(&path, &|_| None)?;
        let store = store::open(&config.database_url()).await?;
        store.migrate().await?;
        amplifier::teams::sync_config_teams(&*store, &config, now).await?;
        let team = store.team_by_name("Demo").await?.context("team")?;
        let alice = store
            .person_by_platform_id(Platform::Shell, "local", "alice")
            .await?
            .context("alice")?;
        store
            .create_draft(team.id, alice.id, None, "Alice's draft.", now)
            .await?;
        // The same id in another workspace.
        store
            .upsert_person(Platform::Slack, "T9", "alice", now)
            .await?;
        store.close().await;
        anyhow::Ok(())
    })?;
    let config = |cmd: &mut Command| {
        cmd.arg("--config").arg(&path);
    };

    let mut cmd = amplifier();
    cmd.args(["forget", "--person", "nobody"]);
    config(&mut cmd);
    let (ok, _, stderr) = output(&mut cmd)?;
    assert!(!ok, "an unknown id fails");
    assert!(stderr.contains("nobody with the id \"nobody\""), "{stderr}");

    let mut cmd = amplifier();
    cmd.args(["forget", "--person", "alice"]);
    config(&mut cmd);
    let (ok, _, stderr) = output(&mut cmd)?;
    assert!(!ok, "an ambiguous id fails");
    assert!(
        stderr.contains("several workspaces") && stderr.contains("--team"),
        "{stderr}"
    );

    let mut cmd = amplifier();
    cmd.args(["forget", "--person", "alice", "--team", "Demo"]);
    config(&mut cmd);
    let (ok, stdout, stderr) = output(&mut cmd)?;
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("Forgot alice (shell workspace local)")
            && stdout.contains("1 draft")
            && stdout.contains("1 team role")
            && stdout.contains("Audited as person.forgotten"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the config file still names alice in team Demo"),
        "{stdout}"
    );

    let mut cmd = amplifier();
    cmd.args(["forget", "--person", "alice", "--team", "Demo"]);
    config(&mut cmd);
    let (ok, _, stderr) = output(&mut cmd)?;
    assert!(!ok, "forgetting twice fails");
    assert!(stderr.contains("not stored in team Demo"), "{stderr}");

    // The other alice is alone now: no --team needed.
    let mut cmd = amplifier();
    cmd.args(["forget", "--person", "alice"]);
    config(&mut cmd);
    let (ok, stdout, stderr) = output(&mut cmd)?;
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("Forgot alice (slack workspace T9)"),
        "{stdout}"
    );

    runtime().block_on(async {
        let config = Config::load(&path, &|_| None)?;
        let store = store::open(&config.database_url()).await?;
        let log = store.audit_log(None, 100).await?;
        let forgets: Vec<_> = log
            .iter()
            .filter(|e| e.action == "person.forgotten")
            .collect();
        assert_eq!(forgets.len(), 2);
        assert!(forgets
            .iter()
            .all(|e| e.actor == "cli" && !e.detail_json.contains("alice")));
        store.close().await;
        anyhow::Ok(())
    })?;
    Ok(())
}
