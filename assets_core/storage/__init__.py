"""Stage, read and publish partitions: Parquet files and DuckDB tables; input SQL of SQL assets."""
