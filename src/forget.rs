//! `amplifier forget --person ID`: an admin deletes a person's personal data on their behalf (the same
//! [`Store::forget_person`] as `/amplify forget-me`), audited as done by `cli`.

use crate::store::{ForgetReport, Person, Store, StoreError};
use chrono::{DateTime, Utc};

/// Who the audit entry says asked for a forget made on the command line.
pub const ACTOR: &str = "cli";

#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    #[error("nobody with the id \"{0}\" is stored, so there is nothing to forget (give their platform user id, e.g. U0123ABCD on Slack or a Discord user id)")]
    NoPerson(String),
    #[error(
        "\"{id}\" is not stored in team {team}'s workspace, so there is nothing to forget there"
    )]
    NotInTeam { id: String, team: String },
    #[error("there is no team \"{0}\": `amplifier check` lists the config's teams")]
    NoTeam(String),
    #[error("\"{id}\" names a person in several workspaces ({places}): add --team NAME to say whose data to delete")]
    Ambiguous { id: String, places: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Finds the person behind a platform user id (in `team`'s workspace when given) and forgets them.
pub async fn forget(
    store: &dyn Store,
    platform_user_id: &str,
    team: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Person, ForgetReport), ForgetError> {
    let id = platform_user_id.trim();
    let person = match team {
        Some(name) => {
            let team = store
                .team_by_name(name)
                .await?
                .ok_or_else(|| ForgetError::NoTeam(name.to_string()))?;
            store
                .person_by_platform_id(team.platform, &team.workspace_id, id)
                .await?
                .ok_or_else(|| ForgetError::NotInTeam {
                    id: id.to_string(),
                    team: team.name.clone(),
                })?
        }
        None => {
            let mut people = store.people_by_platform_user_id(id).await?;
            match people.len() {
                0 => return Err(ForgetError::NoPerson(id.to_string())),
                1 => people.remove(0),
                _ => {
                    return Err(ForgetError::Ambiguous {
                        id: id.to_string(),
                        places: people
                            .iter()
                            .map(|p| format!("{} {}", p.platform, p.workspace_id))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
        }
    };
    let tx = store.begin().await?;
    let report = tx.forget_person(person.id, ACTOR, now).await?;
    tx.commit().await?;
    Ok((person, report))
}
