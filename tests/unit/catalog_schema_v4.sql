-- sqlite_master of a new catalog made by assets-core at commit e125373, the last whose
-- migrations were a Python list (assets_core/catalog/schema.py): schema version 4, its
-- statements as SQLite stored them (ALTER TABLE ADD COLUMN appends to the CREATE TABLE).
-- Written once by that code; tests compare catalogs made from catalog/*.sql against it.

-- table assets
CREATE TABLE assets (
                name TEXT PRIMARY KEY, kind TEXT NOT NULL, code_version TEXT NOT NULL,
                partitions TEXT, inputs TEXT NOT NULL, updated_at TEXT NOT NULL);

-- table check_results
CREATE TABLE check_results (
                id INTEGER PRIMARY KEY, materialization_id INTEGER NOT NULL,
                run_id TEXT NOT NULL, asset TEXT NOT NULL, partition TEXT NOT NULL,
                check_name TEXT NOT NULL, severity TEXT NOT NULL, passed INTEGER NOT NULL,
                observed TEXT, message TEXT, duration REAL, sample TEXT);

-- table dynamic_partitions
CREATE TABLE dynamic_partitions (
                name TEXT NOT NULL, key TEXT NOT NULL, position INTEGER NOT NULL,
                added_at TEXT NOT NULL, PRIMARY KEY (name, key));

-- table leases
CREATE TABLE leases (
                asset TEXT NOT NULL, partition TEXT NOT NULL, run_id TEXT NOT NULL,
                pid INTEGER NOT NULL, host TEXT NOT NULL, acquired_at TEXT NOT NULL,
                PRIMARY KEY (asset, partition));

-- table materializations
CREATE TABLE materializations (
                id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, asset TEXT NOT NULL,
                partition TEXT NOT NULL, status TEXT NOT NULL, cause TEXT,
                started_at TEXT NOT NULL, ended_at TEXT NOT NULL, rows INTEGER, bytes INTEGER,
                code_version TEXT, data_version TEXT, inputs TEXT, error TEXT, location TEXT, timings TEXT, attempt INTEGER NOT NULL DEFAULT 1, failure TEXT, checks_version TEXT, note TEXT);

-- table observations
CREATE TABLE observations (
                id INTEGER PRIMARY KEY, asset TEXT NOT NULL, partition TEXT NOT NULL,
                version TEXT NOT NULL, observed_at TEXT NOT NULL);

-- table partitions
CREATE TABLE partitions (
                asset TEXT NOT NULL, partition TEXT NOT NULL, data_version TEXT,
                code_version TEXT, inputs TEXT, rows INTEGER, bytes INTEGER,
                published_at TEXT, published_run TEXT, last_status TEXT, last_run TEXT,
                last_error TEXT, last_attempt_at TEXT, last_materialization INTEGER, last_code_version TEXT, last_checks_version TEXT, last_inputs TEXT, last_failure TEXT,
                PRIMARY KEY (asset, partition));

-- table runs
CREATE TABLE runs (
                run_id TEXT PRIMARY KEY, selection TEXT, partitions TEXT, trigger TEXT NOT NULL,
                reason TEXT, reference_time TEXT NOT NULL, started_at TEXT NOT NULL,
                ended_at TEXT, status TEXT NOT NULL, pid INTEGER, host TEXT, counts TEXT);

-- table schema_version
CREATE TABLE schema_version (version INTEGER NOT NULL);

-- index check_results_by_materialization
CREATE INDEX check_results_by_materialization ON check_results (materialization_id);

-- index materializations_by_partition
CREATE INDEX materializations_by_partition ON materializations (asset, partition);

-- index materializations_by_run
CREATE INDEX materializations_by_run ON materializations (run_id);

-- index observations_by_partition
CREATE INDEX observations_by_partition ON observations (asset, partition, id);

-- index partitions_last_attempt_not_the_publish
CREATE INDEX partitions_last_attempt_not_the_publish ON partitions (asset, partition)
                WHERE NOT (last_status IS 'published' AND last_run IS published_run
    AND last_code_version IS code_version AND last_inputs IS inputs AND last_error IS NULL
    AND last_failure IS NULL);
