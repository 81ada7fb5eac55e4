"""The project's lineage graph as values, and its Mermaid and DOT drawings: every asset a node,
every edge labelled with its mapping, and text from user code quoted so the drawing still parses."""

from __future__ import annotations

import re

import polars as pl

from assets_core import AllPartitionsMapping, DailyPartitions, asset
from assets_core.graph import AssetGraph, build_graph
from assets_core.reports.lineage import LineageAsset, LineageEdge, LineageGraph, dot, graph_lineage, mermaid

DAILY = DailyPartitions("2025-01-01")
QUOTED = r'"((?:[^"\\]|\\.)*)"'
DOT_NODE = re.compile(rf"^  {QUOTED} \[label={QUOTED}\];$")
DOT_EDGE = re.compile(rf"^  {QUOTED} -> {QUOTED} \[label={QUOTED}\];$")


def graph() -> AssetGraph:
    @asset(partitions=DAILY)
    def raw() -> pl.DataFrame: ...

    @asset(partitions=DAILY)
    def clean(raw: pl.DataFrame) -> pl.DataFrame: ...

    @asset(ins={"clean": AllPartitionsMapping()})
    def end(clean: pl.DataFrame) -> pl.DataFrame: ...  # "end" is a Mermaid keyword

    return build_graph([raw, clean, end])


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def parse_dot(text: str) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    """Nodes (id -> label) and edges (from, to, label) of our DOT; any other line fails."""
    lines = text.splitlines()
    assert lines[:3] == ["digraph lineage {", "  rankdir=LR;", "  node [shape=box];"] and lines[-1] == "}"
    nodes, edges = {}, set()
    for line in lines[3:-1]:
        if edge := DOT_EDGE.match(line):
            edges.add(tuple(unescape(g) for g in edge.groups()))
        else:
            node = DOT_NODE.match(line)
            assert node, f"not a DOT statement: {line!r}"
            nodes[unescape(node.group(1))] = unescape(node.group(2))
    return nodes, edges  # type: ignore[return-value]


def test_the_whole_graph_and_a_selection_keep_the_edges_among_their_assets() -> None:
    g = graph()
    whole = graph_lineage(g, g.order)
    assert [a.asset for a in whole.assets] == ["raw", "clean", "end"]
    assert {(e.upstream, e.downstream, e.mapping) for e in whole.edges} == {
        ("raw", "clean", "identity"), ("clean", "end", "all")}
    assert whole.to_dict()["assets"][2] == {"asset": "end", "kind": "python", "partitions": "unpartitioned",
                                            "group": "default"}
    part = graph_lineage(g, {"clean", "end"})
    assert [e.to_dict() for e in part.edges] == [{"upstream": "clean", "downstream": "end", "mapping": "all"}]
    assert part.inputs_of("end") == list(part.edges) and part.inputs_of("clean") == []


def test_dot_has_every_asset_as_a_node_and_every_edge_with_its_mapping() -> None:
    nodes, edges = parse_dot(dot(graph_lineage(graph(), graph().order)))
    assert nodes == {"raw": "raw\ndaily", "clean": "clean\ndaily", "end": "end\nunpartitioned"}
    assert edges == {("raw", "clean", "identity"), ("clean", "end", "all")}


def hostile() -> LineageGraph:
    text = 'a "quoted" \\ back|slash <script>x</script> #35; \x1b[31m\nnext'
    return LineageGraph((LineageAsset("a", "python", text, "g"), LineageAsset("b", "sql", "daily", "g")),
                        (LineageEdge("a", "b", text),))


def test_dot_quotes_and_escapes_labels_from_user_code() -> None:
    nodes, edges = parse_dot(dot(hostile()))
    clean = 'a "quoted" \\ back|slash <script>x</script> #35; [31m\nnext'  # the escape character dropped
    assert nodes["a"] == "a\n" + clean
    assert edges == {("a", "b", clean)}


def test_mermaid_labels_hold_no_quote_pipe_or_markup_and_keywords_get_other_ids() -> None:
    lines = mermaid(hostile()).splitlines()
    assert lines[0] == "flowchart LR"
    (edge,) = [line for line in lines if "-->" in line]
    label = re.fullmatch(r'    a -->\|"([^"]*)"\| b', edge)
    assert label, edge
    assert not set(label.group(1)) & set('"|<>\x1b\n')
    assert "#quot;quoted#quot;" in label.group(1) and "#35;35;" in label.group(1)

    drawn = mermaid(graph_lineage(graph(), graph().order)).splitlines()
    assert '    end_["end<br/>unpartitioned"]' in drawn
    assert {line.strip() for line in drawn if "-->" in line} == {'raw -->|"identity"| clean', 'clean -->|"all"| end_'}
