//! The admin's `team …` commands: naming teams, their people, and their settings.

use crate::domain::Network;
use crate::schedule::CronSchedule;
use crate::store::Role;

use super::lex::{clean_id, clean_name, closest, Word, Words};
use super::refs::{channel_ref, user_ref};
use super::{quoted, retyped, shown, typed, Command, CommandError, TeamCommand, UserRef};

const SUBCOMMANDS: &[&str] = &["list", "show", "create", "add", "remove", "set"];
const SETTINGS: &[&str] = &["schedule", "channel", "networks", "prompts", "timezone"];
const ROLES: &[&str] = &["leader", "approver", "member"];

/// Team names are for people to read and type; this is generous for that and bounds storage.
pub const MAX_TEAM_NAME_CHARS: usize = 80;
/// Longer than any cron expression worth typing.
const MAX_CRON_CHARS: usize = 200;
/// An example schedule for messages: Mondays at 09:00.
const EXAMPLE_CRON: &str = "0 9 * * 1";

/// Reads what follows `team`. `text` is the whole command, for suggestions.
pub(super) fn parse(words: &mut Words<'_>, text: &str) -> Result<Command, CommandError> {
    let Some(sub) = words.next_word()? else {
        return Ok(Command::Help {
            topic: Some("team".into()),
        });
    };
    let k = sub.keyword();
    let command = match k.as_str() {
        "list" | "ls" => match words.next_word()? {
            None => TeamCommand::List,
            Some(extra) => {
                return Err(CommandError::new(
                    format!(
                        "/amplify team list takes nothing after it, not {}",
                        shown(extra.text)
                    ),
                    Some(typed("team list")),
                ))
            }
        },
        "show" => TeamCommand::Show {
            team: only_name(words, "show")?,
        },
        "create" | "new" => TeamCommand::Create {
            team: only_name(words, "create")?,
        },
        "add" => {
            let (role, people, team) = membership(words, text, "add", "to")?;
            TeamCommand::Add { role, people, team }
        }
        "remove" | "rm" => {
            let (role, people, team) = membership(words, text, "remove", "from")?;
            TeamCommand::Remove { role, people, team }
        }
        "set" => set(words, text)?,
        _ => {
            let message = format!("there is no team command {}", shown(sub.text));
            return Err(match closest(&k, SUBCOMMANDS) {
                Some(s) => CommandError::new(
                    format!("{message} — did you mean /amplify team {s}?"),
                    Some(retyped(text, &sub, s)),
                ),
                None => CommandError::new(
                    format!("{message} — use list, show, create, add, remove or set"),
                    Some(typed("help team")),
                ),
            });
        }
    };
    Ok(Command::Team(command))
}

/// A team name from its words: one word, or a quoted name. Several unquoted words are a name
/// that needed quotes, and `retype` builds the command with them.
fn name_from(
    words: &[Word<'_>],
    retype: impl Fn(&str) -> String,
    missing: impl Fn() -> CommandError,
) -> Result<String, CommandError> {
    match words {
        [] => Err(missing()),
        [one] => check_name(one.text, &retype),
        several => {
            let joined = clean_name(&several.iter().map(|w| w.text).collect::<Vec<_>>().join(" "));
            let name = cut_name(&joined);
            Err(CommandError::new(
                "team names with spaces need quotes".to_string(),
                Some(retype(&format!("\"{name}\""))),
            ))
        }
    }
}

fn cut_name(name: &str) -> String {
    name.chars().take(MAX_TEAM_NAME_CHARS).collect()
}

fn check_name(text: &str, retype: &impl Fn(&str) -> String) -> Result<String, CommandError> {
    let name = clean_name(text);
    if name.is_empty() {
        return Err(CommandError::new(
            "the team name is empty".to_string(),
            Some(retype("\"Leadership EU\"")),
        ));
    }
    if name.chars().count() > MAX_TEAM_NAME_CHARS {
        return Err(CommandError::new(
            format!("team names are at most {MAX_TEAM_NAME_CHARS} characters"),
            Some(retype(&quoted(&cut_name(&name)))),
        ));
    }
    Ok(name)
}

/// `team show NAME`, `team create NAME`.
fn only_name(words: &mut Words<'_>, sub: &str) -> Result<String, CommandError> {
    let rest = words.remaining()?;
    name_from(
        &rest,
        |name| typed(&format!("team {sub} {name}")),
        || {
            CommandError::new(
                format!("say which team: /amplify team {sub} NAME"),
                Some(typed(if sub == "create" {
                    "team create \"Leadership EU\""
                } else {
                    "team list"
                })),
            )
        },
    )
}

/// `team add ROLE PERSON… to NAME` and `team remove ROLE PERSON… from NAME`.
fn membership(
    words: &mut Words<'_>,
    text: &str,
    sub: &str,
    joiner: &str,
) -> Result<(Role, Vec<UserRef>, String), CommandError> {
    let usage = format!("team {sub} member <@someone> {joiner} TEAM");
    let Some(role_word) = words.next_word()? else {
        return Err(CommandError::new(
            format!(
                "say the role (leader, approver or member), who, and which team: /amplify {usage}"
            ),
            Some(typed(&usage)),
        ));
    };
    let role = role(&role_word, text)?;
    let rest = words.remaining()?;
    // `to` for add and `from` for remove; either (or `in`) is understood in both.
    let split = rest
        .iter()
        .position(|w| ["to", "from", "in", "into"].iter().any(|j| w.is(j)));
    let (people_words, team_words) = match split {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => {
            let fix = missing_joiner(&rest, text, joiner).unwrap_or_else(|| typed(&usage));
            return Err(CommandError::new(
                format!("say which team, after \"{joiner}\": /amplify team {sub} {role} PERSON… {joiner} TEAM"),
                Some(fix),
            ));
        }
    };
    let people = match people(people_words) {
        Ok(people) if people.is_empty() => {
            return Err(CommandError::new(
                format!("say who: mention each person with @ before \"{joiner}\""),
                Some(typed(&usage)),
            ))
        }
        Ok(people) => people,
        Err((word, message)) => {
            return Err(CommandError::new(
                message,
                Some(retyped(text, word, "@someone")),
            ))
        }
    };
    let team = name_from(
        team_words,
        |name| {
            let first = team_words.first().map_or(text.len(), |w| w.span.start);
            let last = team_words.last().map_or(text.len(), |w| w.span.end);
            typed(&format!("{}{name}{}", &text[..first], &text[last..]))
        },
        || {
            CommandError::new(
                format!("say which team after \"{joiner}\""),
                Some(typed(&format!("{} TEAM", text.trim()))),
            )
        },
    )?;
    Ok((role, people, team))
}

/// `team add leader <@U1> Leadership EU`: the command with `to` after the people and the
/// name quoted. The people are the leading mentions, or the first word when there are none
/// (a bare id and a team name look alike).
fn missing_joiner(rest: &[Word<'_>], text: &str, joiner: &str) -> Option<String> {
    let is_mention = |w: &Word<'_>| clean_id(w.text).starts_with("<@");
    let people_count = match rest.iter().take_while(|w| is_mention(w)).count() {
        0 => 1,
        n => n,
    };
    let (people_words, name_words) = rest.split_at_checked(people_count)?;
    let last_person = people_words.last()?;
    people(people_words).ok()?;
    let name = clean_name(
        &name_words
            .iter()
            .map(|w| w.text)
            .collect::<Vec<_>>()
            .join(" "),
    );
    if name.is_empty() {
        return None;
    }
    Some(typed(&format!(
        "{} {joiner} {}",
        &text[..last_person.span.end],
        quoted(&cut_name(&name))
    )))
}

fn role(word: &Word<'_>, text: &str) -> Result<Role, CommandError> {
    let k = word.keyword();
    match k.strip_suffix('s').unwrap_or(&k) {
        "leader" => Ok(Role::Leader),
        "approver" => Ok(Role::Approver),
        "member" => Ok(Role::Member),
        "admin" => Err(CommandError::new(
            "admin is not a team role — add a leader, approver or member".to_string(),
            Some(retyped(text, word, "member")),
        )),
        other => Err(match closest(other, ROLES) {
            Some(r) => CommandError::new(
                format!("there is no role {} — did you mean {r}?", shown(word.text)),
                Some(retyped(text, word, r)),
            ),
            None => CommandError::new(
                format!(
                    "there is no role {} — use leader, approver or member",
                    shown(word.text)
                ),
                Some(retyped(text, word, "member")),
            ),
        }),
    }
}

/// The people named in `words`: mentions or ids, separated by spaces, commas or "and", in
/// the order typed, each once. On a mistake, the word at fault and what was wrong.
fn people<'w, 'a>(words: &'w [Word<'a>]) -> Result<Vec<UserRef>, (&'w Word<'a>, String)> {
    let mut people: Vec<UserRef> = Vec::new();
    for word in words {
        if word.is("and") {
            continue;
        }
        // Mentions may arrive glued together (`<@U1><@U2>`) or with commas.
        let spaced = clean_id(word.text).replace("><", "> <").replace(',', " ");
        for part in spaced.split_whitespace() {
            let person = user_ref(part).map_err(|message| (word, message))?;
            if !people.contains(&person) {
                people.push(person);
            }
        }
    }
    Ok(people)
}

/// `team set SETTING NAME VALUE`.
fn set(words: &mut Words<'_>, text: &str) -> Result<TeamCommand, CommandError> {
    let Some(setting_word) = words.next_word()? else {
        return Err(CommandError::new(
            "say what to set: schedule, channel, networks, prompts or timezone".to_string(),
            Some(typed("help team")),
        ));
    };
    let k = setting_word.keyword();
    let setting = match k.as_str() {
        "schedule" | "cron" => "schedule",
        "channel" => "channel",
        "networks" | "network" => "networks",
        "prompts" | "prompt" | "pack" => "prompts",
        "timezone" | "time-zone" | "tz" | "zone" => "timezone",
        _ => {
            let message = format!("there is no team setting {}", shown(setting_word.text));
            return Err(match closest(&k, SETTINGS) {
                Some(s) => CommandError::new(
                    format!("{message} — did you mean {s}?"),
                    Some(retyped(text, &setting_word, s)),
                ),
                None => CommandError::new(
                    format!("{message} — use schedule, channel, networks, prompts or timezone"),
                    Some(typed("help team")),
                ),
            });
        }
    };
    match setting {
        "schedule" => set_schedule(words),
        "networks" => set_networks(words),
        _ => set_last_word(words, setting),
    }
}

/// `team set schedule NAME CRON…`: the rest of the line is the expression.
fn set_schedule(words: &mut Words<'_>) -> Result<TeamCommand, CommandError> {
    let example = |name: &str| {
        typed(&format!(
            "team set schedule {} {EXAMPLE_CRON}",
            quoted(name)
        ))
    };
    let Some(name_word) = words.next_word()? else {
        return Err(CommandError::new(
            "say which team and when: /amplify team set schedule TEAM CRON (Mondays at 09:00 is 0 9 * * 1)".to_string(),
            Some(example("TEAM")),
        ));
    };
    let team = check_name(name_word.text, &|name: &str| {
        typed(&format!("team set schedule {name} {}", words.rest()))
    })?;
    let cron = strip_quotes(words.rest());
    if cron.is_empty() {
        return Err(CommandError::new(
            "say when, as a cron expression (minute hour day-of-month month day-of-week): Mondays at 09:00 is 0 9 * * 1".to_string(),
            Some(example(&team)),
        ));
    }
    if cron.chars().count() > MAX_CRON_CHARS {
        return Err(CommandError::new(
            format!("that schedule is too long for a cron expression (at most {MAX_CRON_CHARS} characters)"),
            Some(example(&team)),
        ));
    }
    match CronSchedule::parse(cron) {
        Ok(schedule) => Ok(TeamCommand::SetSchedule {
            team,
            schedule: Box::new(schedule),
        }),
        Err(err) => {
            // `team set schedule Leadership EU 0 9 * * 1`: the name lost its quotes.
            if !name_word.quoted {
                if let Some((more, cron_rest)) = cron.split_once(char::is_whitespace) {
                    if more.starts_with(char::is_alphabetic)
                        && CronSchedule::parse(cron_rest).is_ok()
                    {
                        return Err(CommandError::new(
                            "team names with spaces need quotes".to_string(),
                            Some(typed(&format!(
                                "team set schedule \"{team} {}\" {}",
                                clean_name(more),
                                cron_rest.trim()
                            ))),
                        ));
                    }
                }
            }
            Err(CommandError::new(
                format!("the schedule {} is not valid: {err}", shown(cron)),
                Some(example(&team)),
            ))
        }
    }
}

/// A cron expression someone quoted as a whole.
fn strip_quotes(text: &str) -> &str {
    let quotes: &[char] = &['"', '“', '”', '\'', '‘', '’'];
    match text
        .strip_prefix(quotes)
        .and_then(|t| t.strip_suffix(quotes))
    {
        Some(inner) => inner.trim(),
        None => text,
    }
}

/// `team set networks NAME linkedin,x,bluesky` (commas or spaces).
fn set_networks(words: &mut Words<'_>) -> Result<TeamCommand, CommandError> {
    let all: Vec<&str> = Network::ALL.iter().map(|n| n.as_str()).collect();
    let example = |name: &str| {
        typed(&format!(
            "team set networks {} linkedin,x,bluesky",
            quoted(name)
        ))
    };
    let Some(name_word) = words.next_word()? else {
        return Err(CommandError::new(
            "say which team and which networks: /amplify team set networks TEAM linkedin,x,bluesky"
                .to_string(),
            Some(example("TEAM")),
        ));
    };
    let team = check_name(name_word.text, &|name: &str| {
        typed(&format!("team set networks {name} {}", words.rest()))
    })?;
    // Each network as typed (for messages) and as a keyword.
    let listed: Vec<(String, String)> = words
        .remaining()?
        .iter()
        .flat_map(|w| {
            clean_id(w.text)
                .split(',')
                .map(|n| (n.to_string(), super::lex::keyword(n)))
                .collect::<Vec<_>>()
        })
        .filter(|(_, k)| !k.is_empty() && k != "and")
        .collect();
    if listed.is_empty() {
        return Err(CommandError::new(
            format!("say which networks: {}", all.join(", ")),
            Some(example(&team)),
        ));
    }
    let mut networks = Vec::new();
    let mut fixed = Vec::new();
    let mut problem = None;
    for (i, (typed_word, word)) in listed.iter().enumerate() {
        let word = if word == "twitter" {
            "x"
        } else {
            word.as_str()
        };
        match word.parse::<Network>() {
            Ok(network) => {
                if !networks.contains(&network) {
                    networks.push(network);
                    fixed.push(network.as_str());
                }
            }
            Err(_) => {
                let near = closest(word, &all);
                if let Some(n) = near {
                    if !fixed.contains(&n) {
                        fixed.push(n);
                    }
                }
                problem.get_or_insert((i, typed_word.clone(), near));
            }
        }
    }
    let Some((at, word, near)) = problem else {
        return Ok(TeamCommand::SetNetworks { team, networks });
    };
    let unknown = format!("there is no network {}", shown(&word));
    // `team set networks Leadership EU linkedin`: the name lost its quotes.
    if at == 0
        && near.is_none()
        && !name_word.quoted
        && listed.len() > 1
        && networks.len() == listed.len() - 1
    {
        return Err(CommandError::new(
            "team names with spaces need quotes".to_string(),
            Some(typed(&format!(
                "team set networks \"{team} {}\" {}",
                clean_name(&word),
                fixed.join(",")
            ))),
        ));
    }
    let message = match near {
        Some(n) => format!("{unknown} — did you mean {n}?"),
        None => format!("{unknown} — use {}", all.join(", ")),
    };
    let instead = if fixed.is_empty() {
        example(&team)
    } else {
        typed(&format!(
            "team set networks {} {}",
            quoted(&team),
            fixed.join(",")
        ))
    };
    Err(CommandError::new(message, Some(instead)))
}

/// `team set channel|prompts|timezone NAME VALUE`: the value is the last word, the name is
/// everything before it.
fn set_last_word(words: &mut Words<'_>, setting: &str) -> Result<TeamCommand, CommandError> {
    let (placeholder, example) = match setting {
        "channel" => ("CHANNEL", "#channel"),
        "prompts" => ("PACK", "default"),
        _ => ("ZONE", "Europe/Paris"),
    };
    let rest = words.remaining()?;
    let Some((value, name_words)) = rest.split_last().filter(|(_, name)| !name.is_empty()) else {
        return Err(CommandError::new(
            format!(
                "say which team and what to set: /amplify team set {setting} TEAM {placeholder}"
            ),
            Some(typed(&format!("team set {setting} TEAM {example}"))),
        ));
    };
    let retype_value =
        |name: &str, v: &str| typed(&format!("team set {setting} {} {v}", quoted(name)));
    let team = name_from(
        name_words,
        |name| typed(&format!("team set {setting} {name} {}", value.text)),
        unreachable_missing,
    )?;
    Ok(match setting {
        "channel" => TeamCommand::SetChannel {
            team: team.clone(),
            channel: channel_ref(value.text).map_err(|message| {
                CommandError::new(message, Some(retype_value(&team, example)))
            })?,
        },
        "prompts" => {
            let pack = clean_name(value.text);
            if pack.is_empty() || pack.chars().count() > MAX_TEAM_NAME_CHARS {
                return Err(CommandError::new(
                    format!("{} is not a prompt pack name", shown(value.text)),
                    Some(retype_value(&team, example)),
                ));
            }
            TeamCommand::SetPrompts { team, pack }
        }
        _ => {
            let zone = super::parse_zone(&clean_id(value.text), |z| retype_value(&team, z))?;
            TeamCommand::SetTimezone { team, zone }
        }
    })
}

/// `name_from` is only called with at least one word here; this keeps it total all the same.
fn unreachable_missing() -> CommandError {
    CommandError::new("say which team".to_string(), Some(typed("team list")))
}
