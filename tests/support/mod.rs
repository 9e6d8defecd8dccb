//! Databases for the store conformance suite: a temp-file SQLite per case, and a fresh
//! PostgreSQL database per case (created from `AMPLIFIER_TEST_POSTGRES_URL`, dropped afterwards).

// Each test binary uses a part of this module.
#![allow(dead_code)]

pub mod binary;
pub mod chaos;
pub mod fake_discord;
pub mod fake_slack;

use amplifier::store::{self, redact_url, Backend, Store};
use libtest_mimic::{Arguments, Failed, Trial};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub type CaseFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
/// One conformance case, written once, run against every backend.
pub type Case = fn(Arc<dyn Store>) -> CaseFuture;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Runs the case on a migrated store; a panic inside the case is reported as its failure.
async fn run_case(store: Arc<dyn Store>, case: Case) -> Result<(), String> {
    store.migrate().await.map_err(|e| e.to_string())?;
    let outcome = tokio::spawn(case(store.clone())).await;
    store.close().await;
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(join) if join.is_panic() => {
            let panic = join.into_panic();
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".to_string());
            Err(message)
        }
        Err(join) => Err(join.to_string()),
    }
}

pub fn run_sqlite(case: Case) -> Result<(), String> {
    runtime().block_on(async {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let url = format!("sqlite://{}", dir.path().join("amplifier.db").display());
        let store = store::open(&url).await.map_err(|e| e.to_string())?;
        if store.backend() != Backend::Sqlite {
            return Err("store::open chose another backend for a sqlite:// URL".to_string());
        }
        run_case(store, case).await
    })
}

/// A database name no other case, run or leftover of a crashed run uses.
fn unique_database_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "amp_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// The same server URL pointing at another database.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{}{}", &base[..path_start], database, query)
}

/// Creates an empty database on the server of `admin_url`; returns its URL and name.
pub async fn create_database(admin_url: &str) -> Result<(String, String), String> {
    let mut admin = PgConnection::connect(admin_url).await.map_err(|e| {
        format!(
            "cannot reach PostgreSQL at {} ({POSTGRES_URL_VAR}): {e}",
            redact_url(admin_url)
        )
    })?;
    let database = unique_database_name();
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .await
        .map_err(|e| format!("cannot create database {database}: {e}"))?;
    Ok((with_database(admin_url, &database), database))
}

/// Drops a database made by [`create_database`], even if something is still connected.
pub async fn drop_database(admin_url: &str, database: &str) -> Result<(), String> {
    let mut admin = PgConnection::connect(admin_url)
        .await
        .map_err(|e| e.to_string())?;
    admin
        .execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
        )))
        .await
        .map_err(|e| format!("cannot drop database {database}: {e}"))?;
    Ok(())
}

pub fn run_postgres(admin_url: &str, case: Case) -> Result<(), String> {
    runtime().block_on(async {
        let mut admin = PgConnection::connect(admin_url).await.map_err(|e| {
            format!(
                "cannot reach PostgreSQL at {} (AMPLIFIER_TEST_POSTGRES_URL): {e}",
                redact_url(admin_url)
            )
        })?;
        let database = unique_database_name();
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .await
            .map_err(|e| format!("cannot create database {database}: {e}"))?;
        let outcome = match store::open(&with_database(admin_url, &database)).await {
            Ok(store) if store.backend() == Backend::Postgres => run_case(store, case).await,
            Ok(_) => Err("store::open chose another backend for a postgres:// URL".to_string()),
            Err(e) => Err(e.to_string()),
        };
        let dropped = admin
            .execute(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
            )))
            .await;
        outcome?;
        dropped.map_err(|e| format!("cannot drop database {database}: {e}"))?;
        Ok(())
    })
}

pub const POSTGRES_URL_VAR: &str = "AMPLIFIER_TEST_POSTGRES_URL";
pub const REQUIRE_POSTGRES_VAR: &str = "AMPLIFIER_REQUIRE_POSTGRES";

/// The PostgreSQL server the suites may create databases on, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// Whether a missing PostgreSQL is a failure (CI) rather than a listed skip.
pub fn require_postgres() -> bool {
    std::env::var(REQUIRE_POSTGRES_VAR)
        .map(|v| matches!(v.trim(), "1" | "true" | "yes"))
        .unwrap_or(false)
}

/// Runs every case on SQLite and on PostgreSQL (or lists the PostgreSQL half as ignored, saying so
/// plainly, when no server is configured and none is required), plus `extra` trials; then exits.
/// A trial that needs PostgreSQL: run against the admin URL when one is configured; a failure when
/// `AMPLIFIER_REQUIRE_POSTGRES=1` and none is; otherwise listed as ignored (forced with `--include-ignored`,
/// it fails rather than pass unrun).
pub fn postgres_trial(
    name: impl Into<String>,
    run: impl FnOnce(&str) -> Result<(), Failed> + Send + 'static,
) -> Trial {
    match (postgres_url(), require_postgres()) {
        (Some(url), _) => Trial::test(name, move || run(&url)),
        (None, true) => Trial::test(name, || {
            Err(format!("{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set").into())
        }),
        (None, false) => Trial::test(name, || {
            Err(format!("{POSTGRES_URL_VAR} is not set: nothing to run against").into())
        })
        .with_ignored_flag(true),
    }
}

pub fn run_suite(suite: &str, cases: &'static [(&'static str, Case)], extra: Vec<Trial>) -> ! {
    let args = Arguments::from_args();
    let postgres_url = postgres_url();
    let require_postgres = require_postgres();

    let mut trials = Vec::new();
    for &(name, case) in cases {
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            run_sqlite(case).map_err(Failed::from)
        }));
    }
    for &(name, case) in cases {
        let name = format!("postgres::{name}");
        trials.push(postgres_trial(name, move |url| {
            run_postgres(url, case).map_err(Failed::from)
        }));
    }
    trials.extend(extra);

    let skipped_postgres = postgres_url.is_none() && !require_postgres;
    let notice = format!(
        "NOTE: the PostgreSQL {suite} suite did NOT run ({} cases ignored). Run it with \
         {POSTGRES_URL_VAR}=postgres://postgres@127.0.0.1:5432/test cargo test --test {suite} \
         (add {REQUIRE_POSTGRES_VAR}=1 to make a missing database a failure).",
        cases.len()
    );
    if skipped_postgres {
        println!("{notice}");
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if skipped_postgres {
        println!("{notice}");
    }
    conclusion.exit()
}
