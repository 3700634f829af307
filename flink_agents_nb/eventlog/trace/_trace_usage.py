"""Token usage of a 0.4 trace chunk's chat responses, read by one typed decode.

A Flink Agents 0.4 ``_chat_response_event`` record carries its usage at
``attributes.response.extra_args`` (``promptTokens``, ``completionTokens``; the ``llm``
records carry none). The general search (:func:`._usage.usage_columns`) decodes each such
record's attributes into dicts and walks them: ~2 µs a record. Here the attributes of every
candidate row of a chunk are decoded in one msgspec call into small structs that accept
exactly that common shape, and the counts are read column-wise.

The shape accepted (anything else, and a shape where the search would look elsewhere,
falls back to :func:`._usage.usage_columns` for that row): an object holding ``response``
and at most ``request_id`` (a string); ``response`` holding ``extra_args`` (an object) and
at most ``role`` and ``content`` (strings) and an empty ``tool_calls`` list. The search
finds no usage or model name above ``extra_args`` then and reaches it with no nested value
before it, so it reads ``extra_args`` as :func:`._shapes.find_token_usage_flat` does: the
first present name of each list (even when its value is ``null``), the first model name
holding a string. When both counts are ``null`` or absent the search would go deeper: that
row falls back too. Results equal the search's (tests compare the typed and general paths).
"""

from __future__ import annotations

from operator import attrgetter
from typing import Annotated, Any

import msgspec
import numpy as np
from msgspec.structs import astuple
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog._arrays import addresses, to_float
from flink_agents_nb.eventlog._usage import usage_columns
from flink_agents_nb.run._frames import _COMPLETION, _MODEL, _PROMPT

_UNSET: Any = msgspec.UNSET
#: ``extra_args``: every usage and model name (any JSON value, unset when absent); other
#: names are ignored (the search reads these only).
_NAMES = (*_PROMPT, *_COMPLETION, *_MODEL)
_Extra = msgspec.defstruct(
    "_Extra",
    [(f"f{j}", Any, msgspec.field(default=_UNSET, name=name)) for j, name in enumerate(_NAMES)],
    gc=False,
)


class _Response(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    extra_args: _Extra  # type: ignore[valid-type]  # made by defstruct
    role: str | None = None
    content: str | None = None
    tool_calls: Annotated[list[Any], msgspec.Meta(max_length=0)] = []


class _Attributes(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    response: _Response
    request_id: str | None = None


_decode_all = msgspec.json.Decoder(list[_Attributes]).decode
_decode_one = msgspec.json.Decoder(_Attributes).decode
_extra_of = attrgetter("response.extra_args")
_P, _C = len(_PROMPT), len(_COMPLETION)


def _decoded(raws: list[Any]) -> list[Any]:
    """Each raw JSON value as :class:`_Attributes`, ``None`` where it is not that shape."""
    try:
        return _decode_all(b"[%b]" % b",".join(raws))
    except msgspec.DecodeError:
        pass
    out: list[Any] = []
    for raw in raws:  # a chunk mixing shapes: one by one
        try:
            out.append(_decode_one(raw))
        except msgspec.DecodeError:
            out.append(None)
    return out


def _first(table: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Per row, the value of the first column where ``given``, else ``None``."""
    values = table[np.arange(len(table)), given.argmax(axis=1)]
    values[~given.any(axis=1)] = None
    return values


def _floats(values: np.ndarray) -> np.ndarray:
    """:func:`to_float` of each value (float64): numpy's cast of objects is ``float()``
    (``None``: NaN), what it cannot cast goes one by one."""
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        return np.fromiter(map(to_float, values.tolist()), np.float64, len(values))


def trace_usage(
    attrs: np.ndarray, raws: list[Any], is_event: np.ndarray, mentions: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prompt and completion tokens (float64, NaN where none) and the model named beside
    them (object) of the rows of a trace chunk: as :func:`._usage.usage_columns` ``(attrs,
    is_event, rows where mentions)`` gives them. ``raws``: the rows' attributes as raw JSON
    (valid while the chunk's buffer is), ``attrs`` their cells; ``mentions``: where their
    bytes mention tokens."""
    n = len(attrs)
    rows = np.flatnonzero(mentions & is_event)
    if not len(rows):
        return np.full(n, np.nan), np.full(n, np.nan), np.full(n, None, dtype=object)
    decoded = _decoded([raws[i] for i in rows.tolist()])
    if None in decoded:
        shaped = np.fromiter((d is not None for d in decoded), bool, len(decoded))
        decoded = [d for d in decoded if d is not None]
    else:
        shaped = np.ones(len(rows), dtype=bool)
    ok = rows[shaped]
    prompt = completion = model = np.zeros(0, dtype=object)
    counted = np.zeros(0, dtype=bool)
    if len(decoded):
        extras = list(map(_extra_of, decoded))
        table = to_object_array_tuples(list(map(astuple, extras))).reshape(len(extras), len(_NAMES))
        given = addresses(table.reshape(-1)).reshape(table.shape) != id(_UNSET)
        prompt = _first(table[:, :_P], given[:, :_P])
        completion = _first(table[:, _P : _P + _C], given[:, _P : _P + _C])
        names = table[:, _P + _C :]
        named = given[:, _P + _C :]
        if named.any():  # a model name given: the first holding a string
            kinds = np.fromiter(map(type, names.reshape(-1).tolist()), object, names.size)
            model = _first(names, (kinds == str).reshape(names.shape))  # noqa: E721
        else:
            model = np.full(len(extras), None, dtype=object)
        counted = (addresses(prompt) != id(None)) | (addresses(completion) != id(None))
    rest = np.concatenate([rows[~shaped], ok[~counted]])  # the search decides these
    prompts, completions, models = usage_columns(attrs, is_event, np.sort(rest))
    done = ok[counted]
    if len(done):
        prompts[done] = _floats(prompt[counted])
        completions[done] = _floats(completion[counted])
        models[done] = model[counted]
    return prompts, completions, models
