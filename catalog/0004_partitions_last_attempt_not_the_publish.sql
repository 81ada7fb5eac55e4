-- The few partitions whose last attempt is not their publish (a failure, a quarantine),
-- found without reading the others: a snapshot reads them whole.
-- The condition inside NOT (...) is LAST_ATTEMPT_IS_THE_PUBLISH in
-- assets_core/catalog/migrations.py, which the snapshot's query repeats to use this index
-- (tests/unit/test_migrations.py holds the two equal).
CREATE INDEX partitions_last_attempt_not_the_publish ON partitions (asset, partition)
    WHERE NOT (last_status IS 'published' AND last_run IS published_run
    AND last_code_version IS code_version AND last_inputs IS inputs AND last_error IS NULL
    AND last_failure IS NULL);
