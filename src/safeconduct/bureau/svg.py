"""A suppressed one-way table as an SVG bar chart, written on the server (after
`web.ui.charts`, which the bureau may not import): no script, no style attribute (colours
come from the stylesheet by class), read aloud as one image with a title and a description.

A suppressed count is drawn as an empty outline of one fixed height with its mark on it:
nothing in the chart, not a bar height, not the axis, not an attribute, depends on a value
that was suppressed. The axis is scaled to the shown counts alone. Pure: words come in
translated, text goes out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 24, 44
# The outline of a suppressed count: a fixed share of the plot, whatever it hides.
HIDDEN_HEIGHT = 24.0


@dataclass(frozen=True, slots=True)
class Bar:
    """One count: its label under the axis, what a reader hears for it, and the count or
    the mark shown instead."""

    label: str
    title: str
    count: int | str


def axis_top(highest: int) -> int:
    """The top of the axis: the highest shown count rounded up to an even number (at
    least 2), so the middle tick is whole."""
    return max(2, highest + highest % 2)


def grid(top: int, plot_h: float, plot_top: int = TOP) -> list[str]:
    """The horizontal lines and ticks at 0, half and the top of the axis (also the
    operator UI's charts, whose plot starts lower, under a legend)."""
    out = []
    for value in (0, top // 2, top):
        y = plot_top + plot_h - plot_h * value / top
        out.append(
            f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{value}</text>"
        )
    return out


def _bar(bar: Bar, index: int, slot: float, top: int, plot_h: float) -> str:
    x = LEFT + slot * index + slot * 0.2
    width = slot * 0.6
    base = TOP + plot_h
    if isinstance(bar.count, int):
        height = plot_h * bar.count / top
        shape = (
            f'<rect class="chart-shown" x="{x:.1f}" y="{base - height:.1f}" '
            f'width="{width:.1f}" height="{height:.1f}"/>'
        )
        label_y = base - height - 4
    else:
        # fill and stroke as presentation attributes (not a style attribute): the outline
        # stays an outline where no stylesheet is at hand (a downloaded file).
        shape = (
            f'<rect class="chart-hidden" x="{x:.1f}" y="{base - HIDDEN_HEIGHT:.1f}" '
            f'width="{width:.1f}" height="{HIDDEN_HEIGHT:.1f}" fill="none" '
            f'stroke="currentColor" stroke-dasharray="4 3"/>'
        )
        label_y = base - HIDDEN_HEIGHT - 4
    middle = x + width / 2
    return (
        f'<g class="chart-bar"><title>{escape(bar.title)}</title>{shape}'
        f'<text class="chart-value" x="{middle:.1f}" y="{label_y:.1f}" text-anchor="middle">'
        f"{escape(str(bar.count))}</text>"
        f'<text class="chart-tick" x="{middle:.1f}" y="{HEIGHT - BOTTOM + 18}" '
        f'text-anchor="middle">{escape(bar.label)}</text></g>'
    )


def bars(*, chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> str:
    """An SVG bar chart of one table's counts, shown and suppressed."""
    plot_h = HEIGHT - TOP - BOTTOM
    top = axis_top(max((b.count for b in bars if isinstance(b.count, int)), default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(bars))
    ident = escape(chart_id)
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        *grid(top, plot_h),
        *(_bar(bar, i, slot, top, plot_h) for i, bar in enumerate(bars)),
        "</svg>",
    ]
    return "".join(body)
