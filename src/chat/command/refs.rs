//! People and channels named in commands: the platform-neutral mention forms the adapters produce
//! (`<@ID>`, `<#ID>`), or a bare id.

use std::fmt;

use super::lex::clean_id;

/// A person, by platform user id (`U012AB3CD` on Slack, a snowflake on Discord).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserRef(pub String);

/// A channel, by platform channel id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelRef(pub String);

impl fmt::Display for UserRef {
    /// As a mention, so a reply that names the person shows their name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<@{}>", self.0)
    }
}

impl fmt::Display for ChannelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<#{}>", self.0)
    }
}

/// Longer than any platform's ids (Slack's are ≤ 20 characters, Discord's ≤ 20 digits, shell
/// names ≤ 64), so nothing real is refused and nothing absurd is stored.
const MAX_ID_LEN: usize = 64;

/// What was named, before checking it is the kind of thing wanted.
enum Named {
    User(String),
    Channel(String),
    /// A bare id: which kind and platform it belongs to is the behaviour's business, except that
    /// Slack ids say their kind in their first letter.
    Bare(String),
}

/// Reads a person. The error says what was wrong in the product's words.
pub(super) fn user_ref(word: &str) -> Result<UserRef, String> {
    match named(word)? {
        Named::User(id) => Ok(UserRef(id)),
        Named::Bare(id) if !slack_kind(&id, &['C', 'G']) => Ok(UserRef(id)),
        Named::Channel(_) | Named::Bare(_) => Err(format!(
            "{} is a channel, not a person — mention the person with @",
            super::shown(word)
        )),
    }
}

/// Reads a channel. The error says what was wrong in the product's words.
pub(super) fn channel_ref(word: &str) -> Result<ChannelRef, String> {
    match named(word)? {
        Named::Channel(id) => Ok(ChannelRef(id)),
        Named::Bare(id) if !slack_kind(&id, &['U', 'W']) => Ok(ChannelRef(id)),
        Named::User(_) | Named::Bare(_) => Err(format!(
            "{} is a person, not a channel — link the channel with #",
            super::shown(word)
        )),
    }
}

fn named(word: &str) -> Result<Named, String> {
    let word = clean_id(word);
    let shown = super::shown(&word);
    let group = || {
        Err(format!(
            "{shown} names a group, not a person or channel — mention people one by one"
        ))
    };
    if let Some(inner) = word.strip_prefix('<').and_then(|w| w.strip_suffix('>')) {
        // Slack appends the display name after `|`; only the id counts.
        let inner = inner.split('|').next().unwrap_or_default();
        if inner.starts_with('!') || inner.starts_with("@&") {
            // <!everyone>, <!here>, <!channel>, <!subteam^S123> (Slack); <@&123> (Discord roles).
            return group();
        }
        if let Some(id) = inner.strip_prefix('@') {
            // Discord writes nickname mentions as <@!123>.
            let id = id.strip_prefix('!').unwrap_or(id);
            return bare_id(id, &shown).map(Named::User);
        }
        if let Some(id) = inner.strip_prefix('#') {
            return bare_id(id, &shown).map(Named::Channel);
        }
        return Err(format!("{shown} is not a mention of a person or a channel"));
    }
    let lower = word.to_lowercase();
    if matches!(
        lower.as_str(),
        "@everyone" | "@here" | "@channel" | "everyone" | "here" | "channel"
    ) {
        return group();
    }
    if word.starts_with('@') {
        return Err(format!(
            "{shown} is plain text, not a mention — pick the person from the list that opens when you type @, or give their member id"
        ));
    }
    if word.starts_with('#') {
        return Err(format!(
            "{shown} is plain text, not a channel link — pick the channel from the list that opens when you type #, or give its channel id"
        ));
    }
    bare_id(&word, &shown).map(Named::Bare)
}

/// Whether `id` is shaped like a Slack id whose first letter is one of `kinds` (`U…` people,
/// `C…`/`G…` channels).
fn slack_kind(id: &str, kinds: &[char]) -> bool {
    id.len() >= 7
        && id.starts_with(kinds)
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn bare_id(id: &str, shown: &str) -> Result<String, String> {
    let fits = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if fits {
        Ok(id.to_string())
    } else {
        Err(format!(
            "{shown} is not a mention or an id — mention people with @ and channels with #"
        ))
    }
}
