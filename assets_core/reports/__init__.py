"""Values for the CLI and reports: status, freshness, lineage, asset pages, schemas, run history. No printing."""
