//! Syncs the teams of the config file into the store at start, with every person in their roles.

use crate::config::{Config, Members, TeamConfig};
use crate::store::{PersonSpec, Role, Store, StoreError, SyncReport, TeamSpec};
use chrono::{DateTime, Utc};

/// The store's view of one config team: its settings as JSON and everyone named in it with their roles.
pub fn team_spec(team: &TeamConfig) -> TeamSpec {
    let mut people: Vec<PersonSpec> = Vec::new();
    let mut grant =
        |id: &str, role: Role| match people.iter_mut().find(|p| p.platform_user_id == id) {
            Some(person) if !person.roles.contains(&role) => person.roles.push(role),
            Some(_) => {}
            None => people.push(PersonSpec {
                platform_user_id: id.to_string(),
                roles: vec![role],
            }),
        };
    for id in &team.leaders {
        grant(id, Role::Leader);
    }
    for id in &team.approvers {
        grant(id, Role::Approver);
    }
    for id in &team.admins {
        grant(id, Role::Admin);
    }
    if let Members::List(ids) = &team.members {
        for id in ids {
            grant(id, Role::Member);
        }
    }
    TeamSpec {
        name: team.name.trim().to_string(),
        platform: team.platform,
        workspace_id: team.workspace_id.clone(),
        settings_json: serde_json::to_string(team).expect("team settings always serialize"),
        people,
    }
}

/// Makes the database's config teams match the file.
pub async fn sync_config_teams(
    store: &dyn Store,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<SyncReport, StoreError> {
    let specs: Vec<TeamSpec> = config.teams.iter().map(team_spec).collect();
    store.sync_teams(&specs, now).await
}
