"""The catalog: runs, materializations, partition states, check results and leases.

It stores and answers; it does not plan. It imports nothing else from ``assets_core``.

    >>> from assets_core.catalog import open_catalog
    >>> catalog = open_catalog("sqlite:///:memory:", base_dir=".")   # doctest: +SKIP
"""

from assets_core.catalog.errors import CatalogError
from assets_core.catalog.models import CheckRecord, Lease, Materialization, Run
from assets_core.catalog.snapshot import CatalogSnapshot, PartitionState
from assets_core.catalog.sqlite import SqliteCatalog, open_catalog

__all__ = [
    "CatalogError",
    "CatalogSnapshot",
    "CheckRecord",
    "Lease",
    "Materialization",
    "PartitionState",
    "Run",
    "SqliteCatalog",
    "open_catalog",
]
