//! A team whose members are "everyone in the share channel" learns the channel's current members from Slack at
//! start (`conversations.members`, paged), once a day.

mod support;

use amplifier::clock::{Clock, ManualClock};
use amplifier::config::Config;
use amplifier::domain::Platform;
use amplifier::engine::Engine;
use amplifier::slack::api::WebApi;
use amplifier::store::Role;
use chrono::{TimeZone, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::fake_slack::{FakeSlack, BOT_TOKEN, BOT_USER, TEAM};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_channel_members_join_the_team_at_start_once_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = amplifier::store::open(&format!("sqlite://{}", dir.path().join("a.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap(),
    ));
    let fake = FakeSlack::start(clock.clone()).await;
    let config = Config::parse(&format!(
        "[[teams]]\nname = \"Leadership\"\nplatform = \"slack\"\nworkspace_id = \"{TEAM}\"\nleaders = [\"U0ALICE001\"]\n\
         self_approval = true\nmembers = \"share_channel\"\nshare_channel = \"C0AMPLIFY1\"\ntime_zone = \"UTC\"\n"
    ))
    .unwrap();
    amplifier::teams::sync_config_teams(&*store, &config, clock.now())
        .await
        .unwrap();
    let engine = Engine::new(
        store.clone(),
        PathBuf::from("."),
        Duration::from_secs(6 * 3600),
    );
    let api = WebApi::new(&fake.api_url, BOT_TOKEN).unwrap();
    let joined =
        amplifier::slack::members::seed_share_channels(&api, &engine, &*clock, TEAM, BOT_USER)
            .await
            .unwrap();
    assert_eq!(joined, 5, "every user in the channel but the bot");
    let team = store.team_by_name("Leadership").await.unwrap().unwrap();
    let members: Vec<String> = store
        .team_people(team.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, role)| *role == Role::Member)
        .map(|(p, _)| p.platform_user_id)
        .collect();
    assert_eq!(members.len(), 5, "{members:?}");
    assert!(!members.iter().any(|m| m == BOT_USER));
    assert!(store
        .person_by_platform_id(Platform::Slack, TEAM, "U0DAN00001")
        .await
        .unwrap()
        .is_some());
    // A restart the same day changes nothing.
    let again =
        amplifier::slack::members::seed_share_channels(&api, &engine, &*clock, TEAM, BOT_USER)
            .await
            .unwrap();
    assert_eq!(again, 0);
    assert!(!fake.calls("conversations.members").is_empty());
    assert_eq!(fake.violations(), Vec::<String>::new());
}
