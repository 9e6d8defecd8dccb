-- Amplifier schema 8, PostgreSQL flavour: SQLite's instr(haystack, needle) (1-based position, 0 when absent), so
-- the statements that search stored text (forgetting a person) are one SQL text for both databases.
CREATE OR REPLACE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS INTEGER
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS 'SELECT strpos(haystack, needle)';
