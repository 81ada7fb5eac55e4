-- Where each attempt's time went: {"inputs", "compute", "stage", "validate", "publish"} seconds.
ALTER TABLE materializations ADD COLUMN timings TEXT;
-- Retries: the attempt number of a partition within a run, and why an attempt failed
-- (error, transient, timeout, check): deterministic failures wait for a change.
ALTER TABLE materializations ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
ALTER TABLE materializations ADD COLUMN failure TEXT;
ALTER TABLE materializations ADD COLUMN checks_version TEXT;
ALTER TABLE materializations ADD COLUMN note TEXT;
ALTER TABLE check_results ADD COLUMN sample TEXT;
-- What the last attempt was built from, to tell whether retrying it could change anything.
ALTER TABLE partitions ADD COLUMN last_code_version TEXT;
ALTER TABLE partitions ADD COLUMN last_checks_version TEXT;
ALTER TABLE partitions ADD COLUMN last_inputs TEXT;
ALTER TABLE partitions ADD COLUMN last_failure TEXT;
