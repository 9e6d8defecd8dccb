//! `/amplify join` and `/amplify leave` on Discord: the team's opt-in role granted or taken
//! (`PUT`/`DELETE /guilds/{g}/members/{u}/roles/{r}`) before the engine records the change, so the store and the
//! server agree, and what to tell the member (and so the admin) when Discord refuses.

use super::rest::{codes, Rest};
use crate::domain::Platform;
use crate::store::Store;
use reqwest::Method;
use std::time::Duration;

/// The longest 429 worth waiting out before answering: longer, the member is told to try again.
const LONGEST_WAIT: Duration = Duration::from_secs(5);

pub use crate::chat::command::joining;

/// The opt-in roles of the Discord teams of server `guild`, each once.
pub async fn roles_of(store: &dyn Store, guild: &str) -> Result<Vec<String>, String> {
    let mut roles: Vec<String> = Vec::new();
    for team in store.teams().await.map_err(|e| e.to_string())? {
        if team.platform != Platform::Discord || team.workspace_id != guild {
            continue;
        }
        let settings = crate::engine::team_ctx(team)
            .map_err(|e| e.to_string())?
            .settings;
        if let Some(role) = settings.opt_in_role {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    Ok(roles)
}

/// Gives `user` the role (`join`) or takes it. `Err` is what to tell them: nothing changed.
pub async fn apply(
    rest: &Rest,
    guild: &str,
    user: &str,
    role: &str,
    join: bool,
) -> Result<(), String> {
    let path = format!("/guilds/{guild}/members/{user}/roles/{role}");
    let method = if join { Method::PUT } else { Method::DELETE };
    let (verb, state) = if join {
        ("give you", "you are not in yet")
    } else {
        ("take", "you are still in")
    };
    let taking = if join { "" } else { " from you" };
    let mut answer = match rest.call(method.clone(), &path, None).await {
        Ok(answer) => answer,
        Err(e) => {
            return Err(format!(
                "Discord did not answer ({e}), so {state}. Type the command again in a minute."
            ))
        }
    };
    // Many people joining at once share the route's bucket: a short 429 is waited out once (the gateway defers
    // the interaction meanwhile, and the answer follows through its token).
    if let Some(wait) = answer
        .retry_after
        .filter(|w| answer.status == 429 && *w <= LONGEST_WAIT)
    {
        tokio::time::sleep(wait).await;
        if let Ok(again) = rest.call(method, &path, None).await {
            answer = again;
        }
    }
    if answer.ok() {
        return Ok(());
    }
    Err(match answer.code() {
        Some(codes::MISSING_PERMISSIONS) => format!(
            "Discord did not let me {verb} the team's opt-in role{taking} (Missing Permissions), so \
             {state}. Please tell an admin: in Server Settings → Roles, give Amplifier's role Manage Roles and drag \
             it above the opt-in role; then type the command again."
        ),
        Some(codes::UNKNOWN_ROLE) => format!(
            "The team's opt-in role (id {role}) does not exist in this server any more, so {state}. Please tell an \
             admin to set opt_in_role to an existing role (Server Settings → Roles → ⋯ → Copy Role ID)."
        ),
        _ => format!(
            "Discord refused the role change ({}), so {state}. Type the command again in a minute; if it keeps \
             failing, tell an admin.",
            answer.describe()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_join_and_leave_touch_the_role() {
        assert_eq!(joining("join"), Some(true));
        assert_eq!(joining(" JOIN "), Some(true));
        assert_eq!(joining("leave"), Some(false));
        assert_eq!(
            joining("join now"),
            None,
            "a mistake is the engine's to answer"
        );
        assert_eq!(joining("status"), None);
        assert_eq!(joining("team add member <@1> to Leadership"), None);
    }
}
