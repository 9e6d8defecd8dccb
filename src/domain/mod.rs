//! The product's vocabulary and pure rules: platforms, networks, publish modes and the shapes of platform ids.

pub mod ids;
pub mod share_kit;
pub mod working_hours;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Whether `text` shows nothing: only whitespace, control and format characters (zero-width spaces, direction
/// marks). Kept, it would become a draft, a review and a post nobody can read.
pub fn is_blank(text: &str) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    text.chars().all(|c| {
        c.is_whitespace()
            || matches!(
                c.general_category(),
                GeneralCategory::Control | GeneralCategory::Format
            )
    })
}

/// A word that names none of an enum's values (a platform, a network).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} \"{value}\": use one of {expected}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

/// Parses a lowercase name among `all`, for enums with an `as_str`.
fn parse_name<T: Copy>(
    kind: &'static str,
    value: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, UnknownName> {
    all.iter()
        .copied()
        .find(|v| name(*v) == value)
        .ok_or_else(|| UnknownName {
            kind,
            value: value.to_string(),
            expected: all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", "),
        })
}

/// Where a team lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Slack,
    Discord,
    /// The local terminal adapter: every flow with no tokens.
    Shell,
}

impl Platform {
    pub const ALL: &'static [Platform] = &[Platform::Slack, Platform::Discord, Platform::Shell];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Slack => "slack",
            Platform::Discord => "discord",
            Platform::Shell => "shell",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A social network a post can be shared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Linkedin,
    #[serde(alias = "twitter")]
    X,
    Bluesky,
    Mastodon,
    Threads,
    Facebook,
}

impl Network {
    pub const ALL: &'static [Network] = &[
        Network::Linkedin,
        Network::X,
        Network::Bluesky,
        Network::Mastodon,
        Network::Threads,
        Network::Facebook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Linkedin => "linkedin",
            Network::X => "x",
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
            Network::Threads => "threads",
            Network::Facebook => "facebook",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        parse_name("platform", s, Platform::ALL, Platform::as_str)
    }
}

impl TryFrom<String> for Platform {
    type Error = UnknownName;
    fn try_from(s: String) -> Result<Self, UnknownName> {
        s.parse()
    }
}

impl FromStr for Network {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        parse_name("network", s, Network::ALL, Network::as_str)
    }
}

impl TryFrom<String> for Network {
    type Error = UnknownName;
    fn try_from(s: String) -> Result<Self, UnknownName> {
        s.parse()
    }
}

/// How an approved draft reaches the networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishMode {
    /// The leader posts on their own account first; the team amplifies that post.
    #[default]
    LeaderPostsFirst,
    /// Members post the approved text themselves.
    TeamSharesText,
}

#[cfg(test)]
mod blank_tests {
    use super::is_blank;

    #[test]
    fn text_of_only_invisible_characters_is_blank() {
        for blank in [
            "",
            " \n\t",
            "\u{200B}\u{200D}\u{2060}\u{FEFF}",
            "\u{202E}\u{0007}",
            "\u{00AD}",
        ] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for shown in ["a", "\u{200B}a", "\u{0301}", "👨\u{200D}👩", "\u{3000}。"] {
            assert!(!is_blank(shown), "{shown:?}");
        }
    }
}
