//! Nudges: every teammate except the author (and anyone muted, paused or out of office) is asked to amplify a
//! new post inside their own working hours, within the weekly cap, with one reminder and a back-off after
//! several ignored nudges; confirmations by button or pasted link update the live count on the channel post.

use super::prompts::field;
use super::publish::{channel_key, network_label, share_kit_message, LINK_FIELD};
use super::{is_away, roles_in, team_ctx, Engine, EngineError, TeamCtx, Turn};
use crate::chat::{Action, Destination, Input, Message, Modal};
use crate::config::Members;
use crate::domain::share_kit;
use crate::domain::Network;
use crate::store::{Lane, Nudge, NudgeStatus, Person, Post, PostId, PostStatus, Role};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};

/// Ignored nudges in a row after which a person is left alone until they share again.
pub const BACK_OFF_AFTER: i64 = 3;

/// Plans one nudge per teammate for a freshly published post (sent later, in each one's working hours).
pub async fn plan_nudges(
    turn: &mut Turn<'_>,
    ctx: &TeamCtx,
    post: &Post,
) -> Result<usize, EngineError> {
    let now = turn.now();
    let store = turn.store();
    let mut seen = HashSet::new();
    let mut planned = 0;
    for (person, _) in store.team_people(ctx.team.id).await? {
        if person.id == post.author_id
            || !seen.insert(person.id)
            || person.muted
            || person.dms_closed
            || is_away(&person, now)
        {
            continue;
        }
        let due = ctx.working_hours_of(&person).next_allowed(now);
        if store.create_nudge(post.id, person.id, due).await?.is_new() {
            planned += 1;
        }
    }
    Ok(planned)
}

/// Sends the nudges that are due, re-planning those outside working hours and dropping those over the cap.
pub async fn send_due(engine: &Engine, now: DateTime<Utc>) -> Result<usize, EngineError> {
    let tx = engine.store.begin().await?;
    let mut turn = Turn::for_tick(&*tx, now);
    let mut sent = 0;
    for nudge in tx.nudges_due(now, 500).await? {
        let Some((post, ctx, person)) = load(&turn, &nudge).await? else {
            continue;
        };
        let Some(verdict) = check(&turn, &ctx, &post, &person, &nudge, now).await? else {
            continue;
        };
        match verdict {
            Verdict::Later(at) => {
                tx.set_nudge_due(nudge.id, at).await?;
            }
            Verdict::Drop(reason) => {
                tx.set_nudge_status(nudge.id, NudgeStatus::Cancelled, now)
                    .await?;
                turn.audit(
                    Some(ctx.team.id),
                    &format!("nudge.{reason}"),
                    &format!("nudge:{}", nudge.id.0),
                    serde_json::json!({ "person": person.platform_user_id }),
                )
                .await?;
            }
            Verdict::Done => {
                tx.set_nudge_status(nudge.id, NudgeStatus::Done, now)
                    .await?
            }
            Verdict::Send => {
                let author = tx
                    .person(post.author_id)
                    .await?
                    .map(|a| a.platform_user_id)
                    .unwrap_or_default();
                let message = nudge_message(
                    &ctx,
                    &post,
                    &author,
                    false,
                    person.mastodon_instance.as_deref(),
                );
                turn.send(
                    Some(format!("nudge:{}", nudge.id.0)),
                    ctx.team.platform,
                    &ctx.team.workspace_id,
                    Destination::Person(person.platform_user_id.clone()),
                    message,
                    Lane::Bulk,
                    None,
                );
                tx.set_nudge_status(nudge.id, NudgeStatus::Sent, now)
                    .await?;
                sent += 1;
            }
        }
    }
    turn.flush().await?;
    let steps = turn.into_steps();
    tx.commit().await?;
    steps.count();
    Ok(sent)
}

/// What [`send_reminders`] did: how many reminders it queued, and when the next one comes due (a reminder's
/// delay not over yet, or its person's working hours not begun), so the clock work can wake for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reminders {
    pub sent: usize,
    pub next_due: Option<DateTime<Utc>>,
}

/// One reminder to those who did nothing after the team's `nudge_reminder_after`.
pub async fn send_reminders(engine: &Engine, now: DateTime<Utc>) -> Result<Reminders, EngineError> {
    let tx = engine.store.begin().await?;
    let mut turn = Turn::for_tick(&*tx, now);
    let mut sent = 0;
    let mut next_due: Option<DateTime<Utc>> = None;
    let mut later = |at: DateTime<Utc>| next_due = Some(next_due.map_or(at, |n| n.min(at)));
    // Every sent nudge of the last day is listed each tick, mostly not due yet: decide that from its post's
    // team (loaded once per post) before loading anything else, so a big fan-out does not hold the write
    // lock for thousands of reads a minute.
    let mut posts: HashMap<PostId, Option<(Post, TeamCtx)>> = HashMap::new();
    for nudge in tx.nudges_in_status(None, NudgeStatus::Sent).await? {
        let Some(sent_at) = nudge.sent_at else {
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(entry) = posts.entry(nudge.post_id) {
            entry.insert(load_post(&*tx, nudge.post_id).await?);
        }
        let Some((post, ctx)) = posts.get(&nudge.post_id).cloned().flatten() else {
            continue;
        };
        let after =
            Duration::from_std(ctx.settings.nudge_reminder_after.0).unwrap_or(Duration::hours(24));
        if sent_at + after > now {
            later(sent_at + after);
            continue;
        }
        let Some(person) = tx.person(nudge.person_id).await? else {
            continue;
        };
        match check(&turn, &ctx, &post, &person, &nudge, now).await? {
            None => continue,
            Some(Verdict::Later(at)) => {
                later(at);
                continue;
            }
            Some(Verdict::Done) => {
                tx.set_nudge_status(nudge.id, NudgeStatus::Done, now)
                    .await?
            }
            Some(Verdict::Drop(_)) => {
                tx.set_nudge_status(nudge.id, NudgeStatus::Cancelled, now)
                    .await?
            }
            Some(Verdict::Send) => {
                let author = tx
                    .person(post.author_id)
                    .await?
                    .map(|a| a.platform_user_id)
                    .unwrap_or_default();
                turn.send(
                    Some(format!("nudge:{}:reminder", nudge.id.0)),
                    ctx.team.platform,
                    &ctx.team.workspace_id,
                    Destination::Person(person.platform_user_id.clone()),
                    nudge_message(
                        &ctx,
                        &post,
                        &author,
                        true,
                        person.mastodon_instance.as_deref(),
                    ),
                    Lane::Bulk,
                    None,
                );
                tx.set_nudge_status(nudge.id, NudgeStatus::Reminded, now)
                    .await?;
                sent += 1;
            }
        }
    }
    turn.flush().await?;
    let steps = turn.into_steps();
    tx.commit().await?;
    steps.count();
    Ok(Reminders { sent, next_due })
}

/// A post with its team, if both still exist.
async fn load_post(
    store: &dyn crate::store::Store,
    id: PostId,
) -> Result<Option<(Post, TeamCtx)>, EngineError> {
    let Some(post) = store.post(id).await? else {
        return Ok(None);
    };
    let Some(team) = store.team(post.team_id).await? else {
        return Ok(None);
    };
    Ok(Some((post, team_ctx(team)?)))
}

async fn load(
    turn: &Turn<'_>,
    nudge: &Nudge,
) -> Result<Option<(Post, TeamCtx, Person)>, EngineError> {
    let store = turn.store();
    let Some(post) = store.post(nudge.post_id).await? else {
        return Ok(None);
    };
    let Some(team) = store.team(post.team_id).await? else {
        return Ok(None);
    };
    let Some(person) = store.person(nudge.person_id).await? else {
        return Ok(None);
    };
    Ok(Some((post, team_ctx(team)?, person)))
}

enum Verdict {
    Send,
    Later(DateTime<Utc>),
    Done,
    Drop(&'static str),
}

/// Whether a nudge (or its reminder) may go now.
async fn check(
    turn: &Turn<'_>,
    ctx: &TeamCtx,
    post: &Post,
    person: &Person,
    nudge: &Nudge,
    now: DateTime<Utc>,
) -> Result<Option<Verdict>, EngineError> {
    let store = turn.store();
    if post.status != PostStatus::Published {
        return Ok(Some(Verdict::Drop("post_withdrawn")));
    }
    if store
        .shares(post.id)
        .await?
        .iter()
        .any(|s| s.person_id == person.id)
    {
        return Ok(Some(Verdict::Done));
    }
    if person.muted {
        return Ok(Some(Verdict::Drop("muted")));
    }
    if person.dms_closed {
        return Ok(Some(Verdict::Drop("dms_closed")));
    }
    if is_away(person, now) {
        return Ok(Some(Verdict::Drop("away")));
    }
    let hours = ctx.working_hours_of(person);
    if !hours.allows(now) {
        return Ok(Some(match nudge.status {
            NudgeStatus::Pending => Verdict::Later(hours.next_allowed(now)),
            _ => return Ok(None),
        }));
    }
    if store
        .touches_since(person.id, hours.week_start(now))
        .await?
        >= i64::from(ctx.settings.weekly_nudge_cap)
    {
        return Ok(Some(Verdict::Drop("capped")));
    }
    if nudge.status == NudgeStatus::Pending
        && resting_until(store, ctx, person, now).await?.is_some()
    {
        return Ok(Some(Verdict::Drop("backed_off")));
    }
    Ok(Some(Verdict::Send))
}

/// Until when a member rests from nudges: after [`BACK_OFF_AFTER`] nudges in a row they let pass, for the team's
/// `back_off_rest` from the last one; then they are asked again (and rest again if they let that one pass
/// too). Sharing once ends the streak. `None`: not resting.
pub async fn resting_until(
    store: &dyn crate::store::Store,
    ctx: &TeamCtx,
    person: &Person,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, EngineError> {
    if store.ignored_nudge_streak(person.id).await? < BACK_OFF_AFTER {
        return Ok(None);
    }
    let rest = Duration::from_std(ctx.settings.back_off_rest.0).unwrap_or(Duration::weeks(4));
    Ok(store
        .last_nudge_sent(person.id)
        .await?
        .map(|last| last + rest)
        .filter(|until| *until > now))
}

/// The DM asking a teammate to amplify a post, asking for engagement rather than a copy-paste.
fn nudge_message(
    ctx: &TeamCtx,
    post: &Post,
    author: &str,
    reminder: bool,
    mastodon: Option<&str>,
) -> Message {
    let mut kit = share_kit_message(ctx, post, author, 0, false, mastodon);
    // The live count belongs to the channel post; the DM asks instead.
    kit.blocks.pop();
    let lead = if reminder {
        "A last nudge: the first hours after a post matter most, and this one could use your voice."
    } else {
        "A teammate just published. Could you amplify it in the next few hours? A comment with your own take, or a repost with one sentence of yours, beats a copy-paste."
    };
    let mut message = Message::new(lead.to_string()).say(lead);
    message.blocks.extend(kit.blocks);
    message.context(
        "Tap the network you shared on, or paste the link of your post. /amplify mute stops these.",
    )
}

/// *Shared on …*, *Paste my link* (and its form), *Not this time*.
pub async fn on_action(
    turn: &mut Turn<'_>,
    action: &Action,
    fields: Option<&Vec<(String, String)>>,
) -> Result<(), EngineError> {
    let post_id = match action {
        Action::Shared { post, .. }
        | Action::PasteShareLink { post }
        | Action::NotThisTime { post } => PostId(*post),
        _ => return Ok(()),
    };
    let store = turn.store();
    let post = store.post(post_id).await?;
    let team = match &post {
        Some(p) => store.team(p.team_id).await?,
        None => None,
    };
    let (Some(post), Some(team)) = (post, team) else {
        turn.refuse(
            None,
            &format!("post:{}", post_id.0),
            "no such post",
            "I can't find that post.",
        )
        .await?;
        return Ok(());
    };
    let ctx = team_ctx(team)?;
    if roles_in(store, ctx.team.id, turn.person())
        .await?
        .is_empty()
    {
        // A person record belongs to one workspace, so this is someone from the team's own server or workspace
        // who saw the post (a community's opt-in role holder, a channel member): sharing makes them a member.
        // Only a press on the post in the share channel can be theirs: a Discord DM carries no server, so one
        // from a stranger (say, of another server the bot is in) is attributed to the team's server.
        let elsewhere = turn
            .event()
            .channel
            .as_deref()
            .is_some_and(|c| c != ctx.settings.share_channel);
        if turn.person().workspace_id != ctx.team.workspace_id
            || turn.person().platform != ctx.team.platform
            || elsewhere
        {
            let reason = if elsewhere {
                "not in the team, outside the share channel"
            } else {
                "another workspace"
            };
            turn.refuse(
                Some(ctx.team.id),
                &format!("post:{}", post.id.0),
                reason,
                "That post belongs to a team you are not part of.",
            )
            .await?;
            return Ok(());
        }
        store
            .grant_role(ctx.team.id, turn.person().id, Role::Member)
            .await?;
        turn.audit(
            Some(ctx.team.id),
            "member.joined",
            &format!("person:{}", turn.person().platform_user_id),
            serde_json::json!({ "by": "sharing" }),
        )
        .await?;
    }
    match (action, fields) {
        (Action::Shared { network, .. }, _) => confirm(turn, &ctx, &post, *network, None).await?,
        (Action::PasteShareLink { .. }, None) => turn.open_modal(Modal {
            title: "Your share's link".to_string(),
            submit_label: "Save".to_string(),
            action: action.to_string(),
            inputs: vec![Input {
                id: LINK_FIELD.to_string(),
                label: "Paste the address of your post or repost".to_string(),
                initial: None,
                multiline: false,
                max_len: 2000,
                optional: false,
            }],
        }),
        (Action::PasteShareLink { .. }, Some(fields)) => {
            confirm_pasted(turn, &ctx, &post, &field(fields, LINK_FIELD)).await?;
        }
        (Action::NotThisTime { .. }, _) => {
            if let Some(nudge) = store.nudge_of(post.id, turn.person().id).await? {
                store
                    .set_nudge_status(nudge.id, NudgeStatus::Cancelled, turn.now())
                    .await?;
            }
            turn.reply("No problem: no more reminders for this one.");
        }
        _ => {}
    }
    Ok(())
}

/// A member pasted the link of their share: its network is read from the link.
async fn confirm_pasted(
    turn: &mut Turn<'_>,
    ctx: &TeamCtx,
    post: &Post,
    pasted: &str,
) -> Result<(), EngineError> {
    let pasted = pasted.trim().trim_start_matches('<').trim_end_matches('>');
    let Some(network) = share_kit::detect_network(pasted).or_else(|| {
        ctx.settings
            .networks
            .iter()
            .copied()
            .find(|n| share_kit::check_post_url(*n, pasted).is_ok())
    }) else {
        turn.reply("I could not tell which network that link is from. Paste the address of your post, like https://www.linkedin.com/posts/… or https://bsky.app/profile/…/post/…");
        return Ok(());
    };
    match share_kit::check_post_url(network, pasted) {
        Ok(url) => confirm(turn, ctx, post, network, Some(url)).await,
        Err(e) => {
            turn.reply(e.to_string());
            Ok(())
        }
    }
}

/// A link pasted in the DM by someone who was nudged: it confirms their share of the newest post they were
/// asked about. Returns false when there is no such post (the caller handles the message otherwise).
pub async fn on_pasted_share_link(turn: &mut Turn<'_>, pasted: &str) -> Result<bool, EngineError> {
    let me = turn.person().id;
    let store = turn.store();
    let mut nudges = Vec::new();
    for status in [NudgeStatus::Sent, NudgeStatus::Reminded] {
        nudges.extend(
            store
                .nudges_in_status(None, status)
                .await?
                .into_iter()
                .filter(|n| n.person_id == me),
        );
    }
    let Some(nudge) = nudges.into_iter().max_by_key(|n| n.sent_at) else {
        return Ok(false);
    };
    let Some(post) = store.post(nudge.post_id).await? else {
        return Ok(false);
    };
    let Some(team) = store.team(post.team_id).await? else {
        return Ok(false);
    };
    let ctx = team_ctx(team)?;
    confirm_pasted(turn, &ctx, &post, pasted).await?;
    Ok(true)
}

/// Records a share, marks the nudge done, and updates the live count on the channel post.
async fn confirm(
    turn: &mut Turn<'_>,
    ctx: &TeamCtx,
    post: &Post,
    network: Network,
    url: Option<String>,
) -> Result<(), EngineError> {
    let now = turn.now();
    let store = turn.store();
    let me = turn.person().id;
    let first = store
        .record_share(post.id, me, network, url.as_deref(), now)
        .await?;
    if let Some(nudge) = store.nudge_of(post.id, me).await? {
        if nudge.status != NudgeStatus::Done {
            store
                .set_nudge_status(nudge.id, NudgeStatus::Done, now)
                .await?;
        }
    }
    if !first {
        turn.reply(format!(
            "Already counted: thanks for sharing on {}!",
            network_label(network)
        ));
        return Ok(());
    }
    turn.audit(
        Some(ctx.team.id),
        "share.confirmed",
        &format!("post:{}", post.id.0),
        serde_json::json!({ "network": network.as_str(), "link": url.is_some() }),
    )
    .await?;
    let shares = store.shares(post.id).await?;
    let people: HashSet<_> = shares.iter().map(|s| s.person_id).collect();
    let author = store
        .person(post.author_id)
        .await?
        .map(|a| a.platform_user_id)
        .unwrap_or_default();
    turn.update(
        format!("post:{}:count:{}", post.id.0, shares.len()),
        ctx.team.platform,
        &ctx.team.workspace_id,
        &channel_key(post.id),
        share_kit_message(ctx, post, &author, people.len(), true, None),
    );
    turn.reply(format!(
        "Thanks for sharing on {}! That's {} teammate{} so far.",
        network_label(network),
        people.len(),
        if people.len() == 1 { "" } else { "s" }
    ));
    Ok(())
}

/// A member joined or left the share channel of a team whose members are "everyone in the share channel".
pub async fn on_membership(turn: &mut Turn<'_>) -> Result<(), EngineError> {
    let event = turn.event();
    let Some(channel) = event.channel.clone() else {
        return Ok(());
    };
    let joined = matches!(event.kind, crate::chat::EventKind::MemberJoined);
    let me = turn.person().clone();
    for team in turn.store().teams().await? {
        let ctx = team_ctx(team)?;
        if ctx.team.platform != event.platform
            || ctx.team.workspace_id != event.workspace_id
            || ctx.settings.share_channel != channel
            || ctx.settings.members != Members::ShareChannel
        {
            continue;
        }
        let changed = if joined {
            turn.store()
                .grant_role(ctx.team.id, me.id, Role::Member)
                .await?
        } else {
            turn.store()
                .revoke_role(ctx.team.id, me.id, Role::Member)
                .await?
        };
        if changed {
            turn.audit(
                Some(ctx.team.id),
                if joined {
                    "member.joined"
                } else {
                    "member.left"
                },
                &format!("person:{}", me.platform_user_id),
                serde_json::json!({}),
            )
            .await?;
        }
    }
    Ok(())
}
