//! The command grammar: what people type after `/amplify` (Slack's command text, or Discord's
//! subcommands flattened into the same words) read into a typed [`Command`], and every mistake
//! answered with what to type instead.
//!
//! Pure: no clock (`today` is an argument, in the person's own zone), no store, no platform.
//! Whether the person may run a command, and what it does, is the behaviour's business.
//!
//! # Grammar
//! Words are case-insensitive; any whitespace separates them; invisible characters (zero-width
//! spaces, direction marks, control characters) are ignored in words. Names with spaces are quoted
//! with straight or curly quotes: `"Leadership EU"`. Empty text means `help`.
//!
//! ```text
//! help [TOPIC]                 status                     draft [TEXT…]   (text kept verbatim)
//! skip                         pause until DATE           resume
//! mute                         unmute                     timezone [ZONE]  (no zone: show mine)
//! stats                        leaderboard                join            leave
//! forget-me
//!
//! team list
//! team show NAME
//! team create NAME
//! team add ROLE PERSON… to NAME          ROLE: leader | approver | member (plural too)
//! team remove ROLE PERSON… from NAME     PERSON: <@ID> or a bare id; several, space or comma separated
//! team set schedule NAME CRON…           the rest of the line is the cron expression
//! team set channel NAME CHANNEL          CHANNEL: <#ID> or a bare id
//! team set networks NAME NETWORK…        linkedin,x,bluesky or linkedin x bluesky
//! team set prompts NAME PACK             default, or the name of a pack
//! team set timezone NAME ZONE
//! ```
//!
//! DATE: `2026-12-24`, `Dec 24`, `24 Dec`, `December 24 2027`, `tomorrow`, a weekday (`monday`: the
//! next Monday after today), `in 3 days`, `in 2 weeks`, `in a month`; after today and at most a
//! year ahead. A day and month without a year is their next occurrence. (`until` may be left out.)
//!
//! Mentions arrive platform-neutral: adapters turn Slack's `<@U123|name>` and Discord's `<@!123>`
//! into `<@U123>` / `<@123>`, channels into `<#C123>` / `<#123>` (the unnormalized forms are
//! accepted too). Group mentions (`@everyone`, `@here`, `<!channel>`, Discord roles `<@&1>`) are
//! refused: people are added one by one.

mod date;
mod help;
mod lex;
mod refs;
mod team;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::domain::Network;
use crate::schedule::CronSchedule;
use crate::store::Role;

pub use date::MAX_PAUSE_DAYS;
pub use help::help_text;
pub use refs::{ChannelRef, UserRef};

use lex::{closest, Word, Words};

/// What someone asked Amplifier to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Usage, for everything or for one topic (a command word, canonical: `"pause"`, `"team"`).
    Help {
        topic: Option<String>,
    },
    /// My open asks, drafts and nudges.
    Status,
    /// Start a draft; the text after `draft`, verbatim, is its first version.
    Draft {
        text: Option<String>,
    },
    /// Skip this week's prompt.
    Skip,
    /// No prompts or nudges until this day (in the person's zone).
    Pause {
        until: NaiveDate,
    },
    Resume,
    /// Set the host of my Mastodon instance (so share links open there), or show it when `None`.
    Mastodon {
        host: Option<String>,
    },
    /// Stop share nudges.
    Mute,
    Unmute,
    /// Set my zone, or show it when `None`.
    Timezone {
        zone: Option<Tz>,
    },
    Stats,
    Leaderboard,
    /// Opt in to the community.
    Join,
    /// Opt out of the community.
    Leave,
    /// Delete everything stored about me.
    ForgetMe,
    /// Admin: define teams.
    Team(TeamCommand),
}

/// An admin's change to (or look at) a team. Teams are named as typed; matching a name to a
/// team (case does not count) is the behaviour's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamCommand {
    List,
    Show {
        team: String,
    },
    Create {
        team: String,
    },
    /// `role` is never [`Role::Admin`]: admins are not a team role one is added to.
    Add {
        role: Role,
        people: Vec<UserRef>,
        team: String,
    },
    Remove {
        role: Role,
        people: Vec<UserRef>,
        team: String,
    },
    /// Boxed: a parsed schedule is large, and commands are passed around by value.
    SetSchedule {
        team: String,
        schedule: Box<CronSchedule>,
    },
    SetChannel {
        team: String,
        channel: ChannelRef,
    },
    /// At least one network, each once, in the order typed.
    SetNetworks {
        team: String,
        networks: Vec<Network>,
    },
    SetPrompts {
        team: String,
        pack: String,
    },
    SetTimezone {
        team: String,
        zone: Tz,
    },
}

/// A mistake: what was wrong and exactly what to type instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    pub message: String,
    /// A whole command, `/amplify` included, ready to copy.
    pub try_instead: Option<String>,
}

impl CommandError {
    fn new(message: String, try_instead: Option<String>) -> Self {
        CommandError {
            message,
            try_instead,
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(instead) = &self.try_instead {
            let stop = if self.message.ends_with(['.', '?', '!']) {
                ""
            } else {
                "."
            };
            write!(f, "{stop} Type: {instead}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CommandError {}

/// The command words, in help order; `closest` suggests among them.
pub const VERBS: &[&str] = &[
    "help",
    "status",
    "draft",
    "skip",
    "pause",
    "resume",
    "mute",
    "unmute",
    "timezone",
    "mastodon",
    "stats",
    "leaderboard",
    "join",
    "leave",
    "forget-me",
    "team",
];

/// The command word a keyword stands for, aliases included.
fn verb(keyword: &str) -> Option<&'static str> {
    let alias = match keyword {
        "?" => "help",
        "forgetme" => "forget-me",
        "time-zone" | "tz" => "timezone",
        "teams" => "team",
        other => other,
    };
    VERBS.iter().copied().find(|v| *v == alias)
}

/// Whether the command text is `join` (`Some(true)`), `leave` (`Some(false)`), or something else: what an
/// adapter checks to keep a platform's opt-in role or group in step.
pub fn joining(text: &str) -> Option<bool> {
    // Neither word reads a date: any day will do.
    let today = NaiveDate::from_ymd_opt(2000, 1, 1)?;
    match parse(text, today) {
        Ok(Command::Join) => Some(true),
        Ok(Command::Leave) => Some(false),
        _ => None,
    }
}

/// Reads what someone typed after `/amplify`. `today` is the date in their own zone.
pub fn parse(text: &str, today: NaiveDate) -> Result<Command, CommandError> {
    let mut words = Words::new(text);
    let Some(first) = words.next_word()? else {
        return Ok(Command::Help { topic: None });
    };
    let word = first.keyword();
    if word == "forget" {
        return match words.next_word()? {
            Some(me) if me.is("me") => alone(Command::ForgetMe, "forget-me", &mut words),
            _ => Err(did_you_mean(text, &first, "forget-me")),
        };
    }
    let Some(verb) = verb(&word).filter(|_| !first.quoted) else {
        return Err(unknown_verb(text, &first));
    };
    match verb {
        "help" => help_topic(&mut words),
        "status" => alone(Command::Status, verb, &mut words),
        "draft" => {
            let rest = words.rest();
            Ok(Command::Draft {
                text: (!rest.is_empty()).then(|| rest.to_string()),
            })
        }
        "skip" => alone(Command::Skip, verb, &mut words),
        "pause" => pause(&mut words, today),
        "resume" => alone(Command::Resume, verb, &mut words),
        "mute" => alone(Command::Mute, verb, &mut words),
        "unmute" => alone(Command::Unmute, verb, &mut words),
        "timezone" => timezone(&mut words),
        "mastodon" => match words.next_word()? {
            None => Ok(Command::Mastodon { host: None }),
            Some(host) => {
                let host = lex::clean_id(host.text).trim_start_matches('@').to_string();
                alone(
                    Command::Mastodon { host: Some(host) },
                    "mastodon HOST",
                    &mut words,
                )
            }
        },
        "stats" => alone(Command::Stats, verb, &mut words),
        "leaderboard" => alone(Command::Leaderboard, verb, &mut words),
        "join" => alone(Command::Join, verb, &mut words),
        "leave" => alone(Command::Leave, verb, &mut words),
        "forget-me" => alone(Command::ForgetMe, verb, &mut words),
        _ => team::parse(&mut words, text),
    }
}

/// A command that takes nothing after its word.
fn alone(command: Command, verb: &str, words: &mut Words<'_>) -> Result<Command, CommandError> {
    match words.next_word()? {
        None => Ok(command),
        Some(extra) => Err(CommandError::new(
            format!(
                "/amplify {verb} takes nothing after it, not {}",
                shown(extra.text)
            ),
            Some(typed(verb)),
        )),
    }
}

fn help_topic(words: &mut Words<'_>) -> Result<Command, CommandError> {
    // `help team add` is as good as `help team`: the topic is the first word.
    let Some(word) = words.next_word()? else {
        return Ok(Command::Help { topic: None });
    };
    let k = word.keyword();
    let k = if k == "forget" { "forget-me".into() } else { k };
    if let Some(topic) = verb(&k) {
        return Ok(Command::Help {
            topic: Some(topic.to_string()),
        });
    }
    let message = format!("there is no help on {}", shown(word.text));
    Err(match closest(&k, VERBS) {
        Some(v) => CommandError::new(
            format!("{message} — did you mean {v}?"),
            Some(typed(&format!("help {v}"))),
        ),
        None => CommandError::new(message, Some(typed("help"))),
    })
}

fn pause(words: &mut Words<'_>, today: NaiveDate) -> Result<Command, CommandError> {
    /// No date is longer; longer text is not worth reading as one.
    const MAX_DATE_WORDS: usize = 6;
    let mut date_words = Vec::new();
    for (i, word) in words.remaining()?.iter().enumerate() {
        let k = word.keyword();
        let k = k.trim_end_matches([',', '.']);
        if (i == 0 && matches!(k, "until" | "till" | "til")) || matches!(k, "" | "the" | "of") {
            continue;
        }
        date_words.push(k.to_string());
        if date_words.len() > MAX_DATE_WORDS {
            break;
        }
    }
    date::parse_until(&date_words, today).map(|until| Command::Pause { until })
}

fn timezone(words: &mut Words<'_>) -> Result<Command, CommandError> {
    let typed_zone = zone_text(words.remaining()?.as_slice());
    if typed_zone.is_empty() {
        return Ok(Command::Timezone { zone: None });
    }
    parse_zone(&typed_zone, |zone| typed(&format!("timezone {zone}")))
        .map(|zone| Command::Timezone { zone: Some(zone) })
}

/// The zone words joined (so `New York` can be suggested as `America/New_York`).
fn zone_text(words: &[Word<'_>]) -> String {
    let parts: Vec<String> = words.iter().map(|w| lex::clean_id(w.text)).collect();
    parts.join(" ").trim().to_string()
}

/// Longer than any IANA name (the longest is 32 characters).
const MAX_ZONE_LEN: usize = 64;

/// A zone, with the did-you-mean of [`crate::zone::parse_zone`] and the whole command to retype.
fn parse_zone(text: &str, retype: impl Fn(&str) -> String) -> Result<Tz, CommandError> {
    if text.chars().count() > MAX_ZONE_LEN {
        return Err(CommandError::new(
            format!(
                "{} is not a time zone — use an IANA name such as Europe/Paris or America/New_York",
                shown(text)
            ),
            Some(retype("Europe/Paris")),
        ));
    }
    crate::zone::parse_zone(text).map_err(|err| {
        let instead = err.suggestion.map(&retype);
        CommandError::new(err.to_string(), instead)
    })
}

fn unknown_verb(text: &str, word: &Word<'_>) -> CommandError {
    match closest(&word.keyword(), VERBS) {
        Some(v) => did_you_mean(text, word, v),
        None => CommandError::new(
            format!(
                "there is no command {} — type /amplify help for the list",
                shown(word.text)
            ),
            Some(typed("help")),
        ),
    }
}

fn did_you_mean(text: &str, word: &Word<'_>, verb: &str) -> CommandError {
    CommandError::new(
        format!(
            "there is no command {} — did you mean /amplify {verb}?",
            shown(word.text)
        ),
        Some(retyped(text, word, verb)),
    )
}

/// Longest stretch of someone's text repeated back in a message.
const SHOWN_CHARS: usize = 40;
/// Longest suggested command; a longer one is cut (with `…`) rather than echoed whole.
const TYPED_CHARS: usize = 300;

/// Someone's text in a message: quoted, without invisible characters, cut if long.
fn shown(text: &str) -> String {
    let clean = lex::clean_name(text);
    format!("\"{}\"", cut(&clean, SHOWN_CHARS))
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A command to type, with the `/amplify` prefix.
fn typed(command: &str) -> String {
    cut(&format!("/amplify {}", command.trim()), TYPED_CHARS)
}

/// The command as typed, with one word replaced.
fn retyped(text: &str, word: &Word<'_>, with: &str) -> String {
    let mut fixed = String::with_capacity(text.len() + with.len());
    fixed.push_str(&text[..word.span.start]);
    fixed.push_str(with);
    fixed.push_str(&text[word.span.end..]);
    typed(&fixed)
}

/// A team name as it must be typed: quoted when it has spaces.
fn quoted(name: &str) -> String {
    if name.contains(char::is_whitespace) || name.is_empty() {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}
