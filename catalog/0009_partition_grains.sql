-- Partitions definition changes. The grain of a definition is what its keys mean (time
-- windows of one kind in one timezone, or keys that name themselves: see
-- assets_core/partitions/grain.py); a partition built under another grain than its asset's
-- current one is stale ("partitions changed"), and keys a definition no longer holds are
-- retired by a run (recorded as attempts with status 'retired', which drop their partitions row).
-- Each asset's grain as its last run recorded it (NULL: unpartitioned, or recorded before 0009).
ALTER TABLE assets ADD COLUMN partitions_grain TEXT;
-- The grain a partition was published under when it is not its asset's: set for every published
-- partition of an asset when the asset's grain changes, cleared by its next publish. NULL for
-- nearly all rows (published under the asset's grain, or before 0009).
ALTER TABLE partitions ADD COLUMN published_grain TEXT;
-- The few partitions published under another grain, found without reading the others.
CREATE INDEX partitions_published_under_another_grain ON partitions (asset, partition)
    WHERE published_grain IS NOT NULL;
