"""The report's page: one self-contained HTML file (inline CSS and SVG, no script, no fetch)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from linkage.charts import escape

STYLE = """
body{font-family:sans-serif;font-size:14px;margin:0 auto;max-width:980px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:32px}
h3{font-size:15px;margin-top:20px}
table{border-collapse:collapse;margin:8px 0;font-size:12px}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right}
figure{margin:12px 0}figcaption{font-size:12px;color:#555}
nav a{margin-right:12px}.note{color:#555;font-size:12px}.warn{color:#a33}
"""


def cell(value: Any) -> str:
    """One table cell: numbers right-aligned and grouped, missing values empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "<td></td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int):
        return f'<td class="n">{value:,}</td>'
    if isinstance(value, float):
        return f'<td class="n">{value:.4g}</td>'
    return f"<td>{escape(str(value))}</td>"


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An HTML table of plain values."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def frame_table(frame: pd.DataFrame) -> str:
    """An HTML table of a (small) DataFrame."""
    rows = [[_plain(v) for v in row] for row in frame.itertuples(index=False)]
    return table([str(c) for c in frame.columns], rows)


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, for :func:`cell`."""
    return value.item() if hasattr(value, "item") else value


def figure(name: str, svg: str, caption: str = "") -> str:
    """A chart with its caption; ``data-chart`` names it for tests and readers."""
    text = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart" data-chart="{escape(name)}">{svg}{text}</figure>'


def paragraph(text: str, css: str = "") -> str:
    """A paragraph of escaped text."""
    klass = f' class="{css}"' if css else ""
    return f"<p{klass}>{escape(text)}</p>"


def section(key: str, title: str, parts: Iterable[str]) -> tuple[str, str, str]:
    """A report section: (anchor, title, HTML)."""
    body = "".join(parts)
    return key, title, f'<section id="{key}"><h2>{escape(title)}</h2>{body}</section>'


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole HTML document."""
    nav = "".join(f'<a href="#{key}">{escape(name)}</a>' for key, name, _ in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{paragraph(subtitle, 'note')}<nav>{nav}</nav>"
        + "".join(html for _, _, html in sections)
        + "</body></html>\n"
    )
