-- Amplifier schema, SQLite flavour. Same tables and columns as migrations/postgres/0001_initial.sql.
-- Timestamps are TEXT written by sqlx as RFC 3339 in UTC ("+00:00"), which sorts in time order.
-- Booleans are INTEGER 0/1.

CREATE TABLE teams (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    platform      TEXT    NOT NULL CHECK (platform IN ('slack', 'discord', 'shell')),
    workspace_id  TEXT    NOT NULL,
    settings_json TEXT    NOT NULL DEFAULT '{}',
    source        TEXT    NOT NULL CHECK (source IN ('config', 'command')),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE people (
    id               INTEGER PRIMARY KEY,
    platform         TEXT    NOT NULL CHECK (platform IN ('slack', 'discord', 'shell')),
    workspace_id     TEXT    NOT NULL,
    platform_user_id TEXT    NOT NULL,
    display_name     TEXT,
    time_zone        TEXT,
    muted            INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
    paused_until     TEXT,
    out_of_office    INTEGER NOT NULL DEFAULT 0 CHECK (out_of_office IN (0, 1)),
    dm_channel_id    TEXT,
    created_at       TEXT    NOT NULL,
    UNIQUE (platform, workspace_id, platform_user_id)
);

CREATE TABLE team_roles (
    team_id   INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role      TEXT    NOT NULL CHECK (role IN ('leader', 'approver', 'member', 'admin')),
    PRIMARY KEY (team_id, person_id, role)
);
CREATE INDEX team_roles_person ON team_roles (person_id);

CREATE TABLE prompts (
    id   INTEGER PRIMARY KEY,
    pack TEXT NOT NULL,
    key  TEXT NOT NULL,
    text TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    UNIQUE (pack, key)
);

CREATE TABLE rounds (
    id           INTEGER PRIMARY KEY,
    team_id      INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    scheduled_at TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('open', 'missed', 'closed')),
    created_at   TEXT    NOT NULL,
    closed_at    TEXT,
    UNIQUE (team_id, scheduled_at)
);

CREATE TABLE prompt_views (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    team_id   INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    prompt_id INTEGER NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    round_id  INTEGER REFERENCES rounds (id) ON DELETE SET NULL,
    seen_at   TEXT    NOT NULL,
    PRIMARY KEY (person_id, team_id, prompt_id)
);

CREATE TABLE asks (
    id             INTEGER PRIMARY KEY,
    round_id       INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    person_id      INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    prompt_id      INTEGER REFERENCES prompts (id) ON DELETE SET NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'answered', 'skipped', 'expired')),
    reminders_sent INTEGER NOT NULL DEFAULT 0 CHECK (reminders_sent >= 0),
    remind_at      TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    UNIQUE (round_id, person_id)
);
CREATE INDEX asks_person ON asks (person_id, status);

CREATE TABLE drafts (
    id              INTEGER PRIMARY KEY,
    team_id         INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    author_id       INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ask_id          INTEGER REFERENCES asks (id) ON DELETE SET NULL,
    status          TEXT    NOT NULL CHECK (status IN ('editing', 'in_review', 'changes_requested',
                        'approved', 'rejected', 'discarded', 'published', 'withdrawn')),
    current_version INTEGER NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX drafts_team_status ON drafts (team_id, status);
CREATE INDEX drafts_author ON drafts (author_id);

CREATE TABLE draft_versions (
    draft_id   INTEGER NOT NULL REFERENCES drafts (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL CHECK (version >= 1),
    body       TEXT    NOT NULL,
    editor_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (draft_id, version)
);

CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY,
    draft_id    INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    reviewer_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    decision    TEXT    NOT NULL CHECK (decision IN ('approve', 'edit_and_approve', 'request_changes', 'reject')),
    comment     TEXT,
    decided_at  TEXT    NOT NULL,
    FOREIGN KEY (draft_id, version) REFERENCES draft_versions (draft_id, version) ON DELETE CASCADE
);
CREATE INDEX reviews_draft ON reviews (draft_id);

CREATE TABLE posts (
    id                  INTEGER PRIMARY KEY,
    draft_id            INTEGER NOT NULL UNIQUE,
    team_id             INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    author_id           INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    version             INTEGER NOT NULL,
    body                TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('awaiting_link', 'scheduled', 'published', 'withdrawn')),
    publish_at          TEXT,
    published_at        TEXT,
    canonical_url       TEXT,
    canonical_network   TEXT CHECK (canonical_network IN ('linkedin', 'x', 'bluesky', 'mastodon', 'threads', 'facebook')),
    channel_message_ref TEXT,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    FOREIGN KEY (draft_id, version) REFERENCES draft_versions (draft_id, version) ON DELETE CASCADE
);
CREATE INDEX posts_team_status ON posts (team_id, status);

CREATE TABLE nudges (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'reminded', 'done', 'cancelled')),
    due_at      TEXT    NOT NULL,
    sent_at     TEXT,
    reminded_at TEXT,
    UNIQUE (post_id, person_id)
);
CREATE INDEX nudges_due ON nudges (status, due_at);

CREATE TABLE share_confirmations (
    id           INTEGER PRIMARY KEY,
    post_id      INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    network      TEXT    NOT NULL CHECK (network IN ('linkedin', 'x', 'bluesky', 'mastodon', 'threads', 'facebook')),
    url          TEXT,
    confirmed_at TEXT    NOT NULL,
    UNIQUE (post_id, person_id, network)
);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    platform         TEXT    NOT NULL CHECK (platform IN ('slack', 'discord', 'shell')),
    workspace_id     TEXT    NOT NULL,
    lane             TEXT    NOT NULL CHECK (lane IN ('interactive', 'bulk')),
    payload_json     TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_before       TEXT    NOT NULL,
    claim_owner      TEXT,
    claim_expires_at TEXT,
    last_error       TEXT,
    platform_ref     TEXT,
    created_at       TEXT    NOT NULL,
    sent_at          TEXT
);
-- Serves the claim query: only pending rows, found by due time.
CREATE INDEX outbox_claim ON outbox (not_before, lane) WHERE status = 'pending';

CREATE TABLE inbound_events (
    platform    TEXT NOT NULL CHECK (platform IN ('slack', 'discord', 'shell')),
    key         TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (platform, key)
);
CREATE INDEX inbound_events_received ON inbound_events (received_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    team_id     INTEGER REFERENCES teams (id) ON DELETE SET NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    detail_json TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_team ON audit_log (team_id, id);
