"""A psycopg connection pool that reads like the ``sqlite3.Connection`` of the SQLite catalog.

:class:`assets_core.catalog.postgres.PostgresCatalog` reuses the SQL methods of
:class:`~assets_core.catalog.sqlite.SqliteCatalog` unchanged: they call ``execute``,
``executemany`` and ``cursor`` on ``self._db``, with ``?`` (or ``?1``, ``:name``) placeholders,
read ``cursor.lastrowid``, and read rows by index and by name. :class:`PooledConnection` is
that object over a ``psycopg_pool.ConnectionPool``:

- the placeholders become psycopg's (:func:`translate`), a literal ``%`` is doubled;
- ``BEGIN IMMEDIATE`` (SQLite's one writer at a time) takes a connection from the pool for
  the thread and a transaction-scoped advisory lock (``pg_advisory_xact_lock``) on the
  catalog, so writers are serialized across processes and machines exactly as SQLite
  serializes them (a method that reads then writes, such as taking leases, stays correct);
  ``BEGIN`` is a ``REPEATABLE READ`` transaction (one consistent snapshot, as SQLite's read
  transaction); ``COMMIT``/``ROLLBACK`` end it and give the connection back;
- in a write transaction, statements are queued (psycopg's pipeline mode) and a result is
  waited for only when it is read (``fetchall``, ``rowcount``, ``lastrowid``), or at the
  commit, which fails, and rolls everything back, if any queued statement failed: a batch of
  records costs a round trip per record, not one per statement;
- a statement outside a transaction runs on a pooled connection in autocommit;
- ``INSERT INTO`` a table with an identity column (``INTEGER PRIMARY KEY`` in the migration
  files) gives ``lastrowid``: in a write transaction, a one-row insert is given an id the
  transaction took from the table's sequence (256 at a time, under the writers' lock, so
  ids grow in commit order as SQLite's do) and stays queued; else it returns its id; ``numeric`` results (``sum`` of
  integers) are ints or floats, and a bool parameter is 0 or 1, as in SQLite.

Results are fetched whole before the connection goes back to the pool: catalog queries read
all their rows anyway.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar

import psycopg
from psycopg.adapt import Loader
from psycopg.rows import RowMaker
from psycopg.types.numeric import Int8Dumper
from psycopg_pool import ConnectionPool, PoolTimeout

from assets_core.catalog.errors import CatalogError


class Row(tuple[Any, ...]):
    """A result row, readable by index and by column name, like ``sqlite3.Row`` (``dict(row)``)."""

    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@lru_cache(maxsize=512)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"_index": {name: i for i, name in enumerate(names)}, "__slots__": ()})


def _row_maker(cursor: psycopg.Cursor[Any]) -> RowMaker[Row]:
    names = tuple(column.name for column in cursor.description or ())
    cls = _row_class(names)
    return lambda values: cls(values)


class _NumericLoader(Loader):
    """``numeric`` as SQLite gives it: an int when whole (``sum`` of integers), else a float."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|::|\?(\d*)|(?<![:\w]):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=1024)
def translate(query: str) -> tuple[str, tuple[int, ...] | None]:
    """SQLite's placeholders as psycopg's, and the order to pass the parameters in.

    ``?`` becomes ``%s``; ``?N`` (SQLite's numbered parameter, which may repeat) becomes ``%s``
    with the N-th parameter passed at each use; ``:name`` becomes ``%(name)s``; a ``%`` is
    doubled. Text in quotes, comments and ``::`` casts are left alone (a ``%`` in quotes is
    doubled too: psycopg reads every ``%``).

        >>> translate("SELECT x FROM t WHERE a = ? AND b LIKE 'a%' AND c = ?")
        ("SELECT x FROM t WHERE a = %s AND b LIKE 'a%%' AND c = %s", None)
        >>> translate("SELECT ?1 WHERE x = ?1 OR y = ?2")
        ('SELECT %s WHERE x = %s OR y = %s', (0, 0, 1))
    """
    order: list[int] = []
    numbered = False
    parts: list[str] = []
    last = 0
    for match in _TOKEN.finditer(query):
        token = match.group(0)
        parts.append(query[last:match.start()])
        last = match.end()
        if token.startswith("?"):
            if match.group(1):
                numbered = True
                order.append(int(match.group(1)) - 1)
            else:
                order.append(max(order, default=-1) + 1)
            parts.append("%s")
        elif match.group(2):
            parts.append(f"%({match.group(2)})s")
        else:
            parts.append(token.replace("%", "%%"))
    parts.append(query[last:])
    return "".join(parts), tuple(order) if numbered else None


def _params(params: Any, order: tuple[int, ...] | None) -> Any:
    if order is None or isinstance(params, Mapping):
        return params
    return [params[i] for i in order]


_INSERT_INTO = re.compile(r"\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_ONE_ROW_INSERT = re.compile(r"(\s*INSERT\s+INTO\s+(\w+)\s*\()([^()]*)(\)\s*VALUES\s*\()([^()]*)(\)\s*)", re.IGNORECASE)
_IDS_AT_ONCE = 256


def _numbered_insert(text: str, identity: str, params: Any) -> tuple[str, str, list[Any]] | None:
    """``INSERT INTO t (a, b) VALUES (%s, %s)`` as ``INSERT INTO t (id, a, b) VALUES (%s, %s, %s)``
    (the table, the statement, its parameters but the id), when it is one row of plain
    placeholders and names no id itself; else None."""
    match = _ONE_ROW_INSERT.fullmatch(text)
    if match is None or isinstance(params, Mapping):
        return None
    head, table, columns, middle, values, tail = match.groups()
    names = [c.strip().lower() for c in columns.split(",")]
    if identity in names or values.count("%s") != len(params or ()):
        return None
    return table.lower(), f"{head}{identity}, {columns}{middle}%s, {values}{tail}", list(params or ())


class Syncs:
    """A write transaction's pipeline and how many times it was synced: a result queued before
    the last sync has arrived, and needs no round trip of its own."""

    def __init__(self, pipeline: psycopg.Pipeline) -> None:
        self.pipeline = pipeline
        self.count = 0

    def sync(self) -> None:
        self.pipeline.sync()
        self.count += 1


class Result:
    """A statement's rows, fetched whole, read as a ``sqlite3.Cursor`` is.

    In a write transaction the statement is only queued (psycopg's pipeline mode): its rows,
    ``rowcount`` and ``lastrowid`` are waited for when first read, so the statements whose
    results nobody reads travel to the server together, in one round trip."""

    def __init__(self, rows: list[Row], rowcount: int, lastrowid: int | None,
                 pending: tuple[psycopg.Cursor[Any], Syncs, int, str | None] | None = None) -> None:
        self._rows = rows
        self._next = 0
        self._rowcount = rowcount
        self._lastrowid = lastrowid
        self._pending = pending
        self.row_factory: Any = None  # set by callers of sqlite3; rows are readable by name anyway

    def load(self) -> None:
        """Wait for a queued statement's result (raising its error, if it failed)."""
        if self._pending is None:
            return
        cursor, syncs, queued_at, identity = self._pending
        self._pending = None
        if syncs.count == queued_at:
            syncs.sync()
        rows: list[Row] = cursor.fetchall() if cursor.description else []
        self._rowcount = cursor.rowcount
        if identity is not None:
            self._lastrowid = rows[0][0] if rows else None
        self._rows = [] if identity is not None else rows
        cursor.close()

    @property
    def rowcount(self) -> int:
        self.load()
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        if self._lastrowid is None:  # else known before the statement ran (an id given to it)
            self.load()
        return self._lastrowid

    def fetchall(self) -> list[Row]:
        self.load()
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    def fetchone(self) -> Row | None:
        self.load()
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class _Cursor(Result):
    """What ``connection.cursor()`` gives: ``execute`` on the connection, rows by name."""

    def __init__(self, connection: PooledConnection) -> None:
        super().__init__([], -1, None)
        self._connection = connection

    def execute(self, query: str, params: Any = ()) -> Result:
        return self._connection.execute(query, params)


def _close_pipeline(exit_stack: ExitStack, pending: list[Result], wait: bool) -> None:
    """End a write transaction's pipeline; ``wait``: for every queued result first (a commit)."""
    try:
        if wait and pending:
            pending[-1].load()  # one round trip for all of them
            for result in pending:
                result.load()
    finally:
        try:
            exit_stack.close()
        except psycopg.Error:
            if wait:
                raise


def _quietly(connection: psycopg.Connection[Any], statement: str) -> None:
    try:
        connection.execute(statement)
    except psycopg.Error:
        pass


class PooledConnection:
    """The pool behind the ``sqlite3.Connection`` interface the SQLite catalog's methods use.

    ``lock_key`` names the catalog's advisory lock (the writers' lock); ``identities`` maps a
    table to its identity column, for ``lastrowid`` (set once the migrations are applied)."""

    def __init__(self, pool: ConnectionPool[Any], lock_key: int, where: str = "the server") -> None:
        self.pool = pool
        self.lock_key = lock_key
        self.where = where
        self.identities: dict[str, str] = {}
        self._local = threading.local()

    @staticmethod
    def configure(connection: psycopg.Connection[Any]) -> None:
        """Each pooled connection: autocommit (transactions are explicit), rows by name too."""
        connection.autocommit = True
        connection.row_factory = _row_maker
        connection.adapters.register_loader("numeric", _NumericLoader)
        # SQLite stores a Python bool as 0 or 1, in INTEGER columns (check_results.passed): so here.
        connection.adapters.register_dumper(bool, Int8Dumper)

    # -- transactions --------------------------------------------------------------------

    def _held(self) -> psycopg.Connection[Any] | None:
        held: psycopg.Connection[Any] | None = getattr(self._local, "connection", None)
        return held

    def _begin(self, immediate: bool) -> None:
        if self._held() is not None:
            raise psycopg.ProgrammingError("cannot start a transaction within a transaction")
        connection = self.pool.getconn()
        try:
            if immediate:
                connection.execute("BEGIN")
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key,))
            else:
                connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        except BaseException:
            self.pool.putconn(connection)
            raise
        self._local.connection = connection
        self._local.pending = []
        self._local.ids = {}
        self._local.pipeline = None
        if immediate and psycopg.Pipeline.is_supported():
            self._local.exit = ExitStack()  # holds the pipeline's context open until the transaction ends
            self._local.pipeline = Syncs(self._local.exit.enter_context(connection.pipeline()))

    def _end(self, how: str) -> None:
        connection = self._held()
        if connection is None:
            return
        pipeline: Syncs | None = self._local.pipeline
        pending: list[Result] = self._local.pending
        exit_stack: ExitStack | None = getattr(self._local, "exit", None)
        self._local.connection = self._local.pipeline = self._local.exit = None
        self._local.pending = []
        try:
            if pipeline is not None and exit_stack is not None:
                _close_pipeline(exit_stack, pending, wait=how == "COMMIT")
            connection.execute(how)
        except psycopg.Error:
            if how == "COMMIT":
                # A queued statement failed, or the commit did: nothing of the transaction stays.
                _quietly(connection, "ROLLBACK")
                raise
            # A failed ROLLBACK (the server went away) would hide the error that caused it.
        finally:
            self.pool.putconn(connection)

    # -- statements ----------------------------------------------------------------------

    @contextmanager
    def _answering(self) -> Iterator[None]:
        """A server that went away (or a pool that cannot reach it) is one line, not a traceback."""
        try:
            yield
        except (psycopg.OperationalError, PoolTimeout) as exc:
            cause = " ".join(str(exc).split())[:160] or type(exc).__name__
            raise CatalogError(
                f"The PostgreSQL catalog at {self.where} stopped answering ({cause}): check that the server is up, "
                "then run the command again (an interrupted run resumes)."
            ) from exc

    def execute(self, query: str, params: Any = ()) -> Result:
        with self._answering():
            return self._execute(query, params)

    def _execute(self, query: str, params: Any = ()) -> Result:
        word = query.strip().upper()
        if word in ("BEGIN", "BEGIN DEFERRED", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"):
            self._begin(immediate=word != "BEGIN" and word != "BEGIN DEFERRED")
            return Result([], -1, None)
        if word in ("COMMIT", "END", "ROLLBACK"):
            self._end("ROLLBACK" if word == "ROLLBACK" else "COMMIT")
            return Result([], -1, None)
        text, order = translate(query)
        identity = self._identity(text)
        held = self._held()
        if identity is not None and held is not None and getattr(self._local, "pipeline", None) is not None:
            numbered = _numbered_insert(text, identity, _params(params, order))
            if numbered is not None:
                return self._insert_numbered(held, identity, *numbered)
        if identity is not None:
            text += f" RETURNING {identity}"
        if held is not None:
            return self._run(held, text, _params(params, order), identity)
        with self.pool.connection() as connection:
            return self._run(connection, text, _params(params, order), identity)

    def _identity(self, text: str) -> str | None:
        match = _INSERT_INTO.match(text)
        if match is None or " RETURNING " in text.upper():
            return None
        return self.identities.get(match.group(1).lower())

    def _run(self, connection: psycopg.Connection[Any], text: str, params: Any, identity: str | None) -> Result:
        pipeline: Syncs | None = getattr(self._local, "pipeline", None)
        if pipeline is not None and connection is self._held():
            queued = connection.cursor()
            queued.execute(text, params if params else None)
            return self._queued(Result([], -1, None, (queued, pipeline, pipeline.count, identity)))
        with connection.cursor() as cursor:
            cursor.execute(text, params if params else None)
            rows: list[Row] = cursor.fetchall() if cursor.description else []
            lastrowid = rows[0][0] if identity is not None and rows else None
            return Result([] if identity is not None else rows, cursor.rowcount, lastrowid)

    def executemany(self, query: str, seq_of_params: Sequence[Any] | Any) -> Result:
        with self._answering():
            return self._executemany(query, seq_of_params)

    def _executemany(self, query: str, seq_of_params: Sequence[Any] | Any) -> Result:
        text, order = translate(query)
        batch = [_params(params, order) for params in seq_of_params]
        if not batch:
            return Result([], 0, None)
        held = self._held()
        if held is not None:
            return self._many(held, text, batch)
        with self.pool.connection() as connection:
            return self._many(connection, text, batch)

    def _insert_numbered(self, connection: psycopg.Connection[Any], identity: str, table: str, text: str,
                         params: list[Any]) -> Result:
        """A one-row INSERT in a write transaction, its id given from ids the transaction took
        from the table's sequence: queued, with no round trip of its own for ``lastrowid``.
        The ids are taken under the writers' lock, so they grow in commit order, as SQLite's."""
        reserved: dict[str, list[int]] = self._local.ids
        free = reserved.setdefault(table, [])
        if not free:
            free.extend(row[0] for row in connection.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                (table, identity, _IDS_AT_ONCE)).fetchall())
            free.reverse()
        row_id = free.pop()
        result = self._run(connection, text, [row_id, *params], None)
        result._lastrowid = row_id
        return result

    def _queued(self, result: Result) -> Result:
        self._local.pending.append(result)
        return result

    def _many(self, connection: psycopg.Connection[Any], text: str, batch: list[Any]) -> Result:
        pipeline: Syncs | None = getattr(self._local, "pipeline", None)
        if pipeline is not None and connection is self._held():
            queued = connection.cursor()
            queued.executemany(text, batch)
            return self._queued(Result([], -1, None, (queued, pipeline, pipeline.count, None)))
        with connection.cursor() as cursor:
            cursor.executemany(text, batch)
            return Result([], cursor.rowcount, None)

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    def close(self) -> None:
        self.pool.close()
