//! A quarter as a team lives it, on the manual clock: 50 people in 12 zones (half-hour and 45-minute offsets,
//! both hemispheres) on a Berlin team, from late September across the autumn DST changes (Europe, the United
//! States, and Australia's spring-forward) to Christmas. Leaders answer or skip their weekly question; an
//! approver approves each draft when it reaches them; members share eagerly, lazily (at the reminder) or never;
//! one goes on vacation (`/amplify pause`), one mutes, one is out of office for two weeks.
//!
//! Asserted per person and per week, from the outbox the run leaves in the store:
//! - every message to a person is due inside their working hours (their zone, 18:00-09:00 quiet, weekends quiet),
//!   except direct answers to what they just did;
//! - at most `weekly_nudge_cap` bot-initiated touches (prompts, reminders, nudges);
//! - nothing bot-initiated to someone paused, muted or out of office;
//! - members who let three nudges pass rest four weeks and are then asked again;
//! - exactly one prompt per leader per week (the skipper included) and one channel digest per week.
//!
//! It runs on SQLite only: the engine's decisions are what is checked, and the store suite already holds both
//! databases to the same behaviour (this run is ~100,000 statements; on PostgreSQL it would add minutes to CI).

mod support;

use amplifier::chat::{Destination, Outbound};
use amplifier::clock::{Clock, ManualClock};
use amplifier::config::Config;
use amplifier::domain::working_hours::WorkingHours;
use amplifier::engine::Engine;
use amplifier::shell::Shell;
use amplifier::store::{OutboxId, OutboxStatus, Platform};
use chrono::{DateTime, Datelike, Duration as Span, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

const WEEKS: i64 = 13;
const CAP: usize = 3;

/// Twelve zones: both hemispheres, half-hour and 45-minute offsets, DST in the north and in the south.
const ZONES: [&str; 12] = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "Africa/Lagos",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    /// Leaders: answer the question with a draft and submit it.
    Answers,
    /// Leaders: skip every week.
    Skips,
    /// The approver.
    Approves,
    /// Members.
    Eager,
    Lazy,
    Never,
    Vacation,
    Mutes,
    OutOfOffice,
}

struct Member {
    id: String,
    zone: Tz,
    persona: Persona,
}

fn people() -> Vec<Member> {
    let mut all = Vec::new();
    let mut add = |id: String, i: usize, persona: Persona| {
        all.push(Member {
            id,
            zone: ZONES[i % ZONES.len()].parse().expect("a zone"),
            persona,
        })
    };
    for i in 0..6 {
        add(
            format!("lead{i}"),
            i * 5,
            if i == 5 {
                Persona::Skips
            } else {
                Persona::Answers
            },
        );
    }
    add("approver".into(), 0, Persona::Approves);
    for i in 0..43 {
        let persona = match i {
            0 => Persona::Vacation,
            1 => Persona::Mutes,
            2 => Persona::OutOfOffice,
            _ => match i % 3 {
                0 => Persona::Eager,
                1 => Persona::Lazy,
                _ => Persona::Never,
            },
        };
        add(format!("mem{i:02}"), i, persona);
    }
    all
}

fn config(people: &[Member]) -> String {
    let ids = |p: &dyn Fn(Persona) -> bool| {
        people
            .iter()
            .filter(|m| p(m.persona))
            .map(|m| format!("\"{}\"", m.id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "[[teams]]\nname = \"Leadership\"\nplatform = \"shell\"\nworkspace_id = \"quarter\"\n\
         leaders = [{}]\napprovers = [\"approver\"]\nmembers = [{}]\nshare_channel = \"amplify\"\n\
         time_zone = \"Europe/Berlin\"\npublish_mode = \"team_shares_text\"\nnetworks = [\"linkedin\", \"x\"]\n",
        ids(&|p| matches!(p, Persona::Answers | Persona::Skips)),
        ids(&|p| !matches!(p, Persona::Answers | Persona::Skips | Persona::Approves)),
    )
}

/// The DMs to each person in a shell transcript: (person, text).
fn dms(out: &[String]) -> Vec<(String, String)> {
    let text = format!("\n{}", out.join("\n"));
    text.split("\n→ DM to ")
        .skip(1)
        .filter_map(|chunk| {
            let (who, rest) = chunk.split_once(":\n")?;
            Some((who.to_string(), rest.to_string()))
        })
        .collect()
}

/// The number of the button labelled `label` in a message (`[174 Approve]`).
fn button(text: &str, label: &str) -> Option<String> {
    let end = format!(" {label}]");
    let at = text.find(&end)?;
    let start = text[..at].rfind('[')?;
    Some(text[start + 1..at].to_string())
}

fn hours(zone: Tz) -> WorkingHours {
    WorkingHours {
        zone,
        quiet_start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        quiet_end: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        weekends_quiet: true,
    }
}

/// The quarter's week (Monday to Sunday in `zone`) that `at` falls in: 1 is the week of Monday 2026-09-28.
fn week_of(at: DateTime<Utc>, zone: Tz) -> i64 {
    let local = at.with_timezone(&zone).date_naive();
    let monday = local - Span::days(i64::from(local.weekday().num_days_from_monday()));
    let first = chrono::NaiveDate::from_ymd_opt(2026, 9, 28).expect("a date");
    (monday - first).num_days() / 7 + 1
}

struct Run {
    shell: Shell,
    clock: Arc<ManualClock>,
    /// When each person acted (their answers are due then, whatever the hour).
    acted: HashMap<String, HashSet<DateTime<Utc>>>,
}

impl Run {
    async fn act(&mut self, who: &str, lines: &[&str]) -> anyhow::Result<Vec<String>> {
        self.acted
            .entry(who.to_string())
            .or_default()
            .insert(self.clock.now());
        let mut out = self.shell.input(&format!("/as {who}")).await?;
        for line in lines {
            out.extend(self.shell.input(line).await?);
        }
        Ok(out)
    }
}

#[test]
fn a_quarter_keeps_every_attention_promise() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(quarter())
}

async fn quarter() -> anyhow::Result<()> {
    let people = people();
    let by_id: HashMap<&str, &Member> = people.iter().map(|m| (m.id.as_str(), m)).collect();
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("quarter.db").display());
    let store = amplifier::store::open(&url).await?;
    store.migrate().await?;
    // Sunday 2026-09-27 12:00 UTC: the first prompt is Monday 09:00 in Berlin.
    let start = Utc.with_ymd_and_hms(2026, 9, 27, 12, 0, 0).unwrap();
    let config = Config::parse(&config(&people)).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(amplifier::config::validate(&config, start).is_empty());
    amplifier::teams::sync_config_teams(&*store, &config, start).await?;
    let engine = Arc::new(Engine::new(
        store.clone(),
        PathBuf::from("."),
        std::time::Duration::from_secs(6 * 3600),
    ));
    engine.load_prompt_packs().await?;
    let clock = Arc::new(ManualClock::new(start));
    let shell = Shell::new(engine.clone(), clock.clone(), "quarter", "approver")?;
    let mut run = Run {
        shell,
        clock: clock.clone(),
        acted: HashMap::new(),
    };
    for m in &people {
        run.act(&m.id, &[&format!("/amplify timezone {}", m.zone)])
            .await?;
    }
    // Away windows: (person, from, until).
    let vacation = (start + Span::weeks(4), start + Span::weeks(5));
    let ooo = (start + Span::weeks(7), start + Span::weeks(9));
    let mut muted_at: Option<DateTime<Utc>> = None;
    let mut week_text = 0;

    let end = start + Span::weeks(WEEKS);
    while clock.now() < end {
        let now = clock.now();
        // Personas that act on the calendar.
        for m in &people {
            match m.persona {
                Persona::Vacation if now == vacation.0 => {
                    let until = vacation
                        .1
                        .with_timezone(&m.zone)
                        .format("%Y-%m-%d")
                        .to_string();
                    run.act(&m.id, &[&format!("/amplify pause until {until}")])
                        .await?;
                }
                Persona::Mutes if now == start + Span::weeks(3) => {
                    run.act(&m.id, &["/amplify mute"]).await?;
                    muted_at = Some(now);
                }
                Persona::OutOfOffice if now == ooo.0 || now == ooo.1 => {
                    // What the Slack sweep or `user_change` records.
                    let person = store
                        .person_by_platform_id(Platform::Shell, "quarter", &m.id)
                        .await?
                        .expect("the person");
                    store
                        .set_person_out_of_office(person.id, now == ooo.0)
                        .await?;
                }
                _ => {}
            }
        }
        let out = run.shell.input("/advance 1h").await?;
        for (who, text) in dms(&out) {
            let Some(m) = by_id.get(who.as_str()) else {
                continue;
            };
            match m.persona {
                Persona::Answers if text.contains("Your question this week") => {
                    week_text += 1;
                    run.act(
                        &who,
                        &[
                            &format!("/amplify draft What {who} learned, note {week_text}."),
                            "/click Submit for review",
                        ],
                    )
                    .await?;
                }
                Persona::Skips if text.contains("Your question this week") => {
                    if let Some(n) = button(&text, "Skip this week") {
                        run.act(&who, &[&format!("/click {n}")]).await?;
                    }
                }
                Persona::Approves if text.contains("Draft by") => {
                    if let Some(n) = button(&text, "Approve") {
                        run.act(&who, &[&format!("/click {n}")]).await?;
                    }
                }
                Persona::Eager | Persona::Vacation | Persona::Mutes | Persona::OutOfOffice
                    if text.contains("A teammate just published.") =>
                {
                    if let Some(n) = button(&text, "Shared on LinkedIn") {
                        run.act(&who, &[&format!("/click {n}")]).await?;
                    }
                }
                Persona::Lazy if text.contains("A last nudge") => {
                    if let Some(n) = button(&text, "Shared on LinkedIn") {
                        run.act(&who, &[&format!("/click {n}")]).await?;
                    }
                }
                _ => {}
            }
        }
    }

    // ---- what the quarter left in the outbox ----
    let mut rows = Vec::new();
    let mut id = 1;
    while let Some(row) = store.outbox_message(OutboxId(id)).await? {
        rows.push(row);
        id += 1;
    }
    let mut problems = Vec::new();
    // (person, week) → bot-initiated touches; (leader, week) → prompts.
    let mut touches: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let mut prompts: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let mut digests: BTreeMap<i64, usize> = BTreeMap::new();
    let mut nudged: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    let berlin: Tz = "Europe/Berlin".parse()?;
    for row in &rows {
        let op: Outbound = serde_json::from_str(&row.payload_json)?;
        let to = match &op {
            Outbound::Send {
                to: Destination::Person(p),
                ..
            } => p.clone(),
            Outbound::Send {
                to: Destination::Channel(_),
                ..
            } => {
                if row.idempotency_key.ends_with(":channel")
                    && row.idempotency_key.starts_with("digest:")
                {
                    *digests.entry(week_of(row.not_before, berlin)).or_default() += 1;
                }
                continue;
            }
            // Ephemeral answers to the person who acted, and edits of earlier messages.
            _ => continue,
        };
        let Some(m) = by_id.get(to.as_str()) else {
            continue;
        };
        let key = &row.idempotency_key;
        // Prompts, reminders, nudges and digests come from the clock, never in answer to anyone.
        let clock_caused =
            key.starts_with("ask:") || key.starts_with("nudge:") || key.starts_with("digest:");
        let answer = !clock_caused
            && run
                .acted
                .get(&to)
                .is_some_and(|at| at.contains(&row.created_at));
        if answer {
            continue;
        }
        let due = row.not_before;
        if !hours(m.zone).allows(due) {
            problems.push(format!(
                "{} ({}) got {} at {} local",
                m.id,
                m.zone,
                row.idempotency_key,
                due.with_timezone(&m.zone).format("%a %H:%M")
            ));
        }
        let touch = key.starts_with("ask:") || key.starts_with("nudge:");
        let week = week_of(due, m.zone);
        if touch {
            *touches.entry((m.id.clone(), week)).or_default() += 1;
            let away = (m.persona == Persona::Vacation && due >= vacation.0 && due < vacation.1)
                || (m.persona == Persona::OutOfOffice && due >= ooo.0 && due < ooo.1)
                || (m.persona == Persona::Mutes
                    && key.starts_with("nudge:")
                    && muted_at.is_some_and(|at| due >= at));
            if away {
                problems.push(format!("{} got {key} while away or muted", m.id));
            }
        }
        if key.starts_with("ask:") && key.ends_with(":prompt") {
            *prompts.entry((m.id.clone(), week)).or_default() += 1;
        }
        if key.starts_with("nudge:")
            && !key.ends_with(":reminder")
            && row.status == OutboxStatus::Sent
        {
            nudged.entry(m.id.clone()).or_default().push(due);
        }
    }
    for ((who, week), n) in &touches {
        if *n > CAP {
            problems.push(format!("{who} got {n} touches in week {week}"));
        }
    }
    for m in people
        .iter()
        .filter(|m| matches!(m.persona, Persona::Answers | Persona::Skips))
    {
        for week in 1..=WEEKS {
            let n = prompts.get(&(m.id.clone(), week)).copied().unwrap_or(0);
            if n != 1 {
                problems.push(format!("{} got {n} prompts in week {week}", m.id));
            }
        }
    }
    for week in 1..=WEEKS {
        let n = digests.get(&week).copied().unwrap_or(0);
        if n != 1 {
            problems.push(format!("{n} channel digests in week {week}"));
        }
    }
    // Members who never share: asked, resting after three, then asked again.
    for m in people.iter().filter(|m| m.persona == Persona::Never) {
        let mut at = nudged.get(&m.id).cloned().unwrap_or_default();
        at.sort();
        if at.len() < 4 {
            problems.push(format!(
                "{} (never shares) was nudged {} times",
                m.id,
                at.len()
            ));
            continue;
        }
        let gap = at[3] - at[2];
        if gap < Span::weeks(4) {
            problems.push(format!(
                "{} rested only {} days after three ignored nudges",
                m.id,
                gap.num_days()
            ));
        }
    }
    let mut per_persona: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for m in &people {
        let total: usize = touches
            .iter()
            .filter(|((who, _), _)| *who == m.id)
            .map(|(_, n)| n)
            .sum();
        let max = touches
            .iter()
            .filter(|((who, _), _)| *who == m.id)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        let e = per_persona.entry(format!("{:?}", m.persona)).or_default();
        e.0 += total;
        e.1 = e.1.max(max);
    }
    for (persona, (total, max)) in &per_persona {
        let count = people
            .iter()
            .filter(|m| format!("{:?}", m.persona) == *persona)
            .count();
        println!(
            "{persona}: {:.2} bot-initiated DMs per person per week (max {max} in a week), {count} people",
            *total as f64 / count as f64 / WEEKS as f64
        );
    }
    println!("{} outbox rows over {WEEKS} weeks", rows.len());
    anyhow::ensure!(
        problems.is_empty(),
        "{} broken promises:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}
