"""Attributes kept as their JSON text until used: the ``attributes`` cells of a log read.

Building a dict (and the dicts and lists inside it) for every record of a million-record
log costs more than reading everything else in it, and most views look at a few records'
attributes only. The reader's typed path therefore keeps each record's attributes as the
bytes of their JSON object and the frame's ``attributes`` column holds an
:class:`Attributes` for each: a read-only :class:`~collections.abc.Mapping` that decodes its
bytes the first time it is looked into, and keeps the result.

Contract (tests in ``tests/notebook/test_lazy_attributes.py``):

- a ``Mapping[str, Any]``: ``a["k"]``, ``a.get``, ``in``, ``len``, iteration, ``keys``/
  ``items``/``values``; ``dict(a)``, ``{**a}`` and :meth:`Attributes.to_dict` give a plain
  dict (``to_dict``: a new one each call, nested values included);
- ``==`` compares contents with any mapping (a dict, another :class:`Attributes`); not
  hashable (as a dict);
- ``repr``/``str`` are the dict's;
- picklable (as its JSON bytes: cheap, and what is unpickled decodes lazily again);
- its bytes are JSON, decoded by msgspec's JSON decoder: nothing in them can run code;
- bytes that are not a JSON object (never the case for what the reader builds: msgspec
  validated them while reading the line, and a malformed line is a problem of the read) read
  as an empty mapping and never raise; :attr:`Attributes.problem` says why.

Values inside are plain JSON values (dict, list, str, int, float, bool, None); mutating a
nested one changes what later lookups see, as with the dicts of the general path. The empty
attributes ``{}`` are one shared cell (:data:`EMPTY`). An ended action of a 0.4 trace log
gets a :class:`SentAttributes` (its own attributes and the ids of the events it sent, made on
first use), under the same contract.

It is not a ``dict``: code that checks ``isinstance(x, dict)`` should check ``Mapping``
(the kit's views do), and JSON encoders need it as a dict (``json.dumps(x, default=dict)``;
the kit's ``to_json``/``encode_value`` helpers do that). pandas prints a cell as the dict
and ``DataFrame.to_json`` writes it as an object (``toDict``); numpy would take it for a
sequence of its keys in ``np.array([...])``: build object arrays with ``np.fromiter``;
pyarrow (``to_parquet``) takes dicts only: ``frame["attributes"].map(dict)``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from itertools import repeat
from typing import Any

import msgspec
import numpy as np

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.encode
_DECODE_ERRORS = (msgspec.DecodeError, RecursionError, TypeError, ValueError)
#: A cell not decoded yet (``_value`` slot).
_UNDECODED: Any = object()


class _DictLike(Mapping[str, Any]):
    """What a lazy cell shares: read-only ``Mapping`` access to the dict :meth:`_data`
    makes (once; the subclass keeps it), printed as that dict, compared by contents, not
    hashable (as a dict: contents can change)."""

    __slots__ = ()

    def _data(self) -> dict[str, Any]:
        raise NotImplementedError

    def toDict(self) -> dict[str, Any]:
        """The contents (``DataFrame.to_json`` writes an object as what this returns)."""
        return self._data()

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def keys(self) -> Any:
        return self._data().keys()

    def items(self) -> Any:
        return self._data().items()

    def values(self) -> Any:
        return self._data().values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return self._data() == other
        if isinstance(other, Mapping):
            return self._data() == dict(other.items())
        return NotImplemented

    #: Not an iterator (``next(a)`` raises ``TypeError``, ``isinstance(a, Iterator)`` is
    #: false); present so that pandas prints a cell as the dict (its printer shows anything
    #: else with a length as a tuple of its keys: ``(input)``).
    __next__ = None

    def __or__(self, other: Any) -> dict[str, Any]:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {**self._data(), **other}

    def __ror__(self, other: Any) -> dict[str, Any]:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {**other, **self._data()}

    def __repr__(self) -> str:
        return repr(self._data())


class Attributes(_DictLike):
    """A record's attributes, decoded from JSON bytes on first access (see the module
    docstring). ``raw``: the bytes of one JSON object."""

    __slots__ = ("_raw", "_value")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._value = _UNDECODED

    def _data(self) -> dict[str, Any]:
        value = self._value
        if value is _UNDECODED:
            try:
                value = _decode(self._raw)
            except _DECODE_ERRORS:
                value = None
            if type(value) is not dict:
                value = {}
            self._value = value
        return value

    @property
    def raw(self) -> bytes:
        """The JSON bytes (compact or not, as the log had them)."""
        return self._raw

    @property
    def decoded(self) -> bool:
        """Whether the bytes were decoded already (by a lookup)."""
        return self._value is not _UNDECODED

    @property
    def problem(self) -> str | None:
        """Why the bytes read as an empty mapping (not a JSON object), else ``None``."""
        try:
            value = _decode(self._raw)
        except _DECODE_ERRORS as exc:
            return f"attributes are not valid JSON ({exc})"
        return None if type(value) is dict else "attributes are not a JSON object"

    def to_dict(self) -> dict[str, Any]:
        """A new plain dict of the contents (nested values new too)."""
        try:
            value = _decode(self._raw)
        except _DECODE_ERRORS:
            return {}
        return value if type(value) is dict else {}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Attributes) and self._raw == other._raw:
            return True
        return super().__eq__(other)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (Attributes, (bytes(self._raw),))


class SentTable:
    """The events each of a trace log's ended actions sent, for :class:`SentAttributes`:
    ``ids`` (event ids grouped by sending action) and per action row ``lo``/``hi``
    (``int`` arrays: action ``i`` sent ``ids[lo[i]:hi[i]]``)."""

    __slots__ = ("hi", "ids", "lo")

    def __init__(self, ids: list[Any], lo: np.ndarray, hi: np.ndarray) -> None:
        self.ids, self.lo, self.hi = ids, lo, hi


class SentAttributes(_DictLike):
    """An ended action's attributes in a 0.4 trace log read: its own (``base``: a cell,
    a mapping, anything else counting as empty) with ``sentEventIds``, the ids of the
    events it sent (row ``row`` of ``table``), as :class:`Attributes` behaves (same
    contract: a read-only ``Mapping`` compared by contents, printed as its dict, not
    hashable) and made when first looked into: a log holds an ended action per three
    records, and most are never looked at (one object per action instead of a dict and a
    list: ~60 ms less per 1M records). Pickled (and ``copy.copy``-ed) as the plain dict it
    holds."""

    __slots__ = ("_base", "_row", "_table", "_value")
    _value: dict[str, Any]  # (unset until first looked into)

    def __init__(self, base: Any, table: SentTable, row: int) -> None:
        self._base, self._table, self._row = base, table, row

    def _data(self) -> dict[str, Any]:
        try:
            return self._value
        except AttributeError:
            pass
        value = self._value = self._built(fresh=False)
        del self._base, self._table, self._row  # (the table: every action's ids)
        return value

    def _built(self, fresh: bool) -> dict[str, Any]:
        """The dict: the base's contents (left undecoded in it; ``fresh``: nested values
        new too) with ``sentEventIds``."""
        base, table, row = self._base, self._table, self._row
        if type(base) is Attributes:
            value = base.to_dict() if fresh else {**contents(base)}
        elif isinstance(base, Mapping):
            value = copy.deepcopy(dict(base)) if fresh else {**base}
        else:
            value = {}
        value["sentEventIds"] = table.ids[int(table.lo[row]) : int(table.hi[row])]
        return value

    def to_dict(self) -> dict[str, Any]:
        """A new plain dict of the contents (nested values new too); an undecoded cell
        stays so (the inspector's search and reports read every row's this way)."""
        try:
            return copy.deepcopy(self._value)
        except AttributeError:
            return self._built(fresh=True)

    def get(self, key: str, default: Any = None) -> Any:
        """As a dict's; a key but ``sentEventIds`` of a cell not looked into yet is the
        base's (no dict made: the stepper asks every ended action for its memory writes)."""
        if key == "sentEventIds" or hasattr(self, "_value"):
            return self._data().get(key, default)
        base = self._base
        return base.get(key, default) if isinstance(base, Mapping) else default

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        return (dict, (self._data(),))


def contents(cell: Attributes) -> dict[str, Any]:
    """``cell``'s contents to read (not to change): its cached dict when it has one, else
    decoded afresh and not kept in it."""
    value = cell._value
    return value if value is not _UNDECODED else cell.to_dict()


def plain(value: Any) -> Any:
    """``value`` with an :class:`Attributes` made its (cached) dict; anything else as is.
    For code that needs a real dict (type checks, JSON encoders)."""
    return value._data() if type(value) in _LAZY else value


_LAZY = (Attributes, SentAttributes)
#: The attributes ``{}`` (most 0.4 trace records'): one shared cell, nothing in it to change.
EMPTY = Attributes(b"{}")
#: What every token-count name has in it (``promptTokens``, ``input_tokens``, ...): only
#: attributes whose bytes hold it can carry token usage (see ``_reader``).
TOKENS = b"okens"


def _mentions(joined: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which of the values laid end to end in ``joined`` (bytes as ``uint8``; value ``i`` at
    ``starts[i]:ends[i]``) hold :data:`TOKENS`: its rare middle letter found in one
    vectorised pass, the other four letters checked there, each hit given to its value
    (one that spans two values is none). What ``bytes.find`` per value gives, without a
    call per value."""
    mentions = np.zeros(len(starts), dtype=bool)
    width = len(TOKENS)
    if len(joined) < width:
        return mentions
    at = np.flatnonzero(joined[1 : len(joined) - width + 2] == TOKENS[1]) + 1  # the "k"
    for j, letter in enumerate(TOKENS):
        if j != 1 and len(at):
            at = at[joined[at + j - 1] == letter]
    start = at - 1  # where the match starts
    row = np.searchsorted(ends, start, side="right")
    inside = start + width <= ends[row]
    mentions[row[inside]] = True
    return mentions


def cells(raws: list[Any], objects_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The ``attributes`` cells of raw JSON values (:class:`msgspec.Raw`, bytes-like, each
    one JSON value as msgspec validated it), and which are JSON objects whose bytes mention
    :data:`TOKENS` (bool: the only ones that can carry token usage). Each object becomes
    an :class:`Attributes` holding a copy of its bytes (never a view of a reused buffer);
    anything else is decoded (``None`` for ``null``), or becomes a
    new empty dict with ``objects_only`` (0.3.1 nested events: what the general path gives).

    C-level passes (``map`` of builtins) but for the :class:`Attributes` themselves; first
    bytes, lengths and mentions read from the copies joined (:func:`_mentions`)."""
    n = len(raws)
    copies = list(map(bytes, raws))
    sizes = np.fromiter(map(len, copies), np.intp, n)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    joined = np.frombuffer(b"".join(copies), np.uint8)
    first = np.zeros(n, np.uint8)
    given = sizes > 0
    first[given] = joined[starts[given]]
    mentions = _mentions(joined, starts, ends)
    objects = first == 0x7B  # "{"
    empty = objects & (sizes == 2)  # "{}"
    if not empty.any() and objects.all():  # fromiter: stored as they are (``out[:] =``
        return np.fromiter(map(Attributes, copies), dtype=object, count=n), mentions  # asks len)
    mentions &= objects
    out = np.empty(n, dtype=object)
    at = np.flatnonzero(objects & ~empty).tolist()
    out[at] = np.fromiter(map(Attributes, [copies[i] for i in at]), dtype=object, count=len(at))
    where = np.flatnonzero(empty)  # one shared read-only empty mapping (0.4 trace records)
    out[where] = np.fromiter(repeat(EMPTY, len(where)), dtype=object, count=len(where))
    for i in np.flatnonzero(~objects).tolist():
        if objects_only:
            out[i] = {}
            continue
        try:
            out[i] = _decode(copies[i])
        except _DECODE_ERRORS:
            out[i] = None
    return out, mentions


_ACTION = b'{"attempt":%b,"error":%b,"sentEventIds":%b,"memoryWrites":%b}'


def action_cells(
    attempts: list[Any], errors: list[Any], sent: list[Any], writes: list[Any]
) -> np.ndarray:
    """An action record's attributes (``attempt``, ``error``, ``sentEventIds``,
    ``memoryWrites``: the dict the general path builds) as :class:`Attributes`, from the
    typed fields (``sent``, ``writes``: raw JSON values). Formatted by C-level ``map``s
    (``bytes % tuple``), no Python per record but the :class:`Attributes`."""
    n = len(attempts)
    if None in attempts:
        numbers = [b"null" if a is None else b"%d" % a for a in attempts]
    else:
        numbers = list(map(b"%d".__mod__, attempts))
    texts = [b"null"] * n
    for i, error in enumerate(errors):
        if error is not None:
            texts[i] = _encode(error)
    made = map(Attributes, map(_ACTION.__mod__, zip(numbers, texts, sent, writes, strict=True)))
    return np.fromiter(made, dtype=object, count=n)
