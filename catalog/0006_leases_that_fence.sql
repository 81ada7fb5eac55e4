-- Leases that fence: one writer per partition across processes and machines, judged by an
-- expiry a heartbeat renews, never by a pid alone (a pid of 1 is every container's).
-- When the lease lapses unless its run's heartbeat renews it (ISO-8601 text, the holder's
-- clock); past it the lease may be taken over. NULL: taken before this migration (lapsed).
ALTER TABLE leases ADD COLUMN expires_at TEXT;
-- The fencing token: the number of the grant that made this lease (see lease_grants). A
-- publish switches the data only while its lease still has the generation it was given.
ALTER TABLE leases ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
-- A heartbeat renews every lease of a run at once.
CREATE INDEX leases_by_run ON leases (run_id);
-- The run's own heartbeat, renewed with its leases: a running run past it has stopped (killed,
-- paused, its machine gone) and is marked interrupted. NULL: started before this migration.
ALTER TABLE runs ADD COLUMN expires_at TEXT;
-- The last lease granted on each partition, kept once the lease is released: its generation
-- (one more at each acquire or takeover, so generations only grow) and the run it went to.
-- An attempt of a run whose lease was since granted to another run changes no state.
CREATE TABLE lease_grants (
    asset TEXT NOT NULL, partition TEXT NOT NULL, generation BIGINT NOT NULL,
    run_id TEXT NOT NULL, granted_at TEXT NOT NULL, PRIMARY KEY (asset, partition));
