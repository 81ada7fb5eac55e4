"""The catalog snapshot: every partition's state, as the planner reads it.

A plan checks a million partitions, so the catalog reads each column of an asset's partitions
as one text, its entries joined by :data:`SEPARATOR` in key order: SQLite joins them in C, and
reading makes a few thousand Python strings, not millions of objects. The planner compares
such a text whole against the text it expects (every partition published by the current code,
built from the versions it would read now) and splits a column into entries only when the
texts differ. A :class:`PartitionState` is built only for the keys something asks about.

    >>> column = Column(3, text="published\x01published\x01failed")
    >>> column.is_all("published"), column.values[2]
    (False, 'failed')
"""

from __future__ import annotations

import json
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any

from assets_core.catalog.errors import CatalogError, stored_json

SEPARATOR = "\x01"
"""Between the entries of a column's text. Keys are validated, versions are hashes or the
user's pinned text, inputs are JSON (which escapes control characters): none holds it raw."""
NULL = "\x02"
"""An entry that is NULL in the catalog."""
FIELD = "\x03"
"""Between the fields of one entry, in a column of several fields."""

Inputs = dict[str, dict[str, str]]
"""The versions a partition was built from: ``{upstream asset: {upstream key: data version}}``."""

_UNPARSED: Any = object()


def inputs_json(inputs: Inputs | None) -> str | None:
    """Inputs as the catalog stores them: JSON with sorted keys, so equal inputs are equal text."""
    return None if inputs is None else json.dumps(inputs, sort_keys=True)


class PartitionState:
    """The current state of one partition: its published version and its last attempt.

    ``inputs`` and ``last_inputs`` may be given as the catalog's JSON text (kept as
    ``inputs_text``), parsed on first use: most states are only looked at, and the planner
    compares the text itself. States read from the catalog are not to be changed in place
    (their :class:`AssetStates` columns would no longer match them): replace them.
    """

    __slots__ = (
        "data_version", "code_version", "_inputs", "inputs_text", "published_at", "rows", "last_status",
        "last_run", "last_error", "last_code_version", "last_checks_version", "_last_inputs",
        "last_inputs_text", "last_failure",
    )
    data_version: str | None
    code_version: str | None
    _inputs: Any  # Inputs, None or _UNPARSED
    inputs_text: str | None
    published_at: str | None
    rows: int | None
    last_status: str | None
    last_run: str | None
    last_error: str | None
    last_code_version: str | None
    last_checks_version: str | None
    _last_inputs: Any
    last_inputs_text: str | None
    last_failure: str | None
    _FIELDS = (
        "data_version", "code_version", "inputs", "published_at", "rows", "last_status", "last_run",
        "last_error", "last_code_version", "last_checks_version", "last_inputs", "last_failure",
    )

    def __init__(
        self,
        data_version: str | None = None,
        code_version: str | None = None,
        inputs: Inputs | str | None = None,
        published_at: str | None = None,
        rows: int | None = None,
        last_status: str | None = None,
        last_run: str | None = None,
        last_error: str | None = None,
        last_code_version: str | None = None,
        last_checks_version: str | None = None,
        last_inputs: Inputs | str | None = None,
        last_failure: str | None = None,
    ) -> None:
        self.data_version = data_version
        self.code_version = code_version
        self.published_at = published_at
        self.rows = rows
        self.last_status = last_status
        self.last_run = last_run
        self.last_error = last_error
        self.last_code_version = last_code_version
        self.last_checks_version = last_checks_version
        self.last_failure = last_failure
        # What the setters do, inline: states are built by the thousand.
        if isinstance(inputs, str):
            self._inputs, self.inputs_text = _UNPARSED, inputs
        else:
            self._inputs, self.inputs_text = inputs, None
        if isinstance(last_inputs, str):
            self._last_inputs, self.last_inputs_text = _UNPARSED, last_inputs
        else:
            self._last_inputs, self.last_inputs_text = last_inputs, None

    @property
    def inputs(self) -> Inputs | None:
        if self._inputs is _UNPARSED:
            self._inputs = stored_json(self.inputs_text or "null", "a partition's inputs")
        return self._inputs  # type: ignore[no-any-return]

    @inputs.setter
    def inputs(self, value: Inputs | str | None) -> None:
        if isinstance(value, str):
            self._inputs, self.inputs_text = _UNPARSED, value
        else:
            self._inputs, self.inputs_text = value, None

    @property
    def inputs_json(self) -> str | None:
        """The inputs as canonical JSON text (see :func:`inputs_json`)."""
        return self.inputs_text if self.inputs_text is not None else inputs_json(self._inputs)

    @property
    def last_inputs(self) -> Inputs | None:
        if self._last_inputs is _UNPARSED:
            text = self.last_inputs_text
            self._last_inputs = self.inputs if text == self.inputs_text else stored_json(text or "null", "a partition's inputs")
        return self._last_inputs  # type: ignore[no-any-return]

    @last_inputs.setter
    def last_inputs(self, value: Inputs | str | None) -> None:
        if isinstance(value, str):
            self._last_inputs, self.last_inputs_text = _UNPARSED, value
        else:
            self._last_inputs, self.last_inputs_text = value, None

    @property
    def is_published(self) -> bool:
        return self.data_version is not None

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionState) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self._FIELDS, self._values()))
        return f"PartitionState({fields})"


_NOT_KNOWN = -1


class Column:
    """The entries of one column, one per key: as one text, or as a list; each is made from
    the other on first use."""

    __slots__ = ("length", "_text", "_values", "_uniform", "_starts", "_width")

    def __init__(self, length: int, text: str | None = None, values: list[str | None] | None = None) -> None:
        self.length = length
        self._text = text
        self._values = values
        self._uniform: str | None = None  # every entry, once is_all found them all equal
        self._starts: array[int] | None = None  # the length of the entries before each one
        self._width: int | None = _NOT_KNOWN  # the length of every entry, when they all have one

    @classmethod
    def of(cls, values: list[str | None]) -> Column:
        return cls(len(values), values=values)

    @property
    def text(self) -> str:
        """The entries joined by :data:`SEPARATOR`, :data:`NULL` for a missing one."""
        if self._text is None:
            values = self._values or []
            self._text = SEPARATOR.join(NULL if v is None else v for v in values)
        return self._text

    @property
    def values(self) -> list[str | None]:
        if self._values is None:
            values: list[str | None] = self._split()  # type: ignore[assignment]
            if NULL in self.text:
                values = [None if v == NULL else v for v in values]
            self._values = values
        return self._values

    def _split(self) -> list[str]:
        entries = self.text.split(SEPARATOR) if self.length else []
        if len(entries) != self.length:
            raise CatalogError(
                "The catalog holds a control character in a partition's state (edited by hand?): "
                "restore the catalog file from a backup."
            )
        return entries

    def entry(self, i: int) -> str | None:
        """Entry ``i``, without splitting the whole text into entries that stay in memory."""
        if self._uniform is not None:
            return self._uniform
        if self._values is not None:
            return self._values[i]
        if self._width == _NOT_KNOWN:
            self._width = self._common_width()
        width = self._width
        if width is not None:
            value = self.text[i * (width + 1):i * (width + 1) + width]
        else:
            if self._starts is None:  # machine integers: a few bytes each, no object per entry
                self._starts = array("q", accumulate(map(len, self._split()), initial=0))
            starts = self._starts  # of entry i, not counting the i separators before it
            value = self.text[starts[i] + i:starts[i + 1] + i]
        return None if value == NULL else value

    def _common_width(self) -> int | None:
        """The length of every entry, when they all have one (hashed versions do)."""
        text, count = self.text, self.length
        width = text.find(SEPARATOR) if count > 1 else len(text)
        if width < 0 or len(text) != count * (width + 1) - 1:
            return None
        if text[width::width + 1] != SEPARATOR * (count - 1) or text.count(SEPARATOR) != count - 1:
            return None
        return width

    def is_all(self, value: str) -> bool:
        """Whether every entry is ``value``: one comparison of texts, no entry split out."""
        if self._uniform is not None:
            same = self._uniform == value
        elif self._values is not None:
            same = self._values.count(value) == self.length
        else:
            same = self.length == 0 or self.text == (value + SEPARATOR) * (self.length - 1) + value
        if same and self.length:
            self._uniform = value
        return same

    def is_complete(self) -> bool:
        """Whether no entry is missing."""
        return None not in self._values if self._values is not None else NULL not in self.text

    def take(self, positions: list[int | None]) -> Column:
        """The entries at ``positions``, in that order; None where a position is None."""
        values = self.values
        return Column.of([None if i is None else values[i] for i in positions])


@dataclass(frozen=True)
class StateColumns:
    """What the planner's bulk check reads of an asset's partitions: one entry per key, in order."""

    keys: list[str]
    last_status: Column
    code_version: Column
    data_version: Column
    inputs: Column
    """The inputs as the catalog's JSON text (see :func:`inputs_json`)."""

    @classmethod
    def of_states(cls, keys: list[str], states: list[PartitionState]) -> StateColumns:
        """The columns of ``states``, the states of ``keys`` (an in-memory snapshot's)."""
        return cls(
            keys, Column.of([s.last_status for s in states]), Column.of([s.code_version for s in states]),
            Column.of([s.data_version for s in states]), Column.of([s.inputs_json for s in states]),
        )

    def take(self, keys: list[str]) -> StateColumns:
        """These columns for ``keys`` instead, in that order (None for a key with no state)."""
        position = {key: i for i, key in enumerate(self.keys)}
        at = [position.get(key) for key in keys]
        return StateColumns(
            keys, self.last_status.take(at), self.code_version.take(at), self.data_version.take(at),
            self.inputs.take(at),
        )


class AssetStates(MutableMapping[str, PartitionState]):
    """The states of one asset's partitions as read from the catalog: a mapping of key to
    :class:`PartitionState` whose states are built from :attr:`columns` when asked for.

    ``others`` are the partitions whose last attempt is not their publish (a failure, a
    quarantine: few), read whole. For the rest, ``published`` holds each one's
    ``published_at``, ``rows``, ``last_run`` and ``last_checks_version``, joined by
    :data:`FIELD` (empty: NULL). Changing the mapping turns it into a plain one and drops the columns,
    which would no longer describe it.
    """

    def __init__(self, columns: StateColumns, published: Column, others: dict[str, PartitionState]) -> None:
        self._columns: StateColumns | None = columns
        self._published = published
        self._built = others
        self._position: dict[str, int] | None = None
        self._sorted: bool | None = None
        self._added: list[str] = []  # keys set since the read that the columns do not hold
        self._changed = False  # a state was set: the columns no longer describe the mapping

    @property
    def columns(self) -> StateColumns | None:
        """The columns of every partition, in key order; None once the mapping was changed."""
        return None if self._changed else self._columns

    def version(self, key: str) -> str | None:
        """The data version of ``key`` (None: not published), without building its state."""
        columns = self._columns  # once: a run's worker thread may drop them meanwhile
        if columns is None or key in self._built:
            state = self._built.get(key)
            return None if state is None else state.data_version
        i = self._index(key, columns)
        return None if i is None else columns.data_version.entry(i)

    def _index(self, key: str, columns: StateColumns) -> int | None:
        """Where ``key`` is in the columns. They come in key order, so a binary search finds
        it, and a miss means no state; only columns in another order need every key indexed."""
        keys = columns.keys
        i = bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            return i
        if self._sorted is None:
            self._sorted = keys == sorted(keys)
        if self._sorted:
            return None
        if self._position is None:
            self._position = {k: i for i, k in enumerate(keys)}
        return self._position.get(key)

    def __getitem__(self, key: str) -> PartitionState:
        state: PartitionState | None = self.get(key)
        if state is None:
            raise KeyError(key)
        return state

    def get(self, key: str, default: Any = None) -> Any:  # no KeyError raised and caught per missing key
        columns = self._columns  # first: once dropped, every state is built
        state = self._built.get(key)
        if state is None and columns is not None:
            i = self._index(key, columns)
            if i is not None:
                state = self._built.setdefault(key, self._build(i, columns))
        return default if state is None else state

    def _build(self, i: int, columns: StateColumns) -> PartitionState:
        code_version, inputs = columns.code_version.entry(i), columns.inputs.entry(i)
        published_at, rows, last_run, checks_version = (
            value or None for value in (self._published.entry(i) or "").split(FIELD)
        )
        return PartitionState(
            columns.data_version.entry(i), code_version, inputs, published_at,
            None if rows is None else int(rows), "published", last_run, None, code_version, checks_version,
            inputs, None,
        )

    def _as_plain(self) -> dict[str, PartitionState]:
        """Every state built, the columns dropped. Threads reading meanwhile still build from
        the columns they hold: states equal to those built here."""
        columns = self._columns
        if columns is not None:
            for i, key in enumerate(columns.keys):
                if key not in self._built:
                    self._built.setdefault(key, self._build(i, columns))
            self._columns = None
        return self._built

    def __setitem__(self, key: str, state: PartitionState) -> None:
        """The state of ``key`` replaced, or added: the other states are still built from the
        columns when asked for (a run's first publish into an asset of 200,000 partitions
        builds one state, not 200,000)."""
        columns = self._columns
        if columns is not None and key not in self._built and self._index(key, columns) is None:
            self._added.append(key)
        self._built[key] = state
        self._changed = True

    def __delitem__(self, key: str) -> None:
        self._changed = True
        del self._as_plain()[key]

    def __iter__(self) -> Iterator[str]:
        columns = self._columns
        if columns is None:
            return iter(self._built)
        return iter([*columns.keys, *self._added] if self._added else columns.keys)

    def __len__(self) -> int:
        columns = self._columns
        return len(columns.keys) + len(self._added) if columns is not None else len(self._built)

    def __contains__(self, key: object) -> bool:
        columns = self._columns
        if columns is None or key in self._built:
            return key in self._built
        return isinstance(key, str) and self._index(key, columns) is not None

    def __repr__(self) -> str:
        return f"AssetStates({len(self)} partitions)"


@dataclass(frozen=True)
class ChangeMark:
    """Where the catalog's history stood: its last attempt and its last observation.

    Every change to what the planner reads is an attempt (a publish, a failure, a retirement:
    :meth:`~assets_core.catalog.interface.Catalog.record` writes one per partition state it
    changes) or an observation, and their ids number them in commit order (writers hold the
    catalog's write lock while they take an id). Each id comes with the partition it was for,
    so that a catalog which is not the same history (replaced, restored from a backup) is told
    apart from one that only moved on.
    """

    attempt: int = 0
    attempt_of: tuple[str, str] | None = None
    observation: int = 0
    observation_of: tuple[str, str] | None = None

    def to_json(self) -> list[Any]:
        return [self.attempt, self.attempt_of and list(self.attempt_of),
                self.observation, self.observation_of and list(self.observation_of)]

    @classmethod
    def from_json(cls, value: Any) -> ChangeMark:
        attempt, attempt_of, observation, observation_of = value
        return cls(int(attempt), attempt_of and (str(attempt_of[0]), str(attempt_of[1])),
                   int(observation), observation_of and (str(observation_of[0]), str(observation_of[1])))


@dataclass
class CatalogSnapshot:
    """What the planner needs to know, read in one go.

    ``partitions[asset][key]``: read from a catalog, each asset's states are an
    :class:`AssetStates`, whole columns that build a state when asked for.
    ``interrupted`` holds partitions whose lease belongs to a run that died, so their
    published data may not match the catalog.
    """

    partitions: dict[str, MutableMapping[str, PartitionState]] = field(default_factory=dict)
    interrupted: frozenset[tuple[str, str]] = frozenset()
    observed: dict[str, dict[str, str]] = field(default_factory=dict)
    """The latest observed version of each source partition: ``observed[asset][key]``."""
    dynamic_keys: dict[str, list[str]] | None = None
    """The keys of each ``DynamicPartitions`` by name, in the order they were added (None:
    not read; the graph's definitions are taken as they are)."""
    grains: dict[str, str] = field(default_factory=dict)
    """Each partitioned asset's grain (what its keys mean) as its last run recorded it."""
    published_grains: dict[str, dict[str, str]] = field(default_factory=dict)
    """``published_grains[asset][key]``: the grain a partition was published under, for the
    few published under another grain than their asset's in :attr:`grains`."""
    mark: ChangeMark | None = None
    """The catalog's history as the snapshot saw it (None: not read, an in-memory snapshot)."""
    partial: bool = False
    """Only some partitions were read (see ``Catalog.snapshot``'s ``only``): the planner must be
    told which are not fresh (:attr:`not_fresh`), its bulk check would take the others as missing."""
    not_fresh: Mapping[str, frozenset[str]] | None = None
    """When known: each asset's due keys at :attr:`not_fresh_at` that are not fresh themselves
    (the staleness rules give a reason), found incrementally from a stored verdict
    (:mod:`assets_core.planning.verdict`). The planner takes these instead of its bulk check."""
    not_fresh_at: datetime | None = None
    sizes: dict[str, int] | None = None
    """How many partitions of each asset the catalog holds a state for, when the snapshot is
    partial (``len(partitions[asset])`` otherwise)."""

    def published_grain(self, asset: str, key: str) -> str | None:
        """The grain ``asset[key]`` was published under (None: not known, recorded before grains were)."""
        return self.published_grains.get(asset, {}).get(key) or self.grains.get(asset)

    def recorded(self, asset: str) -> int:
        """How many partitions of ``asset`` the catalog holds a state for."""
        if self.sizes is not None:
            return self.sizes.get(asset, 0)
        return len(self.partitions.get(asset) or ())

    def state(self, asset: str, key: str) -> PartitionState | None:
        return self.partitions.get(asset, {}).get(key)

    def version(self, asset: str, key: str) -> str | None:
        states = self.partitions.get(asset)
        if isinstance(states, AssetStates):
            return states.version(key)
        state = None if states is None else states.get(key)
        return None if state is None else state.data_version
