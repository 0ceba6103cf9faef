-- What the running daemon reports about itself, for `signrelay status` (another process):
-- one row per component ('daemon', and each watcher by mailbox name), rewritten every few
-- seconds and on every watcher state change. A row that stops being updated while the pid
-- file names a live process means a hung daemon.

CREATE TABLE service_status (
  component       TEXT PRIMARY KEY,           -- 'daemon' | 'requests' | 'returns'
  state           TEXT NOT NULL,              -- daemon: 'running' | 'stopped'; watchers: WatcherState
  detail          TEXT NOT NULL DEFAULT '{}', -- JSON; never secrets
  updated_at      TEXT NOT NULL
);
