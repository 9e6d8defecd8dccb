-- Amplifier schema 2, SQLite flavour. Same tables and columns as migrations/postgres/0002_ask_reminders_and_due_indexes.sql.

-- One row per ask reminder sent. `asks.reminders_sent` only counts them and `asks.updated_at` moves
-- on any change, so the weekly touch cap could not tell how many reminders fell inside its window.
CREATE TABLE ask_reminders (
    id          INTEGER PRIMARY KEY,
    ask_id      INTEGER NOT NULL REFERENCES asks (id) ON DELETE CASCADE,
    reminded_at TEXT    NOT NULL
);
CREATE INDEX ask_reminders_ask ON ask_reminders (ask_id, reminded_at);

-- The scheduler's polls: open asks whose reminder is due, scheduled posts whose slot came.
CREATE INDEX asks_due ON asks (status, remind_at);
CREATE INDEX posts_due ON posts (status, publish_at);
-- A member's nudge history: the ignored-nudge streak and the touch cap.
CREATE INDEX nudges_person ON nudges (person_id, sent_at);
