-- Amplifier schema 8, SQLite flavour: PostgreSQL gains SQLite's instr() so both run the same statements; SQLite
-- has it built in, so nothing changes here (the file keeps the two schemas' versions in step).
SELECT 1;
