//! The `/amplify` slash command, the admins' `/amplify-team` (the grammar's `team …` words in a command of their
//! own, which Discord hides from members without Manage Server) and the "Draft an insight" message command: their
//! definitions (`bots/discord/commands.json`, compiled in), idempotent registration, and flattening an invocation
//! back into the command text the neutral grammar in `chat::command` reads.

use super::rest::{NoAnswer, Rest};
use reqwest::Method;
use serde_json::Value;

/// The definitions Discord gets, exactly as in `bots/discord/commands.json`.
pub const COMMANDS_JSON: &str = include_str!("../../bots/discord/commands.json");
/// The message context command's name (as Discord shows it in the Apps menu).
pub const DRAFT_FROM_MESSAGE: &str = "Draft an insight";
/// The slash command of every member's words.
pub const SLASH_COMMAND: &str = "amplify";
/// Commands that each carry one word of the grammar, with the permission that shows them: (command, word). The
/// admins' words live apart so that `default_member_permissions` hides them from members (Discord applies it to
/// a whole command, never to one subcommand); the engine still checks who is an admin.
pub const WORD_COMMANDS: &[(&str, &str)] = &[(TEAM_COMMAND, "team")];
/// The admins' command: `/amplify-team add leader @bob to Leadership` is `/amplify team add leader …`.
pub const TEAM_COMMAND: &str = "amplify-team";
/// The permission that shows [`TEAM_COMMAND`]: Manage Server (`MANAGE_GUILD`, 1 << 5), as Discord's string.
pub const TEAM_COMMAND_PERMISSION: &str = "32";
/// Options whose name is part of the grammar (`pause until DATE`), not only their value.
const KEYWORD_OPTIONS: &[&str] = &["until"];

/// Registers the commands globally, with `contexts` (servers, and the bot's DM for `/amplify`, where leaders
/// answer their question: commands registered in a server never show there), then clears what earlier
/// versions registered in each of `guilds` (a server would show both). Bulk overwrites (`PUT`): running it at
/// every start changes nothing when nothing changed. Discord may take a few minutes to show a changed global
/// command.
pub async fn register(
    rest: &Rest,
    application_id: &str,
    guilds: &[&str],
) -> Result<(), RegisterError> {
    let body: Value = serde_json::from_str(COMMANDS_JSON).map_err(RegisterError::Definitions)?;
    put(
        rest,
        &format!("/applications/{application_id}/commands"),
        &body,
    )
    .await?;
    for guild in guilds {
        put(
            rest,
            &format!("/applications/{application_id}/guilds/{guild}/commands"),
            &Value::Array(Vec::new()),
        )
        .await?;
    }
    Ok(())
}

/// Why the commands could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("bots/discord/commands.json is not valid JSON")]
    Definitions(#[source] serde_json::Error),
    #[error(transparent)]
    NoAnswer(#[from] NoAnswer),
    #[error(
        "registering the Discord commands failed: {0}; check discord.application_id and that the bot was \
         invited with the applications.commands scope"
    )]
    Refused(String),
}

async fn put(rest: &Rest, path: &str, body: &Value) -> Result<(), RegisterError> {
    let answer = rest.call(Method::PUT, path, Some(body)).await?;
    if answer.ok() {
        Ok(())
    } else {
        Err(RegisterError::Refused(answer.describe()))
    }
}

/// Whether `name` is one of our slash commands (`/amplify` or a [`WORD_COMMANDS`] one).
pub fn is_slash_command(name: &str) -> bool {
    name == SLASH_COMMAND || WORD_COMMANDS.iter().any(|(command, _)| *command == name)
}

/// The bot's own words as a Discord member types them: the grammar's `/amplify team …` (what every platform's
/// help and mistakes say) is `/amplify-team …` on Discord. Other text is returned as it is.
pub fn spelled_for_discord(text: &str) -> std::borrow::Cow<'_, str> {
    const NEUTRAL: &str = "/amplify team";
    if !text.contains(NEUTRAL) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find(NEUTRAL) {
        let after = &rest[at + NEUTRAL.len()..];
        out.push_str(&rest[..at]);
        // `/amplify teams` (an alias) or `/amplify teamwork` are other words: only the whole word is respelled.
        if after.starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '_') {
            out.push_str(NEUTRAL);
        } else {
            out.push('/');
            out.push_str(TEAM_COMMAND);
        }
        rest = after;
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// The command text of a slash-command invocation's `data`: the word a [`WORD_COMMANDS`] command stands for,
/// subcommand (group) names, then option values in order; user, role and channel options as mentions (`<@ID>`,
/// `<@&ID>`, `<#ID>`) as the grammar expects.
pub fn flatten(data: &Value) -> String {
    let mut words = Vec::new();
    let name = data["name"].as_str().unwrap_or_default();
    if let Some((_, word)) = WORD_COMMANDS.iter().find(|(command, _)| *command == name) {
        words.push(word.to_string());
    }
    collect(
        data["options"].as_array().map(Vec::as_slice).unwrap_or(&[]),
        &mut words,
    );
    words.join(" ")
}

fn collect(options: &[Value], words: &mut Vec<String>) {
    for option in options {
        let name = option["name"].as_str().unwrap_or_default();
        match option["type"].as_u64() {
            // Subcommand, subcommand group.
            Some(1) | Some(2) => {
                words.push(name.to_string());
                collect(
                    option["options"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                    words,
                );
            }
            Some(kind) => {
                let value = match &option["value"] {
                    Value::String(s) => s.trim().to_string(),
                    Value::Null => continue,
                    other => other.to_string(),
                };
                if KEYWORD_OPTIONS.contains(&name) {
                    words.push(name.to_string());
                }
                words.push(match kind {
                    6 => format!("<@{value}>"),
                    8 => format!("<@&{value}>"),
                    7 => format!("<#{value}>"),
                    _ => value,
                });
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definitions() -> Vec<Value> {
        serde_json::from_str::<Value>(COMMANDS_JSON)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    fn command<'a>(defs: &'a [Value], name: &str) -> &'a Value {
        defs.iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} is missing from bots/discord/commands.json"))
    }

    #[test]
    fn the_definitions_hold_the_commands_and_the_message_command() {
        let defs = definitions();
        let names: Vec<&str> = defs.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, [SLASH_COMMAND, TEAM_COMMAND, DRAFT_FROM_MESSAGE]);
        assert_eq!(command(&defs, DRAFT_FROM_MESSAGE)["type"], 3);
        assert!(
            command(&defs, SLASH_COMMAND)["options"]
                .as_array()
                .unwrap()
                .len()
                <= 25
        );
        // Members see /amplify everywhere they can use it; nothing hides it.
        assert!(command(&defs, SLASH_COMMAND)
            .get("default_member_permissions")
            .is_none());
    }

    /// The admins' words are a command of their own that Discord shows only to members with Manage Server, and
    /// only in servers (a DM has no permissions to check).
    #[test]
    fn the_admin_words_are_hidden_from_members() {
        let defs = definitions();
        let team = command(&defs, TEAM_COMMAND);
        assert_eq!(team["type"], 1);
        assert_eq!(team["default_member_permissions"], TEAM_COMMAND_PERMISSION);
        assert_eq!(
            TEAM_COMMAND_PERMISSION,
            (1u64 << 5).to_string(),
            "MANAGE_GUILD"
        );
        assert_eq!(team["contexts"], json!([0]));
        let words: Vec<&str> = command(&defs, SLASH_COMMAND)["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        for (_, word) in WORD_COMMANDS {
            assert!(
                !words.contains(word),
                "/amplify {word} would show the admin words to every member"
            );
        }
    }

    /// The grammar, Discord's definitions and Slack's usage hint cannot drift: every command word is reachable on
    /// Discord, as a subcommand of `/amplify` or as a [`WORD_COMMANDS`] command (each flattening back into that
    /// word), and named in Slack's hint.
    #[test]
    fn every_word_of_the_grammar_is_reachable_on_every_platform() {
        let defs = definitions();
        let subcommands: Vec<&str> = command(&defs, SLASH_COMMAND)["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        let manifest: Value =
            serde_json::from_str(include_str!("../../bots/slack/manifest.json")).unwrap();
        let hint = manifest["features"]["slash_commands"][0]["usage_hint"]
            .as_str()
            .unwrap();
        for verb in crate::chat::command::VERBS {
            let own = WORD_COMMANDS.iter().find(|(_, word)| word == verb);
            match own {
                Some((name, _)) => {
                    let def = command(&defs, name);
                    assert_eq!(def["type"], 1, "{name} is a slash command");
                    let bare = json!({"name": name, "options": []});
                    assert_eq!(flatten(&bare), *verb);
                    // Its options carry the rest of the words.
                    let option = def["options"][0]["name"].as_str().unwrap();
                    let pressed = json!({"name": name, "options": [
                        {"type": 3, "name": option, "value": "add leader <@1> to Leadership"}]});
                    assert_eq!(
                        flatten(&pressed),
                        format!("{verb} add leader <@1> to Leadership")
                    );
                }
                None => {
                    assert!(
                        subcommands.contains(verb),
                        "/amplify {verb} is missing from bots/discord/commands.json"
                    );
                    let pressed = json!({"name": SLASH_COMMAND, "options": [
                        {"type": 1, "name": verb, "options": []}]});
                    assert_eq!(flatten(&pressed), *verb);
                }
            }
            assert!(
                hint.split('|')
                    .any(|w| w.split_whitespace().next() == Some(verb)),
                "{verb} is missing from the Slack manifest's usage hint"
            );
        }
        for sub in &subcommands {
            assert!(
                crate::chat::command::VERBS.contains(sub),
                "{sub} in commands.json is no word of the grammar"
            );
        }
        for def in &defs {
            let name = def["name"].as_str().unwrap();
            if def["type"] == 1 {
                assert!(
                    is_slash_command(name),
                    "{name} is registered but never read"
                );
            }
        }
        // The editor takes 3,000 characters; the command's text takes as many.
        let draft = command(&defs, SLASH_COMMAND)["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "draft")
            .unwrap();
        assert_eq!(
            draft["options"][0]["max_length"],
            crate::engine::prompts::INSIGHT_MAX
        );
    }

    #[test]
    fn the_admin_words_are_spelled_as_discord_shows_them() {
        assert_eq!(
            spelled_for_discord("Type: /amplify team add leader @you to TEAM."),
            "Type: /amplify-team add leader @you to TEAM."
        );
        assert_eq!(
            spelled_for_discord("/amplify team\n/amplify team list, /amplify teams"),
            "/amplify-team\n/amplify-team list, /amplify teams"
        );
        assert_eq!(spelled_for_discord("/amplify status"), "/amplify status");
    }

    #[test]
    fn invocations_flatten_into_the_grammars_words() {
        let pause = json!({"name": "amplify", "options": [
            {"type": 1, "name": "pause", "options": [{"type": 3, "name": "until", "value": "Dec 24"}]}]});
        assert_eq!(flatten(&pause), "pause until Dec 24");
        let tz = json!({"name": "amplify", "options": [
            {"type": 1, "name": "timezone", "options": [{"type": 3, "name": "zone", "value": " Europe/Berlin "}]}]});
        assert_eq!(flatten(&tz), "timezone Europe/Berlin");
        let status = json!({"name": "amplify", "options": [{"type": 1, "name": "status"}]});
        assert_eq!(flatten(&status), "status");
        let grouped = json!({"name": "amplify", "options": [{"type": 2, "name": "team", "options": [
            {"type": 1, "name": "add", "options": [
                {"type": 3, "name": "role", "value": "leader"},
                {"type": 6, "name": "person", "value": "100000000000000002"},
                {"type": 8, "name": "r", "value": "5"},
                {"type": 7, "name": "c", "value": "7"},
                {"type": 4, "name": "n", "value": 3}]}]}]});
        assert_eq!(
            flatten(&grouped),
            "team add leader <@100000000000000002> <@&5> <#7> 3"
        );
        let args = json!({"name": "amplify-team", "options": [
            {"type": 3, "name": "args", "value": " add leader <@1> to Leadership "}]});
        assert_eq!(flatten(&args), "team add leader <@1> to Leadership");
        assert_eq!(flatten(&json!({"name": "amplify-team"})), "team");
    }
}
