-- Amplifier schema 9: how many claims of an outbox row ended without a send (pacing, a rate-limit hold, no
-- transport, a release at shutdown) gets a column of its own; failed sends are `attempts - deferrals`. Until now
-- the count was kept as text at the front of `last_error` (`[deferred N] reason`): moved here, the reason kept.
ALTER TABLE outbox ADD COLUMN deferrals BIGINT NOT NULL DEFAULT 0;
UPDATE outbox
SET deferrals = CAST(substr(last_error, 11, instr(last_error, '] ') - 11) AS BIGINT),
    last_error = substr(last_error, instr(last_error, '] ') + 2)
WHERE last_error LIKE '[deferred %] %'
  AND instr(last_error, '] ') > 11
  AND trim(substr(last_error, 11, instr(last_error, '] ') - 11), '0123456789') = '';
