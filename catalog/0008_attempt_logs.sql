-- What an attempt's code said: its log records, what it printed, and the traceback of its
-- failure. One row per attempt that said anything (an attempt that logged, printed and
-- raised nothing has no row, so a run of quiet partitions writes nothing here). Each text is
-- cut by the engine to 64 Ki characters, its head and tail kept around a "... N characters cut ..."
-- marker, so no attempt's row grows past a few hundred KiB.
-- `materialization_id`: the attempt's row in materializations (its `id`).
-- `records`: the JSON list of [level, time (ISO-8601, UTC), message] in the order logged;
-- `stdout`, `stderr`, `traceback`: NULL when empty. `run_id`, `asset` and `partition`
-- repeat the attempt's, so `assets logs RUN_ID ASSET KEY` reads these rows by run only.
CREATE TABLE attempt_logs (
    materialization_id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, asset TEXT NOT NULL,
    partition TEXT NOT NULL, records TEXT, stdout TEXT, stderr TEXT, traceback TEXT);
CREATE INDEX attempt_logs_by_run ON attempt_logs (run_id, asset, partition);
