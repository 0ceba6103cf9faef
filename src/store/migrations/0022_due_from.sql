-- Where a request's due date came from: 'mail' (a Due: line) or 'route' (its due_days, none
-- given): the acknowledgement says when it is the route's default. Older rows did not keep it.
ALTER TABLE requests ADD COLUMN due_from TEXT NOT NULL DEFAULT 'mail';
