-- The catalog's first schema. Every backend applies these files in order, each in one
-- transaction with the row it adds to schema_version (see assets_core/catalog/migrations.py:
-- `--` starts a comment at the start of a line only; a statement ends with `;` at a line's end).

-- Each asset's code version and inputs as last run; updated only when they change.
CREATE TABLE assets (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, code_version TEXT NOT NULL,
    partitions TEXT, inputs TEXT NOT NULL, updated_at TEXT NOT NULL);

-- One row per run: what it covered (selection, partitions, reference time), who ran it
-- (pid, host: a dead process's run is marked interrupted) and its counts by outcome (JSON).
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, selection TEXT, partitions TEXT, trigger TEXT NOT NULL,
    reason TEXT, reference_time TEXT NOT NULL, started_at TEXT NOT NULL,
    ended_at TEXT, status TEXT NOT NULL, pid INTEGER, host TEXT, counts TEXT);

-- Every attempt, never updated: the history. `inputs` is the JSON (sorted keys) of the
-- upstream data versions it read, {upstream asset: {upstream key: data version}}.
CREATE TABLE materializations (
    id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, asset TEXT NOT NULL,
    partition TEXT NOT NULL, status TEXT NOT NULL, cause TEXT,
    started_at TEXT NOT NULL, ended_at TEXT NOT NULL, rows INTEGER, bytes INTEGER,
    code_version TEXT, data_version TEXT, inputs TEXT, error TEXT, location TEXT);
CREATE INDEX materializations_by_partition ON materializations (asset, partition);
CREATE INDEX materializations_by_run ON materializations (run_id);

-- The current state of each partition, what the planner reads: the published version
-- (data_version .. published_run, unchanged by a failed attempt) and the last attempt
-- (last_*, its row in materializations: last_materialization).
CREATE TABLE partitions (
    asset TEXT NOT NULL, partition TEXT NOT NULL, data_version TEXT,
    code_version TEXT, inputs TEXT, rows INTEGER, bytes INTEGER,
    published_at TEXT, published_run TEXT, last_status TEXT, last_run TEXT,
    last_error TEXT, last_attempt_at TEXT, last_materialization INTEGER,
    PRIMARY KEY (asset, partition));

-- Each check's result on each attempt (`observed`: JSON).
CREATE TABLE check_results (
    id INTEGER PRIMARY KEY, materialization_id INTEGER NOT NULL,
    run_id TEXT NOT NULL, asset TEXT NOT NULL, partition TEXT NOT NULL,
    check_name TEXT NOT NULL, severity TEXT NOT NULL, passed INTEGER NOT NULL,
    observed TEXT, message TEXT, duration REAL);
CREATE INDEX check_results_by_materialization ON check_results (materialization_id);

-- One writer per partition: the run holding it, and its process (a dead one's lease is
-- taken over).
CREATE TABLE leases (
    asset TEXT NOT NULL, partition TEXT NOT NULL, run_id TEXT NOT NULL,
    pid INTEGER NOT NULL, host TEXT NOT NULL, acquired_at TEXT NOT NULL,
    PRIMARY KEY (asset, partition));
