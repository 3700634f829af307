"""A worker's columns packed for the reader (``eventlog/files/_transfer.py``) come back as
they were: the same values, dtypes and bits (NaN's, -0.0), the same sharing of objects (a
column of one object stays that object everywhere), in fewer bytes where a column holds one
value or few distinct objects; and the rows of every packed form are told without unpacking."""

from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flink_agents_nb.eventlog._attributes import EMPTY, Attributes
from flink_agents_nb.eventlog.columns._arrays import addresses
from flink_agents_nb.eventlog.files import _transfer


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


_ONE = "".join(["shared", "-value"])
_FEW = ["".join(["v", str(i)]) for i in range(300)]

#: name -> (column, the packed form expected)
_CASES: dict[str, tuple[np.ndarray, str]] = {
    "all NaN": (np.full(5000, np.nan), "fill"),
    "one float": (np.full(5000, 3.5), "fill"),
    "zeros of both signs": (np.array([0.0, -0.0] * 2500), "array"),
    "NaN then a number": (np.array([np.nan] * 4999 + [1.0]), "array"),
    "one int32": (np.full(5000, 2, dtype=np.int32), "fill"),
    "lines": (np.arange(1, 5001, dtype=np.int64), "array"),
    "all NaT": (np.full(5000, np.datetime64("NaT"), dtype="datetime64[ns]"), "fill"),
    "one row": (np.array([7], dtype=np.int64), "fill"),
    "one object": (_objects([_ONE] * 5000), "fill"),
    "all None": (_objects([None] * 5000), "fill"),
    "few objects": (_objects([_FEW[i % 3] for i in range(5000)]), "shared"),
    "hundreds of objects": (_objects([_FEW[i % 300] for i in range(5000)]), "shared"),
    "distinct objects": (_objects(["".join(["id-", str(i)]) for i in range(5000)]), "array"),
}


def _through_the_pipe(packed: tuple[Any, ...]) -> tuple[Any, ...]:
    """``packed`` as the reader gets it: pickled as the worker sends, read as it reads."""
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=5)
    pickler.fast = True
    pickler.dump(packed)
    stream.seek(0)
    got: tuple[Any, ...] = _transfer._DataOnly(stream).load()
    return got


@pytest.mark.parametrize("case", list(_CASES))
def test_a_packed_column_comes_back_as_it_was(case: str) -> None:
    values, kind = _CASES[case]
    packed = _transfer.pack_column("seq", values)
    assert packed[0] == kind
    assert _transfer.packed_rows(packed) == len(values)
    back = _transfer.unpack_column(_through_the_pipe(packed))
    assert back.dtype == values.dtype and len(back) == len(values)
    if values.dtype == object:
        sent = [v.encode().decode() if isinstance(v, str) else v for v in values.tolist()]
        assert back.tolist() == sent
        mine, _ = pd.factorize(addresses(values))
        theirs, _ = pd.factorize(addresses(back))
        assert (mine == theirs).all()  # the same objects shared by the same rows
    else:
        assert back.tobytes() == values.tobytes()  # bit for bit


def test_few_objects_are_sent_as_small_codes() -> None:
    few, _ = _CASES["few objects"]
    hundreds, _ = _CASES["hundreds of objects"]
    assert _transfer.pack_column("status", few)[2].dtype == np.int8
    assert _transfer.pack_column("status", hundreds)[2].dtype == np.int16
    one, _ = _CASES["one float"]
    whole = len(pickle.dumps(_transfer.pack_column("seq", one), protocol=5))
    assert whole < 1000  # its value and length, not its 5000 rows


@pytest.mark.parametrize(
    "packed",
    [
        ("fill", np.array([1.0, 2.0]), 10),  # not one value
        ("fill", [1.0], 10),  # not an array
        ("fill", np.array([1.0]), -1),
        ("fill", np.array([1.0]), 10.0),
    ],
)
def test_a_column_of_one_value_sent_wrong_is_refused(packed: tuple[Any, ...]) -> None:
    with pytest.raises(pickle.UnpicklingError, match="one value"):
        _transfer.unpack_column(packed)


def test_rows_of_unknown_forms_are_not_told() -> None:
    assert _transfer.packed_rows(("fill", np.array([1]), 3.0)) == -1
    assert _transfer.packed_rows(("ids", "event_id")) == -1
    assert _transfer.packed_rows(("array",)) == -1
    assert _transfer.packed_rows("array") == -1  # type: ignore[arg-type]


def _cut_in_parts(values: np.ndarray, parts: int) -> list[np.ndarray]:
    """``values`` as a column's parts (one per chunk read), of uneven lengths."""
    cuts = sorted({len(values) * k * k // (parts * parts) for k in range(1, parts)})
    return list(np.split(values, cuts))


@pytest.mark.parametrize("case", list(_CASES))
def test_a_column_packed_from_its_parts_is_packed_as_joined(case: str) -> None:
    values, kind = _CASES[case]
    parts = _cut_in_parts(values, 7) if len(values) > 1 else [values[:0], values]
    packed = _transfer.pack_column("seq", parts)
    assert packed[0] == kind
    back = _transfer.unpack_column(_through_the_pipe(packed))
    whole = _transfer.unpack_column(_through_the_pipe(_transfer.pack_column("seq", values)))
    assert back.dtype == whole.dtype and len(back) == len(whole)
    if values.dtype != object:
        assert back.tobytes() == whole.tobytes()  # bit for bit
    else:
        assert back.tolist() == whole.tolist()
        mine, _ = pd.factorize(addresses(values))
        theirs, _ = pd.factorize(addresses(back))
        assert (mine == theirs).all()


def test_attribute_cells_packed_from_parts_come_back_in_their_rows() -> None:
    raws = [b'{"n":%d}' % i for i in range(3000)]
    others: list[Any] = [None, {"plain": "dict"}, "text", 7]
    values = _objects(
        [
            EMPTY if i % 5 == 0 else others[i % 4] if i % 7 == 0 else Attributes(raws[i])
            for i in range(3000)
        ]
    )
    packed = _transfer.pack_column("attributes", _cut_in_parts(values, 9))
    assert packed[0] == "cells"
    back = _transfer.unpack_column(_through_the_pipe(packed))
    assert len(back) == len(values)
    for mine, theirs in zip(values.tolist(), back.tolist(), strict=True):
        assert type(theirs) is type(mine)
        if mine is EMPTY:
            assert theirs is EMPTY  # the shared empty cell stays that one object
        elif type(mine) is Attributes:
            assert theirs.raw == mine.raw and not theirs.decoded
        else:
            assert theirs == mine
