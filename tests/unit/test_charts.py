"""The SVG charts are well-formed XML whatever text they carry, and draw what they are given."""

from __future__ import annotations

import xml.dom.minidom

from hypothesis import given, settings
from hypothesis import strategies as st

from linkage import charts

TEXT = st.text(max_size=30)  # any code point: markup, quotes, CJK, control characters


@settings(max_examples=100, deadline=None)
@given(TEXT, TEXT, st.lists(st.floats(-50, 50), min_size=1, max_size=8))
def test_every_chart_is_well_formed_xml(title: str, label: str, values: list[float]) -> None:
    labels = [f"{label}{i}" for i in range(len(values))]
    drawn = [
        charts.bars(labels, values, title=title),
        charts.histogram([0.0, *range(1, len(values) + 1)], [abs(v) for v in values],
                         title=title, x_label=label, marker=(label, 0.5)),
        charts.lines(list(range(len(values))), {label: values}, title=title, x_label=label),
        charts.waterfall(list(zip(labels, values, strict=True)), title=title),
        charts.merge_tree(labels, [(0, i, label) for i in range(1, len(labels))], title=title),
    ]  # fmt: skip
    for svg in drawn:
        document = xml.dom.minidom.parseString(svg)
        assert document.documentElement.tagName == "svg"


def test_a_merge_tree_draws_one_line_per_union_and_each_member() -> None:
    svg = charts.merge_tree(["a", "b", "c", "d"], [(0, 1, "u1"), (2, 3, "u2"), (0, 2, "u3")],
                            title="tree")  # fmt: skip
    assert svg.count("<title>u") == 3
    assert all(f">{leaf}</text>" in svg for leaf in "abcd")
