//! Prompts: each round asks every active leader one question (rotated from the pack without repeats), with
//! *Write in editor*, *Skip this week* and *Remind me tomorrow*; reminders; the ask expires when the next one comes.

use super::{is_away, team_ctx, Engine, EngineError, TeamCtx, Turn};
use crate::chat::{Action, Button, Destination, Input, Message, Modal};
use crate::config::PromptZone;
use crate::rounds::{next_wake, open_due_rounds, plan_for_team};
use crate::store::{Ask, AskStatus, Lane, Person, Prompt, Role, RoundStatus, Store};
use chrono::{DateTime, Duration, Utc};

/// The editor's text field.
pub const INSIGHT_FIELD: &str = "insight";
/// The longest insight the editor takes (Slack's input limit).
pub const INSIGHT_MAX: usize = 3000;

/// What [`open_rounds`] did, and when the team's next slot comes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundsDone {
    /// Asks sent.
    pub asks: usize,
    /// The team's next prompt slot strictly after `now`, in any of its plan's zones.
    pub next_slot: Option<DateTime<Utc>>,
}

/// Opens the team's due rounds and asks its leaders, all in one transaction.
pub async fn open_rounds(
    engine: &Engine,
    ctx: &TeamCtx,
    now: DateTime<Utc>,
) -> Result<RoundsDone, EngineError> {
    let tx = engine.store.begin().await?;
    let per_leader = ctx.settings.prompt_zone == PromptZone::Leader;
    let plan = plan_for_team(
        &*tx,
        ctx.team.id,
        &ctx.team.name,
        ctx.settings.prompt_schedule.0.clone(),
        ctx.zone(),
        per_leader,
    )
    .await?;
    let report = open_due_rounds(&*tx, &plan, now, engine.catch_up_window).await?;
    let mut turn = Turn::for_tick(&*tx, now);
    let mut asks = 0;
    if !report.opened.is_empty() {
        let pack = engine.pack(ctx)?;
        let leaders: Vec<Person> = tx
            .team_people(ctx.team.id)
            .await?
            .into_iter()
            .filter(|(_, role)| *role == Role::Leader)
            .map(|(p, _)| p)
            .collect();
        for opened in &report.opened {
            tracing::info!(team = %ctx.team.name, round = %opened.round, slot = %opened.slot, "round opened");
            close_older_rounds(&*tx, ctx, opened.slot, now).await?;
            for leader in leaders
                .iter()
                .filter(|l| !per_leader || ctx.zone_of(l) == opened.zone)
            {
                if leader.dms_closed {
                    turn.audit(
                        Some(ctx.team.id),
                        "ask.skipped_dms_closed",
                        &format!("person:{}", leader.id),
                        serde_json::json!({ "round": opened.round.0 }),
                    )
                    .await?;
                    continue;
                }
                if is_away(leader, now) {
                    turn.audit(
                        Some(ctx.team.id),
                        "ask.skipped_away",
                        &format!("person:{}", leader.id),
                        serde_json::json!({ "round": opened.round.0 }),
                    )
                    .await?;
                    continue;
                }
                expire_open_asks(&*tx, ctx, leader, now).await?;
                let prompt = choose_prompt(&*tx, &pack, leader, ctx).await?;
                let ask = tx
                    .create_ask(opened.round, leader.id, prompt.as_ref().map(|p| p.id), now)
                    .await?;
                if !ask.is_new() {
                    continue;
                }
                let ask_id = ask.id();
                if let Some(p) = &prompt {
                    tx.record_prompt_seen(leader.id, p.id, ctx.team.id, Some(opened.round), now)
                        .await?;
                }
                // The question waits for the leader's own hours (a team-zone slot can be night elsewhere).
                let asked_at = ctx.working_hours_of(leader).next_allowed(now);
                if ctx.settings.reminder_count > 0 {
                    let at = asked_at
                        + Duration::from_std(ctx.settings.reminder_after.0)
                            .unwrap_or(Duration::hours(24));
                    tx.set_ask_remind_at(ask_id, Some(at), now).await?;
                }
                let question = prompt.as_ref().map_or(
                    "What is one insight from your work this week worth sharing?",
                    |p| p.text.as_str(),
                );
                turn.send(
                    Some(format!("ask:{}:prompt", ask_id.0)),
                    ctx.team.platform,
                    &ctx.team.workspace_id,
                    Destination::Person(leader.platform_user_id.clone()),
                    prompt_message(ask_id.0, question, &ctx.team.name),
                    Lane::Bulk,
                    Some(asked_at),
                );
                turn.audit(Some(ctx.team.id), "ask.sent", &format!("ask:{}", ask_id.0), serde_json::json!({ "person": leader.platform_user_id, "prompt": prompt.as_ref().map(|p| p.key.clone()) })).await?;
                asks += 1;
            }
        }
    }
    turn.flush().await?;
    let steps = turn.into_steps();
    tx.commit().await?;
    steps.count();
    Ok(RoundsDone {
        asks,
        next_slot: next_wake(std::slice::from_ref(&plan), now),
    })
}

/// The question DM.
pub fn prompt_message(ask: i64, question: &str, team: &str) -> Message {
    Message::new(format!("Your question this week: {question}"))
        .say(format!("Your question this week, for {team}:"))
        .quote(question)
        .context("Reply right here: a few sentences is plenty, and several messages join up into one draft.")
        .buttons(vec![
            Button::primary("Write in editor", Action::WriteInEditor { ask }),
            Button::action("Skip this week", Action::SkipAsk { ask }),
            Button::action("Remind me tomorrow", Action::RemindTomorrow { ask }),
        ])
}

/// The first prompt of the pack (in pack order) this leader has not seen in this team; when all are used up,
/// the rotation starts over.
async fn choose_prompt(
    store: &dyn Store,
    pack: &crate::prompts::PromptPack,
    leader: &Person,
    ctx: &TeamCtx,
) -> Result<Option<Prompt>, EngineError> {
    let mut unseen = store
        .unseen_prompts(&pack.name, leader.id, ctx.team.id)
        .await?;
    if unseen.is_empty() {
        store
            .reset_prompt_views(&pack.name, leader.id, ctx.team.id)
            .await?;
        unseen = store
            .unseen_prompts(&pack.name, leader.id, ctx.team.id)
            .await?;
    }
    Ok(pack
        .prompts
        .iter()
        .find_map(|p| unseen.iter().find(|u| u.key == p.key).cloned())
        .or_else(|| unseen.into_iter().next()))
}

/// Rounds of this team more than a day older than the new slot are over.
async fn close_older_rounds(
    store: &dyn Store,
    ctx: &TeamCtx,
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    for round in store.open_rounds(ctx.team.id).await? {
        if round.status == RoundStatus::Open && round.scheduled_at < slot - Duration::days(1) {
            store.close_round(round.id, now).await?;
        }
    }
    Ok(())
}

/// A leader's earlier open asks in this team expire when the next one comes.
async fn expire_open_asks(
    store: &dyn Store,
    ctx: &TeamCtx,
    leader: &Person,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    for ask in store.open_asks_of(leader.id).await? {
        if let Some(round) = store.round(ask.round_id).await? {
            if round.team_id == ctx.team.id {
                store
                    .set_ask_status(ask.id, AskStatus::Expired, now)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Sends the reminders that are due, inside each leader's working hours and weekly cap.
pub async fn send_reminders(engine: &Engine, now: DateTime<Utc>) -> Result<usize, EngineError> {
    let tx = engine.store.begin().await?;
    let mut turn = Turn::for_tick(&*tx, now);
    let mut sent = 0;
    for ask in tx.asks_due_for_reminder(now).await? {
        let Some(round) = tx.round(ask.round_id).await? else {
            continue;
        };
        let Some(team) = tx.team(round.team_id).await? else {
            continue;
        };
        let ctx = team_ctx(team)?;
        let Some(person) = tx.person(ask.person_id).await? else {
            continue;
        };
        if ask.status != AskStatus::Open || is_away(&person, now) {
            tx.set_ask_remind_at(ask.id, None, now).await?;
            continue;
        }
        let hours = ctx.working_hours_of(&person);
        if !hours.allows(now) {
            tx.set_ask_remind_at(ask.id, Some(hours.next_allowed(now)), now)
                .await?;
            continue;
        }
        let snoozed = ask.snoozed;
        if !snoozed && ask.reminders_sent >= i64::from(ctx.settings.reminder_count) {
            tx.set_ask_remind_at(ask.id, None, now).await?;
            continue;
        }
        if tx.touches_since(person.id, hours.week_start(now)).await?
            >= i64::from(ctx.settings.weekly_nudge_cap)
            && !snoozed
        {
            tx.set_ask_remind_at(ask.id, None, now).await?;
            turn.audit(
                Some(ctx.team.id),
                "ask.reminder_capped",
                &format!("ask:{}", ask.id.0),
                serde_json::json!({}),
            )
            .await?;
            continue;
        }
        let more = !snoozed && ask.reminders_sent + 1 < i64::from(ctx.settings.reminder_count);
        let next = more.then(|| {
            now + Duration::from_std(ctx.settings.reminder_after.0).unwrap_or(Duration::hours(24))
        });
        tx.record_ask_reminder(ask.id, next, now).await?;
        let question = prompt_text(&*tx, &ask).await?;
        let message = reminder_message(&ask, question.as_deref());
        turn.send(
            Some(format!(
                "ask:{}:reminder:{}",
                ask.id.0,
                ask.reminders_sent + 1
            )),
            ctx.team.platform,
            &ctx.team.workspace_id,
            Destination::Person(person.platform_user_id.clone()),
            message,
            Lane::Bulk,
            None,
        );
        sent += 1;
    }
    turn.flush().await?;
    let steps = turn.into_steps();
    tx.commit().await?;
    steps.count();
    Ok(sent)
}

async fn prompt_text(store: &dyn Store, ask: &Ask) -> Result<Option<String>, EngineError> {
    match ask.prompt_id {
        Some(id) => Ok(store.prompt(id).await?.map(|p| p.text)),
        None => Ok(None),
    }
}

fn reminder_message(ask: &Ask, question: Option<&str>) -> Message {
    let mut message = Message::new("A gentle reminder: this week's question is still open.")
        .say("A gentle reminder: this week's question is still open.");
    if let Some(q) = question {
        message = message.quote(q);
    }
    message
        .context("Reply here, or skip this week: both are fine.")
        .buttons(vec![
            Button::primary("Write in editor", Action::WriteInEditor { ask: ask.id.0 }),
            Button::action("Skip this week", Action::SkipAsk { ask: ask.id.0 }),
            Button::action(
                "Remind me tomorrow",
                Action::RemindTomorrow { ask: ask.id.0 },
            ),
        ])
}

/// The editor form for an insight.
pub fn editor(title: &str, action: Action, initial: Option<&str>) -> Modal {
    Modal {
        title: title.to_string(),
        submit_label: "Save".to_string(),
        action: action.to_string(),
        inputs: vec![Input {
            id: INSIGHT_FIELD.to_string(),
            label: "Your insight".to_string(),
            initial: initial.map(str::to_string),
            multiline: true,
            max_len: INSIGHT_MAX,
            optional: false,
        }],
    }
}

/// The ask behind an action, if it belongs to the person acting; otherwise a refusal has been answered.
async fn own_open_ask(
    turn: &mut Turn<'_>,
    ask: i64,
) -> Result<Option<(Ask, TeamCtx)>, EngineError> {
    let store = turn.store();
    let found = store.ask(crate::store::AskId(ask)).await?;
    let Some(found) = found.filter(|a| a.person_id == turn.person().id) else {
        turn.refuse(
            None,
            &format!("ask:{ask}"),
            "not the person's ask",
            "That question was not asked to you, so I can't act on it.",
        )
        .await?;
        return Ok(None);
    };
    let Some(round) = store.round(found.round_id).await? else {
        return Ok(None);
    };
    let Some(team) = store.team(round.team_id).await? else {
        return Ok(None);
    };
    let ctx = team_ctx(team)?;
    if found.status != AskStatus::Open {
        turn.reply(format!(
            "That question is already {}. Type /amplify draft to start a draft any time.",
            found.status
        ));
        return Ok(None);
    }
    Ok(Some((found, ctx)))
}

/// *Write in editor*, *Skip this week*, *Remind me tomorrow*, and the editor's submit.
pub async fn on_action(
    turn: &mut Turn<'_>,
    action: &Action,
    fields: Option<&Vec<(String, String)>>,
) -> Result<(), EngineError> {
    let now = turn.now();
    match (action, fields) {
        (Action::WriteInEditor { ask }, None) => {
            let Some((ask, _)) = own_open_ask(turn, *ask).await? else {
                return Ok(());
            };
            turn.open_modal(editor(
                "Your insight",
                Action::WriteInEditor { ask: ask.id.0 },
                None,
            ));
        }
        (Action::WriteInEditor { ask }, Some(fields)) => {
            let Some((ask, ctx)) = own_open_ask(turn, *ask).await? else {
                return Ok(());
            };
            let text = field(fields, INSIGHT_FIELD);
            super::drafts::start_draft(turn, &ctx, Some(ask.id), &text).await?;
        }
        (Action::SkipAsk { ask }, _) => {
            let Some((ask, ctx)) = own_open_ask(turn, *ask).await? else {
                return Ok(());
            };
            turn.store()
                .set_ask_status(ask.id, AskStatus::Skipped, now)
                .await?;
            turn.store().set_ask_remind_at(ask.id, None, now).await?;
            turn.audit(
                Some(ctx.team.id),
                "ask.skipped",
                &format!("ask:{}", ask.id.0),
                serde_json::json!({}),
            )
            .await?;
            turn.reply("Skipped for this week. See you at the next one.");
        }
        (Action::RemindTomorrow { ask }, _) => {
            let Some((ask, ctx)) = own_open_ask(turn, *ask).await? else {
                return Ok(());
            };
            let hours = ctx.working_hours_of(turn.person());
            let at = hours.next_allowed(now + Duration::days(1));
            turn.store().snooze_ask(ask.id, at, now).await?;
            let local = at.with_timezone(&hours.zone).format("%A %H:%M");
            turn.reply(format!("OK, I'll ask again {local}."));
        }
        _ => {}
    }
    Ok(())
}

/// A form field's value ("" when absent), trimmed.
pub fn field(fields: &[(String, String)], id: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == id)
        .map(|(_, v)| v.trim())
        .filter(|v| !crate::domain::is_blank(v))
        .unwrap_or_default()
        .to_string()
}
