-- Amplifier schema 3, SQLite flavour: "Remind me tomorrow" marks the ask so its next reminder is sent even
-- past the team's reminder count (it was the person's own request).
ALTER TABLE asks ADD COLUMN snoozed INTEGER NOT NULL DEFAULT 0 CHECK (snoozed IN (0, 1));
