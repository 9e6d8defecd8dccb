//! The shell adapter: a terminal chat where people take turns at one keyboard (`/as NAME`), DMs and channel
//! posts print as text with numbered buttons (`/click N`), forms ask for each field, and `/advance 2h` moves a
//! manual clock so a week of the routine fits in a minute.

pub mod render;

pub use render::{ButtonTarget, ShellTransport, ShellWorld};

use crate::chat::{Action, Event, EventKind, Modal};
use crate::clock::{Clock, ManualClock};
use crate::config::Slot;
use crate::delivery::{Delivery, DeliveryConfig};
use crate::domain::Platform;
use crate::engine::{team_ctx, Engine};
use crate::store::{NudgeStatus, Store};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// What `/help` prints in the shell.
pub const SHELL_HELP: &str = "\
Type a message to DM the bot as the current person. Commands:
  /as NAME          act as another person (e.g. /as alice)
  /click N          press button N (or /click Submit for review: the newest button with that label)
  /amplify …        a slash command, e.g. /amplify help
  /advance 2h       move the clock (m, h, d; e.g. 90m, 1d 2h) and run everything that comes due
  /cancel           drop the form you are filling in
  /now              show the time
  /quit             leave";

/// A form being filled in, one field per line.
struct Filling {
    person: String,
    modal: Modal,
    values: Vec<(String, String)>,
}

/// One terminal session over the engine, the store and delivery.
pub struct Shell {
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    delivery: Delivery,
    clock: Arc<ManualClock>,
    world: Arc<ShellWorld>,
    workspace: String,
    me: String,
    seq: u64,
    filling: Option<Filling>,
}

impl Shell {
    pub fn new(
        engine: Arc<Engine>,
        clock: Arc<ManualClock>,
        workspace: &str,
        first_person: &str,
    ) -> anyhow::Result<Shell> {
        let world = Arc::new(ShellWorld::new());
        let store = engine.store().clone();
        let transport: Arc<dyn crate::delivery::Transport> =
            Arc::new(ShellTransport::new(world.clone()));
        let delivery = Delivery::new(store.clone(), vec![transport], DeliveryConfig::new("shell"))?;
        Ok(Shell {
            engine,
            store,
            delivery,
            clock,
            world,
            workspace: workspace.to_string(),
            me: first_person.to_string(),
            seq: 0,
            filling: None,
        })
    }

    pub fn world(&self) -> &ShellWorld {
        &self.world
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn person(&self) -> &str {
        &self.me
    }

    /// One line typed at the prompt; returns what the terminal shows in answer.
    pub async fn input(&mut self, line: &str) -> anyhow::Result<Vec<String>> {
        let line = line.trim_end_matches(['\r', '\n']);
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("/as ") {
            let name = rest.trim();
            if !crate::domain::ids::looks_like(
                Platform::Shell,
                crate::domain::ids::IdKind::User,
                name,
            ) {
                self.world.note(format!(
                    "\"{name}\" is not a name I can use: letters, digits, '_', '-' or '.'"
                ));
            } else {
                self.me = name.to_string();
                self.world.note(format!("(you are now {name})"));
            }
        } else if trimmed == "/help" {
            self.world.note(SHELL_HELP);
        } else if trimmed == "/now" {
            self.world.note(format!(
                "(it is {})",
                self.now().format("%a %Y-%m-%d %H:%M UTC")
            ));
        } else if trimmed == "/cancel" {
            self.filling = None;
            self.world.take_form(&self.me);
            self.world.note("(form dropped)");
        } else if let Some(rest) = trimmed.strip_prefix("/advance") {
            match crate::config::HumanDuration::parse(rest.trim()) {
                Ok(d) => {
                    let target = self.now() + Duration::from_std(d.0).unwrap_or(Duration::zero());
                    self.advance_to(target).await?;
                    self.world.note(format!(
                        "(it is now {})",
                        self.now().format("%a %Y-%m-%d %H:%M UTC")
                    ));
                }
                Err(e) => self.world.note(format!("/advance {e}")),
            }
        } else if let Some(rest) = trimmed.strip_prefix("/click") {
            self.click(rest.trim()).await?;
        } else if let Some(rest) = trimmed.strip_prefix("/amplify") {
            self.event(EventKind::Command {
                text: rest.trim().to_string(),
            })
            .await?;
        } else if trimmed.starts_with('/') && !trimmed.starts_with("//") {
            self.world.note(format!(
                "unknown shell command {}: /help lists them",
                trimmed.split_whitespace().next().unwrap_or("")
            ));
        } else if self.filling.as_ref().is_some_and(|f| f.person == self.me)
            || self.world.has_form(&self.me)
        {
            self.fill(line).await?;
        } else if !trimmed.is_empty() {
            self.event(EventKind::DirectMessage {
                text: line.to_string(),
            })
            .await?;
        }
        Ok(self.world.drain_lines())
    }

    async fn click(&mut self, which: &str) -> anyhow::Result<()> {
        let found = match which.parse::<usize>() {
            Ok(n) => self.world.button(&self.me, n),
            Err(_) => self.world.button_by_label(&self.me, which),
        };
        match found {
            Err(e) => self.world.note(format!("({e})")),
            Ok(button) => match button.target {
                ButtonTarget::Link(url) => self.world.note(format!("(opens {url})")),
                ButtonTarget::Action(id) => {
                    self.world
                        .note(format!("{} clicks [{}]", self.me, button.label));
                    self.event(EventKind::Button {
                        action: Action::parse(&id),
                        raw_id: id,
                    })
                    .await?;
                }
            },
        }
        Ok(())
    }

    async fn fill(&mut self, line: &str) -> anyhow::Result<()> {
        if self.filling.as_ref().is_none_or(|f| f.person != self.me) {
            let Some(modal) = self.world.take_form(&self.me) else {
                return Ok(());
            };
            self.filling = Some(Filling {
                person: self.me.clone(),
                modal,
                values: Vec::new(),
            });
        }
        let Some(filling) = self.filling.as_mut() else {
            return Ok(());
        };
        let index = filling.values.len();
        let Some(input) = filling.modal.inputs.get(index) else {
            return Ok(());
        };
        let value: String = line.chars().take(input.max_len).collect();
        filling.values.push((input.id.clone(), value));
        if let Some(next) = filling.modal.inputs.get(index + 1) {
            let label = next.label.clone();
            self.world.note(format!("  {}", render::question(&label)));
            return Ok(());
        }
        let Some(done) = self.filling.take() else {
            return Ok(());
        };
        self.world.note(format!(
            "{} submits the form \"{}\"",
            self.me, done.modal.title
        ));
        let action = Action::parse(&done.modal.action);
        self.event(EventKind::ModalSubmit {
            action,
            raw_id: done.modal.action.clone(),
            fields: done.values,
        })
        .await
    }

    /// Hands an event from the current person to the engine, then lets everything settle.
    async fn event(&mut self, kind: EventKind) -> anyhow::Result<()> {
        self.seq += 1;
        let event = Event {
            platform: Platform::Shell,
            workspace_id: self.workspace.clone(),
            person: self.me.clone(),
            channel: None,
            key: format!("shell-{}-{}", self.now().timestamp_millis(), self.seq),
            kind,
        };
        self.engine.handle(&event, self.now()).await?;
        self.settle().await
    }

    /// Runs the clock's work and delivery until nothing more happens at this instant.
    pub async fn settle(&mut self) -> anyhow::Result<()> {
        for _ in 0..20 {
            let tick = self.engine.tick(self.now()).await?;
            let sent = self.delivery.run_once(&*self.clock).await?;
            if tick == Default::default() && sent.total.sent == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Moves the clock to `target`, stopping at every instant where something comes due on the way (a
    /// schedule's slot, a reminder, a nudge, a publish slot), so nothing is skipped or caught up late.
    pub async fn advance_to(&mut self, target: DateTime<Utc>) -> anyhow::Result<()> {
        while self.now() < target {
            let next = self
                .next_due(self.now())
                .await?
                .filter(|t| *t < target)
                .unwrap_or(target);
            self.clock.set(next.max(self.now()));
            self.settle().await?;
            if next >= target {
                break;
            }
        }
        Ok(())
    }

    async fn next_due(&self, now: DateTime<Utc>) -> anyhow::Result<Option<DateTime<Utc>>> {
        let far = now + Duration::days(400);
        let mut candidates: Vec<DateTime<Utc>> = Vec::new();
        for team in self.store.teams().await? {
            let ctx = team_ctx(team)?;
            let zone = ctx.zone();
            candidates.extend(ctx.settings.prompt_schedule.0.next_after(zone, now));
            if let Some(leaders) = Some(self.store.team_people(ctx.team.id).await?) {
                for (person, _) in leaders {
                    candidates.extend(
                        ctx.settings
                            .prompt_schedule
                            .0
                            .next_after(ctx.zone_of(&person), now),
                    );
                }
            }
            for slot in [
                &ctx.settings.digest_schedule,
                &ctx.settings.publish_schedule,
            ] {
                if let Slot::Cron(c) = slot {
                    candidates.extend(c.0.next_after(zone, now));
                }
            }
        }
        candidates.extend(
            self.store
                .asks_due_for_reminder(far)
                .await?
                .into_iter()
                .filter_map(|a| a.remind_at),
        );
        candidates.extend(
            self.store
                .posts_due(far)
                .await?
                .into_iter()
                .filter_map(|p| p.publish_at),
        );
        candidates.extend(
            self.store
                .nudges_in_status(None, NudgeStatus::Pending)
                .await?
                .into_iter()
                .map(|n| n.due_at),
        );
        for team in self.store.teams().await? {
            let ctx = team_ctx(team)?;
            let after = Duration::from_std(ctx.settings.nudge_reminder_after.0)
                .unwrap_or(Duration::hours(24));
            for nudge in self
                .store
                .nudges_in_status(Some(ctx.team.id), NudgeStatus::Sent)
                .await?
            {
                if let Some(sent) = nudge.sent_at {
                    candidates.push(sent + after);
                }
            }
        }
        Ok(candidates.into_iter().filter(|t| *t > now).min())
    }
}
