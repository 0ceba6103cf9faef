-- A job's runs that began and never ended with an outcome (the process stopped under them):
-- counted when a run starts, cleared when its outcome is recorded. A job that keeps taking
-- the process down is given up, instead of being run again at every restart for ever
-- (src/jobs/job-runner.ts).
ALTER TABLE jobs ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
