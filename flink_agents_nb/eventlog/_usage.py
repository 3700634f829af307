"""Token usage of a chunk's attributes: the frame's ``prompt_tokens``, ``completion_tokens``
and ``model`` columns. The rule is :func:`~flink_agents_nb.run._frames.find_token_usage`'s,
the one token search of the kit; this module gives its results column-wise.

Attributes still raw (:class:`~._attributes.Attributes`) are probed first, a whole chunk's in
one msgspec call per probe, decoding only the names the rule reads (no dicts built):

- :data:`_COUNTED`: a chat response as Flink Agents' chat models write it (the strict shape
  of :data:`_CHAT` below, with ``extra_args`` holding both counts as integers, the model
  name as a string or ``null``, nothing else but :data:`HARMLESS_EXTRAS`; tool calls
  allowed where their bytes cannot hold a usage name, see :func:`_checked`): the counts
  come straight out as numbers, no table of names. It reads the chunk's chat responses
  (told by their event type, see :func:`raw_usage_columns`) in one call; when one of them
  differs, they all go to the two probes below, as the other records do;
- :data:`_TOP`: the usage names at the top level (ours, flat and OpenTelemetry records);
  where a count is there, the rule stops there, whatever else the attributes hold;
- :data:`_CHAT`: a chat response ``{"request_id", "response": {"role", "content",
  "tool_calls": [], "extra_args": {...}}, "retry_count", "total_retry_wait_sec"}`` (Flink
  Agents 0.3.1 and 0.4, ours; the retry fields optional scalars), strictly:
  no other name and nothing nested but ``response`` and ``extra_args``, so the rule reaches
  ``extra_args`` whatever the order of the names, and finds the counts there.

Only the rest (other shapes, or no count where a probe looked) is searched one by one, its
attributes decoded for the search and not kept in the cell.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from operator import attrgetter, is_not
from typing import Annotated, Any, Union

import msgspec
import numpy as np
from msgspec.structs import astuple
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog._attributes import _DECODE_ERRORS, TOKENS, Attributes, _decode
from flink_agents_nb.eventlog.columns._arrays import addresses, objects, to_float
from flink_agents_nb.run._frames import (
    COMPLETION_NAMES,
    MODEL_NAMES,
    PROMPT_NAMES,
    find_token_usage,
)

_UNSET = msgspec.UNSET
_NAMES = (*PROMPT_NAMES, *COMPLETION_NAMES, *MODEL_NAMES)
#: The rule's names at one level: each decoded as it is when present, else ``UNSET``.
_Level: Any = msgspec.defstruct(
    "_Level",
    [(f"f{j}", Any, msgspec.field(default=_UNSET, name=name)) for j, name in enumerate(_NAMES)],
    gc=False,
)
_Scalar = Union[str, int, float, bool, None]  # noqa: UP007 - a runtime type for msgspec


class _Message(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A chat response's message with nothing nested but ``extra_args`` (an empty
    ``tool_calls`` holds nothing to search)."""

    extra_args: _Level
    role: _Scalar = None
    content: _Scalar = None
    tool_calls: Annotated[tuple[Any, ...], msgspec.Meta(max_length=0)] = ()


class _Chat(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A chat response event's attributes with nothing nested but its message."""

    response: _Message
    request_id: _Scalar = None
    retry_count: _Scalar = None  # Flink Agents 0.3.1 writes both beside the response
    total_retry_wait_sec: _Scalar = None


#: Names that Flink Agents' chat models may add to ``extra_args`` beside the counts and
#: the model name (Ollama's and Tongyi's ``reasoning``, the ReAct agent's structured output,
#: Anthropic's content blocks, OpenAI's refusal): not the rule's names, so where the counts
#: sit beside them they change nothing (read undecoded).
HARMLESS_EXTRAS = ("reasoning", "structured_output", "anthropic_content_blocks", "refusal")


class _Counts(msgspec.Struct, gc=False, kw_only=True, forbid_unknown_fields=True):
    """``extra_args`` as Flink Agents' chat models write them (in their order)."""

    model_name: str | None = None
    promptTokens: int
    completionTokens: int


class _CountsAndExtras(_Counts, kw_only=True, forbid_unknown_fields=True):
    """:class:`_Counts` and :data:`HARMLESS_EXTRAS` (a field each costs its default in
    every struct made: tried second)."""

    reasoning: msgspec.Raw = msgspec.Raw(b"null")
    structured_output: msgspec.Raw = msgspec.Raw(b"null")
    anthropic_content_blocks: msgspec.Raw = msgspec.Raw(b"null")
    refusal: msgspec.Raw = msgspec.Raw(b"null")


class _CountedMessage(msgspec.Struct, gc=False, kw_only=True, forbid_unknown_fields=True):
    """:class:`_Message` with :class:`_Counts` (fields in the writers' order)."""

    role: _Scalar = None
    content: _Scalar = None
    tool_calls: tuple[()] = ()
    extra_args: _Counts


class _Counted(msgspec.Struct, gc=False, kw_only=True, forbid_unknown_fields=True):
    """:class:`_Chat` with :class:`_CountedMessage`."""

    request_id: _Scalar = None
    response: _CountedMessage
    retry_count: _Scalar = None
    total_retry_wait_sec: _Scalar = None


class _CallsMessage(_CountedMessage, kw_only=True, forbid_unknown_fields=True):
    """:class:`_CountedMessage` with tool calls (their bytes checked, see :func:`_checked`)
    and :data:`HARMLESS_EXTRAS`."""

    tool_calls: tuple[msgspec.Raw, ...] = ()  # type: ignore[assignment]  # (wider)
    extra_args: _CountsAndExtras


class _CountedCalls(_Counted, kw_only=True, forbid_unknown_fields=True):
    """:class:`_Counted` with :class:`_CallsMessage`."""

    response: _CallsMessage


#: Chat responses without tool calls and extras (tried first: no check of the calls
#: needed, no extra defaults filled), and with any.
_COUNTED: Callable[[bytes], list[Any]] = msgspec.json.Decoder(list[_Counted]).decode
_COUNTED_CALLS: Callable[[bytes], list[Any]] = msgspec.json.Decoder(list[_CountedCalls]).decode
_TOP = msgspec.json.Decoder(list[_Level]).decode
_CHATS = msgspec.json.Decoder(list[_Chat]).decode
_CHAT = msgspec.json.Decoder(_Chat).decode
_EXTRA = attrgetter("response.extra_args")
_RAW = attrgetter("_raw")
_PROMPT = attrgetter("promptTokens")
_COMPLETION = attrgetter("completionTokens")
_MODEL = attrgetter("model_name")
_CALLS = attrgetter("response.tool_calls")


def _counted(raws: list[Any]) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """Which of ``raws`` (JSON objects) the :data:`_COUNTED` probe answers (all, unless some
    have tool calls, see :func:`_checked`), and the prompt and completion counts (float64)
    and models (object) there, by row; ``None`` when not all are of its shape. What the
    rule finds there: both counts beside the model name in ``extra_args``, and nothing
    above or before them that it would read first."""
    n = len(raws)
    array = b"[" + b",".join(raws) + b"]"
    calls = None
    try:
        try:
            chats = _COUNTED(array)
        except msgspec.ValidationError:  # tool calls or extras in some? (or another shape)
            chats = _COUNTED_CALLS(array)
            calls = np.flatnonzero(np.fromiter(map(len, map(_CALLS, chats)), np.intp, n))
        extras = list(map(_EXTRA, chats))
        values = [
            np.fromiter(map(_PROMPT, extras), np.float64, n),
            np.fromiter(map(_COMPLETION, extras), np.float64, n),
            np.fromiter(map(_MODEL, extras), object, n),
        ]
    except (msgspec.DecodeError, OverflowError):  # another shape; a count beyond float64
        return None
    answered = np.ones(n, dtype=bool)
    for i in () if calls is None else calls.tolist():
        answered[i] = _checked(bytes(raws[i]))
    return answered, values


def _checked(raw: bytes) -> bool:
    """Whether the rule finds nothing in a :data:`_COUNTED` chat response's tool calls: no
    usage name there. Every count name holds :data:`~._attributes.TOKENS`; with no ``\\u``
    escape in the bytes every name is spelled out, so the two in ``extra_args`` are the
    only ones when the bytes hold it twice (the rule reads a model name only beside
    counts)."""
    return raw.count(TOKENS) == 2 and b"\\u" not in raw


def _level_usage(levels: list[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Where the rule finds counts in ``levels`` (decoded :data:`_Level` structs), and the
    prompt, completion and model found there (object arrays, by row)."""
    n = len(levels)
    table = to_object_array_tuples(list(map(astuple, levels))).reshape(n, len(_NAMES))
    given = addresses(table.ravel()).reshape(table.shape) != id(_UNSET)
    out = []
    start = 0
    for names in (PROMPT_NAMES, COMPLETION_NAMES, MODEL_NAMES):
        value = np.full(n, None, dtype=object)
        pending = np.ones(n, dtype=bool)
        for j in range(start, start + len(names)):  # the first name present (the model:
            take = pending & given[:, j]  # the first that is a str)
            if not take.any():
                continue
            got = table[:, j]
            if names is MODEL_NAMES:
                kinds = np.fromiter(map(type, got.tolist()), dtype=object, count=n)
                take &= addresses(kinds) == id(str)
            if take.all():  # the usual: one spelling in every row
                value = got.copy()
                break
            value[take] = got[take]
            pending &= ~take
        start += len(names)
        out.append(value)
    prompt, completion, _ = out
    found = (addresses(prompt) != id(None)) | (addresses(completion) != id(None))
    return found, out


def _chats(raws: list[bytes]) -> list[Any] | None:
    """``raws`` decoded as :class:`_Chat` (``None`` for those of another shape), or ``None``
    when none is."""
    try:
        return _CHATS(b"[" + b",".join(raws) + b"]")  # one call when all are (the usual)
    except msgspec.DecodeError:  # some are of another shape: one by one
        pass
    decoded: list[Any] = []
    for raw in raws:
        try:
            decoded.append(_CHAT(raw))
        except msgspec.DecodeError:
            decoded.append(None)
    return decoded if decoded.count(None) < len(decoded) else None


def _fill(found: np.ndarray, values: list[np.ndarray], rows: np.ndarray, levels: list[Any]) -> None:
    """Note the counts the rule finds in ``levels`` (one per row of ``rows``)."""
    hit, got = _level_usage(levels)
    at = rows[hit]
    for column, level_values in zip(values, got, strict=True):
        column[at] = level_values[hit]
    found[at] = True


def _probe(raws: list[bytes], array: bytes) -> tuple[np.ndarray, list[np.ndarray]]:
    """Where the probes found the rule's counts in ``raws`` (JSON objects; ``array``: them
    as one JSON array), and the prompt, completion and model there (object arrays). The
    chat shape first (it has no counts at the top level: no need to look there), then the
    top level, then the chat shape one by one for the rest."""
    n = len(raws)
    found = np.zeros(n, dtype=bool)
    values = [np.full(n, None, dtype=object) for _ in range(3)]
    rows = np.arange(n)
    try:
        chats = _CHATS(array)
    except msgspec.DecodeError:
        pass
    else:  # counts not in extra_args: the rule looks deeper (searched one by one)
        _fill(found, values, rows, list(map(_EXTRA, chats)))
        return found, values
    try:
        _fill(found, values, rows, _TOP(array))
    except msgspec.DecodeError:  # not all JSON objects (never the reader's cells)
        return found, values
    rows = np.flatnonzero(~found)
    if len(rows):
        decoded = _chats(list(map(raws.__getitem__, rows.tolist())))
        if decoded is not None:
            fits = np.fromiter(map(is_not, decoded, repeat(None)), dtype=bool, count=len(rows))
            extras = list(map(_EXTRA, [d for d in decoded if d is not None]))
            _fill(found, values, rows[fits], extras)
    return found, values


def _numbers(values: np.ndarray) -> np.ndarray:
    """:func:`to_float` of each of ``values`` (an object array): at C speed when all are
    ints, floats or ``None`` (what counts are), else one by one."""
    kinds = addresses(np.fromiter(map(type, values.tolist()), dtype=object, count=len(values)))
    if ((kinds == id(int)) | (kinds == id(float)) | (kinds == id(type(None)))).all():
        try:
            return np.array(values.tolist(), dtype=np.float64)  # None: NaN
        except OverflowError:
            pass
    return np.array([to_float(v) for v in values.tolist()], dtype=np.float64)


def _empty(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.full(n, np.nan), np.full(n, np.nan), np.full(n, None, dtype=object)


def _searched(
    columns: tuple[np.ndarray, np.ndarray, np.ndarray], at: np.ndarray, nodes: Any
) -> None:
    """Search ``nodes`` (one per row of ``at``) one by one; note what is found."""
    usages = list(map(find_token_usage, nodes))
    hits = [k for k, usage in enumerate(usages) if usage is not None]
    if hits:
        found = [u for u in usages if u is not None]
        prompt, completion, model = columns
        at = at[hits]
        prompt[at] = [to_float(u[0]) for u in found]
        completion[at] = [to_float(u[1]) for u in found]
        model[at] = objects([u[2] for u in found])


def _decoded(raw: Any) -> Any:
    """A raw JSON object decoded for the search (what :func:`contents` gives its cell)."""
    try:
        return _decode(raw)
    except _DECODE_ERRORS:
        return None


def raw_usage_columns(
    n: int, rows: np.ndarray, raws: list[Any], chat: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token usage of ``n`` rows, of which only ``rows`` may have some: those whose
    attributes are the JSON objects ``raws`` (bytes-like, one per row of ``rows``; those of
    the other rows do not mention tokens, or are not objects). Prompt and completion tokens
    (float64, NaN where none) and the model named beside them (object). The probes answer
    first (see the module docstring); the rest is decoded and searched one by one.

    ``chat``: which of ``rows`` are chat responses (bool, by event type; a hint: the
    results are the same), those the :data:`_COUNTED` probe tries alone, so that a chunk
    also holding other records (chat requests carrying a history...) still has its chat
    responses read by it. ``None``: it tries them all."""
    columns = _empty(n)
    if not len(rows):
        return columns
    rows = np.asarray(rows, dtype=np.intp)
    left = np.ones(len(rows), dtype=bool)  # not answered yet
    tried = np.flatnonzero(chat) if chat is not None else np.arange(len(rows))
    if len(tried):
        counted = _counted(raws if len(tried) == len(rows) else _pick(raws, tried))
        if counted is not None:  # the usual chunk: chat responses only, all as written
            answered, values = counted
            for column, got in zip(columns, values, strict=True):
                column[rows[tried[answered]]] = got[answered]
            left[tried[answered]] = False
    if left.all():
        _probed(columns, rows, raws)
    elif left.any():
        at = np.flatnonzero(left)
        _probed(columns, rows[at], _pick(raws, at))
    return columns


def _pick(raws: list[Any], at: np.ndarray) -> list[Any]:
    return list(map(raws.__getitem__, at.tolist()))


def _probed(
    columns: tuple[np.ndarray, np.ndarray, np.ndarray], rows: np.ndarray, raws: list[Any]
) -> None:
    """Note the usage of ``rows`` (attributes ``raws``) that the two probes find, and
    what the search finds in the rest."""
    found, (p, c, m) = _probe(raws, b"[" + b",".join(raws) + b"]")
    prompt, completion, model = columns
    hit = rows[found]
    prompt[hit] = _numbers(p[found])
    completion[hit] = _numbers(c[found])
    model[hit] = m[found]
    rest = np.flatnonzero(~found)
    if len(rest):
        _searched(columns, rows[rest], map(_decoded, _pick(raws, rest)))


def usage_columns(
    attrs: np.ndarray, is_event: np.ndarray, rows: list[int] | np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token usage of the event rows among ``rows`` (all rows when ``None``; ``rows`` are
    those whose text mentions tokens) of the attributes ``attrs`` (dicts, or
    :class:`~._attributes.Attributes`: those are read by :func:`raw_usage_columns`, and
    stay undecoded): as :func:`raw_usage_columns`."""
    n = len(attrs)
    at = np.flatnonzero(is_event) if rows is None else np.asarray(rows, dtype=np.intp)
    at = at[is_event[at]]
    if not len(at):
        return _empty(n)
    searched = attrs[at].tolist()
    lazy = np.fromiter(map(type, searched), dtype=object, count=len(at))
    lazy = addresses(lazy) == id(Attributes)
    if not lazy.any():
        columns = _empty(n)
    else:
        cells = [cell for cell, is_lazy in zip(searched, lazy.tolist(), strict=True) if is_lazy]
        columns = raw_usage_columns(n, at[lazy], list(map(_RAW, cells)))
    if not lazy.all():
        _searched(columns, at[~lazy], attrs[at[~lazy]].tolist())
    return columns
