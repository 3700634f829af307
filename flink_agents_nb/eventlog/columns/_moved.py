"""Object columns moved into the frame's block: their references, not copies of them.

The reader holds each object column as parts (one array per chunk read). Building the
frame's object block by joining the parts and taking them in the frame's order costs four
reference-count updates per value (join, free the parts, take, free the joined column),
each a cache miss on a column of a million distinct strings (~30 ms per column of 1M
ids here). :func:`move_columns` instead *exchanges* pointers, without touching any object:

- the block is made by ``np.empty``: every slot holds a reference to ``None``;
- each column's pointers (the parts' memory read as ``intp``) are joined and taken in the
  frame's order straight into the block's row (integer copies: ~5 ms per 1M);
- each part's slots are then overwritten with ``None``'s address: the ``None``
  references the block's row held now live in the parts, which are freed as usual;
- a column whose parts hold ``None`` only is not moved: its row holds ``None`` already.

Every reference is conserved (the row's ``n`` references to ``None`` go to the parts'
``n`` slots; each part's reference to a value goes to exactly one slot of the row, the
order being a permutation), so no count changes: the objects are the parts' own (shared
strings stay one object) and nothing is ever freed twice or leaked. That holds only for
parts nothing else can see: a part moved must be a plain, C-contiguous, writeable 1-D
object array owning its memory that only the parts' list refers to; any other part is
first copied (its references counted as usual) into one that is. Anything unexpected
(the order is not a permutation of the rows, ``None`` is not where ``np.empty`` puts it,
``ctypes`` is unusable) makes :func:`move_columns` decline, and the caller builds the
block as before, by copies.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from flink_agents_nb.eventlog.columns import _object_memory

_NONE = id(None)
_OBJECT = np.dtype(object)
_take = np.take  # (a name of its own: tests interrupt it)


def _refs(items: list[Any], i: int) -> int:
    """``sys.getrefcount`` of ``items[i]`` as seen from here (compared with a calibration
    made the same way: the count's offsets differ between Python versions)."""
    return sys.getrefcount(items[i])


#: the count :func:`_refs` gives for an array only a list refers to
_ALONE = _refs([np.empty(0, dtype=object)], 0)


class _Memory:
    """``n`` pointers at ``address``, to numpy (its array interface)."""

    def __init__(self, address: int, n: int) -> None:
        self.__array_interface__ = {
            "data": (address, False),
            "shape": (n,),
            "typestr": np.dtype(np.intp).str,
            "version": 3,
        }


def _pointers(values: np.ndarray) -> np.ndarray:
    """A writeable ``intp`` view of the slots of the C-contiguous 1-D object array
    ``values``: the objects' addresses, to read and write without touching the objects.
    The view does not keep ``values`` alive: use it only while ``values`` is."""
    address = values.__array_interface__["data"][0]
    return np.asarray(_Memory(address, len(values)))


def _movable(parts: list[Any], i: int) -> bool:
    """Whether ``parts[i]`` is an object array nothing but ``parts`` can see (its slots
    may then be rewritten under it). The count is taken before anything here refers to
    the part."""
    if _refs(parts, i) != _ALONE:
        return False
    part = parts[i]
    return (
        type(part) is np.ndarray
        and part.dtype == _OBJECT
        and part.ndim == 1
        and part.base is None
        and part.flags.c_contiguous
        and part.flags.writeable
    )


def is_permutation(order: np.ndarray, n: int) -> bool:
    """Whether ``order`` holds each of ``0..n-1`` exactly once."""
    if len(order) != n or order.dtype.kind not in "iu":
        return False
    if not n:
        return True
    if int(order.min()) < 0 or int(order.max()) >= n:
        return False
    seen = np.zeros(n, dtype=bool)
    seen[order] = True
    return bool(seen.all())


def move_columns(columns: list[list[Any]], order: np.ndarray | None, n: int) -> np.ndarray | None:
    """The object block of ``columns`` (per column, its parts: 1-D object arrays of ``n``
    rows in all, in the order read; no parts: ``None`` throughout), row ``j`` holding
    column ``j`` in ``order`` (a permutation of the rows read: the block's column ``i`` is
    row ``order[i]`` read; ``None``: as read), made by moving the parts' references (see
    the module docstring): the parts are left holding ``None`` (each list is emptied).
    ``None`` when moving is not possible here; nothing has been changed then."""
    if not _object_memory.ALLOWED or (order is not None and not is_permutation(order, n)):
        return None
    for parts in columns:
        if not all(type(part) is np.ndarray and part.ndim == 1 for part in parts):
            return None
        if parts and sum(len(part) for part in parts) != n:
            return None
    block = np.empty((len(columns), n), dtype=object)
    if len(columns) and n:  # np.empty puts None in every slot of an object array
        ends = _pointers(block.reshape(-1))[[0, -1]]
        if ends[0] != _NONE or ends[1] != _NONE:  # pragma: no cover - numpy changed
            return None
    if order is not None:
        order = order.astype(np.intp, copy=False)
    for j, parts in enumerate(columns):
        if parts and all(_all_none(part) for part in parts):
            del parts[:]  # the row holds None already (its own references): nothing to move
        elif parts:
            _move(parts, order, block[j])
    return block


def _all_none(part: np.ndarray) -> bool:
    """Whether the object array ``part`` holds ``None`` only (read from its slots, no
    object touched): a trace log's job and task before the file names fill them, a
    format's unused columns."""
    return (
        part.dtype == _OBJECT and part.flags.c_contiguous and bool((_pointers(part) == _NONE).all())
    )


def _move(parts: list[Any], order: np.ndarray | None, row: np.ndarray) -> None:
    """Move the references of ``parts`` (consumed) into ``row`` (all ``None``), in
    ``order``."""
    for i in range(len(parts)):
        if not _movable(parts, i):  # seen elsewhere, a view, not objects: a copy is ours
            parts[i] = parts[i].astype(object, copy=True)
    slots = [_pointers(part) for part in parts]
    source = slots[0] if len(slots) == 1 else np.concatenate(slots)
    target = _pointers(row)
    try:
        if order is None:
            np.copyto(target, source)
        else:  # "clip": no copy of the target first ("raise" makes one); indices are valid
            _take(source, order, out=target, mode="clip")
        for slot in slots:  # the row's references to None, now the parts'
            slot.fill(_NONE)
    except BaseException:
        # An exception raised as a call returned (a signal's: KeyboardInterrupt): if the
        # row took the parts' references, the parts must give them up (a row of None
        # only changed nothing: nothing to give up, or only None, already theirs).
        if (target != _NONE).any():
            for slot in slots:
                slot.fill(_NONE)
        raise
    del source, slots, target
    del parts[:]
