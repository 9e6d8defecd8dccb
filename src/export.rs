//! `amplifier export`: a team's posts, drafts with every version, reviews, nudges and share confirmations, as
//! JSON (one document that reads back into [`TeamExport`]) or CSV (one row per record).

use crate::store::{PersonId, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamExport {
    pub team: String,
    pub platform: String,
    pub workspace_id: String,
    pub exported_at: DateTime<Utc>,
    pub drafts: Vec<DraftExport>,
    pub posts: Vec<PostExport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftExport {
    pub id: i64,
    pub author: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub versions: Vec<VersionExport>,
    pub reviews: Vec<ReviewExport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionExport {
    pub version: i64,
    pub editor: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewExport {
    pub version: i64,
    pub reviewer: String,
    pub decision: String,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostExport {
    pub id: i64,
    pub draft: i64,
    pub author: String,
    pub version: i64,
    pub body: String,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub canonical_url: Option<String>,
    pub nudges: Vec<NudgeExport>,
    pub shares: Vec<ShareExport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NudgeExport {
    pub person: String,
    pub status: String,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareExport {
    pub person: String,
    pub network: String,
    pub url: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("there is no team \"{0}\": `amplifier check` lists the config's teams")]
    NoTeam(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Everything the team produced. People are named by their platform ids.
pub async fn export_team(
    store: &dyn Store,
    name: &str,
    now: DateTime<Utc>,
) -> Result<TeamExport, ExportError> {
    let team = store
        .team_by_name(name)
        .await?
        .ok_or_else(|| ExportError::NoTeam(name.to_string()))?;
    let mut names: HashMap<PersonId, String> = HashMap::new();
    let mut name_of = async |id: PersonId| -> Result<String, StoreError> {
        if let Some(name) = names.get(&id) {
            return Ok(name.clone());
        }
        let name = store
            .person(id)
            .await?
            .map_or_else(|| format!("person {}", id.0), |p| p.platform_user_id);
        names.insert(id, name.clone());
        Ok(name)
    };
    let mut drafts = Vec::new();
    for draft in store.drafts_of_team(team.id).await? {
        let mut versions = Vec::new();
        for v in store.draft_versions(draft.id).await? {
            versions.push(VersionExport {
                version: v.version,
                editor: name_of(v.editor_id).await?,
                body: v.body,
                at: v.created_at,
            });
        }
        let mut reviews = Vec::new();
        for r in store.reviews(draft.id).await? {
            reviews.push(ReviewExport {
                version: r.version,
                reviewer: name_of(r.reviewer_id).await?,
                decision: r.decision.as_str().to_string(),
                comment: r.comment,
                at: r.decided_at,
            });
        }
        drafts.push(DraftExport {
            id: draft.id.0,
            author: name_of(draft.author_id).await?,
            status: draft.status.as_str().to_string(),
            created_at: draft.created_at,
            versions,
            reviews,
        });
    }
    let mut posts = Vec::new();
    for post in store.posts_of_team(team.id).await? {
        let mut nudges = Vec::new();
        for n in store.nudges(post.id).await? {
            nudges.push(NudgeExport {
                person: name_of(n.person_id).await?,
                status: n.status.as_str().to_string(),
                sent_at: n.sent_at,
            });
        }
        let mut shares = Vec::new();
        for s in store.shares(post.id).await? {
            shares.push(ShareExport {
                person: name_of(s.person_id).await?,
                network: s.network.as_str().to_string(),
                url: s.url,
                at: s.confirmed_at,
            });
        }
        posts.push(PostExport {
            id: post.id.0,
            draft: post.draft_id.0,
            author: name_of(post.author_id).await?,
            version: post.version,
            body: post.body,
            status: post.status.as_str().to_string(),
            published_at: post.published_at,
            canonical_url: post.canonical_url,
            nudges,
            shares,
        });
    }
    Ok(TeamExport {
        team: team.name,
        platform: team.platform.as_str().to_string(),
        workspace_id: team.workspace_id,
        exported_at: now,
        drafts,
        posts,
    })
}

/// One CSV row per record: `record` says which (version, review, post, nudge, share), `draft`/`post` link them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvRow {
    pub record: String,
    pub draft: Option<i64>,
    pub post: Option<i64>,
    pub version: Option<i64>,
    pub person: String,
    pub status: String,
    pub network: Option<String>,
    pub url: Option<String>,
    pub text: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

pub fn csv_rows(export: &TeamExport) -> Vec<CsvRow> {
    let mut rows = Vec::new();
    let row = |record: &str, person: &str, status: &str| CsvRow {
        record: record.to_string(),
        draft: None,
        post: None,
        version: None,
        person: person.to_string(),
        status: status.to_string(),
        network: None,
        url: None,
        text: None,
        at: None,
    };
    for d in &export.drafts {
        for v in &d.versions {
            rows.push(CsvRow {
                draft: Some(d.id),
                version: Some(v.version),
                text: Some(v.body.clone()),
                at: Some(v.at),
                ..row("version", &v.editor, &d.status)
            });
        }
        for r in &d.reviews {
            rows.push(CsvRow {
                draft: Some(d.id),
                version: Some(r.version),
                text: r.comment.clone(),
                at: Some(r.at),
                ..row("review", &r.reviewer, &r.decision)
            });
        }
    }
    for p in &export.posts {
        rows.push(CsvRow {
            draft: Some(p.draft),
            post: Some(p.id),
            version: Some(p.version),
            url: p.canonical_url.clone(),
            text: Some(p.body.clone()),
            at: p.published_at,
            ..row("post", &p.author, &p.status)
        });
        for n in &p.nudges {
            rows.push(CsvRow {
                post: Some(p.id),
                at: n.sent_at,
                ..row("nudge", &n.person, &n.status)
            });
        }
        for s in &p.shares {
            rows.push(CsvRow {
                post: Some(p.id),
                network: Some(s.network.clone()),
                url: s.url.clone(),
                at: Some(s.at),
                ..row("share", &s.person, "confirmed")
            });
        }
    }
    rows
}

/// The export as CSV text with a header row.
pub fn to_csv(export: &TeamExport) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let rows = csv_rows(export);
    if rows.is_empty() {
        // The writer learns the header from the first record; an empty export still gets one.
        writer.write_record([
            "record", "draft", "post", "version", "person", "status", "network", "url", "text",
            "at",
        ])?;
    }
    for row in rows {
        writer.serialize(row)?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
