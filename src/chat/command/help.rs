//! The usage text `help` answers with: one line per command, in the product's words.

use super::lex::keyword;

/// One command's usage line, and what `help TOPIC` adds to it.
struct Usage {
    topic: &'static str,
    line: &'static str,
    more: &'static [&'static str],
}

const EVERYONE: &[Usage] = &[
    Usage {
        topic: "help",
        line: "/amplify help [TOPIC] — this list, or more on one command (e.g. /amplify help pause)",
        more: &[],
    },
    Usage {
        topic: "status",
        line: "/amplify status — your open asks, drafts and share nudges",
        more: &[],
    },
    Usage {
        topic: "draft",
        line: "/amplify draft [TEXT] — start a draft now; any text you add becomes its first version",
        more: &["Without text, Amplifier opens the editor for you."],
    },
    Usage {
        topic: "skip",
        line: "/amplify skip — skip this week's prompt",
        more: &[],
    },
    Usage {
        topic: "pause",
        line: "/amplify pause until DATE — no prompts or nudges until that day",
        more: &[
            "DATE can be 2026-12-24, Dec 24, 24 Dec, December 24 2027, tomorrow, a weekday (friday = the next Friday), in 3 days, in 2 weeks or in a month.",
            "A day without a year is its next occurrence. At most a year ahead; /amplify resume ends a pause early.",
        ],
    },
    Usage {
        topic: "resume",
        line: "/amplify resume — end your pause",
        more: &[],
    },
    Usage {
        topic: "mute",
        line: "/amplify mute — stop share nudges (prompts for leaders continue)",
        more: &[],
    },
    Usage {
        topic: "unmute",
        line: "/amplify unmute — get share nudges again",
        more: &[],
    },
    Usage {
        topic: "timezone",
        line: "/amplify timezone [ZONE] — show your time zone, or set it (e.g. /amplify timezone Europe/Paris)",
        more: &["ZONE is an IANA name such as Europe/Paris, America/New_York or Asia/Kolkata. Nudges arrive in your working hours there."],
    },
    Usage {
        topic: "mastodon",
        line: "/amplify mastodon [HOST] — show or set your Mastodon instance (e.g. /amplify mastodon mastodon.social)",
        more: &["Share links for Mastodon open on your own instance, where your account is."],
    },
    Usage {
        topic: "stats",
        line: "/amplify stats — your posts, shares and streak",
        more: &[],
    },
    Usage {
        topic: "leaderboard",
        line: "/amplify leaderboard — who in your teams shared most",
        more: &[],
    },
    Usage {
        topic: "join",
        line: "/amplify join — join the community: get asked to share published posts",
        more: &[],
    },
    Usage {
        topic: "leave",
        line: "/amplify leave — leave the community",
        more: &[],
    },
    Usage {
        topic: "forget-me",
        line: "/amplify forget-me — delete everything Amplifier stores about you",
        more: &[
            "You get a Forget me button first; nothing is deleted until you press it.",
            "Your drafts, posts, reviews, shares and settings go; only anonymous counts stay. Posts already in the share channel stay on the platform: delete those there.",
        ],
    },
];

const TEAM: &[&str] = &[
    "/amplify team list — all teams",
    "/amplify team show TEAM — a team's people and settings",
    "/amplify team create TEAM — a new team (quote names with spaces: \"Leadership EU\")",
    "/amplify team add leader|approver|member @someone [@someone…] to TEAM",
    "/amplify team remove leader|approver|member @someone [@someone…] from TEAM",
    "/amplify team set schedule TEAM CRON — when prompts go out, e.g. 0 9 * * 1 (Mondays at 09:00)",
    "/amplify team set channel TEAM #channel — where approved posts appear",
    "/amplify team set networks TEAM linkedin,x,bluesky — where members share",
    "/amplify team set prompts TEAM PACK — the questions leaders are asked (default, or a pack's name)",
    "/amplify team set timezone TEAM ZONE — the zone the schedule runs in, e.g. Europe/Paris",
];

const TEAM_MORE: &[&str] = &[
    "Team commands are for admins. Quote team names with spaces: /amplify team create \"Leadership EU\".",
    "Mention people with @ and channels with #; groups such as @here or @everyone cannot be added.",
    "Networks: linkedin, x, bluesky, mastodon, threads, facebook.",
];

/// Usage in plain text: everything, or one topic (a command word; `team` for the admin commands).
/// An unknown topic gets the whole list, after saying so.
pub fn help_text(topic: Option<&str>) -> String {
    let mut lines: Vec<String> = Vec::new();
    if let Some(topic) = topic {
        let k = keyword(topic);
        let k = match k.as_str() {
            "forget" | "forgetme" => "forget-me".to_string(),
            "teams" => "team".to_string(),
            "tz" | "time-zone" => "timezone".to_string(),
            _ => k,
        };
        if k == "team" {
            lines.extend(TEAM.iter().map(|l| l.to_string()));
            lines.extend(TEAM_MORE.iter().map(|l| l.to_string()));
            return lines.join("\n");
        }
        if let Some(usage) = EVERYONE.iter().find(|u| u.topic == k) {
            lines.push(usage.line.to_string());
            lines.extend(usage.more.iter().map(|l| l.to_string()));
            return lines.join("\n");
        }
        lines.push(format!(
            "There is no help on \"{}\"; here is everything.",
            super::cut(&super::lex::clean_name(topic), 40)
        ));
    }
    lines.push("Amplifier commands (the same on Slack and Discord):".to_string());
    lines.extend(EVERYONE.iter().map(|u| u.line.to_string()));
    lines.push("For admins:".to_string());
    lines.extend(TEAM.iter().map(|l| l.to_string()));
    lines.join("\n")
}
