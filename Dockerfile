# Amplifier: one binary, one config file, one data volume.
#   docker build -t amplifier .
#   docker run -d --name amplifier \
#     -v /srv/amplifier/amplifier.toml:/etc/amplifier/amplifier.toml:ro \
#     -v amplifier-data:/var/lib/amplifier \
#     -e AMPLIFIER_SLACK_BOT_TOKEN -e AMPLIFIER_SLACK_APP_TOKEN -e AMPLIFIER_DISCORD_TOKEN \
#     -p 8080:8080 amplifier
# See docs/deploy.md (the config must set http.listen = "0.0.0.0:8080" inside a container).

# --- build ---------------------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so a source change does not rebuild them.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked --bin amplifier \
    && rm -rf src
COPY src ./src
COPY migrations ./migrations
COPY bots ./bots
# Make sure cargo sees the real sources as newer than the dependency-only build.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin amplifier \
    && strip target/release/amplifier

# --- run -----------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# CA certificates: Slack and Discord are reached over TLS with the system's roots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/amplifier --shell /usr/sbin/nologin amplifier \
    && mkdir -p /var/lib/amplifier /etc/amplifier \
    && chown amplifier:amplifier /var/lib/amplifier
COPY --from=build /src/target/release/amplifier /usr/local/bin/amplifier
COPY config.example.toml /etc/amplifier/config.example.toml
USER amplifier
WORKDIR /var/lib/amplifier
# The SQLite file (the default database) lives on this volume; PostgreSQL users set AMPLIFIER_DATABASE_URL.
VOLUME ["/var/lib/amplifier"]
ENV AMPLIFIER_CONFIG=/etc/amplifier/amplifier.toml \
    AMPLIFIER_DATABASE_URL=sqlite:///var/lib/amplifier/amplifier.db
EXPOSE 8080
# `docker stop` sends SIGTERM: Amplifier stops taking events, finishes the send in flight, releases
# the outbox rows it had claimed and closes its sockets. Give it the default 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/amplifier"]
CMD ["run"]
