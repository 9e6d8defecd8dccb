//! The weekly digest: posts, shares per post, top amplifiers, leaders' participation and share streaks, to the
//! share channel and to each leader, once per digest slot.

use super::publish::excerpt;
use super::{Engine, EngineError, TeamCtx, Turn};
use crate::chat::{Destination, Inline, Message};
use crate::config::Slot;
use crate::store::{Lane, PersonId, Role, ShareConfirmation};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How many weeks back a streak is counted.
const STREAK_WEEKS: i64 = 12;

/// Sends the digest for each of the team's digest slots that came within the catch-up window. The outbox key
/// names the slot, so a slot is never reported twice, however often this runs.
pub async fn send_due(
    engine: &Engine,
    ctx: &TeamCtx,
    now: DateTime<Utc>,
) -> Result<usize, EngineError> {
    let Slot::Cron(cron) = &ctx.settings.digest_schedule else {
        return Ok(0);
    };
    let window = Duration::from_std(engine.catch_up_window).unwrap_or(Duration::hours(6));
    let mut sent = 0;
    for slot in cron.0.fires_between(ctx.zone(), now - window, now, 4) {
        let key = format!("digest:{}:{}:channel", ctx.team.id.0, slot.timestamp());
        if engine.store.outbox_by_key(&key).await?.is_some() {
            continue;
        }
        let tx = engine.store.begin().await?;
        let mut turn = Turn::for_tick(&*tx, now);
        let digest = build(&turn, ctx, slot).await?;
        turn.send(
            Some(key),
            ctx.team.platform,
            &ctx.team.workspace_id,
            Destination::Channel(ctx.settings.share_channel.clone()),
            digest.clone(),
            Lane::Bulk,
            None,
        );
        let people = tx.team_people(ctx.team.id).await?;
        let for_leaders = with_closed_dms(&digest, &people);
        for (person, role) in people {
            if role == Role::Leader {
                turn.send(
                    Some(format!(
                        "digest:{}:{}:leader:{}",
                        ctx.team.id.0,
                        slot.timestamp(),
                        person.id.0
                    )),
                    ctx.team.platform,
                    &ctx.team.workspace_id,
                    Destination::Person(person.platform_user_id.clone()),
                    for_leaders.clone(),
                    Lane::Bulk,
                    // The channel has it at the team's slot; each leader's own copy waits for their hours.
                    Some(ctx.working_hours_of(&person).next_allowed(now)),
                );
            }
        }
        turn.audit(
            Some(ctx.team.id),
            "digest.sent",
            &format!("team:{}", ctx.team.name),
            serde_json::json!({ "slot": slot.to_rfc3339() }),
        )
        .await?;
        if turn.flush().await? > 0 {
            sent += 1;
        }
        let steps = turn.into_steps();
        tx.commit().await?;
        steps.count();
    }
    Ok(sent)
}

/// The team's next digest slot strictly after `now`, if it sends digests.
pub fn next_slot(ctx: &TeamCtx, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match &ctx.settings.digest_schedule {
        Slot::Cron(cron) => cron.0.next_after(ctx.zone(), now),
        _ => None,
    }
}

/// The leaders' copy of the digest also names the teammates who don't accept the bot's DMs, so someone can ask
/// them to (the channel's copy doesn't single anyone out).
fn with_closed_dms(digest: &Message, people: &[(crate::store::Person, Role)]) -> Message {
    let mut closed: Vec<String> = people
        .iter()
        .filter(|(p, _)| p.dms_closed)
        .map(|(p, _)| p.platform_user_id.clone())
        .collect();
    closed.sort();
    closed.dedup();
    if closed.is_empty() {
        return digest.clone();
    }
    let lead = format!(
        "{} teammate{} can't get my DMs: ",
        closed.len(),
        plural(closed.len())
    );
    let people = closed.into_iter().map(|id| (id, String::new()));
    let line = people_line(
        &lead,
        people,
        ". Ask them to allow direct messages from this workspace's members, then to write me once.",
    );
    let mut message = digest.clone();
    message.blocks.push(crate::chat::Block::Context(line));
    message
}

/// The week ending at `slot`, in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigestFigures {
    pub posts: usize,
    pub shares: usize,
    /// (post excerpt, author id, shares)
    pub per_post: Vec<(String, String, usize)>,
    /// (person id, shares), most first
    pub top: Vec<(String, usize)>,
    pub leaders_published: usize,
    pub leaders: usize,
    /// (person id, weeks in a row with a share), longest first
    pub streaks: Vec<(String, i64)>,
}

pub async fn figures(
    turn: &Turn<'_>,
    ctx: &TeamCtx,
    slot: DateTime<Utc>,
) -> Result<DigestFigures, EngineError> {
    let store = turn.store();
    let from = slot - Duration::days(7);
    let posts = store.published_posts(ctx.team.id, from, slot).await?;
    let shares = store.shares_of_team(ctx.team.id, from, slot).await?;
    let people: HashMap<PersonId, String> = store
        .team_people(ctx.team.id)
        .await?
        .into_iter()
        .map(|(p, _)| (p.id, p.platform_user_id))
        .collect();
    let name = |id: &PersonId| {
        people
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("person {}", id.0))
    };
    let mut per_post = Vec::new();
    for post in &posts {
        let n = shares.iter().filter(|s| s.post_id == post.id).count();
        per_post.push((excerpt(&post.body, 60), name(&post.author_id), n));
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for share in &shares {
        *counts.entry(name(&share.person_id)).or_default() += 1;
    }
    let mut top: Vec<(String, usize)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(3);
    let leaders: HashSet<PersonId> = store
        .team_people(ctx.team.id)
        .await?
        .into_iter()
        .filter(|(_, r)| *r == Role::Leader)
        .map(|(p, _)| p.id)
        .collect();
    let published: HashSet<PersonId> = posts.iter().map(|p| p.author_id).collect();
    let history = store
        .shares_of_team(ctx.team.id, slot - Duration::weeks(STREAK_WEEKS), slot)
        .await?;
    let mut streaks: Vec<(String, i64)> = streaks(&history, slot)
        .into_iter()
        .map(|(p, n)| (name(&p), n))
        .filter(|(_, n)| *n >= 2)
        .collect();
    streaks.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(DigestFigures {
        posts: posts.len(),
        shares: shares.len(),
        per_post,
        top,
        leaders_published: leaders.intersection(&published).count(),
        leaders: leaders.len(),
        streaks,
    })
}

/// Weeks in a row, ending with the week before `slot`, in which each person shared at least once.
fn streaks(history: &[ShareConfirmation], slot: DateTime<Utc>) -> HashMap<PersonId, i64> {
    let mut weeks: HashMap<PersonId, HashSet<i64>> = HashMap::new();
    for share in history {
        let week =
            (slot - share.confirmed_at).num_seconds().max(0) / Duration::weeks(1).num_seconds();
        weeks.entry(share.person_id).or_default().insert(week);
    }
    weeks
        .into_iter()
        .map(|(person, set)| (person, (0..).take_while(|w| set.contains(w)).count() as i64))
        .collect()
}

async fn build(
    turn: &Turn<'_>,
    ctx: &TeamCtx,
    slot: DateTime<Utc>,
) -> Result<Message, EngineError> {
    let f = figures(turn, ctx, slot).await?;
    let headline = format!(
        "{}'s week: {} post{}, {} share{}",
        ctx.team.name,
        f.posts,
        plural(f.posts),
        f.shares,
        plural(f.shares)
    );
    let mut message = Message::new(headline.clone()).section(vec![Inline::Strong(headline)]);
    if f.per_post.is_empty() {
        message =
            message.say("Nothing was published this week. The next prompt goes out on schedule.");
    }
    for (excerpt, author, n) in &f.per_post {
        message = message.section(vec![
            Inline::Text(format!("“{excerpt}” by ")),
            Inline::User(author.clone()),
            Inline::Text(format!(": {n} share{}", plural(*n))),
        ]);
    }
    if ctx.settings.leaderboard && !f.top.is_empty() {
        let people = f.top.iter().map(|(p, n)| (p.clone(), format!(" ({n})")));
        message = message.section(people_line("Top amplifiers: ", people, ""));
    }
    message = message.context(format!(
        "Leaders who published: {} of {}.",
        f.leaders_published, f.leaders
    ));
    if ctx.settings.leaderboard && !f.streaks.is_empty() {
        let people = f
            .streaks
            .iter()
            .map(|(p, n)| (p.clone(), format!(": {n} weeks")));
        message.blocks.push(crate::chat::Block::Context(people_line(
            "Share streaks: ",
            people,
            ".",
        )));
    }
    Ok(message)
}

/// `lead`, then each person (as a mention, which renders as their name) with their figure, comma-separated.
fn people_line(
    lead: &str,
    people: impl Iterator<Item = (String, String)>,
    tail: &str,
) -> Vec<Inline> {
    let mut line = vec![Inline::Text(lead.to_string())];
    for (i, (person, figure)) in people.enumerate() {
        if i > 0 {
            line.push(Inline::Text(", ".into()));
        }
        line.push(Inline::User(person));
        line.push(Inline::Text(figure));
    }
    if !tail.is_empty() {
        line.push(Inline::Text(tail.to_string()));
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
