-- Amplifier schema, PostgreSQL flavour. Same tables and columns as migrations/sqlite/0001_initial.sql.

CREATE TABLE teams (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    platform      TEXT    NOT NULL CHECK (platform IN ('slack', 'discord', 'shell')),
    workspace_id  TEXT    NOT NULL,
    settings_json TEXT    NOT NULL DEFAULT '{}',
    source        TEXT    NOT NULL CHECK (source IN ('config', 'command')),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE people (
    id               BIGSERIAL PRIMARY KEY,
    platform         TEXT    NOT NULL CHECK (platform IN ('slack', 'discord', 'shell')),
    workspace_id     TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    display_name     TEXT,
    time_zone        TEXT,
    muted            BOOLEAN NOT NULL DEFAULT FALSE,
    paused_until     TIMESTAMPTZ,
    out_of_office    BOOLEAN NOT NULL DEFAULT FALSE,
    dm_channel_id    TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (platform, workspace_id, platform_user_id)
);

CREATE TABLE team_roles (
    team_id   BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role      TEXT    NOT NULL CHECK (role IN ('leader', 'approver', 'member', 'admin')),
    PRIMARY KEY (team_id, person_id, role)
);
CREATE INDEX team_roles_person ON team_roles (person_id);

CREATE TABLE prompts (
    id   BIGSERIAL PRIMARY KEY,
    pack TEXT NOT NULL,
    key  TEXT NOT NULL,
    text TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    UNIQUE (pack, key)
);

CREATE TABLE rounds (
    id           BIGSERIAL PRIMARY KEY,
    team_id      BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    scheduled_at TIMESTAMPTZ NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('open', 'missed', 'closed')),
    created_at   TIMESTAMPTZ NOT NULL,
    closed_at    TIMESTAMPTZ,
    UNIQUE (team_id, scheduled_at)
);

CREATE TABLE prompt_views (
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    team_id   BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    prompt_id BIGINT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    round_id  BIGINT REFERENCES rounds (id) ON DELETE SET NULL,
    seen_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, team_id, prompt_id)
);

CREATE TABLE asks (
    id             BIGSERIAL PRIMARY KEY,
    round_id       BIGINT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    person_id      BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    prompt_id      BIGINT REFERENCES prompts (id) ON DELETE SET NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'answered', 'skipped', 'expired')),
    reminders_sent BIGINT NOT NULL DEFAULT 0 CHECK (reminders_sent >= 0),
    remind_at      TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (round_id, person_id)
);
CREATE INDEX asks_person ON asks (person_id, status);

CREATE TABLE drafts (
    id              BIGSERIAL PRIMARY KEY,
    team_id         BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    author_id       BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ask_id          BIGINT REFERENCES asks (id) ON DELETE SET NULL,
    status          TEXT    NOT NULL CHECK (status IN ('editing', 'in_review', 'changes_requested',
                        'approved', 'rejected', 'discarded', 'published', 'withdrawn')),
    current_version BIGINT NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX drafts_team_status ON drafts (team_id, status);
CREATE INDEX drafts_author ON drafts (author_id);

CREATE TABLE draft_versions (
    draft_id   BIGINT NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL CHECK (version >= 1),
    body       TEXT    NOT NULL,
    editor_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (draft_id, version)
);

CREATE TABLE reviews (
    id          BIGSERIAL PRIMARY KEY,
    draft_id    BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    reviewer_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    decision    TEXT    NOT NULL CHECK (decision IN ('approve', 'edit_and_approve', 'request_changes', 'reject')),
    comment     TEXT,
    decided_at  TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (draft_id, version) REFERENCES draft_versions (draft_id, version) ON DELETE CASCADE
);
CREATE INDEX reviews_draft ON reviews (draft_id);

CREATE TABLE posts (
    id                  BIGSERIAL PRIMARY KEY,
    draft_id            BIGINT NOT NULL UNIQUE,
    team_id             BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    author_id           BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    version             BIGINT NOT NULL,
    body                TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('awaiting_link', 'scheduled', 'published', 'withdrawn')),
    publish_at          TIMESTAMPTZ,
    published_at        TIMESTAMPTZ,
    canonical_url       TEXT,
    canonical_network   TEXT CHECK (canonical_network IN ('linkedin', 'x', 'bluesky', 'mastodon', 'threads', 'facebook')),
    channel_message_ref TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (draft_id, version) REFERENCES draft_versions (draft_id, version) ON DELETE CASCADE
);
CREATE INDEX posts_team_status ON posts (team_id, status);

CREATE TABLE nudges (
    id          BIGSERIAL PRIMARY KEY,
    post_id     BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id   BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'reminded', 'done', 'cancelled')),
    due_at      TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ,
    reminded_at TIMESTAMPTZ,
    UNIQUE (post_id, person_id)
);
CREATE INDEX nudges_due ON nudges (status, due_at);

CREATE TABLE share_confirmations (
    id           BIGSERIAL PRIMARY KEY,
    post_id      BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id    BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    network      TEXT    NOT NULL CHECK (network IN ('linkedin', 'x', 'bluesky', 'mastodon', 'threads', 'facebook')),
    url          TEXT,
    confirmed_at TIMESTAMPTZ NOT NULL,
    UNIQUE (post_id, person_id, network)
);

CREATE TABLE outbox (
    id               BIGSERIAL PRIMARY KEY,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    platform         TEXT    NOT NULL CHECK (platform IN ('slack', 'discord', 'shell')),
    workspace_id     TEXT    NOT NULL,
    lane             TEXT    NOT NULL CHECK (lane IN ('interactive', 'bulk')),
    payload_json     TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_before       TIMESTAMPTZ NOT NULL,
    claim_owner      TEXT,
    claim_expires_at TIMESTAMPTZ,
    last_error       TEXT,
    platform_ref     TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ
);
-- Serves the claim query: only pending rows, found by due time.
CREATE INDEX outbox_claim ON outbox (not_before, lane) WHERE status = 'pending';

CREATE TABLE inbound_events (
    platform    TEXT NOT NULL CHECK (platform IN ('slack', 'discord', 'shell')),
    key         TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, key)
);
CREATE INDEX inbound_events_received ON inbound_events (received_at);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    team_id     BIGINT REFERENCES teams (id) ON DELETE SET NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    detail_json TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_team ON audit_log (team_id, id);
