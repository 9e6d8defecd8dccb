//! Drafts: a leader's DM messages join their open draft; every later edit is a new version; *Submit*, *Edit*,
//! *Discard*; `/amplify draft` or "Draft an insight from this" starts one at any time.

use super::prompts::{editor, field, INSIGHT_FIELD};
use super::{team_ctx, EngineError, TeamCtx, Turn};
use crate::chat::{Action, Button, Message};
use crate::store::{AskId, AskStatus, Draft, DraftId, DraftStatus, PostStatus, Role};

/// The longest draft kept; beyond it a message is refused (and not lost: the leader still has it).
pub const DRAFT_MAX_CHARS: usize = 20_000;

/// A message in the leader's DM with the bot.
pub async fn on_direct_message(turn: &mut Turn<'_>, text: &str) -> Result<(), EngineError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(());
    }
    if crate::domain::is_blank(text) {
        turn.reply("That message has nothing visible in it (only invisible characters), so I did not save it.");
        return Ok(());
    }
    let store = turn.store();
    let me = turn.person().clone();
    if looks_like_link(text) {
        if let Some(post) = store
            .posts_of_author(me.id, PostStatus::AwaitingLink)
            .await?
            .into_iter()
            .next()
        {
            return super::publish::on_pasted_link(turn, post, text).await;
        }
        if super::nudges::on_pasted_share_link(turn, text).await? {
            return Ok(());
        }
        if leader_team(turn).await?.is_none() {
            turn.reply("Thanks! No post is waiting for a link from you right now. /amplify status shows what is open.");
            return Ok(());
        }
    }
    let open = store
        .drafts_of(
            me.id,
            &[
                DraftStatus::Editing,
                DraftStatus::ChangesRequested,
                DraftStatus::InReview,
            ],
        )
        .await?;
    if let Some(draft) = open.into_iter().next() {
        let ctx = team_ctx(store.team(draft.team_id).await?.ok_or(
            crate::store::StoreError::NotFound {
                what: "team",
                id: draft.team_id.to_string(),
            },
        )?)?;
        return match draft.status {
            DraftStatus::InReview => {
                turn.reply(format!(
                    "Your draft (v{}) is with the reviewers, so I did not change it. If it needs changes, an approver can ask for them; to start another draft, type /amplify draft.",
                    draft.current_version
                ));
                Ok(())
            }
            DraftStatus::ChangesRequested => {
                save_text(turn, &ctx, &draft, text.to_string(), false).await
            }
            _ => {
                let current = current_body(turn, &draft).await?;
                let joined = if current.is_empty() {
                    text.to_string()
                } else {
                    format!("{current}\n\n{text}")
                };
                save_text(turn, &ctx, &draft, joined, true).await
            }
        };
    }
    for ask in store.open_asks_of(me.id).await? {
        if let Some(round) = store.round(ask.round_id).await? {
            if let Some(team) = store.team(round.team_id).await? {
                let ctx = team_ctx(team)?;
                return start_draft(turn, &ctx, Some(ask.id), text).await;
            }
        }
    }
    match leader_team(turn).await? {
        Some(ctx) => start_draft(turn, &ctx, None, text).await,
        None => {
            turn.reply("Hi! I take drafts from the leaders of a team. Type /amplify help to see what I can do for you.");
            Ok(())
        }
    }
}

/// "Draft an insight from this" on a message: a new draft with that text.
pub async fn start_from_message(turn: &mut Turn<'_>, text: &str) -> Result<(), EngineError> {
    match leader_team(turn).await? {
        Some(ctx) => start_draft(turn, &ctx, None, text.trim()).await,
        None => {
            turn.reply("Only a team's leaders can start drafts. An admin can add you with /amplify team add leader.");
            Ok(())
        }
    }
}

/// The first team in this workspace where the person leads.
pub async fn leader_team(turn: &Turn<'_>) -> Result<Option<TeamCtx>, EngineError> {
    for (team, role) in turn.store().teams_of_person(turn.person().id).await? {
        if role == Role::Leader {
            return Ok(Some(team_ctx(team)?));
        }
    }
    Ok(None)
}

fn looks_like_link(text: &str) -> bool {
    !text.contains(char::is_whitespace)
        && (text.starts_with("http://") || text.starts_with("https://") || text.starts_with('<'))
}

/// A new draft (v1) for the person, answering `ask` if given.
pub async fn start_draft(
    turn: &mut Turn<'_>,
    ctx: &TeamCtx,
    ask: Option<AskId>,
    text: &str,
) -> Result<(), EngineError> {
    if crate::domain::is_blank(text) {
        turn.reply("That draft is empty. Write a few sentences and send them again.");
        return Ok(());
    }
    if text.chars().count() > DRAFT_MAX_CHARS {
        turn.reply(too_long(text));
        return Ok(());
    }
    let now = turn.now();
    let store = turn.store();
    let me = turn.person().id;
    let draft = store.create_draft(ctx.team.id, me, ask, text, now).await?;
    if let Some(ask) = ask {
        store.set_ask_status(ask, AskStatus::Answered, now).await?;
        store.set_ask_remind_at(ask, None, now).await?;
    }
    turn.audit(
        Some(ctx.team.id),
        "draft.created",
        &format!("draft:{}", draft.0),
        serde_json::json!({ "ask": ask.map(|a| a.0) }),
    )
    .await?;
    turn.reply_message(preview(draft.0, 1, text));
    Ok(())
}

fn too_long(text: &str) -> String {
    format!(
        "That would make the draft {} characters long; the limit is {DRAFT_MAX_CHARS}. Nothing was added: shorten it and send it again.",
        text.chars().count()
    )
}

/// Saves `body` into the draft: in place while the current version was never reviewed (`join`), else as a new version.
async fn save_text(
    turn: &mut Turn<'_>,
    ctx: &TeamCtx,
    draft: &Draft,
    body: String,
    join: bool,
) -> Result<(), EngineError> {
    if body.chars().count() > DRAFT_MAX_CHARS {
        turn.reply(too_long(&body));
        return Ok(());
    }
    let now = turn.now();
    let store = turn.store();
    let me = turn.person().id;
    let reviewed = store
        .reviews(draft.id)
        .await?
        .iter()
        .any(|r| r.version == draft.current_version);
    let version = if join && !reviewed {
        store
            .replace_latest_version_body(draft.id, &body, me, now)
            .await?
    } else {
        store.add_draft_version(draft.id, me, &body, now).await?
    };
    if draft.status != DraftStatus::Editing {
        store
            .set_draft_status(draft.id, DraftStatus::Editing, now)
            .await?;
    }
    turn.audit(
        Some(ctx.team.id),
        "draft.edited",
        &format!("draft:{}", draft.id.0),
        serde_json::json!({ "version": version }),
    )
    .await?;
    turn.reply_message(preview(draft.id.0, version, &body));
    Ok(())
}

async fn current_body(turn: &Turn<'_>, draft: &Draft) -> Result<String, EngineError> {
    Ok(turn
        .store()
        .draft_versions(draft.id)
        .await?
        .into_iter()
        .find(|v| v.version == draft.current_version)
        .map(|v| v.body)
        .unwrap_or_default())
}

/// The preview the leader sees after each change.
pub fn preview(draft: i64, version: i64, body: &str) -> Message {
    Message::new(format!("Draft v{version} saved"))
        .say(format!("Here is your draft (v{version}):"))
        .quote(body)
        .context(format!(
            "{} characters. Keep typing here to add to it, or:",
            body.chars().count()
        ))
        .buttons(vec![
            Button::primary("Submit for review", Action::SubmitDraft { draft }),
            Button::action("Edit", Action::EditDraft { draft }),
            Button::danger("Discard", Action::DiscardDraft { draft }),
        ])
}

/// The draft behind an action when the person acting wrote it; otherwise refused, audited and answered.
async fn own_draft(
    turn: &mut Turn<'_>,
    draft: i64,
) -> Result<Option<(Draft, TeamCtx)>, EngineError> {
    let found = turn.store().draft(DraftId(draft)).await?;
    let Some(found) = found.filter(|d| d.author_id == turn.person().id) else {
        turn.refuse(
            None,
            &format!("draft:{draft}"),
            "not the author",
            "Only the author can change that draft.",
        )
        .await?;
        return Ok(None);
    };
    let team =
        turn.store()
            .team(found.team_id)
            .await?
            .ok_or(crate::store::StoreError::NotFound {
                what: "team",
                id: found.team_id.to_string(),
            })?;
    Ok(Some((found, team_ctx(team)?)))
}

/// *Submit for review*, *Edit* (and its form), *Discard*.
pub async fn on_action(
    turn: &mut Turn<'_>,
    action: &Action,
    fields: Option<&Vec<(String, String)>>,
) -> Result<(), EngineError> {
    let now = turn.now();
    match (action, fields) {
        (Action::NewDraft, None) => turn.open_modal(editor("New draft", Action::NewDraft, None)),
        (Action::NewDraft, Some(fields)) => match leader_team(turn).await? {
            Some(ctx) => start_draft(turn, &ctx, None, &field(fields, INSIGHT_FIELD)).await?,
            None => turn.reply("Only a team's leaders can start drafts."),
        },
        (Action::SubmitDraft { draft }, _) => {
            let Some((draft, ctx)) = own_draft(turn, *draft).await? else {
                return Ok(());
            };
            if draft.status != DraftStatus::Editing {
                turn.reply(format!(
                    "That draft is {}, so it can't be submitted now.",
                    draft.status.as_str().replace('_', " ")
                ));
                return Ok(());
            }
            turn.store()
                .set_draft_status(draft.id, DraftStatus::InReview, now)
                .await?;
            turn.audit(
                Some(ctx.team.id),
                "draft.submitted",
                &format!("draft:{}", draft.id.0),
                serde_json::json!({ "version": draft.current_version }),
            )
            .await?;
            let reviewers = super::review::request_review(turn, &ctx, &draft).await?;
            turn.reply(match reviewers {
                0 => "Submitted. Nobody can review it yet: ask an admin to add an approver."
                    .to_string(),
                1 => "Submitted for review. I'll tell you what the reviewer decides.".to_string(),
                n => format!("Submitted to {n} reviewers. I'll tell you what they decide."),
            });
        }
        (Action::EditDraft { draft }, None) => {
            let Some((draft, _)) = own_draft(turn, *draft).await? else {
                return Ok(());
            };
            if !matches!(
                draft.status,
                DraftStatus::Editing | DraftStatus::ChangesRequested
            ) {
                turn.reply(format!(
                    "That draft is {}, so it can't be edited now.",
                    draft.status.as_str().replace('_', " ")
                ));
                return Ok(());
            }
            let body = current_body(turn, &draft).await?;
            turn.open_modal(editor(
                "Edit your draft",
                Action::EditDraft { draft: draft.id.0 },
                Some(&body),
            ));
        }
        (Action::EditDraft { draft }, Some(fields)) => {
            let Some((draft, ctx)) = own_draft(turn, *draft).await? else {
                return Ok(());
            };
            if !matches!(
                draft.status,
                DraftStatus::Editing | DraftStatus::ChangesRequested
            ) {
                turn.reply(format!(
                    "That draft is {}, so it can't be edited now.",
                    draft.status.as_str().replace('_', " ")
                ));
                return Ok(());
            }
            let text = field(fields, INSIGHT_FIELD);
            if text.is_empty() {
                turn.reply("The editor was empty, so I kept the draft as it was.");
                return Ok(());
            }
            // Every edit in the editor is a new version; only DM messages join the current one.
            save_text(turn, &ctx, &draft, text, false).await?;
        }
        (Action::DiscardDraft { draft }, _) => {
            let Some((draft, ctx)) = own_draft(turn, *draft).await? else {
                return Ok(());
            };
            if !matches!(
                draft.status,
                DraftStatus::Editing | DraftStatus::ChangesRequested
            ) {
                turn.reply(format!(
                    "That draft is {}, so it can't be discarded now.",
                    draft.status.as_str().replace('_', " ")
                ));
                return Ok(());
            }
            turn.store()
                .set_draft_status(draft.id, DraftStatus::Discarded, now)
                .await?;
            turn.audit(
                Some(ctx.team.id),
                "draft.discarded",
                &format!("draft:{}", draft.id.0),
                serde_json::json!({}),
            )
            .await?;
            turn.reply("Discarded. Type /amplify draft whenever you want to start another.");
        }
        _ => {}
    }
    Ok(())
}
