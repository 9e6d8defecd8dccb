//! `/amplify …`: every command answered privately, every mistake with what to type instead.

use super::drafts::{leader_team, start_draft};
use super::{team_ctx, Engine, EngineError, TeamCtx, Turn};
use crate::chat::command::{help_text, parse, Command, TeamCommand};
use crate::chat::Action;
use crate::config::{Cron, TeamConfig};
use crate::store::{
    AskStatus, DraftStatus, NewTeam, NudgeStatus, PostStatus, Role, Team, TeamSource,
};
use chrono::{DateTime, Utc};

/// Handles the text after `/amplify`.
pub async fn on_command(
    engine: &Engine,
    turn: &mut Turn<'_>,
    text: &str,
) -> Result<(), EngineError> {
    let now = turn.now();
    let zone = person_zone(turn).await?;
    let today = now.with_timezone(&zone).date_naive();
    let command = match parse(text, today) {
        Ok(command) => command,
        Err(mistake) => {
            turn.reply(mistake.to_string());
            return Ok(());
        }
    };
    let store = turn.store();
    let me = turn.person().clone();
    match command {
        Command::Help { topic } => turn.reply(help_text(topic.as_deref())),
        Command::Status => {
            let status = status(turn).await?;
            turn.reply(status);
        }
        Command::Draft { text } => match (leader_team(turn).await?, text) {
            (None, _) => turn.reply("Only a team's leaders can start drafts. An admin can add you with /amplify team add leader @you to TEAM."),
            (Some(ctx), Some(text)) => start_draft(turn, &ctx, None, &text).await?,
            (Some(_), None) => turn.open_modal(super::prompts::editor("New draft", Action::NewDraft, None)),
        },
        Command::Skip => {
            let asks = store.open_asks_of(me.id).await?;
            if asks.is_empty() {
                turn.reply("You have no open question to skip.");
            }
            for ask in asks {
                store.set_ask_status(ask.id, AskStatus::Skipped, now).await?;
                store.set_ask_remind_at(ask.id, None, now).await?;
                turn.reply("Skipped this week's question.");
            }
        }
        Command::Pause { until } => {
            let at = crate::schedule::resolve(zone, until.and_time(chrono::NaiveTime::MIN)).unwrap_or(now);
            store.set_person_paused_until(me.id, Some(at)).await?;
            turn.audit(None, "person.paused", &format!("person:{}", me.platform_user_id), serde_json::json!({ "until": until.to_string() })).await?;
            turn.reply(format!("Paused: no prompts or nudges until {}. /amplify resume ends it early.", until.format("%A %-d %B %Y")));
        }
        Command::Resume => {
            store.set_person_paused_until(me.id, None).await?;
            turn.reply("Welcome back: prompts and nudges are on again.");
        }
        Command::Mute => {
            store.set_person_muted(me.id, true).await?;
            turn.reply("Muted: no more share nudges. /amplify unmute turns them back on.");
        }
        Command::Unmute => {
            store.set_person_muted(me.id, false).await?;
            turn.reply("Unmuted: you'll get share nudges again.");
        }
        Command::Timezone { zone: None } => turn.reply(match &me.time_zone {
            Some(z) => format!("Your time zone is {z}. Change it with /amplify timezone Area/City."),
            None => format!("You have no time zone of your own, so your team's ({}) applies. Set yours with /amplify timezone Area/City.", zone.name()),
        }),
        Command::Timezone { zone: Some(new) } => {
            store.set_person_time_zone(me.id, Some(new.name())).await?;
            let local = now.with_timezone(&new).format("%H:%M");
            turn.reply(format!("Your time zone is now {} (it is {local} there). Prompts and nudges follow your working hours in it.", new.name()));
        }
        Command::Mastodon { host: None } => turn.reply(match &me.mastodon_instance {
            Some(host) => format!("Your Mastodon instance is {host}: share links for Mastodon open there."),
            None => "You have not set a Mastodon instance. Set it with /amplify mastodon mastodon.social (your own server's name).".to_string(),
        }),
        Command::Mastodon { host: Some(host) } => match crate::domain::share_kit::mastodon_host(&host) {
            Some(host) => {
                store.set_person_mastodon_instance(me.id, Some(&host)).await?;
                turn.reply(format!("Saved: share links for Mastodon now open on {host}."));
            }
            None => turn.reply(format!(
                "\"{}\" is not a server name. Type the host of your instance, e.g. /amplify mastodon mastodon.social",
                host.chars().take(60).collect::<String>()
            )),
        },
        Command::Stats | Command::Leaderboard => {
            let reply = stats(turn, now).await?;
            turn.reply(reply);
        }
        Command::Join | Command::Leave => {
            let join = matches!(command, Command::Join);
            let mut changed = 0;
            // A `role_post` team nudges nobody by DM: its post in the share channel mentions the opt-in role.
            let mut by_role = false;
            for team in store.teams().await? {
                if team.platform == me.platform && team.workspace_id == me.workspace_id {
                    let done = if join { store.grant_role(team.id, me.id, Role::Member).await? } else { store.revoke_role(team.id, me.id, Role::Member).await? };
                    changed += usize::from(done);
                    by_role |= done && team_ctx(team)?.settings.nudge == crate::config::NudgeMode::RolePost;
                }
            }
            turn.reply(match (join, changed) {
                (true, 0) => "You are already in (or there is no team here yet).".to_string(),
                (true, _) if by_role => "Welcome aboard: each new post is announced in the share channel with the team's opt-in role. /amplify leave takes you out.".to_string(),
                (true, _) => "Welcome aboard: you'll get a nudge when a new post is out. /amplify mute pauses them.".to_string(),
                // Not listed, yet out all the same (on Discord the adapter took a role they held by hand).
                (false, 0) => "You're out: you were not listed in any team here. /amplify join brings you in.".to_string(),
                (false, _) => "You're out: no more nudges. /amplify join brings you back.".to_string(),
            });
        }
        Command::ForgetMe => super::forget::ask(turn).await?,
        Command::Team(team) => on_team(engine, turn, team).await?,
    }
    Ok(())
}

/// The home tab opened: what is open for the person, their numbers, and (for leaders) a new draft.
pub async fn on_home(turn: &mut Turn<'_>) -> Result<(), EngineError> {
    let now = turn.now();
    let status = status(turn).await?;
    let stats = stats(turn, now).await?;
    let mut message = crate::chat::Message::new("Amplifier")
        .section(vec![crate::chat::Inline::Strong(
            "What's open for you".into(),
        )])
        .say(status)
        .section(vec![crate::chat::Inline::Strong(
            "Your teams this week".into(),
        )])
        .say(stats);
    if leader_team(turn).await?.is_some() {
        message = message.buttons(vec![crate::chat::Button::primary(
            "New draft",
            Action::NewDraft,
        )]);
    }
    message = message.context("Type /amplify help for everything I understand.");
    turn.home(message);
    Ok(())
}

/// The person's zone: their own, else their first team's, else UTC.
async fn person_zone(turn: &Turn<'_>) -> Result<chrono_tz::Tz, EngineError> {
    if let Some(zone) = turn
        .person()
        .time_zone
        .as_deref()
        .and_then(|z| crate::zone::parse_zone(z).ok())
    {
        return Ok(zone);
    }
    match turn
        .store()
        .teams_of_person(turn.person().id)
        .await?
        .into_iter()
        .next()
    {
        Some((team, _)) => Ok(team_ctx(team)?.zone()),
        None => Ok(chrono_tz::UTC),
    }
}

async fn status(turn: &Turn<'_>) -> Result<String, EngineError> {
    let store = turn.store();
    let me = turn.person();
    let mut lines = Vec::new();
    let asks = store.open_asks_of(me.id).await?;
    if !asks.is_empty() {
        lines.push(format!(
            "• {} open question{}: reply in our DM, or /amplify skip.",
            asks.len(),
            if asks.len() == 1 { "" } else { "s" }
        ));
    }
    for draft in store
        .drafts_of(
            me.id,
            &[
                DraftStatus::Editing,
                DraftStatus::ChangesRequested,
                DraftStatus::InReview,
            ],
        )
        .await?
    {
        lines.push(format!(
            "• Draft v{}: {}.",
            draft.current_version,
            draft.status.as_str().replace('_', " ")
        ));
    }
    for post in store
        .posts_of_author(me.id, PostStatus::AwaitingLink)
        .await?
    {
        lines.push(format!(
            "• Post {} is approved and waits for the link of your own post.",
            post.id.0
        ));
    }
    let mut to_share = 0;
    for status in [NudgeStatus::Sent, NudgeStatus::Reminded] {
        to_share += store
            .nudges_in_status(None, status)
            .await?
            .iter()
            .filter(|n| n.person_id == me.id)
            .count();
    }
    if to_share > 0 {
        lines.push(format!(
            "• {to_share} post{} to amplify.",
            if to_share == 1 { "" } else { "s" }
        ));
    }
    if me.muted {
        lines.push("• Nudges are muted (/amplify unmute).".to_string());
    }
    let mut resting: Option<DateTime<Utc>> = None;
    for (team, _) in store.teams_of_person(me.id).await? {
        let ctx = team_ctx(team)?;
        if let Some(until) = super::nudges::resting_until(store, &ctx, me, turn.now()).await? {
            resting = Some(resting.map_or(until, |r| r.max(until)));
        }
    }
    if let Some(until) = resting {
        lines.push(format!(
            "• Resting from nudges until {}: the last few went by, so I'm giving you a break. Share any post from the channel and they come back at once.",
            until.format("%Y-%m-%d")
        ));
    }
    if let Some(until) = me.paused_until.filter(|u| *u > turn.now()) {
        lines.push(format!(
            "• Paused until {} (/amplify resume).",
            until.format("%Y-%m-%d")
        ));
    }
    Ok(if lines.is_empty() {
        "Nothing open for you right now.".to_string()
    } else {
        lines.join("\n")
    })
}

async fn stats(turn: &Turn<'_>, now: DateTime<Utc>) -> Result<String, EngineError> {
    let mut out = Vec::new();
    for (team, _) in turn.store().teams_of_person(turn.person().id).await? {
        let ctx = team_ctx(team)?;
        if out
            .iter()
            .any(|l: &String| l.starts_with(&format!("{}:", ctx.team.name)))
        {
            continue;
        }
        let f = super::digest::figures(turn, &ctx, now).await?;
        let top = f
            .top
            .iter()
            .map(|(p, n)| format!("{p} ({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(format!(
            "{}: last 7 days {} post{}, {} share{}{}.",
            ctx.team.name,
            f.posts,
            if f.posts == 1 { "" } else { "s" },
            f.shares,
            if f.shares == 1 { "" } else { "s" },
            if top.is_empty() {
                String::new()
            } else {
                format!("; top amplifiers {top}")
            }
        ));
    }
    Ok(if out.is_empty() {
        "You are not in a team yet.".to_string()
    } else {
        out.join("\n")
    })
}

/// Whether the person may manage teams here: an admin of some team in this workspace.
async fn is_admin(turn: &Turn<'_>) -> Result<bool, EngineError> {
    Ok(turn
        .store()
        .teams_of_person(turn.person().id)
        .await?
        .iter()
        .any(|(_, role)| *role == Role::Admin))
}

async fn find_team(turn: &mut Turn<'_>, name: &str) -> Result<Option<TeamCtx>, EngineError> {
    let me = turn.person().clone();
    for team in turn.store().teams().await? {
        if team.name.eq_ignore_ascii_case(name.trim())
            && team.platform == me.platform
            && team.workspace_id == me.workspace_id
        {
            return Ok(Some(team_ctx(team)?));
        }
    }
    turn.reply(format!(
        "There is no team \"{name}\" here. /amplify team list shows them."
    ));
    Ok(None)
}

/// Command teams can be changed here; config teams only in the config file (a sync at start would undo it).
fn editable(turn: &mut Turn<'_>, team: &Team) -> bool {
    if team.source == TeamSource::Config {
        turn.reply(format!("{} is defined in the config file: change it there and restart, so the change is not undone at the next start.", team.name));
        false
    } else {
        true
    }
}

async fn on_team(
    engine: &Engine,
    turn: &mut Turn<'_>,
    command: TeamCommand,
) -> Result<(), EngineError> {
    if !is_admin(turn).await? {
        turn.audit(
            None,
            "team.refused",
            "team",
            serde_json::json!({ "reason": "not an admin" }),
        )
        .await?;
        turn.reply("Only admins can change teams. Ask one of them, or see /amplify help.");
        return Ok(());
    }
    let now = turn.now();
    let me = turn.person().clone();
    match command {
        TeamCommand::List => {
            let teams: Vec<String> = turn
                .store()
                .teams()
                .await?
                .into_iter()
                .filter(|t| t.platform == me.platform && t.workspace_id == me.workspace_id)
                .map(|t| format!("• {} ({})", t.name, t.source.as_str()))
                .collect();
            turn.reply(if teams.is_empty() {
                "No teams yet: /amplify team create NAME.".to_string()
            } else {
                teams.join("\n")
            });
        }
        TeamCommand::Show { team } => {
            let Some(ctx) = find_team(turn, &team).await? else {
                return Ok(());
            };
            let people = turn.store().team_people(ctx.team.id).await?;
            let count = |role: Role| people.iter().filter(|(_, r)| *r == role).count();
            let next = ctx
                .settings
                .prompt_schedule
                .0
                .next_after(ctx.zone(), now)
                .map(|t| {
                    t.with_timezone(&ctx.zone())
                        .format("%a %d %b %H:%M %Z")
                        .to_string()
                })
                .unwrap_or_else(|| "never".into());
            turn.reply(format!(
                "{}: {} leader(s), {} approver(s), {} member(s); share channel {}; prompts \"{}\" in {} (next {next}); networks {}.",
                ctx.team.name,
                count(Role::Leader),
                count(Role::Approver),
                count(Role::Member),
                ctx.settings.share_channel,
                ctx.settings.prompt_schedule.0.as_str(),
                ctx.zone().name(),
                ctx.settings.networks.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        TeamCommand::Create { team } => {
            let settings = new_team_settings(
                &team,
                &me,
                turn.event().channel.as_deref().unwrap_or(""),
                person_zone(turn).await?,
            );
            let created = turn
                .store()
                .create_command_team(
                    &NewTeam {
                        name: team.clone(),
                        platform: me.platform,
                        workspace_id: me.workspace_id.clone(),
                        settings_json: settings,
                    },
                    now,
                )
                .await?;
            match created {
                Some(id) => {
                    turn.store().grant_role(id, me.id, Role::Admin).await?;
                    turn.audit(
                        Some(id),
                        "team.created",
                        &format!("team:{team}"),
                        serde_json::json!({}),
                    )
                    .await?;
                    turn.reply(format!("Created {team}. Next: /amplify team add leader @someone to {team}, and /amplify team set channel {team} #channel."));
                }
                None => turn.reply(format!("A team named {team} already exists.")),
            }
        }
        TeamCommand::Add { role, people, team } | TeamCommand::Remove { role, people, team }
            if people.is_empty() =>
        {
            let _ = (role, team);
            turn.reply(
                "Name at least one person, e.g. /amplify team add leader @alex to Leadership.",
            );
        }
        TeamCommand::Add { role, people, team } => {
            let Some(ctx) = find_team(turn, &team).await? else {
                return Ok(());
            };
            if !editable(turn, &ctx.team) {
                return Ok(());
            }
            let mut added = 0;
            for user in &people {
                let person = turn
                    .store()
                    .upsert_person(me.platform, &me.workspace_id, &user.0, now)
                    .await?
                    .id();
                added += usize::from(turn.store().grant_role(ctx.team.id, person, role).await?);
            }
            turn.audit(Some(ctx.team.id), "team.role_added", &format!("team:{}", ctx.team.name), serde_json::json!({ "role": role.as_str(), "people": people.iter().map(|p| p.0.clone()).collect::<Vec<_>>() })).await?;
            turn.reply(format!(
                "Added {added} {}(s) to {}.",
                role.as_str(),
                ctx.team.name
            ));
        }
        TeamCommand::Remove { role, people, team } => {
            let Some(ctx) = find_team(turn, &team).await? else {
                return Ok(());
            };
            if !editable(turn, &ctx.team) {
                return Ok(());
            }
            let mut removed = 0;
            for user in &people {
                if let Some(person) = turn
                    .store()
                    .person_by_platform_id(me.platform, &me.workspace_id, &user.0)
                    .await?
                {
                    removed += usize::from(
                        turn.store()
                            .revoke_role(ctx.team.id, person.id, role)
                            .await?,
                    );
                }
            }
            turn.audit(
                Some(ctx.team.id),
                "team.role_removed",
                &format!("team:{}", ctx.team.name),
                serde_json::json!({ "role": role.as_str() }),
            )
            .await?;
            turn.reply(format!(
                "Removed {removed} {}(s) from {}.",
                role.as_str(),
                ctx.team.name
            ));
        }
        TeamCommand::SetSchedule { team, schedule } => {
            update(turn, &team, |s| s.prompt_schedule = Cron(*schedule.clone())).await?;
        }
        TeamCommand::SetChannel { team, channel } => {
            update(turn, &team, |s| s.share_channel = channel.0.clone()).await?;
        }
        TeamCommand::SetNetworks { team, networks } => {
            update(turn, &team, |s| s.networks = networks.clone()).await?;
        }
        TeamCommand::SetPrompts { team, pack } => {
            // A chat command names a pack in bots/prompts/, never a path: admins in chat must not make the
            // server read arbitrary files.
            let simple = !pack.is_empty()
                && pack.len() <= 64
                && pack
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !simple {
                turn.reply("Name a pack by its file name in bots/prompts/ without .toml, e.g. /amplify team set prompts Leadership default.");
                return Ok(());
            }
            let path = if pack == "default" {
                pack.clone()
            } else {
                format!("bots/prompts/{pack}.toml")
            };
            if let Err(e) = crate::prompts::PromptPack::load(&path, &engine.base_dir) {
                turn.reply(e.to_string());
                return Ok(());
            }
            update(turn, &team, |s| s.prompt_pack = path.clone()).await?;
        }
        TeamCommand::SetTimezone { team, zone } => {
            update(turn, &team, |s| s.time_zone = crate::config::Zone(zone)).await?;
        }
    }
    Ok(())
}

/// Changes a command team's settings and says what they are now.
async fn update(
    turn: &mut Turn<'_>,
    name: &str,
    change: impl FnOnce(&mut TeamConfig),
) -> Result<(), EngineError> {
    let Some(mut ctx) = find_team(turn, name).await? else {
        return Ok(());
    };
    if !editable(turn, &ctx.team) {
        return Ok(());
    }
    change(&mut ctx.settings);
    let json = serde_json::to_string(&ctx.settings).expect("team settings always serialize");
    turn.store()
        .update_team_settings(ctx.team.id, &json, turn.now())
        .await?;
    turn.audit(
        Some(ctx.team.id),
        "team.updated",
        &format!("team:{}", ctx.team.name),
        serde_json::json!({ "settings": json }),
    )
    .await?;
    let next = ctx
        .settings
        .prompt_schedule
        .0
        .next_after(ctx.zone(), turn.now())
        .map(|t| {
            t.with_timezone(&ctx.zone())
                .format("%a %d %b %H:%M %Z")
                .to_string()
        })
        .unwrap_or_else(|| "never".into());
    turn.reply(format!("Updated {}. Next prompt: {next}.", ctx.team.name));
    Ok(())
}

/// A new command team's settings: the defaults, in the creator's zone, sharing in the channel it was created in.
fn new_team_settings(
    name: &str,
    creator: &crate::store::Person,
    channel: &str,
    zone: chrono_tz::Tz,
) -> String {
    let value = serde_json::json!({
        "name": name,
        "platform": creator.platform.as_str(),
        "workspace_id": creator.workspace_id,
        "leaders": [],
        "self_approval": false,
        "share_channel": channel,
        "time_zone": zone.name(),
    });
    let settings: TeamConfig =
        serde_json::from_value(value).expect("the defaults of a team always parse");
    serde_json::to_string(&settings).expect("team settings always serialize")
}
