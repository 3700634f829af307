"""How objects show themselves in a notebook: one display mixin and one ``short()``.

:class:`DisplayMixin` is the one ``_repr_mimebundle_`` of the kit (runtime and notebook
layer): a class writes ``_mimebundle()`` (every representation it has) and the mixin honours
Jupyter's ``include``/``exclude``. Every bundle has a deterministic ``text/plain`` and a
``text/html`` in which all content is escaped (event attributes hold untrusted text: user
input, LLM output). Long values are cut by :func:`short`: these are overviews, not dumps.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

#: Longest value shown in a summary cell, in characters.
MAX_VALUE_CHARS = 120


def short(value: Any, limit: int = MAX_VALUE_CHARS, *, quote: bool = True) -> str:
    """``value`` on one line as compact JSON (non-JSON parts via ``str``), cut to ``limit``
    characters (the last one ``…``). Not escaped.

    ``quote=False`` shows a string as it is (newlines as spaces) instead of as a JSON string:
    for table cells whose column already says what they hold.
    """
    if isinstance(value, str) and not quote:
        text = value.replace("\n", " ")
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def select_mimetypes(
    bundle: dict[str, Any], include: Any = None, exclude: Any = None
) -> dict[str, Any]:
    """``bundle`` restricted to the mimetypes in ``include`` (all when ``None``) and without
    those in ``exclude``: what Jupyter asks of ``_repr_mimebundle_``."""
    return {
        mime: data
        for mime, data in bundle.items()
        if (include is None or mime in include) and (exclude is None or mime not in exclude)
    }


class DisplayMixin:
    """Gives a class ``_repr_mimebundle_`` from its ``_mimebundle()``, honouring
    ``include``/``exclude``."""

    __slots__ = ()  # slotted users (Event) stay without a __dict__

    def _mimebundle(self) -> dict[str, Any]:
        """Every representation of ``self``: mimetype -> data."""
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return select_mimetypes(self._mimebundle(), include, exclude)


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
