"""How runtime objects show themselves in a notebook: ``_repr_mimebundle_`` helpers.

Every bundle has a deterministic ``text/plain`` and an ``text/html`` in which all content is
escaped (event attributes hold untrusted text: user input, LLM output). Long values are cut
to a compact summary: these are overviews, not dumps.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

#: Longest value shown in a summary cell, in characters.
MAX_VALUE_CHARS = 120


def short(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """``value`` as compact JSON (``repr`` if not JSON), cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "") -> str:
    """An HTML table with every header and cell escaped."""
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td><code>{html.escape(str(c))}</code></td>" for c in row) + "</tr>"
        for row in rows
    )
    cap = f"<b>{html.escape(caption)}</b>" if caption else ""
    return f"<div>{cap}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def text_table(rows: Iterable[Sequence[Any]], caption: str = "") -> str:
    """Rows as aligned plain text (two columns or more), under ``caption``."""
    rows = [[str(c) for c in row] for row in rows]
    lines = [caption] if caption else []
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=False)]
            lines.append("  " + "  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def bundle(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, str]:
    """A mimebundle showing ``rows`` under ``caption`` as text and as an escaped table."""
    return {
        "text/plain": text_table(rows, caption),
        "text/html": html_table(headers, rows, caption),
    }
