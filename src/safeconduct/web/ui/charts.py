"""Charts as SVG written on the server: no script, no style attribute (colours come from the
stylesheet by class), and read aloud as one image with a title and a description. Every
number drawn is also in a table beside the chart. Pure functions: words come in
translated, Markup goes out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from safeconduct.bureau.svg import axis_top, grid

# The statistics' charts' frame (bureau.svg), the plot lower: a legend stands above it.
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 40, 44


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a stacked bar chart: its label under the axis, what a reader hears for
    it, and its parts from the bottom up (one per series)."""

    label: str
    title: str
    parts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.parts)


def _legend(series: Sequence[tuple[str, str]]) -> list[str]:
    out, x = [], LEFT
    for label, css in series:
        out.append(f'<rect class="{escape(css)}" x="{x}" y="10" width="14" height="14"/>')
        out.append(f'<text class="chart-legend" x="{x + 20}" y="22">{escape(label)}</text>')
        x += 20 + 9 * len(label) + 24
    return out


def _bar(bar: Bar, index: int, slot: float, top: int, plot_h: float, classes: Sequence[str]) -> str:
    x = LEFT + slot * index + slot * 0.2
    width = slot * 0.6
    base = TOP + plot_h
    parts = []
    for value, css in zip(bar.parts, classes, strict=True):
        height = plot_h * value / top
        base -= height
        if value:
            parts.append(
                f'<rect class="{escape(css)}" x="{x:.1f}" y="{base:.1f}" '
                f'width="{width:.1f}" height="{height:.1f}"/>'
            )
    middle = x + width / 2
    return (
        f'<g class="chart-bar" data-total="{bar.total}"><title>{escape(bar.title)}</title>'
        + "".join(parts)
        + f'<text class="chart-value" x="{middle:.1f}" y="{base - 4:.1f}" text-anchor="middle">'
        f"{bar.total}</text>"
        f'<text class="chart-tick" x="{middle:.1f}" y="{HEIGHT - BOTTOM + 18}" '
        f'text-anchor="middle">{escape(bar.label)}</text></g>'
    )


def stacked_bars(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    series: Sequence[tuple[str, str]],
) -> Markup:
    """An SVG stacked bar chart. `series` names each part of a bar (bottom first) with its
    label for the legend and its CSS class."""
    classes = [css for _label, css in series]
    plot_h = HEIGHT - TOP - BOTTOM
    top = axis_top(max((b.total for b in bars), default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(bars))
    ident = escape(chart_id)
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
        *_legend(series),
        *grid(top, plot_h, TOP),
        *(_bar(bar, i, slot, top, plot_h, classes) for i, bar in enumerate(bars)),
        "</svg>",
    ]
    return Markup("".join(body))  # noqa: S704 - every value above is escaped or a number
