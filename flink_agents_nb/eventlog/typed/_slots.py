"""The fields of a chunk's decoded structs as columns, read from the structs' memory.

A msgspec ``Struct`` keeps each field as an object pointer at a fixed offset of its instance
(a slot). Laying a chunk's structs out as a table with ``astuple`` and pandas'
``to_object_array_tuples`` makes a tuple per record, takes a reference to every field twice
and frees the tuples: about 0.6 µs per 0.4 trace record, and as much again for its
``entityMetadata``, in a chunk path of ~3 µs. Here a column is one numpy gather of the
field's pointers over the structs' addresses (:meth:`Fields.addresses`: no object touched,
enough to find ``None``, a default or the few ``Literal`` objects), and an object column is
made from those pointers with one reference each (:meth:`Fields.objects`).

Nothing is assumed about the layout: it is probed once per struct type (:func:`layout`), on
an instance whose every field holds a distinct marker object, read word by word: each
field's slot is the one word holding its marker's address, and word 1 must be the type's
(CPython's object header). Before any field is read, every struct's word 1 is checked to be
a probed type of the same slots. Anything else (another interpreter, another msgspec, an
object that is not such a struct, a ``ctypes`` or numpy that will not do it):
:func:`fields` returns ``None`` and the caller lays the structs out with ``astuple``.

The memory is read only while the structs are alive and unchanged (a :class:`Fields` holds
them; the reader's structs are its own, never changed).
"""

from __future__ import annotations

import ctypes
import os
import threading
import weakref
from typing import Any, Protocol

import numpy as np
from msgspec.structs import astuple
from pandas._libs.lib import to_object_array_tuples

from flink_agents_nb.eventlog.columns import _object_memory
from flink_agents_nb.eventlog.columns._arrays import addresses

#: Bytes per pointer (a slot, an address).
_WORD = ctypes.sizeof(ctypes.c_void_p)
#: Whether the structs' memory may be read (tests turn it off to check the fallback;
#: ``FLINK_AGENTS_NB_READ_OBJECT_MEMORY=0`` too, see :mod:`..columns._object_memory`).
ENABLED = _object_memory.ALLOWED
#: Per struct type: the word of each field (``None``: not a layout this module reads). Weak:
#: each read learns struct types of its own (:mod:`._vocab`), freed with it.
_layouts: weakref.WeakKeyDictionary[type, dict[str, int] | None] = weakref.WeakKeyDictionary()


def layout(struct: type) -> dict[str, int] | None:
    """The word index of each field of the msgspec struct type ``struct`` in its instances
    (probed once, see the module docstring), or ``None`` when not found for every field."""
    if struct in _layouts:
        return _layouts[struct]
    found: dict[str, int] | None = None
    try:
        names = struct.__struct_fields__  # type: ignore[attr-defined]
        markers = [object() for _ in names]
        probe = struct(**dict(zip(names, markers, strict=True)))  # (no type checks)
        size = struct.__basicsize__
        words = _words(id(probe), size // _WORD).copy()  # (probe alive: read while held)
        if size % _WORD == 0 and words[1] == id(struct):
            slots = {}
            for name, marker in zip(names, markers, strict=True):
                hits = np.flatnonzero(words == id(marker))
                if len(hits) != 1 or hits[0] < 2:
                    break
                slots[name] = int(hits[0])
            else:
                found = slots
        del probe
    except Exception:  # any surprise: the caller's astuple path
        found = None
    _layouts[struct] = found
    return found


def _words(address: int, count: int) -> np.ndarray:
    """The ``count`` machine words at ``address`` (a view: valid while what is there lives)."""
    first = ctypes.cast(address, ctypes.POINTER(ctypes.c_ssize_t))
    one = np.ctypeslib.as_array(first, shape=(1,))  # (ctypes keeps a type per length)
    return np.lib.stride_tricks.as_strided(one, shape=(count,), writeable=False)


def _as_objects(pointers: np.ndarray) -> np.ndarray:
    """A new object array of the objects at ``pointers`` (live objects' addresses), one
    reference taken each (numpy's copy of a borrowed view of them)."""
    n = len(pointers)
    if not n:
        return np.empty(0, dtype=object)
    size = 1 << (n - 1).bit_length()  # (a buffer per power of two: few)
    with _LOCK:
        found = _BORROWED.get(size)
        if found is None:  # ~20 µs (numpy reads the buffer's format): once per size
            padded = np.full(size, id(None), dtype=np.intp)
            as_objects = (ctypes.py_object * size).from_address(padded.ctypes.data)
            found = (padded, np.ctypeslib.as_array(as_objects))
            if size <= _KEPT:
                _BORROWED[size] = found
        padded, borrowed = found
        padded[:n] = pointers
        out = borrowed[:n].copy()
        padded[:n] = id(None)  # (never a stale address left in it)
    return out


#: Per size: a buffer of addresses and an object array borrowing what it points to (a view
#: that takes no reference: only copied from, while the buffer holds live addresses).
_BORROWED: dict[int, tuple[np.ndarray, np.ndarray]] = {}
_LOCK = threading.Lock()


def _after_fork() -> None:  # a child forked while another thread held the lock
    global _LOCK
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
#: The largest buffer kept (a chunk is ~10k records; 0.5 MB).
_KEPT = 1 << 16


class Table(Protocol):
    """A chunk's structs' fields as columns (one row per struct), by field name."""

    def at(self, name: str) -> np.ndarray:
        """The addresses (``id``) of field ``name``'s values (``intp``; read-only: the same
        array may be given to each call)."""
        ...

    def objects(self, name: str) -> np.ndarray:
        """Field ``name``'s values: a new object array."""
        ...

    def take(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Field ``name``'s values in ``rows`` (indices): a new object array."""
        ...

    def chosen(self, where: np.ndarray, name: str, other: str) -> np.ndarray:
        """Field ``name``'s values where ``where`` (bool per row), else ``other``'s."""
        ...


class Fields:
    """A :class:`Table` read from the structs' memory (see :func:`fields`)."""

    def __init__(self, keep: Any, memory: np.ndarray, rows: np.ndarray, slots: dict[str, int]):
        self._keep = keep  # the structs: alive while their memory is read
        self._memory, self._rows, self._slots = memory, rows, slots
        self._at: dict[str, np.ndarray] = {}

    def at(self, name: str) -> np.ndarray:
        found = self._at.get(name)
        if found is None:
            found = self._at[name] = self._memory[self._rows + self._slots[name]]
            found.flags.writeable = False  # (shared by the calls: a caller changes a copy)
        return found

    def objects(self, name: str) -> np.ndarray:
        return _as_objects(self.at(name))

    def take(self, name: str, rows: np.ndarray) -> np.ndarray:
        return _as_objects(self._memory[self._rows[rows] + self._slots[name]])

    def chosen(self, where: np.ndarray, name: str, other: str) -> np.ndarray:
        return _as_objects(np.where(where, self.at(name), self.at(other)))


class Tuples:
    """A :class:`Table` laid out by ``astuple`` (one C pass: every field of every struct),
    when the memory is not read (see :func:`fields`)."""

    def __init__(self, structs: list[Any], names: tuple[str, ...]) -> None:
        n = len(structs)
        self._table = to_object_array_tuples(list(map(astuple, structs))).reshape(n, len(names))
        self._index = {name: j for j, name in enumerate(names)}

    def _column(self, name: str) -> np.ndarray:
        return self._table[:, self._index[name]]

    def at(self, name: str) -> np.ndarray:
        return addresses(self._column(name))

    def objects(self, name: str) -> np.ndarray:
        return self._column(name).copy()

    def take(self, name: str, rows: np.ndarray) -> np.ndarray:
        return self._column(name)[rows]

    def chosen(self, where: np.ndarray, name: str, other: str) -> np.ndarray:
        return np.where(where, self._column(name), self._column(other))


def table(structs: list[Any], names: tuple[str, ...]) -> Table:
    """The fields of ``structs`` (msgspec structs, each with the fields ``names`` in that
    order), read from their memory when :func:`fields` can, else laid out by ``astuple``."""
    found = fields(structs)
    return Tuples(structs, names) if found is None else found


def fields(keep: Any, pointers: np.ndarray | None = None) -> Fields | None:
    """The fields of the structs ``keep`` (a list of msgspec structs whose types have one
    :func:`layout`) read from their memory, or ``None`` (disabled, empty, or anything not
    such a struct: the caller then uses ``astuple``). ``pointers``: the structs' addresses
    (``id``), when they are not ``keep``'s items (say, a field read by
    :meth:`Fields.addresses` of structs ``keep`` holds)."""
    if not ENABLED or not len(keep if pointers is None else pointers):
        return None
    try:
        if pointers is None:
            pointers = addresses(np.fromiter(keep, dtype=object, count=len(keep)))
        low, high = int(pointers.min()), int(pointers.max())
        if low % _WORD or ((pointers - low) % _WORD).any():
            return None
        rows = (pointers - low) // _WORD
        types = _words(low, (high - low) // _WORD + 2)[rows + 1]  # each one's type (word 1)
        if (types == types[0]).all():  # (the usual chunk: one type)
            first = np.zeros(1, dtype=np.intp)
        else:
            _, first = np.unique(types, return_index=True)
        slots: dict[str, int] | None = None
        for one in _as_objects(pointers[first]).tolist():  # a struct of each type
            found = layout(type(one))
            if found is None or (slots is not None and found != slots):
                return None
            slots = found
        if slots is None:
            return None
        memory = _words(low, (high - low) // _WORD + max(slots.values()) + 1)
        return Fields(keep, memory, rows, slots)
    except (ValueError, TypeError, OverflowError, AttributeError):
        return None
