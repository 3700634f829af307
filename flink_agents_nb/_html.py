"""HTML helpers for the notebook views. Event content is untrusted: everything is escaped.

Every function here returns HTML in which any text taken from records, keys, names or values
has gone through :func:`html.escape` (quotes included), so ``<script>`` or ``onerror=`` in an
LLM answer shows as text and never runs.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flink_agents_runtime._display import short

#: Longest text shown for one value in a table cell (the detail pane shows it all).
CELL_CHARS = 200


def esc(value: Any) -> str:
    """``value`` as text, HTML-escaped (quotes too)."""
    return html.escape(value if isinstance(value, str) else str(value), quote=True)


def to_json(value: Any, indent: int | None = 2) -> str:
    """``value`` as JSON text (mappings as objects, other non-JSON values via ``str``), not
    escaped."""
    return json.dumps(value, indent=indent, default=_jsonable, ensure_ascii=False, sort_keys=False)


def _jsonable(value: Any) -> Any:
    """A mapping (lazily decoded event-log attributes: a new dict, not kept in the cell) as
    a dict, anything else as text."""
    if isinstance(value, Mapping):
        return value.to_dict() if hasattr(value, "to_dict") else dict(value)
    return str(value)


def json_block(value: Any, summary: str = "attributes", open_: bool = True) -> str:
    """A collapsible ``<details>`` holding ``value`` as escaped, indented JSON."""
    opened = " open" if open_ else ""
    return (
        f"<details{opened}><summary>{esc(summary)}</summary>"
        f"<pre class='fanb-json'>{esc(to_json(value))}</pre></details>"
    )


def table(
    rows: Iterable[Mapping[str, Any]] | Iterable[Sequence[Any]],
    columns: Sequence[str],
    *,
    highlight: Iterable[int] = (),
    cls: str = "fanb-table",
) -> str:
    """An HTML table; cells are cut with :func:`short` and escaped. Row indices in
    ``highlight`` get ``class='fanb-hl'``."""
    marked = set(highlight)
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        values = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
        cells = "".join(
            f"<td>{esc(short(v, CELL_CHARS, quote=False)) if v is not None else ''}</td>"
            for v in values
        )
        attr = " class='fanb-hl'" if i in marked else ""
        body.append(f"<tr{attr}>{cells}</tr>")
    return (
        f"<table class='{esc(cls)}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Leaf ``(dotted path, value)`` pairs of nested dicts (an empty dict is a leaf)."""
    if isinstance(value, Mapping) and value:
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out.extend(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return [(prefix, value)] if prefix else []


#: The views' shared style. JupyterLab right-aligns every cell of HTML output
#: (``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td``, two classes): the doubled
#: ``table.fanb-table.fanb-table`` outranks it so text reads left-aligned; ``td.fanb-num``
#: right-aligns numbers.
STYLE = """<style>
.fanb-table{border-collapse:collapse;font-size:12px;font-family:monospace}
.fanb-table td,.fanb-table th{border:1px solid #ddd;padding:2px 6px;text-align:left;
 vertical-align:top;max-width:480px;overflow:hidden}
.fanb-table th{background:#f3f3f3}.fanb-hl{background:#fff3b0}
table.fanb-table.fanb-table td,table.fanb-table.fanb-table th{text-align:left}
table.fanb-table.fanb-table td.fanb-num{text-align:right}
.fanb-json{font-size:12px;max-height:320px;overflow:auto;margin:2px 0}
.fanb-muted{color:#777}.fanb-bad{color:#b00}
</style>"""


def mimebundle(text: str, body_html: str) -> dict[str, str]:
    """A display bundle: ``text/plain`` as given, ``text/html`` as given (already escaped)."""
    return {"text/plain": text, "text/html": body_html}
