-- The few partitions whose last attempt is not their publish (a failure, a quarantine),
-- found without reading the others: a snapshot reads them whole.
-- The condition inside NOT (...) is LAST_ATTEMPT_IS_THE_PUBLISH in
-- assets_core/catalog/migrations.py, which the snapshot's query repeats to use this index
-- (tests/unit/test_migrations.py holds the two equal). Written `IS` at first, SQLite's
-- spelling; `IS NOT DISTINCT FROM` is the same test in SQLite (3.39+) and valid PostgreSQL.
CREATE INDEX partitions_last_attempt_not_the_publish ON partitions (asset, partition)
    WHERE NOT (last_status IS NOT DISTINCT FROM 'published'
    AND last_run IS NOT DISTINCT FROM published_run
    AND last_code_version IS NOT DISTINCT FROM code_version
    AND last_inputs IS NOT DISTINCT FROM inputs AND last_error IS NULL
    AND last_failure IS NULL);
