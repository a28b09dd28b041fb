"""Server-rendered SVG charts for the account pages: bars over days (plays, earnings) and
ranked horizontal bars (per song, per strategy).

A chart is drawn on the server so the page needs no charting library and no round trip. Each
one is accessible three ways: the <svg> is `role="img"` named by its <title> and described by
its <desc> (what it shows and its total), and the template renders the same points as a data
table (`Chart.points`), exact figures included, for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

# Drawing area in SVG user units; the SVG scales to its container's width.
WIDTH = 560
HEIGHT = 220
RANK_WIDTH = 420  # ranked bars sit in half a column: a narrower drawing keeps labels legible
AXIS = 28  # room under the bars for the date labels
LEFT = 8
ROW = 30  # height of one horizontal bar's row
MAX_DAYS = 90  # a longer history shows its latest days


@dataclass(frozen=True)
class Point:
    key: str  # what the point is of: a UTC day (ISO), a song id, a strategy name
    label: str  # shown to people
    value: int  # exact figure (plays, wei)
    text: str  # the figure formatted for people, e.g. "0.0125 FLOW"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    unit: str  # column heading of the figures in the data table
    points: list[Point]
    svg: Markup
    total: int
    total_text: str

    @property
    def empty(self) -> bool:
        return not any(p.value for p in self.points)


def daily_points(
    values: Iterable[tuple[date, int]], fmt: Callable[[int], str], today: date | None = None
) -> list[Point]:
    """One point per UTC day from the first day with a value to the last (or `today`), days
    without a value as zero, so the bars' spacing is time. At most `MAX_DAYS`, the latest."""
    known = dict(values)
    if not known:
        return []
    first = min(known)
    last = max(max(known), today) if today is not None else max(known)
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [
        Point(d.isoformat(), d.strftime("%d %b"), known.get(d, 0), fmt(known.get(d, 0)))
        for d in days
    ]


def _svg_open(chart_id: str, width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg class="chart-svg" id="{chart_id}-svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'preserveAspectRatio="xMidYMid meet" focusable="false">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def day_bars(
    chart_id: str,
    title: str,
    unit: str,
    points: Sequence[Point],
    summary: str,
    fmt: Callable[[int], str],
) -> Chart:
    """Vertical bars, one per day, tallest = the largest value; every ~7th day labelled."""
    total = sum(p.value for p in points)
    description = f"{summary}: {fmt(total)} in {len(points)} days" + (
        f", from {points[0].key} to {points[-1].key}." if points else "."
    )
    parts = [_svg_open(chart_id, WIDTH, HEIGHT, title, description)]
    top = max((p.value for p in points), default=0)
    plot = HEIGHT - AXIS - 8
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" y1="{HEIGHT - AXIS}" '
        f'x2="{WIDTH - LEFT}" y2="{HEIGHT - AXIS}"/>'
    )
    if points and top > 0:
        step = (WIDTH - 2 * LEFT) / len(points)
        bar = max(step * 0.7, 1.0)
        every = max(1, round(len(points) / 7))
        for i, p in enumerate(points):
            x = LEFT + i * step + (step - bar) / 2
            h = plot * p.value / top
            y = HEIGHT - AXIS - h
            parts.append(
                f'<rect class="chart-bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" data-key="{escape(p.key)}" data-value="{p.value}">'
                f"<title>{escape(p.label)}: {escape(p.text)}</title></rect>"
            )
            if i % every == 0 or i == len(points) - 1:
                parts.append(
                    f'<text class="chart-label" x="{x + bar / 2:.1f}" y="{HEIGHT - 8}" '
                    f'text-anchor="middle">{escape(p.label)}</text>'
                )
    parts.append("</svg>")
    svg = Markup("".join(parts))  # nosec B704: every value in `parts` went through escape()
    return Chart(chart_id, title, description, unit, list(points), svg, total, fmt(total))


def ranked_bars(
    chart_id: str,
    title: str,
    unit: str,
    points: Sequence[Point],
    summary: str,
    fmt: Callable[[int], str],
) -> Chart:
    """Horizontal bars, largest first, each labelled with its name and figure."""
    ordered = sorted(points, key=lambda p: (-p.value, p.label))
    total = sum(p.value for p in ordered)
    description = f"{summary}: {fmt(total)} in all. " + "; ".join(
        f"{p.label}: {p.text}" for p in ordered[:10]
    )
    height = max(ROW * len(ordered), ROW) + 4
    parts = [_svg_open(chart_id, RANK_WIDTH, height, title, description)]
    top = max((p.value for p in ordered), default=0)
    for i, p in enumerate(ordered):
        y = 2 + i * ROW
        w = (RANK_WIDTH - 2 * LEFT) * p.value / top if top else 0
        parts.append(
            f'<rect class="chart-bar chart-bar-soft" x="{LEFT}" y="{y}" width="{w:.1f}" '
            f'height="{ROW - 6}" data-key="{escape(p.key)}" data-value="{p.value}"/>'
            f'<text class="chart-row-label" x="{LEFT + 6}" y="{y + ROW / 2 + 2:.0f}">'
            f"{escape(_clip(p.label))} · {escape(p.text)}</text>"
        )
    parts.append("</svg>")
    svg = Markup("".join(parts))  # nosec B704: every value in `parts` went through escape()
    return Chart(chart_id, title, description, unit, ordered, svg, total, fmt(total))


def _clip(text: str, limit: int = 32) -> str:
    """A label that fits one row (the data table has it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
