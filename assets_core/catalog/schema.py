"""Catalog tables, as numbered migrations. A catalog records the version it is at."""

from __future__ import annotations

LAST_ATTEMPT_IS_THE_PUBLISH = """last_status IS 'published' AND last_run IS published_run
    AND last_code_version IS code_version AND last_inputs IS inputs AND last_error IS NULL
    AND last_failure IS NULL"""
"""Partitions whose last attempt is their publish (nearly all): the last_* columns repeat it."""

MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """CREATE TABLE assets (
                name TEXT PRIMARY KEY, kind TEXT NOT NULL, code_version TEXT NOT NULL,
                partitions TEXT, inputs TEXT NOT NULL, updated_at TEXT NOT NULL)""",
            """CREATE TABLE runs (
                run_id TEXT PRIMARY KEY, selection TEXT, partitions TEXT, trigger TEXT NOT NULL,
                reason TEXT, reference_time TEXT NOT NULL, started_at TEXT NOT NULL,
                ended_at TEXT, status TEXT NOT NULL, pid INTEGER, host TEXT, counts TEXT)""",
            """CREATE TABLE materializations (
                id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, asset TEXT NOT NULL,
                partition TEXT NOT NULL, status TEXT NOT NULL, cause TEXT,
                started_at TEXT NOT NULL, ended_at TEXT NOT NULL, rows INTEGER, bytes INTEGER,
                code_version TEXT, data_version TEXT, inputs TEXT, error TEXT, location TEXT)""",
            "CREATE INDEX materializations_by_partition ON materializations (asset, partition)",
            "CREATE INDEX materializations_by_run ON materializations (run_id)",
            """CREATE TABLE partitions (
                asset TEXT NOT NULL, partition TEXT NOT NULL, data_version TEXT,
                code_version TEXT, inputs TEXT, rows INTEGER, bytes INTEGER,
                published_at TEXT, published_run TEXT, last_status TEXT, last_run TEXT,
                last_error TEXT, last_attempt_at TEXT, last_materialization INTEGER,
                PRIMARY KEY (asset, partition))""",
            """CREATE TABLE check_results (
                id INTEGER PRIMARY KEY, materialization_id INTEGER NOT NULL,
                run_id TEXT NOT NULL, asset TEXT NOT NULL, partition TEXT NOT NULL,
                check_name TEXT NOT NULL, severity TEXT NOT NULL, passed INTEGER NOT NULL,
                observed TEXT, message TEXT, duration REAL)""",
            "CREATE INDEX check_results_by_materialization ON check_results (materialization_id)",
            """CREATE TABLE leases (
                asset TEXT NOT NULL, partition TEXT NOT NULL, run_id TEXT NOT NULL,
                pid INTEGER NOT NULL, host TEXT NOT NULL, acquired_at TEXT NOT NULL,
                PRIMARY KEY (asset, partition))""",
        ],
    ),
    (
        2,
        [
            # Where each attempt's time went: {"inputs", "compute", "stage", "validate", "publish"} seconds.
            "ALTER TABLE materializations ADD COLUMN timings TEXT",
            # Retries: the attempt number of a partition within a run, and why an attempt failed
            # (error, transient, timeout, check): deterministic failures wait for a change.
            "ALTER TABLE materializations ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1",
            "ALTER TABLE materializations ADD COLUMN failure TEXT",
            "ALTER TABLE materializations ADD COLUMN checks_version TEXT",
            "ALTER TABLE materializations ADD COLUMN note TEXT",
            "ALTER TABLE check_results ADD COLUMN sample TEXT",
            # What the last attempt was built from, to tell whether retrying it could change anything.
            "ALTER TABLE partitions ADD COLUMN last_code_version TEXT",
            "ALTER TABLE partitions ADD COLUMN last_checks_version TEXT",
            "ALTER TABLE partitions ADD COLUMN last_inputs TEXT",
            "ALTER TABLE partitions ADD COLUMN last_failure TEXT",
        ],
    ),
    (
        3,
        [
            # Keys of DynamicPartitions, in the order they were added.
            """CREATE TABLE dynamic_partitions (
                name TEXT NOT NULL, key TEXT NOT NULL, position INTEGER NOT NULL,
                added_at TEXT NOT NULL, PRIMARY KEY (name, key))""",
            # Versions of source partitions as last observed (`assets observe`), with history.
            """CREATE TABLE observations (
                id INTEGER PRIMARY KEY, asset TEXT NOT NULL, partition TEXT NOT NULL,
                version TEXT NOT NULL, observed_at TEXT NOT NULL)""",
            "CREATE INDEX observations_by_partition ON observations (asset, partition, id)",
        ],
    ),
    (
        4,
        [
            # The few partitions whose last attempt is not their publish (a failure, a
            # quarantine), found without reading the others: a snapshot reads them whole.
            f"""CREATE INDEX partitions_last_attempt_not_the_publish ON partitions (asset, partition)
                WHERE NOT ({LAST_ATTEMPT_IS_THE_PUBLISH})""",
        ],
    ),
]

LATEST = MIGRATIONS[-1][0]
