-- Amplifier schema 3, PostgreSQL flavour: "Remind me tomorrow" marks the ask so its next reminder is sent even
-- past the team's reminder count (it was the person's own request).
ALTER TABLE asks ADD COLUMN snoozed BOOLEAN NOT NULL DEFAULT FALSE;
