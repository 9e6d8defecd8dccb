-- Amplifier schema 5, SQLite flavour: the platform refused a DM to this person (they do not accept DMs from
-- the bot), so no more are sent to them and admins hear of it in the digest.
ALTER TABLE people ADD COLUMN dms_closed INTEGER NOT NULL DEFAULT 0 CHECK (dms_closed IN (0, 1));
