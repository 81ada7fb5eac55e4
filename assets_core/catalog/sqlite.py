"""The SQLite catalog: one file, WAL mode so readers never wait for the writer.

One backend of :class:`assets_core.catalog.interface.Catalog`, whose docstrings say what each
method guarantees; opened through ``open_catalog`` from a ``sqlite:///`` URL."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from assets_core.catalog.errors import CatalogError, LeaseLost, LeasesLost, stored_json
from assets_core.catalog.models import AssetRow, AttemptLogs, CheckRecord, ColumnRecord, Lease, LedgerEntry, LogRecord, Materialization, PublishedVersion, Run, SchemaVersion
from assets_core.catalog.migrations import LAST_ATTEMPT_IS_THE_PUBLISH, LEDGER_EXCEPTION, LEDGER_LATE, created_tables, pending
from assets_core.catalog.snapshot import SEPARATOR, AssetStates, CatalogSnapshot, ChangeMark, Column, PartitionState, StateColumns


_LAST_COLUMNS_UPDATE = """last_status = excluded.last_status, last_run = excluded.last_run,
     last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at,
     last_materialization = excluded.last_materialization,
     last_code_version = excluded.last_code_version,
     last_checks_version = excluded.last_checks_version, last_inputs = excluded.last_inputs,
     last_failure = excluded.last_failure"""


_STATE_COLUMNS = """asset, partition, data_version, code_version, inputs, published_at, rows, last_status,
    last_run, last_error, last_code_version, last_checks_version, last_inputs, last_failure"""

_COLUMNS_BY_ASSET = """SELECT asset, count(*), group_concat(partition, char(1)),
    group_concat(coalesce(last_status, char(2)), char(1)), group_concat(coalesce(code_version, char(2)), char(1)),
    group_concat(coalesce(data_version, char(2)), char(1)), group_concat(coalesce(inputs, char(2)), char(1)),
    group_concat(printf('%s' || char(3) || '%s' || char(3) || '%s' || char(3) || '%s',
                        published_at, rows, last_run, last_checks_version), char(1))
    FROM partitions WHERE {where} TRUE GROUP BY asset"""
"""Each asset's partitions as columns of one text each (see :mod:`assets_core.catalog.snapshot`), the
entries in the same order in every column: SQLite walks the rows of a group once for all.
The publish details are one column of four fields (``printf`` writes NULL as nothing: none
of them is ever empty), the cheapest way found to have SQLite join them."""


def _asset_states(count: int, texts: list[str], others: dict[str, PartitionState]) -> AssetStates:
    keys_text, status, code_version, data_version, inputs, published = texts
    keys = keys_text.split(SEPARATOR)
    if len(keys) != count:
        raise CatalogError(
            "The catalog holds a partition key with a control character (edited by hand?): "
            "restore the catalog file from a backup."
        )
    columns = StateColumns(keys, *(Column(count, text) for text in (status, code_version, data_version, inputs)))
    return AssetStates(columns, Column(count, published), others)


T = TypeVar("T")

_LEASE_COLUMNS = "asset, partition, run_id, pid, host, expires_at, generation, acquired_at"
"""A :class:`Lease`'s fields, in order."""

_LEDGER_PUBLISH = """INSERT INTO freshness_ledger (asset, partition, due_at, met_at, published_at, data_time, rows)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (asset, partition) DO UPDATE SET
      due_at = coalesce(freshness_ledger.due_at, excluded.due_at),
      met_at = coalesce(freshness_ledger.met_at, excluded.met_at),
      published_at = excluded.published_at, data_time = excluded.data_time, rows = excluded.rows"""
"""A published attempt in the ledger: first publish is when the partition was met, for good."""

_LEDGER_COLUMNS = "partition, due_at, met_at, published_at, data_time, rows"

_SCAN_ASSET_FROM = 2000
"""``published_schemas``: from this many versions of one asset, reading all its published
attempts at once is cheaper than looking each version up."""


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def _schema_text(columns: tuple[ColumnRecord, ...]) -> tuple[str, str]:
    """A schema's fingerprint and its stored text: a JSON list of ``[name, type, nullable]``."""
    text = json.dumps([[c.name, c.type, c.nullable] for c in columns])
    return hashlib.sha256(text.encode()).hexdigest()[:32], text


def _columns(text: str) -> tuple[ColumnRecord, ...]:
    return tuple(ColumnRecord(name=n, type=t, nullable=bool(null)) for n, t, null in stored_json(text, "a schema"))


class SqliteCatalog:
    """A :class:`~assets_core.catalog.interface.Catalog` in one SQLite file (or ``":memory:"``).

    One connection, serialized by a lock, shared by the threads of a process; each write is a
    ``BEGIN IMMEDIATE`` transaction, and WAL lets readers in other processes go on meanwhile.
    ``_transaction`` is for tests and benchmarks that write rows directly."""

    _columns_by_asset = _COLUMNS_BY_ASSET  # the one SQLite-only query of snapshot (PostgreSQL: its own)

    def __init__(self, path: str | Path) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                str(path), timeout=30, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA busy_timeout = 30000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(
                f"The catalog {path} cannot be used ({exc}): it is not an assets-core catalog; "
                "move it away or point `catalog` in assets.toml elsewhere."
            ) from None

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._transaction() as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "schema_version" not in tables:
                raise CatalogError(
                    f"{self.path} is not an assets-core catalog (a SQLite database with tables "
                    f"{', '.join(sorted(tables)[:3])}): point `catalog` in assets.toml at a new file."
                )
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] or 0
            if not isinstance(current, int):
                raise CatalogError(
                    f"The catalog {self.path} has schema version {current!r}, not a number (edited by hand?): "
                    "restore it from a backup, or move it away to start a new one."
                )
            for migration in pending(current, str(self.path)):
                for statement in migration.statements():
                    db.execute(statement)
                db.execute("INSERT INTO schema_version VALUES (?)", (migration.version,))
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            lost = sorted(set(created_tables()) - tables)
            if lost:
                raise CatalogError(
                    f"The catalog {self.path} has no table {', '.join(lost)} (dropped by hand?): restore it "
                    "from a backup, or move it away to start a new one."
                )

    def schema_version(self) -> int:
        return int(self._rows("SELECT max(version) FROM schema_version")[0][0])

    # -- assets --------------------------------------------------------------------------

    def upsert_assets(self, rows: Iterable[AssetRow], now: str) -> None:
        values: list[dict[str, Any]] = [{"partitions_grain": None, **row, "now": now} for row in rows]
        with self._transaction() as db:
            grains = dict(db.execute("SELECT name, partitions_grain FROM assets").fetchall())
            for row in values:
                old, new = grains.get(row["name"]), row["partitions_grain"]
                if old is not None and old != new:  # its partitions now say something else of their keys
                    db.execute(
                        """UPDATE partitions SET published_grain = ? WHERE asset = ? AND published_grain IS NULL
                           AND data_version IS NOT NULL""", (old, row["name"]))
                    db.execute("UPDATE partitions SET published_grain = NULL WHERE asset = ? AND published_grain = ?",
                               (row["name"], new))  # published under the grain that is current again
            db.executemany(
                """INSERT INTO assets (name, kind, code_version, partitions, inputs, updated_at, partitions_grain)
                   VALUES (:name, :kind, :code_version, :partitions, :inputs, :now, :partitions_grain)
                   ON CONFLICT (name) DO UPDATE SET kind = excluded.kind,
                     code_version = excluded.code_version, partitions = excluded.partitions,
                     inputs = excluded.inputs, updated_at = excluded.updated_at,
                     partitions_grain = excluded.partitions_grain
                   WHERE assets.code_version != excluded.code_version
                      OR assets.inputs != excluded.inputs
                      OR coalesce(assets.partitions, '') != coalesce(excluded.partitions, '')
                      OR coalesce(assets.partitions_grain, '') != coalesce(excluded.partitions_grain, '')""",
                values,
            )

    # -- the snapshot --------------------------------------------------------------------

    def snapshot(
        self, is_alive: Callable[[Lease], bool] = lambda lease: True, only: Mapping[str, Collection[str] | None] | None = None,
        counted: Collection[str] = (),
    ) -> CatalogSnapshot:
        """Every partition state, read in one transaction; dead leases mark interruptions.

        Built for a million partitions: each column of an asset's partitions is read as one
        text joined by SQLite (see :mod:`assets_core.catalog.snapshot`), and states are built from it only
        when asked for; partitions whose last attempt is not their publish (a failure, a
        quarantine: few) are read whole. ``only``: just these assets, and of each the keys
        given (None: all its partitions), found by the primary key; ``counted``: those of
        them whose states are counted for ``sizes`` when not read whole (by the same index)."""
        partitions: dict[str, MutableMapping[str, PartitionState]] = {}
        whole = None if only is None else [asset for asset, keys in only.items() if keys is None]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                mark = self._mark()
                for names, where in self._asset_filters(whole):
                    others: dict[str, dict[str, PartitionState]] = {}
                    for asset, key, *columns in self._db.execute(
                        f"SELECT {_STATE_COLUMNS} FROM partitions WHERE {where} NOT ({LAST_ATTEMPT_IS_THE_PUBLISH})", names
                    ):
                        others.setdefault(asset, {})[key] = PartitionState(*columns)
                    for asset, count, *texts in self._db.execute(self._columns_by_asset.format(where=where), names):
                        partitions[asset] = _asset_states(count, texts, others.get(asset, {}))
                sizes = None
                if only is not None:
                    sizes = {asset: len(partitions.get(asset) or ()) for asset in whole or ()}
                    keyed = {asset: keys for asset, keys in only.items() if keys is not None}
                    for names, where in self._asset_filters([a for a in counted if a in keyed]):
                        sizes.update(self._db.execute(
                            f"SELECT asset, count(*) FROM partitions WHERE {where} TRUE GROUP BY asset", names))
                    found = f"""SELECT {_STATE_COLUMNS} FROM {{wanted}} JOIN partitions
                                ON asset = wanted.column1 AND partition = wanted.column2"""
                    read: dict[str, list[tuple[Any, ...]]] = {asset: [] for asset in keyed}
                    for row in self._by_keys(found, keyed):
                        read[row[0]].append(row)
                    for asset, rows in read.items():  # in key order, as a whole snapshot's columns are
                        partitions[asset] = {row[1]: PartitionState(*row[2:]) for row in sorted(rows, key=itemgetter(1))}
                leases = self._leases()
                observed_rows = self._latest_observations(only)
                dynamic_keys = self._dynamic_keys()
                grains = {name: grain for name, grain in self._db.execute(
                    "SELECT name, partitions_grain FROM assets WHERE partitions_grain IS NOT NULL")}
                published_grains: dict[str, dict[str, str]] = {}
                for asset, key, grain in self._db.execute(  # the partial index: nothing read when none is
                    "SELECT asset, partition, published_grain FROM partitions WHERE published_grain IS NOT NULL"
                ):
                    published_grains.setdefault(asset, {})[key] = grain
            finally:
                self._db.execute("COMMIT")
        interrupted = frozenset((l.asset, l.partition) for l in leases if not is_alive(l))
        observed: dict[str, dict[str, str]] = {}
        for asset, key, version in observed_rows:
            observed.setdefault(asset, {})[key] = version
        return CatalogSnapshot(partitions, interrupted, observed, dynamic_keys, grains, published_grains, mark,
                               partial=only is not None, sizes=sizes)

    @staticmethod
    def _asset_filters(
        assets: Iterable[str] | None, column: str = "asset",
    ) -> Iterator[tuple[tuple[str, ...], str]]:
        """(parameters, a ``WHERE`` clause's start) that pick ``assets`` by ``column`` (None:
        every asset), a few hundred at a time (SQLite caps the parameters of one statement)."""
        if assets is None:
            yield (), ""
            return
        names = list(assets)
        for start in range(0, len(names), 500):
            chunk = tuple(names[start:start + 500])
            yield chunk, f"{column} IN ({','.join('?' * len(chunk))}) AND"

    def _by_keys(self, select: str, keys: Mapping[str, Collection[str]]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``select`` for these keys of each asset: ``{wanted}`` in it is a table
        of the (asset, partition) pairs (``column1``, ``column2``) to join on the primary key,
        a thousand pairs per statement (one round trip to a server, and SQLite caps the
        parameters of a statement; a row-value IN would scan the table)."""
        pairs = [(asset, key) for asset, wanted in keys.items() for key in wanted]
        for start in range(0, len(pairs), 1000):
            chunk = pairs[start:start + 1000]
            values = f"(VALUES {','.join(['(?, ?)'] * len(chunk))}) AS wanted"
            yield from self._db.execute(select.format(wanted=values), [v for pair in chunk for v in pair])

    def _latest_observations(self, only: Mapping[str, Collection[str] | None] | None) -> list[tuple[str, str, str]]:
        """(asset, partition, version) of the latest observation of each source partition (of
        ``only``'s, when given), found through the index of observations by partition."""
        query = """SELECT asset, partition, version FROM observations WHERE id IN
                     (SELECT max(id) FROM observations {where} GROUP BY asset, partition)"""
        if only is None:
            return self._db.execute(query.format(where="")).fetchall()
        observed = {row[0] for row in self._db.execute("SELECT DISTINCT asset FROM observations")}  # few sources
        rows: list[tuple[str, str, str]] = []
        for asset in [a for a, keys in only.items() if keys is None and a in observed]:
            rows.extend(self._db.execute(query.format(where="WHERE asset = ?"), (asset,)))
        keyed = {a: keys for a, keys in only.items() if keys is not None and a in observed}
        latest = """SELECT max(o.id) FROM {wanted} JOIN observations o
                      ON o.asset = wanted.column1 AND o.partition = wanted.column2 GROUP BY o.asset, o.partition"""
        ids = [row[0] for row in self._by_keys(latest, keyed)] if keyed else []
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows.extend(self._db.execute(
                f"SELECT asset, partition, version FROM observations WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return rows

    def _mark(self) -> ChangeMark:
        attempt = self._db.execute("SELECT id, asset, partition FROM materializations ORDER BY id DESC LIMIT 1").fetchone()
        observation = self._db.execute("SELECT id, asset, partition FROM observations ORDER BY id DESC LIMIT 1").fetchone()
        return ChangeMark(
            attempt[0] if attempt else 0, (attempt[1], attempt[2]) if attempt else None,
            observation[0] if observation else 0, (observation[1], observation[2]) if observation else None,
        )

    def changes_since(self, mark: ChangeMark, limit: int) -> tuple[ChangeMark, set[tuple[str, str]]] | None:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                if not self._holds(mark):
                    return None
                now = self._mark()
                changed: set[tuple[str, str]] = set()
                for table, since in (("materializations", mark.attempt), ("observations", mark.observation)):
                    changed.update(self._db.execute(
                        f"SELECT DISTINCT asset, partition FROM {table} WHERE id > ? LIMIT ?", (since, limit + 1)
                    ).fetchall())
            finally:
                self._db.execute("COMMIT")
        return None if len(changed) > limit else (now, changed)

    def _holds(self, mark: ChangeMark) -> bool:
        """Whether this catalog's history holds ``mark``: the same partition at each of its ids."""
        for table, at, of in (("materializations", mark.attempt, mark.attempt_of),
                              ("observations", mark.observation, mark.observation_of)):
            row = self._db.execute(f"SELECT asset, partition FROM {table} WHERE id = ?", (at,)).fetchone()
            if (row is None and at != 0) or (row is not None and (row[0], row[1]) != of):
                return False
        return True

    # -- observations and dynamic partitions ---------------------------------------------

    def record_observations(self, versions: Iterable[tuple[str, str, str]], now: str) -> None:
        """(asset, partition, version) as observed now; history is kept."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO observations (asset, partition, version, observed_at) VALUES (?, ?, ?, ?)",
                [(asset, key, version, now) for asset, key, version in versions],
            )

    def dynamic_keys(self) -> dict[str, list[str]]:
        with self._lock:
            return self._dynamic_keys()

    def _dynamic_keys(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, key in self._db.execute("SELECT name, key FROM dynamic_partitions ORDER BY name, position"):
            found.setdefault(name, []).append(key)
        return found

    def add_dynamic_keys(self, name: str, keys: Iterable[str], now: str) -> list[str]:
        """Adds the keys not there yet, after the existing ones; returns those added."""
        with self._transaction() as db:
            existing = {row[0] for row in db.execute("SELECT key FROM dynamic_partitions WHERE name = ?", (name,))}
            start = db.execute("SELECT coalesce(max(position), -1) + 1 FROM dynamic_partitions WHERE name = ?",
                               (name,)).fetchone()[0]
            added = [k for k in dict.fromkeys(keys) if k not in existing]
            db.executemany(
                "INSERT INTO dynamic_partitions (name, key, position, added_at) VALUES (?, ?, ?, ?)",
                [(name, key, start + i, now) for i, key in enumerate(added)],
            )
        return added

    def remove_dynamic_keys(self, name: str, keys: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(keys))
        with self._transaction() as db:
            present = {row[0] for row in db.execute("SELECT key FROM dynamic_partitions WHERE name = ?", (name,))}
            removed = [k for k in wanted if k in present]
            db.executemany("DELETE FROM dynamic_partitions WHERE name = ? AND key = ?", [(name, k) for k in removed])
        return removed

    # -- runs ----------------------------------------------------------------------------

    def start_run(self, run: Run) -> None:
        with self._transaction() as db:
            db.execute(
                """INSERT INTO runs (run_id, selection, partitions, trigger, reason,
                     reference_time, started_at, status, pid, host, counts, expires_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)""",
                (run.run_id, run.selection, run.partitions, run.trigger, run.reason,
                 run.reference_time, run.started_at, run.status, run.pid, run.host, run.expires_at),
            )

    def finish_run(self, run_id: str, status: str, ended_at: str, counts: Mapping[str, int]) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET status = ?, ended_at = ?, counts = ? WHERE run_id = ?",
                (status, ended_at, json.dumps(dict(counts)), run_id),
            )

    def mark_interrupted(self, is_alive: Callable[[Run], bool], now: str) -> list[str]:
        """Runs still 'running' whose process is gone are marked interrupted."""
        dead = [r.run_id for r in self.runs(status="running") if not is_alive(r)]
        with self._transaction() as db:
            db.executemany(
                "UPDATE runs SET status = 'interrupted', ended_at = ? WHERE run_id = ?",
                [(now, run_id) for run_id in dead],
            )
        return dead

    def runs(self, limit: int | None = None, status: str | None = None) -> list[Run]:
        query = "SELECT * FROM runs" + (" WHERE status = ?" if status else "")
        query += " ORDER BY started_at DESC, run_id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [self._run(row) for row in self._rows(query, (status,) if status else ())]

    def run(self, run_id: str) -> Run | None:
        rows = self._rows("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        return self._run(rows[0]) if rows else None

    def run_ids_like(self, prefix: str) -> list[str]:
        # Compared as text, not with LIKE: a '%' or '_' a person types is a character of an id.
        return [r["run_id"] for r in self._rows("SELECT run_id FROM runs WHERE substr(run_id, 1, length(?1)) = ?1", (prefix,))]

    @staticmethod
    def _run(row: sqlite3.Row) -> Run:
        data = dict(row)
        data["counts"] = stored_json(data["counts"] or "{}", "a run's counts")
        return Run(**data)

    def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._db.cursor()
            cursor.row_factory = sqlite3.Row
            return cursor.execute(query, params).fetchall()

    # -- leases --------------------------------------------------------------------------

    def _leases(self, run_id: str | None = None) -> list[Lease]:
        where, params = (" WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
        return [Lease(*row) for row in self._db.execute(f"SELECT {_LEASE_COLUMNS} FROM leases{where}", params)]

    def leases(self, run_id: str | None = None) -> list[Lease]:
        with self._lock:
            return self._leases(run_id)

    def acquire_leases(
        self,
        refs: Iterable[tuple[str, str]],
        run_id: str,
        pid: int,
        host: str,
        now: str,
        is_alive: Callable[[Lease], bool],
        expires_at: str | None = None,
    ) -> list[Lease]:
        """Take every lease in one transaction, or none: returns the live leases in the way.
        BEGIN IMMEDIATE holds the write lock from the first read, so the leases judged are
        the leases replaced, and a :meth:`fence` in progress finishes first."""
        wanted = list(dict.fromkeys(refs))
        with self._transaction() as db:
            held = {(l.asset, l.partition): l for l in self._leases()}
            conflicts = [held[r] for r in wanted if r in held and is_alive(held[r])]
            if conflicts:
                return conflicts
            db.executemany(
                """INSERT INTO lease_grants (asset, partition, generation, run_id, granted_at)
                   VALUES (?, ?, 1, ?, ?)
                   ON CONFLICT (asset, partition) DO UPDATE SET generation = lease_grants.generation + 1,
                     run_id = excluded.run_id, granted_at = excluded.granted_at""",
                [(asset, key, run_id, now) for asset, key in wanted],
            )
            db.executemany(
                """INSERT INTO leases (asset, partition, run_id, pid, host, acquired_at, expires_at, generation)
                   VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT generation FROM lease_grants WHERE asset = ? AND partition = ?))
                   ON CONFLICT (asset, partition) DO UPDATE SET run_id = excluded.run_id,
                     pid = excluded.pid, host = excluded.host, acquired_at = excluded.acquired_at,
                     expires_at = excluded.expires_at, generation = excluded.generation""",
                [(asset, key, run_id, pid, host, now, expires_at, asset, key) for asset, key in wanted],
            )
        return []

    def heartbeat(self, run_id: str, expires_at: str) -> int:
        with self._transaction() as db:
            db.execute("UPDATE runs SET expires_at = ? WHERE run_id = ?", (expires_at, run_id))
            return db.execute("UPDATE leases SET expires_at = ? WHERE run_id = ?", (expires_at, run_id)).rowcount

    def fence(self, lease: Lease, switch: Callable[[], T]) -> T:
        """BEGIN IMMEDIATE: no other connection writes (takes over) until the switch is done."""
        with self._transaction() as db:
            lost = self._lost(db, lease)
            if lost is not None:
                raise lost
            return switch()

    def fence_all(self, leases: Sequence[Lease], switch: Callable[[], T]) -> T:
        """As :meth:`fence`, every lease checked in the one transaction that holds the switch."""
        if not leases:
            return switch()
        with self._transaction() as db:
            lost = [refused for lease in leases if (refused := self._lost(db, lease)) is not None]
            if lost:
                raise LeasesLost(lost)
            return switch()

    @staticmethod
    def _lost(db: Any, lease: Lease) -> LeaseLost | None:
        """Why ``lease`` is no longer its partition's, or None while it is."""
        row = db.execute(f"SELECT {_LEASE_COLUMNS} FROM leases WHERE asset = ? AND partition = ?",
                         (lease.asset, lease.partition)).fetchone()
        current = Lease(*row) if row is not None else None
        if current is not None and (current.run_id, current.generation) == (lease.run_id, lease.generation):
            return None
        grant = db.execute("SELECT run_id, granted_at FROM lease_grants WHERE asset = ? AND partition = ?",
                           (lease.asset, lease.partition)).fetchone()
        return LeaseLost(lease, current, *(grant or (None, None)))

    def release_leases(self, run_id: str, refs: Iterable[tuple[str, str]] | None = None) -> None:
        with self._transaction() as db:
            if refs is None:
                db.execute("DELETE FROM leases WHERE run_id = ?", (run_id,))
            else:
                db.executemany("DELETE FROM leases WHERE asset = ? AND partition = ? AND run_id = ?",
                               [(asset, key, run_id) for asset, key in refs])

    # -- materializations ----------------------------------------------------------------

    def record(self, attempts: Sequence[Materialization], before_commit: Callable[[], None] = lambda: None) -> None:
        """Write a batch of attempts, update partition states, release their leases: one transaction."""
        if not attempts:
            return
        with self._transaction() as db:
            for m in attempts:
                schema_id = self._schema_id(db, m.columns) if m.columns is not None else None
                cursor = db.execute(
                    """INSERT INTO materializations (run_id, asset, partition, status, cause,
                         started_at, ended_at, rows, bytes, code_version, data_version, inputs,
                         error, location, timings, attempt, failure, checks_version, note, schema_id,
                         data_time)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (m.run_id, m.asset, m.partition, m.status, m.cause, m.started_at, m.ended_at,
                     m.rows, m.bytes, m.code_version, m.data_version, _json(m.inputs),
                     m.error, m.location, _json(m.timings), m.attempt, m.failure, m.checks_version, m.note,
                     schema_id, m.data_time),
                )
                if m.status == "published":
                    db.execute(_LEDGER_PUBLISH, (m.asset, m.partition, m.due_at, m.ended_at, m.ended_at, m.data_time, m.rows))
                attempt_id = cursor.lastrowid
                if schema_id is not None:
                    db.execute(
                        """INSERT INTO asset_schemas (asset, schema_id, first_materialization,
                             last_materialization, attempts) VALUES (?, ?, ?, ?, 1)
                           ON CONFLICT (asset, schema_id) DO UPDATE SET
                             last_materialization = excluded.last_materialization,
                             attempts = asset_schemas.attempts + 1""",
                        (m.asset, schema_id, attempt_id, attempt_id),
                    )
                db.executemany(
                    """INSERT INTO check_results (materialization_id, run_id, asset, partition,
                         check_name, severity, passed, observed, message, duration, sample)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    [(attempt_id, m.run_id, m.asset, m.partition, c.check, c.severity, int(c.passed),
                      json.dumps(c.observed, default=str), c.message, c.duration,
                      None if c.sample is None else json.dumps(c.sample, default=str)) for c in m.checks],
                )
                if m.logs is not None:
                    self._write_logs(db, m, attempt_id)
                if self._granted_to_another(db, m):
                    continue  # its lease was taken over: the run that took it owns the partition
                self._update_state(db, m, attempt_id)
                if m.status != "retried":  # a retried attempt is not the last: the run still writes the partition
                    db.execute(
                        "DELETE FROM leases WHERE asset = ? AND partition = ? AND run_id = ?",
                        (m.asset, m.partition, m.run_id),
                    )
            before_commit()

    @staticmethod
    def _granted_to_another(db: sqlite3.Connection, m: Materialization) -> bool:
        row = db.execute("SELECT run_id FROM lease_grants WHERE asset = ? AND partition = ?",
                         (m.asset, m.partition)).fetchone()
        return row is not None and row[0] != m.run_id

    @staticmethod
    def _write_logs(db: sqlite3.Connection, m: Materialization, attempt_id: int | None) -> None:
        logs = m.logs
        assert logs is not None
        records = json.dumps([[r.level, r.time, r.message] for r in logs.records]) if logs.records else None
        db.execute(
            """INSERT INTO attempt_logs (materialization_id, run_id, asset, partition, records, stdout,
                 stderr, traceback) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (attempt_id, m.run_id, m.asset, m.partition, records, logs.stdout or None, logs.stderr or None,
             logs.traceback or None),
        )

    def _schema_id(self, db: sqlite3.Connection, columns: tuple[ColumnRecord, ...]) -> str:
        schema_id, text = _schema_text(columns)
        db.execute("INSERT INTO schemas (id, columns) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", (schema_id, text))
        return schema_id

    @staticmethod
    def _update_state(db: sqlite3.Connection, m: Materialization, attempt_id: int | None) -> None:
        if m.status in ("skipped", "retried", "audited"):
            return
        if m.status == "retired":  # no longer a partition: its state goes, the attempt is the history
            db.execute("DELETE FROM partitions WHERE asset = ? AND partition = ?", (m.asset, m.partition))
            return
        last = (m.status, m.run_id, m.error, m.ended_at, attempt_id, m.code_version, m.checks_version,
                _json(m.inputs), m.failure)
        if m.status == "published":
            db.execute(
                """INSERT INTO partitions (asset, partition, data_version, code_version, inputs,
                     rows, bytes, published_at, published_run, last_status, last_run, last_error,
                     last_attempt_at, last_materialization, last_code_version, last_checks_version,
                     last_inputs, last_failure)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (asset, partition) DO UPDATE SET
                     data_version = excluded.data_version, code_version = excluded.code_version,
                     inputs = excluded.inputs, rows = excluded.rows, bytes = excluded.bytes,
                     published_at = excluded.published_at, published_run = excluded.published_run,
                     published_grain = NULL,
                     """ + _LAST_COLUMNS_UPDATE,
                (m.asset, m.partition, m.data_version, m.code_version, _json(m.inputs),
                 m.rows, m.bytes, m.ended_at, m.run_id, *last),
            )
        else:
            # A failed attempt keeps the previous published version readable and recorded.
            db.execute(
                """INSERT INTO partitions (asset, partition, last_status, last_run, last_error,
                     last_attempt_at, last_materialization, last_code_version, last_checks_version,
                     last_inputs, last_failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (asset, partition) DO UPDATE SET """ + _LAST_COLUMNS_UPDATE,
                (m.asset, m.partition, *last),
            )

    def materializations(
        self, run_id: str | None = None, asset: str | None = None, partition: str | None = None,
        limit: int | None = None,
    ) -> list[Materialization]:
        clauses, params = [], []
        for column, value in (("run_id", run_id), ("asset", asset), ("partition", partition)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        query = f"SELECT * FROM materializations{where} ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return self._attempts(query, tuple(params))

    def attempt_logs(self, run_id: str, asset: str | None = None, partition: str | None = None) -> list[Materialization]:
        clauses, params = ["l.run_id = ?"], [run_id]
        for column, value in (("asset", asset), ("partition", partition)):
            if value is not None:
                clauses.append(f"l.{column} = ?")
                params.append(value)
        rows = self._rows(
            f"""SELECT l.materialization_id, l.records, l.stdout, l.stderr, l.traceback FROM attempt_logs l
                WHERE {' AND '.join(clauses)} ORDER BY l.materialization_id""",
            tuple(params),
        )
        logs = {row[0]: AttemptLogs(
            records=tuple(LogRecord(level=level, time=at, message=message)
                          for level, at, message in (stored_json(row[1], "an attempt's log records") if row[1] else [])),
            stdout=row[2], stderr=row[3], traceback=row[4]) for row in rows}
        found: list[Materialization] = []
        ids = list(logs)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            attempts = self._attempts(
                f"SELECT * FROM materializations WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id", tuple(chunk))
            found.extend(a.model_copy(update={"logs": logs[i]}) for i, a in zip(chunk, attempts))
        return found

    def quarantined(self) -> list[Materialization]:
        """The attempts that hold partitions in quarantine now (their last attempt), oldest first."""
        return self._attempts(
            """SELECT m.* FROM partitions p JOIN materializations m ON m.id = p.last_materialization
               WHERE p.last_status = 'quarantined' ORDER BY m.id"""
        )

    def _attempts(self, query: str, params: tuple[Any, ...] = ()) -> list[Materialization]:
        rows = self._rows(query, params)
        checks = self._checks_for([r["id"] for r in rows])
        schemas = self._schemas({r["schema_id"] for r in rows if r["schema_id"] is not None})
        result = []
        for row in rows:
            data = dict(row)
            attempt_id = data.pop("id")
            schema_id = data.pop("schema_id")
            for column in ("inputs", "timings"):
                data[column] = stored_json(data[column], f"an attempt's {column}") if data[column] else None
            result.append(Materialization(**data, checks=tuple(checks.get(attempt_id, ())),
                                          columns=schemas.get(schema_id) if schema_id else None))
        return result

    def _schemas(self, ids: set[str]) -> dict[str, tuple[ColumnRecord, ...]]:
        found: dict[str, tuple[ColumnRecord, ...]] = {}
        wanted = sorted(ids)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for schema_id, text in self._rows(f"SELECT id, columns FROM schemas WHERE id IN ({marks})", tuple(chunk)):
                found[schema_id] = _columns(text)
        return found

    def latest_schemas(self, assets: Iterable[str] | None = None) -> dict[str, tuple[ColumnRecord, ...]]:
        rows = self._rows(
            """SELECT a.asset, s.columns FROM asset_schemas a JOIN schemas s ON s.id = a.schema_id
               WHERE a.last_materialization = (SELECT max(last_materialization) FROM asset_schemas
                                               WHERE asset = a.asset)"""
        )
        wanted = None if assets is None else set(assets)
        return {asset: _columns(text) for asset, text in rows if wanted is None or asset in wanted}

    def schema_history(self, asset: str) -> list[SchemaVersion]:
        return [
            SchemaVersion(columns=_columns(text), run_id=run_id, partition=partition, published_at=ended_at,
                          attempts=attempts)
            for text, run_id, partition, ended_at, attempts in self._rows(
                """SELECT s.columns, m.run_id, m.partition, m.ended_at, a.attempts
                   FROM asset_schemas a JOIN schemas s ON s.id = a.schema_id
                   JOIN materializations m ON m.id = a.first_materialization
                   WHERE a.asset = ? ORDER BY a.first_materialization""",
                (asset,),
            )
        ]

    def published_schemas(self, versions: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], tuple[ColumnRecord, ...]]:
        by_asset: dict[str, set[tuple[str, str, str]]] = {}
        for triple in versions:
            by_asset.setdefault(triple[0], set()).add(triple)
        ids: dict[tuple[str, str, str], str] = {}
        few: list[tuple[str, str, str]] = []
        for asset, wanted in by_asset.items():
            if len(wanted) < _SCAN_ASSET_FROM:
                few.extend(wanted)
                continue
            # Many versions of one asset (a plan rebuilding most of what reads it): one pass over
            # its published attempts, oldest first so the newest of a version is kept.
            for partition, version, schema_id in self._rows(
                """SELECT partition, data_version, schema_id FROM materializations
                   WHERE asset = ? AND status = 'published' AND schema_id IS NOT NULL ORDER BY id""",
                (asset,),
            ):
                if (asset, partition, version) in wanted:
                    ids[(asset, partition, version)] = schema_id
        few.sort()
        for start in range(0, len(few), 300):
            chunk = few[start:start + 300]
            rows = ",".join("(?, ?, ?)" for _ in chunk)
            # From the wanted triples into the (asset, partition) index; in attempt order, so
            # the newest published attempt of a version is the one kept.
            for asset, partition, version, schema_id in self._rows(
                f"""WITH wanted (asset, partition, data_version) AS (VALUES {rows})
                    SELECT m.asset, m.partition, m.data_version, m.schema_id
                    FROM wanted w CROSS JOIN materializations m
                    WHERE m.asset = w.asset AND m.partition = w.partition AND m.data_version = w.data_version
                      AND m.status = 'published' AND m.schema_id IS NOT NULL
                    ORDER BY m.id""",
                tuple(value for triple in chunk for value in triple),
            ):
                ids[(asset, partition, version)] = schema_id
        schemas = self._schemas(set(ids.values()))
        return {triple: schemas[schema_id] for triple, schema_id in ids.items()}

    def _checks_for(self, ids: list[int]) -> dict[int, list[CheckRecord]]:
        found: dict[int, list[CheckRecord]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._rows(
                f"""SELECT materialization_id, check_name, severity, passed, observed, message,
                      duration, sample FROM check_results WHERE materialization_id IN ({marks}) ORDER BY id""",
                tuple(chunk),
            ):
                found.setdefault(row[0], []).append(
                    CheckRecord(check=row[1], severity=row[2], passed=bool(row[3]),
                                observed=stored_json(row[4], "a check's observed value") if row[4] else None,
                                message=row[5] or "", duration=row[6] or 0.0,
                                sample=stored_json(row[7], "a check's sample") if row[7] else None)
                )
        return found

    def published_versions(self, asset: str, keys: Iterable[str] | None = None) -> dict[str, PublishedVersion]:
        """The partitions' rows, by their primary key (asset, partition)."""
        query = """SELECT partition, data_version, published_run, published_at, inputs FROM partitions
                   WHERE asset = ? AND data_version IS NOT NULL"""
        found: dict[str, PublishedVersion] = {}
        for key, version, run_id, at, inputs in self._in_chunks(query, asset, keys):
            found[key] = PublishedVersion(asset, key, version, run_id, at, stored_json(inputs, "a partition's inputs") if inputs else None)
        return found

    def publish_history(self, asset: str, keys: Iterable[str]) -> dict[str, list[PublishedVersion]]:
        """The published attempts, found by materializations_by_partition (asset, partition)."""
        query = """SELECT partition, data_version, run_id, ended_at, inputs, id FROM materializations
                   WHERE asset = ? AND status = 'published'"""
        rows = sorted(self._in_chunks(query, asset, keys), key=lambda row: row[5])
        found: dict[str, list[PublishedVersion]] = {}
        for key, version, run_id, at, inputs, _ in rows:
            found.setdefault(key, []).append(
                PublishedVersion(asset, key, version, run_id, at, stored_json(inputs, "a partition's inputs") if inputs else None)
            )
        return found

    def _in_chunks(self, query: str, asset: str, keys: Iterable[str] | None) -> list[tuple[Any, ...]]:
        """``query`` (its first parameter the asset) for ``keys``, ``AND partition IN`` a few
        hundred bound keys at a time (SQLite caps the parameters of one statement); for every
        partition when ``keys`` is None."""
        with self._lock:
            if keys is None:
                return self._db.execute(query, (asset,)).fetchall()
            wanted = list(dict.fromkeys(keys))
            rows: list[tuple[Any, ...]] = []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                rows.extend(self._db.execute(
                    f"{query} AND partition IN ({','.join('?' * len(chunk))})", (asset, *chunk)
                ).fetchall())
            return rows

    def warned_partitions(self, assets: Iterable[str] | None = None) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._lock:
            for names, where in self._asset_filters(assets, "c.asset"):
                found.update(self._db.execute(
                    # one pass over the failed warn results, each joined to its partition by the primary key
                    f"""SELECT p.asset, count(DISTINCT p.partition) FROM check_results c
                       JOIN partitions p ON p.asset = c.asset AND p.partition = c.partition AND p.published_run = c.run_id
                       WHERE {where} c.severity = 'warn' AND c.passed = 0
                         AND p.data_version IS NOT NULL
                       GROUP BY p.asset""", names,
                ).fetchall())
        return found

    def published_summary(self, assets: Iterable[str] | None = None) -> dict[str, tuple[int, str | None]]:
        """Per asset: how many partitions are published, and the newest publish time."""
        found: dict[str, tuple[int, str | None]] = {}
        with self._lock:
            for names, where in self._asset_filters(assets):
                for asset, count, last in self._db.execute(
                    f"SELECT asset, count(data_version), max(published_at) FROM partitions WHERE {where} TRUE GROUP BY asset", names
                ):
                    found[asset] = (count, last)
        return found

    # -- freshness -----------------------------------------------------------------------

    def freshness_ledger(self, assets: Iterable[str]) -> dict[str, dict[str, LedgerEntry]]:
        found: dict[str, dict[str, LedgerEntry]] = {}
        with self._lock:
            for asset in dict.fromkeys(assets):
                rows = self._db.execute(
                    f"SELECT {_LEDGER_COLUMNS} FROM freshness_ledger WHERE asset = ?", (asset,)).fetchall()
                if rows:
                    found[asset] = {row[0]: LedgerEntry(*row) for row in rows}
        return found

    def ledger_outline(
        self, requests: Mapping[str, tuple[str, str, Sequence[str]]], late_rows: bool = True
    ) -> dict[str, tuple[int, int, dict[str, LedgerEntry]]]:
        """Three statements whatever the number of assets: the counts (each a range of the
        primary key, counted in the index; the late ones in the partial index), the exceptions
        (the partial index), the keys asked for."""
        counts: dict[str, int] = {}
        late: dict[str, int] = {}
        rows: dict[str, dict[str, LedgerEntry]] = {asset: {} for asset in requests}
        ranges = [(asset, first, last) for asset, (first, last, _) in requests.items()]
        pairs = [(asset, key) for asset, (_, _, keys) in requests.items() for key in dict.fromkeys(keys)]
        exceptions = LEDGER_EXCEPTION if late_rows else f"({LEDGER_EXCEPTION}) AND NOT ({LEDGER_LATE})"
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for start in range(0, len(ranges), 300):
                    chunk = ranges[start:start + 300]
                    values = ",".join("(?, ?, ?)" for _ in chunk)
                    counts.update(self._db.execute(
                        f"""WITH wanted (asset, lo, hi) AS (VALUES {values})
                            SELECT w.asset, (SELECT count(*) FROM freshness_ledger l
                                             WHERE l.asset = w.asset AND l.partition BETWEEN w.lo AND w.hi)
                            FROM wanted w""", tuple(v for r in chunk for v in r)).fetchall())
                # the late rows' keys through the partial index (its condition, then theirs)
                for asset, key in self._db.execute(
                        f"SELECT asset, partition FROM freshness_ledger WHERE ({LEDGER_EXCEPTION}) AND {LEDGER_LATE}"):
                    if asset in requests and requests[asset][0] <= key <= requests[asset][1]:
                        late[asset] = late.get(asset, 0) + 1
                for asset, *row in self._db.execute(
                        f"SELECT asset, {_LEDGER_COLUMNS} FROM freshness_ledger WHERE {exceptions}"):
                    if asset in rows:
                        rows[asset][row[0]] = LedgerEntry(*row)
                for start in range(0, len(pairs), 300):
                    chunk_pairs = pairs[start:start + 300]
                    values = ",".join("(?, ?)" for _ in chunk_pairs)
                    for asset, *row in self._db.execute(
                            f"""WITH wanted (asset, partition) AS (VALUES {values})
                                SELECT l.asset, {", ".join("l." + c for c in _LEDGER_COLUMNS.split(", "))}
                                FROM wanted w CROSS JOIN freshness_ledger l
                                WHERE l.asset = w.asset AND l.partition = w.partition""",
                            tuple(v for p in chunk_pairs for v in p)):
                        rows[asset][row[0]] = LedgerEntry(*row)
            finally:
                self._db.execute("COMMIT")
        return {asset: (counts.get(asset, 0), late.get(asset, 0), rows[asset]) for asset in requests}

    def record_due(self, due: Iterable[tuple[str, str, str]]) -> None:
        rows = list(due)
        if not rows:
            return
        with self._transaction() as db:
            db.executemany(
                """INSERT INTO freshness_ledger (asset, partition, due_at) VALUES (?, ?, ?)
                   ON CONFLICT (asset, partition) DO UPDATE SET due_at = excluded.due_at
                   WHERE freshness_ledger.due_at IS NULL""",
                rows,
            )

    def ledger_history(self, assets: Iterable[str], since: str) -> dict[str, list[LedgerEntry]]:
        found: dict[str, list[LedgerEntry]] = {}
        with self._lock:
            for asset in dict.fromkeys(assets):
                rows = self._db.execute(
                    """SELECT partition, due_at, met_at FROM freshness_ledger WHERE asset = ? AND due_at >= ?
                       ORDER BY due_at, partition""", (asset, since)).fetchall()
                if rows:
                    found[asset] = [LedgerEntry(*row) for row in rows]
        return found

    def alert_states(self) -> dict[str, str]:
        return {asset: state for asset, state in self._rows("SELECT asset, state FROM freshness_alerts")}

    def claim_alert(self, asset: str, previous: str | None, state: str, now: str) -> bool:
        with self._transaction() as db:
            if previous is None:
                cursor = db.execute(
                    "INSERT INTO freshness_alerts (asset, state, changed_at) VALUES (?, ?, ?) ON CONFLICT (asset) DO NOTHING",
                    (asset, state, now))
            else:
                cursor = db.execute(
                    "UPDATE freshness_alerts SET state = ?, changed_at = ? WHERE asset = ? AND state = ?",
                    (state, now, asset, previous))
            return cursor.rowcount == 1

    def observation_times(self, assets: Iterable[str]) -> dict[str, dict[str, tuple[str, str]]]:
        found: dict[str, dict[str, tuple[str, str]]] = {}
        with self._lock:
            for asset in dict.fromkeys(assets):
                for key, version, at in self._db.execute(
                    """SELECT partition, version, observed_at FROM observations WHERE id IN
                         (SELECT max(id) FROM observations WHERE asset = ? GROUP BY partition)""", (asset,)):
                    found.setdefault(asset, {})[key] = (version, at)
        return found
