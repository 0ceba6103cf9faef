-- A request's events of one kind, found by the request: retention's daily run, reconcile and
-- reminders ask for one request's transitions or notes. With only events_kind_at (0018) and
-- events_request to choose from, SQLite took the kind's index and walked every transition or
-- note in the table for each request — retention's run grew with the square of the history
-- (4,000 requests: 236 s in one block, the daemon deaf and its watchdog unfed; lifecycle
-- review H1). This index answers each lookup from the request's own events.
CREATE INDEX events_request_kind ON events(request_id, kind, at);
