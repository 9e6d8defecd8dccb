//! What the routine has done so far, counted from the store: to show that a duplicate or a refused forgery
//! changed nothing.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use amplifier::store::{OutboxId, Store};

/// Counts of everything an event can cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub outbox_rows: i64,
    pub drafts: Vec<(i64, String, i64)>,
    pub versions: usize,
    pub reviews: usize,
    pub posts: Vec<(i64, String)>,
    pub nudges: usize,
    pub shares: usize,
    pub paused_or_muted: Vec<String>,
}

/// The state of every team in the store.
pub async fn state(store: &dyn Store) -> anyhow::Result<State> {
    let mut outbox_rows = 0;
    while store
        .outbox_message(OutboxId(outbox_rows + 1))
        .await?
        .is_some()
    {
        outbox_rows += 1;
    }
    let mut s = State {
        outbox_rows,
        drafts: Vec::new(),
        versions: 0,
        reviews: 0,
        posts: Vec::new(),
        nudges: 0,
        shares: 0,
        paused_or_muted: Vec::new(),
    };
    for team in store.teams().await? {
        for draft in store.drafts_of_team(team.id).await? {
            s.drafts.push((
                draft.id.0,
                draft.status.as_str().to_string(),
                draft.current_version,
            ));
            s.versions += store.draft_versions(draft.id).await?.len();
            s.reviews += store.reviews(draft.id).await?.len();
        }
        for post in store.posts_of_team(team.id).await? {
            s.posts.push((post.id.0, post.status.as_str().to_string()));
            s.nudges += store.nudges(post.id).await?.len();
            s.shares += store.shares(post.id).await?.len();
        }
        for (person, _) in store.team_people(team.id).await? {
            if person.paused_until.is_some() || person.muted {
                s.paused_or_muted.push(person.platform_user_id.clone());
            }
        }
    }
    s.paused_or_muted.sort();
    s.paused_or_muted.dedup();
    Ok(s)
}

/// The audit entries with this action.
pub async fn audited(
    store: &dyn Store,
    action: &str,
) -> anyhow::Result<Vec<(String, String, String)>> {
    Ok(store
        .audit_log(None, 100_000)
        .await?
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| (e.actor, e.subject, e.detail_json))
        .collect())
}
