"""A SQL header's (or a manifest's) partitions and mapping tables: an unknown option is one
line naming it and the closest option the kind takes, not a constructor's TypeError."""

from __future__ import annotations

import pytest

from assets_core import PartitionError
from assets_core.partitions.serialize import mapping_from_dict, partitions_from_dict


@pytest.mark.parametrize(("spec", "message"), [
    ({"kind": "daily", "begin": "2025-01-01"}, "Unknown option 'begin' for daily partitions. It takes start, end, timezone, end_offset."),
    ({"kind": "monthly", "start": "2025-01-01", "timezon": "UTC"}, "Unknown option 'timezon' for monthly partitions. Did you mean 'timezone'?"),
    ({"kind": "static", "key": ["eu"]}, "Unknown option 'key' for static partitions. Did you mean 'keys'?"),
    ({"kind": "dynamic", "name": "stores", "keys": ["s1"]}, "Unknown option 'keys' for dynamic partitions."),
])
def test_an_unknown_partitions_option_names_the_closest_one(spec: dict[str, object], message: str) -> None:
    with pytest.raises(PartitionError) as raised:
        partitions_from_dict(spec)
    assert str(raised.value).startswith(message)


def test_an_unknown_mapping_option_names_the_closest_one() -> None:
    with pytest.raises(PartitionError, match="Unknown option 'shft' for partition mapping kind 'offset'. Did you mean 'shift'?"):
        mapping_from_dict({"kind": "offset", "shft": -1})


def test_known_options_still_read_back() -> None:
    assert partitions_from_dict({"kind": "static", "keys": ["eu", "us"]}).keys() == ["eu", "us"]  # type: ignore[union-attr]
    assert partitions_from_dict({"kind": "dynamic", "name": "stores"}).keys() == []  # type: ignore[union-attr]
    assert mapping_from_dict({"kind": "lookback", "n": 2}).to_dict()["n"] == 2
