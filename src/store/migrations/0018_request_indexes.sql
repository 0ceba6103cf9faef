-- A request's jobs and mails, found by the request: the job runner asks whether a request
-- has a job waiting (a queued cancel stops its send), `show` lists them, and retention
-- deletes a refused mail's rows by its request. Without these each was a scan of the whole
-- table — retention's deletion of many refused mails' rows grew with the square of their
-- number (40,000 rows: a minute, the daemon blocked). And the requesters whose requests went
-- out within a year, read for the request watcher's order (mail/pass-order.ts).
CREATE INDEX jobs_request ON jobs(request_id, state);
CREATE INDEX messages_request ON messages(request_id);
CREATE INDEX requests_state_created ON requests(state, created_at);
-- A refused mail's reply limits read the mails queued within the day and the alerts raised
-- within the hour or day, inside its transaction: by time, not by a scan of each table
-- (90 days of history: ~190 ms a mail, in the flood the limits are for).
CREATE INDEX jobs_kind_created ON jobs(kind, created_at);
CREATE INDEX events_kind_at ON events(kind, at);
