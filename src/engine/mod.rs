//! The weekly routine: turns chat events and clock ticks into state changes plus outbox rows, committed in one
//! transaction, each inbound event applied once.
//!
//! One module per step: [`prompts`], [`drafts`], [`review`], [`publish`], [`nudges`], [`digest`], [`commands`],
//! and [`forget`] for `/amplify forget-me`.
//! Every function takes `now`; nothing here reads the wall clock or knows a platform.

pub mod commands;
pub mod digest;
pub mod drafts;
pub mod forget;
pub mod nudges;
pub mod prompts;
pub mod publish;
pub mod review;
mod turn;

pub use turn::{answered_event, Turn};

use crate::chat::{Event, EventKind};
use crate::config::TeamConfig;
use crate::domain::working_hours::WorkingHours;
use crate::prompts::PromptPack;
use crate::store::{ClockWork, Person, PromptSpec, Role, Store, StoreError, Team, TeamId};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Why the engine could not apply an event or a tick. User mistakes are not errors: they are answered in chat.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("team {team}: its stored settings cannot be read ({message}); run `amplifier check` and restart")]
    Settings { team: String, message: String },
    #[error("team {team}: prompt pack: {message}")]
    PromptPack { team: String, message: String },
}

/// What became of one inbound event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Applied,
    /// The same key was applied before (a platform redelivery): nothing happened.
    Duplicate,
}

/// The routine over one store.
pub struct Engine {
    store: Arc<dyn Store>,
    /// Where relative prompt packs are read from (the config file's directory).
    base_dir: PathBuf,
    catch_up_window: Duration,
    /// Notified after every applied event: it may have changed when the clock work is next due (a new
    /// schedule, a post to publish now, nudges to send).
    replanned: Notify,
}

/// A team with its settings, as stored.
#[derive(Debug, Clone)]
pub struct TeamCtx {
    pub team: Team,
    pub settings: TeamConfig,
}

impl TeamCtx {
    pub fn zone(&self) -> Tz {
        self.settings.time_zone.0
    }

    /// A person's zone: their own when known, else the team's.
    pub fn zone_of(&self, person: &Person) -> Tz {
        person
            .time_zone
            .as_deref()
            .and_then(|z| crate::zone::parse_zone(z).ok())
            .unwrap_or(self.zone())
    }

    /// A person's working window for prompts and nudges.
    pub fn working_hours_of(&self, person: &Person) -> WorkingHours {
        WorkingHours {
            zone: self.zone_of(person),
            quiet_start: self.settings.quiet_hours.start.0,
            quiet_end: self.settings.quiet_hours.end.0,
            weekends_quiet: self.settings.weekends == crate::config::WeekendRule::Quiet,
        }
    }
}

/// When a message that someone else's action caused (a review request, a decision on a draft, a post kit) may
/// reach `to`: at once when it answers their own action or the team set `urgent_reviews`, else at the start of
/// their working hours if they are outside them now.
pub fn colleague_instant(turn: &Turn<'_>, ctx: &TeamCtx, to: &Person) -> Option<DateTime<Utc>> {
    if ctx.settings.urgent_reviews || turn.actor().is_some_and(|p| p.id == to.id) {
        return None;
    }
    Some(ctx.working_hours_of(to).next_allowed(turn.now()))
}

/// Whether a person is away (paused until a later date, or out of office) at `now`.
pub fn is_away(person: &Person, now: DateTime<Utc>) -> bool {
    person.out_of_office || person.paused_until.is_some_and(|until| until > now)
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, base_dir: PathBuf, catch_up_window: Duration) -> Engine {
        Engine {
            store,
            base_dir,
            catch_up_window,
            replanned: Notify::new(),
        }
    }

    /// Resolves after an event was applied since the last call (one stored permit: events coalesce). The clock
    /// work waits on it to look again at when it is next due.
    pub async fn replanned(&self) {
        self.replanned.notified().await
    }

    /// When the clock work is next due after a tick at `now` that reported `tick` (or after an event, with the
    /// last tick's report): the store's instants and the tick's own. `since` is when the last tick ran: work
    /// due at or before it was already looked at (it may be waiting for something), so only newer work, or a
    /// team whose plan changed, makes it due now.
    pub async fn next_due(
        &self,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        tick: &TickReport,
    ) -> Result<ClockWork, EngineError> {
        let mut work = self.store.next_clock_work(since, now).await?;
        match tick.next_due {
            Some(at) if at <= now => work.due_now = true,
            Some(at) => work.next = Some(work.next.map_or(at, |n| n.min(at))),
            None => {}
        }
        Ok(work)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Loads every team's prompt pack into the store (keys are stable; texts may be reworded).
    pub async fn load_prompt_packs(&self) -> Result<(), EngineError> {
        for team in self.store.teams().await? {
            let ctx = team_ctx(team)?;
            let pack = self.pack(&ctx)?;
            let specs: Vec<PromptSpec> = pack
                .prompts
                .iter()
                .map(|p| PromptSpec {
                    key: p.key.clone(),
                    text: p.text.clone(),
                    tags: p.tags.clone(),
                })
                .collect();
            self.store.upsert_prompts(&pack.name, &specs).await?;
        }
        Ok(())
    }

    pub(crate) fn pack(&self, ctx: &TeamCtx) -> Result<PromptPack, EngineError> {
        PromptPack::load(&ctx.settings.prompt_pack, &self.base_dir).map_err(|e| {
            EngineError::PromptPack {
                team: ctx.team.name.clone(),
                message: e.to_string(),
            }
        })
    }

    /// Applies one inbound event, once: a redelivery with the same key changes nothing.
    pub async fn handle(&self, event: &Event, now: DateTime<Utc>) -> Result<Handled, EngineError> {
        let event = &*event.without_nul();
        let span = tracing::info_span!("event", key = %event.key, platform = %event.platform);
        let _enter = span.enter();
        let tx = self.store.begin().await?;
        if !tx.record_inbound(&event.key, event.platform, now).await? {
            tx.rollback().await?;
            count_event(event, "duplicate");
            return Ok(Handled::Duplicate);
        }
        let person = tx
            .upsert_person(event.platform, &event.workspace_id, &event.person, now)
            .await?
            .id();
        let person = tx.person(person).await?.ok_or(StoreError::NotFound {
            what: "person",
            id: event.person.clone(),
        })?;
        if person.dms_closed && matches!(event.kind, EventKind::DirectMessage { .. }) {
            // They wrote to the bot, so it may write back again.
            tx.set_person_dms_closed(person.id, false).await?;
        }
        let mut turn = Turn::for_event(&*tx, event, person, now);
        let outcome = self.dispatch(&mut turn).await;
        match outcome {
            Ok(()) => {
                turn.flush().await?;
                let steps = turn.into_steps();
                tx.commit().await?;
                steps.count();
                self.replanned.notify_one();
                count_event(event, "applied");
                Ok(Handled::Applied)
            }
            Err(e) => {
                let _ = tx.rollback().await;
                count_event(event, "failed");
                Err(e)
            }
        }
    }

    async fn dispatch(&self, turn: &mut Turn<'_>) -> Result<(), EngineError> {
        let event = turn.event().clone();
        match &event.kind {
            EventKind::DirectMessage { text } => drafts::on_direct_message(turn, text).await,
            EventKind::Button { action, raw_id } => match action {
                Some(action) => self.on_action(turn, action, None).await,
                None => forged(turn, raw_id).await,
            },
            EventKind::ModalSubmit {
                action,
                raw_id,
                fields,
            } => match action {
                Some(action) => self.on_action(turn, action, Some(fields)).await,
                None => forged(turn, raw_id).await,
            },
            EventKind::Command { text } => commands::on_command(self, turn, text).await,
            EventKind::DraftFromMessage { text } => drafts::start_from_message(turn, text).await,
            EventKind::HomeOpened => commands::on_home(turn).await,
            EventKind::MemberJoined | EventKind::MemberLeft => nudges::on_membership(turn).await,
        }
    }

    async fn on_action(
        &self,
        turn: &mut Turn<'_>,
        action: &crate::chat::Action,
        fields: Option<&Vec<(String, String)>>,
    ) -> Result<(), EngineError> {
        use crate::chat::Action as A;
        match action {
            A::WriteInEditor { .. } | A::SkipAsk { .. } | A::RemindTomorrow { .. } => {
                prompts::on_action(turn, action, fields).await
            }
            A::NewDraft | A::SubmitDraft { .. } | A::EditDraft { .. } | A::DiscardDraft { .. } => {
                drafts::on_action(turn, action, fields).await
            }
            A::Approve { .. }
            | A::EditAndApprove { .. }
            | A::RequestChanges { .. }
            | A::Reject { .. } => review::on_action(turn, action, fields).await,
            A::PasteLink { .. } | A::SkipOwnPost { .. } | A::PublishNow { .. } => {
                publish::on_action(turn, action, fields).await
            }
            A::Shared { .. } | A::PasteShareLink { .. } | A::NotThisTime { .. } => {
                nudges::on_action(turn, action, fields).await
            }
            A::ForgetMe => forget::confirmed(turn).await,
        }
    }

    /// Does everything the clock makes due: rounds and their asks, reminders, publishing, nudges, digests.
    ///
    /// Only teams whose next prompt slot or digest has come (or is not known yet) are read, so a tick costs the
    /// same few queries however many teams there are, plus the work of the teams that are due. Each due team is
    /// claimed first and its next due instant stored after its work; a change to its plan in between (settings,
    /// roles, a member's zone) makes that store a no-op, so the next tick looks at the team again.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, EngineError> {
        let mut report = TickReport::default();
        for due in self.store.due_teams(now).await? {
            let Some(team) = self.store.claim_due_team(due.id, now).await? else {
                continue;
            };
            let ctx = team_ctx(team)?;
            let rounds = prompts::open_rounds(self, &ctx, now).await?;
            report.asks += rounds.asks;
            report.digests += digest::send_due(self, &ctx, now).await?;
            // A team with no slot ahead is looked at again in a day (not at every tick: the clock work sleeps
            // until the next instant it knows, and an unknown one would wake it at once).
            let next = rounds
                .next_slot
                .into_iter()
                .chain(digest::next_slot(&ctx, now))
                .min()
                .or(Some(now + chrono::Duration::days(1)));
            self.store.set_team_next_due(ctx.team.id, now, next).await?;
        }
        report.reminders += prompts::send_reminders(self, now).await?;
        report.published += publish::publish_due(self, now).await?;
        report.nudges += nudges::send_due(self, now).await?;
        let reminders = nudges::send_reminders(self, now).await?;
        report.nudge_reminders += reminders.sent;
        report.next_due = reminders.next_due;
        report.record_metrics();
        Ok(report)
    }
}

/// Counts an inbound event for `/metrics` by platform, kind and what became of it.
fn count_event(event: &Event, outcome: &'static str) {
    let kind = match &event.kind {
        EventKind::DirectMessage { .. } => "direct_message",
        EventKind::Button { .. } => "button",
        EventKind::ModalSubmit { .. } => "modal_submit",
        EventKind::Command { .. } => "command",
        EventKind::DraftFromMessage { .. } => "draft_from_message",
        EventKind::HomeOpened => "home_opened",
        EventKind::MemberJoined => "member_joined",
        EventKind::MemberLeft => "member_left",
    };
    metrics::counter!("amplifier_events_total", "platform" => event.platform.as_str(), "kind" => kind, "outcome" => outcome)
        .increment(1);
}

impl TickReport {
    /// Adds what the clock's work did to `/metrics`.
    pub fn record_metrics(&self) {
        metrics::counter!("amplifier_prompts_sent_total").increment(self.asks as u64);
        metrics::counter!("amplifier_prompt_reminders_total").increment(self.reminders as u64);
        metrics::counter!("amplifier_posts_published_total").increment(self.published as u64);
        metrics::counter!("amplifier_nudges_sent_total").increment(self.nudges as u64);
        metrics::counter!("amplifier_nudge_reminders_total").increment(self.nudge_reminders as u64);
        metrics::counter!("amplifier_digests_sent_total").increment(self.digests as u64);
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    pub asks: usize,
    pub reminders: usize,
    pub published: usize,
    pub nudges: usize,
    pub nudge_reminders: usize,
    pub digests: usize,
    /// The next instant this tick saw coming that the store does not record (a nudge reminder's delay or its
    /// person's working hours); see [`Engine::next_due`].
    pub next_due: Option<DateTime<Utc>>,
}

impl TickReport {
    /// Whether the tick queued or changed anything.
    pub fn did_work(&self) -> bool {
        self.asks
            + self.reminders
            + self.published
            + self.nudges
            + self.nudge_reminders
            + self.digests
            > 0
    }
}

/// Reads a team's stored settings.
pub fn team_ctx(team: Team) -> Result<TeamCtx, EngineError> {
    let settings: TeamConfig =
        serde_json::from_str(&team.settings_json).map_err(|e| EngineError::Settings {
            team: team.name.clone(),
            message: e.to_string(),
        })?;
    Ok(TeamCtx { team, settings })
}

/// The roles a person holds on `team`; empty when they hold none there.
pub async fn roles_in(
    store: &dyn Store,
    team: TeamId,
    person: &Person,
) -> Result<Vec<Role>, EngineError> {
    Ok(store
        .team_people(team)
        .await?
        .into_iter()
        .filter(|(p, _)| p.id == person.id)
        .map(|(_, role)| role)
        .collect())
}

/// A button or form id we did not make: refused, audited, answered.
async fn forged(turn: &mut Turn<'_>, raw_id: &str) -> Result<(), EngineError> {
    turn.audit(None, "action.refused", "action", serde_json::json!({ "reason": "unknown action id", "id": raw_id.chars().take(120).collect::<String>() }))
        .await?;
    turn.reply("That button is not one of mine, or it is out of date. Type /amplify status to see what is open.");
    Ok(())
}
