//! Compact action ids carried by buttons and modals, e.g. `ap:42:3`: short enough for every platform (Discord allows 100).

use crate::domain::Network;
use std::fmt;

/// What a button or a modal submit asks for, with the ids it acts on. Every id is checked again by the engine:
/// an action id is user-controlled input (a forged payload can carry any value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Prompt: open the editor for an ask.
    WriteInEditor { ask: i64 },
    /// Prompt: skip this week.
    SkipAsk { ask: i64 },
    /// Prompt: ask again tomorrow.
    RemindTomorrow { ask: i64 },
    /// `/amplify draft` with no text: the editor for a new draft.
    NewDraft,
    /// Draft preview: send the current version to review.
    SubmitDraft { draft: i64 },
    /// Draft preview: open the editor with the current text.
    EditDraft { draft: i64 },
    /// Draft preview: throw the draft away.
    DiscardDraft { draft: i64 },
    /// Review: approve this version.
    Approve { draft: i64, version: i64 },
    /// Review: open the editor, then approve the edited text.
    EditAndApprove { draft: i64, version: i64 },
    /// Review: ask for changes (opens a comment box).
    RequestChanges { draft: i64, version: i64 },
    /// Review: reject.
    Reject { draft: i64, version: i64 },
    /// Leader posts first: the leader will paste the link of their own post (opens an input).
    PasteLink { post: i64 },
    /// Leader posts first: publish without a link of the leader's own.
    SkipOwnPost { post: i64 },
    /// Publish now instead of at the next slot.
    PublishNow { post: i64 },
    /// A member shared the post on a network.
    Shared { post: i64, network: Network },
    /// A member pastes the link of their share (opens an input).
    PasteShareLink { post: i64 },
    /// A member will not share this one.
    NotThisTime { post: i64 },
    /// `/amplify forget-me`, confirmed: delete everything stored about whoever pressed it.
    ForgetMe,
}

impl Action {
    /// Parses a compact id; `None` for anything malformed (treated as a forged or stale payload).
    pub fn parse(id: &str) -> Option<Action> {
        if id.len() > 100 {
            return None;
        }
        let mut parts = id.split(':');
        let verb = parts.next()?;
        let mut num = || {
            parts
                .next()
                .and_then(|p| p.parse::<i64>().ok())
                .filter(|n| *n > 0)
        };
        let action = match verb {
            "nd" => Action::NewDraft,
            "fm" => Action::ForgetMe,
            "we" => Action::WriteInEditor { ask: num()? },
            "sk" => Action::SkipAsk { ask: num()? },
            "rt" => Action::RemindTomorrow { ask: num()? },
            "su" => Action::SubmitDraft { draft: num()? },
            "ed" => Action::EditDraft { draft: num()? },
            "di" => Action::DiscardDraft { draft: num()? },
            "ap" => Action::Approve {
                draft: num()?,
                version: num()?,
            },
            "ea" => Action::EditAndApprove {
                draft: num()?,
                version: num()?,
            },
            "rc" => Action::RequestChanges {
                draft: num()?,
                version: num()?,
            },
            "rj" => Action::Reject {
                draft: num()?,
                version: num()?,
            },
            "pl" => Action::PasteLink { post: num()? },
            "so" => Action::SkipOwnPost { post: num()? },
            "pn" => Action::PublishNow { post: num()? },
            "sh" => {
                let post = num()?;
                let network = parts.next()?.parse().ok()?;
                Action::Shared { post, network }
            }
            "ps" => Action::PasteShareLink { post: num()? },
            "nt" => Action::NotThisTime { post: num()? },
            _ => return None,
        };
        // Trailing parts mean the id was not made by us.
        parts.next().is_none().then_some(action)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::NewDraft => write!(f, "nd"),
            Action::ForgetMe => write!(f, "fm"),
            Action::WriteInEditor { ask } => write!(f, "we:{ask}"),
            Action::SkipAsk { ask } => write!(f, "sk:{ask}"),
            Action::RemindTomorrow { ask } => write!(f, "rt:{ask}"),
            Action::SubmitDraft { draft } => write!(f, "su:{draft}"),
            Action::EditDraft { draft } => write!(f, "ed:{draft}"),
            Action::DiscardDraft { draft } => write!(f, "di:{draft}"),
            Action::Approve { draft, version } => write!(f, "ap:{draft}:{version}"),
            Action::EditAndApprove { draft, version } => write!(f, "ea:{draft}:{version}"),
            Action::RequestChanges { draft, version } => write!(f, "rc:{draft}:{version}"),
            Action::Reject { draft, version } => write!(f, "rj:{draft}:{version}"),
            Action::PasteLink { post } => write!(f, "pl:{post}"),
            Action::SkipOwnPost { post } => write!(f, "so:{post}"),
            Action::PublishNow { post } => write!(f, "pn:{post}"),
            Action::Shared { post, network } => write!(f, "sh:{post}:{network}"),
            Action::PasteShareLink { post } => write!(f, "ps:{post}"),
            Action::NotThisTime { post } => write!(f, "nt:{post}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_and_stays_short() {
        let max = i64::MAX;
        let all = [
            Action::WriteInEditor { ask: max },
            Action::SkipAsk { ask: 1 },
            Action::NewDraft,
            Action::RemindTomorrow { ask: 2 },
            Action::SubmitDraft { draft: 3 },
            Action::EditDraft { draft: 4 },
            Action::DiscardDraft { draft: 5 },
            Action::Approve {
                draft: max,
                version: max,
            },
            Action::EditAndApprove {
                draft: 6,
                version: 1,
            },
            Action::RequestChanges {
                draft: 7,
                version: 2,
            },
            Action::Reject {
                draft: 8,
                version: 3,
            },
            Action::PasteLink { post: 9 },
            Action::SkipOwnPost { post: 10 },
            Action::PublishNow { post: 11 },
            Action::Shared {
                post: max,
                network: Network::Linkedin,
            },
            Action::PasteShareLink { post: 12 },
            Action::NotThisTime { post: 13 },
            Action::ForgetMe,
        ];
        for action in all {
            let id = action.to_string();
            assert!(id.len() <= 100, "{id}");
            assert_eq!(Action::parse(&id), Some(action));
        }
    }

    #[test]
    fn forged_or_malformed_ids_are_refused() {
        for id in [
            "",
            "ap",
            "ap:1",
            "ap:x:1",
            "ap:1:2:3",
            "zz:1",
            "sh:1:myspace",
            "ap:-1:1",
            "ap:0:1",
            "we:99999999999999999999",
        ] {
            assert_eq!(Action::parse(id), None, "{id}");
        }
        assert_eq!(Action::parse(&"a".repeat(1000)), None);
    }
}
