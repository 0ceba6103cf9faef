-- What a job that waits without counting its attempt waits for (job-failure-policy.ts):
-- `operator` (credentials or settings to fix), `infrastructure` (our SMTP server, the disk)
-- or `scheduled` (a wait the handler set: a Retry-After, a lost send's notice, an upload
-- settling). NULL for a job that is not waiting. At a start or reload the first two are
-- tried at once — the fix they waited for is usually why the daemon was restarted — while a
-- scheduled wait keeps its time (src/daemon.ts).
ALTER TABLE jobs ADD COLUMN waiting_for TEXT;
