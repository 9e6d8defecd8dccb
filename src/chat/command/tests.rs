//! The grammar, through `parse` and `help_text` only: every command, every mistake and the exact
//! command suggested instead, mentions, quoting, dates, and hostile input.

use chrono::NaiveDate;

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a test date")
}

/// A Tuesday.
fn today() -> NaiveDate {
    day(2026, 3, 10)
}

fn ok(text: &str) -> Command {
    parse(text, today()).unwrap_or_else(|e| panic!("{text:?} should parse, got: {e}"))
}

/// Test input as shown in failures: hostile inputs are long.
fn short(text: &str) -> String {
    super::cut(text, 200)
}

fn err(text: &str) -> CommandError {
    match parse(text, today()) {
        Ok(c) => panic!("{:?} should be refused, got {c:?}", short(text)),
        Err(e) => e,
    }
}

/// The mistake's message and suggestion; the suggestion itself must parse (when it names no
/// placeholder), so "type this instead" never leads to another mistake.
fn mistake(text: &str) -> (String, String) {
    mistake_on(text, today())
}

fn mistake_on(text: &str, today: NaiveDate) -> (String, String) {
    let e = match parse(text, today) {
        Ok(c) => panic!("{text:?} should be refused, got {c:?}"),
        Err(e) => e,
    };
    let instead = e
        .try_instead
        .clone()
        .unwrap_or_else(|| panic!("{text:?}: no suggestion in {e}"));
    let retyped = instead
        .strip_prefix("/amplify ")
        .unwrap_or_else(|| panic!("{instead:?} lacks the /amplify prefix"));
    let placeholder = ["TEAM", "NAME", "@someone", "#channel"]
        .iter()
        .any(|p| retyped.contains(p));
    if !placeholder {
        if let Err(again) = parse(retyped, today) {
            panic!("{text:?} suggested {instead:?}, which fails too: {again}");
        }
    }
    (e.message, instead)
}

fn pause_on(text: &str, today: NaiveDate) -> NaiveDate {
    match parse(&format!("pause until {text}"), today) {
        Ok(Command::Pause { until }) => until,
        other => panic!("pause until {text:?} on {today}: {other:?}"),
    }
}

fn until(text: &str) -> NaiveDate {
    pause_on(text, today())
}

fn team(text: &str) -> TeamCommand {
    match ok(text) {
        Command::Team(t) => t,
        other => panic!("{text:?} is not a team command: {other:?}"),
    }
}

fn user(id: &str) -> UserRef {
    UserRef(id.to_string())
}

// ---- everyone's commands ----

#[test]
fn empty_text_is_help() {
    for text in ["", "   ", "\n\t", "\u{200B}", "\u{FEFF} \u{200E}"] {
        assert_eq!(ok(text), Command::Help { topic: None }, "{text:?}");
    }
}

#[test]
fn every_simple_command_parses_in_any_case_with_any_spacing() {
    let cases = [
        ("status", Command::Status),
        ("skip", Command::Skip),
        ("resume", Command::Resume),
        ("mute", Command::Mute),
        ("unmute", Command::Unmute),
        ("stats", Command::Stats),
        ("leaderboard", Command::Leaderboard),
        ("join", Command::Join),
        ("leave", Command::Leave),
        ("forget-me", Command::ForgetMe),
        ("help", Command::Help { topic: None }),
        ("timezone", Command::Timezone { zone: None }),
        ("draft", Command::Draft { text: None }),
    ];
    for (word, command) in cases {
        assert_eq!(ok(word), command, "{word}");
        assert_eq!(ok(&word.to_uppercase()), command, "{word}");
        assert_eq!(ok(&format!("  \t{word}\n ")), command, "{word}");
    }
}

#[test]
fn aliases_of_forget_me_and_timezone() {
    for text in [
        "forget me",
        "Forget Me",
        "forgetme",
        "forget_me",
        "forget—me",
    ] {
        assert_eq!(ok(text), Command::ForgetMe, "{text}");
    }
    assert_eq!(ok("tz"), Command::Timezone { zone: None });
    assert_eq!(ok("time-zone"), Command::Timezone { zone: None });
}

#[test]
fn commands_without_arguments_refuse_extra_words() {
    let (message, instead) = mistake("status please");
    assert_eq!(
        message,
        "/amplify status takes nothing after it, not \"please\""
    );
    assert_eq!(instead, "/amplify status");
    assert_eq!(mistake("forget me now").1, "/amplify forget-me");
    assert_eq!(mistake("leaderboard x").1, "/amplify leaderboard");
}

#[test]
fn help_topics_are_canonical_command_words() {
    let topic = |t: &str| Command::Help {
        topic: Some(t.to_string()),
    };
    assert_eq!(ok("help pause"), topic("pause"));
    assert_eq!(ok("HELP Timezone"), topic("timezone"));
    assert_eq!(ok("help tz"), topic("timezone"));
    assert_eq!(ok("help team add"), topic("team"));
    assert_eq!(ok("help teams"), topic("team"));
    assert_eq!(ok("help forget me"), topic("forget-me"));
    assert_eq!(ok("?"), Command::Help { topic: None });
    assert_eq!(ok("team"), topic("team"));
    let (message, instead) = mistake("help stauts");
    assert_eq!(
        message,
        "there is no help on \"stauts\" — did you mean status?"
    );
    assert_eq!(instead, "/amplify help status");
    assert_eq!(mistake("help xyzzy").1, "/amplify help");
}

#[test]
fn draft_text_is_kept_verbatim() {
    assert_eq!(
        ok("draft   Leaders who listen \"win\".\n\nSecond *paragraph* 👩‍💻  "),
        Command::Draft {
            text: Some("Leaders who listen \"win\".\n\nSecond *paragraph* 👩‍💻".into())
        }
    );
    // Unbalanced quotes are text, not a syntax error.
    assert_eq!(
        ok("DRAFT it's a \"start"),
        Command::Draft {
            text: Some("it's a \"start".into())
        }
    );
    assert_eq!(ok("draft \n "), Command::Draft { text: None });
}

#[test]
fn unknown_commands_get_did_you_mean_with_the_whole_command_retyped() {
    let e = err("stauts");
    assert_eq!(
        e.message,
        "there is no command \"stauts\" — did you mean /amplify status?"
    );
    assert_eq!(e.try_instead.as_deref(), Some("/amplify status"));
    assert_eq!(
        e.to_string(),
        "there is no command \"stauts\" — did you mean /amplify status? Type: /amplify status"
    );
    assert_eq!(
        mistake("timezon Europe/Paris").1,
        "/amplify timezone Europe/Paris"
    );
    assert_eq!(mistake("Leaderbord").1, "/amplify leaderboard");
    assert_eq!(mistake("leader").1, "/amplify leaderboard");
    assert_eq!(mistake("unmtue").1, "/amplify unmute");
    assert_eq!(
        mistake("paus until tomorrow").1,
        "/amplify pause until tomorrow"
    );
    assert_eq!(mistake("forget").1, "/amplify forget-me");
    assert_eq!(mistake("forgetme please").1, "/amplify forget-me");
    assert_eq!(mistake("\"status\"").1, "/amplify status");
    let (message, instead) = mistake("xyzzy");
    assert_eq!(
        message,
        "there is no command \"xyzzy\" — type /amplify help for the list"
    );
    assert_eq!(instead, "/amplify help");
}

#[test]
fn timezone_sets_shows_and_suggests() {
    assert_eq!(
        ok("timezone Europe/Paris"),
        Command::Timezone {
            zone: Some(chrono_tz::Europe::Paris)
        }
    );
    assert_eq!(
        ok("TIMEZONE \"Asia/Kolkata\""),
        Command::Timezone {
            zone: Some(chrono_tz::Asia::Kolkata)
        }
    );
    let e = err("timezone Europe/Pariss");
    assert_eq!(
        e.message,
        "unknown time zone \"Europe/Pariss\" — did you mean \"Europe/Paris\"?"
    );
    assert_eq!(
        e.try_instead.as_deref(),
        Some("/amplify timezone Europe/Paris")
    );
    assert_eq!(
        e.to_string(),
        "unknown time zone \"Europe/Pariss\" — did you mean \"Europe/Paris\"? Type: /amplify timezone Europe/Paris"
    );
    assert_eq!(
        mistake("timezone New York").1,
        "/amplify timezone America/New_York"
    );
    assert_eq!(mistake("timezone tokyo").1, "/amplify timezone Asia/Tokyo");
    // Nothing close: the message says what a zone looks like, and there is nothing exact to type.
    let e = err("timezone Qwxyzzz/Plugh");
    assert!(e.message.contains("IANA name"), "{e}");
    assert_eq!(e.try_instead, None);
    let e = err(&format!("timezone {}", "Europe/".repeat(2000)));
    assert!(
        e.message.ends_with(
            "is not a time zone — use an IANA name such as Europe/Paris or America/New_York"
        ),
        "{e}"
    );
}

// ---- pause dates ----

#[test]
fn pause_dates_in_every_form() {
    assert_eq!(until("2026-12-24"), day(2026, 12, 24));
    assert_eq!(until("2026/12/24"), day(2026, 12, 24));
    for text in [
        "24 Dec",
        "Dec 24",
        "dec 24",
        "December 24",
        "24 december",
        "24th December",
        "the 24th of December",
        "Dec 24, 2026",
        "December 24 2026",
        "24 Dec 2026",
    ] {
        assert_eq!(until(text), day(2026, 12, 24), "{text}");
    }
    assert_eq!(until("sept 1"), day(2026, 9, 1));
    assert_eq!(until("tomorrow"), day(2026, 3, 11));
    assert_eq!(until("TOMORROW"), day(2026, 3, 11));
    // Weekdays: the next one after today (a Tuesday), never today.
    assert_eq!(until("monday"), day(2026, 3, 16));
    assert_eq!(until("tuesday"), day(2026, 3, 17));
    assert_eq!(until("wednesday"), day(2026, 3, 11));
    assert_eq!(until("Fri"), day(2026, 3, 13));
    assert_eq!(until("next friday"), day(2026, 3, 13));
    assert_eq!(until("sunday"), day(2026, 3, 15));
    assert_eq!(until("in 3 days"), day(2026, 3, 13));
    assert_eq!(until("in 1 day"), day(2026, 3, 11));
    assert_eq!(until("in 2 weeks"), day(2026, 3, 24));
    assert_eq!(until("in a week"), day(2026, 3, 17));
    assert_eq!(until("in a month"), day(2026, 4, 10));
    assert_eq!(until("in 12 months"), day(2027, 3, 10));
    assert_eq!(until("in 366 days"), day(2027, 3, 11));
    // "until" may be left out.
    assert_eq!(
        ok("pause tomorrow"),
        Command::Pause {
            until: day(2026, 3, 11)
        }
    );
    assert_eq!(
        ok("PAUSE UNTIL Dec 24"),
        Command::Pause {
            until: day(2026, 12, 24)
        }
    );
}

#[test]
fn a_day_without_a_year_is_its_next_occurrence() {
    // Already passed this year: next year's.
    assert_eq!(until("Mar 1"), day(2027, 3, 1));
    assert_eq!(until("10 March"), day(2027, 3, 10));
    assert_eq!(until("March 11"), day(2026, 3, 11));
    // Year wrap: Jan 3 asked on Dec 30.
    let dec30 = day(2026, 12, 30);
    assert_eq!(pause_on("Jan 3", dec30), day(2027, 1, 3));
    assert_eq!(pause_on("Dec 31", dec30), day(2026, 12, 31));
    assert_eq!(pause_on("Dec 30", dec30), day(2027, 12, 30));
    assert_eq!(pause_on("in 3 days", dec30), day(2027, 1, 2));
    assert_eq!(pause_on("friday", dec30), day(2027, 1, 1));
    assert_eq!(pause_on("tomorrow", day(2026, 12, 31)), day(2027, 1, 1));
}

#[test]
fn leap_days() {
    assert_eq!(pause_on("Feb 29", day(2028, 2, 1)), day(2028, 2, 29));
    assert_eq!(pause_on("Feb 29", day(2027, 3, 1)), day(2028, 2, 29));
    assert_eq!(pause_on("2028-02-29", day(2027, 6, 1)), day(2028, 2, 29));
    assert_eq!(pause_on("tomorrow", day(2028, 2, 28)), day(2028, 2, 29));
    // 366 days from Feb 29 2028 is Mar 1 2029 (2028 is a leap year… but Feb 29 2029 is not a day).
    assert_eq!(pause_on("in 366 days", day(2028, 2, 29)), day(2029, 3, 1));
    let (message, instead) = mistake("pause until Feb 29");
    assert_eq!(
        message,
        "February 29 comes next in 2028, and you can pause at most a year ahead"
    );
    assert_eq!(instead, "/amplify pause until 2027-02-28");
    let (message, _) = mistake("pause until 2027-02-29");
    assert_eq!(
        message,
        "2027-02-29 does not exist: 2027 is not a leap year"
    );
}

#[test]
fn dates_that_do_not_exist_say_so() {
    let (message, instead) = mistake("pause until Feb 30");
    assert_eq!(message, "February 30 does not exist");
    assert_eq!(instead, "/amplify pause until 2027-02-28");
    assert_eq!(mistake("pause until 31 April").0, "April 31 does not exist");
    assert_eq!(
        mistake("pause until 2026-04-31").0,
        "April 31 does not exist"
    );
    assert_eq!(mistake("pause until Dec 0").0, "December 0 does not exist");
    let (message, instead) = mistake("pause until 2026-13-01");
    assert_eq!(
        message,
        "\"2026-13-01\" is not a date: there is no month 13 (months go from 01 to 12)"
    );
    assert_eq!(instead, "/amplify pause until 2026-03-17");
    assert!(mistake("pause until 2026-00-10").0.contains("no month 0"));
}

#[test]
fn dates_today_or_past_have_passed() {
    for text in [
        "today",
        "2026-03-10",
        "2026-03-09",
        "2025-12-24",
        "Dec 24 2025",
        "in 0 days",
        "0001-01-01",
    ] {
        let (message, instead) = mistake(&format!("pause until {text}"));
        assert_eq!(
            message, "that date has passed — pick a day after 2026-03-10",
            "{text}"
        );
        assert_eq!(instead, "/amplify pause until 2026-03-11", "{text}");
    }
}

#[test]
fn dates_more_than_a_year_ahead_are_refused() {
    for text in [
        "in 367 days",
        "in 53 weeks",
        "in 13 months",
        "2027-03-12",
        "December 24 2027",
        "2099-01-01",
        "in 99999999999 days",
        "in 99999999999999999999999999999999 weeks",
        "in 18446744073709551615 months",
        "99999-01-01",
        "Dec 24 999999999999999999999",
    ] {
        let (message, instead) = mistake(&format!("pause until {text}"));
        assert_eq!(
            message, "that is too far: you can pause at most a year ahead, until 2027-03-11",
            "{text}"
        );
        assert_eq!(instead, "/amplify pause until 2027-03-11", "{text}");
    }
    // December 24 2027 is fine when asked early enough.
    assert_eq!(
        pause_on("December 24 2027", day(2027, 1, 5)),
        day(2027, 12, 24)
    );
}

#[test]
fn unreadable_dates_show_the_forms_that_work() {
    let (message, instead) = mistake("pause");
    assert_eq!(
        message,
        "say until when: a date, tomorrow, a weekday or in N days"
    );
    assert_eq!(instead, "/amplify pause until 2026-03-17");
    for text in [
        "someday",
        "in -3 days",
        "in three days",
        "in 3 fortnights",
        "24/12/2026",
        "12/24/2026",
        "Smarch 24",
        "the day after the day after tomorrow and then some",
        "Dec 99999999999999999999 abc",
    ] {
        let (message, instead) = mistake(&format!("pause until {text}"));
        assert!(
            message.ends_with(
                "is not a date I can read — write it like 2026-12-24, Dec 24, tomorrow, friday or in 2 weeks"
            ),
            "{text}: {message}"
        );
        assert_eq!(instead, "/amplify pause until 2026-03-17");
    }
    assert_eq!(
        mistake("pause until Dec 24 27").0,
        "write the year in full: \"27\" is ambiguous"
    );
    assert_eq!(
        mistake("pause until Dec 99999999999999999999").0,
        "December 99999999999999999999 does not exist"
    );
}

#[test]
fn dates_at_the_ends_of_the_calendar_do_not_panic() {
    for today in [NaiveDate::MAX, NaiveDate::MIN, day(-1, 1, 1)] {
        for text in [
            "tomorrow",
            "today",
            "monday",
            "Dec 24",
            "Feb 29",
            "Feb 30",
            "in 3 days",
            "in 12 months",
            "in 99999999999 weeks",
            "2026-12-24",
            "",
        ] {
            let _ = parse(&format!("pause until {text}"), today);
        }
    }
}

// ---- team commands ----

#[test]
fn team_list_show_create() {
    assert_eq!(team("team list"), TeamCommand::List);
    assert_eq!(team("TEAM  List"), TeamCommand::List);
    assert_eq!(team("teams list"), TeamCommand::List);
    assert_eq!(
        team("team show Leadership"),
        TeamCommand::Show {
            team: "Leadership".into()
        }
    );
    let eu = || TeamCommand::Create {
        team: "Leadership EU".into(),
    };
    assert_eq!(team("team create \"Leadership EU\""), eu());
    assert_eq!(team("team create “Leadership EU”"), eu());
    assert_eq!(team("team create 'Leadership EU'"), eu());
    assert_eq!(team("team create \"  Leadership \t EU \""), eu());
    assert_eq!(team("team create \"Leader\u{200B}ship EU\u{200F}\""), eu());
    // Case is kept as typed: matching names is the behaviour's business.
    assert_eq!(
        team("TEAM CREATE Été"),
        TeamCommand::Create {
            team: "Été".into()
        }
    );
}

#[test]
fn team_name_mistakes() {
    let (message, instead) = mistake("team create Leadership EU");
    assert_eq!(message, "team names with spaces need quotes");
    assert_eq!(instead, "/amplify team create \"Leadership EU\"");
    assert_eq!(
        mistake("team show Leadership EU").1,
        "/amplify team show \"Leadership EU\""
    );
    let (message, instead) = mistake("team create");
    assert_eq!(message, "say which team: /amplify team create NAME");
    assert_eq!(instead, "/amplify team create \"Leadership EU\"");
    assert_eq!(mistake("team show").1, "/amplify team list");
    assert_eq!(mistake("team create \"\"").0, "the team name is empty");
    assert_eq!(
        mistake("team create \"\u{200B}\"").0,
        "the team name is empty"
    );
    let (message, instead) = mistake(&format!("team create {}", "x".repeat(81)));
    assert_eq!(message, "team names are at most 80 characters");
    assert_eq!(instead, format!("/amplify team create {}", "x".repeat(80)));
    let (message, instead) = mistake("team create \"Leadership EU");
    assert_eq!(
        message,
        "the quote before \"Leadership EU\" is never closed"
    );
    assert_eq!(instead, "/amplify team create \"Leadership EU\"");
    assert_eq!(mistake("team list all").1, "/amplify team list");
}

#[test]
fn unknown_team_subcommands_and_settings() {
    let (message, instead) = mistake("team craete \"Leadership EU\"");
    assert_eq!(
        message,
        "there is no team command \"craete\" — did you mean /amplify team create?"
    );
    assert_eq!(instead, "/amplify team create \"Leadership EU\"");
    assert_eq!(
        mistake("team ad leader <@U1> to X").1,
        "/amplify team add leader <@U1> to X"
    );
    assert_eq!(mistake("team delete X").1, "/amplify help team");
    let (message, instead) = mistake("team set chanel X <#C0123ABCD>");
    assert_eq!(
        message,
        "there is no team setting \"chanel\" — did you mean channel?"
    );
    assert_eq!(instead, "/amplify team set channel X <#C0123ABCD>");
    assert_eq!(
        mistake("team set shedule X 0 9 * * 1").1,
        "/amplify team set schedule X 0 9 * * 1"
    );
    assert_eq!(mistake("team set colour X red").1, "/amplify help team");
    assert_eq!(mistake("team set").1, "/amplify help team");
}

#[test]
fn team_add_and_remove_people() {
    assert_eq!(
        team("team add leader <@U0123ABCD> to Leadership"),
        TeamCommand::Add {
            role: Role::Leader,
            people: vec![user("U0123ABCD")],
            team: "Leadership".into()
        }
    );
    assert_eq!(
        team("TEAM ADD Approvers <@U1>, <@U2> and <@U3> TO \"Leadership EU\""),
        TeamCommand::Add {
            role: Role::Approver,
            people: vec![user("U1"), user("U2"), user("U3")],
            team: "Leadership EU".into()
        }
    );
    assert_eq!(
        team("team remove member <@U1> from Leadership"),
        TeamCommand::Remove {
            role: Role::Member,
            people: vec![user("U1")],
            team: "Leadership".into()
        }
    );
    assert_eq!(
        team("team remove members <@U1>,<@U2> from “Leadership EU”"),
        TeamCommand::Remove {
            role: Role::Member,
            people: vec![user("U1"), user("U2")],
            team: "Leadership EU".into()
        }
    );
}

#[test]
fn mentions_of_every_kind() {
    let people = |text: &str| match team(&format!("team add member {text} to X")) {
        TeamCommand::Add { people, .. } => people,
        other => panic!("{other:?}"),
    };
    // Normalized forms, and the raw ones in case an adapter passes them through.
    assert_eq!(people("<@U0123ABCD>"), vec![user("U0123ABCD")]);
    assert_eq!(people("<@U0123ABCD|alice>"), vec![user("U0123ABCD")]);
    assert_eq!(people("<@W0123ABCD>"), vec![user("W0123ABCD")]);
    assert_eq!(
        people("<@123456789012345678>"),
        vec![user("123456789012345678")]
    );
    assert_eq!(
        people("<@!123456789012345678>"),
        vec![user("123456789012345678")]
    );
    // Bare ids.
    assert_eq!(people("U0123ABCD"), vec![user("U0123ABCD")]);
    assert_eq!(
        people("123456789012345678"),
        vec![user("123456789012345678")]
    );
    assert_eq!(people("alice"), vec![user("alice")]);
    // Glued, repeated, with invisible characters.
    assert_eq!(
        people("<@U1><@U2> <@U1> \u{200B}<@U3\u{200D}>"),
        vec![user("U1"), user("U2"), user("U3")]
    );
}

#[test]
fn group_and_plain_text_mentions_are_refused() {
    for group in [
        "<!everyone>",
        "<!here>",
        "<!channel>",
        "<!subteam^S0123|@design>",
        "<@&123456789012345678>",
        "@everyone",
        "@here",
        "@channel",
        "@Everyone",
    ] {
        let (message, instead) = mistake(&format!("team add member <@U1> {group} to X"));
        assert!(
            message.ends_with("names a group, not a person or channel — mention people one by one"),
            "{group}: {message}"
        );
        assert_eq!(
            instead, "/amplify team add member <@U1> @someone to X",
            "{group}"
        );
    }
    let (message, _) = mistake("team add leader @alice to X");
    assert_eq!(
        message,
        "\"@alice\" is plain text, not a mention — pick the person from the list that opens when you type @, or give their member id"
    );
    let (message, _) = mistake("team add leader <#C0123ABCD> to X");
    assert_eq!(
        message,
        "\"<#C0123ABCD>\" is a channel, not a person — mention the person with @"
    );
    assert!(mistake("team add leader C0123ABCD to X")
        .0
        .contains("is a channel"));
    assert!(mistake("team add leader <U1> to X")
        .0
        .contains("not a mention"));
    assert!(mistake("team add leader <@> to X")
        .0
        .contains("not a mention or an id"));
    assert!(mistake("team add leader <@U1;drop> to X")
        .0
        .contains("not a mention or an id"));
    assert!(mistake(&format!("team add leader {} to X", "9".repeat(65)))
        .0
        .contains("not a mention or an id"));
}

#[test]
fn team_membership_mistakes() {
    let (message, instead) = mistake("team add leader <@U1> Leadership");
    assert_eq!(
        message,
        "say which team, after \"to\": /amplify team add leader PERSON… to TEAM"
    );
    assert_eq!(instead, "/amplify team add leader <@U1> to Leadership");
    assert_eq!(
        mistake("team add leader <@U1> Leadership EU").1,
        "/amplify team add leader <@U1> to \"Leadership EU\""
    );
    assert_eq!(
        mistake("team add leader alice Leadership").1,
        "/amplify team add leader alice to Leadership"
    );
    assert_eq!(
        mistake("team remove approver <@U1> <@U2> Leadership").1,
        "/amplify team remove approver <@U1> <@U2> from Leadership"
    );
    let (message, instead) = mistake("team add leader to X");
    assert_eq!(message, "say who: mention each person with @ before \"to\"");
    assert_eq!(instead, "/amplify team add member <@someone> to TEAM");
    assert_eq!(
        mistake("team add").1,
        "/amplify team add member <@someone> to TEAM"
    );
    assert_eq!(
        mistake("team add leader <@U1> to").0,
        "say which team after \"to\""
    );
    let (message, instead) = mistake("team add admin <@U1> to X");
    assert_eq!(
        message,
        "admin is not a team role — add a leader, approver or member"
    );
    assert_eq!(instead, "/amplify team add member <@U1> to X");
    let (message, instead) = mistake("team add leeder <@U1> to X");
    assert_eq!(
        message,
        "there is no role \"leeder\" — did you mean leader?"
    );
    assert_eq!(instead, "/amplify team add leader <@U1> to X");
    assert_eq!(
        mistake("team add boss <@U1> to X").1,
        "/amplify team add member <@U1> to X"
    );
    let (message, instead) = mistake("team add leader <@U1> to Leadership EU");
    assert_eq!(message, "team names with spaces need quotes");
    assert_eq!(
        instead,
        "/amplify team add leader <@U1> to \"Leadership EU\""
    );
}

#[test]
fn team_set_schedule() {
    let schedule = |text: &str| match team(text) {
        TeamCommand::SetSchedule { team, schedule } => (team, schedule.as_str().to_string()),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        schedule("team set schedule Leadership 0 9 * * 1"),
        ("Leadership".into(), "0 9 * * 1".into())
    );
    assert_eq!(
        schedule("TEAM SET SCHEDULE \"Leadership EU\"   \"30 8 * * Mon-Fri\" "),
        ("Leadership EU".into(), "30 8 * * Mon-Fri".into())
    );
    assert_eq!(
        schedule("team set cron X @weekly"),
        ("X".into(), "@weekly".into())
    );
    let (message, instead) = mistake("team set schedule Leadership 0 25 * * 1");
    assert!(
        message.starts_with("the schedule \"0 25 * * 1\" is not valid: "),
        "{message}"
    );
    assert!(message.contains("hour"), "{message}");
    assert_eq!(instead, "/amplify team set schedule Leadership 0 9 * * 1");
    let (message, instead) = mistake("team set schedule Leadership EU 0 9 * * 1");
    assert_eq!(message, "team names with spaces need quotes");
    assert_eq!(
        instead,
        "/amplify team set schedule \"Leadership EU\" 0 9 * * 1"
    );
    assert_eq!(
        mistake("team set schedule \"Leadership EU\"").1,
        "/amplify team set schedule \"Leadership EU\" 0 9 * * 1"
    );
    assert!(mistake("team set schedule")
        .0
        .starts_with("say which team and when"));
    assert!(
        mistake(&format!("team set schedule X {}", "1,".repeat(200)))
            .0
            .starts_with("that schedule is too long")
    );
}

#[test]
fn team_set_channel() {
    let channel = |text: &str| match team(&format!("team set channel Leadership {text}")) {
        TeamCommand::SetChannel { channel, .. } => channel,
        other => panic!("{other:?}"),
    };
    let c = |id: &str| ChannelRef(id.to_string());
    assert_eq!(channel("<#C0123ABCD>"), c("C0123ABCD"));
    assert_eq!(channel("<#C0123ABCD|general>"), c("C0123ABCD"));
    assert_eq!(channel("<#123456789012345678>"), c("123456789012345678"));
    assert_eq!(channel("C0123ABCD"), c("C0123ABCD"));
    assert_eq!(channel("123456789012345678"), c("123456789012345678"));
    assert_eq!(
        team("team set channel \"Leadership EU\" <#G0123ABCD>"),
        TeamCommand::SetChannel {
            team: "Leadership EU".into(),
            channel: c("G0123ABCD")
        }
    );
    let (message, instead) = mistake("team set channel Leadership #general");
    assert_eq!(
        message,
        "\"#general\" is plain text, not a channel link — pick the channel from the list that opens when you type #, or give its channel id"
    );
    assert_eq!(instead, "/amplify team set channel Leadership #channel");
    assert_eq!(
        mistake("team set channel Leadership <@U0123ABCD>").0,
        "\"<@U0123ABCD>\" is a person, not a channel — link the channel with #"
    );
    assert!(mistake("team set channel Leadership U0123ABCD")
        .0
        .contains("is a person"));
    assert!(mistake("team set channel Leadership <!here>")
        .0
        .contains("names a group"));
    let (message, instead) = mistake("team set channel Leadership EU <#C0123ABCD>");
    assert_eq!(message, "team names with spaces need quotes");
    assert_eq!(
        instead,
        "/amplify team set channel \"Leadership EU\" <#C0123ABCD>"
    );
    assert_eq!(
        mistake("team set channel Leadership").1,
        "/amplify team set channel TEAM #channel"
    );
}

#[test]
fn team_set_networks() {
    let networks = |text: &str| match team(&format!("team set networks Leadership {text}")) {
        TeamCommand::SetNetworks { networks, .. } => networks,
        other => panic!("{other:?}"),
    };
    use Network::*;
    assert_eq!(networks("linkedin,x,bluesky"), vec![Linkedin, X, Bluesky]);
    assert_eq!(networks("LinkedIn, X ,Bluesky"), vec![Linkedin, X, Bluesky]);
    assert_eq!(networks("linkedin x bluesky"), vec![Linkedin, X, Bluesky]);
    assert_eq!(
        networks("mastodon and threads, facebook"),
        vec![Mastodon, Threads, Facebook]
    );
    assert_eq!(networks("twitter,x,linkedin,linkedin"), vec![X, Linkedin]);
    let (message, instead) = mistake("team set networks Leadership linkdin,x");
    assert_eq!(
        message,
        "there is no network \"linkdin\" — did you mean linkedin?"
    );
    assert_eq!(instead, "/amplify team set networks Leadership linkedin,x");
    let (message, instead) = mistake("team set networks \"Leadership EU\" linkedin,myspace");
    assert_eq!(
        message,
        "there is no network \"myspace\" — use linkedin, x, bluesky, mastodon, threads, facebook"
    );
    assert_eq!(
        instead,
        "/amplify team set networks \"Leadership EU\" linkedin"
    );
    assert_eq!(
        mistake("team set networks Leadership myspace").1,
        "/amplify team set networks Leadership linkedin,x,bluesky"
    );
    let (message, instead) = mistake("team set networks Leadership EU linkedin");
    assert_eq!(message, "team names with spaces need quotes");
    assert_eq!(
        instead,
        "/amplify team set networks \"Leadership EU\" linkedin"
    );
    assert_eq!(
        mistake("team set networks Leadership").0,
        "say which networks: linkedin, x, bluesky, mastodon, threads, facebook"
    );
}

#[test]
fn team_set_prompts_and_timezone() {
    assert_eq!(
        team("team set prompts Leadership default"),
        TeamCommand::SetPrompts {
            team: "Leadership".into(),
            pack: "default".into()
        }
    );
    assert_eq!(
        team("team set prompts \"Leadership EU\" \"Founders pack\""),
        TeamCommand::SetPrompts {
            team: "Leadership EU".into(),
            pack: "Founders pack".into()
        }
    );
    assert_eq!(
        team("team set timezone \"Leadership EU\" Europe/Berlin"),
        TeamCommand::SetTimezone {
            team: "Leadership EU".into(),
            zone: chrono_tz::Europe::Berlin
        }
    );
    assert_eq!(
        team("team set tz X UTC"),
        TeamCommand::SetTimezone {
            team: "X".into(),
            zone: chrono_tz::UTC
        }
    );
    let (message, instead) = mistake("team set timezone Leadership Europe/Pariss");
    assert_eq!(
        message,
        "unknown time zone \"Europe/Pariss\" — did you mean \"Europe/Paris\"?"
    );
    assert_eq!(
        instead,
        "/amplify team set timezone Leadership Europe/Paris"
    );
    assert_eq!(
        mistake("team set timezone \"Leadership EU\" europe/paris").1,
        "/amplify team set timezone \"Leadership EU\" Europe/Paris"
    );
    assert_eq!(
        mistake("team set timezone").1,
        "/amplify team set timezone TEAM Europe/Paris"
    );
    assert_eq!(
        mistake("team set prompts X \"\"").1,
        "/amplify team set prompts X default"
    );
}

// ---- errors and help ----

#[test]
fn error_display_joins_message_and_suggestion() {
    let e = CommandError {
        message: "that date has passed — pick a day after 2026-03-10".into(),
        try_instead: Some("/amplify pause until 2026-03-11".into()),
    };
    assert_eq!(
        e.to_string(),
        "that date has passed — pick a day after 2026-03-10. Type: /amplify pause until 2026-03-11"
    );
    let e = CommandError {
        message: "did you mean x?".into(),
        try_instead: Some("/amplify x".into()),
    };
    assert_eq!(e.to_string(), "did you mean x? Type: /amplify x");
    let e = CommandError {
        message: "no".into(),
        try_instead: None,
    };
    assert_eq!(e.to_string(), "no");
}

#[test]
fn help_text_has_a_line_for_every_command() {
    let all = help_text(None);
    for verb in VERBS {
        assert!(
            all.lines()
                .any(|l| l.starts_with(&format!("/amplify {verb}"))),
            "{verb} missing from:\n{all}"
        );
    }
    for sub in [
        "list",
        "show",
        "create",
        "add",
        "remove",
        "set schedule",
        "set channel",
        "set networks",
        "set prompts",
        "set timezone",
    ] {
        assert!(all.contains(&format!("/amplify team {sub}")), "team {sub}");
    }
    for verb in VERBS {
        let one = help_text(Some(verb));
        assert!(
            one.starts_with(&format!("/amplify {verb}")),
            "{verb}: {one}"
        );
        assert!(one.len() < all.len(), "{verb}");
    }
    assert!(help_text(Some("pause")).contains("in 2 weeks"));
    assert!(help_text(Some("TEAM")).contains("quote"));
    assert!(help_text(Some("forget")).starts_with("/amplify forget-me"));
    let unknown = help_text(Some("xyzzy\u{200B}"));
    assert!(unknown.starts_with("There is no help on \"xyzzy\"; here is everything."));
    assert!(unknown.ends_with(&all));
}

#[test]
fn examples_in_help_parse() {
    // Every concrete example the help gives is itself a valid command.
    for example in [
        "help pause",
        "timezone Europe/Paris",
        "team create \"Leadership EU\"",
        "team set schedule X 0 9 * * 1",
        "team set networks X linkedin,x,bluesky",
        "team set prompts X default",
        "pause until 2026-12-24",
        "pause until Dec 24",
        "pause until 24 Dec",
        "pause until tomorrow",
        "pause until friday",
        "pause until in 3 days",
        "pause until in 2 weeks",
        "pause until in a month",
    ] {
        ok(example);
    }
}

// ---- hostile input ----

#[test]
fn invisible_characters_in_words_are_ignored() {
    assert_eq!(ok("sta\u{200B}tus"), Command::Status);
    assert_eq!(ok("\u{202E}status\u{202C}"), Command::Status);
    assert_eq!(ok("\u{FEFF}STATUS\u{200F}"), Command::Status);
    assert_eq!(ok("st\u{0}at\u{7}us\u{1b}"), Command::Status);
    assert_eq!(ok("mu\u{00AD}te"), Command::Mute);
    assert_eq!(
        ok("pause\u{200B} until\u{2060} to\u{200D}morrow"),
        Command::Pause {
            until: day(2026, 3, 11)
        }
    );
    assert_eq!(
        team("team cre\u{200B}ate \u{200E}Leadership\u{200F}"),
        TeamCommand::Create {
            team: "Leadership".into()
        }
    );
    assert_eq!(
        ok("timezone Europe/\u{200B}Paris"),
        Command::Timezone {
            zone: Some(chrono_tz::Europe::Paris)
        }
    );
    // Non-breaking and other Unicode spaces separate words.
    assert_eq!(team("team\u{00A0}list"), TeamCommand::List);
    assert_eq!(team("team\u{3000}list"), TeamCommand::List);
}

#[test]
fn right_to_left_and_other_scripts_do_not_confuse_the_grammar() {
    let (message, _) = mistake("\u{05E9}\u{05DC}\u{05D5}\u{05DD}");
    assert!(
        message.starts_with("there is no command \"שלום\""),
        "{message}"
    );
    assert_eq!(
        team("team create \"\u{0641}\u{0631}\u{064A}\u{0642} \u{200F}EU\""),
        TeamCommand::Create {
            team: "\u{0641}\u{0631}\u{064A}\u{0642} EU".into()
        }
    );
    assert_eq!(
        team("team create \"👩‍💻 Builders\""),
        TeamCommand::Create {
            team: "👩‍💻 Builders".into()
        }
    );
}

#[test]
fn huge_input_gets_short_clear_errors() {
    let huge = "a".repeat(50 * 1024);
    let words = "word ".repeat(10 * 1024);
    let mentions = "<@U1> ".repeat(8 * 1024);
    for text in [
        huge.clone(),
        format!("status {huge}"),
        format!("{huge} status"),
        format!("pause until {huge}"),
        format!("pause until {words}"),
        format!("pause until in {} days", "9".repeat(50 * 1024)),
        format!("timezone {huge}"),
        format!("timezone {words}"),
        format!("help {huge}"),
        format!("team {huge}"),
        format!("team create {huge}"),
        format!("team create {words}"),
        format!("team create \"{huge}"),
        format!("team add leader {mentions}"),
        format!("team add {huge} <@U1> to X"),
        format!("team add leader <@U1> to {words}"),
        format!("team set schedule X {words}"),
        format!("team set networks X {words}"),
        format!("team set channel X {words}"),
        format!("team set {huge} X"),
        "\"".repeat(50 * 1024),
        "<".repeat(50 * 1024),
    ] {
        let e = err(&text);
        assert!(
            e.message.chars().count() < 300,
            "{}: {}",
            short(&text),
            e.message
        );
        if let Some(instead) = &e.try_instead {
            assert!(instead.chars().count() <= 301, "{instead}");
        }
    }
    // Nothing visible is nothing typed.
    assert_eq!(
        ok(&"\u{200B}".repeat(20 * 1024)),
        Command::Help { topic: None }
    );
    assert_eq!(
        ok(&"\u{0}".repeat(50 * 1024)),
        Command::Help { topic: None }
    );
    // Free text stays whole.
    match ok(&format!("draft {huge}")) {
        Command::Draft { text } => assert_eq!(text.map(|t| t.len()), Some(huge.len())),
        other => panic!("{other:?}"),
    }
    match team(&format!("team add leader {mentions} to X")) {
        TeamCommand::Add { people, .. } => assert_eq!(people, vec![user("U1")]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_prefix_of_every_example_parses_or_errs_without_panic() {
    let samples = [
        "team add leader <@U0123ABCD|alice>, <@!123> and U1 to “Leadership EU”",
        "team set schedule 'Leadership EU' \"0 9 * * Mon-Fri\"",
        "team set networks \u{200B}Leadership linkedin,\u{202E}x ,bluesky",
        "pause until December 24th, 2026",
        "timezone America/Argentina/Buenos_Aires",
        "draft 👩‍💻 «quoted» ‘curly’ \u{0}\u{7f}",
        "forget—me",
    ];
    for sample in samples {
        for (i, _) in sample.char_indices() {
            let _ = parse(&sample[..i], today());
            let _ = parse(&sample[i..], today());
        }
    }
}

#[test]
fn pseudo_random_word_salad_never_panics() {
    let pieces = [
        "team",
        "add",
        "remove",
        "set",
        "to",
        "from",
        "\"",
        "'",
        "“",
        "”",
        "<@",
        ">",
        "<#",
        "<!",
        "@&",
        "|",
        ",",
        "leader",
        "pause",
        "until",
        "in",
        "99999999999999999999",
        "-",
        "/",
        "Feb",
        "29",
        "2028",
        "\u{200B}",
        "\u{202E}",
        "\u{0}",
        " ",
        "\n",
        "é",
        "👩‍💻",
        "schedule",
        "networks",
        "channel",
        "timezone",
        "Europe/Pariss",
        "*",
        "@weekly",
        "help",
        "draft",
        "x",
        "",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let mut text = String::new();
        for _ in 0..(seed % 12) {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            if seed & 1 == 0 {
                text.push(' ');
            }
        }
        seed = seed.wrapping_add(0x2545_F491_4F6C_DD1D);
        if let Err(e) = parse(&text, today()) {
            assert!(!e.message.is_empty(), "{text:?}");
        }
    }
}
