"""CPU of numbering a read's id columns (``_numbering.RowIds.number_rows``) against hashing them.

Usage: .venv/bin/python benchmarks/bench_numbering.py DIR [ROUNDS=4]

Reads DIR in one process with the numbering held back, then, on the same column parts,
alternates ROUNDS times: ``RowIds().number_rows`` (the ids read from the strings' memory,
:mod:`flink_agents_nb.eventlog.ids._strkeys`) and the hashing it replaced (pandas'
``PyObjectHashTable`` per family over the non-missing values, the tables sized once). Prints
the CPU seconds of each round and the best-of ratio. The hashing's later rounds find the
strings' hashes cached (Python keeps a string's hash): the ratio understates the gain. The
objects are scattered over the read's heap as in a real read; the machine's other load
moves the figures (say ``uptime`` with them).
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
from pandas._libs.hashtable import ObjectVector, PyObjectHashTable

from flink_agents_nb.eventlog import _load
from flink_agents_nb.eventlog.columns._arrays import is_none
from flink_agents_nb.eventlog.ids import _numbering
from flink_agents_nb.eventlog.ids._ids import ID_FAMILIES

held: list[tuple[dict[str, list[Any]], int]] = []


class _Held(_numbering.RowIds):
    def number_rows(self, parts: dict[str, list[Any]], total: int) -> None:
        held.append(({name: list(arrays) for name, arrays in parts.items()}, total))


def hashing(parts: dict[str, list[Any]], total: int) -> None:
    """Every family's non-missing ids through one sized ``PyObjectHashTable``."""
    for names in ID_FAMILIES.values():
        table, count = PyObjectHashTable(max(total, 1)), 0
        for name in names:
            if not parts.get(name):
                continue
            values = np.concatenate(parts[name])
            found = ObjectVector()
            table.get_labels(values[~is_none(values)], found, count, -1)
            count += len(found.to_array())


def main() -> None:
    directory, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4
    real = _load.RowIds
    _load.RowIds = _Held  # type: ignore[misc]
    try:
        log = _load.load_log(directory, workers=1)
    finally:
        _load.RowIds = real  # type: ignore[misc]
    parts, total = held[-1]
    took: dict[str, list[float]] = {"numbering": [], "hashing": []}
    for n in range(rounds):
        for which in ("numbering", "hashing") if n % 2 == 0 else ("hashing", "numbering"):
            began = time.process_time()
            if which == "numbering":
                _numbering.RowIds(expect=total).number_rows(parts, total)
            else:
                hashing(parts, total)
            took[which].append(time.process_time() - began)
    print(f"{directory}: {len(log.frame)} rows")
    for which, times in took.items():
        print(f"  {which:10s} CPU s: " + " ".join(f"{t:.3f}" for t in times))
    print(
        f"  best-of ratio hashing/numbering: {min(took['hashing']) / min(took['numbering']):.2f}x"
    )


if __name__ == "__main__":
    main()
