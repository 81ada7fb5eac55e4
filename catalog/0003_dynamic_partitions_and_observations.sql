-- Keys of DynamicPartitions, in the order they were added.
CREATE TABLE dynamic_partitions (
    name TEXT NOT NULL, key TEXT NOT NULL, position INTEGER NOT NULL,
    added_at TEXT NOT NULL, PRIMARY KEY (name, key));
-- Versions of source partitions as last observed (`assets observe`), with history.
CREATE TABLE observations (
    id INTEGER PRIMARY KEY, asset TEXT NOT NULL, partition TEXT NOT NULL,
    version TEXT NOT NULL, observed_at TEXT NOT NULL);
CREATE INDEX observations_by_partition ON observations (asset, partition, id);
