"""Values for the CLI and reports: freshness, lineage, run history. Pure: no printing."""
