//! Store conformance suite: every case is written once and runs against SQLite (a temp file,
//! always) and PostgreSQL (a fresh database per case, when `AMPLIFIER_TEST_POSTGRES_URL` is set).
//!
//! Run the PostgreSQL half with e.g.
//! `AMPLIFIER_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo test --test store`;
//! add `AMPLIFIER_REQUIRE_POSTGRES=1` (CI) to make a missing or unreachable PostgreSQL a failure.

mod support;

use amplifier::store::{
    self, AskId, AskStatus, AuditEntry, Backend, DraftId, DraftStatus, Inserted, Lane, Network,
    NewOutboxMessage, NewPost, NewReview, NewTeam, NudgeId, NudgeStatus, OutboxDepth, OutboxStatus,
    PersonId, PersonSpec, Platform, PostId, PostStatus, PromptSpec, Release, ReviewDecision, Role,
    RoundId, RoundOpened, RoundStatus, Store, StoreError, TeamId, TeamSource, TeamSpec,
};
use anyhow::Context;
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use libtest_mimic::{Failed, Trial};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;
use support::{Case, CaseFuture};

const POSTGRES_URL_VAR: &str = support::POSTGRES_URL_VAR;

/// Every conformance case, by name.
const CASES: &[(&str, Case)] = &[
    ("next_outbox_due_and_next_clock_work", |s| {
        Box::pin(next_outbox_due_and_next_clock_work(s))
    }),
    ("migrations_are_idempotent", |s| {
        Box::pin(migrations_are_idempotent(s))
    }),
    ("sync_teams_creates_updates_and_removes_roles", |s| {
        Box::pin(sync_teams_creates_updates_and_removes_roles(s))
    }),
    ("snooze_prompt_and_command_team_settings", |s| {
        Box::pin(snooze_prompt_and_command_team_settings(s))
    }),
    ("sync_teams_leaves_command_teams_alone", |s| {
        Box::pin(sync_teams_leaves_command_teams_alone(s))
    }),
    ("person_settings_round_trip", |s| {
        Box::pin(person_settings_round_trip(s))
    }),
    ("round_opens_once_per_slot", |s| {
        Box::pin(round_opens_once_per_slot(s))
    }),
    ("concurrent_round_opens_create_exactly_one", |s| {
        Box::pin(concurrent_round_opens_create_exactly_one(s))
    }),
    ("missed_rounds_count_for_last_round_slot", |s| {
        Box::pin(missed_rounds_count_for_last_round_slot(s))
    }),
    ("asks_are_unique_per_round_and_person", |s| {
        Box::pin(asks_are_unique_per_round_and_person(s))
    }),
    ("prompt_rotation_never_repeats_per_leader", |s| {
        Box::pin(prompt_rotation_never_repeats_per_leader(s))
    }),
    ("draft_versions_increment", |s| {
        Box::pin(draft_versions_increment(s))
    }),
    ("review_log_records_every_decision", |s| {
        Box::pin(review_log_records_every_decision(s))
    }),
    ("posts_keep_the_approved_text_and_canonical_link", |s| {
        Box::pin(posts_keep_the_approved_text_and_canonical_link(s))
    }),
    ("nudges_are_unique_per_post_and_person", |s| {
        Box::pin(nudges_are_unique_per_post_and_person(s))
    }),
    ("share_confirmations_are_deduplicated", |s| {
        Box::pin(share_confirmations_are_deduplicated(s))
    }),
    ("outbox_duplicate_key_enqueues_nothing", |s| {
        Box::pin(outbox_duplicate_key_enqueues_nothing(s))
    }),
    ("outbox_claims_interactive_before_bulk", |s| {
        Box::pin(outbox_claims_interactive_before_bulk(s))
    }),
    ("outbox_respects_not_before", |s| {
        Box::pin(outbox_respects_not_before(s))
    }),
    ("outbox_expired_claim_can_be_reclaimed", |s| {
        Box::pin(outbox_expired_claim_can_be_reclaimed(s))
    }),
    ("outbox_concurrent_claimers_never_share_a_row", |s| {
        Box::pin(outbox_concurrent_claimers_never_share_a_row(s))
    }),
    ("outbox_only_the_claim_owner_acks", |s| {
        Box::pin(outbox_only_the_claim_owner_acks(s))
    }),
    ("inbound_events_are_applied_once", |s| {
        Box::pin(inbound_events_are_applied_once(s))
    }),
    ("audit_log_lists_newest_first_per_team", |s| {
        Box::pin(audit_log_lists_newest_first_per_team(s))
    }),
    ("foreign_keys_are_enforced", |s| {
        Box::pin(foreign_keys_are_enforced(s))
    }),
    ("transaction_commits_state_and_outbox_together", |s| {
        Box::pin(transaction_commits_state_and_outbox_together(s))
    }),
    ("person_lookup_creates_nothing_and_lists_team_roles", |s| {
        Box::pin(person_lookup_creates_nothing_and_lists_team_roles(s))
    }),
    ("open_rounds_and_asks_filter_by_status_and_person", |s| {
        Box::pin(open_rounds_and_asks_filter_by_status_and_person(s))
    }),
    ("asks_due_for_reminder_and_moving_the_reminder", |s| {
        Box::pin(asks_due_for_reminder_and_moving_the_reminder(s))
    }),
    ("replace_latest_version_body_rewrites_in_place", |s| {
        Box::pin(replace_latest_version_body_rewrites_in_place(s))
    }),
    ("drafts_filter_by_author_status_and_team", |s| {
        Box::pin(drafts_filter_by_author_status_and_team(s))
    }),
    ("post_lookups_filter_by_status_and_window", |s| {
        Box::pin(post_lookups_filter_by_status_and_window(s))
    }),
    ("nudges_due_in_status_and_replanning", |s| {
        Box::pin(nudges_due_in_status_and_replanning(s))
    }),
    ("ignored_nudge_streak_stops_at_a_shared_nudge", |s| {
        Box::pin(ignored_nudge_streak_stops_at_a_shared_nudge(s))
    }),
    ("touches_since_counts_each_kind_once", |s| {
        Box::pin(touches_since_counts_each_kind_once(s))
    }),
    ("shares_of_team_keep_to_the_window_and_team", |s| {
        Box::pin(shares_of_team_keep_to_the_window_and_team(s))
    }),
    ("outbox_by_key_finds_the_platform_reference", |s| {
        Box::pin(outbox_by_key_finds_the_platform_reference(s))
    }),
];

fn main() {
    let postgres_expected = support::postgres_url().is_some() || support::require_postgres();
    support::run_suite("store", CASES, open_trials(postgres_expected));
}

/// `open` itself: URL schemes and connection errors, not per backend.
fn open_trials(postgres_expected: bool) -> Vec<Trial> {
    let block_on = |f: CaseFuture| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
            .map_err(|e| Failed::from(format!("{e:#}")))
    };
    vec![
        Trial::test("open::rejects_unknown_schemes", move || {
            block_on(Box::pin(async {
                for url in ["mysql://root@localhost/amp", "amp.db", "http://x"] {
                    let err = store::open(url).await.err().context("expected an error")?;
                    assert!(
                        matches!(err, StoreError::UnsupportedUrl { .. }),
                        "{url}: {err}"
                    );
                    assert!(err.to_string().contains(url), "{err}");
                }
                Ok(())
            }))
        }),
        Trial::test(
            "open::unreachable_postgres_names_the_url_without_password",
            move || {
                block_on(Box::pin(async {
                    // Port 1 on loopback refuses at once.
                    let url = "postgres://amp:hunter2@127.0.0.1:1/amp";
                    let err = store::open(url).await.err().context("expected an error")?;
                    let text = err.to_string();
                    assert!(matches!(err, StoreError::Connect { .. }), "{text}");
                    assert!(
                        text.contains("postgres://amp:***@127.0.0.1:1/amp"),
                        "{text}"
                    );
                    assert!(!text.contains("hunter2"), "{text}");
                    assert!(
                        text.to_lowercase().contains("refused"),
                        "the cause is kept: {text}"
                    );
                    Ok(())
                }))
            },
        ),
        Trial::test("open::unopenable_sqlite_path_names_the_url", move || {
            block_on(Box::pin(async {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}/missing-dir/amp.db", dir.path().display());
                let err = store::open(&url).await.err().context("expected an error")?;
                assert!(matches!(err, StoreError::Connect { .. }), "{err}");
                assert!(err.to_string().contains(&url), "{err}");
                Ok(())
            }))
        }),
        Trial::test(
            "open::sqlite_creates_the_file_and_selects_sqlite",
            move || {
                block_on(Box::pin(async {
                    let dir = tempfile::tempdir()?;
                    let path = dir.path().join("new.db");
                    let store = store::open(&format!("sqlite://{}", path.display())).await?;
                    assert_eq!(store.backend(), Backend::Sqlite);
                    assert_eq!(store.schema_version().await?, None);
                    store.migrate().await?;
                    assert!(store.schema_version().await?.is_some());
                    assert!(path.exists());
                    store.close().await;
                    Ok(())
                }))
            },
        ),
        Trial::test("open::sqlite_memory_keeps_its_data", move || {
            block_on(Box::pin(async {
                let store = store::open("sqlite::memory:").await?;
                store.migrate().await?;
                assert!(store.record_inbound("k", Platform::Shell, t(0)).await?);
                assert!(!store.record_inbound("k", Platform::Shell, t(0)).await?);
                store.close().await;
                Ok(())
            }))
        }),
        Trial::test(
            "open::sqlite_migration_8_moves_deferral_counts_out_of_the_error_text",
            move || {
                block_on(Box::pin(async {
                    let dir = tempfile::tempdir()?;
                    let url = format!("sqlite://{}", dir.path().join("old.db").display());
                    deferral_counts_move_to_their_column(&url, "sqlite").await
                }))
            },
        ),
    ]
    .into_iter()
    .chain(postgres_expected.then(|| {
        Trial::test(
            "open::postgres_migration_8_moves_deferral_counts_out_of_the_error_text",
            move || {
                block_on(Box::pin(async {
                    let admin = std::env::var(POSTGRES_URL_VAR)
                        .with_context(|| format!("{POSTGRES_URL_VAR} is not set"))?;
                    let (url, name) = support::create_database(&admin)
                        .await
                        .map_err(anyhow::Error::msg)?;
                    let outcome = deferral_counts_move_to_their_column(&url, "postgres").await;
                    support::drop_database(&admin, &name)
                        .await
                        .map_err(anyhow::Error::msg)?;
                    outcome
                }))
            },
        )
    }))
    .chain(postgres_expected.then(|| {
        Trial::test("open::postgres_selects_postgres", move || {
            block_on(Box::pin(async {
                let url = std::env::var(POSTGRES_URL_VAR)
                    .with_context(|| format!("{POSTGRES_URL_VAR} is not set"))?;
                for url in [url.clone(), url.replacen("postgres://", "postgresql://", 1)] {
                    let store = store::open(&url).await?;
                    assert_eq!(store.backend(), Backend::Postgres);
                    store.close().await;
                }
                Ok(())
            }))
        })
    }))
    .collect()
}

/// A database at schema 7 holding outbox rows whose `last_error` carries `[deferred N]` (how deferrals were
/// counted until then) is migrated: the counts move to `deferrals`, the reasons stay, other text is left alone.
async fn deferral_counts_move_to_their_column(url: &str, engine: &str) -> anyhow::Result<()> {
    let old = tempfile::tempdir()?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(engine);
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .context("name")?
            .to_string_lossy()
            .to_string();
        if name.as_str() < "0008" {
            std::fs::copy(&path, old.path().join(&name))?;
        }
    }
    let store = store::open(url).await?;
    let schema_7 = sqlx::migrate::Migrator::new(old.path()).await?;
    let rows = [
        (
            "a",
            Some("[deferred 3] rate limited on C1: retry after 30s"),
        ),
        ("b", Some("502 bad gateway")),
        ("c", Some("[deferred x] not a count")),
        ("d", None),
    ];
    let pending = "'pending', 4, '2025-03-03T09:00:00Z', '2025-03-03T09:00:00Z'";
    macro_rules! on_engine {
        ($pool:expr) => {{
            let pool = $pool;
            schema_7.run(pool).await?;
            for (key, error) in rows {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO outbox (idempotency_key, platform, workspace_id, lane, payload_json, \
                     status, attempts, not_before, created_at, last_error) \
                     VALUES ('{key}', 'shell', 'w', 'bulk', '{{}}', {pending}, $1)"
                )))
                .bind(error)
                .execute(pool)
                .await?;
            }
        }};
    }
    match engine {
        "sqlite" => {
            let sqlite = store::SqliteStore::open(url).await?;
            on_engine!(sqlite.pool());
            sqlite.close().await;
        }
        _ => {
            let pg = store::PgStore::open(url).await?;
            on_engine!(pg.pool());
            pg.close().await;
        }
    }
    assert_eq!(store.schema_version().await?, Some(7));
    store.migrate().await?;
    let mut seen = Vec::new();
    for (key, _) in rows {
        let row = store.outbox_by_key(key).await?.context("row")?;
        seen.push((row.deferrals, row.last_error));
    }
    assert_eq!(
        seen,
        [
            (3, Some("rate limited on C1: retry after 30s".to_string())),
            (0, Some("502 bad gateway".to_string())),
            (0, Some("[deferred x] not a count".to_string())),
            (0, None),
        ]
    );
    store.close().await;
    Ok(())
}

// ---- fixtures ---------------------------------------------------------------------------------

/// A fixed Monday 09:00 UTC plus `minutes`: whole seconds, which both databases keep exactly.
fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap() + Span::minutes(minutes)
}

fn person(id: &str, roles: &[Role]) -> PersonSpec {
    PersonSpec {
        platform_user_id: id.to_string(),
        roles: roles.to_vec(),
    }
}

fn core_team(people: Vec<PersonSpec>, settings: &str) -> TeamSpec {
    TeamSpec {
        name: "core".to_string(),
        platform: Platform::Slack,
        workspace_id: "T1".to_string(),
        settings_json: settings.to_string(),
        people,
    }
}

struct Fixture {
    team: TeamId,
    leader: PersonId,
    approver: PersonId,
    member: PersonId,
}

/// One config team: alice leads, bob approves, carol is a member.
async fn fixture(store: &dyn Store) -> anyhow::Result<Fixture> {
    let spec = core_team(
        vec![
            person("U_ALICE", &[Role::Leader]),
            person("U_BOB", &[Role::Approver]),
            person("U_CAROL", &[Role::Member]),
        ],
        "{}",
    );
    store.sync_teams(&[spec], t(0)).await?;
    let team = store.team_by_name("core").await?.context("team core")?;
    let find = |id: &str| {
        let id = id.to_string();
        async move {
            store
                .upsert_person(Platform::Slack, "T1", &id, t(0))
                .await
                .map(|p| p.id())
        }
    };
    Ok(Fixture {
        team: team.id,
        leader: find("U_ALICE").await?,
        approver: find("U_BOB").await?,
        member: find("U_CAROL").await?,
    })
}

fn message(key: &str, lane: Lane, not_before: DateTime<Utc>) -> NewOutboxMessage {
    NewOutboxMessage {
        idempotency_key: key.to_string(),
        platform: Platform::Slack,
        workspace_id: "T1".to_string(),
        lane,
        payload_json: format!(r#"{{"text":"{key}"}}"#),
        not_before,
    }
}

const LEASE: Duration = Duration::from_secs(30);

/// What delivery and the clock work sleep until: the earliest unclaimed pending row, to the millisecond; the
/// next team slot, and whether work came due since the last tick.
async fn next_outbox_due_and_next_clock_work(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    assert_eq!(store.next_outbox_due().await?, None);
    let ms = |m: i64, extra: i64| t(m) + Span::milliseconds(extra);
    store
        .enqueue(&message("late", Lane::Bulk, ms(5, 0)), t(0))
        .await?;
    store
        .enqueue(&message("soon", Lane::Bulk, ms(3, 7)), t(0))
        .await?;
    assert_eq!(store.next_outbox_due().await?, Some(ms(3, 7)));
    // A row someone holds is theirs to send; the next one is what this worker waits for.
    let claimed = store.claim_outbox("w1", ms(3, 7), LEASE, 1).await?;
    assert_eq!(claimed.len(), 1);
    assert_eq!(store.next_outbox_due().await?, Some(ms(5, 0)));
    // Released until later by the worker (paced): it counts again, at its new instant.
    assert!(
        store
            .retry_later(claimed[0].id, "w1", ms(4, 1), "paced", Release::Deferred)
            .await?
    );
    assert_eq!(store.next_outbox_due().await?, Some(ms(4, 1)));

    // The fixture's team has no next instant yet: its plan is new.
    let work = store.next_clock_work(None, t(0)).await?;
    assert!(work.replanned, "{work:?}");
    assert!(store.claim_due_team(f.team, t(0)).await?.is_some());
    assert!(store.set_team_next_due(f.team, t(0), Some(t(60))).await?);
    let work = store.next_clock_work(None, t(0)).await?;
    assert!(!work.replanned && !work.due_now, "{work:?}");
    assert_eq!(work.next, Some(t(60)));
    assert!(store.next_clock_work(None, t(61)).await?.due_now);
    // A tick at t(60) saw it: only work that came due after that makes the clock work due again.
    assert!(!store.next_clock_work(Some(t(60)), t(61)).await?.due_now);
    assert!(store.next_clock_work(Some(t(59)), t(61)).await?.due_now);
    Ok(())
}

// ---- cases: schema and teams ------------------------------------------------------------------

async fn migrations_are_idempotent(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let version = store.schema_version().await?;
    assert_eq!(version, Some(8), "every migration applied");
    let f = fixture(&*store).await?;
    store.migrate().await?;
    store.migrate().await?;
    assert_eq!(store.schema_version().await?, version);
    assert_eq!(
        store.team_by_name("core").await?.map(|t| t.id),
        Some(f.team),
        "data survives a second migrate"
    );
    Ok(())
}

async fn sync_teams_creates_updates_and_removes_roles(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let first = vec![
        person("U_ALICE", &[Role::Leader, Role::Approver]),
        person("U_BOB", &[Role::Approver]),
        person("U_CAROL", &[Role::Member]),
    ];
    let report = store
        .sync_teams(&[core_team(first.clone(), r#"{"v":1}"#)], t(0))
        .await?;
    assert_eq!(report.teams_created, 1);
    assert_eq!(report.teams_updated, 0);
    assert_eq!(report.people_added, 3);
    assert_eq!(report.roles_added, 4);
    assert_eq!(report.roles_removed, 0);

    let again = store
        .sync_teams(&[core_team(first, r#"{"v":1}"#)], t(1))
        .await?;
    assert_eq!(
        again,
        Default::default(),
        "an unchanged file changes nothing"
    );

    // Carol leaves, dave joins, alice stops approving, settings change.
    let second = vec![
        person("U_ALICE", &[Role::Leader]),
        person("U_BOB", &[Role::Approver]),
        person("U_DAVE", &[Role::Member, Role::Admin]),
    ];
    let report = store
        .sync_teams(&[core_team(second, r#"{"v":2}"#)], t(2))
        .await?;
    assert_eq!(report.teams_created, 0);
    assert_eq!(report.teams_updated, 1);
    assert_eq!(report.people_added, 1);
    assert_eq!(report.roles_added, 2);
    assert_eq!(report.roles_removed, 2);

    let team = store.team_by_name("core").await?.context("core")?;
    assert_eq!(team.settings_json, r#"{"v":2}"#);
    assert_eq!(team.source, TeamSource::Config);
    assert_eq!(team.platform, Platform::Slack);
    assert_eq!(team.updated_at, t(2));
    assert_eq!(team.created_at, t(0));
    let roles: BTreeSet<(String, Role)> = store
        .team_people(team.id)
        .await?
        .into_iter()
        .map(|(p, r)| (p.platform_user_id, r))
        .collect();
    let expected: BTreeSet<(String, Role)> = [
        ("U_ALICE", Role::Leader),
        ("U_BOB", Role::Approver),
        ("U_DAVE", Role::Admin),
        ("U_DAVE", Role::Member),
    ]
    .into_iter()
    .map(|(p, r)| (p.to_string(), r))
    .collect();
    assert_eq!(roles, expected);

    // Carol lost her role but is still a person (her history stays).
    let carol = store
        .upsert_person(Platform::Slack, "T1", "U_CAROL", t(3))
        .await?;
    assert!(matches!(carol, Inserted::Existing(_)));
    assert_eq!(store.teams().await?.len(), 1);
    Ok(())
}

async fn snooze_prompt_and_command_team_settings(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    store
        .upsert_prompts(
            "default",
            &[PromptSpec {
                key: "p1".into(),
                text: "What surprised you?".into(),
                tags: vec!["a".into()],
            }],
        )
        .await?;
    let prompt = store
        .unseen_prompts("default", f.leader, f.team)
        .await?
        .pop()
        .context("p1")?;
    assert_eq!(
        store.prompt(prompt.id).await?.map(|p| p.text),
        Some("What surprised you?".to_string())
    );
    let round = store.open_round(f.team, t(0), t(0)).await?.round_id();
    let ask = store
        .create_ask(round, f.leader, Some(prompt.id), t(0))
        .await?
        .id();
    assert!(!store.ask(ask).await?.context("ask")?.snoozed);
    store.snooze_ask(ask, t(24 * 60), t(5)).await?;
    let snoozed = store.ask(ask).await?.context("ask")?;
    assert!(snoozed.snoozed);
    assert_eq!(snoozed.remind_at, Some(t(24 * 60)));
    assert_eq!(snoozed.reminders_sent, 0, "a snooze is not a reminder");
    assert_eq!(store.asks_due_for_reminder(t(24 * 60)).await?.len(), 1);
    store.record_ask_reminder(ask, None, t(24 * 60)).await?;
    let reminded = store.ask(ask).await?.context("ask")?;
    assert!(!reminded.snoozed, "the reminder answers the snooze");
    assert_eq!(reminded.reminders_sent, 1);
    // Settings change only on command teams; config teams change in the file.
    assert!(
        !store
            .update_team_settings(f.team, "{\"x\":1}", t(6))
            .await?
    );
    let ops = store
        .create_command_team(
            &NewTeam {
                name: "ops".into(),
                platform: Platform::Shell,
                workspace_id: "w".into(),
                settings_json: "{}".into(),
            },
            t(0),
        )
        .await?
        .context("ops")?;
    assert!(store.update_team_settings(ops, "{\"x\":2}", t(7)).await?);
    assert_eq!(
        store.team(ops).await?.context("ops")?.settings_json,
        "{\"x\":2}"
    );
    assert_ne!(
        store.team(f.team).await?.context("core")?.settings_json,
        "{\"x\":1}"
    );
    Ok(())
}

async fn sync_teams_leaves_command_teams_alone(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let ops = store
        .create_command_team(
            &NewTeam {
                name: "ops".into(),
                platform: Platform::Discord,
                workspace_id: "G1".into(),
                settings_json: r#"{"from":"command"}"#.into(),
            },
            t(0),
        )
        .await?
        .context("ops created")?;
    let duplicate = store
        .create_command_team(
            &NewTeam {
                name: "ops".into(),
                platform: Platform::Discord,
                workspace_id: "G1".into(),
                settings_json: "{}".into(),
            },
            t(0),
        )
        .await?;
    assert_eq!(duplicate, None, "team names are unique");
    let zed = store
        .upsert_person(Platform::Discord, "G1", "zed", t(0))
        .await?
        .id();
    assert!(store.grant_role(ops, zed, Role::Leader).await?);
    assert!(!store.grant_role(ops, zed, Role::Leader).await?);

    let hijack = TeamSpec {
        name: "ops".into(),
        platform: Platform::Slack,
        workspace_id: "T9".into(),
        settings_json: r#"{"from":"file"}"#.into(),
        people: vec![person("U_EVE", &[Role::Admin])],
    };
    let report = store
        .sync_teams(&[core_team(vec![], "{}"), hijack], t(1))
        .await?;
    assert_eq!(report.skipped_command_teams, vec!["ops".to_string()]);
    assert_eq!(report.teams_created, 1);
    assert_eq!(report.roles_added, 0);

    let team = store.team(ops).await?.context("ops")?;
    assert_eq!(team.source, TeamSource::Command);
    assert_eq!(team.platform, Platform::Discord);
    assert_eq!(team.settings_json, r#"{"from":"command"}"#);
    assert_eq!(team.updated_at, t(0));
    let people = store.team_people(ops).await?;
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].0.platform_user_id, "zed");
    assert_eq!(people[0].1, Role::Leader);

    assert!(store.revoke_role(ops, zed, Role::Leader).await?);
    assert!(!store.revoke_role(ops, zed, Role::Leader).await?);
    assert!(store.team_people(ops).await?.is_empty());
    Ok(())
}

async fn person_settings_round_trip(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let before = store.person(f.member).await?.context("carol")?;
    assert!(!before.muted && !before.out_of_office);
    assert_eq!(before.paused_until, None);
    store.set_person_muted(f.member, true).await?;
    store.set_person_out_of_office(f.member, true).await?;
    store
        .set_person_paused_until(f.member, Some(t(600)))
        .await?;
    store
        .set_person_time_zone(f.member, Some("Europe/Paris"))
        .await?;
    store.set_person_dm_channel(f.member, Some("D123")).await?;
    store
        .set_person_display_name(f.member, Some("Carol"))
        .await?;
    let after = store.person(f.member).await?.context("carol")?;
    assert!(after.muted && after.out_of_office);
    assert_eq!(after.paused_until, Some(t(600)));
    assert_eq!(after.time_zone.as_deref(), Some("Europe/Paris"));
    assert_eq!(after.dm_channel_id.as_deref(), Some("D123"));
    assert_eq!(after.display_name.as_deref(), Some("Carol"));
    store.set_person_muted(f.member, false).await?;
    store.set_person_paused_until(f.member, None).await?;
    let resumed = store.person(f.member).await?.context("carol")?;
    assert!(!resumed.muted);
    assert_eq!(resumed.paused_until, None);
    Ok(())
}

// ---- cases: rounds, asks, prompts -------------------------------------------------------------

async fn round_opens_once_per_slot(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let first = store.open_round(f.team, t(60), t(60)).await?;
    let RoundOpened::Created(id) = first else {
        panic!("first open must create, got {first:?}");
    };
    assert_eq!(
        store.open_round(f.team, t(60), t(61)).await?,
        RoundOpened::AlreadyOpen(id)
    );
    let next = store.open_round(f.team, t(60 * 24 * 7), t(60)).await?;
    assert!(matches!(next, RoundOpened::Created(other) if other != id));

    let round = store.round(id).await?.context("round")?;
    assert_eq!(round.status, RoundStatus::Open);
    assert_eq!(round.scheduled_at, t(60));
    assert!(store.close_round(id, t(90)).await?);
    assert!(
        !store.close_round(id, t(91)).await?,
        "closing twice changes nothing"
    );
    assert_eq!(
        store.open_round(f.team, t(60), t(92)).await?,
        RoundOpened::AlreadyDone(id, RoundStatus::Closed)
    );
    assert_eq!(
        store.round(id).await?.context("round")?.closed_at,
        Some(t(90))
    );
    Ok(())
}

async fn concurrent_round_opens_create_exactly_one(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    for slot in 0..5 {
        let scheduled = t(60 * 24 * 7 * slot);
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.open_round(f.team, scheduled, scheduled).await
            }));
        }
        let mut created = 0;
        let mut ids = HashSet::new();
        for task in tasks {
            let opened = task.await??;
            if matches!(opened, RoundOpened::Created(_)) {
                created += 1;
            }
            ids.insert(opened.round_id());
        }
        assert_eq!(
            created, 1,
            "slot {slot}: exactly one replica opens the round"
        );
        assert_eq!(ids.len(), 1, "slot {slot}: everyone sees the same round");
    }
    Ok(())
}

async fn missed_rounds_count_for_last_round_slot(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    assert_eq!(store.last_round_slot(f.team).await?, None);
    store.open_round(f.team, t(0), t(0)).await?;
    assert_eq!(store.last_round_slot(f.team).await?, Some(t(0)));
    let missed = store.record_missed_round(f.team, t(300), t(400)).await?;
    assert!(missed.is_new());
    assert_eq!(store.last_round_slot(f.team).await?, Some(t(300)));
    // An earlier missed slot does not move it back.
    store.record_missed_round(f.team, t(100), t(400)).await?;
    assert_eq!(store.last_round_slot(f.team).await?, Some(t(300)));
    // Recording the same slot again is idempotent, and a missed slot is never opened late.
    assert_eq!(
        store.record_missed_round(f.team, t(300), t(401)).await?,
        Inserted::Existing(missed.id())
    );
    assert_eq!(
        store.open_round(f.team, t(300), t(402)).await?,
        RoundOpened::AlreadyDone(missed.id(), RoundStatus::Missed)
    );
    // Another team's rounds are its own.
    let other = store
        .create_command_team(
            &NewTeam {
                name: "other".into(),
                platform: Platform::Slack,
                workspace_id: "T1".into(),
                settings_json: "{}".into(),
            },
            t(0),
        )
        .await?
        .context("other")?;
    assert_eq!(store.last_round_slot(other).await?, None);
    store.open_round(other, t(900), t(900)).await?;
    assert_eq!(store.last_round_slot(f.team).await?, Some(t(300)));
    assert_eq!(store.last_round_slot(other).await?, Some(t(900)));
    Ok(())
}

async fn asks_are_unique_per_round_and_person(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    store
        .upsert_prompts(
            "default",
            &[PromptSpec {
                key: "p1".into(),
                text: "What surprised you this week?".into(),
                tags: vec![],
            }],
        )
        .await?;
    let prompt = store
        .unseen_prompts("default", f.leader, f.team)
        .await?
        .pop()
        .context("p1")?;
    let round = store.open_round(f.team, t(0), t(0)).await?.round_id();
    let ask = store
        .create_ask(round, f.leader, Some(prompt.id), t(0))
        .await?;
    assert!(ask.is_new());
    assert_eq!(
        store.create_ask(round, f.leader, None, t(1)).await?,
        Inserted::Existing(ask.id())
    );
    assert!(store
        .create_ask(round, f.approver, None, t(0))
        .await?
        .is_new());
    assert_eq!(store.asks(round).await?.len(), 2);

    let stored = store.ask(ask.id()).await?.context("ask")?;
    assert_eq!(stored.status, AskStatus::Open);
    assert_eq!(stored.prompt_id, Some(prompt.id));
    assert_eq!(stored.reminders_sent, 0);
    store
        .record_ask_reminder(ask.id(), Some(t(60)), t(30))
        .await?;
    store
        .set_ask_status(ask.id(), AskStatus::Answered, t(45))
        .await?;
    let stored = store.ask(ask.id()).await?.context("ask")?;
    assert_eq!(stored.reminders_sent, 1);
    assert_eq!(stored.remind_at, Some(t(60)));
    assert_eq!(stored.status, AskStatus::Answered);
    assert_eq!(stored.updated_at, t(45));
    Ok(())
}

async fn prompt_rotation_never_repeats_per_leader(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let pack = |text: &str| {
        ["a", "b", "c"]
            .iter()
            .map(|key| PromptSpec {
                key: key.to_string(),
                text: format!("{text} {key}"),
                tags: vec!["craft".into()],
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(store.upsert_prompts("default", &pack("v1")).await?, 3);
    store
        .upsert_prompts(
            "other-pack",
            &[PromptSpec {
                key: "a".into(),
                text: "elsewhere".into(),
                tags: vec![],
            }],
        )
        .await?;
    let unseen = store.unseen_prompts("default", f.leader, f.team).await?;
    assert_eq!(
        unseen.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(unseen[0].tags, vec!["craft".to_string()]);

    let round = store.open_round(f.team, t(0), t(0)).await?.round_id();
    store
        .record_prompt_seen(f.leader, unseen[0].id, f.team, Some(round), t(0))
        .await?;
    let keys = |prompts: Vec<amplifier::store::Prompt>| {
        prompts.into_iter().map(|p| p.key).collect::<Vec<_>>()
    };
    assert_eq!(
        keys(store.unseen_prompts("default", f.leader, f.team).await?),
        ["b", "c"]
    );
    // Another leader, and the same leader in another pack, are unaffected.
    assert_eq!(
        store
            .unseen_prompts("default", f.approver, f.team)
            .await?
            .len(),
        3
    );
    assert_eq!(
        store
            .unseen_prompts("other-pack", f.leader, f.team)
            .await?
            .len(),
        1
    );

    // Rewording the pack keeps who saw what.
    store.upsert_prompts("default", &pack("v2")).await?;
    let unseen = store.unseen_prompts("default", f.leader, f.team).await?;
    assert_eq!(unseen.len(), 2);
    assert_eq!(unseen[0].text, "v2 b");

    for prompt in &unseen {
        store
            .record_prompt_seen(f.leader, prompt.id, f.team, None, t(1))
            .await?;
        // Seeing it twice is not an error.
        store
            .record_prompt_seen(f.leader, prompt.id, f.team, None, t(2))
            .await?;
    }
    assert!(store
        .unseen_prompts("default", f.leader, f.team)
        .await?
        .is_empty());
    assert_eq!(
        store
            .reset_prompt_views("default", f.leader, f.team)
            .await?,
        3
    );
    assert_eq!(
        store
            .unseen_prompts("default", f.leader, f.team)
            .await?
            .len(),
        3
    );
    Ok(())
}

// ---- cases: drafts, reviews, posts, nudges, shares --------------------------------------------

async fn draft_versions_increment(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let draft = store
        .create_draft(f.team, f.leader, None, "first take", t(0))
        .await?;
    let stored = store.draft(draft).await?.context("draft")?;
    assert_eq!(stored.current_version, 1);
    assert_eq!(stored.status, DraftStatus::Editing);
    assert_eq!(stored.author_id, f.leader);

    assert_eq!(
        store
            .add_draft_version(draft, f.leader, "second take", t(5))
            .await?,
        2
    );
    assert_eq!(
        store
            .add_draft_version(draft, f.approver, "edited", t(9))
            .await?,
        3
    );
    store
        .set_draft_status(draft, DraftStatus::InReview, t(10))
        .await?;

    let stored = store.draft(draft).await?.context("draft")?;
    assert_eq!(stored.current_version, 3);
    assert_eq!(stored.status, DraftStatus::InReview);
    assert_eq!(stored.updated_at, t(10));
    let versions = store.draft_versions(draft).await?;
    let summary: Vec<(i64, &str, PersonId, DateTime<Utc>)> = versions
        .iter()
        .map(|v| (v.version, v.body.as_str(), v.editor_id, v.created_at))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "first take", f.leader, t(0)),
            (2, "second take", f.leader, t(5)),
            (3, "edited", f.approver, t(9)),
        ]
    );

    // Versions of another draft start again at 1.
    let other = store
        .create_draft(f.team, f.leader, None, "another", t(11))
        .await?;
    assert_eq!(
        store
            .add_draft_version(other, f.leader, "again", t(12))
            .await?,
        2
    );

    let missing = store
        .add_draft_version(amplifier::store::DraftId(999_999), f.leader, "x", t(0))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    Ok(())
}

async fn review_log_records_every_decision(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let draft = store
        .create_draft(f.team, f.leader, None, "v1", t(0))
        .await?;
    let review = |version, decision, comment: Option<&str>| NewReview {
        draft_id: draft,
        version,
        reviewer_id: f.approver,
        decision,
        comment: comment.map(str::to_string),
    };
    store
        .record_review(
            &review(1, ReviewDecision::RequestChanges, Some("shorter, please")),
            t(10),
        )
        .await?;
    store
        .add_draft_version(draft, f.leader, "v2", t(20))
        .await?;
    store
        .record_review(&review(2, ReviewDecision::Approve, None), t(30))
        .await?;

    let log = store.reviews(draft).await?;
    let summary: Vec<_> = log
        .iter()
        .map(|r| {
            (
                r.version,
                r.decision,
                r.comment.as_deref(),
                r.reviewer_id,
                r.decided_at,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                1,
                ReviewDecision::RequestChanges,
                Some("shorter, please"),
                f.approver,
                t(10)
            ),
            (2, ReviewDecision::Approve, None, f.approver, t(30)),
        ]
    );
    // A decision about a version that does not exist is refused.
    let bogus = store
        .record_review(&review(7, ReviewDecision::Reject, None), t(40))
        .await;
    assert!(
        bogus
            .as_ref()
            .is_err_and(StoreError::is_constraint_violation),
        "{bogus:?}"
    );
    assert_eq!(store.reviews(draft).await?.len(), 2);
    Ok(())
}

async fn posts_keep_the_approved_text_and_canonical_link(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let draft = store
        .create_draft(f.team, f.leader, None, "v1", t(0))
        .await?;
    store
        .add_draft_version(draft, f.approver, "approved text", t(1))
        .await?;
    store
        .set_draft_status(draft, DraftStatus::Approved, t(2))
        .await?;
    let new_post = NewPost {
        draft_id: draft,
        version: 2,
        status: PostStatus::AwaitingLink,
        publish_at: None,
    };
    let post = store.create_post(&new_post, t(3)).await?;
    assert!(post.is_new());
    assert_eq!(
        store.create_post(&new_post, t(4)).await?,
        Inserted::Existing(post.id())
    );

    // Later edits of the draft do not change the post.
    store
        .add_draft_version(draft, f.leader, "later edit", t(5))
        .await?;
    let stored = store.post(post.id()).await?.context("post")?;
    assert_eq!(stored.body, "approved text");
    assert_eq!(stored.version, 2);
    assert_eq!((stored.team_id, stored.author_id), (f.team, f.leader));
    assert_eq!(stored.status, PostStatus::AwaitingLink);

    let url = "https://www.linkedin.com/posts/alice_123";
    store
        .set_post_canonical_link(post.id(), url, Network::Linkedin, t(6))
        .await?;
    store
        .set_post_status(post.id(), PostStatus::Scheduled, Some(t(60)), t(7))
        .await?;
    let stored = store.post(post.id()).await?.context("post")?;
    assert_eq!(stored.canonical_url.as_deref(), Some(url));
    assert_eq!(stored.canonical_network.as_deref(), Some("linkedin"));
    assert_eq!(stored.status, PostStatus::Scheduled);
    assert_eq!(stored.publish_at, Some(t(60)));

    store
        .mark_post_published(post.id(), "C1/1700000000.0001", t(60))
        .await?;
    let stored = store.post(post.id()).await?.context("post")?;
    assert_eq!(stored.status, PostStatus::Published);
    assert_eq!(stored.published_at, Some(t(60)));
    assert_eq!(stored.publish_at, Some(t(60)));
    assert_eq!(
        stored.channel_message_ref.as_deref(),
        Some("C1/1700000000.0001")
    );

    let other = store
        .create_draft(f.team, f.leader, None, "only v1", t(0))
        .await?;
    let missing = store
        .create_post(
            &NewPost {
                draft_id: other,
                version: 4,
                ..new_post.clone()
            },
            t(8),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    Ok(())
}

async fn published_post(
    store: &dyn Store,
    f: &Fixture,
) -> anyhow::Result<amplifier::store::PostId> {
    let draft = store
        .create_draft(f.team, f.leader, None, "insight", t(0))
        .await?;
    let post = store
        .create_post(
            &NewPost {
                draft_id: draft,
                version: 1,
                status: PostStatus::Scheduled,
                publish_at: Some(t(10)),
            },
            t(1),
        )
        .await?;
    Ok(post.id())
}

async fn nudges_are_unique_per_post_and_person(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let post = published_post(&*store, &f).await?;
    let nudge = store.create_nudge(post, f.member, t(120)).await?;
    assert!(nudge.is_new());
    assert_eq!(
        store.create_nudge(post, f.member, t(500)).await?,
        Inserted::Existing(nudge.id())
    );
    assert!(store.create_nudge(post, f.approver, t(130)).await?.is_new());

    store
        .set_nudge_status(nudge.id(), NudgeStatus::Sent, t(121))
        .await?;
    store
        .set_nudge_status(nudge.id(), NudgeStatus::Reminded, t(300))
        .await?;
    let nudges = store.nudges(post).await?;
    assert_eq!(nudges.len(), 2);
    let first = &nudges[0];
    assert_eq!(first.id, nudge.id());
    assert_eq!(first.due_at, t(120), "the second create did not move it");
    assert_eq!(first.status, NudgeStatus::Reminded);
    assert_eq!(first.sent_at, Some(t(121)));
    assert_eq!(first.reminded_at, Some(t(300)));
    assert_eq!(nudges[1].status, NudgeStatus::Pending);
    assert_eq!(nudges[1].sent_at, None);
    Ok(())
}

async fn share_confirmations_are_deduplicated(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let post = published_post(&*store, &f).await?;
    assert!(
        store
            .record_share(post, f.member, Network::Linkedin, None, t(20))
            .await?
    );
    assert!(
        !store
            .record_share(post, f.member, Network::Linkedin, None, t(21))
            .await?
    );
    let link = "https://bsky.app/profile/carol/post/1";
    assert!(
        store
            .record_share(post, f.member, Network::Bluesky, Some(link), t(22))
            .await?
    );
    assert!(
        store
            .record_share(post, f.approver, Network::Linkedin, None, t(23))
            .await?
    );
    // A later paste of the link fills in the first, link-less confirmation.
    let li = "https://www.linkedin.com/feed/update/urn:li:activity:1";
    assert!(
        !store
            .record_share(post, f.member, Network::Linkedin, Some(li), t(24))
            .await?
    );
    assert!(
        !store
            .record_share(
                post,
                f.member,
                Network::Linkedin,
                Some("https://other"),
                t(25)
            )
            .await?
    );

    let shares = store.shares(post).await?;
    assert_eq!(shares.len(), 3, "one row per person and network");
    assert_eq!(shares[0].network, Network::Linkedin);
    assert_eq!(shares[0].person_id, f.member);
    assert_eq!(shares[0].url.as_deref(), Some(li), "the first link stays");
    assert_eq!(shares[0].confirmed_at, t(20));
    assert_eq!(shares[1].url.as_deref(), Some(link));
    Ok(())
}

// ---- cases: outbox ----------------------------------------------------------------------------

async fn outbox_duplicate_key_enqueues_nothing(store: Arc<dyn Store>) -> anyhow::Result<()> {
    assert!(
        store
            .enqueue(&message("nudge:1", Lane::Bulk, t(0)), t(0))
            .await?
    );
    let mut again = message("nudge:1", Lane::Interactive, t(0));
    again.payload_json = r#"{"text":"changed"}"#.into();
    assert!(!store.enqueue(&again, t(1)).await?);
    assert_eq!(
        store.outbox_depth().await?,
        OutboxDepth {
            interactive: 0,
            bulk: 1
        }
    );
    let claimed = store.claim_outbox("w1", t(2), LEASE, 10).await?;
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].payload_json, r#"{"text":"nudge:1"}"#,
        "the first one wins"
    );
    assert!(
        store
            .mark_sent(claimed[0].id, "w1", t(3), Some("ts1"))
            .await?
    );
    // A key already sent is still a duplicate.
    assert!(
        !store
            .enqueue(&message("nudge:1", Lane::Bulk, t(4)), t(4))
            .await?
    );
    assert_eq!(store.outbox_depth().await?, OutboxDepth::default());
    Ok(())
}

async fn outbox_claims_interactive_before_bulk(store: Arc<dyn Store>) -> anyhow::Result<()> {
    for i in 0..3 {
        store
            .enqueue(&message(&format!("bulk:{i}"), Lane::Bulk, t(0)), t(i))
            .await?;
    }
    for i in 0..2 {
        store
            .enqueue(
                &message(&format!("click:{i}"), Lane::Interactive, t(0)),
                t(10 + i),
            )
            .await?;
    }
    assert_eq!(
        store.outbox_depth().await?,
        OutboxDepth {
            interactive: 2,
            bulk: 3
        }
    );
    let keys = |messages: Vec<amplifier::store::OutboxMessage>| {
        messages
            .into_iter()
            .map(|m| m.idempotency_key)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(store.claim_outbox("w1", t(20), LEASE, 3).await?),
        ["click:0", "click:1", "bulk:0"]
    );
    assert_eq!(
        keys(store.claim_outbox("w2", t(20), LEASE, 10).await?),
        ["bulk:1", "bulk:2"]
    );
    assert!(store.claim_outbox("w3", t(20), LEASE, 10).await?.is_empty());
    // Claimed rows are still pending until acknowledged.
    assert_eq!(
        store.outbox_depth().await?,
        OutboxDepth {
            interactive: 2,
            bulk: 3
        }
    );
    Ok(())
}

async fn outbox_respects_not_before(store: Arc<dyn Store>) -> anyhow::Result<()> {
    store
        .enqueue(&message("later", Lane::Interactive, t(60)), t(0))
        .await?;
    store
        .enqueue(&message("now", Lane::Bulk, t(0)), t(0))
        .await?;
    let claimed = store.claim_outbox("w1", t(59), LEASE, 10).await?;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].idempotency_key, "now");
    assert!(store.mark_sent(claimed[0].id, "w1", t(59), None).await?);
    let claimed = store.claim_outbox("w1", t(60), LEASE, 10).await?;
    assert_eq!(claimed.len(), 1, "due exactly at not_before");
    assert_eq!(claimed[0].idempotency_key, "later");
    assert_eq!(claimed[0].claim_owner.as_deref(), Some("w1"));
    assert_eq!(claimed[0].claim_expires_at, Some(t(60) + Span::seconds(30)));
    assert_eq!(claimed[0].attempts, 1);
    Ok(())
}

async fn outbox_expired_claim_can_be_reclaimed(store: Arc<dyn Store>) -> anyhow::Result<()> {
    store.enqueue(&message("m", Lane::Bulk, t(0)), t(0)).await?;
    let first = store.claim_outbox("a", t(0), LEASE, 10).await?;
    assert_eq!(first.len(), 1);
    let id = first[0].id;
    assert!(
        store
            .claim_outbox("b", t(0) + Span::seconds(29), LEASE, 10)
            .await?
            .is_empty(),
        "a live claim is not handed out"
    );
    let second = store
        .claim_outbox("b", t(0) + Span::seconds(30), LEASE, 10)
        .await?;
    assert_eq!(second.len(), 1, "an expired claim is");
    assert_eq!(second[0].id, id);
    assert_eq!(second[0].attempts, 2);
    assert_eq!(second[0].claim_owner.as_deref(), Some("b"));

    assert!(
        !store.mark_sent(id, "a", t(1), Some("late")).await?,
        "a lost its claim"
    );
    assert!(store.mark_sent(id, "b", t(1), Some("ts-9")).await?);
    let sent = store.outbox_message(id).await?.context("row")?;
    assert_eq!(sent.status, OutboxStatus::Sent);
    assert_eq!(sent.platform_ref.as_deref(), Some("ts-9"));
    assert_eq!(sent.sent_at, Some(t(1)));
    assert_eq!(sent.claim_owner, None);
    assert!(
        store.claim_outbox("c", t(100), LEASE, 10).await?.is_empty(),
        "sent is final"
    );
    Ok(())
}

async fn outbox_concurrent_claimers_never_share_a_row(store: Arc<dyn Store>) -> anyhow::Result<()> {
    const ROWS: usize = 200;
    let tx = store.begin().await?;
    for i in 0..ROWS {
        let lane = if i % 3 == 0 {
            Lane::Interactive
        } else {
            Lane::Bulk
        };
        tx.enqueue(&message(&format!("m:{i}"), lane, t(0)), t(0))
            .await?;
    }
    tx.commit().await?;

    let mut workers = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let owner = format!("worker-{w}");
            let mut mine = Vec::new();
            loop {
                let batch = store.claim_outbox(&owner, t(1), LEASE, 7).await?;
                if batch.is_empty() {
                    break;
                }
                for m in batch {
                    anyhow::ensure!(store.mark_sent(m.id, &owner, t(1), None).await?, "ack");
                    mine.push(m.id);
                }
            }
            anyhow::Ok(mine)
        }));
    }
    let mut all = Vec::new();
    let mut busy_workers = 0;
    for worker in workers {
        let mine = worker.await??;
        if !mine.is_empty() {
            busy_workers += 1;
        }
        all.extend(mine);
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), ROWS, "every row claimed exactly once");
    assert_eq!(distinct.len(), ROWS);
    assert!(busy_workers >= 1);
    assert_eq!(store.outbox_depth().await?, OutboxDepth::default());
    Ok(())
}

async fn outbox_only_the_claim_owner_acks(store: Arc<dyn Store>) -> anyhow::Result<()> {
    store
        .enqueue(&message("m", Lane::Interactive, t(0)), t(0))
        .await?;
    let id = store.claim_outbox("owner", t(0), LEASE, 1).await?[0].id;
    assert!(!store.mark_sent(id, "intruder", t(1), None).await?);
    assert!(
        !store
            .retry_later(id, "intruder", t(5), "nope", Release::Failed)
            .await?
    );
    assert!(!store.mark_failed(id, "intruder", "nope").await?);
    assert_eq!(
        store.outbox_message(id).await?.context("row")?.status,
        OutboxStatus::Pending
    );

    assert!(
        store
            .retry_later(id, "owner", t(5), "429 retry after 240s", Release::Deferred)
            .await?
    );
    let row = store.outbox_message(id).await?.context("row")?;
    assert_eq!(row.not_before, t(5));
    assert_eq!(row.claim_owner, None);
    assert_eq!(row.last_error.as_deref(), Some("429 retry after 240s"));
    assert_eq!(
        (row.attempts, row.deferrals),
        (1, 1),
        "a deferral is counted"
    );
    assert!(store
        .claim_outbox("owner", t(4), LEASE, 1)
        .await?
        .is_empty());
    // After giving the row back, the old owner holds nothing.
    assert!(!store.mark_sent(id, "owner", t(4), None).await?);

    let again = store.claim_outbox("other", t(5), LEASE, 1).await?;
    assert_eq!(again[0].attempts, 2);
    assert!(store.mark_failed(id, "other", "channel_not_found").await?);
    let row = store.outbox_message(id).await?.context("row")?;
    assert_eq!(row.status, OutboxStatus::Failed);
    assert_eq!(row.last_error.as_deref(), Some("channel_not_found"));
    assert!(
        !store.mark_sent(id, "other", t(6), None).await?,
        "failed is final"
    );
    assert!(store
        .claim_outbox("other", t(600), LEASE, 1)
        .await?
        .is_empty());
    assert_eq!(store.outbox_depth().await?, OutboxDepth::default());
    Ok(())
}

// ---- cases: inbound, audit, integrity, transactions -------------------------------------------

async fn inbound_events_are_applied_once(store: Arc<dyn Store>) -> anyhow::Result<()> {
    assert!(store.record_inbound("Ev123", Platform::Slack, t(0)).await?);
    assert!(!store.record_inbound("Ev123", Platform::Slack, t(1)).await?);
    assert!(
        store
            .record_inbound("Ev123", Platform::Discord, t(1))
            .await?
    );
    assert!(
        store
            .record_inbound("Ev456", Platform::Slack, t(10))
            .await?
    );
    assert_eq!(store.prune_inbound(t(5)).await?, 2);
    assert!(
        !store
            .record_inbound("Ev456", Platform::Slack, t(11))
            .await?
    );
    Ok(())
}

async fn audit_log_lists_newest_first_per_team(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let other = store
        .create_command_team(
            &NewTeam {
                name: "other".into(),
                platform: Platform::Slack,
                workspace_id: "T1".into(),
                settings_json: "{}".into(),
            },
            t(0),
        )
        .await?
        .context("other")?;
    let entry = |minute, team, action: &str| AuditEntry {
        at: t(minute),
        team_id: team,
        actor: "U_BOB".into(),
        action: action.into(),
        subject: "draft:1".into(),
        detail_json: r#"{"version":2}"#.into(),
    };
    store
        .audit(&entry(1, Some(f.team), "draft.submitted"))
        .await?;
    store.audit(&entry(2, Some(other), "team.created")).await?;
    store
        .audit(&entry(3, Some(f.team), "draft.approved"))
        .await?;
    store.audit(&entry(4, None, "config.synced")).await?;

    let core = store.audit_log(Some(f.team), 10).await?;
    let actions: Vec<_> = core.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["draft.approved", "draft.submitted"]);
    assert_eq!(core[0].at, t(3));
    assert_eq!(core[0].detail_json, r#"{"version":2}"#);
    assert_eq!(core[0].team_id, Some(f.team));

    let all = store.audit_log(None, 10).await?;
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].action, "config.synced");
    assert_eq!(store.audit_log(None, 2).await?.len(), 2);
    Ok(())
}

async fn foreign_keys_are_enforced(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let unknown_team = TeamId(424_242);
    let draft = store
        .create_draft(unknown_team, f.leader, None, "x", t(0))
        .await;
    assert!(
        draft
            .as_ref()
            .is_err_and(StoreError::is_constraint_violation),
        "{draft:?}"
    );
    let unknown_person = PersonId(424_242);
    let draft = store
        .create_draft(f.team, unknown_person, None, "x", t(0))
        .await;
    assert!(draft.is_err(), "{draft:?}");
    let ask = store
        .create_ask(amplifier::store::RoundId(424_242), f.leader, None, t(0))
        .await;
    assert!(ask.is_err(), "{ask:?}");
    let round = store.open_round(unknown_team, t(0), t(0)).await;
    assert!(round.is_err(), "{round:?}");
    assert!(store
        .grant_role(unknown_team, f.leader, Role::Leader)
        .await
        .is_err());
    // Nothing half-written stayed behind.
    assert_eq!(store.last_round_slot(unknown_team).await?, None);
    Ok(())
}

async fn transaction_commits_state_and_outbox_together(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;

    // Rolled back: neither the draft nor its message exists.
    let tx = store.begin().await?;
    let lost = tx
        .create_draft(f.team, f.leader, None, "lost", t(0))
        .await?;
    assert!(
        tx.enqueue(&message("review:lost", Lane::Interactive, t(0)), t(0))
            .await?
    );
    assert!(
        tx.draft(lost).await?.is_some(),
        "visible inside the transaction"
    );
    tx.rollback().await?;
    assert_eq!(store.draft(lost).await?, None);
    assert_eq!(store.outbox_depth().await?, OutboxDepth::default());

    // Dropped without commit: same.
    {
        let tx = store.begin().await?;
        tx.enqueue(&message("review:dropped", Lane::Interactive, t(0)), t(0))
            .await?;
    }
    assert_eq!(store.outbox_depth().await?, OutboxDepth::default());

    // Committed: both, and others see nothing before the commit.
    let tx = store.begin().await?;
    let kept = tx
        .create_draft(f.team, f.leader, None, "kept", t(1))
        .await?;
    tx.set_draft_status(kept, DraftStatus::InReview, t(1))
        .await?;
    tx.enqueue(&message("review:kept", Lane::Interactive, t(1)), t(1))
        .await?;
    assert_eq!(
        store.outbox_depth().await?,
        OutboxDepth::default(),
        "not yet committed"
    );
    assert!(
        matches!(tx.begin().await, Err(StoreError::Transaction(_))),
        "no nesting"
    );
    assert!(matches!(
        tx.migrate().await,
        Err(StoreError::Transaction(_))
    ));
    tx.commit().await?;
    assert_eq!(
        store.draft(kept).await?.context("kept")?.status,
        DraftStatus::InReview
    );
    assert_eq!(
        store.outbox_depth().await?,
        OutboxDepth {
            interactive: 1,
            bulk: 0
        }
    );
    Ok(())
}

// ---- cases: the workflow engine's reads and writes --------------------------------------------

/// A command-created team in the fixture's workspace.
async fn command_team(store: &dyn Store, name: &str) -> anyhow::Result<TeamId> {
    store
        .create_command_team(
            &NewTeam {
                name: name.into(),
                platform: Platform::Slack,
                workspace_id: "T1".into(),
                settings_json: "{}".into(),
            },
            t(0),
        )
        .await?
        .with_context(|| format!("team {name}"))
}

/// A post of a one-version draft, created at `created`.
async fn post_in(
    store: &dyn Store,
    team: TeamId,
    author: PersonId,
    status: PostStatus,
    publish_at: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
) -> anyhow::Result<PostId> {
    let draft = store
        .create_draft(team, author, None, "insight", created)
        .await?;
    let post = store
        .create_post(
            &NewPost {
                draft_id: draft,
                version: 1,
                status,
                publish_at,
            },
            created,
        )
        .await?;
    Ok(post.id())
}

/// A post of the team already in the share channel since `published`.
async fn post_published_at(
    store: &dyn Store,
    team: TeamId,
    author: PersonId,
    published: DateTime<Utc>,
) -> anyhow::Result<PostId> {
    let post = post_in(
        store,
        team,
        author,
        PostStatus::Scheduled,
        Some(published),
        t(0),
    )
    .await?;
    store
        .mark_post_published(post, &format!("C1/{post}"), published)
        .await?;
    Ok(post)
}

/// A nudge already sent at `sent`.
async fn sent_nudge(
    store: &dyn Store,
    post: PostId,
    person: PersonId,
    sent: DateTime<Utc>,
) -> anyhow::Result<NudgeId> {
    let nudge = store.create_nudge(post, person, sent).await?.id();
    store
        .set_nudge_status(nudge, NudgeStatus::Sent, sent)
        .await?;
    Ok(nudge)
}

fn ask_ids(asks: Vec<amplifier::store::Ask>) -> Vec<AskId> {
    asks.into_iter().map(|a| a.id).collect()
}

fn draft_ids(drafts: Vec<amplifier::store::Draft>) -> Vec<DraftId> {
    drafts.into_iter().map(|d| d.id).collect()
}

fn post_ids(posts: Vec<amplifier::store::Post>) -> Vec<PostId> {
    posts.into_iter().map(|p| p.id).collect()
}

fn nudge_ids(nudges: Vec<amplifier::store::Nudge>) -> Vec<NudgeId> {
    nudges.into_iter().map(|n| n.id).collect()
}

const WEEK: i64 = 60 * 24 * 7;

async fn person_lookup_creates_nothing_and_lists_team_roles(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let alice = store
        .person_by_platform_id(Platform::Slack, "T1", "U_ALICE")
        .await?
        .context("alice")?;
    assert_eq!(alice.id, f.leader);
    assert_eq!(alice.platform_user_id, "U_ALICE");
    // The same user id elsewhere, or an unknown one, is nobody, and looking does not create.
    for (platform, workspace, user) in [
        (Platform::Slack, "T2", "U_ALICE"),
        (Platform::Discord, "T1", "U_ALICE"),
        (Platform::Slack, "T1", "U_NOBODY"),
    ] {
        assert_eq!(
            store
                .person_by_platform_id(platform, workspace, user)
                .await?,
            None,
            "{platform:?} {workspace} {user}"
        );
    }
    assert!(store
        .upsert_person(Platform::Slack, "T1", "U_NOBODY", t(1))
        .await?
        .is_new());

    let other = command_team(&*store, "another").await?;
    assert!(store.grant_role(other, f.leader, Role::Leader).await?);
    assert!(store.grant_role(other, f.leader, Role::Admin).await?);
    let roles: Vec<(String, TeamId, Role)> = store
        .teams_of_person(f.leader)
        .await?
        .into_iter()
        .map(|(team, role)| (team.name, team.id, role))
        .collect();
    assert_eq!(
        roles,
        [
            ("another".to_string(), other, Role::Admin),
            ("another".to_string(), other, Role::Leader),
            ("core".to_string(), f.team, Role::Leader),
        ]
    );
    let carol = store.teams_of_person(f.member).await?;
    assert_eq!(carol.len(), 1);
    assert_eq!((carol[0].0.id, carol[0].1), (f.team, Role::Member));
    let nobody = store
        .person_by_platform_id(Platform::Slack, "T1", "U_NOBODY")
        .await?
        .context("nobody, now created")?;
    assert!(store.teams_of_person(nobody.id).await?.is_empty());
    Ok(())
}

async fn open_rounds_and_asks_filter_by_status_and_person(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let other = command_team(&*store, "other").await?;
    let first = store.open_round(f.team, t(0), t(0)).await?.round_id();
    let closed = store.open_round(f.team, t(WEEK), t(WEEK)).await?.round_id();
    store.close_round(closed, t(WEEK + 1)).await?;
    store
        .record_missed_round(f.team, t(2 * WEEK), t(3 * WEEK))
        .await?;
    let latest = store
        .open_round(f.team, t(3 * WEEK), t(3 * WEEK))
        .await?
        .round_id();
    let elsewhere = store.open_round(other, t(0), t(0)).await?.round_id();
    let round_ids = |rounds: Vec<amplifier::store::Round>| -> Vec<RoundId> {
        rounds.into_iter().map(|r| r.id).collect()
    };
    assert_eq!(
        round_ids(store.open_rounds(f.team).await?),
        [first, latest],
        "open only, oldest first"
    );
    assert_eq!(round_ids(store.open_rounds(other).await?), [elsewhere]);

    let ask = |round, person, minute| {
        let store = store.clone();
        async move {
            store
                .create_ask(round, person, None, t(minute))
                .await
                .map(|a| a.id())
        }
    };
    let old = ask(first, f.leader, 0).await?;
    let answered = ask(closed, f.leader, WEEK).await?;
    store
        .set_ask_status(answered, AskStatus::Answered, t(WEEK + 5))
        .await?;
    let new = ask(latest, f.leader, 3 * WEEK).await?;
    let other_team = ask(elsewhere, f.leader, 1).await?;
    let someone_else = ask(latest, f.approver, 3 * WEEK).await?;
    assert_eq!(
        ask_ids(store.open_asks_of(f.leader).await?),
        [new, other_team, old],
        "open only, newest first, every team"
    );
    assert_eq!(
        ask_ids(store.open_asks_of(f.approver).await?),
        [someone_else]
    );
    assert!(store.open_asks_of(f.member).await?.is_empty());
    Ok(())
}

async fn asks_due_for_reminder_and_moving_the_reminder(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let round = store.open_round(f.team, t(0), t(0)).await?.round_id();
    let later_round = store.open_round(f.team, t(WEEK), t(0)).await?.round_id();
    let ask = |round, person| {
        let store = store.clone();
        async move {
            store
                .create_ask(round, person, None, t(0))
                .await
                .map(|a| a.id())
        }
    };
    let due_late = ask(round, f.leader).await?;
    let due_early = ask(round, f.approver).await?;
    let not_yet = ask(round, f.member).await?;
    let answered = ask(later_round, f.leader).await?;
    let never = ask(later_round, f.approver).await?;
    store
        .set_ask_remind_at(due_late, Some(t(100)), t(1))
        .await?;
    store
        .set_ask_remind_at(due_early, Some(t(50)), t(1))
        .await?;
    store.set_ask_remind_at(not_yet, Some(t(101)), t(1)).await?;
    store.set_ask_remind_at(answered, Some(t(10)), t(1)).await?;
    store
        .set_ask_status(answered, AskStatus::Answered, t(2))
        .await?;
    assert_eq!(store.ask(never).await?.context("never")?.remind_at, None);

    assert_eq!(
        ask_ids(store.asks_due_for_reminder(t(100)).await?),
        [due_early, due_late],
        "open, due by now inclusive, oldest due first"
    );
    assert!(store.asks_due_for_reminder(t(49)).await?.is_empty());

    // "Remind me tomorrow": moves the reminder, counts none.
    store
        .set_ask_remind_at(due_late, Some(t(100 + 24 * 60)), t(90))
        .await?;
    let moved = store.ask(due_late).await?.context("ask")?;
    assert_eq!(moved.remind_at, Some(t(100 + 24 * 60)));
    assert_eq!(moved.reminders_sent, 0);
    assert_eq!(moved.updated_at, t(90));
    assert_eq!(moved.status, AskStatus::Open);
    assert_eq!(
        ask_ids(store.asks_due_for_reminder(t(100)).await?),
        [due_early]
    );
    store.set_ask_remind_at(due_early, None, t(91)).await?;
    assert!(store.asks_due_for_reminder(t(100)).await?.is_empty());
    assert_eq!(store.ask(due_early).await?.context("ask")?.remind_at, None);
    Ok(())
}

async fn replace_latest_version_body_rewrites_in_place(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let draft = store
        .create_draft(f.team, f.leader, None, "Three things", t(0))
        .await?;
    assert_eq!(
        store
            .replace_latest_version_body(draft, "Three things\nOne: listen", f.leader, t(1))
            .await?,
        1
    );
    assert_eq!(
        store
            .replace_latest_version_body(draft, "Three things\nOne: listen\nTwo", f.leader, t(2))
            .await?,
        1
    );
    let versions = store.draft_versions(draft).await?;
    assert_eq!(versions.len(), 1, "no version was added");
    assert_eq!(versions[0].body, "Three things\nOne: listen\nTwo");
    assert_eq!(versions[0].created_at, t(0), "still the version begun then");
    let stored = store.draft(draft).await?.context("draft")?;
    assert_eq!(stored.current_version, 1);
    assert_eq!(stored.updated_at, t(2));

    // After a real new version, only that one is rewritten.
    store
        .add_draft_version(draft, f.approver, "tightened", t(3))
        .await?;
    assert_eq!(
        store
            .replace_latest_version_body(draft, "tightened again", f.approver, t(4))
            .await?,
        2
    );
    let bodies: Vec<(i64, String, PersonId)> = store
        .draft_versions(draft)
        .await?
        .into_iter()
        .map(|v| (v.version, v.body, v.editor_id))
        .collect();
    assert_eq!(
        bodies,
        [
            (1, "Three things\nOne: listen\nTwo".to_string(), f.leader),
            (2, "tightened again".to_string(), f.approver),
        ]
    );
    // Another draft is untouched.
    let other = store
        .create_draft(f.team, f.leader, None, "other", t(5))
        .await?;
    assert_eq!(store.draft_versions(other).await?[0].body, "other");

    let missing = store
        .replace_latest_version_body(DraftId(999_999), "x", f.leader, t(6))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    Ok(())
}

async fn drafts_filter_by_author_status_and_team(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let other = command_team(&*store, "other").await?;
    let draft = |team, author, minute, status| {
        let store = store.clone();
        async move {
            let id = store
                .create_draft(team, author, None, "text", t(minute))
                .await?;
            store.set_draft_status(id, status, t(minute)).await?;
            anyhow::Ok(id)
        }
    };
    let editing = draft(f.team, f.leader, 0, DraftStatus::Editing).await?;
    let reviewed_first = draft(f.team, f.leader, 1, DraftStatus::InReview).await?;
    let approved = draft(f.team, f.leader, 2, DraftStatus::Approved).await?;
    let reviewed_second = draft(f.team, f.leader, 3, DraftStatus::InReview).await?;
    let by_approver = draft(f.team, f.approver, 4, DraftStatus::InReview).await?;
    let other_team = draft(other, f.leader, 5, DraftStatus::InReview).await?;

    assert_eq!(
        draft_ids(
            store
                .drafts_of(f.leader, &[DraftStatus::Editing, DraftStatus::InReview])
                .await?
        ),
        [other_team, reviewed_second, reviewed_first, editing],
        "the author's, in those states, every team, newest first"
    );
    assert_eq!(
        draft_ids(
            store
                .drafts_of(f.leader, &[DraftStatus::Approved, DraftStatus::Approved])
                .await?
        ),
        [approved]
    );
    assert_eq!(
        draft_ids(store.drafts_of(f.leader, DraftStatus::ALL).await?).len(),
        5
    );
    assert!(store.drafts_of(f.leader, &[]).await?.is_empty());
    assert!(store
        .drafts_of(f.leader, &[DraftStatus::Published, DraftStatus::Withdrawn])
        .await?
        .is_empty());
    assert_eq!(
        draft_ids(
            store
                .drafts_of(f.approver, &[DraftStatus::InReview])
                .await?
        ),
        [by_approver]
    );

    assert_eq!(
        draft_ids(store.drafts_in_review(f.team).await?),
        [reviewed_first, reviewed_second, by_approver],
        "the team's, in review only, oldest first"
    );
    assert_eq!(
        draft_ids(store.drafts_in_review(other).await?),
        [other_team]
    );
    Ok(())
}

async fn post_lookups_filter_by_status_and_window(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let other = command_team(&*store, "other").await?;
    let s = &*store;
    let due_late = post_in(
        s,
        f.team,
        f.leader,
        PostStatus::Scheduled,
        Some(t(10)),
        t(1),
    )
    .await?;
    let due_early = post_in(s, f.team, f.leader, PostStatus::Scheduled, Some(t(5)), t(2)).await?;
    let not_yet = post_in(
        s,
        f.team,
        f.leader,
        PostStatus::Scheduled,
        Some(t(11)),
        t(3),
    )
    .await?;
    let awaiting = post_in(s, f.team, f.leader, PostStatus::AwaitingLink, None, t(4)).await?;
    // Withdrawn with its slot passed: never due.
    let _withdrawn = post_in(s, f.team, f.leader, PostStatus::Withdrawn, Some(t(1)), t(5)).await?;
    let elsewhere = post_in(
        s,
        other,
        f.approver,
        PostStatus::Scheduled,
        Some(t(6)),
        t(6),
    )
    .await?;

    let draft = store.post(due_late).await?.context("post")?.draft_id;
    assert_eq!(
        store.post_of_draft(draft).await?.map(|p| p.id),
        Some(due_late)
    );
    let unposted = store
        .create_draft(f.team, f.leader, None, "not yet approved", t(7))
        .await?;
    assert_eq!(store.post_of_draft(unposted).await?, None);

    assert_eq!(
        post_ids(
            store
                .posts_of_author(f.leader, PostStatus::Scheduled)
                .await?
        ),
        [not_yet, due_early, due_late],
        "the author's, in that status, newest first"
    );
    assert_eq!(
        post_ids(
            store
                .posts_of_author(f.leader, PostStatus::AwaitingLink)
                .await?
        ),
        [awaiting]
    );
    assert_eq!(
        post_ids(
            store
                .posts_of_author(f.approver, PostStatus::Scheduled)
                .await?
        ),
        [elsewhere]
    );

    assert_eq!(
        post_ids(store.posts_due(t(10)).await?),
        [due_early, elsewhere, due_late],
        "scheduled, due by now inclusive, every team, oldest slot first"
    );
    assert!(store.posts_due(t(4)).await?.is_empty());

    // Published in [from, to): the start is in, the end is out, other teams are out.
    let at_start = post_published_at(s, f.team, f.leader, t(20)).await?;
    let at_end = post_published_at(s, f.team, f.leader, t(30)).await?;
    let inside = post_published_at(s, f.team, f.approver, t(25)).await?;
    post_published_at(s, other, f.leader, t(22)).await?;
    assert_eq!(
        post_ids(store.published_posts(f.team, t(20), t(30)).await?),
        [at_start, inside]
    );
    assert_eq!(
        post_ids(store.published_posts(f.team, t(21), t(31)).await?),
        [inside, at_end]
    );
    // The slot passed for the posts published above, but they are no longer scheduled.
    assert_eq!(
        post_ids(store.posts_due(t(10)).await?),
        [due_early, elsewhere, due_late]
    );
    // A post withdrawn after publication is still listed, as withdrawn.
    store
        .set_post_status(inside, PostStatus::Withdrawn, None, t(40))
        .await?;
    let listed = store.published_posts(f.team, t(0), t(100)).await?;
    assert_eq!(post_ids(listed.clone()), [at_start, inside, at_end]);
    assert_eq!(listed[1].status, PostStatus::Withdrawn);
    Ok(())
}

async fn nudges_due_in_status_and_replanning(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let other = command_team(&*store, "other").await?;
    let post = published_post(&*store, &f).await?;
    let elsewhere = post_in(
        &*store,
        other,
        f.leader,
        PostStatus::Scheduled,
        Some(t(0)),
        t(0),
    )
    .await?;
    let carol = store.create_nudge(post, f.member, t(100)).await?.id();
    let bob = store.create_nudge(post, f.approver, t(50)).await?.id();
    let alice_elsewhere = store.create_nudge(elsewhere, f.leader, t(60)).await?.id();
    let carol_elsewhere = store.create_nudge(elsewhere, f.member, t(200)).await?.id();
    store
        .set_nudge_status(bob, NudgeStatus::Sent, t(55))
        .await?;

    let stored = store.nudge(carol).await?.context("nudge")?;
    assert_eq!(
        (stored.post_id, stored.person_id, stored.due_at),
        (post, f.member, t(100))
    );
    assert_eq!(store.nudge(NudgeId(999_999)).await?, None);
    assert_eq!(
        store.nudge_of(post, f.member).await?.map(|n| n.id),
        Some(carol)
    );
    assert_eq!(
        store.nudge_of(elsewhere, f.member).await?.map(|n| n.id),
        Some(carol_elsewhere)
    );
    assert_eq!(store.nudge_of(post, f.leader).await?, None);

    assert_eq!(
        nudge_ids(store.nudges_due(t(100), 10).await?),
        [alice_elsewhere, carol],
        "pending, due by now inclusive, oldest due first"
    );
    assert_eq!(
        nudge_ids(store.nudges_due(t(100), 1).await?),
        [alice_elsewhere]
    );
    assert!(store.nudges_due(t(59), 10).await?.is_empty());

    // Quiet hours push carol's nudge; a sent one is not re-planned.
    assert!(store.set_nudge_due(carol, t(300)).await?);
    assert_eq!(store.nudge(carol).await?.context("nudge")?.due_at, t(300));
    assert_eq!(
        store.nudge(carol).await?.context("nudge")?.status,
        NudgeStatus::Pending
    );
    assert!(!store.set_nudge_due(bob, t(1)).await?);
    assert_eq!(store.nudge(bob).await?.context("nudge")?.due_at, t(50));
    assert!(!store.set_nudge_due(NudgeId(999_999), t(1)).await?);
    assert_eq!(
        nudge_ids(store.nudges_due(t(100), 10).await?),
        [alice_elsewhere]
    );

    assert_eq!(
        nudge_ids(store.nudges_in_status(None, NudgeStatus::Pending).await?),
        [alice_elsewhere, carol_elsewhere, carol],
        "every team, oldest due first"
    );
    assert_eq!(
        nudge_ids(
            store
                .nudges_in_status(Some(f.team), NudgeStatus::Pending)
                .await?
        ),
        [carol]
    );
    assert_eq!(
        nudge_ids(
            store
                .nudges_in_status(Some(other), NudgeStatus::Pending)
                .await?
        ),
        [alice_elsewhere, carol_elsewhere]
    );
    assert_eq!(
        nudge_ids(
            store
                .nudges_in_status(Some(f.team), NudgeStatus::Sent)
                .await?
        ),
        [bob]
    );
    assert!(store
        .nudges_in_status(Some(other), NudgeStatus::Sent)
        .await?
        .is_empty());
    Ok(())
}

async fn ignored_nudge_streak_stops_at_a_shared_nudge(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let s = &*store;
    let mut posts = Vec::new();
    for minute in 1..=5 {
        posts.push(post_published_at(s, f.team, f.leader, t(minute)).await?);
    }
    assert_eq!(store.ignored_nudge_streak(f.member).await?, 0, "no nudges");

    // Carol got four nudges and shared the second; the fifth is not sent yet.
    sent_nudge(s, posts[0], f.member, t(10)).await?;
    sent_nudge(s, posts[1], f.member, t(20)).await?;
    let third = sent_nudge(s, posts[2], f.member, t(30)).await?;
    sent_nudge(s, posts[3], f.member, t(40)).await?;
    let fifth = store.create_nudge(posts[4], f.member, t(50)).await?.id();
    store
        .record_share(posts[1], f.member, Network::Bluesky, None, t(21))
        .await?;
    store
        .set_nudge_status(third, NudgeStatus::Reminded, t(35))
        .await?;
    assert_eq!(
        store.ignored_nudge_streak(f.member).await?,
        2,
        "the third and fourth, back to the shared second; the pending fifth is not counted"
    );

    // Someone else's share of carol's post, or their ignored nudges, change nothing for her.
    store
        .record_share(posts[3], f.approver, Network::Linkedin, None, t(41))
        .await?;
    sent_nudge(s, posts[2], f.approver, t(45)).await?;
    assert_eq!(store.ignored_nudge_streak(f.member).await?, 2);
    assert_eq!(store.ignored_nudge_streak(f.approver).await?, 1);
    // Sharing an older post does not end the streak either.
    store
        .record_share(posts[0], f.member, Network::Linkedin, None, t(42))
        .await?;
    assert_eq!(store.ignored_nudge_streak(f.member).await?, 2);

    // Sharing the newest sent one ends it; the next sent one starts a new streak.
    store
        .record_share(posts[3], f.member, Network::Linkedin, None, t(43))
        .await?;
    assert_eq!(store.ignored_nudge_streak(f.member).await?, 0);
    store
        .set_nudge_status(fifth, NudgeStatus::Sent, t(50))
        .await?;
    assert_eq!(store.ignored_nudge_streak(f.member).await?, 1);
    assert_eq!(store.ignored_nudge_streak(f.leader).await?, 0);
    Ok(())
}

async fn touches_since_counts_each_kind_once(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let s = &*store;
    let first = store.open_round(f.team, t(0), t(0)).await?.round_id();
    let second = store.open_round(f.team, t(100), t(100)).await?.round_id();
    let old_ask = store.create_ask(first, f.leader, None, t(0)).await?.id();
    let new_ask = store.create_ask(second, f.leader, None, t(100)).await?.id();
    store
        .record_ask_reminder(old_ask, Some(t(500)), t(50))
        .await?;
    store
        .record_ask_reminder(new_ask, Some(t(120)), t(110))
        .await?;
    store.record_ask_reminder(new_ask, None, t(120)).await?;
    // Moving a reminder and answering are no touches.
    store
        .set_ask_remind_at(old_ask, Some(t(900)), t(125))
        .await?;
    store
        .set_ask_status(old_ask, AskStatus::Answered, t(140))
        .await?;

    let post = post_published_at(s, f.team, f.approver, t(100)).await?;
    let other_post = post_published_at(s, f.team, f.approver, t(101)).await?;
    let nudge = sent_nudge(s, post, f.leader, t(105)).await?;
    store
        .set_nudge_status(nudge, NudgeStatus::Reminded, t(130))
        .await?;
    store
        .set_nudge_status(nudge, NudgeStatus::Done, t(135))
        .await?;
    store.create_nudge(other_post, f.leader, t(102)).await?;

    // Someone else's prompts are theirs.
    store.create_ask(second, f.member, None, t(100)).await?;
    sent_nudge(s, post, f.member, t(106)).await?;

    // Since t(100): the new ask, its two reminders, the nudge, its reminder.
    assert_eq!(store.touches_since(f.leader, t(100)).await?, 5);
    // Since the start: also the old ask and its reminder.
    assert_eq!(store.touches_since(f.leader, t(0)).await?, 7);
    assert_eq!(store.touches_since(f.leader, t(101)).await?, 4);
    assert_eq!(store.touches_since(f.leader, t(111)).await?, 2);
    assert_eq!(store.touches_since(f.leader, t(130)).await?, 1, "inclusive");
    assert_eq!(store.touches_since(f.leader, t(131)).await?, 0);
    assert_eq!(store.touches_since(f.member, t(0)).await?, 2);
    assert_eq!(store.touches_since(f.approver, t(0)).await?, 0);

    // Counting in a transaction sees its own uncommitted reminder.
    let tx = store.begin().await?;
    tx.record_ask_reminder(new_ask, None, t(200)).await?;
    assert_eq!(tx.touches_since(f.leader, t(131)).await?, 1);
    tx.rollback().await?;
    assert_eq!(store.touches_since(f.leader, t(131)).await?, 0);
    Ok(())
}

async fn shares_of_team_keep_to_the_window_and_team(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let f = fixture(&*store).await?;
    let other = command_team(&*store, "other").await?;
    let s = &*store;
    let post = post_published_at(s, f.team, f.leader, t(10)).await?;
    let older = post_published_at(s, f.team, f.leader, t(0)).await?;
    let elsewhere = post_published_at(s, other, f.leader, t(10)).await?;
    let share = |post, person, network, minute| async move {
        s.record_share(post, person, network, None, t(minute)).await
    };
    share(post, f.member, Network::Linkedin, 20).await?;
    share(older, f.approver, Network::Linkedin, 25).await?;
    share(post, f.member, Network::Bluesky, 30).await?;
    share(elsewhere, f.member, Network::Linkedin, 22).await?;
    share(post, f.approver, Network::X, 19).await?;

    let summary = |shares: Vec<amplifier::store::ShareConfirmation>| {
        shares
            .into_iter()
            .map(|s| (s.post_id, s.person_id, s.network, s.confirmed_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        summary(store.shares_of_team(f.team, t(20), t(30)).await?),
        [
            (post, f.member, Network::Linkedin, t(20)),
            (older, f.approver, Network::Linkedin, t(25)),
        ],
        "[from, to), by confirmation time whatever the post's age, this team only"
    );
    assert_eq!(
        summary(store.shares_of_team(f.team, t(21), t(31)).await?),
        [
            (older, f.approver, Network::Linkedin, t(25)),
            (post, f.member, Network::Bluesky, t(30)),
        ]
    );
    assert_eq!(
        summary(store.shares_of_team(other, t(0), t(100)).await?),
        [(elsewhere, f.member, Network::Linkedin, t(22))]
    );
    assert!(store
        .shares_of_team(f.team, t(31), t(100))
        .await?
        .is_empty());
    Ok(())
}

async fn outbox_by_key_finds_the_platform_reference(store: Arc<dyn Store>) -> anyhow::Result<()> {
    store
        .enqueue(&message("post:7:channel", Lane::Bulk, t(0)), t(0))
        .await?;
    store
        .enqueue(&message("post:8:channel", Lane::Bulk, t(0)), t(0))
        .await?;
    let queued = store
        .outbox_by_key("post:7:channel")
        .await?
        .context("queued")?;
    assert_eq!(queued.status, OutboxStatus::Pending);
    assert_eq!(queued.platform_ref, None);
    assert_eq!(store.outbox_by_key("post:9:channel").await?, None);

    let claimed = store.claim_outbox("w1", t(1), LEASE, 10).await?;
    let id = claimed
        .iter()
        .find(|m| m.idempotency_key == "post:7:channel")
        .context("claimed")?
        .id;
    assert_eq!(id, queued.id);
    assert!(
        store
            .mark_sent(id, "w1", t(2), Some("C1/1700000000.0001"))
            .await?
    );
    let sent = store
        .outbox_by_key("post:7:channel")
        .await?
        .context("sent")?;
    assert_eq!(sent.status, OutboxStatus::Sent);
    assert_eq!(sent.platform_ref.as_deref(), Some("C1/1700000000.0001"));
    assert_eq!(
        store
            .outbox_by_key("post:8:channel")
            .await?
            .context("other")?
            .platform_ref,
        None
    );
    Ok(())
}
