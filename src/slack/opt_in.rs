//! `/amplify join` and `/amplify leave` on Slack: once the engine recorded the change, the opt-in user group of
//! each `role_post` team of the workspace (`opt_in_role = "S…"`, what its post mentions) gains or loses the
//! person (`usergroups.users.list`, then `usergroups.users.update` with the whole list, as Slack requires).
//! Those methods need the optional `usergroups:read` and `usergroups:write` scopes (and a plan with user
//! groups); without them the person is told what to ask their Slack admin for.

use super::api::{ApiError, WebApi};
use crate::config::NudgeMode;
use crate::domain::Platform;
use crate::engine::{team_ctx, TeamCtx};
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// The opt-in user groups of the workspace's `role_post` teams, each once.
pub async fn groups_of(store: &dyn Store, workspace: &str) -> Result<Vec<String>, StoreError> {
    let mut groups: Vec<String> = Vec::new();
    for team in store.teams().await? {
        if team.platform != Platform::Slack || team.workspace_id != workspace {
            continue;
        }
        // A team whose settings cannot be read has no group to follow (the engine reports those).
        let Ok(TeamCtx { settings, .. }) = team_ctx(team) else {
            continue;
        };
        if settings.nudge != NudgeMode::RolePost {
            continue;
        }
        if let Some(group) = settings.opt_in_role {
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    Ok(groups)
}

#[derive(Deserialize)]
struct Members {
    #[serde(default)]
    users: Vec<String>,
}

#[derive(Serialize)]
struct SetMembers<'a> {
    usergroup: &'a str,
    users: String,
}

#[derive(Deserialize)]
struct Nothing {}

/// Adds `user` to `group` (`join`) or removes them. `Err` is the sentence to tell them.
pub async fn follow(api: &WebApi, group: &str, user: &str, join: bool) -> Result<(), String> {
    let members: Members = api
        .get(
            "usergroups.users.list",
            &[("usergroup", group), ("include_disabled", "false")],
        )
        .await
        .map_err(|e| refused(&e, group))?;
    let mut users = members.users;
    let present = users.iter().any(|u| u == user);
    match (join, present) {
        (true, true) | (false, false) => return Ok(()),
        (true, false) => users.push(user.to_string()),
        (false, true) => users.retain(|u| u != user),
    }
    if users.is_empty() {
        // Slack refuses an empty user group; the last one out leaves it to the admin.
        return Err(format!(
            "You were the last one in the opt-in group {group}: Slack does not let a group be emptied, \
             so ask a Slack admin to remove you."
        ));
    }
    let _: Nothing = api
        .post(
            "usergroups.users.update",
            &SetMembers {
                usergroup: group,
                users: users.join(","),
            },
        )
        .await
        .map_err(|e| refused(&e, group))?;
    Ok(())
}

/// What to tell the person when Slack would not change the group.
fn refused(error: &ApiError, group: &str) -> String {
    match error {
        ApiError::Slack { code, .. } if code == "missing_scope" => format!(
            "Amplifier cannot change the opt-in group {group} yet: ask a Slack admin to add the \
             usergroups:read and usergroups:write bot scopes to the app and reinstall it."
        ),
        ApiError::Slack { code, .. } if code == "paid_teams_only" || code == "permission_denied" => format!(
            "Slack would not let Amplifier change the opt-in group {group} ({code}): ask a Slack admin to \
             add you to it, or to allow apps to manage user groups."
        ),
        ApiError::Slack { code, .. } if code == "no_such_subteam" => format!(
            "The opt-in group {group} does not exist in this workspace: ask an admin to set opt_in_role to the \
             group's id (S…)."
        ),
        other => format!(
            "Slack did not change the opt-in group {group} ({other}); try again in a moment."
        ),
    }
}
