"""The bridge between the execution core and an :class:`ActionStateStore`.

It is the core's ``durable_store``: it numbers each key's inputs (the sequence number lives in
the driver's keyed state, so a restored job numbers replayed inputs as the first attempt did),
records each action's durable calls, sent events and memory writes as it runs, and on
recovery tells the core to replay an action that had completed, and gives a half-finished
action its recorded call outcomes in call order.
"""

from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass
from typing import Any

from flink_agents_runtime._errors import ActionStateStoreError
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.durable._base import (
    CALL_ERROR,
    CALL_OK,
    CALL_PENDING,
    ActionState,
    ActionStateStore,
    CallResult,
    event_fingerprint,
    key_text,
)
from flink_agents_runtime.durable._codec import UnstorableValueError, encode_value

logger = logging.getLogger(__name__)


def func_id(func: Any) -> str:
    """A function's identity for replay checks: ``module.qualname`` (or its repr)."""
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    return f"{module}.{name}" if name else repr(type(func))


@dataclass
class _InputState:
    seq: int
    stored: dict[int, ActionState]
    step: int = -1
    action: ActionState | None = None  # the running action's state


@dataclass
class CallSlot:
    """Where one durable call's outcome goes (opaque to the context).

    Attributes:
        pending: an earlier attempt started this call but never recorded its outcome.
    """

    tracker: ActionStateTracker
    key: Any
    seq: int
    step: int
    state: ActionState
    index: int
    func_id: str
    pending: bool = False


class ActionStateTracker:
    """Implements the core's ``DurableStore`` protocol over ``store``.

    Args:
        store: the backend (already rebuilt).
    """

    def __init__(self, store: ActionStateStore) -> None:
        self.store = store
        #: Actions replayed instead of run, and durable calls answered from the store.
        self.replayed_actions = 0
        self.replayed_calls = 0
        #: Inputs pruned at restore (their key's first input since the tracker opened).
        self.pruned = 0
        self._seen: set[Any] = set()
        # Per key, the input in flight (one at a time per key): kept here, not on the context.
        self._inputs: dict[Any, _InputState] = {}
        # Calls of one action record from several pool threads: each change to the action's
        # state and its write happen under this lock, so a write never carries a state
        # older than one already written (a lost update re-ran a finished call).
        self._record_lock = threading.Lock()

    # -- inputs and actions (called by the core) ------------------------------------------
    def begin_input(self, ctx: Any, seq: int) -> None:
        """Input ``seq`` of ``ctx.key`` starts: load what an earlier attempt recorded.

        The first input of a key since this tracker opened prunes the key's older inputs:
        its ``seq`` comes from the state the job (re)started with (a restored checkpoint),
        which already covers them, and Flink restores only its latest checkpoint.
        """
        key = ctx.key
        if key not in self._seen:
            self._seen.add(key)
            if seq > 0:
                self.pruned += self.store.prune(key, seq)
        self._inputs[key] = _InputState(seq, self.store.get(key, seq))
        self.store.forget_below(key, seq)

    def begin_action(self, ctx: Any, action: str, event: Any, attempt: int) -> ActionState | None:
        """An action starts on ``event``. Returns the stored state when the action had
        completed in an earlier attempt (the core replays it instead of running it)."""
        inp = self._inputs[ctx.key]
        if attempt == 1:
            inp.step += 1
        fingerprint = event_fingerprint(event.type, event.attributes)
        state = inp.stored.get(inp.step)
        if state is not None and (state.action != action or state.fingerprint != fingerprint):
            logger.warning(
                "action state of key %r input %d step %d was recorded for action %r on another "
                "event; the cascade changed since, so it is ignored and %r runs",
                ctx.key,
                inp.seq,
                inp.step,
                state.action,
                action,
            )
            inp.stored = {s: v for s, v in inp.stored.items() if s < inp.step}
            state = None
        if state is not None and state.done:
            self.replayed_actions += 1
            return state
        if state is None:
            state = ActionState(action, fingerprint)
            inp.stored[inp.step] = state
        elif attempt > 1:
            # A retry in the same run: keep successful calls, run failed ones again.
            first_error = min(
                (i for i, c in state.calls.items() if c.status == CALL_ERROR), default=None
            )
            if first_error is not None:
                state.calls = {i: c for i, c in state.calls.items() if i < first_error}
        inp.action = state
        return None

    def finish_action(
        self,
        ctx: Any,
        status: str,
        sent: list[Any],
        writes: list[tuple[str, str, Any]] | None,
    ) -> None:
        """The running action ended (``ok`` or ``ignored``): store its effects as done."""
        inp = self._inputs[ctx.key]
        state = inp.action
        assert state is not None, "finish_action without begin_action"
        state.done = True
        state.status = status
        state.events = [(e.type, e.attributes) for e in sent]
        state.writes = list(writes or [])
        self.store.put(ctx.key, inp.seq, inp.step, state)

    def replay(self, ctx: Any, done: ActionState, short_term: Any, sensory: Any) -> None:
        """Re-apply ``done``'s memory writes (in order) and re-send its events (new ids,
        lineage from the running action) without running the action."""
        stores = {"short_term": short_term, "sensory": sensory}
        for memory, path, value in done.writes:
            view = stores[memory].view()
            if path.endswith("{}"):
                view.new_object(path[:-2], overwrite=True)
            else:
                view.set(path, value)
        for event_type, attributes in done.events:
            ctx.send_event(Event(type=event_type, attributes=copy.deepcopy(attributes)))

    # -- durable calls (called by the RunnerContext) --------------------------------------
    def lookup(self, ctx: Any, index: int, func: Any) -> tuple[bool, Any]:
        """``(True, result)`` for a recorded call (a recorded exception is raised), else
        ``(False, slot)`` where ``slot`` receives the outcome (:meth:`record`)."""
        inp = self._inputs[ctx.key]
        state = inp.action
        assert state is not None, "a durable call outside an action"
        fid = func_id(func)
        found = state.calls.get(index)
        if found is not None and found.func_id != fid:
            logger.warning(
                "durable call %d of action %r for key %r was recorded for %s, now calls %s; "
                "it and later calls run again",
                index,
                state.action,
                ctx.key,
                found.func_id,
                fid,
            )
            state.calls = {i: c for i, c in state.calls.items() if i < index}
            found = None
        slot = CallSlot(self, ctx.key, inp.seq, inp.step, state, index, fid)
        if found is None:
            return False, slot
        if found.status == CALL_PENDING:
            slot.pending = True
            return False, slot
        self.replayed_calls += 1
        if found.status == CALL_OK:
            return True, found.value
        raise found.value

    def mark_pending(self, slot: CallSlot) -> None:
        """The call is about to run (with a reconciler): remember that it started."""
        with self._record_lock:
            slot.state.calls[slot.index] = CallResult(slot.func_id, CALL_PENDING)
            self.store.put(slot.key, slot.seq, slot.step, slot.state)

    def record(self, slot: CallSlot, result: Any, error: BaseException | None = None) -> None:
        """Store the call's outcome (thread-safe: async calls record from the pool)."""
        if error is None:
            try:
                encode_value(result, "result")
            except UnstorableValueError as exc:
                raise UnstorableValueError(
                    f"durable call {slot.index} ({slot.func_id}) of action "
                    f"{slot.state.action!r} for key {slot.key!r}: {exc}",
                    path=exc.path,
                    type_name=exc.type_name,
                ) from None
            outcome = CallResult(slot.func_id, CALL_OK, result)
        else:
            outcome = CallResult(slot.func_id, CALL_ERROR, error)
        try:
            with self._record_lock:
                slot.state.calls[slot.index] = outcome
                self.store.put(slot.key, slot.seq, slot.step, slot.state)
        except Exception as exc:
            raise ActionStateStoreError(
                f"{self.store.backend} action state store: cannot record durable call "
                f"{slot.index} of action {slot.state.action!r} for key {slot.key!r}: {exc}"
            ) from exc

    def summary(self, limit: int = 1000) -> dict[str, Any]:
        """What this tracker did, for a subtask's metric totals file: the keys whose inputs
        it handled (``keysHandled``) and the keys whose stored states it held
        (``keysHeld``; at most ``limit`` of each, stored form, sorted), replayed actions and
        calls, and inputs pruned."""
        return {
            "keysHandled": sorted(key_text(k) for k in self._seen)[:limit],
            "keysHeld": self.store.keys()[:limit],
            "replayedActions": self.replayed_actions,
            "replayedCalls": self.replayed_calls,
            "pruned": self.pruned,
        }

    def close(self) -> None:
        """Close the backend."""
        self.store.close()
