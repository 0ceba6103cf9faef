-- How a restored database is known (store/restore-check.ts). `history`: one row — the
-- database's own id, made when this migration runs, and a count of the rows ever added to
-- the tables that grow with every step (events, jobs, messages), kept by triggers, so it
-- only grows: retention's deletions do not lower it. The daemon writes both beside the
-- database (history-mark.json in the data dir); a database that starts behind that mark is
-- an older copy — a restored backup — or another database. `marked_at`: when a daemon first
-- wrote the mark of this database — a database marked before that finds no mark was restored
-- into a new data dir (the old one lost with its mark).
CREATE TABLE history (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  database_id     TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  marked_at       TEXT
);
INSERT INTO history (id, database_id, seq) VALUES (1, lower(hex(randomblob(16))),
  (SELECT count(*) FROM events) + (SELECT count(*) FROM jobs) + (SELECT count(*) FROM messages));
CREATE TRIGGER history_events AFTER INSERT ON events BEGIN UPDATE history SET seq = seq + 1; END;
CREATE TRIGGER history_jobs AFTER INSERT ON jobs BEGIN UPDATE history SET seq = seq + 1; END;
CREATE TRIGGER history_messages AFTER INSERT ON messages BEGIN UPDATE history SET seq = seq + 1; END;
-- Requests whose work waits for an operator after a restore was found: none of their jobs
-- runs, and the scheduler neither reconciles nor reminds them, until `signrelay release`.
CREATE TABLE restore_holds (
  request_id      TEXT PRIMARY KEY REFERENCES requests(id),
  held_at         TEXT NOT NULL
);
