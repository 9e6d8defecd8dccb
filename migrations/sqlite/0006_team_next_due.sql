-- Amplifier schema 7, SQLite flavour: when a team next needs the clock's work (its next prompt slot in any of
-- its zones, or its next digest), so a tick reads only the teams that are due instead of every team. NULL means
-- "not known": the next tick does the team's work and stores the instant. Anything that changes a team's plan
-- (its settings, its roles, a member's zone) sets it back to NULL.
ALTER TABLE teams ADD COLUMN next_due_at TEXT;
CREATE INDEX teams_next_due_at ON teams (next_due_at);
