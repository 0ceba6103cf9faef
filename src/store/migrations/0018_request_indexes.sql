-- A request's jobs and mails, found by the request: the job runner asks whether a request
-- has a job waiting (a queued cancel stops its send), `show` lists them, and retention
-- deletes a refused mail's rows by its request. Without these each was a scan of the whole
-- table — retention's deletion of many refused mails' rows grew with the square of their
-- number (40,000 rows: a minute, the daemon blocked). And the requesters whose requests went
-- out within a year, read for the request watcher's order (mail/pass-order.ts).
CREATE INDEX jobs_request ON jobs(request_id, state);
CREATE INDEX messages_request ON messages(request_id);
CREATE INDEX requests_state_created ON requests(state, created_at);
