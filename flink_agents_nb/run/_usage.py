"""Which action a token count is credited to: one rule for every view.

Every event that carries token counts (a chat response, or a user event with Flink Agents'
``promptTokens``/``completionTokens`` or OpenTelemetry's ``gen_ai.usage.*`` names) is one
usage row with two action columns:

- ``action``: the action that *asked* for the tokens: the chat request's sender
  (``requested_by`` on a ``_chat_response_event``), else the action that sent the event;
- ``model_action``: the action that called the model and sent the event carrying the counts
  (``chat_model_action`` for the built-in chat loop). Flink Agents' metrics
  (``action.<model_action>.model.<model>.promptTokens``) are counted in this action's group.

``run.token_usage()``, the token chart, the dashboard's token and cost panels and the report
all build on :func:`usage_rows`. Counts of a tool request's own model call (``call_usage``)
are part of the final response's totals and are not counted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from flink_agents_nb.run._frames import RECORD_COLUMNS, token_usage_of

USAGE_ROW_COLUMNS = ("model", "action", "model_action", "prompt_tokens", "completion_tokens")
UNKNOWN = "(unknown)"


def usage_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per token-carrying event of a record frame: :data:`USAGE_ROW_COLUMNS` plus
    ``row`` (the frame row's position, for times)."""
    is_event = (frame["record_type"] == "event").to_numpy()
    has = (frame["prompt_tokens"].notna() | frame["completion_tokens"].notna()).to_numpy()
    pos = np.flatnonzero(is_event & has)
    ev = frame.iloc[pos]
    upstream = ev["upstream_action"].astype(object).where(ev["upstream_action"].notna(), None)
    requested = [
        a.get("requested_by") if isinstance(a, Mapping) else None for a in ev["attributes"]
    ]
    model_action = [str(u) if u is not None else "(input)" for u in upstream]
    action = [str(r) if r else m for r, m in zip(requested, model_action, strict=True)]
    return pd.DataFrame(
        {
            "model": ev["model"].fillna(UNKNOWN).astype(str).to_numpy(),
            "action": action,
            "model_action": model_action,
            "prompt_tokens": ev["prompt_tokens"].fillna(0).to_numpy(dtype=np.int64),
            "completion_tokens": ev["completion_tokens"].fillna(0).to_numpy(dtype=np.int64),
            "row": pos,
        }
    )


def _event_fields(rec: Any) -> tuple[Any, Any, Any]:
    """``(event type, attributes, upstream action)`` of a record in any accepted shape."""
    if hasattr(rec, "event") and hasattr(rec.event, "attributes"):  # runtime EventRecord
        ev = rec.event
        return ev.type, ev.attributes, ev.upstream_action_name
    if isinstance(rec, Mapping):
        nested = rec.get("event")
        ev = nested if isinstance(nested, Mapping) else rec
        etype = ev.get("eventType") or ev.get("event_type") or ev.get("type")
        attrs = ev.get("eventAttributes") or ev.get("attributes") or {}
        upstream = (
            ev.get("upstreamActionName") or ev.get("upstream_action") or rec.get("upstream_action")
        )
        return etype, dict(attrs) if isinstance(attrs, Mapping) else {}, upstream
    return None, {}, None


def frame_of_records(records: Iterable[Any]) -> pd.DataFrame:
    """A minimal record frame (event rows only) from records in any accepted shape: runtime
    event records, flat log records (``eventAttributes``) or nested ones (``event``)."""
    rows = []
    for rec in records:
        etype, attrs, upstream = _event_fields(rec)
        if etype is None:
            continue
        prompt, completion, model = token_usage_of(attrs)
        rows.append(
            {
                "record_type": "event",
                "event_type": etype,
                "upstream_action": upstream,
                "attributes": attrs,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "model": model,
            }
        )
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
