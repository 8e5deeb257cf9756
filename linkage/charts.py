"""Small static SVG charts: bars, a histogram, lines, a waterfall and a merge tree.

The run report (:mod:`linkage.report`) and ``linkage explain --entity --chart`` draw with these.
They are plain SVG text: no script, no font or network fetch, the same bytes for the same data
(a report stays self-contained and byte-stable), and drawing one takes microseconds. matplotlib
(the ``plot`` extra, used for ``explain``'s PNG waterfall) would add about a second of import and
a tenth of a second per chart to every run, and is optional.

Each function returns one ``<svg>`` element sized for a page column (``WIDTH`` wide).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from html import escape as _html_escape

WIDTH = 640
BAR = "#4878a8"
NEGATIVE = "#c0504d"
MARKER = "#d62728"
SERIES = ("#4878a8", "#e08a2c", "#55a868", "#8172b2", "#c0504d")
_FONT = 'font-family="sans-serif" font-size="11"'
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(text: str) -> str:
    """Text for HTML or SVG: escaped, without the control characters XML does not allow
    (a record's name may hold one)."""
    return _html_escape(_CONTROL.sub(" ", text))


def _n(value: float) -> str:
    """A coordinate with one decimal, no trailing zero (stable text)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(height: float, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{_n(height)}" '
        f'viewBox="0 0 {WIDTH} {_n(height)}" role="img" aria-label="{escape(title)}">'
    )
    caption = f'<text x="4" y="14" {_FONT} font-weight="bold">{escape(title)}</text>'
    return "".join([head, f"<title>{escape(title)}</title>", caption, *body, "</svg>"])


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" {_FONT}{extra}>{escape(text)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "") -> str:
    hint = f"<title>{escape(tip)}</title>" if tip else ""
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0.5))}" height="{_n(max(h, 0.5))}" '
        f'fill="{fill}">{hint}</rect>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, color: str = "#888", dash: str = "") -> str:
    style = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{color}"{style}/>'
    )


def _short(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def bars(
    labels: Sequence[str], values: Sequence[float], *, title: str, number: str = "{:,.0f}"
) -> str:
    """Horizontal bars, one per label; negative values extend left of a zero line."""
    values = [float(v) for v in values]
    row, top, left, right = 18, 24, 230, 70
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0
    scale = (WIDTH - left - right) / span
    zero = left + (-low) * scale
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        x = zero + min(value, 0.0) * scale
        fill = NEGATIVE if value < 0 else BAR
        body.append(_text(left - 6, y + 12, _short(str(label)), "end"))
        body.append(_rect(x, y + 2, abs(value) * scale, row - 5, fill, f"{label}: {value:g}"))
        body.append(_text(max(x + abs(value) * scale, zero) + 4, y + 12, number.format(value)))
    body.append(_line(zero, top, zero, top + len(values) * row))
    return _svg(top + len(values) * row + 8, title, body)


def histogram(
    edges: Sequence[float],
    counts: Sequence[float],
    *,
    title: str,
    x_label: str,
    marker: tuple[str, float] | None = None,
    log: bool = False,
) -> str:
    """Vertical bars over bins (``len(edges) == len(counts) + 1``), with an optional marker
    line (a label and an x value, such as the threshold); ``log`` scales the heights as
    log10(1 + count)."""
    top, bottom, left, right, height = 24, 40, 50, 20, 200
    lo, hi = float(edges[0]), float(edges[-1])
    span = (hi - lo) or 1.0
    heights = [math.log10(1 + c) if log else float(c) for c in counts]
    tallest = max(heights, default=0.0) or 1.0
    plot_w = WIDTH - left - right

    def x_of(value: float) -> float:
        return left + (value - lo) / span * plot_w

    body = [_line(left, top + height, WIDTH - right, top + height)]
    for i, (h, c) in enumerate(zip(heights, counts, strict=True)):
        x0, x1 = x_of(edges[i]), x_of(edges[i + 1])
        bar = h / tallest * height
        tip = f"{edges[i]:g} to {edges[i + 1]:g}: {c:,.0f}"
        body.append(_rect(x0, top + height - bar, max(x1 - x0 - 1, 0.5), bar, BAR, tip))
    for tick in _ticks(lo, hi):
        body.append(_text(x_of(tick), top + height + 14, f"{tick:g}", "middle"))
    body.append(_text(left + plot_w / 2, top + height + 30, x_label, "middle"))
    scale = "log10(1 + count)" if log else "count"
    body.append(_text(WIDTH - 4, 14, f"tallest: {max(counts, default=0):,.0f} ({scale})", "end"))
    if marker is not None:
        label, value = marker
        x = x_of(min(max(value, lo), hi))
        body.append(_line(x, top, x, top + height, MARKER, "4 3"))
        body.append(_text(x + 3, top + 10, f"{label} {value:.4g}", extra=f' fill="{MARKER}"'))
    return _svg(top + height + bottom, title, body)


def _ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """About ``count`` round tick values between ``lo`` and ``hi``."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(f for f in (1, 2, 5, 10) if f * step >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def lines(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    y_range: tuple[float, float] | None = None,
    marker: tuple[str, float] | None = None,
) -> str:
    """Line series over shared x values, with a legend and an optional vertical marker."""
    top, bottom, left, right, height = 24, 40, 70, 130, 200
    xs = [float(v) for v in x]
    every = [float(v) for ys in series.values() for v in ys]
    lo_y, hi_y = y_range or (min(every, default=0.0), max(every, default=1.0))
    lo_x, hi_x = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span_x, span_y = (hi_x - lo_x) or 1.0, (hi_y - lo_y) or 1.0
    plot_w = WIDTH - left - right

    def at(px: float, py: float) -> str:
        sx = left + (px - lo_x) / span_x * plot_w
        sy = top + height - (py - lo_y) / span_y * height
        return f"{_n(sx)},{_n(sy)}"

    body = [
        _line(left, top + height, left + plot_w, top + height),
        _line(left, top, left, top + height),
        _text(left - 4, top + 8, f"{hi_y:.4g}", "end"),
        _text(left - 4, top + height, f"{lo_y:.4g}", "end"),
    ]
    for tick in _ticks(lo_x, hi_x):
        sx = left + (tick - lo_x) / span_x * plot_w
        body.append(_text(sx, top + height + 14, f"{tick:g}", "middle"))
    body.append(_text(left + plot_w / 2, top + height + 30, x_label, "middle"))
    for i, (name, ys) in enumerate(series.items()):
        color = SERIES[i % len(SERIES)]
        points = " ".join(at(px, float(py)) for px, py in zip(xs, ys, strict=True))
        body.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        body.append(_rect(left + plot_w + 12, top + i * 16 + 2, 10, 10, color))
        body.append(_text(left + plot_w + 26, top + i * 16 + 11, name))
    if marker is not None:
        label, value = marker
        sx = left + (min(max(value, lo_x), hi_x) - lo_x) / span_x * plot_w
        body.append(_line(sx, top, sx, top + height, MARKER, "4 3"))
        body.append(
            _text(sx + 3, top + height - 4, f"{label} {value:.4g}", extra=f' fill="{MARKER}"')
        )
    return _svg(top + height + bottom, title, body)


def waterfall(
    steps: Sequence[tuple[str, float]], *, title: str, total: str = "match weight"
) -> str:
    """A waterfall of additive contributions (label, bits), ending in their sum."""
    row, top, left, right = 18, 24, 230, 70
    running, spans = 0.0, []
    for label, value in steps:
        spans.append((label, running, running + value, value))
        running += value
    spans.append((total, 0.0, running, running))
    ends = [v for _, a, b, _ in spans for v in (a, b)]
    low, high = min([0.0, *ends]), max([0.0, *ends])
    scale = (WIDTH - left - right) / ((high - low) or 1.0)
    zero = left + (-low) * scale
    body = []
    for i, (label, start, end, value) in enumerate(spans):
        y = top + i * row
        x0 = zero + min(start, end) * scale
        last = i == len(spans) - 1
        fill = "#555" if last else (NEGATIVE if value < 0 else BAR)
        body.append(_text(left - 6, y + 12, _short(label), "end"))
        body.append(
            _rect(x0, y + 2, abs(end - start) * scale, row - 5, fill, f"{label}: {value:+.2f}")
        )
        body.append(_text(zero + max(start, end) * scale + 4, y + 12, f"{value:+.2f}"))
    body.append(_line(zero, top, zero, top + len(spans) * row))
    return _svg(top + len(spans) * row + 8, title, body)


def merge_tree(leaves: Sequence[str], unions: Sequence[tuple[int, int, str]], *, title: str) -> str:
    """A dendrogram of the unions that built an entity, in the order clustering made them.

    ``leaves`` label the members; each union ``(a, b, label)`` joins the components holding
    members ``a`` and ``b``. Leaves are laid out so every union's two sides sit side by side;
    leaf labels are drawn for up to 40 members.
    """
    parent = list(range(len(leaves)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order: dict[int, list[int]] = {i: [i] for i in range(len(leaves))}
    joins = []
    for a, b, label in unions:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        joins.append((ra, rb, label))
        parent[rb] = ra
        order[ra] = order[ra] + order.pop(rb)
    sequence = [leaf for group in sorted(order.values()) for leaf in group]
    labelled = len(leaves) <= 40
    row, top, left = 16, 24, 300 if labelled else 20
    level_w = min((WIDTH - left - 20) / max(len(joins), 1), 60.0)
    position = {leaf: top + i * row + row / 2 for i, leaf in enumerate(sequence)}
    x_at = dict.fromkeys(range(len(leaves)), float(left))
    body = []
    for leaf in sequence:
        if labelled:
            body.append(_text(left - 6, position[leaf] + 4, _short(leaves[leaf], 48), "end"))
    for step, (ra, rb, label) in enumerate(joins, start=1):
        x = left + step * level_w
        ya, yb = position[ra], position[rb]
        for y, node in ((ya, ra), (yb, rb)):
            body.append(_line(x_at[node], y, x, y, BAR))
        body.append(
            f'<line x1="{_n(x)}" y1="{_n(ya)}" x2="{_n(x)}" y2="{_n(yb)}" stroke="{BAR}">'
            f"<title>{escape(label)}</title></line>"
        )
        position[ra], x_at[ra] = (ya + yb) / 2, x
    return _svg(top + len(leaves) * row + 8, title, body)
