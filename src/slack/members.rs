//! Who is in a share channel at start: for teams whose members are "everyone in the share channel", the
//! channel's current members join the team (later joins and leaves arrive as events).

use super::api::{ApiError, WebApi};
use crate::chat::{Event, EventKind};
use crate::clock::Clock;
use crate::config::Members;
use crate::domain::Platform;
use crate::engine::{team_ctx, Engine};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Page {
    members: Vec<String>,
    #[serde(default)]
    response_metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    next_cursor: String,
}

/// Why the share channels' members could not be listed or applied.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("listing the members of {channel}")]
    Members {
        channel: String,
        #[source]
        source: ApiError,
    },
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
}

/// Pages through `conversations.members` of every share channel that defines a team in this workspace and
/// hands each member to the engine as a join (keyed per day, so a restart adds only who is new).
/// Returns how many joins were applied.
pub async fn seed_share_channels(
    api: &WebApi,
    engine: &Engine,
    clock: &dyn Clock,
    workspace: &str,
    bot_user: &str,
) -> Result<usize, SeedError> {
    let mut applied = 0;
    let teams = engine.store().teams().await?;
    for team in teams {
        if team.platform != Platform::Slack || team.workspace_id != workspace {
            continue;
        }
        let Ok(ctx) = team_ctx(team) else { continue };
        if ctx.settings.members != Members::ShareChannel {
            continue;
        }
        let channel = ctx.settings.share_channel.clone();
        let mut cursor = String::new();
        loop {
            let mut params = vec![("channel", channel.as_str()), ("limit", "200")];
            if !cursor.is_empty() {
                params.push(("cursor", cursor.as_str()));
            }
            let page: Page = api
                .get("conversations.members", &params)
                .await
                .map_err(|source| SeedError::Members {
                    channel: channel.clone(),
                    source,
                })?;
            let day = clock.now().format("%Y-%m-%d").to_string();
            for user in page.members.iter().filter(|u| u.as_str() != bot_user) {
                let event = Event {
                    platform: Platform::Slack,
                    workspace_id: workspace.to_string(),
                    person: user.clone(),
                    channel: Some(channel.clone()),
                    key: format!("seed:{channel}:{user}:{day}"),
                    kind: EventKind::MemberJoined,
                };
                if engine.handle(&event, clock.now()).await? == crate::engine::Handled::Applied {
                    applied += 1;
                }
            }
            cursor = page
                .response_metadata
                .map(|m| m.next_cursor)
                .unwrap_or_default();
            if cursor.is_empty() {
                break;
            }
        }
    }
    Ok(applied)
}
