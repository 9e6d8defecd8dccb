//! Tests for the scheduler: parsing, DST-exact fires over two years in many zones (with croner as
//! an oracle), catch-up after downtime, and never-firing schedules. No wall clock anywhere.

use std::str::FromStr;
use std::time::Duration;

use amplifier::schedule::{
    catch_up, CronError, CronField, CronSchedule, DEFAULT_CATCH_UP_WINDOW, MISSED_LIST_LIMIT,
};
use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

// ---------------------------------------------------------------- helpers

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid UTC time")
}

fn naive(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|d| d.and_hms_opt(h, mi, 0))
        .expect("valid naive time")
}

fn tz(name: &str) -> Tz {
    name.parse().expect("known zone")
}

fn sched(expr: &str) -> CronSchedule {
    CronSchedule::parse(expr).unwrap_or_else(|e| panic!("{expr:?} should parse: {e}"))
}

fn err(expr: &str) -> CronError {
    match CronSchedule::parse(expr) {
        Ok(_) => panic!("{expr:?} should not parse"),
        Err(e) => e,
    }
}

/// Weekdays (Unix numbering, 0 = Sunday) of the fires in the first three weeks of 2026.
fn weekdays_of(expr: &str) -> Vec<u32> {
    let mut days: Vec<u32> = sched(expr)
        .fires_between(
            chrono_tz::UTC,
            utc(2026, 1, 4, 0, 0, 0),
            utc(2026, 1, 11, 0, 0, 0),
            100,
        )
        .iter()
        .map(|t| t.weekday().num_days_from_sunday())
        .collect();
    days.dedup();
    days
}

const ZONES: &[&str] = &[
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "America/St_Johns",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "America/Santiago",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Tehran",
    "Europe/Istanbul",
    "America/Mexico_City",
    "Europe/Dublin",
    "Antarctica/Troll",
    "Europe/Berlin",
    "America/New_York",
    "Europe/London",
    "Asia/Tokyo",
    "America/Phoenix",
    "UTC",
    // Transitions at midnight: the gap swallows 00:00-01:00.
    "America/Havana",
    "America/Nuuk",
];

fn span() -> (DateTime<Utc>, DateTime<Utc>) {
    (utc(2026, 1, 1, 0, 0, 0), utc(2028, 1, 1, 0, 0, 0))
}

/// A change of UTC offset: the instant, and the offsets (seconds) before and after.
#[derive(Debug, Clone, Copy)]
struct Transition {
    at: DateTime<Utc>,
    before: i64,
    after: i64,
}

fn offset_secs(zone: Tz, t: DateTime<Utc>) -> i64 {
    i64::from(t.with_timezone(&zone).offset().fix().local_minus_utc())
}

/// Every offset change in `[from, to)`, found by hourly sampling and bisection to the second.
fn transitions(zone: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        let next = t + TimeDelta::hours(1);
        let (before, after) = (offset_secs(zone, t), offset_secs(zone, next));
        if before != after {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > TimeDelta::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_secs(zone, mid) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(Transition {
                at: hi,
                before,
                after,
            });
        }
        t = next;
    }
    out
}

/// The oracle: croner's own fires in `zone`, in `(from, to]`.
fn croner_fires(
    expr: &str,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let cron = croner::Cron::from_str(expr).expect("croner parses it");
    let mut out = Vec::new();
    let mut cur = from.with_timezone(&zone);
    loop {
        let Ok(next) = cron.find_next_occurrence(&cur, false) else {
            return out;
        };
        if next.with_timezone(&Utc) > to {
            return out;
        }
        out.push(next.with_timezone(&Utc));
        cur = next;
    }
}

/// The naive local slots of `expr` in `[from, to)`, by croner on naive time (independent of the
/// `cron` crate our code uses).
fn croner_naive_slots(expr: &str, from: NaiveDateTime, to: NaiveDateTime) -> Vec<NaiveDateTime> {
    let cron = croner::Cron::from_str(expr).expect("croner parses it");
    let mut out = Vec::new();
    let mut cur = from;
    let mut inclusive = true;
    loop {
        // croner gives up (an error) when nothing is left, e.g. past a year field.
        let Ok(next) = cron.find_next_occurrence(&cur, inclusive) else {
            return out;
        };
        if next >= to {
            return out;
        }
        out.push(next);
        cur = next;
        inclusive = false;
    }
}

/// The rule, implemented naively: a slot fires at its only instant, at the earlier of two, or
/// (in a gap) at the first valid whole minute after it. Every transition here is on a minute.
fn rule_instant(zone: Tz, slot: NaiveDateTime) -> DateTime<Utc> {
    let mut t = slot;
    loop {
        match zone.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => return a.min(b).with_timezone(&Utc),
            LocalResult::None => t += TimeDelta::minutes(1),
        }
    }
}

/// What our fires in `(from, to]` must be: every naive slot once, resolved by the rule, equal
/// instants merged.
fn expected_by_rule(
    expr: &str,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let lo = from.with_timezone(&zone).naive_local() - TimeDelta::hours(4);
    let hi = to.with_timezone(&zone).naive_local() + TimeDelta::hours(4);
    let mut out: Vec<DateTime<Utc>> = croner_naive_slots(expr, lo, hi)
        .into_iter()
        .map(|s| rule_instant(zone, s))
        .filter(|t| *t > from && *t <= to)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn assert_strictly_increasing(fires: &[DateTime<Utc>], what: &str) {
    for pair in fires.windows(2) {
        assert!(pair[0] < pair[1], "{what}: {} then {}", pair[0], pair[1]);
    }
}

/// True when croner treats `expr` as a fixed-time job (single second, minute and hour): only
/// those get the gap/overlap rule in croner; interval jobs skip gap slots and fire overlap slots
/// twice.
fn croner_fixed_time(expr: &str) -> bool {
    croner::Cron::from_str(expr)
        .expect("croner parses it")
        .determine_job_type()
        == croner::JobType::FixedTime
}

/// Compare with croner. For fixed-time jobs: equal. For interval jobs croner skips slots in a
/// gap and fires overlap slots twice, so: ours = croner without the later overlap instants, plus
/// the transition instant of every gap that swallowed a slot.
fn check_against_croner(expr: &str, zone_name: &str, from: DateTime<Utc>, to: DateTime<Utc>) {
    let zone = tz(zone_name);
    let ours = sched(expr).fires_between(zone, from, to, usize::MAX);
    let what = format!("{expr:?} in {zone_name} ({from} .. {to})");
    assert_strictly_increasing(&ours, &what);
    assert_eq!(
        ours,
        expected_by_rule(expr, zone, from, to),
        "{what}: every slot once, by the rule"
    );

    let theirs = croner_fires(expr, zone, from, to);
    if croner_fixed_time(expr) {
        assert_eq!(ours, theirs, "{what}: croner (fixed-time)");
        return;
    }
    let mut adjusted: Vec<DateTime<Utc>> = theirs
        .into_iter()
        .filter(|t| {
            // Drop the later instant of a repeated wall-clock time.
            match zone.from_local_datetime(&t.with_timezone(&zone).naive_local()) {
                LocalResult::Ambiguous(a, b) => *t == a.min(b).with_timezone(&Utc),
                _ => true,
            }
        })
        .collect();
    for tr in transitions(zone, from - TimeDelta::days(1), to) {
        if tr.after <= tr.before || tr.at <= from || tr.at > to {
            continue;
        }
        let gap_start = (tr.at + TimeDelta::seconds(tr.before)).naive_utc();
        let gap_end = (tr.at + TimeDelta::seconds(tr.after)).naive_utc();
        if !croner_naive_slots(expr, gap_start, gap_end).is_empty() {
            adjusted.push(tr.at);
        }
    }
    adjusted.sort();
    adjusted.dedup();
    assert_eq!(ours, adjusted, "{what}: croner (interval job, adjusted)");
}

// ---------------------------------------------------------------- parsing

#[test]
fn parses_five_six_and_seven_fields() {
    let five = sched("0 9 * * 1");
    assert_eq!(five.as_str(), "0 9 * * 1");
    let six = sched("30 0 9 * * 1");
    let seven = sched("0 0 9 * * 1 2027");
    let after = utc(2026, 1, 1, 0, 0, 0);
    // 2026-01-05 is a Monday.
    assert_eq!(
        five.next_after(chrono_tz::UTC, after),
        Some(utc(2026, 1, 5, 9, 0, 0))
    );
    assert_eq!(
        six.next_after(chrono_tz::UTC, after),
        Some(utc(2026, 1, 5, 9, 0, 30))
    );
    assert_eq!(
        seven.next_after(chrono_tz::UTC, after),
        Some(utc(2027, 1, 4, 9, 0, 0))
    );
    assert_eq!(sched("  0 9 * * Mon \n").as_str(), "0 9 * * Mon");
    assert_eq!(sched("0 9 * * Mon").to_string(), "0 9 * * Mon");
    assert!(CronSchedule::from_str("0 9 * * Mon").is_ok());
}

#[test]
fn shortcuts_expand_to_five_fields() {
    let after = utc(2026, 1, 1, 0, 30, 0);
    let next = |e: &str| sched(e).next_after(chrono_tz::UTC, after);
    assert_eq!(next("@hourly"), Some(utc(2026, 1, 1, 1, 0, 0)));
    assert_eq!(next("@daily"), Some(utc(2026, 1, 2, 0, 0, 0)));
    assert_eq!(next("@weekly"), Some(utc(2026, 1, 4, 0, 0, 0))); // Sunday
    assert_eq!(next("@monthly"), Some(utc(2026, 2, 1, 0, 0, 0)));
    assert_eq!(next("@yearly"), Some(utc(2027, 1, 1, 0, 0, 0)));
    let e = err("@fortnightly");
    assert_eq!(e.field, None);
    assert!(e.message.contains("@weekly"), "{e}");
}

#[test]
fn unix_day_of_week_numbers() {
    // 0 and 7 are Sunday, 1 Monday … 6 Saturday.
    assert_eq!(weekdays_of("0 9 * * 0"), vec![0]);
    assert_eq!(weekdays_of("0 9 * * 7"), vec![0]);
    assert_eq!(weekdays_of("0 9 * * 1"), vec![1]);
    assert_eq!(weekdays_of("0 9 * * 6"), vec![6]);
    assert_eq!(weekdays_of("0 9 * * 1-5"), vec![1, 2, 3, 4, 5]);
    assert_eq!(weekdays_of("0 9 * * 0-6"), vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(weekdays_of("0 9 * * 0-7"), vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(weekdays_of("0 9 * * 0,6"), vec![0, 6]);
    assert_eq!(weekdays_of("0 9 * * 6,7"), vec![0, 6]);
    assert_eq!(weekdays_of("0 9 * * */2"), vec![0, 2, 4, 6]);
    assert_eq!(weekdays_of("0 9 * * 1-5/2"), vec![1, 3, 5]);
    assert_eq!(weekdays_of("0 9 * * 1/3"), vec![1, 4]);
    assert_eq!(weekdays_of("0 9 * * 5-7"), vec![0, 5, 6]);
    // Names, any case, and Sunday closing a range.
    assert_eq!(weekdays_of("0 9 * * Mon"), vec![1]);
    assert_eq!(weekdays_of("0 9 * * mon-fri"), vec![1, 2, 3, 4, 5]);
    assert_eq!(weekdays_of("0 9 * * Fri-Sun"), vec![0, 5, 6]);
    assert_eq!(weekdays_of("0 9 * * SUN,Wednesday"), vec![0, 3]);
    assert_eq!(weekdays_of("0 9 * * ?"), vec![0, 1, 2, 3, 4, 5, 6]);
}

#[test]
fn six_and_seven_fields_use_unix_weekdays_too() {
    assert_eq!(weekdays_of("0 0 9 * * 1"), vec![1]);
    assert_eq!(weekdays_of("0 0 9 * * 0"), vec![0]);
    assert_eq!(weekdays_of("0 0 9 * * 7"), vec![0]);
    assert_eq!(weekdays_of("0 0 9 * * 1-5"), vec![1, 2, 3, 4, 5]);
    assert_eq!(weekdays_of("0 0 9 * * 1 2026"), vec![1]);
}

#[test]
fn other_fields_lists_ranges_steps_and_names() {
    let fires = sched("*/20 9-10 * * *").fires_between(
        chrono_tz::UTC,
        utc(2026, 1, 1, 0, 0, 0),
        utc(2026, 1, 2, 0, 0, 0),
        100,
    );
    let times: Vec<(u32, u32)> = fires
        .iter()
        .map(|t| (chrono::Timelike::hour(t), chrono::Timelike::minute(t)))
        .collect();
    assert_eq!(
        times,
        vec![(9, 0), (9, 20), (9, 40), (10, 0), (10, 20), (10, 40)]
    );

    let months: Vec<u32> = sched("0 0 1 Jan,jul-aug *")
        .fires_between(
            chrono_tz::UTC,
            utc(2026, 1, 1, 0, 0, 0),
            utc(2027, 1, 1, 0, 0, 0),
            100,
        )
        .iter()
        .map(|t| t.month())
        .collect();
    assert_eq!(months, vec![7, 8, 1]);
}

#[test]
fn day_of_month_and_day_of_week_combine_like_unix_cron() {
    // Both restricted: the 13th OR any Friday (Unix cron, and croner by default).
    let (from, to) = (utc(2026, 1, 1, 0, 0, 0), utc(2026, 4, 1, 0, 0, 0));
    let ours = sched("0 9 13 * Fri").fires_between(chrono_tz::UTC, from, to, 100);
    assert_eq!(ours, croner_fires("0 9 13 * 5", chrono_tz::UTC, from, to));
    assert!(ours
        .iter()
        .any(|t| t.day() == 13 && t.weekday() != chrono::Weekday::Fri));
    assert!(ours
        .iter()
        .any(|t| t.day() != 13 && t.weekday() == chrono::Weekday::Fri));
    // One of them `*`: the other alone decides.
    let fridays = sched("0 9 * * Fri").fires_between(chrono_tz::UTC, from, to, 100);
    assert!(fridays.iter().all(|t| t.weekday() == chrono::Weekday::Fri));
    let thirteenths = sched("0 9 13 * *").fires_between(chrono_tz::UTC, from, to, 100);
    assert_eq!(thirteenths.len(), 3);
}

#[test]
fn wrong_field_count_says_what_to_type() {
    for (expr, n) in [("0 9 * *", 4), ("", 0), ("9", 1), ("0 0 9 * * 1 2026 x", 8)] {
        let e = err(expr);
        assert_eq!(e.field, None, "{expr:?}");
        assert!(
            e.message.starts_with(&format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {n}"
            )),
            "{expr:?}: {e}"
        );
    }
}

#[test]
fn each_field_error_names_its_field() {
    let cases: &[(&str, CronField, &str)] = &[
        ("60 9 * * *", CronField::Minute, "minute field '60' is out of range: use 0-59"),
        ("0 24 * * *", CronField::Hour, "hour field '24' is out of range: use 0-23"),
        ("0 9 0 * *", CronField::DayOfMonth, "day-of-month field '0' is out of range: use 1-31"),
        ("0 9 32 * *", CronField::DayOfMonth, "day-of-month field '32' is out of range"),
        ("0 9 * 13 *", CronField::Month, "month field '13' is out of range: use 1-12 or names like Jan-Dec"),
        ("0 9 * Foo *", CronField::Month, "month field 'Foo' is not a number or a name"),
        (
            "0 9 * * 8",
            CronField::DayOfWeek,
            "day-of-week field '8' is out of range: use 0-7 (0 and 7 are Sunday) or names like Mon-Fri",
        ),
        ("0 9 * * Mnday", CronField::DayOfWeek, "day-of-week field 'Mnday' is not a number or a name"),
        ("0 9 * * 5-1", CronField::DayOfWeek, "backwards range"),
        ("0 9 * * 1,,2", CronField::DayOfWeek, "empty list entry"),
        ("*/0 9 * * *", CronField::Minute, "step of 1 or more"),
        ("0 ? * * *", CronField::Hour, "'?' only works in day-of-month and day-of-week"),
        ("0 nine * * *", CronField::Hour, "hour field 'nine' is not a number: use 0-23"),
        ("0 9 L * *", CronField::DayOfMonth, "day-of-month field 'L' is not a number"),
        ("0 9 * * 1#2", CronField::DayOfWeek, "day-of-week field '1#2'"),
        ("60 0 9 * * *", CronField::Second, "second field '60' is out of range: use 0-59"),
        ("0 0 9 * * * 1969", CronField::Year, "year field '1969' is out of range: use 1970-2100"),
        ("0 0 9 * * * 2101", CronField::Year, "year field '2101' is out of range"),
        ("0 9-5 * * *", CronField::Hour, "backwards range"),
        ("0 -1 * * *", CronField::Hour, "hour field '-1' is missing a number: use 0-23"),
    ];
    for (expr, field, text) in cases {
        let e = err(expr);
        assert_eq!(e.field, Some(*field), "{expr:?}: {e}");
        assert!(
            e.message.contains(text),
            "{expr:?}: got {:?}, want {text:?}",
            e.message
        );
        assert_eq!(e.to_string(), e.message);
    }
}

// ---------------------------------------------------------------- DST, table-driven

#[test]
fn zone_table_is_big_enough_and_has_transitions() {
    assert!(ZONES.len() >= 20);
    let (from, to) = span();
    let with_dst = ZONES
        .iter()
        .filter(|z| !transitions(tz(z), from, to).is_empty())
        .count();
    assert!(
        with_dst >= 12,
        "only {with_dst} zones change offset in 2026-2027"
    );
    // Lord Howe shifts by 30 minutes, Troll by 2 hours, Dublin's "negative DST" still +1 h.
    let shifts = |z: &str| {
        transitions(tz(z), from, to)
            .iter()
            .map(|t| (t.after - t.before).abs())
            .collect::<Vec<_>>()
    };
    assert!(shifts("Australia/Lord_Howe").iter().all(|s| *s == 1800));
    assert!(shifts("Antarctica/Troll").iter().all(|s| *s == 7200));
    assert!(shifts("Europe/Dublin").iter().all(|s| *s == 3600));
    assert!(shifts("America/Sao_Paulo").is_empty());
    assert!(shifts("Asia/Tehran").is_empty());
}

#[test]
fn weekly_matches_croner_in_every_zone_for_two_years() {
    let (from, to) = span();
    for zone in ZONES {
        check_against_croner("0 9 * * 1", zone, from, to);
        check_against_croner("30 2 * * 0", zone, from, to);
    }
}

#[test]
fn daily_0230_matches_croner_in_every_zone_for_two_years() {
    let (from, to) = span();
    for zone in ZONES {
        check_against_croner("30 2 * * *", zone, from, to);
        check_against_croner("0 0 * * *", zone, from, to);
    }
}

#[test]
fn hourly_matches_croner_in_every_zone_for_two_years() {
    let (from, to) = span();
    for zone in ZONES {
        check_against_croner("0 * * * *", zone, from, to);
    }
}

#[test]
fn every_15_minutes_matches_croner_on_transition_days() {
    let (from, to) = span();
    let mut windows = 0;
    for zone in ZONES {
        for tr in transitions(tz(zone), from, to) {
            check_against_croner(
                "*/15 * * * *",
                zone,
                tr.at - TimeDelta::hours(26),
                tr.at + TimeDelta::hours(26),
            );
            windows += 1;
        }
    }
    assert!(windows >= 40, "only {windows} transitions checked");
}

#[test]
fn fires_after_any_instant_is_the_next_in_the_list() {
    // next_after from arbitrary instants (inside gaps and overlaps too) agrees with the list.
    let (from, to) = span();
    for zone_name in [
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "Antarctica/Troll",
        "America/Havana",
    ] {
        let zone = tz(zone_name);
        let s = sched("*/30 * * * *");
        for tr in transitions(zone, from, to) {
            let list = s.fires_between(
                zone,
                tr.at - TimeDelta::hours(4),
                tr.at + TimeDelta::hours(4),
                100,
            );
            let mut t = tr.at - TimeDelta::hours(3);
            while t < tr.at + TimeDelta::hours(3) {
                let want = list.iter().find(|f| **f > t).copied();
                assert_eq!(s.next_after(zone, t), want, "{zone_name} after {t}");
                t += TimeDelta::minutes(7);
            }
        }
    }
}

// ---------------------------------------------------------------- DST, named cases

#[test]
fn berlin_weekly_0230_fires_once_on_both_change_days() {
    let berlin = tz("Europe/Berlin");
    let s = sched("30 2 * * Sun");
    // Last Sunday of March 2026 is the 29th: 02:30 does not exist; it fires at 03:00 CEST.
    let march = s.fires_between(
        berlin,
        utc(2026, 3, 28, 0, 0, 0),
        utc(2026, 3, 31, 0, 0, 0),
        10,
    );
    assert_eq!(march, vec![utc(2026, 3, 29, 1, 0, 0)]);
    assert_eq!(
        march[0].with_timezone(&berlin).naive_local(),
        naive(2026, 3, 29, 3, 0)
    );
    // Last Sunday of October 2026 is the 25th: 02:30 happens twice; it fires at the first (CEST).
    let october = s.fires_between(
        berlin,
        utc(2026, 10, 24, 0, 0, 0),
        utc(2026, 10, 27, 0, 0, 0),
        10,
    );
    assert_eq!(october, vec![utc(2026, 10, 25, 0, 30, 0)]);
    // Asking again from inside the overlap (the second 02:30) does not fire it twice.
    assert_eq!(
        s.next_after(berlin, utc(2026, 10, 25, 0, 30, 0)),
        Some(utc(2026, 11, 1, 1, 30, 0))
    );
}

#[test]
fn two_slots_in_one_gap_fire_once() {
    let berlin = tz("Europe/Berlin");
    let s = sched("15,45 2 * * *");
    let fires = s.fires_between(
        berlin,
        utc(2026, 3, 28, 12, 0, 0),
        utc(2026, 3, 29, 12, 0, 0),
        10,
    );
    assert_eq!(fires, vec![utc(2026, 3, 29, 1, 0, 0)]);
}

#[test]
fn leader_prompt_stays_at_0900_local_across_changes() {
    for zone_name in [
        "Europe/Berlin",
        "America/New_York",
        "Pacific/Auckland",
        "Australia/Lord_Howe",
    ] {
        let zone = tz(zone_name);
        let (from, to) = span();
        let fires = sched("0 9 * * Mon").fires_between(zone, from, to, 1000);
        assert_eq!(fires.len(), 104, "{zone_name}");
        for f in &fires {
            let local = f.with_timezone(&zone);
            assert_eq!(local.weekday(), chrono::Weekday::Mon, "{zone_name} {f}");
            assert_eq!(
                local.time(),
                chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("09:00"),
                "{zone_name} {f}"
            );
        }
        // And the UTC instant does move when the offset changes.
        let offsets: std::collections::BTreeSet<i64> =
            fires.iter().map(|f| offset_secs(zone, *f)).collect();
        assert_eq!(offsets.len(), 2, "{zone_name}");
    }
}

#[test]
fn southern_and_half_hour_zones_resolve_gaps_and_overlaps() {
    // Lord Howe: 02:00 -> 02:30 on 2026-10-04; 02:15 fires at 02:30 (+11).
    let lh = tz("Australia/Lord_Howe");
    let fires = sched("15 2 * * *").fires_between(
        lh,
        utc(2026, 10, 3, 12, 0, 0),
        utc(2026, 10, 4, 12, 0, 0),
        10,
    );
    assert_eq!(fires.len(), 1);
    assert_eq!(
        fires[0].with_timezone(&lh).naive_local(),
        naive(2026, 10, 4, 2, 30)
    );
    // Troll: 01:00 -> 03:00 UTC+2 on 2026-03-29; 01:30 and 02:30 both fire once at 03:00.
    let troll = tz("Antarctica/Troll");
    let fires = sched("30 1,2 * * *").fires_between(
        troll,
        utc(2026, 3, 28, 12, 0, 0),
        utc(2026, 3, 29, 12, 0, 0),
        10,
    );
    assert_eq!(fires, vec![utc(2026, 3, 29, 1, 0, 0)]);
    // Auckland: 03:00 -> 02:00 on 2026-04-05; 02:30 fires once, at the earlier (+13) instant.
    let akl = tz("Pacific/Auckland");
    let fires = sched("30 2 * * *").fires_between(
        akl,
        utc(2026, 4, 4, 0, 0, 0),
        utc(2026, 4, 5, 12, 0, 0),
        10,
    );
    assert_eq!(fires, vec![utc(2026, 4, 4, 13, 30, 0)]);
}

#[test]
fn croner_puts_a_gap_slot_at_the_first_instant_after_the_gap() {
    // Recorded behaviour of the oracle, so a change in croner shows up here first.
    let berlin = tz("Europe/Berlin");
    let from = utc(2026, 3, 28, 12, 0, 0);
    let to = utc(2026, 3, 29, 12, 0, 0);
    // Fixed-time job: the 02:30 slot runs at 03:00 CEST, like ours.
    assert_eq!(
        croner_fires("30 2 * * *", berlin, from, to),
        vec![utc(2026, 3, 29, 1, 0, 0)]
    );
    // Interval job: croner SKIPS a gap slot (02:45 vanishes) where we fire it at 03:00 CEST.
    let (gap_from, gap_to) = (utc(2026, 3, 29, 0, 0, 0), utc(2026, 3, 29, 1, 50, 0));
    assert_eq!(
        croner_fires("45 * * * *", berlin, gap_from, gap_to),
        vec![utc(2026, 3, 29, 0, 45, 0), utc(2026, 3, 29, 1, 45, 0)]
    );
    assert_eq!(
        sched("45 * * * *").fires_between(berlin, gap_from, gap_to, 10),
        vec![
            utc(2026, 3, 29, 0, 45, 0),
            utc(2026, 3, 29, 1, 0, 0),
            utc(2026, 3, 29, 1, 45, 0)
        ]
    );
    // Interval job in an overlap: croner fires 02:30 twice; we fire it once.
    let oct_from = utc(2026, 10, 24, 23, 45, 0);
    let oct_to = utc(2026, 10, 25, 1, 45, 0);
    assert_eq!(
        croner_fires("30 * * * *", berlin, oct_from, oct_to).len(),
        2
    );
    assert_eq!(
        sched("30 * * * *").fires_between(berlin, oct_from, oct_to, 10),
        vec![utc(2026, 10, 25, 0, 30, 0)]
    );
}

// ---------------------------------------------------------------- catch-up

fn hours(h: u64) -> Duration {
    Duration::from_secs(h * 3600)
}

#[test]
fn short_downtime_fires_the_missed_slot_once() {
    let berlin = tz("Europe/Berlin");
    let s = sched("0 9 * * Mon");
    // Mon 2026-01-05 09:00 CET = 08:00 UTC; handled the week before; back up at 10:30 local.
    let last = Some(utc(2025, 12, 29, 8, 0, 0));
    let now = utc(2026, 1, 5, 9, 30, 0);
    let c = catch_up(&s, berlin, last, now, DEFAULT_CATCH_UP_WINDOW);
    assert_eq!(c.due, Some(utc(2026, 1, 5, 8, 0, 0)));
    assert!(c.missed.is_empty());
    assert_eq!(c.missed_not_listed, 0);
    // Recorded as handled, a second start-up fires nothing.
    let again = catch_up(
        &s,
        berlin,
        c.due,
        now + TimeDelta::minutes(1),
        DEFAULT_CATCH_UP_WINDOW,
    );
    assert_eq!(again.due, None);
    assert!(again.missed.is_empty());
    assert_eq!(again.missed_not_listed, 0);
}

#[test]
fn downtime_longer_than_the_window_records_but_does_not_fire() {
    let berlin = tz("Europe/Berlin");
    let s = sched("0 9 * * Mon");
    let last = Some(utc(2025, 12, 29, 8, 0, 0));
    let now = utc(2026, 1, 5, 15, 0, 0); // seven hours late
    let c = catch_up(&s, berlin, last, now, DEFAULT_CATCH_UP_WINDOW);
    assert_eq!(c.due, None);
    assert_eq!(c.missed, vec![utc(2026, 1, 5, 8, 0, 0)]);
    // Exactly at the window's edge it is too late; just inside, it fires.
    let edge = utc(2026, 1, 5, 14, 0, 0);
    assert_eq!(catch_up(&s, berlin, last, edge, hours(6)).due, None);
    assert_eq!(
        catch_up(&s, berlin, last, edge - TimeDelta::seconds(1), hours(6)).due,
        Some(utc(2026, 1, 5, 8, 0, 0))
    );
}

#[test]
fn several_missed_weekly_slots() {
    let zone = tz("America/New_York");
    let s = sched("0 9 * * 1");
    // Last handled Mon 2026-02-02; back up Mon 2026-03-02 at 10:00 EST.
    let last = Some(utc(2026, 2, 2, 14, 0, 0));
    let now = utc(2026, 3, 2, 15, 0, 0);
    let c = catch_up(&s, zone, last, now, DEFAULT_CATCH_UP_WINDOW);
    assert_eq!(c.due, Some(utc(2026, 3, 2, 14, 0, 0)));
    assert_eq!(
        c.missed,
        vec![
            utc(2026, 2, 9, 14, 0, 0),
            utc(2026, 2, 16, 14, 0, 0),
            utc(2026, 2, 23, 14, 0, 0)
        ]
    );
    assert_eq!(c.missed_not_listed, 0);
    // Nothing due and several missed when the latest is too old too.
    let c = catch_up(
        &s,
        zone,
        last,
        utc(2026, 3, 3, 0, 0, 0),
        DEFAULT_CATCH_UP_WINDOW,
    );
    assert_eq!(c.due, None);
    assert_eq!(c.missed.len(), 4);
}

#[test]
fn new_team_looks_back_only_the_window() {
    let zone = tz("Asia/Kolkata");
    let weekly = sched("0 9 * * Mon");
    // 09:00 IST = 03:30 UTC on Mon 2026-01-05.
    let c = catch_up(
        &weekly,
        zone,
        None,
        utc(2026, 1, 5, 5, 0, 0),
        DEFAULT_CATCH_UP_WINDOW,
    );
    assert_eq!(c.due, Some(utc(2026, 1, 5, 3, 30, 0)));
    assert!(c.missed.is_empty());
    // A week-old slot is outside the window: nothing at all.
    let c = catch_up(
        &weekly,
        zone,
        None,
        utc(2026, 1, 10, 5, 0, 0),
        DEFAULT_CATCH_UP_WINDOW,
    );
    assert_eq!(c, Default::default());
    // Hourly: the latest fires, the others inside the window are only recorded.
    let c = catch_up(
        &sched("0 * * * *"),
        zone,
        None,
        utc(2026, 1, 5, 5, 0, 0),
        hours(3),
    );
    assert_eq!(c.due, Some(utc(2026, 1, 5, 4, 30, 0)));
    assert_eq!(
        c.missed,
        vec![utc(2026, 1, 5, 2, 30, 0), utc(2026, 1, 5, 3, 30, 0)]
    );
}

#[test]
fn nothing_to_do_when_up_to_date_or_clock_behind() {
    let s = sched("0 9 * * Mon");
    let zone = tz("Europe/London");
    let now = utc(2026, 1, 6, 0, 0, 0);
    assert_eq!(
        catch_up(&s, zone, Some(now), now, DEFAULT_CATCH_UP_WINDOW),
        Default::default()
    );
    assert_eq!(
        catch_up(
            &s,
            zone,
            Some(now + TimeDelta::days(3)),
            now,
            DEFAULT_CATCH_UP_WINDOW
        ),
        Default::default()
    );
    assert_eq!(
        catch_up(&s, zone, None, now, Duration::ZERO),
        Default::default()
    );
}

#[test]
fn per_minute_after_a_year_of_downtime_is_bounded_and_counted() {
    let zone = tz("Europe/Berlin");
    let s = sched("* * * * *");
    let last = utc(2025, 1, 1, 0, 0, 0);
    let now = utc(2026, 1, 1, 0, 0, 30);
    let c = catch_up(&s, zone, Some(last), now, DEFAULT_CATCH_UP_WINDOW);
    assert_eq!(c.due, Some(utc(2026, 1, 1, 0, 0, 0)));
    assert_eq!(c.missed.len(), MISSED_LIST_LIMIT);
    assert_eq!(c.missed.last(), Some(&utc(2025, 12, 31, 23, 59, 0)));
    assert_strictly_increasing(&c.missed, "missed");
    // Every UTC minute of the year fires (the spring gap's slots all land on the transition,
    // which is a minute anyway) except the 60 of the second pass through the autumn overlap.
    let total = 365 * 24 * 60 - 60;
    assert_eq!(1 + c.missed.len() + c.missed_not_listed, total);
}

#[test]
fn missed_count_is_exact_across_transitions_in_many_zones() {
    // The count skips whole days arithmetically; check it against listing every fire.
    for zone_name in [
        "America/Havana",
        "America/Santiago",
        "Australia/Lord_Howe",
        "Antarctica/Troll",
        "America/Nuuk",
        "Europe/Dublin",
        "Asia/Kathmandu",
    ] {
        let zone = tz(zone_name);
        for expr in ["*/15 * * * *", "0 * * * *", "30 0,2 * * *"] {
            let s = sched(expr);
            let last = utc(2026, 1, 1, 0, 0, 0);
            let now = utc(2027, 1, 1, 0, 7, 0);
            let all = s.fires_between(zone, last, now, usize::MAX);
            let c = catch_up(&s, zone, Some(last), now, Duration::ZERO);
            assert_eq!(c.due, None);
            assert_eq!(
                c.missed.len() + c.missed_not_listed,
                all.len(),
                "{expr:?} in {zone_name}"
            );
            assert_eq!(
                c.missed[..],
                all[all.len() - c.missed.len()..],
                "{expr:?} in {zone_name}"
            );
        }
    }
}

// ---------------------------------------------------------------- never fires

#[test]
fn never_firing_schedules_are_detected_fast() {
    let now = utc(2026, 6, 1, 0, 0, 0);
    let zone = tz("Europe/Berlin");
    for expr in [
        "0 9 30 2 *",
        "0 9 31 4,6,9,11 *",
        "0 0 9 * * * 2020",
        "0 0 9 1 1 * 2026",
        "0 0 9 29 2 * 2027",
    ] {
        let s = sched(expr);
        assert!(s.never_fires(zone, now), "{expr:?}");
        assert_eq!(s.next_after(zone, now), None, "{expr:?}");
        assert!(
            s.fires_between(zone, now, utc(2100, 1, 1, 0, 0, 0), 10)
                .is_empty(),
            "{expr:?}"
        );
        assert_eq!(
            catch_up(&s, zone, None, now, DEFAULT_CATCH_UP_WINDOW),
            Default::default()
        );
    }
    for expr in [
        "0 9 29 2 *",
        "0 9 31 * *",
        "0 0 9 * * * 2027",
        "0 9 30 2 Mon",
    ] {
        assert!(!sched(expr).never_fires(zone, now), "{expr:?}");
    }
    // Feb 29 in 2028; Feb 30 only when it is also a Monday (Unix OR).
    assert_eq!(
        sched("0 9 29 2 *").next_after(chrono_tz::UTC, now),
        Some(utc(2028, 2, 29, 9, 0, 0))
    );
}

#[test]
fn catch_up_from_decades_ago_or_with_a_huge_window_is_bounded() {
    let zone = tz("America/New_York");
    let s = sched("* * * * *");
    let now = utc(2026, 6, 1, 0, 0, 0);
    let c = catch_up(
        &s,
        zone,
        Some(utc(1970, 1, 1, 0, 0, 0)),
        now,
        DEFAULT_CATCH_UP_WINDOW,
    );
    assert_eq!(c.due, Some(now));
    assert_eq!(c.missed.len(), MISSED_LIST_LIMIT);
    assert!(c.missed_not_listed > 29_000_000, "{}", c.missed_not_listed);
    let c = catch_up(&s, zone, None, now, Duration::MAX);
    assert_eq!(c.due, Some(now));
    assert!(c.missed_not_listed > 29_000_000, "{}", c.missed_not_listed);
}

#[test]
fn extreme_instants_do_not_panic() {
    let s = sched("0 9 * * Mon");
    let zone = tz("Pacific/Kiritimati");
    assert_eq!(s.next_after(zone, DateTime::<Utc>::MAX_UTC), None);
    assert_eq!(
        s.next_after(zone, DateTime::<Utc>::MIN_UTC),
        Some(utc(1970, 1, 5, 19, 40, 0)) // Mon 1970-01-05 09:00 at UTC-10:40
    );
    let c = catch_up(
        &s,
        zone,
        Some(DateTime::<Utc>::MIN_UTC),
        DateTime::<Utc>::MAX_UTC,
        Duration::MAX,
    );
    // The last Monday the crate knows (2100-12-27, at UTC+14) is "due" under an endless window.
    assert_eq!(c.due, Some(utc(2100, 12, 26, 19, 0, 0)));
    assert_eq!(c.missed.len() + c.missed_not_listed, 6834);
}

#[test]
fn catch_up_with_a_year_field_sees_the_end_of_that_year() {
    // Going back from 2027 into a schedule limited to 2026 must find December, not stop at the
    // month and day of the starting point (a `cron` 0.17 bug worked around in the scheduler).
    let s = sched("0 0 9 * * * 2026");
    let c = catch_up(
        &s,
        chrono_tz::UTC,
        Some(utc(2026, 12, 1, 9, 0, 0)),
        utc(2027, 3, 5, 0, 0, 0),
        DEFAULT_CATCH_UP_WINDOW,
    );
    assert_eq!(c.due, None);
    assert_eq!(c.missed.len(), 30);
    assert_eq!(c.missed.last(), Some(&utc(2026, 12, 31, 9, 0, 0)));
    let back: Vec<_> = s
        .fires_until_rev(chrono_tz::UTC, utc(2027, 3, 5, 0, 0, 0))
        .take(2)
        .collect();
    assert_eq!(
        back,
        vec![utc(2026, 12, 31, 9, 0, 0), utc(2026, 12, 30, 9, 0, 0)]
    );
    let none: Vec<_> = s
        .fires_until_rev(chrono_tz::UTC, utc(2025, 3, 5, 0, 0, 0))
        .collect();
    assert!(none.is_empty());
}

#[test]
fn newest_first_agrees_with_oldest_first() {
    let (from, to) = (utc(2026, 1, 1, 0, 0, 0), utc(2026, 12, 31, 0, 0, 0));
    for zone_name in [
        "Europe/Berlin",
        "Australia/Lord_Howe",
        "America/Havana",
        "Antarctica/Troll",
    ] {
        let zone = tz(zone_name);
        for expr in [
            "0 * * * *",
            "15,45 2 * * *",
            "0 9 13 * Fri",
            "0 0 9 * 3,11 * 2026",
        ] {
            let s = sched(expr);
            let forward = s.fires_between(zone, from, to, usize::MAX);
            let mut backward: Vec<_> = s
                .fires_until_rev(zone, to)
                .take_while(|t| *t > from)
                .collect();
            backward.reverse();
            assert_eq!(forward, backward, "{expr:?} in {zone_name}");
        }
    }
}

#[test]
fn assorted_expressions_match_croner_for_a_year() {
    let (from, to) = (utc(2026, 1, 1, 0, 0, 0), utc(2027, 1, 1, 0, 0, 0));
    for zone in [
        "UTC",
        "Europe/Berlin",
        "America/Santiago",
        "Australia/Lord_Howe",
    ] {
        for expr in [
            "*/7 3-5 1,15,31 2,3,10 *",
            "5 4 * * 0,7",
            "0 22 * * 1-5",
            "0 12 1-7 * Mon",
            "0 0 29 2 *",
            "30 */10 9 * * 1-5/2",
            "0 30 2 * * Sun 2026",
            "0 9 * Mar-Apr,Oct Sat,Sun",
        ] {
            check_against_croner(expr, zone, from, to);
        }
    }
}
