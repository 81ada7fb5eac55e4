"""Partition provenance, pure: the walk over a catalog of versions held in memory (a fake of
the two catalog methods it asks), then the same walk over a real catalog, once per backend."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from catalog_backends import catalog, catalog_url, open_again  # noqa: F401 (fixtures)

from assets_core.catalog import Catalog, Materialization
from assets_core.catalog.models import PublishedVersion
from assets_core.reports.provenance import NotPublished, Publish, provenance

Inputs = dict[str, dict[str, str]]


class Versions:
    """Publishes recorded in order, as a catalog keeps them; counts the questions asked."""

    def __init__(self) -> None:
        self.history: dict[tuple[str, str], list[PublishedVersion]] = {}
        self.questions = 0

    def publish(self, asset: str, key: str, version: str, run: str, inputs: Inputs | None = None) -> None:
        at = f"2025-01-{len(self.history) + 1:02d}T00:00:00+00:00"
        self.history.setdefault((asset, key), []).append(PublishedVersion(asset, key, version, run, at, inputs))

    def published_versions(self, asset: str, keys: Iterable[str] | None = None) -> dict[str, PublishedVersion]:
        self.questions += 1
        return {k: h[-1] for (a, k), h in self.history.items() if a == asset and (keys is None or k in set(keys))}

    def publish_history(self, asset: str, keys: Iterable[str]) -> dict[str, list[PublishedVersion]]:
        self.questions += 1
        wanted = set(keys)
        return {k: list(h) for (a, k), h in self.history.items() if a == asset and k in wanted}


def diamond() -> Versions:
    """src[d] -> left[d], right[d] -> top[d]: top reaches src[d] twice."""
    v = Versions()
    v.publish("src", "d", "s1", "r1", {"@observed": {"d": "file-1"}})
    v.publish("left", "d", "l1", "r1", {"src": {"d": "s1"}})
    v.publish("right", "d", "g1", "r1", {"src": {"d": "s1"}})
    v.publish("top", "d", "t1", "r1", {"left": {"d": "l1"}, "right": {"d": "g1"}})
    return v


def test_a_diamond_lists_each_upstream_partition_once_level_by_level() -> None:
    tree = provenance(diamond(), "top", "d")
    assert [(n.asset, n.depth) for n in tree.nodes] == [("top", 0), ("left", 1), ("right", 1), ("src", 2)]
    assert tree.root.inputs == (("left", "d", "l1"), ("right", "d", "g1"))
    src = tree.nodes[-1]
    assert (src.observed, src.inputs, src.current, src.run_id) == ("file-1", (), True, "r1")
    assert not tree.truncated and tree.depth is None


def test_depth_limits_the_walk_and_says_so() -> None:
    versions = diamond()
    tree = provenance(versions, "top", "d", depth=1)
    assert [n.asset for n in tree.nodes] == ["top", "left", "right"] and tree.truncated
    assert provenance(versions, "top", "d", depth=0).nodes[0].asset == "top"
    assert not provenance(versions, "top", "d", depth=2).truncated  # the sources are at depth 2


def test_a_replaced_version_names_its_replacement_and_the_walk_follows_the_attempt_that_published_it() -> None:
    v = Versions()
    v.publish("src", "d", "s1", "r1")
    v.publish("mid", "d", "m1", "r1", {"src": {"d": "s1"}})
    v.publish("top", "d", "t1", "r1", {"mid": {"d": "m1"}})
    v.publish("src", "d", "s2", "r2")
    v.publish("mid", "d", "m2", "r2", {"src": {"d": "s2"}})  # mid moved on; top still read m1
    v.publish("mid", "d", "m3", "r3", {"src": {"d": "s2"}})
    _, mid, src = provenance(v, "top", "d").nodes
    assert (mid.data_version, mid.run_id, mid.current) == ("m1", "r1", False)
    assert mid.replaced_by == Publish("m2", "r2", v.history[("mid", "d")][1].published_at)
    assert mid.current_version == Publish("m3", "r3", v.history[("mid", "d")][2].published_at)
    # m1 was built from s1 (its attempt's inputs), not from s2 (what mid reads now)
    assert (src.data_version, src.current, src.replaced_by) == ("s1", False, Publish("s2", "r2", src.replaced_by.published_at))  # type: ignore[union-attr]


def test_a_version_no_attempt_recorded_is_shown_without_a_run() -> None:
    v = Versions()
    v.publish("top", "d", "t1", "r1", {"gone": {"d": "x1"}})
    _, gone = provenance(v, "top", "d").nodes
    assert (gone.asset, gone.run_id, gone.current, gone.replaced_by, gone.current_version) == ("gone", None, False, None, None)


def test_a_partition_not_published_is_one_line_with_the_fix() -> None:
    with pytest.raises(NotPublished, match=r"^top\[d\] is not published.*`assets materialize --select top --partitions d`"):
        provenance(Versions(), "top", "d")


def test_questions_grow_with_levels_and_assets_not_with_partitions() -> None:
    v = Versions()
    for day in range(30):
        v.publish("src", f"{day:02d}", f"s{day}", "r1")
    v.publish("top", "x", "t1", "r1", {"src": {f"{day:02d}": f"s{day}" for day in range(30)}})
    v.questions = 0
    tree = provenance(v, "top", "x")
    assert len(tree.nodes) == 31 and v.questions == 2  # the root, then one question for all 30 days


def test_the_walk_over_a_real_catalog(catalog: Catalog) -> None:  # noqa: F811 (fixture)
    def attempt(asset: str, key: str, version: str, run: str, inputs: Inputs | None = None) -> Materialization:
        return Materialization(run_id=run, asset=asset, partition=key, status="published", started_at="t0",
                               ended_at=f"end-{run}", data_version=version, inputs=inputs)

    catalog.record([attempt("src", "d", "s1", "r1"), attempt("top", "d", "t1", "r1", {"src": {"d": "s1"}})])
    catalog.record([attempt("src", "d", "s2", "r2")])
    catalog.record([Materialization(run_id="r3", asset="src", partition="d", status="failed", started_at="t",
                                    ended_at="t", error="boom")])
    top, src = provenance(catalog, "top", "d").nodes
    assert (top.run_id, top.published_at, top.current) == ("r1", "end-r1", True)
    assert (src.data_version, src.run_id, src.current) == ("s1", "r1", False)
    assert src.replaced_by == Publish("s2", "r2", "end-r2") == src.current_version


def test_the_tree_expands_each_version_once_and_a_deep_walk_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    from assets_core.cli.lineage_partitions import render

    v = diamond()
    v.publish("top", "e", "t2", "r1", {"left": {"d": "l1"}, "src": {"d": "s1"}})  # src[d] directly and via left
    render(provenance(v, "top", "e"))
    lines = capsys.readouterr().out.splitlines()
    assert sum("src[d]" in line for line in lines) == 2
    assert any("src[d] s1 (expanded at depth 1)" in line for line in lines)  # under left: shown at depth 1
    chain = Versions()
    for i in range(1500):  # an asset reading its own past, 1,500 days deep
        chain.publish("run", f"{i:05d}", f"v{i}", "r1", {"run": {f"{i - 1:05d}": f"v{i - 1}"}} if i else None)
    render(provenance(chain, "run", "01499"))
    out = capsys.readouterr().out.splitlines()
    assert "too deep to draw as a tree" in out[0] and len(out) == 1501
    assert "run[00000] v0" in out[-1]
