//! The world of the gateway tests: a team on Discord (snowflake ids), the fake Discord, the real adapter
//! connected to it, the engine, the Discord transport and delivery on a manual clock; and the moves people make
//! (write a DM, press a button, submit a form), each waited on through the adapter's progress, never slept on.

use crate::support::fake_discord::gateway::{payloads, Place};
use crate::support::fake_discord::{
    bits, FakeDiscord, FakeRole, Recorded, APPLICATION_ID, BOT_ROLE,
};
use amplifier::clock::{Clock, ManualClock};
use amplifier::config::Config;
use amplifier::delivery::{Delivery, DeliveryConfig};
use amplifier::discord::gateway::{Outcome, Progress};
use amplifier::discord::interactions::Interactions;
use amplifier::discord::rest::Rest;
use amplifier::discord::{DiscordAdapter, DiscordTransport, GatewaySettings};
use amplifier::domain::Platform;
use amplifier::engine::Engine;
use amplifier::store::{Person, Store};
use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const GUILD: &str = "100000000000000009";
pub const ALICE: &str = "100000000000000002";
pub const BOB: &str = "100000000000000003";
pub const CAROL: &str = "100000000000000004";
pub const DAN: &str = "100000000000000005";
pub const ERIN: &str = "100000000000000006";
pub const FRANK: &str = "100000000000000007";
pub const SHARE: &str = "110000000000000001";
/// Someone in the server whom no team names.
pub const GRACE: &str = "100000000000000008";
/// The team's opt-in role, which `/amplify join` gives.
pub const OPT_IN: &str = "110000000000000009";
pub const TOKEN: &str = "test-bot-token";
/// How long any one thing may take before the test fails (never a sleep: a deadline on a condition).
const DEADLINE: Duration = Duration::from_secs(30);
/// The clock's stride when a test moves days ahead: the engine's work is due at most this late.
const STRIDE: chrono::Duration = chrono::Duration::minutes(30);

/// Monday 2026-11-30, 07:55 UTC (08:55 in Berlin).
pub fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 7, 55, 0).unwrap()
}

fn config_text() -> String {
    format!(
        r#"
[discord]
bot_token = "{TOKEN}"
application_id = "{APPLICATION_ID}"

[[teams]]
name = "Leadership"
platform = "discord"
workspace_id = "{GUILD}"
leaders = ["{ALICE}", "{BOB}"]
approvers = ["{CAROL}"]
admins = ["{CAROL}"]
members = ["{DAN}", "{ERIN}", "{FRANK}"]
share_channel = "{SHARE}"
time_zone = "Europe/Berlin"
networks = ["linkedin", "x", "bluesky"]
opt_in_role = "{OPT_IN}"
"#
    )
}

/// A form the bot opened: its submit id and its inputs' ids.
#[derive(Debug, Clone)]
pub struct Form {
    pub custom_id: String,
    pub inputs: Vec<String>,
}

pub struct World {
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub fake: FakeDiscord,
    pub engine: Arc<Engine>,
    delivery: Delivery,
    adapter: DiscordAdapter,
    progress: tokio::sync::watch::Receiver<Progress>,
    ids: AtomicU64,
}

impl World {
    /// Syncs the team, starts the fake and connects the adapter; returns once the gateway is ready.
    pub async fn start(store: Arc<dyn Store>, defer_after: Duration) -> anyhow::Result<World> {
        World::start_with(store, defer_after, "").await
    }

    /// [`World::start`] with `more` appended to the config (another team, say).
    pub async fn start_with(
        store: Arc<dyn Store>,
        defer_after: Duration,
        more: &str,
    ) -> anyhow::Result<World> {
        let start = monday();
        let config =
            Config::parse(&format!("{}{more}", config_text())).map_err(anyhow::Error::msg)?;
        let problems = amplifier::config::validate(&config, start);
        anyhow::ensure!(problems.is_empty(), "test config: {problems:?}");
        amplifier::teams::sync_config_teams(&*store, &config, start).await?;
        let engine = Arc::new(Engine::new(
            store.clone(),
            PathBuf::from("."),
            Duration::from_secs(6 * 3600),
        ));
        engine.load_prompt_packs().await?;
        let clock = Arc::new(ManualClock::new(start));
        let fake = FakeDiscord::start(clock.clone()).await;
        fake.set_route_limit(1000, chrono::Duration::seconds(1));
        fake.gateway.join_guild(GUILD);
        // The server as an admin sets it up: the bot's role (the invite's permissions) above the opt-in role.
        fake.add_guild(
            GUILD,
            "Community",
            &[(SHARE, "amplify")],
            &[ALICE, BOB, CAROL, DAN, ERIN, FRANK, GRACE],
        );
        fake.set_role(
            GUILD,
            FakeRole {
                id: BOT_ROLE.into(),
                name: "Amplifier".into(),
                permissions: bits::INVITE,
                position: 2,
                mentionable: false,
            },
        );
        fake.set_role(
            GUILD,
            FakeRole {
                id: OPT_IN.into(),
                name: "Amplifiers".into(),
                permissions: 0,
                position: 1,
                mentionable: true,
            },
        );
        let interactions = Arc::new(Interactions::default());
        let rest = Rest::new(&fake.base_url, TOKEN).map_err(anyhow::Error::msg)?;
        let transport = Arc::new(DiscordTransport::new(
            rest,
            APPLICATION_ID,
            store.clone(),
            clock.clone(),
            interactions.clone(),
        ));
        let delivery = Delivery::new(
            store.clone(),
            vec![transport],
            DeliveryConfig {
                batch: 50,
                ..DeliveryConfig::new("test")
            },
        )?;
        let mut settings =
            GatewaySettings::from_config(config.discord.as_ref().context("[discord]")?)
                .map_err(anyhow::Error::msg)?;
        settings.api_base_url = fake.base_url.clone();
        settings.defer_after = defer_after;
        let adapter = DiscordAdapter::connect(
            settings,
            engine.clone(),
            clock.clone(),
            interactions,
            std::future::pending(),
        )
        .await?;
        let progress = adapter.progress();
        let world = World {
            store,
            clock,
            fake,
            engine,
            delivery,
            adapter,
            progress,
            ids: AtomicU64::new(1_400_000_000_000_000_000),
        };
        world.wait_progress("Ready", |p| p.readies >= 1).await?;
        Ok(world)
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.adapter.stop().await?;
        Ok(())
    }

    /// A fresh snowflake for a message or an interaction.
    pub fn next_id(&self) -> String {
        self.ids.fetch_add(1, Ordering::Relaxed).to_string()
    }

    pub async fn wait_progress(
        &self,
        what: &str,
        check: impl FnMut(&Progress) -> bool,
    ) -> anyhow::Result<()> {
        let mut rx = self.progress.clone();
        tokio::time::timeout(DEADLINE, rx.wait_for(check))
            .await
            .with_context(|| format!("waited {DEADLINE:?} for {what}"))?
            .context("the gateway stopped")?;
        Ok(())
    }

    /// What the adapter made of the event `key`, once it has.
    pub async fn outcome(&self, key: &str) -> anyhow::Result<Outcome> {
        self.wait_progress(&format!("event {key}"), |p| p.outcome_of(key).is_some())
            .await?;
        self.progress
            .borrow()
            .outcome_of(key)
            .cloned()
            .context("outcome")
    }

    /// Delivers every due outbox row, moving the clock only as far as Discord's pacing asks.
    pub async fn deliver(&self) -> anyhow::Result<()> {
        for _ in 0..200 {
            let report = self.delivery.run_once(&*self.clock).await?;
            let depth = self.store.outbox_depth().await?;
            if depth.bulk == 0 && depth.interactive == 0 {
                return Ok(());
            }
            match report.next_due {
                Some(due) if due > self.clock.now() => self.clock.set(due),
                Some(_) => {}
                None => self.clock.advance(chrono::Duration::seconds(1)),
            }
        }
        anyhow::bail!("the outbox did not drain")
    }

    /// The engine's clock work at `now`, then delivery.
    pub async fn tick_and_deliver(&self) -> anyhow::Result<()> {
        self.engine.tick(self.clock.now()).await?;
        self.deliver().await
    }

    /// Monday 09:00 in Berlin: the prompts go out.
    pub async fn prompt_leaders(&self) -> anyhow::Result<()> {
        self.clock.advance(chrono::Duration::minutes(10));
        self.tick_and_deliver().await
    }

    /// Moves the clock `by`, doing the engine's work and delivery every [`STRIDE`].
    pub async fn advance(&self, by: chrono::Duration) -> anyhow::Result<()> {
        let target = self.clock.now() + by;
        while self.clock.now() < target {
            let next = (self.clock.now() + STRIDE).min(target);
            self.clock.set(next);
            self.tick_and_deliver().await?;
        }
        Ok(())
    }

    pub async fn person(&self, user: &str) -> anyhow::Result<Person> {
        self.store
            .person_by_platform_id(Platform::Discord, GUILD, user)
            .await?
            .with_context(|| format!("person {user}"))
    }

    pub fn dm_channel(&self, user: &str) -> anyhow::Result<String> {
        self.fake
            .dm_channel_of(user)
            .with_context(|| format!("the bot never opened a DM with {user}"))
    }

    pub fn dm_place(&self, user: &str) -> anyhow::Result<Place> {
        Ok(Place::Dm {
            channel: self.dm_channel(user)?,
        })
    }

    /// The bot's messages in `user`'s DM, oldest first (edits applied).
    pub fn dms(&self, user: &str) -> anyhow::Result<Vec<Value>> {
        Ok(self.fake.messages_in(&self.dm_channel(user)?))
    }

    pub fn last_dm(&self, user: &str) -> anyhow::Result<Value> {
        self.dms(user)?
            .pop()
            .with_context(|| format!("no DM to {user}"))
    }

    /// `user` writes `text` in their DM with the bot; returns the message id once the adapter applied it.
    pub async fn say(&self, user: &str, text: &str) -> anyhow::Result<String> {
        let key = self.next_id();
        let channel = self.dm_channel(user)?;
        self.fake.gateway.dispatch(
            "MESSAGE_CREATE",
            payloads::dm_message(&key, &channel, user, text, false),
        );
        anyhow::ensure!(self.outcome(&key).await? == Outcome::Applied, "{key}");
        Ok(key)
    }

    /// `user` presses the button labelled `label` on the newest DM that has one; delivers the consequences.
    /// Returns the form the press opened, if it did.
    pub async fn click_in_dm(&self, user: &str, label: &str) -> anyhow::Result<Option<Form>> {
        let custom_id = self
            .dms(user)?
            .iter()
            .rev()
            .find_map(|m| button_id(m, label))
            .with_context(|| format!("no button {label:?} in {user}'s DM"))?;
        let key = self.next_id();
        self.fake.gateway.dispatch(
            "INTERACTION_CREATE",
            payloads::button(&key, user, &self.dm_place(user)?, &custom_id),
        );
        anyhow::ensure!(self.outcome(&key).await? == Outcome::Applied, "{label}");
        self.deliver().await?;
        Ok(self
            .fake
            .interaction_answers()
            .into_iter()
            .find(|r| r.path.starts_with(&format!("/interactions/{key}/")) && r.body["type"] == 9)
            .map(|r| Form {
                custom_id: r.body["data"]["custom_id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                inputs: r.body["data"]["components"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|row| row["components"][0]["custom_id"].as_str())
                    .map(str::to_string)
                    .collect(),
            }))
    }

    /// `user` fills the form's inputs with `values` in order and submits it from their DM.
    pub async fn submit_form(
        &self,
        user: &str,
        form: &Form,
        values: &[&str],
    ) -> anyhow::Result<()> {
        let fields: Vec<(&str, &str)> = form
            .inputs
            .iter()
            .map(String::as_str)
            .zip(values.iter().copied())
            .collect();
        let key = self.next_id();
        self.fake.gateway.dispatch(
            "INTERACTION_CREATE",
            payloads::modal_submit(&key, user, &self.dm_place(user)?, &form.custom_id, &fields),
        );
        anyhow::ensure!(
            self.outcome(&key).await? == Outcome::Applied,
            "form {}",
            form.custom_id
        );
        self.deliver().await
    }

    /// `user` types `/amplify TEXT` (one subcommand and, if any, its one option `option`) in the share channel;
    /// returns the interaction's key and what the adapter made of it.
    pub async fn slash(
        &self,
        user: &str,
        sub: &str,
        option: Option<(&str, &str)>,
    ) -> anyhow::Result<(String, Outcome)> {
        let key = self.next_id();
        let options = match option {
            Some((name, value)) => serde_json::json!([{"type": 3, "name": name, "value": value}]),
            None => serde_json::json!([]),
        };
        self.fake.gateway.dispatch(
            "INTERACTION_CREATE",
            payloads::slash(
                &key,
                user,
                &Place::Guild {
                    guild: GUILD.into(),
                    channel: SHARE.into(),
                },
                serde_json::json!([{"type": 1, "name": sub, "options": options}]),
            ),
        );
        let outcome = self.outcome(&key).await?;
        Ok((key, outcome))
    }

    /// The first answer (callback) to the interaction `key`.
    pub fn answer_to(&self, key: &str) -> anyhow::Result<Recorded> {
        self.fake
            .interaction_answers()
            .into_iter()
            .find(|r| r.path.starts_with(&format!("/interactions/{key}/")))
            .with_context(|| format!("interaction {key} was never answered"))
    }
}

pub use crate::support::fake_discord::button_id;
