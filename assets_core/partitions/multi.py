"""Multi partitions: the product of a few dimensions, such as a day and a region.

A key joins one key of each dimension with ``|``, in the order the dimensions are declared:

    >>> from datetime import datetime, timezone
    >>> from assets_core.partitions import DailyPartitions, StaticPartitions
    >>> sales = MultiPartitions(date=DailyPartitions("2025-01-01"), region=StaticPartitions(["eu", "us"]))
    >>> sales.keys(datetime(2025, 1, 3, tzinfo=timezone.utc))
    ['2025-01-01|eu', '2025-01-01|us', '2025-01-02|eu', '2025-01-02|us']
    >>> sales.select("date=2025-01-01..2025-01-02,region=us", "sales")
    ['2025-01-01|us', '2025-01-02|us']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import product
from math import prod
from typing import Any, ClassVar

from assets_core.errors import PartitionError
from assets_core.partitions.base import DataInterval, PartitionsDefinition, check_identifier, suggestion
from assets_core.partitions.dynamic import DynamicPartitions
from assets_core.partitions.time import TimeWindowPartitions

SEPARATOR = "|"
"""Between the dimension values of a key; no dimension's keys may contain it."""

_OPEN_RADIX = 1 << 40
"""Positions of an open-ended dimension after the first: more windows than any calendar has."""


class MultiPartitions(PartitionsDefinition):
    """The product of two or more dimensions; at most one of them is a time dimension.

    Keys are ordered by the first dimension, then the next. A key is due when each of its
    values is due in its dimension; its data interval is that of its time dimension.
    """

    kind: ClassVar[str] = "multi"

    def __init__(self, **dimensions: PartitionsDefinition) -> None:
        if len(dimensions) < 2:
            raise PartitionError(
                "MultiPartitions needs at least two dimensions, such as "
                "MultiPartitions(date=DailyPartitions('2025-01-01'), region=StaticPartitions(['eu', 'us']))."
            )
        for name, dimension in dimensions.items():
            check_identifier(name, "Dimension name")
            if not isinstance(dimension, PartitionsDefinition) or isinstance(dimension, MultiPartitions):
                raise PartitionError(
                    f"Dimension '{name}' of MultiPartitions is {dimension!r}: give a time, static "
                    "or dynamic partitions definition."
                )
        times = [n for n, d in dimensions.items() if isinstance(d, TimeWindowPartitions)]
        if len(times) > 1:
            raise PartitionError(
                f"MultiPartitions has two time dimensions ('{times[0]}' and '{times[1]}'): keep one."
            )
        self.dimensions: dict[str, PartitionsDefinition] = dict(dimensions)
        self.names = tuple(dimensions)
        self.time_dimension: str | None = times[0] if times else None
        """The name of the dimension that gives keys their data interval, if any."""

    # -- parts of keys ----------------------------------------------------------------------

    def dimension(self, name: str) -> PartitionsDefinition:
        """The definition of one dimension."""
        if name not in self.dimensions:
            raise PartitionError(
                f"MultiPartitions has no dimension '{name}': it has {', '.join(self.names)}."
                f"{suggestion(name, self.names)}"
            )
        return self.dimensions[name]

    def split(self, key: str) -> dict[str, str]:
        """``'2025-01-01|eu'`` -> ``{'date': '2025-01-01', 'region': 'eu'}``."""
        parts = key.split(SEPARATOR)
        if len(parts) != len(self.names):
            raise PartitionError(f"'{key}' is not a key of {self.describe()}: {self._shape()}.")
        return dict(zip(self.names, parts))

    def join(self, parts: Mapping[str, str]) -> str:
        """``{'date': '2025-01-01', 'region': 'eu'}`` -> ``'2025-01-01|eu'``."""
        if set(parts) != set(self.names):
            raise PartitionError(
                f"A key of {self.describe()} needs a value for each of {', '.join(self.names)}, "
                f"not for {', '.join(parts) or 'none'}."
            )
        return SEPARATOR.join(parts[name] for name in self.names)

    def keys_with(self, now: datetime | None, fixed: Mapping[str, Sequence[str]]) -> list[str]:
        """Keys whose value in each ``fixed`` dimension is one of the given ones (given in that
        dimension's order), combined with the due keys of the other dimensions."""
        parts = [fixed[n] if n in fixed else d.keys(now) for n, d in self.dimensions.items()]
        return [SEPARATOR.join(p) for p in product(*parts)]

    def _shape(self, key: str | None = None) -> str:
        """What a key looks like, with an example, and a hint when ``key`` is one dimension's."""
        text = f"expected {len(self.names)} values joined by '{SEPARATOR}' ({SEPARATOR.join(self.names)})"
        if all(d.size() != 0 for d in self.dimensions.values()):
            text += f", such as {SEPARATOR.join(d.keys_between(0, 1)[0] for d in self.dimensions.values())}"
        owner = next((n for n, d in self.dimensions.items() if key is not None and d.is_key(key)), None)
        return text + (f"; to select by {owner} alone, write {owner}={key}" if owner else "")

    def _problem(self, key: str) -> str | None:
        """Why ``key`` is not a key, naming the dimension that is wrong; None when it is one."""
        parts = key.split(SEPARATOR)
        if len(parts) != len(self.names):
            return self._shape(key)
        for (name, dimension), part in zip(self.dimensions.items(), parts):
            if not dimension.is_key(part):
                return f"{name} '{part}' is not a {name} key ({dimension.kind}, expected {dimension.expected()})"
        return None

    # -- the definition's interface ---------------------------------------------------------

    def keys(self, now: datetime | None = None) -> list[str]:
        return self.keys_with(now, {})

    def count(self, now: datetime | None = None) -> int:
        return prod(d.count(now) for d in self.dimensions.values())

    def size(self) -> int | None:
        sizes = [d.size() for d in self.dimensions.values()]
        return None if None in sizes else prod(s for s in sizes if s is not None)

    def is_due(self, key: str, now: datetime | None) -> bool:
        parts = key.split(SEPARATOR)
        return len(parts) == len(self.names) and all(
            d.is_due(p, now) for d, p in zip(self.dimensions.values(), parts)
        )

    def components(self) -> tuple[PartitionsDefinition, ...]:
        return tuple(self.dimensions.values())

    def _radices(self) -> list[int]:
        """Mixed-radix digits of a position: an open-ended dimension after the first gets a
        radix no calendar reaches, so positions still order keys as the definition does."""
        radices = []
        for dimension in self.dimensions.values():
            size = dimension.size()
            radices.append(_OPEN_RADIX if size is None else max(size, 1))
        return radices

    def index_of(self, key: str) -> int | None:
        """A position that orders keys as the definition does; consecutive (0, 1, 2...) when
        every dimension after the first is bounded."""
        parts = key.split(SEPARATOR)
        if len(parts) != len(self.names):
            return None
        index = 0
        for dimension, part, radix in zip(self.dimensions.values(), parts, self._radices()):
            position = dimension.index_of(part)
            if position is None:
                return None
            index = index * radix + position
        return index

    def keys_between(self, lo: int, hi: int) -> list[str]:
        radices = self._radices()
        dimensions = list(self.dimensions.values())
        keys = []
        for index in range(lo, hi):
            positions = []
            for radix in reversed(radices[1:]):
                index, position = divmod(index, radix)
                positions.append(position)
            positions.append(index)
            positions.reverse()
            keys.append(SEPARATOR.join(d.keys_between(p, p + 1)[0] for d, p in zip(dimensions, positions)))
        return keys

    def data_interval(self, key: str) -> DataInterval | None:
        problem = self._problem(key)
        if problem is not None:
            raise PartitionError(f"'{key}' is not a multi key: {problem}.")
        if self.time_dimension is None:
            return None
        return self.dimensions[self.time_dimension].data_interval(self.split(key)[self.time_dimension])

    def check_key(self, key: str, asset: str) -> None:
        problem = self._problem(key)
        if problem is not None:
            raise PartitionError(f"'{key}' is not a partition of '{asset}': {problem}.")

    def key_range(self, first: str, last: str, asset: str) -> list[str]:
        """The box between two full keys: each dimension from its value in ``first`` to its
        value in ``last`` (``2025-01-01|eu..2025-01-07|eu`` is one week of eu)."""
        self.check_key(first, asset)
        self.check_key(last, asset)
        ranges = []
        for name, low, high in zip(self.names, first.split(SEPARATOR), last.split(SEPARATOR)):
            dimension = self.dimensions[name]
            lo, hi = dimension.index_of(low), dimension.index_of(high)
            assert lo is not None and hi is not None
            if lo > hi:
                raise PartitionError(
                    f"Range '{first}..{last}' of '{asset}' is empty: its {name} '{low}' comes after "
                    f"'{high}'; put the earlier key first."
                )
            ranges.append(dimension.keys_between(lo, hi + 1))
        return [SEPARATOR.join(p) for p in product(*ranges)]

    def select(self, expression: str, asset: str, now: datetime | None = None) -> list[str]:
        """Keys named on the command line, in the definition's order.

        Either full keys and ``A..B`` ranges of full keys (``2025-01-01|eu,2025-01-03|eu``),
        or per dimension ``name=`` a comma list of keys and ``A..B`` ranges
        (``date=2025-01-01..2025-01-07,region=eu``): a dimension not named contributes all
        its keys due at ``now``.
        """
        if "=" not in expression:
            return super().select(expression, asset, now)
        chosen = self._parse_dimensions(expression, asset)
        fixed = {name: self.dimensions[name].sort_keys(dict.fromkeys(keys)) for name, keys in chosen.items()}
        return self.keys_with(now, fixed)

    def count_selected(self, expression: str, asset: str, now: datetime | None = None) -> int:
        # A range of a product is a box, not one span of positions: counted from its keys.
        return len(self.select(expression, asset, now))

    def _parse_dimensions(self, expression: str, asset: str) -> dict[str, list[str]]:
        chosen: dict[str, list[str]] = {}
        current: str | None = None
        where = f"Partition selection '{expression}' of '{asset}'"
        for token in (t.strip() for t in expression.split(",")):
            if not token:
                continue
            value = token
            if "=" in token:
                current, _, value = (part.strip() for part in token.partition("="))
                if current not in self.dimensions:
                    raise PartitionError(
                        f"{where} names '{current}', which is not one of its dimensions "
                        f"({', '.join(self.names)}).{suggestion(current, self.names)}"
                    )
                if current in chosen:
                    raise PartitionError(f"{where} names {current} twice: list its keys after one '{current}='.")
                chosen[current] = []
            if current is None:
                raise PartitionError(f"{where} starts with '{token}': write it like {self._example()}.")
            if SEPARATOR in value or not value:
                raise PartitionError(
                    f"{where} gives {current} '{value}': give {current} keys or A..B ranges, "
                    f"or only full keys joined by '{SEPARATOR}'."
                )
            chosen[current].extend(self._dimension_keys(current, value, asset))
        return chosen

    def _dimension_keys(self, name: str, value: str, asset: str) -> list[str]:
        dimension = self.dimensions[name]
        # The dimension's own messages then read "... of 'sales' dimension 'date' ...".
        label = f"{asset}' dimension '{name}"
        if ".." in value:
            first, _, last = value.partition("..")
            return dimension.key_range(first.strip(), last.strip(), label)
        dimension.check_key(value, label)
        return [value]

    def _example(self) -> str:
        return ",".join(f"{name}=KEY" for name in self.names)

    # -- description ------------------------------------------------------------------------

    def expected(self) -> str:
        parts = ", ".join(f"{name} {d.expected()}" for name, d in self.dimensions.items())
        return f"{SEPARATOR.join(self.names)}: {parts}"

    def describe(self) -> str:
        return "multi: " + " x ".join(f"{name}={d.describe()}" for name, d in self.dimensions.items())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dimensions": {name: d.to_dict() for name, d in self.dimensions.items()}}

    def __eq__(self, other: object) -> bool:
        # Dimension order matters (it orders the keys), and dict equality ignores it.
        return isinstance(other, MultiPartitions) and list(self.dimensions.items()) == list(other.dimensions.items())

    def __hash__(self) -> int:
        return hash(tuple(self.dimensions.items()))


def with_dynamic_keys(
    definition: PartitionsDefinition | None, keys: Mapping[str, Sequence[str]]
) -> PartitionsDefinition | None:
    """``definition`` with each ``DynamicPartitions`` in it (itself, or a dimension) holding
    its keys from ``keys`` (by name; none when absent); the same object when nothing changes."""
    if isinstance(definition, DynamicPartitions):
        return definition.with_keys(keys.get(definition.name, ()))
    if isinstance(definition, MultiPartitions):
        dimensions = {name: with_dynamic_keys(d, keys) for name, d in definition.dimensions.items()}
        if any(dimensions[name] is not d for name, d in definition.dimensions.items()):
            return MultiPartitions(**dimensions)  # type: ignore[arg-type]
    return definition


def multi_dimensions(definition: PartitionsDefinition | None) -> Iterable[tuple[str, PartitionsDefinition]]:
    """The named dimensions of a multi definition; nothing for any other definition."""
    return definition.dimensions.items() if isinstance(definition, MultiPartitions) else ()
