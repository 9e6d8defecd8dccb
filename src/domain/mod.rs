//! The product's vocabulary and pure rules: platforms, networks, publish modes and the shapes of platform ids.

pub mod ids;

use serde::{Deserialize, Serialize};
use std::fmt;

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
