//! What each platform's ids look like, so a config typo is caught before the bot talks to anyone.

use super::Platform;

/// The kind of thing an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Workspace,
    User,
    Channel,
    Application,
}

/// Whether `id` has the shape of a `kind` id on `platform`.
pub fn looks_like(platform: Platform, kind: IdKind, id: &str) -> bool {
    match platform {
        Platform::Slack => {
            let prefixes: &[char] = match kind {
                IdKind::Workspace => &['T', 'E'],
                IdKind::User => &['U', 'W'],
                IdKind::Channel => &['C', 'G'],
                IdKind::Application => &['A'],
            };
            let mut chars = id.chars();
            chars.next().is_some_and(|c| prefixes.contains(&c))
                && id.len() >= 7
                && id.len() <= 20
                && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }
        // Discord ids are snowflakes: 64-bit integers written in decimal, 17 to 20 digits today.
        Platform::Discord => {
            (17..=20).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_digit())
                && id.parse::<u64>().is_ok()
        }
        // Shell ids are the names people type after `/as`.
        Platform::Shell => {
            !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        }
    }
}

/// How to describe the expected shape in an error message.
pub fn expected_shape(platform: Platform, kind: IdKind) -> &'static str {
    match (platform, kind) {
        (Platform::Slack, IdKind::Workspace) => {
            "a Slack workspace id: T followed by capital letters and digits, e.g. T0123ABCD (Slack: workspace menu → Settings → About this workspace)"
        }
        (Platform::Slack, IdKind::User) => {
            "a Slack member id: U or W followed by capital letters and digits, e.g. U012AB3CD (Slack: the person's profile → ⋮ → Copy member ID)"
        }
        (Platform::Slack, IdKind::Channel) => {
            "a Slack channel id: C or G followed by capital letters and digits, e.g. C0123ABCD (Slack: channel details → About, at the bottom)"
        }
        (Platform::Slack, IdKind::Application) => "a Slack app id such as A0123ABCD",
        (Platform::Discord, IdKind::Workspace) => {
            "a Discord server (guild) id: 17 to 20 digits (Discord: enable Developer Mode, right-click the server → Copy Server ID)"
        }
        (Platform::Discord, IdKind::User) => {
            "a Discord user id: 17 to 20 digits (Discord: enable Developer Mode, right-click the person → Copy User ID)"
        }
        (Platform::Discord, IdKind::Channel) => {
            "a Discord channel id: 17 to 20 digits (Discord: enable Developer Mode, right-click the channel → Copy Channel ID)"
        }
        (Platform::Discord, IdKind::Application) => {
            "a Discord application id: 17 to 20 digits (Developer Portal → your app → General Information)"
        }
        (Platform::Shell, _) => "a short name of letters, digits, '_', '-' or '.', e.g. alice",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_ids() {
        assert!(looks_like(Platform::Slack, IdKind::User, "U012AB3CD"));
        assert!(looks_like(Platform::Slack, IdKind::User, "W012AB3CD"));
        assert!(!looks_like(Platform::Slack, IdKind::User, "C012AB3CD"));
        assert!(!looks_like(Platform::Slack, IdKind::User, "u012ab3cd"));
        assert!(!looks_like(Platform::Slack, IdKind::User, "@alice"));
        assert!(looks_like(Platform::Slack, IdKind::Channel, "C0123ABCD"));
        assert!(!looks_like(Platform::Slack, IdKind::Channel, "#general"));
        assert!(looks_like(Platform::Slack, IdKind::Workspace, "T0123ABCD"));
    }

    #[test]
    fn discord_ids() {
        assert!(looks_like(
            Platform::Discord,
            IdKind::User,
            "80351110224678912"
        ));
        assert!(!looks_like(Platform::Discord, IdKind::User, "1234"));
        assert!(!looks_like(
            Platform::Discord,
            IdKind::User,
            "99999999999999999999"
        ));
        assert!(!looks_like(Platform::Discord, IdKind::Channel, "U012AB3CD"));
    }

    #[test]
    fn shell_ids() {
        assert!(looks_like(Platform::Shell, IdKind::User, "alice"));
        assert!(!looks_like(Platform::Shell, IdKind::User, "alice smith"));
        assert!(!looks_like(Platform::Shell, IdKind::User, ""));
    }
}
