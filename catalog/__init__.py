"""The catalog: runs, materializations, partition states, check results and leases.

It stores and answers; it does not plan. It imports nothing from ``assets_core``.

    >>> from catalog import open_catalog
    >>> catalog = open_catalog("sqlite:///:memory:", base_dir=".")   # doctest: +SKIP
"""

from catalog.errors import CatalogError
from catalog.models import CheckRecord, Lease, Materialization, Run
from catalog.snapshot import CatalogSnapshot, PartitionState
from catalog.sqlite import SqliteCatalog, open_catalog

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
