"""Array helpers shared by the reader's column builders (general and typed paths).

Object arrays hold ``None`` for a missing value; numeric columns are float64 with NaN until
the frame is built (then nullable ``Int64``, see :func:`ints`).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import pandas as pd

try:  # C loop: out[i] = values[indexer[i]]
    from pandas._libs.algos import take_1d_object_object as _take_1d_objects
except ImportError:  # pragma: no cover - a pandas without it
    _take_1d_objects = None


def timestamps(values: list[Any]) -> np.ndarray:
    """Timestamps as naive UTC ``datetime64[ns]`` (NaT where missing or unparseable)."""
    try:  # fast path: all ``...Z`` strings (ours, Flink Agents')
        bare = [v[:-1] for v in values if v[-1] == "Z"]
        if len(bare) == len(values):
            return np.array(bare, dtype="datetime64[ns]")
    except (TypeError, ValueError, IndexError):
        pass
    parsed = pd.to_datetime(
        pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce"
    )
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def addresses(values: np.ndarray) -> np.ndarray:
    """The addresses of the objects in the 1-D object array ``values`` (a read-only view, any
    strides): CPython's ``id``. Comparing them finds identical objects (``None``, a
    ``Literal``'s strings) without touching the objects, whose scattered memory costs a
    cache miss each in a column of millions. A copy: a view would not keep ``values``
    alive (``addresses(make())`` would read freed memory)."""
    if not len(values):
        return np.zeros(0, dtype=np.intp)
    first = ctypes.cast(values.ctypes.data, ctypes.POINTER(ctypes.c_ssize_t))
    base = np.ctypeslib.as_array(first, shape=(1,))
    view = np.lib.stride_tricks.as_strided(
        base, shape=values.shape, strides=values.strides, writeable=False
    )
    return view.view(np.intp).copy()


def is_none(values: np.ndarray) -> np.ndarray:
    """Where the object array ``values`` holds ``None`` (by address, see :func:`addresses`)."""
    return addresses(values) == id(None)


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)`` of an object array (codes, distinct values; missing: -1).
    Pandas picks its table well: one of encoded strings for all-string columns (about 2x
    faster than Python's hashing there), one of Python objects when gaps are mixed in.
    Raises ``TypeError`` on unhashable values."""
    found, uniques = pd.factorize(values, use_na_sentinel=True)
    return found, uniques


def codes(values: np.ndarray) -> np.ndarray:
    """``pd.factorize(values)``'s codes (equal values equal codes, in order of first
    appearance; missing: -1), hashing each distinct *object* once: fast on a column whose
    equal values are mostly one object (made by :func:`shared`), as slow as factorising on
    one of distinct objects."""
    by_object, objs = pd.factorize(addresses(values))
    one_each = np.empty(len(objs), dtype=np.intp)
    one_each[by_object] = np.arange(len(values))  # any row of each object
    by_value, _ = factorize(values[one_each])
    return by_value[by_object]


def shared(values: np.ndarray, nan: bool = True) -> np.ndarray:
    """``values`` (an object array) as a new one whose equal values are one object, with
    ``None`` for NaN (missing). ``nan=False``: ``values`` holds no NaN (typed decoding), so
    missing is only ``None``, found by address (faster).

    A column of a few distinct strings and gaps (job, task, record type, action, status:
    the common case) is built from one vectorised comparison per string, without hashing
    every value (by address first: decoded as learned ``Literal`` values, equal strings are
    already one object); anything else is factorised."""
    n = len(values)
    missing = pd.isna(values) if nan else is_none(values)
    present = values[:_SAMPLE][~missing[:_SAMPLE]]  # the first values given
    if not len(present):  # a head of gaps: look further
        present = values[np.flatnonzero(~missing)[:_SAMPLE]]
    if not len(present):  # only gaps (actions' columns in an events-only log)
        return np.full(n, None, dtype=object)
    few = dict.fromkeys(present.tolist())
    if len(few) <= _FEW and all(type(v) is str for v in few):
        if not nan:  # learned values (see _vocab) are one object each: compare addresses
            at, known = addresses(values), missing.copy()
            for value in few:
                known |= at == id(value)
            if known.all():  # already shared
                return values.copy()
        out = np.full(n, None, dtype=object)
        covered = missing.copy()
        for value in few:
            same = values == value
            out[same] = value
            covered |= same
        if covered.all():
            return out
    gaps = missing.any()
    given = ~missing if gaps else slice(None)  # strings alone: pandas' faster table
    try:
        found, uniques = factorize(values[given])
    except TypeError:  # unhashable values (lists as keys): keep as they are
        return nones(values)
    table = np.empty(len(uniques), dtype=object)
    table[:] = uniques
    if not gaps:
        return table[found]
    out = np.full(n, None, dtype=object)
    out[given] = table[found]
    return out


#: :func:`shared` takes its candidate strings from this many first values ...
_SAMPLE = 64
#: ... and builds the column by comparison when they are at most this many.
_FEW = 4


def nones(values: np.ndarray) -> np.ndarray:
    """A copy of the object array ``values`` with ``None`` for NaN (missing)."""
    out = values.copy()
    out[pd.isna(out)] = None
    return out


def none(value: Any) -> Any:
    """``None`` for NaN, else ``value``."""
    return None if isinstance(value, float) and value != value else value


def objects(values: Any) -> np.ndarray:
    """A 1-D object array of ``values`` (a list of anything, lists, dicts and mappings
    included), each stored as it is: numpy's ``out[:] = values`` would ask every value
    that has a length for its items (decoding lazy attributes, see ``_attributes``)."""
    return np.fromiter(values, dtype=object, count=len(values))


def floats(values: Any) -> np.ndarray:
    """float64 array; what is not a number reads as NaN (``None`` too)."""
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([to_float(v) for v in values], dtype=np.float64)


def to_float(value: Any) -> float:
    """``float(value)``, NaN when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return float("nan")


def ints(values: np.ndarray) -> Any:
    """Nullable ``Int64`` from floats: NaN, infinite, fractional or out-of-range -> NA
    (its data 0 there). A column of NaN only (common: fields a format lacks) gets zeros
    never written (``calloc``: no page faults); else the values are cast and compared back
    (NaN, fractions and what the cast wrapped or saturated differ; the cast's two extremes
    are out of range, ``abs(value) < 2**63`` failing, even where they compare equal):
    fewer passes and temporaries than testing each condition."""
    mask = np.isnan(values)
    if mask.all():
        return pd.arrays.IntegerArray(np.zeros(len(values), dtype=np.int64), mask)
    with np.errstate(invalid="ignore"):
        out = values.astype(np.int64)  # NaN, inf, out of range: an extreme (or any value)
        np.not_equal(out, values, out=mask)
    mask |= out == _INT64_MIN
    mask |= out == _INT64_MAX
    if mask.any():
        out[mask] = 0
    return pd.arrays.IntegerArray(out, mask)


_INT64_MIN = np.iinfo(np.int64).min
_INT64_MAX = np.iinfo(np.int64).max


def take_objects(values: np.ndarray, order: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = values[order[i]]`` for the 1-D object arrays ``values`` and ``out``
    (``order``: valid indices). Pandas' C loop: of the ways measured to reorder object
    arrays, the cheapest (numpy's ``take`` and fancy assignment cost ~2x its CPU)."""
    if _take_1d_objects is None:  # pragma: no cover - a pandas without it
        np.take(values, order, out=out, mode="clip")  # "raise" would copy ``out`` first
        return
    _take_1d_objects(values, order.astype(np.intp, copy=False), out, None)


def frame_of(
    block: np.ndarray, names: list[str], others: dict[str, Any], columns: list[str]
) -> pd.DataFrame:
    """The frame of the 2-D object ``block`` (one row per column of ``names``) and the 1-D
    arrays ``others`` (numpy or pandas extension arrays, by column name), columns in the
    order ``columns``, with a ``RangeIndex``, and nothing copied: pandas' ``insert`` copies
    what it is given (a column of a million values: a fresh 8 MB array, ~5 ms of page
    faults here). Built from blocks as pyarrow builds frames; by ``insert`` where pandas
    lacks that."""
    at = {name: j for j, name in enumerate(columns)}
    try:
        from pandas.core.internals import BlockManager
        from pandas.core.internals.api import make_block

        blocks = [make_block(block, placement=[at[name] for name in names], ndim=2)]
        for name, data in others.items():
            values = data.reshape(1, -1) if isinstance(data, np.ndarray) else data
            blocks.append(make_block(values, placement=[at[name]], ndim=2))
        axes = [pd.Index(columns, dtype=object), pd.RangeIndex(block.shape[1])]
        manager = BlockManager(blocks, axes)
        return pd.DataFrame._from_mgr(manager, axes=manager.axes)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another pandas
        pass
    # dtype given: pandas does not scan each object column for datetimes (none are;
    # a column of gaps is scanned to its end: ~0.1 s per 1M records)
    frame = pd.DataFrame(block.T, columns=names, dtype=object, copy=False)
    for name in columns:
        if name in others:
            frame.insert(at[name], name, others[name])
    return frame


def joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    """A column's parts as one array (the one part itself, no copy; no parts: an empty
    array of ``dtype``)."""
    if not parts:
        return np.empty(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
