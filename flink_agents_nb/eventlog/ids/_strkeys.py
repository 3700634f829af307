"""Short ASCII strings' exact identities read from their objects, many at once, for numbering.

Numbering a million id strings by Python's ``hash`` costs ~0.1-0.2 µs a value: a call per
value, and each value's memory a cache miss away (ids are scattered over the heap of the
records read). Here the values are read from the ``str`` objects' memory in a few numpy
gathers (a few ns a value, the misses overlapping): CPython lays a compact ASCII string out
as a fixed header (type, length, state bits) then its characters and a NUL. A value's
*words* (its bytes in 8-byte words, zero past its end) and its length are its exact
identity; :func:`keys_of` mixes them into a 64-bit *key*: equal strings have equal keys,
different ones almost never (the caller compares the words of values with equal keys).

Only exact ``str`` objects whose state says compact ASCII, of up to :data:`MAX_CHARS`
characters, are read (:func:`object_words`); the caller numbers other values otherwise, and
:func:`text_words` gives the same words from a string's text (a ``str`` subclass, a string
made otherwise). The layout is checked at import on strings made then (:data:`LAYOUT_OK`);
when it does not hold (another interpreter, a debug build), no value is read this way.
Reading: the objects must stay alive meanwhile (the caller holds them).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from flink_agents_nb.eventlog.columns import _object_memory

#: The longest string read (8 words with its NUL): longer ids are numbered otherwise.
MAX_CHARS = 63
_MAX_WORDS = (MAX_CHARS + 8) // 8
#: The compact ASCII header's size (the characters follow): 48 bytes on 3.10/3.11, 40 on 3.12.
_HEAD = sys.getsizeof("") - 1
#: The state bits telling kind (1 byte per character), compact and ASCII, and their value.
_STATE_MASK, _COMPACT_ASCII = 0x7C, 0x64
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_SEED = np.uint64(0x9E3779B97F4A7C15)
_SHIFT, _SHIFT2 = np.uint64(29), np.uint64(32)
#: Per word, the odd factor it is mixed with (so that words count by their place).
_FACTORS = (np.arange(8, dtype=np.uint64) * np.uint64(0x632BE59BD9B4E019)) | np.uint64(1)
#: The header's words read (length, state), counted from the object's start.
_HEADER = np.array([2, 4])
#: How many objects to read at once (see :func:`object_words`).
BLOCK = 1 << 14
#: Per count of bytes kept in a word (0-8), the mask keeping them (little-endian).
_BYTES = np.array([(1 << (8 * b)) - 1 for b in range(9)], dtype=np.uint64)


def _memory(addrs: np.ndarray, reach: int) -> tuple[np.ndarray, int]:
    """An ``int64`` view of the memory from the lowest of ``addrs`` to ``reach`` bytes past
    the highest, and its start (read only where objects are)."""
    lo = int(addrs.min())
    size = (int(addrs.max()) + reach - lo) // 8 + 1
    view = _Memory()  # (no ctypes array type: ctypes keeps one per size for good)
    view.__array_interface__ = {
        "data": (lo, True),
        "shape": (size,),
        "typestr": "<i8",
        "version": 3,
    }
    return np.asarray(view), lo


class _Memory:
    """Memory as numpy sees it (``__array_interface__``)."""

    __array_interface__: dict[str, Any]


def object_words(addrs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the live objects at ``addrs`` (``int64``, as :func:`..columns._arrays.addresses` gives;
    a few thousand at a time, :data:`BLOCK`: the temporary arrays stay small and in the
    cache): which were read (bool: exact ``str``, compact ASCII, at most :data:`MAX_CHARS`
    characters), their lengths and words (``uint64``, a row each, as many columns as the
    longest needs; zero where not read)."""
    n = len(addrs)
    if not n or not LAYOUT_OK or (addrs & 7).any():  # (objects are 16-byte aligned)
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), np.zeros((n, 0), np.uint64)
    return _read(addrs)


def _read(addrs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`object_words`, the layout assumed: per object, its type, then for
    strings their header (length, state) and their words up to the one holding the NUL
    (its bytes after the NUL are the string's memory block's: masked), each gather reading
    an object's words side by side. Every read stays inside an object."""
    mem, lo = _memory(addrs, _HEAD + 8 * _MAX_WORDS)
    at = (addrs - lo) >> 3
    ok = mem[at + 1] == id(str)  # ob_type: exact str
    every = bool(ok.all())
    head = mem[(at if every else at[ok])[:, None] + _HEADER]  # length, state
    good = ((head[:, 1] & _STATE_MASK) == _COMPACT_ASCII) & (head[:, 0] <= MAX_CHARS)
    if every and good.all():
        lens = head[:, 0].copy()
        data = at + _HEAD // 8
    else:
        ok[np.flatnonzero(ok)[~good]] = False
        lens = np.zeros(len(addrs), dtype=np.int64)
        lens[ok] = head[good, 0]
        data = np.where(ok, at + _HEAD // 8, at + 1)  # (not a string: its type, masked)
        if not ok.any():
            return ok, lens, np.zeros((len(addrs), 0), dtype=np.uint64)
    width = int(lens.max()) // 8 + 1  # words up to the NUL's
    place = np.arange(width)
    left = lens[:, None] - 8 * place  # the string's bytes in each word (<= 0: none)
    words = mem[data[:, None] + np.minimum(lens[:, None] >> 3, place)].view(np.uint64)
    words &= _BYTES[np.clip(left, 0, 8)]
    return ok, lens, words


def text_words(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Lengths and words (as :func:`object_words`, :data:`MAX_CHARS` wide) of ASCII strings
    of at most :data:`MAX_CHARS` characters, from their text."""
    size = 8 * _MAX_WORDS
    raw = b"".join(v.encode("ascii").ljust(size, b"\0") for v in values)
    words = np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(len(values), _MAX_WORDS)
    return np.array([len(v) for v in values], dtype=np.int64), words


def readable(value: object) -> bool:
    """Whether :func:`text_words` takes ``value`` (an ASCII string short enough), so that
    values equal to it are keyed alike wherever they come from."""
    return isinstance(value, str) and value.isascii() and len(value) <= MAX_CHARS


def keys_of(lens: np.ndarray, words: np.ndarray) -> np.ndarray:
    """64-bit keys (``int64``, odd: 0 is free for "no key") of values by their lengths and
    words: equal values equal keys, whatever the words' width (a zero word adds nothing)."""
    h = lens.astype(np.uint64) * _SEED
    for k in range(words.shape[1]):
        t = words[:, k] * _FACTORS[k]
        t ^= t >> _SHIFT
        t *= _MIX
        t ^= t >> _SHIFT2
        h += t
    h ^= h >> _SHIFT
    h *= _MIX
    return (h | np.uint64(1)).view(np.int64)


def same_words(words: np.ndarray, words2: np.ndarray) -> np.ndarray:
    """Whether two sets of words (one value a row, any widths: zero past a value) are
    equal, row by row."""
    width = min(words.shape[1], words2.shape[1])
    same: np.ndarray = (words[:, :width] == words2[:, :width]).all(axis=1)
    for wide in (words, words2):
        if wide.shape[1] > width:
            same &= ~wide[:, width:].any(axis=1)
    return same


def _layout_holds() -> bool:
    """Whether strings made now read back right (and others are not read)."""
    if sys.implementation.name != "cpython" or sys.byteorder != "little" or _HEAD % 8:
        return False
    if np.dtype(np.intp).itemsize != 8:
        return False
    made = ["".join(["id-", str(n), "x" * n]) for n in range(MAX_CHARS - 4)]
    made += ["", "".join(["a", "b"]), "".join(["é", "t"]), "x" * (MAX_CHARS + 1)]
    made.append(type("_S", (str,), {})("sub"))
    keep = np.array(made, dtype=object)
    addrs = np.array([id(v) for v in made], dtype=np.int64)
    ok, lens, words = _read(addrs)
    expect = np.array([type(v) is str and readable(v) for v in made])
    if not np.array_equal(ok, expect):
        return False
    rows = np.flatnonzero(ok)
    tlens, twords = text_words([keep[r] for r in rows])
    width = words.shape[1]
    return bool(
        np.array_equal(lens[rows], tlens)
        and np.array_equal(words[rows], twords[:, :width])
        and not twords[:, width:].any()
    )


#: Whether this interpreter lays strings out as read here (checked at import), and reading
#: them is allowed (:mod:`..columns._object_memory`).
LAYOUT_OK = _object_memory.ALLOWED and _layout_holds()
