"""The trend chart is SVG a parser reads, with a title a screen reader says, and the
numbers drawn are the numbers given."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from safeconduct.web.ui import charts

SVG = "{http://www.w3.org/2000/svg}"


def _chart(bars: list[charts.Bar]) -> ET.Element:
    markup = charts.stacked_bars(
        chart_id="trend",
        title="Overdue <and> escalated",
        description="Bars & more",
        bars=bars,
        series=[("Overdue", "chart-overdue"), ("Escalated", "chart-escalated")],
    )
    return ET.fromstring(str(markup))  # noqa: S314 - our own SVG, not untrusted input


def test_the_chart_is_valid_svg_with_a_title_and_a_description() -> None:
    root = _chart([charts.Bar("11-20", "Week ending 2026-11-20", (3, 1))])
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-title trend-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert title.get("id") == "trend-title"
    assert title.text == "Overdue <and> escalated"  # escaped in, read back as written
    assert desc is not None
    assert desc.text == "Bars & more"
    assert root.get("style") is None
    assert all(e.get("style") is None for e in root.iter())


def test_the_numbers_drawn_are_the_numbers_given() -> None:
    bars = [
        charts.Bar("10-30", "first", (0, 0)),
        charts.Bar("11-06", "second", (5, 2)),
        charts.Bar("11-13", "third", (1, 0)),
    ]
    root = _chart(bars)
    groups = root.findall(f"{SVG}g")
    assert [g.get("data-total") for g in groups] == ["0", "7", "1"]
    values = [
        t.text for g in groups for t in g.findall(f"{SVG}text") if t.get("class") == "chart-value"
    ]
    assert values == ["0", "7", "1"]
    labels = [
        t.text for g in groups for t in g.findall(f"{SVG}text") if t.get("class") == "chart-tick"
    ]
    assert labels == ["10-30", "11-06", "11-13"]
    assert [g.find(f"{SVG}title").text for g in groups] == ["first", "second", "third"]  # type: ignore[union-attr]
    # An empty part draws no rectangle: the second bar has two, the third one.
    assert [len(g.findall(f"{SVG}rect")) for g in groups] == [0, 2, 1]
    second = groups[1].findall(f"{SVG}rect")
    assert [r.get("class") for r in second] == ["chart-overdue", "chart-escalated"]
    # The axis tops at the highest bar (rounded up to even), its middle tick half of it.
    ticks = [t.text for t in root.findall(f"{SVG}text") if t.get("class") == "chart-tick"]
    assert ticks == ["0", "4", "8"]


def test_heights_are_in_proportion() -> None:
    root = _chart([charts.Bar("a", "a", (2, 0)), charts.Bar("b", "b", (4, 0))])
    heights = [float(g.find(f"{SVG}rect").get("height", "0")) for g in root.findall(f"{SVG}g")]  # type: ignore[union-attr]
    assert heights[1] == pytest.approx(2 * heights[0])


def test_no_bars_is_still_a_chart() -> None:
    root = _chart([])
    assert root.findall(f"{SVG}g") == []
    assert root.find(f"{SVG}title") is not None


@pytest.mark.parametrize(("highest", "top"), [(0, 2), (1, 2), (2, 2), (3, 4), (10, 10), (11, 12)])
def test_the_axis_top(highest: int, top: int) -> None:
    assert charts.axis_top(highest) == top
