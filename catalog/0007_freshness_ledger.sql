-- The freshness ledger: per asset and partition, when it was due and when it was met, so
-- that lateness is a stored fact, not a recomputation from whatever is published now.
-- Runs write a row as they publish; `assets freshness` writes the due time of each due
-- partition (and a row, met_at NULL, for one missing past it).
CREATE TABLE freshness_ledger (
    asset TEXT NOT NULL,
    partition TEXT NOT NULL,
    -- When the partition had to be published (UTC ISO-8601): its window's end, or the
    -- policy's deadline after it. NULL until a run or an evaluation that knows the policy
    -- writes it; once written it stays (a later policy change does not rewrite history).
    due_at TEXT,
    -- When it was first published: a partition published late stays late, whatever is
    -- republished later. NULL while it is missing.
    met_at TEXT,
    -- When it was last published (the age of an unpartitioned or static asset).
    published_at TEXT,
    -- The newest value of the policy's timestamp_column in the last published data, recorded
    -- at validate time (NULL without a timestamp_column, or for an empty partition).
    data_time TEXT,
    -- Rows of the last publish (an empty partition is not fresh unless allow_empty).
    rows BIGINT,
    PRIMARY KEY (asset, partition));
-- History reads an asset's rows due since a date (`assets freshness --history --since 30d`):
-- the key and when it was met too, so that it reads the index alone, in its order.
CREATE INDEX freshness_ledger_by_due ON freshness_ledger (asset, due_at, partition, met_at);
-- The rows that are not a partition met on time with data (missing, late, empty, or without
-- a due time yet): few, read whole by every evaluation, while the others are only counted.
-- Every column is in it, so that reading and counting them never visits the table.
CREATE INDEX freshness_ledger_exceptions
    ON freshness_ledger (asset, partition, due_at, met_at, published_at, data_time, rows)
    WHERE met_at IS NULL OR due_at IS NULL OR met_at > due_at OR rows = 0;
-- The partitions published before this migration are in the ledger, met when published
-- (the earliest time the catalog still knows); their due time comes with the next evaluation.
INSERT INTO freshness_ledger (asset, partition, met_at, published_at, rows)
    SELECT asset, partition, published_at, published_at, rows FROM partitions
    WHERE data_version IS NOT NULL AND published_at IS NOT NULL;
-- The newest timestamp_column value of each published attempt (see freshness_ledger.data_time).
ALTER TABLE materializations ADD COLUMN data_time TEXT;
-- The last freshness state alerted per asset (pass, warn, error, unknown): two processes
-- evaluating at once change it with a conditional UPDATE, so one of them sends each alert.
CREATE TABLE freshness_alerts (
    asset TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    -- When this state was entered (the evaluation's reference time).
    changed_at TEXT NOT NULL);
