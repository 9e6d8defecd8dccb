//! One unit of work inside a transaction: the event (if any), the person acting, `now`, and the outbox rows
//! the work causes, enqueued together when the turn is flushed.

use super::EngineError;
use crate::chat::{Destination, Event, Message, Modal, Outbound};
use crate::domain::Platform;
use crate::store::{AuditEntry, Lane, NewOutboxMessage, Person, Store, TeamId};
use chrono::{DateTime, Utc};

pub struct Turn<'a> {
    store: &'a dyn Store,
    event: Option<&'a Event>,
    person: Option<Person>,
    now: DateTime<Utc>,
    rows: Vec<NewOutboxMessage>,
    seq: u32,
    /// The audited actions of this turn, counted on `/metrics` once its transaction commits.
    steps: std::sync::Mutex<Vec<String>>,
}

impl<'a> Turn<'a> {
    pub fn for_event(
        store: &'a dyn Store,
        event: &'a Event,
        person: Person,
        now: DateTime<Utc>,
    ) -> Turn<'a> {
        Turn {
            store,
            event: Some(event),
            person: Some(person),
            now,
            rows: Vec::new(),
            seq: 0,
            steps: Default::default(),
        }
    }

    /// Work the clock caused: every row needs an explicit key derived from its cause.
    pub fn for_tick(store: &'a dyn Store, now: DateTime<Utc>) -> Turn<'a> {
        Turn {
            store,
            event: None,
            person: None,
            now,
            rows: Vec::new(),
            seq: 0,
            steps: Default::default(),
        }
    }

    pub fn store(&self) -> &'a dyn Store {
        self.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The event being handled. Only called from event handlers.
    pub fn event(&self) -> &'a Event {
        self.event.expect("an event handler runs with an event")
    }

    /// The person who acted, if this turn answers an event (none on a clock tick).
    pub fn actor(&self) -> Option<&Person> {
        self.person.as_ref()
    }

    /// The person acting. Only called from event handlers.
    pub fn person(&self) -> &Person {
        self.person
            .as_ref()
            .expect("an event handler runs with a person")
    }

    /// The next outbox key of this turn: `ev:PLATFORM:EVENT:N` for an event's turn (see [`answered_event`]),
    /// `tick:MILLIS:N` for the clock's.
    fn next_key(&mut self) -> String {
        self.seq += 1;
        match self.event {
            Some(event) => format!("ev:{}:{}:{}", event.platform, event.key, self.seq),
            None => format!("tick:{}:{}", self.now.timestamp_millis(), self.seq),
        }
    }

    fn push(
        &mut self,
        key: String,
        platform: Platform,
        workspace_id: &str,
        lane: Lane,
        op: &Outbound,
        not_before: DateTime<Utc>,
    ) {
        self.rows.push(NewOutboxMessage {
            idempotency_key: key,
            platform,
            workspace_id: workspace_id.to_string(),
            lane,
            payload_json: serde_json::to_string(op).expect("outbound messages always serialize"),
            not_before,
        });
    }

    /// A private reply to the person who acted, where they acted.
    pub fn reply(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.reply_message(Message::new(text.clone()).say(text));
    }

    pub fn reply_message(&mut self, message: Message) {
        let key = self.next_key();
        self.reply_keyed(key, message);
    }

    /// A reply to a person who was just forgotten: its outbox row is deleted once sent (or failed), so
    /// nothing addressed to them stays behind. The key is the reply's usual one behind
    /// [`crate::store::ERASE_AFTER_SEND`], so an adapter still finds the interaction it answers.
    pub fn farewell(&mut self, text: impl Into<String>) {
        let text = text.into();
        let key = format!("{}{}", crate::store::ERASE_AFTER_SEND, self.next_key());
        self.reply_keyed(key, Message::new(text.clone()).say(text));
    }

    fn reply_keyed(&mut self, key: String, message: Message) {
        let event = self.event();
        let op = if event.channel.is_none() || self.is_dm() {
            Outbound::Send {
                workspace_id: event.workspace_id.clone(),
                to: Destination::Person(event.person.clone()),
                message,
            }
        } else {
            Outbound::Private {
                workspace_id: event.workspace_id.clone(),
                person: event.person.clone(),
                channel: event.channel.clone(),
                message,
            }
        };
        self.push(
            key,
            event.platform,
            &event.workspace_id,
            Lane::Interactive,
            &op,
            self.now,
        );
    }

    /// Whether the event happened in the person's DM with the bot.
    fn is_dm(&self) -> bool {
        matches!(
            self.event().kind,
            crate::chat::EventKind::DirectMessage { .. }
        )
    }

    /// Shows the person who acted their home view.
    pub fn home(&mut self, message: Message) {
        let event = self.event();
        let op = Outbound::Home {
            workspace_id: event.workspace_id.clone(),
            person: event.person.clone(),
            message,
        };
        let key = self.next_key();
        self.push(
            key,
            event.platform,
            &event.workspace_id,
            Lane::Interactive,
            &op,
            self.now,
        );
    }

    /// Opens a form for the person who acted, in answer to this event.
    pub fn open_modal(&mut self, modal: Modal) {
        let event = self.event();
        let op = Outbound::OpenModal {
            workspace_id: event.workspace_id.clone(),
            person: event.person.clone(),
            trigger: event.key.clone(),
            modal,
        };
        let key = self.next_key();
        self.push(
            key,
            event.platform,
            &event.workspace_id,
            Lane::Interactive,
            &op,
            self.now,
        );
    }

    /// A message to a person or a channel. `key` names the cause (e.g. `nudge:42`) so a retried cause sends
    /// nothing twice; `None` derives one from the event.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        key: Option<String>,
        platform: Platform,
        workspace_id: &str,
        to: Destination,
        message: Message,
        lane: Lane,
        not_before: Option<DateTime<Utc>>,
    ) -> String {
        let key = key.unwrap_or_else(|| self.next_key());
        let op = Outbound::Send {
            workspace_id: workspace_id.to_string(),
            to,
            message,
        };
        let not_before = not_before.unwrap_or(self.now);
        self.push(key.clone(), platform, workspace_id, lane, &op, not_before);
        key
    }

    /// Replaces the message sent by the outbox row `original_key`.
    pub fn update(
        &mut self,
        key: String,
        platform: Platform,
        workspace_id: &str,
        original_key: &str,
        message: Message,
    ) {
        let op = Outbound::Update {
            workspace_id: workspace_id.to_string(),
            original_key: original_key.to_string(),
            message,
        };
        self.push(
            key,
            platform,
            workspace_id,
            Lane::Interactive,
            &op,
            self.now,
        );
    }

    /// Records who did what, in the same transaction.
    pub async fn audit(
        &self,
        team: Option<TeamId>,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<(), EngineError> {
        let actor = match (&self.person, self.event) {
            (Some(p), _) => format!("{}:{}:{}", p.platform, p.workspace_id, p.platform_user_id),
            (None, _) => "scheduler".to_string(),
        };
        self.steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(action.to_string());
        self.store
            .audit(&AuditEntry {
                at: self.now,
                team_id: team,
                actor,
                action: action.to_string(),
                subject: subject.to_string(),
                detail_json: detail.to_string(),
            })
            .await?;
        Ok(())
    }

    /// Ends the turn, keeping its audited actions to count once its transaction committed.
    pub fn into_steps(self) -> Steps {
        Steps(self.steps.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    /// Refuses an action the person may not take: audited as `action.refused` with the reason, and answered.
    pub async fn refuse(
        &mut self,
        team: Option<TeamId>,
        subject: &str,
        reason: &str,
        reply: &str,
    ) -> Result<(), EngineError> {
        self.audit(
            team,
            "action.refused",
            subject,
            serde_json::json!({ "reason": reason }),
        )
        .await?;
        self.reply(reply);
        Ok(())
    }

    /// Enqueues every row; rows whose key was already queued are skipped (their cause was applied before).
    pub async fn flush(&mut self) -> Result<usize, EngineError> {
        let mut queued = 0;
        for row in std::mem::take(&mut self.rows) {
            if self.store.enqueue(&row, self.now).await? {
                queued += 1;
            }
        }
        Ok(queued)
    }
}

/// A finished turn's audited actions (drafts created, reviews by decision, posts published, shares
/// confirmed, …), for `/metrics`.
#[must_use = "count the steps once the transaction committed"]
pub struct Steps(Vec<String>);

impl Steps {
    /// Adds them to `amplifier_routine_steps_total{step}`.
    pub fn count(self) {
        for step in self.0 {
            metrics::counter!("amplifier_routine_steps_total", "step" => step).increment(1);
        }
    }
}

/// The key of the event an outbox row of an event's turn answers (`ev:PLATFORM:EVENT:N`, or the same after
/// [`crate::store::ERASE_AFTER_SEND`] for a farewell): how an adapter finds the interaction (Discord's token,
/// Slack's `response_url`) to answer it through. `None` for rows of other platforms, ticks and routine keys.
pub fn answered_event(row_key: &str, platform: Platform) -> Option<&str> {
    let rest = row_key
        .strip_prefix(crate::store::ERASE_AFTER_SEND)
        .unwrap_or(row_key)
        .strip_prefix("ev:")?
        .strip_prefix(platform.as_str())?
        .strip_prefix(':')?;
    let (key, seq) = rest.rsplit_once(':')?;
    seq.parse::<u32>().ok().map(|_| key)
}
