"""Every published partition records the schema of its data (names, polars types, nullability),
Parquet and DuckDB alike, and a schema change is recorded as a new schema from its partition."""

from __future__ import annotations

from assets_core.catalog.sqlite import SqliteCatalog
from cli_project import DAYS, Project


def schemas(project: Project) -> dict[str, list[tuple[str, str, bool]]]:
    catalog = SqliteCatalog(project.catalog_path)
    try:
        return {asset: [(c.name, c.type, c.nullable) for c in columns]
                for asset, columns in catalog.latest_schemas().items()}
    finally:
        catalog.close()


def test_each_asset_records_the_schema_of_what_it_published(built_landing: Project) -> None:
    assert schemas(built_landing) == {
        "raw": [("order_id", "Int64", True), ("customer", "String", True), ("amount", "Float64", True)],
        "clean": [("order_id", "Int64", True), ("customer", "String", True), ("amount", "Float64", True)],
        "revenue": [("day", "Date", True), ("customer", "String", True), ("orders", "Int64", True),
                    ("revenue", "Float64", True)],
        "summary": [("customer", "String", True), ("orders", "UInt32", True), ("revenue", "Float64", True)],
    }


def test_a_new_column_is_a_new_schema_first_seen_in_the_partition_that_published_it(built_landing: Project) -> None:
    built_landing.edit("landing_assets.py", 'return raw.filter(pl.col("amount").is_not_null()).sort("order_id")',
                       'return raw.filter(pl.col("amount").is_not_null()).sort("order_id").with_columns(vip=pl.lit(True))')
    built_landing.ok("materialize", "--select", "clean", "--partitions", DAYS[0])
    catalog = SqliteCatalog(built_landing.catalog_path)
    try:
        history = catalog.schema_history("clean")
        runs = catalog.runs()
    finally:
        catalog.close()
    assert [[c.name for c in h.columns] for h in history] == [
        ["order_id", "customer", "amount"], ["order_id", "customer", "amount", "vip"],
    ]
    assert [h.attempts for h in history] == [len(DAYS), 1]
    assert (history[1].partition, history[1].run_id) == (DAYS[0], runs[0].run_id)
