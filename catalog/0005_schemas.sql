-- The schema (column names, types, nullability) of every published attempt's data. An
-- asset's partitions mostly share one schema: each distinct one is stored once, as the JSON
-- list of its columns, under its fingerprint (the sha256 of that text, 32 hex digits).
CREATE TABLE schemas (id TEXT PRIMARY KEY, columns TEXT NOT NULL);
-- Which schema a published attempt wrote (NULL for the other attempts, and for those
-- recorded before this migration).
ALTER TABLE materializations ADD COLUMN schema_id TEXT;
-- Each schema an asset has published: the attempts that published it first and last, and
-- how many did. Latest schemas and schema history read these few rows, not every attempt.
CREATE TABLE asset_schemas (
    asset TEXT NOT NULL, schema_id TEXT NOT NULL, first_materialization INTEGER NOT NULL,
    last_materialization INTEGER NOT NULL, attempts INTEGER NOT NULL,
    PRIMARY KEY (asset, schema_id));
