"""The catalog: runs, materializations, partition states, check results and leases.

It stores and answers; it does not plan. It imports nothing else from ``assets_core``. The
engine talks to it through :class:`Catalog` (``interface.py``), whatever backend
:func:`open_catalog` opens; the schema every backend applies is the SQL files of the
repository's ``catalog/`` folder (``migrations.py``).

    >>> from assets_core.catalog import open_catalog
    >>> catalog = open_catalog("sqlite:///:memory:", base_dir=".")   # doctest: +SKIP
"""

from assets_core.catalog.errors import CatalogError, LeaseLost, LeasesLost
from assets_core.catalog.interface import Catalog, open_catalog
from assets_core.catalog.models import AssetRow, AttemptLogs, CheckRecord, ColumnRecord, Lease, LedgerEntry, LogRecord, Materialization, PublishedVersion, Run, SchemaVersion
from assets_core.catalog.snapshot import CatalogSnapshot, ChangeMark, PartitionState

__all__ = [
    "AssetRow",
    "AttemptLogs",
    "Catalog",
    "CatalogError",
    "CatalogSnapshot",
    "ChangeMark",
    "CheckRecord",
    "ColumnRecord",
    "Lease",
    "LeaseLost",
    "LeasesLost",
    "LedgerEntry",
    "LogRecord",
    "Materialization",
    "PartitionState",
    "PublishedVersion",
    "Run",
    "SchemaVersion",
    "open_catalog",
]
