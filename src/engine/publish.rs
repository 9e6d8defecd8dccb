//! Publishing: after approval the leader gets a post kit and pastes the link of their own post (leader posts
//! first), or the team shares the text; at the publish slot (or *Publish now*) the post appears in the share
//! channel with a share kit per network and a live count.

use super::prompts::field;
use super::{roles_in, team_ctx, Engine, EngineError, TeamCtx, Turn};
use crate::chat::{Action, Block, Button, Destination, Inline, Input, Message, Modal};
use crate::config::Slot;
use crate::domain::share_kit;
use crate::domain::{Network, PublishMode};
use crate::store::{Draft, DraftStatus, Lane, NewPost, Post, PostId, PostStatus, Role};
use chrono::{DateTime, Utc};

/// The pasted-link field.
pub const LINK_FIELD: &str = "link";

/// The idempotency key of a post's message in the share channel; later updates (the live count) name it.
pub fn channel_key(post: PostId) -> String {
    format!("post:{}:channel", post.0)
}

/// After approval: a post kit for the leader (leader posts first), or straight to the publish slot.
pub async fn on_approved(
    turn: &mut Turn<'_>,
    ctx: &TeamCtx,
    draft: &Draft,
    version: i64,
) -> Result<(), EngineError> {
    let now = turn.now();
    let store = turn.store();
    let status = match ctx.settings.publish_mode {
        PublishMode::LeaderPostsFirst => PostStatus::AwaitingLink,
        PublishMode::TeamSharesText => PostStatus::Scheduled,
    };
    let post = store
        .create_post(
            &NewPost {
                draft_id: draft.id,
                version,
                status,
                publish_at: None,
            },
            now,
        )
        .await?
        .id();
    let Some(post) = store.post(post).await? else {
        return Ok(());
    };
    let author = store.person(draft.author_id).await?;
    let kit_at = author
        .as_ref()
        .and_then(|a| super::colleague_instant(turn, ctx, a));
    let author_id = author.map(|a| a.platform_user_id).unwrap_or_default();
    match ctx.settings.publish_mode {
        PublishMode::LeaderPostsFirst => {
            turn.send(
                Some(format!("post:{}:kit", post.id.0)),
                ctx.team.platform,
                &ctx.team.workspace_id,
                Destination::Person(author_id),
                post_kit(ctx, &post),
                Lane::Interactive,
                kit_at,
            );
            turn.reply(
                "Approved. The author gets a post kit to publish it on their own profile first.",
            );
        }
        PublishMode::TeamSharesText => {
            let when = schedule(turn, ctx, &post).await?;
            reply_with_publish_now(
                turn,
                format!("Approved. It goes to the share channel {when}."),
                &post,
                &when,
            );
        }
    }
    Ok(())
}

/// What the leader gets after approval: the final text, compose links, and where to paste their post's link.
pub fn post_kit(ctx: &TeamCtx, post: &Post) -> Message {
    let mut compose = Vec::new();
    for network in &ctx.settings.networks {
        if let Some(url) = share_kit::compose_url(*network, &post.body, None) {
            compose.push(Button::link(
                &format!("Post on {}", network_label(*network)),
                &url,
            ));
        }
    }
    Message::new("Approved! Post it on your own profile first.")
        .say("Approved! Post it on your own profile first: networks reward engagement on the author's own post, and your team will amplify that one.")
        .copy("Your post", post.body.clone())
        .buttons(compose)
        .buttons(vec![
            Button::primary("Paste the link of my post", Action::PasteLink { post: post.id.0 }),
            Button::action("Publish without my link", Action::SkipOwnPost { post: post.id.0 }),
        ])
        .context("You can also paste the link right here in this chat.")
}

pub fn network_label(network: Network) -> &'static str {
    match network {
        Network::Linkedin => "LinkedIn",
        Network::X => "X",
        Network::Bluesky => "Bluesky",
        Network::Mastodon => "Mastodon",
        Network::Threads => "Threads",
        Network::Facebook => "Facebook",
    }
}

/// A reply about when a post goes out, with *Publish now* when that is later.
fn reply_with_publish_now(turn: &mut Turn<'_>, text: String, post: &Post, when: &str) {
    let mut message = Message::new(text.clone()).say(text);
    if when != "now" {
        message = message.buttons(vec![Button::action(
            "Publish now",
            Action::PublishNow { post: post.id.0 },
        )]);
    }
    turn.reply_message(message);
}

/// Sets the post's publish instant from the team's publish schedule; publishes at once when that is now.
/// Returns words for when it will happen.
async fn schedule(turn: &mut Turn<'_>, ctx: &TeamCtx, post: &Post) -> Result<String, EngineError> {
    let now = turn.now();
    let at = match &ctx.settings.publish_schedule {
        Slot::Cron(cron) => cron.0.next_after(ctx.zone(), now).unwrap_or(now),
        Slot::Immediately | Slot::Off => now,
    };
    turn.store()
        .set_post_status(post.id, PostStatus::Scheduled, Some(at), now)
        .await?;
    if at <= now {
        let post = turn
            .store()
            .post(post.id)
            .await?
            .unwrap_or_else(|| post.clone());
        publish_post(turn, ctx, &post).await?;
        Ok("now".to_string())
    } else {
        Ok(format!(
            "at {}",
            at.with_timezone(&ctx.zone()).format("%a %d %b %H:%M %Z")
        ))
    }
}

/// A link the leader pasted (in the DM or the form) for a post awaiting it.
pub async fn on_pasted_link(
    turn: &mut Turn<'_>,
    post: Post,
    pasted: &str,
) -> Result<(), EngineError> {
    let Some(ctx) = own_post(turn, &post).await? else {
        return Ok(());
    };
    if post.status != PostStatus::AwaitingLink {
        turn.reply("That post already has its link.");
        return Ok(());
    }
    let pasted = pasted.trim().trim_start_matches('<').trim_end_matches('>');
    let guess = share_kit::detect_network(pasted);
    let candidates: Vec<Network> = match guess {
        Some(n) => vec![n],
        None => ctx.settings.networks.clone(),
    };
    let mut first_error = None;
    for network in candidates {
        match share_kit::check_post_url(network, pasted) {
            Ok(url) => {
                let now = turn.now();
                turn.store()
                    .set_post_canonical_link(post.id, &url, network, now)
                    .await?;
                turn.audit(
                    Some(ctx.team.id),
                    "post.link",
                    &format!("post:{}", post.id.0),
                    serde_json::json!({ "network": network.as_str() }),
                )
                .await?;
                let post = turn.store().post(post.id).await?.unwrap_or(post);
                let when = schedule(turn, &ctx, &post).await?;
                let text = format!("Got it: your {} post is the one the team will amplify. Publishing to the share channel {when}.", network_label(network));
                reply_with_publish_now(turn, text, &post, &when);
                return Ok(());
            }
            Err(e) => {
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    turn.reply(
        first_error.unwrap_or_else(|| "That does not look like the link of a post.".to_string()),
    );
    Ok(())
}

/// The post behind an action when the person acting is its author; otherwise refused and audited.
async fn own_post(turn: &mut Turn<'_>, post: &Post) -> Result<Option<TeamCtx>, EngineError> {
    if post.author_id != turn.person().id {
        turn.refuse(
            Some(post.team_id),
            &format!("post:{}", post.id.0),
            "not the author",
            "Only the author can do that for this post.",
        )
        .await?;
        return Ok(None);
    }
    let team =
        turn.store()
            .team(post.team_id)
            .await?
            .ok_or(crate::store::StoreError::NotFound {
                what: "team",
                id: post.team_id.to_string(),
            })?;
    Ok(Some(team_ctx(team)?))
}

/// *Paste the link of my post* (and its form), *Publish without my link*, *Publish now*.
pub async fn on_action(
    turn: &mut Turn<'_>,
    action: &Action,
    fields: Option<&Vec<(String, String)>>,
) -> Result<(), EngineError> {
    let post_id = match action {
        Action::PasteLink { post } | Action::SkipOwnPost { post } | Action::PublishNow { post } => {
            PostId(*post)
        }
        _ => return Ok(()),
    };
    let Some(post) = turn.store().post(post_id).await? else {
        turn.refuse(
            None,
            &format!("post:{}", post_id.0),
            "no such post",
            "I can't find that post.",
        )
        .await?;
        return Ok(());
    };
    match (action, fields) {
        (Action::PasteLink { .. }, None) => {
            if own_post(turn, &post).await?.is_none() {
                return Ok(());
            }
            turn.open_modal(Modal {
                title: "Your post's link".to_string(),
                submit_label: "Save".to_string(),
                action: action.to_string(),
                inputs: vec![Input {
                    id: LINK_FIELD.to_string(),
                    label: "Paste the address of your post".to_string(),
                    initial: None,
                    multiline: false,
                    max_len: 2000,
                    optional: false,
                }],
            });
        }
        (Action::PasteLink { .. }, Some(fields)) => {
            let link = field(fields, LINK_FIELD);
            on_pasted_link(turn, post, &link).await?;
        }
        (Action::SkipOwnPost { .. }, _) => {
            let Some(ctx) = own_post(turn, &post).await? else {
                return Ok(());
            };
            if post.status != PostStatus::AwaitingLink {
                turn.reply("That post is already on its way.");
                return Ok(());
            }
            let when = schedule(turn, &ctx, &post).await?;
            let text = format!("OK: the team will share the text itself. Publishing {when}.");
            reply_with_publish_now(turn, text, &post, &when);
        }
        (Action::PublishNow { .. }, _) => {
            let team = turn.store().team(post.team_id).await?;
            let Some(team) = team else { return Ok(()) };
            let ctx = team_ctx(team)?;
            let roles = roles_in(turn.store(), ctx.team.id, turn.person()).await?;
            if post.author_id != turn.person().id && !roles.contains(&Role::Approver) {
                turn.refuse(
                    Some(ctx.team.id),
                    &format!("post:{}", post.id.0),
                    "not author or approver",
                    "Only the author or an approver can publish this post.",
                )
                .await?;
                return Ok(());
            }
            if post.status != PostStatus::Scheduled && post.status != PostStatus::AwaitingLink {
                turn.reply("That post is already published.");
                return Ok(());
            }
            let now = turn.now();
            turn.store()
                .set_post_status(post.id, PostStatus::Scheduled, Some(now), now)
                .await?;
            let post = turn.store().post(post.id).await?.unwrap_or(post);
            publish_post(turn, &ctx, &post).await?;
            turn.reply("Published.");
        }
        _ => {}
    }
    Ok(())
}

/// Publishes every post whose slot has come; one transaction per post.
pub async fn publish_due(engine: &Engine, now: DateTime<Utc>) -> Result<usize, EngineError> {
    let mut published = 0;
    for post in engine.store.posts_due(now).await? {
        let tx = engine.store.begin().await?;
        let Some(post) = tx
            .post(post.id)
            .await?
            .filter(|p| p.status == PostStatus::Scheduled)
        else {
            tx.rollback().await?;
            continue;
        };
        let Some(team) = tx.team(post.team_id).await? else {
            tx.rollback().await?;
            continue;
        };
        let ctx = team_ctx(team)?;
        let mut turn = Turn::for_tick(&*tx, now);
        publish_post(&mut turn, &ctx, &post).await?;
        turn.flush().await?;
        let steps = turn.into_steps();
        tx.commit().await?;
        steps.count();
        published += 1;
    }
    Ok(published)
}

/// The post in the share channel, the draft marked published, and a nudge planned for every teammate.
async fn publish_post(turn: &mut Turn<'_>, ctx: &TeamCtx, post: &Post) -> Result<(), EngineError> {
    let now = turn.now();
    let store = turn.store();
    let author = store
        .person(post.author_id)
        .await?
        .map(|a| a.platform_user_id)
        .unwrap_or_default();
    let key = channel_key(post.id);
    turn.send(
        Some(key.clone()),
        ctx.team.platform,
        &ctx.team.workspace_id,
        Destination::Channel(ctx.settings.share_channel.clone()),
        share_kit_message(ctx, post, &author, 0, true, None),
        Lane::Interactive,
        None,
    );
    store.mark_post_published(post.id, &key, now).await?;
    store
        .set_draft_status(post.draft_id, DraftStatus::Published, now)
        .await?;
    turn.audit(
        Some(ctx.team.id),
        "post.published",
        &format!("post:{}", post.id.0),
        serde_json::json!({ "canonical": post.canonical_url.is_some() }),
    )
    .await?;
    if ctx.settings.nudge == crate::config::NudgeMode::Dm {
        super::nudges::plan_nudges(turn, ctx, post).await?;
    }
    Ok(())
}

/// The share kit: the text, the original post, a share link per network (text fitted to each network's limit),
/// copy blocks where a network takes only a URL, *I shared it* buttons, and the live count. `mastodon` is the
/// reader's own instance (DMs only): Mastodon has no central host to share on.
pub fn share_kit_message(
    ctx: &TeamCtx,
    post: &Post,
    author: &str,
    shared: usize,
    in_channel: bool,
    mastodon: Option<&str>,
) -> Message {
    let url = post.canonical_url.as_deref();
    let mut message = Message::new(format!("New post to amplify: {}", excerpt(&post.body, 80)));
    if in_channel && ctx.settings.nudge == crate::config::NudgeMode::RolePost {
        if let Some(role) = &ctx.settings.opt_in_role {
            message.blocks.push(Block::Section(vec![
                Inline::Role(role.clone()),
                Inline::Text(": a new post to amplify. In the first hours, a comment with your own take or a repost with one sentence of yours does the most.".into()),
            ]));
        }
    }
    message.blocks.push(Block::Section(vec![
        Inline::Strong("New from ".into()),
        Inline::User(author.to_string()),
        Inline::Strong(":".into()),
    ]));
    message = message.quote(post.body.clone());
    if let Some(url) = url {
        let network = post
            .canonical_network
            .as_deref()
            .and_then(|n| n.parse::<Network>().ok());
        let label = network.map_or("the original post", network_label);
        message = message.section(vec![
            Inline::Text("Engage with the original first: ".into()),
            Inline::Link {
                url: url.to_string(),
                label: label.to_string(),
            },
        ]);
    }
    let mut links = Vec::new();
    let mut marks = Vec::new();
    for network in &ctx.settings.networks {
        if let Some(intent) = share_kit::intent_url(*network, &post.body, url, mastodon) {
            links.push(Button::link(
                &format!("Share on {}", network_label(*network)),
                &intent,
            ));
        }
        marks.push(Button::action(
            &format!("Shared on {}", network_label(*network)),
            Action::Shared {
                post: post.id.0,
                network: *network,
            },
        ));
    }
    message = message.buttons(links);
    for network in &ctx.settings.networks {
        if matches!(network, Network::Linkedin | Network::Facebook) {
            message = message.copy(
                format!("Text for {}", network_label(*network)),
                share_kit::fit(*network, &post.body, None, None).text,
            );
        }
    }
    if !in_channel {
        marks.push(Button::action(
            "Paste my link",
            Action::PasteShareLink { post: post.id.0 },
        ));
        marks.push(Button::action(
            "Not this time",
            Action::NotThisTime { post: post.id.0 },
        ));
    }
    message = message.buttons(marks);
    let count = match shared {
        0 => "No teammate has shared it yet: be the first.".to_string(),
        1 => "1 teammate shared it.".to_string(),
        n => format!("{n} teammates shared it."),
    };
    message.context(count)
}

/// The first characters of a text, at a character boundary.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max_chars {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max_chars).collect::<String>())
    }
}
