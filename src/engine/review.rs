//! Review: approvers (and the author, when the team allows self-approval) *Approve*, *Edit & approve*,
//! *Request changes* (with a comment) or *Reject*; reviewers see what changed; every decision is audited, and
//! anyone else's attempt is refused and audited.

use super::prompts::{editor, field, INSIGHT_FIELD};
use super::{roles_in, team_ctx, EngineError, TeamCtx, Turn};
use crate::chat::{Action, Button, Destination, Inline, Input, Message, Modal};
use crate::store::{Draft, DraftId, DraftStatus, Lane, NewReview, Person, ReviewDecision, Role};

/// The change-request comment field.
pub const COMMENT_FIELD: &str = "comment";

/// Sends the draft's current version to every reviewer; returns how many.
pub async fn request_review(
    turn: &mut Turn<'_>,
    ctx: &TeamCtx,
    draft: &Draft,
) -> Result<usize, EngineError> {
    let store = turn.store();
    let reviewers = reviewers(turn, ctx, draft).await?;
    let versions = store.draft_versions(draft.id).await?;
    let body = versions
        .iter()
        .find(|v| v.version == draft.current_version)
        .map(|v| v.body.clone())
        .unwrap_or_default();
    let reviews = store.reviews(draft.id).await?;
    let previous = reviews
        .iter()
        .filter(|r| r.version < draft.current_version)
        .map(|r| r.version)
        .max()
        .and_then(|v| versions.iter().find(|x| x.version == v));
    let author = store.person(draft.author_id).await?;
    let author_id = author.map(|a| a.platform_user_id).unwrap_or_default();
    for reviewer in &reviewers {
        let mut message = Message::new(format!(
            "A draft for {} is ready for review (v{})",
            ctx.team.name, draft.current_version
        ))
        .section(vec![
            Inline::Text("Draft by ".into()),
            Inline::User(author_id.clone()),
            Inline::Text(format!(
                " for {}, v{}:",
                ctx.team.name, draft.current_version
            )),
        ])
        .quote(body.clone());
        if let Some(previous) = previous {
            message = message.copy(
                format!("What changed since v{}", previous.version),
                changes(&previous.body, &body),
            );
        }
        let (id, version) = (draft.id.0, draft.current_version);
        message = message.buttons(vec![
            Button::primary("Approve", Action::Approve { draft: id, version }),
            Button::action(
                "Edit & approve",
                Action::EditAndApprove { draft: id, version },
            ),
            Button::action(
                "Request changes",
                Action::RequestChanges { draft: id, version },
            ),
            Button::danger("Reject", Action::Reject { draft: id, version }),
        ]);
        turn.send(
            Some(format!("draft:{id}:v{version}:review:{}", reviewer.id)),
            ctx.team.platform,
            &ctx.team.workspace_id,
            Destination::Person(reviewer.platform_user_id.clone()),
            message,
            Lane::Interactive,
            super::colleague_instant(turn, ctx, reviewer),
        );
    }
    Ok(reviewers.len())
}

/// The team's approvers other than the author; the author alone when self-approval is on and nobody else can.
async fn reviewers(
    turn: &Turn<'_>,
    ctx: &TeamCtx,
    draft: &Draft,
) -> Result<Vec<Person>, EngineError> {
    let people = turn.store().team_people(ctx.team.id).await?;
    let mut approvers: Vec<Person> = people
        .iter()
        .filter(|(p, role)| *role == Role::Approver && p.id != draft.author_id)
        .map(|(p, _)| p.clone())
        .collect();
    if approvers.is_empty() && ctx.settings.self_approval {
        approvers.extend(
            people
                .into_iter()
                .filter(|(p, _)| p.id == draft.author_id)
                .map(|(p, _)| p)
                .take(1),
        );
    }
    Ok(approvers)
}

/// A line diff a reviewer can read: `- ` removed, `+ ` added.
pub fn changes(before: &str, after: &str) -> String {
    let diff = similar::TextDiff::from_lines(before, after);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "- ",
            similar::ChangeTag::Insert => "+ ",
            similar::ChangeTag::Equal => continue,
        };
        out.push_str(sign);
        out.push_str(change.value().trim_end_matches('\n'));
        out.push('\n');
    }
    if out.is_empty() {
        "(no change in the text)".to_string()
    } else {
        out
    }
}

/// Whether the person acting may review this draft: an approver of its team, or its author under self-approval.
async fn may_review(turn: &Turn<'_>, ctx: &TeamCtx, draft: &Draft) -> Result<bool, EngineError> {
    let me = turn.person();
    let roles = roles_in(turn.store(), ctx.team.id, me).await?;
    if me.id == draft.author_id {
        return Ok(ctx.settings.self_approval);
    }
    Ok(roles.contains(&Role::Approver))
}

/// Review buttons and their forms.
pub async fn on_action(
    turn: &mut Turn<'_>,
    action: &Action,
    fields: Option<&Vec<(String, String)>>,
) -> Result<(), EngineError> {
    let (draft_id, version) = match action {
        Action::Approve { draft, version }
        | Action::EditAndApprove { draft, version }
        | Action::RequestChanges { draft, version }
        | Action::Reject { draft, version } => (*draft, *version),
        _ => return Ok(()),
    };
    let store = turn.store();
    let draft = store.draft(DraftId(draft_id)).await?;
    let team = match &draft {
        Some(d) => store.team(d.team_id).await?,
        None => None,
    };
    let (Some(draft), Some(team)) = (draft, team) else {
        return refuse(turn, None, draft_id, "no such draft").await;
    };
    let ctx = team_ctx(team)?;
    // Another workspace's person is another person record, so this also keeps workspaces apart.
    if !may_review(turn, &ctx, &draft).await? {
        return refuse(
            turn,
            Some(&ctx),
            draft_id,
            "not an approver of the draft's team",
        )
        .await;
    }
    if draft.status != DraftStatus::InReview || draft.current_version != version {
        turn.reply(format!(
            "That review request is out of date: the draft is now v{} and {}.",
            draft.current_version,
            draft.status.as_str().replace('_', " ")
        ));
        return Ok(());
    }
    let now = turn.now();
    match (action, fields) {
        (Action::Approve { .. }, _) => {
            decide(turn, &ctx, &draft, version, ReviewDecision::Approve, None).await?;
            super::publish::on_approved(turn, &ctx, &draft, version).await?;
        }
        (Action::EditAndApprove { .. }, None) => {
            let body = store
                .draft_versions(draft.id)
                .await?
                .into_iter()
                .find(|v| v.version == version)
                .map(|v| v.body)
                .unwrap_or_default();
            turn.open_modal(editor("Edit & approve", action.clone(), Some(&body)));
        }
        (Action::EditAndApprove { .. }, Some(fields)) => {
            let text = field(fields, INSIGHT_FIELD);
            if text.is_empty() {
                turn.reply("The editor was empty, so nothing was approved.");
                return Ok(());
            }
            let edited = store
                .add_draft_version(draft.id, turn.person().id, &text, now)
                .await?;
            decide(
                turn,
                &ctx,
                &draft,
                edited,
                ReviewDecision::EditAndApprove,
                None,
            )
            .await?;
            super::publish::on_approved(turn, &ctx, &draft, edited).await?;
        }
        (Action::RequestChanges { .. }, None) => {
            turn.open_modal(Modal {
                title: "Request changes".to_string(),
                submit_label: "Send".to_string(),
                action: action.to_string(),
                inputs: vec![Input {
                    id: COMMENT_FIELD.to_string(),
                    label: "What should change?".to_string(),
                    initial: None,
                    multiline: true,
                    max_len: 2000,
                    optional: false,
                }],
            });
        }
        (Action::RequestChanges { .. }, Some(fields)) => {
            let comment = field(fields, COMMENT_FIELD);
            if comment.is_empty() {
                turn.reply(
                    "Please say what should change: the comment was empty, so nothing was sent.",
                );
                return Ok(());
            }
            decide(
                turn,
                &ctx,
                &draft,
                version,
                ReviewDecision::RequestChanges,
                Some(comment.clone()),
            )
            .await?;
            let author = store.person(draft.author_id).await?;
            if let Some(author) = author {
                let message = Message::new("Changes requested on your draft")
                    .section(vec![
                        Inline::User(turn.person().platform_user_id.clone()),
                        Inline::Text(format!(" asked for changes to v{version}:")),
                    ])
                    .quote(comment)
                    .buttons(vec![Button::primary(
                        "Edit",
                        Action::EditDraft { draft: draft.id.0 },
                    )])
                    .context("Or reply here with the new text.");
                turn.send(
                    None,
                    ctx.team.platform,
                    &ctx.team.workspace_id,
                    Destination::Person(author.platform_user_id.clone()),
                    message,
                    Lane::Interactive,
                    super::colleague_instant(turn, &ctx, &author),
                );
            }
            turn.reply("Sent to the author.");
        }
        (Action::Reject { .. }, _) => {
            decide(turn, &ctx, &draft, version, ReviewDecision::Reject, None).await?;
            if let Some(author) = store.person(draft.author_id).await? {
                let message = Message::new("Your draft was not approved")
                    .say(format!("Your draft (v{version}) was not approved this time. Type /amplify draft to start a new one."));
                turn.send(
                    None,
                    ctx.team.platform,
                    &ctx.team.workspace_id,
                    Destination::Person(author.platform_user_id.clone()),
                    message,
                    Lane::Interactive,
                    super::colleague_instant(turn, &ctx, &author),
                );
            }
            turn.reply("Rejected. I told the author.");
        }
        _ => {}
    }
    Ok(())
}

/// Records a decision (who, when, which version), moves the draft, and audits it.
async fn decide(
    turn: &mut Turn<'_>,
    ctx: &TeamCtx,
    draft: &Draft,
    version: i64,
    decision: ReviewDecision,
    comment: Option<String>,
) -> Result<(), EngineError> {
    let now = turn.now();
    let store = turn.store();
    store
        .record_review(
            &NewReview {
                draft_id: draft.id,
                version,
                reviewer_id: turn.person().id,
                decision,
                comment: comment.clone(),
            },
            now,
        )
        .await?;
    let status = match decision {
        ReviewDecision::Approve | ReviewDecision::EditAndApprove => DraftStatus::Approved,
        ReviewDecision::RequestChanges => DraftStatus::ChangesRequested,
        ReviewDecision::Reject => DraftStatus::Rejected,
    };
    store.set_draft_status(draft.id, status, now).await?;
    turn.audit(
        Some(ctx.team.id),
        &format!("review.{}", decision.as_str()),
        &format!("draft:{}", draft.id.0),
        serde_json::json!({ "version": version, "comment": comment }),
    )
    .await?;
    Ok(())
}

async fn refuse(
    turn: &mut Turn<'_>,
    ctx: Option<&TeamCtx>,
    draft: i64,
    reason: &str,
) -> Result<(), EngineError> {
    turn.audit(
        ctx.map(|c| c.team.id),
        "review.refused",
        &format!("draft:{draft}"),
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    turn.reply("Only the team's approvers can review that draft.");
    Ok(())
}
