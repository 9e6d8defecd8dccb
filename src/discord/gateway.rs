//! Discord's receiving side: serenity's gateway client over the configured REST base and gateway URL. Its
//! handler turns DMs, button presses, modal submits, `/amplify` and the "Draft an insight" message command into
//! neutral chat events for the engine ([`super::inbound`]), registers each interaction so the transport can answer
//! it, and defers whatever nobody answered in time, so every interaction is answered within Discord's 3 seconds.
//! `/amplify join|leave` first gives or takes the team's opt-in role ([`super::opt_in`]); when Discord refuses, the
//! person is told what an admin must fix and the engine records nothing. A DM belongs to the team server the person
//! is a member of ([`super::attribution`]); a command from someone in several is answered with a server menu.

use super::attribution::{self, Attributed, Attribution};
use super::inbound::{self, Incoming};
use super::interactions::{Interaction, Interactions, State};
use super::opt_in;
use super::render;
use super::rest::{Rest, REQUEST_TIMEOUT};
use crate::chat::{Event, EventKind, Message as ChatMessage};
use crate::clock::Clock;
use crate::domain::Platform;
use crate::engine::{Engine, Handled};
use serde_json::json;
use serenity::all::{
    ApplicationId, Client, ClientBuilder, ComponentInteractionDataKind, ConnectionStage, Context,
    EventHandler, GatewayIntents, HttpBuilder, Interaction as SerenityInteraction, Message, Ready,
    ResumedEvent, ShardManager, ShardStageUpdateEvent,
};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The least that works: guild events (the servers the bot is in) and DMs, whose content arrives without the
/// privileged Message Content intent. Interactions need no intent; member lists come from the config.
pub const INTENTS: GatewayIntents = GatewayIntents::GUILDS.union(GatewayIntents::DIRECT_MESSAGES);
/// An interaction nobody answered this long after it arrived is deferred: Discord drops it after 3 s.
pub const DEFER_AFTER: Duration = Duration::from_millis(2500);
/// How many recent outcomes [`Progress`] keeps.
const RECENT: usize = 256;
const DISCORD_ORIGIN: &str = "https://discord.com";

/// What the gateway needs, from `[discord]` in the config.
#[derive(Clone)]
pub struct GatewaySettings {
    pub bot_token: String,
    pub application_id: String,
    /// The REST root, e.g. `https://discord.com/api/v10`; another origin (a proxy, a test fake) is used for
    /// `GET /gateway` too.
    pub api_base_url: String,
    /// Replaces the URL `GET /gateway` returns.
    pub gateway_url: Option<String>,
    /// See [`DEFER_AFTER`]; tests that drive delivery by hand set it longer.
    pub defer_after: Duration,
}

impl GatewaySettings {
    /// The settings of a configured `[discord]`; `Err` names the missing key.
    pub fn from_config(
        config: &crate::config::DiscordConfig,
    ) -> Result<GatewaySettings, GatewayError> {
        let bot_token = config.bot_token.as_ref().ok_or(GatewayError::Missing(
            "discord.bot_token is not set (or AMPLIFIER_DISCORD_TOKEN)",
        ))?;
        let application_id = config
            .application_id
            .clone()
            .ok_or(GatewayError::Missing("discord.application_id is not set"))?;
        Ok(GatewaySettings {
            bot_token: bot_token.expose().to_string(),
            application_id,
            api_base_url: config.api_base_url.clone(),
            gateway_url: config.gateway_url.clone(),
            defer_after: DEFER_AFTER,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("discord.api_base_url {url:?} is not a URL: {message}")]
    BaseUrl { url: String, message: String },
    #[error("discord.application_id {0:?} is not a snowflake")]
    ApplicationId(String),
    #[error(transparent)]
    Client(#[from] super::rest::ClientError),
    #[error("cannot build the HTTP client for the gateway")]
    HttpClient(#[source] reqwest::Error),
    #[error("the gateway task ended")]
    Task(#[source] tokio::task::JoinError),
    #[error("{0}")]
    Missing(&'static str),
    /// Boxed: serenity's error is large and this type travels through every `?`.
    #[error("Discord gateway: {0}")]
    Serenity(Box<serenity::Error>),
}

/// What became of one inbound gateway event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Seen before (a replay or redelivery): nothing happened.
    Duplicate,
    /// Not for the engine (the bot's own message, an unknown command, a server the bot has no team in).
    Ignored,
    /// Answered by the adapter without the engine: Discord refused what the command needs (the opt-in role for
    /// `/amplify join`), and the person was told what an admin must change. Nothing was recorded.
    Refused(String),
    /// A DM command from someone in several teams' servers: they were asked which one (a menu); the command waits
    /// for the choice, which is an event of its own.
    Asked,
    Failed(String),
}

/// What the gateway did so far: for health reports, and for tests to wait on instead of sleeping.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Whether the shard is connected: set by READY and RESUMED, cleared when serenity reports the shard left
    /// the connected stage (serenity reports stages between events, so a quick resume may never show as down).
    pub connected: bool,
    pub readies: u32,
    pub resumes: u32,
    pub deferred: u32,
    /// The latest outcomes by event key, oldest first.
    pub recent: VecDeque<(String, Outcome)>,
}

impl Progress {
    pub fn outcome_of(&self, key: &str) -> Option<&Outcome> {
        self.recent
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, o)| o)
    }
}

/// The running gateway connection.
pub struct DiscordAdapter {
    shard_manager: Arc<ShardManager>,
    task: tokio::task::JoinHandle<Result<(), serenity::Error>>,
    progress: watch::Receiver<Progress>,
}

impl From<serenity::Error> for GatewayError {
    fn from(e: serenity::Error) -> Self {
        GatewayError::Serenity(Box::new(e))
    }
}

impl DiscordAdapter {
    /// Connects (`GET /gateway`, then Identify) and runs until `shutdown` resolves or [`DiscordAdapter::stop`].
    /// Events are handed to `engine`; `interactions` is the registry the [`super::DiscordTransport`] answers from.
    pub async fn connect(
        settings: GatewaySettings,
        engine: Arc<Engine>,
        clock: Arc<dyn Clock>,
        interactions: Arc<Interactions>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<DiscordAdapter, GatewayError> {
        let application_id = settings
            .application_id
            .parse::<u64>()
            .ok()
            .filter(|id| *id != 0)
            .ok_or_else(|| GatewayError::ApplicationId(settings.application_id.clone()))?;
        let origin = origin_of(&settings.api_base_url)?;
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(GatewayError::HttpClient)?;
        // Our own delivery paces every request; serenity's limiter is bypassed behind a proxy anyway.
        let mut http = HttpBuilder::new(&settings.bot_token)
            .client(client)
            .ratelimiter_disabled(true)
            .application_id(ApplicationId::new(application_id));
        if origin != DISCORD_ORIGIN {
            http = http.proxy(origin);
        }
        let rest = Rest::new(&settings.api_base_url, &settings.bot_token)?;
        let (progress_tx, progress) = watch::channel(Progress::default());
        let handler = Handler {
            application_id: settings.application_id.clone(),
            attribution: Attribution::default(),
            engine,
            clock,
            interactions,
            rest,
            defer_after: settings.defer_after,
            bot_id: Mutex::new(None),
            progress: Arc::new(progress_tx),
        };
        let mut client: Client = ClientBuilder::new_with_http(http.build(), INTENTS)
            .event_handler(handler)
            .await?;
        if let Some(url) = &settings.gateway_url {
            *client.ws_url.lock().await = url.clone();
        }
        let shard_manager = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start().await });
        let stopper = shard_manager.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopper.shutdown_all().await;
        });
        Ok(DiscordAdapter {
            shard_manager,
            task,
            progress,
        })
    }

    /// Follows what the gateway did.
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// Closes the connection and waits for the client to end.
    pub async fn stop(self) -> Result<(), GatewayError> {
        self.shard_manager.shutdown_all().await;
        self.wait().await
    }

    /// Waits until the client ends (after shutdown, or on a fatal gateway error such as a refused token).
    pub async fn wait(self) -> Result<(), GatewayError> {
        match self.task.await {
            Ok(result) => Ok(result?),
            Err(join) => Err(GatewayError::Task(join)),
        }
    }
}

/// `scheme://host[:port]` of the REST root: what serenity's proxy setting replaces `https://discord.com` with.
fn origin_of(base: &str) -> Result<String, GatewayError> {
    let url = url::Url::parse(base).map_err(|e| GatewayError::BaseUrl {
        url: base.to_string(),
        message: e.to_string(),
    })?;
    Ok(url.origin().ascii_serialization())
}

struct Handler {
    application_id: String,
    /// Memberships, and DM commands waiting for their author to choose a server.
    attribution: Attribution,
    engine: Arc<Engine>,
    clock: Arc<dyn Clock>,
    interactions: Arc<Interactions>,
    /// For deferrals (our REST client, paced apart from serenity).
    rest: Rest,
    defer_after: Duration,
    /// The bot's own user id, from Ready: its own messages are never events.
    bot_id: Mutex<Option<String>>,
    progress: Arc<watch::Sender<Progress>>,
}

impl Handler {
    fn record(&self, key: &str, outcome: Outcome) {
        self.progress.send_modify(|p| {
            if p.recent.len() >= RECENT {
                p.recent.pop_front();
            }
            p.recent.push_back((key.to_string(), outcome));
        });
    }

    /// Asks which server `incoming` is for: parks it and answers its interaction with a menu of `guilds`.
    async fn ask_which_server(&self, incoming: Incoming, guilds: Vec<String>) {
        let mut servers = Vec::new();
        for guild in &guilds {
            let name = match self
                .rest
                .call(reqwest::Method::GET, &format!("/guilds/{guild}"), None)
                .await
            {
                Ok(answer) if answer.ok() => answer.body["name"]
                    .as_str()
                    .map_or_else(|| guild.clone(), str::to_string),
                _ => guild.clone(),
            };
            servers.push((guild.clone(), name));
        }
        servers.sort_by(|a, b| a.1.cmp(&b.1));
        let answers_interaction = self.interactions.knows(&incoming.key);
        let channel = incoming.channel.clone();
        // The DM message's id: the menu is posted once however often the message is redelivered.
        let nonce: String = incoming.key.chars().take(25).collect();
        let custom_id =
            self.attribution
                .park(&incoming.person, &incoming.channel, incoming.kind, guilds);
        let mut menu = attribution::menu(&custom_id, &servers);
        if answers_interaction {
            return self.answer_alone_with(&incoming.key, menu).await;
        }
        // A DM message has no interaction to answer: the menu is a message of its own in that DM.
        if let Some(fields) = menu.as_object_mut() {
            fields.remove("flags");
            fields.insert("nonce".into(), nonce.into());
            fields.insert("enforce_nonce".into(), true.into());
        }
        let path = format!("/channels/{channel}/messages");
        match self
            .rest
            .call(reqwest::Method::POST, &path, Some(&menu))
            .await
        {
            Ok(answer) if answer.ok() => {}
            Ok(answer) => {
                tracing::warn!(answer = %answer.describe(), "cannot ask which server a DM is for")
            }
            Err(e) => tracing::warn!(error = %e, "cannot ask which server a DM is for"),
        }
    }

    /// A choice in the server menu: the parked command goes to the engine as an event of the chosen server, keyed
    /// and answered by the choice's own interaction.
    async fn on_choice(&self, key: String, person: String, custom_id: &str, values: &[String]) {
        let chosen = values.first().cloned().unwrap_or_default();
        match self.attribution.take(custom_id, &person, &chosen) {
            Some((channel, kind)) => {
                Box::pin(self.deliver(Incoming {
                    key,
                    guild: Some(chosen),
                    person,
                    channel,
                    kind,
                }))
                .await
            }
            None => {
                self.answer_alone(
                    &key,
                    "That question is no longer open (it was answered, or 15 minutes went by): type the command again.",
                )
                .await;
                self.record(&key, Outcome::Ignored);
            }
        }
    }

    async fn deliver(&self, incoming: Incoming) {
        let key = incoming.key.clone();
        let interaction = self.interactions.knows(&key);
        let workspace = match self
            .attribution
            .attribute(
                &self.rest,
                self.engine.store().as_ref(),
                incoming.guild.as_deref(),
                &incoming.person,
                &incoming.kind,
                interaction,
            )
            .await
        {
            Ok(Attributed::Workspace(w)) => w,
            Ok(Attributed::Choose(guilds)) => {
                self.ask_which_server(incoming, guilds).await;
                return self.record(&key, Outcome::Asked);
            }
            Ok(Attributed::Nowhere) => {
                tracing::info!(key, "a Discord event from a server without a team: ignored");
                return self.record(&key, Outcome::Ignored);
            }
            Err(e) => {
                tracing::error!(key, error = %e, "cannot read the teams for a Discord event");
                return self.record(&key, Outcome::Failed(e));
            }
        };
        if let EventKind::Command { text } = &incoming.kind {
            if let Some(join) = opt_in::joining(text) {
                if let Err(refusal) = self.opt_in(&workspace, &incoming.person, join).await {
                    self.answer_alone(&key, &refusal).await;
                    return self.record(&key, Outcome::Refused(refusal));
                }
            }
        }
        let event = Event {
            platform: Platform::Discord,
            workspace_id: workspace,
            person: incoming.person,
            channel: Some(incoming.channel),
            key: incoming.key,
            kind: incoming.kind,
        };
        let outcome = match self.engine.handle(&event, self.clock.now()).await {
            Ok(Handled::Applied) => Outcome::Applied,
            Ok(Handled::Duplicate) => Outcome::Duplicate,
            Err(e) => {
                tracing::error!(key, error = %e, "a Discord event could not be applied");
                Outcome::Failed(e.to_string())
            }
        };
        self.record(&key, outcome);
    }

    /// `/amplify join` (or `leave`): gives the person the opt-in role of each team of the server that has one (or
    /// takes it) before the engine records it. `Err` is what to tell them; the engine then records nothing.
    async fn opt_in(&self, guild: &str, person: &str, join: bool) -> Result<(), String> {
        let roles = opt_in::roles_of(self.engine.store().as_ref(), guild)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read the opt-in roles");
                "Something went wrong on my side; nothing changed. Type the command again in a minute.".to_string()
            })?;
        for role in roles {
            opt_in::apply(&self.rest, guild, person, &role, join).await?;
        }
        Ok(())
    }

    /// Answers the interaction `key` with `text` only its author sees (first answer, or a follow-up when it was
    /// deferred meanwhile), outside the outbox: the engine has nothing to record.
    async fn answer_alone(&self, key: &str, text: &str) {
        let mut data =
            match serde_json::to_value(render::message(&ChatMessage::new(text).say(text))) {
                Ok(data) => data,
                Err(e) => return tracing::error!(key, error = %e, "cannot encode an answer"),
            };
        data["flags"] = json!(1 << 6);
        self.answer_alone_with(key, data).await
    }

    /// Answers the interaction `key` with the message `data`, outside the outbox.
    async fn answer_alone_with(&self, key: &str, data: serde_json::Value) {
        let Some((interaction, state)) = self.interactions.claim(key) else {
            return tracing::warn!(key, "an interaction to answer is unknown or expired");
        };
        let (path, body) = match state {
            State::Fresh => (
                format!(
                    "/interactions/{}/{}/callback",
                    interaction.id, interaction.token
                ),
                json!({"type": 4, "data": data}),
            ),
            State::Answered => (
                format!("/webhooks/{}/{}", self.application_id, interaction.token),
                data,
            ),
        };
        match self
            .rest
            .call(reqwest::Method::POST, &path, Some(&body))
            .await
        {
            Ok(answer) if answer.ok() => {}
            Ok(answer) => {
                tracing::warn!(key, answer = %answer.describe(), "answering an interaction failed")
            }
            Err(e) => tracing::warn!(key, error = %e, "answering an interaction failed"),
        }
    }

    /// Registers the interaction for the transport, then defers it if nothing answered it in time.
    fn register(&self, key: &str, interaction: Interaction) {
        self.interactions.insert(key, interaction);
        let interactions = self.interactions.clone();
        let rest = self.rest.clone();
        let progress = self.progress.clone();
        let delay = self.defer_after;
        let key = key.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Some((interaction, State::Fresh)) = interactions.claim(&key) else {
                return;
            };
            // A button's message stays as it is (type 6); anything else gets "thinking…" only its author sees.
            let body = if interaction.component {
                json!({"type": 6})
            } else {
                json!({"type": 5, "data": {"flags": 1 << 6}})
            };
            let path = format!(
                "/interactions/{}/{}/callback",
                interaction.id, interaction.token
            );
            match rest.call(reqwest::Method::POST, &path, Some(&body)).await {
                Ok(answer) if answer.ok() => progress.send_modify(|p| p.deferred += 1),
                Ok(answer) => {
                    tracing::warn!(key, answer = %answer.describe(), "deferring an interaction failed")
                }
                Err(e) => tracing::warn!(key, error = %e, "deferring an interaction failed"),
            }
        });
    }
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "Discord gateway ready");
        *self.bot_id.lock().unwrap_or_else(|e| e.into_inner()) = Some(ready.user.id.to_string());
        self.progress.send_modify(|p| {
            p.readies += 1;
            p.connected = true;
        });
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        tracing::info!("Discord gateway resumed");
        self.progress.send_modify(|p| {
            p.resumes += 1;
            p.connected = true;
        });
    }

    async fn shard_stage_update(&self, _ctx: Context, update: ShardStageUpdateEvent) {
        if update.new != ConnectionStage::Connected {
            tracing::info!(stage = ?update.new, "Discord gateway disconnected; serenity reconnects");
            self.progress.send_modify(|p| p.connected = false);
        }
    }

    async fn message(&self, _ctx: Context, message: Message) {
        let bot = self
            .bot_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match inbound::from_message(&message, bot.as_deref()) {
            Some(incoming) => self.deliver(incoming).await,
            None => self.record(&message.id.to_string(), Outcome::Ignored),
        }
    }

    async fn interaction_create(&self, _ctx: Context, interaction: SerenityInteraction) {
        let Some((key, token, incoming)) = inbound::from_interaction(&interaction) else {
            return;
        };
        self.register(&key, token);
        if let SerenityInteraction::Component(c) = &interaction {
            if let ComponentInteractionDataKind::StringSelect { values } = &c.data.kind {
                if c.data.custom_id.starts_with(attribution::CHOOSE_PREFIX) {
                    return self
                        .on_choice(key, c.user.id.to_string(), &c.data.custom_id, values)
                        .await;
                }
            }
        }
        match incoming {
            Some(incoming) => self.deliver(incoming).await,
            None => self.record(&key, Outcome::Ignored),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_is_the_origin_of_the_rest_root() {
        assert_eq!(
            origin_of("http://127.0.0.1:4321/api/v10").unwrap(),
            "http://127.0.0.1:4321"
        );
        assert_eq!(
            origin_of("https://discord.com/api/v10").unwrap(),
            DISCORD_ORIGIN
        );
        assert!(origin_of("not a url").is_err());
    }

    #[test]
    fn the_intents_are_guilds_and_direct_messages_only() {
        assert_eq!(INTENTS.bits(), 1 | (1 << 12));
        assert!(!INTENTS.contains(GatewayIntents::MESSAGE_CONTENT));
        assert!(!INTENTS.contains(GatewayIntents::GUILD_MEMBERS));
    }
}
