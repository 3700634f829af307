"""Links between the records of a Flink Agents 0.4 Trace Log, filled column-wise.

:func:`link` runs once on the whole frame after reading (see :mod:`._trace` for the
columns). What it fills needs other records of the log:

- ``duration_ms`` of an ended action or call (ms, float): its ``started`` record's time to
  its own, paired by ``executionId`` (the first ``started`` record of that id, in the
  frame's order); its ``timestamp`` becomes the start time (as our action records);
- calls (and starts of calls): ``action`` (the name of the action execution around them,
  by ``parent_execution_id``) and ``event_id`` (that action's handled event);
- every record but events: ``event_type``, the type of its handled event (``None`` when
  that event is not in the log);
- a chat response event without a model: the model of the last llm record made by the
  execution that sent it;
- ended action rows: ``attributes`` gains ``sentEventIds`` (the events whose parent is
  the execution, in frame order);
- ``input_seq`` where missing: the input runs numbered in order of their first record.

How, on 1M records: every lookup runs on integer codes of the id columns
(``lookup``/``argsort``/``searchsorted``). The reader numbers the ids while it reads, each
process its own rows (:mod:`..ids._numbering`), and hands the codes over: nothing is hashed
here (when it could not, each id column is hashed once here); the event ids' codes go on to
the lineage check (:func:`link_coded`). Record and entity types are told apart by object
address, without comparing 1M strings; no Python runs per record but the per-action
``sentEventIds`` cells (their dicts made when looked into). The start times are all that
moves rows: the reader moves them before building the frame
(:func:`._trace_times.start_times`) and builds it in its final order; otherwise the frame,
handed over in the order read with its time order, is reordered once here (~0.3 s of CPU per
1M rows), and the columns filled later are written into the reordered frame's own arrays (no
copy and set per column).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import repeat

import numpy as np
import pandas as pd

from flink_agents_nb.eventlog._attributes import SentAttributes, SentTable
from flink_agents_nb.eventlog.columns._arrays import codes as codes_of
from flink_agents_nb.eventlog.columns._arrays import is_none
from flink_agents_nb.eventlog.ids._ids import EventCodes, Kinds, id_codes, lookup
from flink_agents_nb.eventlog.trace._trace_times import Timed, final_of, inverse, moved


def link(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill what needs other records of the log (see the module docstring). Returns the
    frame, re-sorted by time (stable) when start times moved rows, else the same frame
    with the filled columns replaced."""
    return link_coded(frame)[0]


def link_coded(
    frame: pd.DataFrame,
    order: np.ndarray | None = None,
    ids: Mapping[str, np.ndarray] | None = None,
    timed: Timed | None = None,
) -> tuple[pd.DataFrame, EventCodes | None]:
    """:func:`link`, and the returned frame's event ids as codes (for
    :func:`.._lineage.check_links`; ``None`` when the frame has no trace records).

    ``order``: the frame's rows are not in time order yet; this permutation puts them in
    it (``_columns.time_order``). The result is then what ``link(frame.take(order))``
    gives, with the frame reordered once (reordering a million rows of object columns
    costs ~0.4 s): every "first"/"last"/"in frame order" below goes by rank in ``order``.

    ``ids``: the frame's id columns numbered already (:class:`..ids._numbering.RowIds`: codes
    per row of the given frame, per column of ``_ids.ID_COLUMNS``, equal ids equal codes
    within a family): no id is hashed here. Not written to.

    ``timed``: :func:`start_times` ran on the frame's columns before it was built, in
    ``timed.final``'s order (``order`` is then not looked at): the frame is the linking's
    to write into (no copies), never reordered, and its record and entity types are
    ``timed``'s (told apart once, before the frame). The result is the same.
    """
    rank = timed.rank if timed is not None else inverse(order)
    if timed is not None:
        order = None
        if not timed.linked:
            return frame, None
    if "execution_id" not in frame.columns:
        return _reordered(frame, order), None
    entity = _kinds(frame, "entity_type", timed.entity if timed is not None else None)
    if entity.all_none:
        return _reordered(frame, order), None

    def ranked(rows: np.ndarray) -> np.ndarray:
        """``rows`` in frame order (the time order when the frame is not in it yet)."""
        return rows if rank is None else rows[np.argsort(rank[rows], kind="stable")]

    record = _kinds(frame, "record_type", timed.record if timed is not None else None)
    is_event = record.of("event")
    is_action_entity = entity.of("action")
    if ids is None:
        exec_code, parent_code = id_codes(
            frame["execution_id"].to_numpy(),
            frame["parent_execution_id"].to_numpy(),
            by_object=(False, True),
        )
    else:
        exec_code, parent_code = ids["execution_id"], ids["parent_execution_id"]
    has_exec = exec_code >= 0
    if timed is None:
        starts = ranked(np.flatnonzero(record.of("start") & has_exec))
        _start_times(frame, starts, exec_code, record)
    if ids is None:
        ups = frame["upstream_event_id"].to_numpy()
        up_rows = np.flatnonzero(is_event & ~is_none(ups))  # those the lineage check reads
        event_code, up_coded = id_codes(frame["event_id"].to_numpy(), ups[up_rows])
        up_code = np.full(len(frame), -1, dtype=np.intp)
        up_code[up_rows] = up_coded
    else:  # upstream ids: coded on event rows only (those the lineage check reads)
        event_code = ids["event_id"].copy()  # written below
        up_code = np.where(is_event, ids["upstream_event_id"], -1)
    is_action_record, is_llm = record.of("action"), entity.of("llm")
    # The start times are all that moves rows: reorder now, once, while the columns filled
    # below are still the frame's own (then written in place: no copy and set per column).
    final = _final_order(frame, rank) if timed is None else None
    own = final is not None or timed is not None
    if final is not None:
        frame = _reordered(frame, final)
        rank = final if rank is None else rank[final]  # "frame order": the order before
        exec_code, parent_code, has_exec = exec_code[final], parent_code[final], has_exec[final]
        event_code, up_code = event_code[final], up_code[final]
        is_event, is_action_entity = is_event[final], is_action_entity[final]
        is_action_record, is_llm = is_action_record[final], is_llm[final]
    # Calls (and starts of calls): the action execution around them, and its handled event.
    acts = ranked(np.flatnonzero(is_action_entity & has_exec))
    _handled_from_sent(frame, acts, is_event, exec_code, parent_code, event_code, up_code, own)
    inner = np.flatnonzero(~is_event & ~is_action_entity)
    if len(acts) and len(inner):
        handled, found = lookup(exec_code[acts], acts, parent_code[inner])  # the action's row
        rows, handled = inner[found], handled[found]
        names = frame["entity_name"].to_numpy()
        with _Column(frame, "action", own) as action_col:
            action_col[rows] = names[handled]
        with _Column(frame, "event_id", own) as event_ids:
            event_ids[rows] = event_ids[handled]
        event_code[rows] = event_code[handled]
    events = ranked(np.flatnonzero(is_event))
    others = np.flatnonzero(~is_event)
    if len(others):
        with _Column(frame, "event_type", own) as types:
            handled_types, found = lookup(event_code[events], types[events], event_code[others])
            handled_types[~found] = None
            types[others] = handled_types
    _models_of_responses(frame, is_event, ranked(np.flatnonzero(is_llm)), parent_code, own)
    _sent_events(frame, is_action_record, events, exec_code, parent_code, own)
    run_code = None
    if ids is not None:
        run_code = ids["run_id"] if final is None else ids["run_id"][final]
    _input_numbers(frame, run_code, own)
    return frame, EventCodes(event_code, up_code)


def _handled_from_sent(
    frame: pd.DataFrame,
    acts: np.ndarray,
    is_event: np.ndarray,
    exec_code: np.ndarray,
    parent_code: np.ndarray,
    event_code: np.ndarray,
    up_code: np.ndarray,
    own: bool,
) -> None:
    """Action rows (``acts``) without a handled event, as in pre-0.4 flat logs (no
    ``triggerEventId``): the upstream event of the first event their execution sent.
    ``event_code`` is updated with the ``event_id`` column."""
    missing = acts[event_code[acts] < 0]
    if not len(missing):
        return
    sent = np.flatnonzero(is_event & (parent_code >= 0) & (up_code >= 0))
    source, found = lookup(parent_code[sent], sent, exec_code[missing])
    rows, source = missing[found], source[found]
    if not len(rows):
        return
    upstream = frame["upstream_event_id"].to_numpy()
    with _Column(frame, "event_id", own) as event_ids:
        event_ids[rows] = upstream[source]
    event_code[rows] = up_code[source]


def _kinds(frame: pd.DataFrame, column: str, made: Kinds | None) -> Kinds:
    """The frame's ``column`` as :class:`Kinds`: ``made`` already (per row of the frame),
    else made now."""
    return made if made is not None else Kinds(frame[column].to_numpy())


def _final_order(frame: pd.DataFrame, rank: np.ndarray | None) -> np.ndarray | None:
    """The rows by time (start times moved some), equal times in frame order (by ``rank``
    when given), missing times last; ``None`` when they are in that order already."""
    return final_of(frame["timestamp"].to_numpy(dtype="datetime64[ns]"), rank)


def _reordered(frame: pd.DataFrame, order: np.ndarray | None) -> pd.DataFrame:
    if order is None:
        return frame
    frame = frame.take(order)
    frame.index = pd.RangeIndex(len(frame))
    return frame


class _Column:
    """``with _Column(frame, name, own) as values``: the column's values to write into;
    written into the frame's own array when ``own`` (a frame this module made, not the
    caller's) and pandas lets it, else into a copy set back on exit."""

    def __init__(self, frame: pd.DataFrame, name: str, own: bool) -> None:
        self.frame, self.name = frame, name
        values = frame[name].to_numpy()
        self.copied = not (own and values.flags.writeable and values.dtype == object)
        self.values = values.copy() if self.copied else values

    def __enter__(self) -> np.ndarray:
        return self.values

    def __exit__(self, *exc: object) -> None:
        if self.copied and exc[0] is None:
            self.frame[self.name] = self.values


def _start_times(
    frame: pd.DataFrame, starts: np.ndarray, exec_code: np.ndarray, record: Kinds
) -> None:
    """Ended actions and calls: ``duration_ms`` from their ``started`` record (the first of
    ``starts``, rows in frame order, with the same execution id), and its time as their
    ``timestamp``."""
    stamps = frame["timestamp"].to_numpy(dtype="datetime64[ns]")
    found = moved(stamps, starts, exec_code, record)
    if found is None:
        return
    rows, start_ns = found
    duration = frame["duration_ms"].to_numpy(dtype=float, copy=True)
    duration[rows] = (stamps[rows] - start_ns) / np.timedelta64(1, "ms")
    frame["duration_ms"] = duration
    stamps = stamps.copy()
    stamps[rows] = start_ns
    frame["timestamp"] = pd.Series(stamps).dt.tz_localize("UTC").array


def _input_numbers(
    frame: pd.DataFrame, run_code: np.ndarray | None = None, own: bool = False
) -> None:
    """``input_seq`` where missing: the input runs (``run_id``) numbered in order of their
    first record (views select by it). ``run_code``: the run ids as codes per row already
    (equal ids equal codes, any order; -1 missing): nothing hashed. ``own``: written into
    the frame's own array (see :class:`_Column`)."""
    runs = frame["run_id"].to_numpy()
    given = frame["input_seq"].array
    missing = given.isna() & ~is_none(runs)
    if not missing.any():
        return
    # (shared strings: hashed once per object)
    codes = codes_of(runs) if run_code is None else _by_first_row(run_code)
    if own and type(given) is pd.arrays.IntegerArray:
        given._data[missing] = codes[missing]
        given._mask[missing] = False
        return
    seqs = frame["input_seq"].to_numpy(dtype=float, na_value=np.nan)
    seqs[missing] = codes[missing]
    gaps = np.isnan(seqs)
    frame["input_seq"] = pd.arrays.IntegerArray(np.where(gaps, 0, seqs).astype(np.int64), gaps)


def _by_first_row(codes: np.ndarray) -> np.ndarray:
    """``codes`` renumbered in order of their first row (as ``pd.factorize`` numbers;
    -1 stays)."""
    if not len(codes):
        return codes
    size = int(codes.max()) + 1
    given = np.flatnonzero(codes >= 0)
    first = np.full(size, len(codes), dtype=np.int64)
    np.minimum.at(first, codes[given], given)
    rank = np.empty(size + 1, dtype=np.intp)
    rank[np.argsort(first, kind="stable")] = np.arange(size)
    rank[size] = -1  # code -1: the last slot
    return rank[codes]


def _models_of_responses(
    frame: pd.DataFrame,
    is_event: np.ndarray,
    llm_rows: np.ndarray,
    parent_code: np.ndarray,
    own: bool = False,
) -> None:
    """A chat response event without a model gets the model of the llm call made by the
    execution that sent it (the last one of ``llm_rows``, in frame order, if it made
    several)."""
    model = frame["model"].to_numpy()
    present = ~is_none(model)
    llm = llm_rows[present[llm_rows]]
    if not len(llm):
        return
    tokens = (
        frame["prompt_tokens"].notna().to_numpy() | frame["completion_tokens"].notna().to_numpy()
    )
    want = np.flatnonzero(is_event & ~present & tokens)
    if len(want):
        found_models, found = lookup(parent_code[llm], model[llm], parent_code[want], last=True)
        with _Column(frame, "model", own) as model:
            model[want[found]] = found_models[found]


def _sent_events(
    frame: pd.DataFrame,
    is_action_record: np.ndarray,
    events: np.ndarray,
    exec_code: np.ndarray,
    parent_code: np.ndarray,
    own: bool = False,
) -> None:
    """Action rows that ended: ``attributes`` gains ``sentEventIds`` (a new
    :class:`.._attributes.SentAttributes` per row, holding the row's own attributes; the
    events whose parent is the row's execution, in the order of ``events``: the event rows
    in frame order)."""
    rows = np.flatnonzero(is_action_record)
    if not len(rows):
        return
    all_ids = frame["event_id"].to_numpy()
    parents = parent_code[events]
    keep = np.flatnonzero((parents >= 0) & ~is_none(all_ids)[events])
    by_parent = keep[np.argsort(parents[keep], kind="stable")]  # runs of one parent each
    sorted_ids = all_ids[events[by_parent]].tolist()
    mine = exec_code[rows]
    # each parent's run: counted, not searched (codes are small integers)
    size = int(max(parents.max(initial=-1), mine.max(initial=-1))) + 1
    counts = np.bincount(parents[keep], minlength=size)
    starts = np.cumsum(counts) - counts
    given = mine >= 0
    lo = np.where(given, starts[mine], 0)
    hi = np.where(given, lo + counts[mine], 0)
    with _Column(frame, "attributes", own) as attrs:
        table = SentTable(sorted_ids, lo, hi)
        attrs[rows] = np.fromiter(  # made when looked into (most never are)
            map(SentAttributes, attrs[rows].tolist(), repeat(table), range(len(rows))),
            dtype=object,
            count=len(rows),
        )
