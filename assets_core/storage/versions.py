"""The data version of a staged partition: a hash of its content, not of its file's bytes.

Two Parquet files hold the same content when they have the same column names, the same
logical types and the same values in the same order, whatever wrote them: the writer's name
and version in the footer, key-value metadata, row groups, pages, encodings and compression
all stay out of the hash. So does the physical flavour of an Arrow type that the writer or
the reader chooses (``string``, ``large_string`` or ``string_view``; a dictionary-encoded
column or its values; the name of a list's child field; nullability flags).

Rows are hashed batch by batch, from the frame being staged (:func:`frame_version`) or from
a file read back (:func:`content_version`), so hashing holds one batch at a time, never a
second copy of the partition; and the hash does not depend on where batches start or end:
each column is hashed as a few byte streams that are each a plain concatenation over rows
(the positions of the nulls, the non-null values, the lengths of strings and lists, ...),
one sha256 per stream, so cutting the rows elsewhere feeds every stream the same bytes. The
version hashes the schema, the row count and every stream's digest.

Versions look like ``c1:`` followed by 29 hex digits (32 characters, as the byte-hash
versions before them, which are 32 hex digits): ``c1`` names this encoding, so a version made
by the old rule, or by a later encoding, never equals one made by this one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

PREFIX = "c1:"
BATCH_ROWS = 65_536


def content_version(path: Path, batch_rows: int = BATCH_ROWS) -> str:
    """The content version of the Parquet file at ``path``.

    >>> content_version(Path("data/orders/partition_key=2025-01-01/data.parquet"))  # doctest: +SKIP
    'c1:5b0e2c61a0f4e8d9c3b7a1f2e6d40'
    """
    import pyarrow.parquet as pq

    # Read ahead (pre_buffer) holds whole row groups: 70 MB of Arrow memory for a 50 MB file,
    # 22 MB without, whatever the file's size. Partitions are hashed side by side on the
    # workers, so a thread pool per file adds resident memory (mimalloc's arenas), not speed.
    with pq.ParquetFile(path, pre_buffer=False) as file:
        return version_of_batches(file.schema_arrow, file.iter_batches(batch_size=batch_rows, use_threads=False))


def frame_version(frame: pl.DataFrame) -> str:
    """The content version of the file polars writes from ``frame``, from the frame itself.

    Staging has the frame in memory: hashing its Arrow batches skips decoding the file again
    (for a day of W1's orders, about half the time: bench/versions.py). The two agree for frames of every polars
    type (a property in tests/unit/test_data_versions.py); a file staged otherwise (a
    quarantined one, released) is versioned by :func:`content_version`.
    """
    # Slice by slice: converting the whole frame at once would copy all of it (strings, lists).
    # A frame of one slice (most partitions) is converted once, its schema taken from it.
    slices = frame.iter_slices(BATCH_ROWS) if frame.height > BATCH_ROWS else iter([frame])
    first = next(slices).to_arrow()
    pieces = chain([first], (piece.to_arrow() for piece in slices))
    return version_of_batches(first.schema, (b for piece in pieces for b in piece.to_batches()))


def version_of_batches(schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> str:
    """The content version of the rows in ``batches`` (of ``schema``), cut anywhere."""
    columns = [_Stream(field.type) for field in schema]
    rows = 0
    for batch in batches:
        rows += batch.num_rows
        for stream, column in zip(columns, batch.columns):
            stream.feed(column)
    digest = hashlib.sha256(b"assets-core content version 1\n")
    digest.update(schema_text(schema).encode())
    digest.update(f"\nrows {rows}\n".encode())
    for stream in columns:
        for part in stream.digests():
            digest.update(part)
    return PREFIX + digest.hexdigest()[: 32 - len(PREFIX)]


def schema_text(schema: pa.Schema) -> str:
    """The column names and logical types, one column a line: what the version hashes of the schema."""
    return "\n".join(f"{json.dumps(field.name)}: {type_text(field.type)}" for field in schema)


def type_text(kind: pa.DataType) -> str:
    """An Arrow type without the choices a writer or reader makes on its own (see the module)."""
    import pyarrow as pa
    import pyarrow.types as t

    if t.is_dictionary(kind):
        return type_text(kind.value_type)
    if isinstance(kind, pa.ExtensionType):
        return f"{kind.extension_name}<{type_text(kind.storage_type)}>"
    if t.is_string(kind) or t.is_large_string(kind) or t.is_string_view(kind):
        return "string"
    if t.is_binary(kind) or t.is_large_binary(kind) or t.is_binary_view(kind):
        return "binary"
    if t.is_map(kind):
        return f"map<{type_text(kind.key_type)}, {type_text(kind.item_type)}>"
    if t.is_fixed_size_list(kind):
        return f"list<{type_text(kind.value_type)}>[{kind.list_size}]"
    if t.is_list(kind) or t.is_large_list(kind):
        return f"list<{type_text(kind.value_type)}>"
    if t.is_struct(kind):
        return "struct<" + ", ".join(f"{json.dumps(f.name)}: {type_text(f.type)}" for f in kind) + ">"
    # Spelled out here rather than by pyarrow's str(), whose wording is not ours to keep stable.
    if t.is_integer(kind):
        return f"{'u' if t.is_unsigned_integer(kind) else ''}int{kind.bit_width}"
    if t.is_floating(kind):
        return f"float{kind.bit_width}"
    if t.is_timestamp(kind):
        return f"timestamp[{kind.unit}, {kind.tz or 'naive'}]"
    if t.is_time(kind) or t.is_duration(kind):
        return f"{'time' if t.is_time(kind) else 'duration'}[{kind.unit}]"
    if t.is_decimal(kind):
        return f"decimal{kind.bit_width}({kind.precision}, {kind.scale})"
    if t.is_fixed_size_binary(kind):
        return f"binary[{kind.byte_width}]"
    if t.is_date32(kind) or t.is_date64(kind):
        return f"date{kind.bit_width}"
    return str(kind)  # bool, null, intervals


class _Stream:
    """The byte streams of one column (or of the values inside a list, map or struct column).

    Every stream is a concatenation over elements, so feeding the column in any cuts gives
    the same bytes: ``nulls`` holds the position of each null among all elements fed so far,
    the others describe the non-null elements only (never the bytes a null slot happens to
    cover, which no format defines). Lengths are 4 bytes: Parquet cannot hold a string of
    2 GiB or more, and a longer list in one row fails loudly (the cast is checked).
    """

    def __init__(self, kind: pa.DataType) -> None:
        import pyarrow as pa
        import pyarrow.types as t

        while t.is_dictionary(kind) or isinstance(kind, pa.ExtensionType):
            kind = kind.value_type if t.is_dictionary(kind) else kind.storage_type
        self.seen = 0
        self.nulls = hashlib.sha256()
        self.values = hashlib.sha256()  # fixed-width values, the bytes of strings
        self.lengths = hashlib.sha256()  # lengths of strings, binaries, lists and maps
        self.children: list[_Stream] = []
        self.shape = "fixed"  # numbers, decimals, dates, times, timestamps, durations, ...
        if t.is_null(kind) or t.is_boolean(kind):
            self.shape = str(kind)
        elif any(test(kind) for test in (t.is_string, t.is_large_string, t.is_string_view,
                                         t.is_binary, t.is_large_binary, t.is_binary_view)):
            self.shape = "binary"
        elif t.is_map(kind):
            self.shape, self.children = "map", [_Stream(kind.key_type), _Stream(kind.item_type)]
        elif t.is_struct(kind):
            self.shape, self.children = "struct", [_Stream(f.type) for f in kind]
        elif t.is_list(kind) or t.is_large_list(kind):
            self.shape, self.children = "list", [_Stream(kind.value_type)]
        elif t.is_fixed_size_list(kind):
            self.shape, self.children = "fixed_size_list", [_Stream(kind.value_type)]

    def feed(self, column: pa.Array | pa.ChunkedArray) -> None:
        import pyarrow as pa

        for array in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
            self._feed(array)

    def _feed(self, array: pa.Array) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        while isinstance(array, (pa.DictionaryArray, pa.ExtensionArray)):
            array = array.dictionary_decode() if isinstance(array, pa.DictionaryArray) else array.storage
        shape, first = self.shape, self.seen
        self.seen += len(array)
        if shape == "null":
            return  # no values: the row count and the schema say it all
        if shape == "binary":
            array = array.cast(pa.large_binary())  # one layout for every flavour, views included
        if array.null_count:
            # pa.scalar: given a bare int, pc.add looks for numpy on every call (67 us when absent)
            at = pc.add(pc.indices_nonzero(array.is_null()).cast(pa.int64()), pa.scalar(first, pa.int64()))
            self.nulls.update(_raw(at))
            array = pc.drop_null(array)
        if len(array) == 0:
            return
        if shape == "fixed":
            self.values.update(_raw(array))
        elif shape == "bool":
            self.values.update(_raw(array.cast(pa.uint8())))
        elif shape == "binary":
            self.lengths.update(_raw(pc.binary_length(array).cast(pa.uint32())))
            _, offsets, data = array.buffers()
            if data is not None:
                bounds = memoryview(offsets)[array.offset * 8:(array.offset + len(array) + 1) * 8].cast("q")
                self.values.update(memoryview(data)[bounds[0]:bounds[-1]])
        elif shape == "struct":
            for child, values in zip(self.children, array.flatten()):
                child.feed(values)
        elif shape == "fixed_size_list":
            self.children[0].feed(array.flatten())
        else:  # a list or a map: the lengths, then the elements of every list end to end
            if shape == "map":  # the same lists, as a type compute knows
                array = pa.ListArray.from_arrays(array.offsets, pa.StructArray.from_arrays(
                    [array.keys, array.items], ["key", "value"]))
            self.lengths.update(_raw(pc.list_value_length(array).cast(pa.uint32())))
            elements = array.flatten()
            if shape == "map":
                self.children[0].feed(elements.field(0))
                self.children[1].feed(elements.field(1))
            else:
                self.children[0].feed(elements)

    def digests(self) -> Iterator[bytes]:
        yield self.nulls.digest()
        yield self.values.digest()
        yield self.lengths.digest()
        for child in self.children:
            yield from child.digests()


def _raw(array: pa.Array) -> memoryview:
    """The bytes of a fixed-width array without nulls, as they sit in memory (little-endian
    on every platform polars and DuckDB ship for), without a copy."""
    width = array.type.bit_width // 8
    return memoryview(array.buffers()[1])[array.offset * width:(array.offset + len(array)) * width]
