"""The context an action receives: send events, use memory, metrics, resources, durable calls.

One :class:`RunnerContext` serves one input's cascade; the execution core points it at the
action it is running. It uses only the core's :class:`CoreServices` (ids, config, metrics,
resources, durable store, async pool). Both drivers use this same class.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable, Generator
from concurrent.futures import Future
from typing import Any, TypeVar

from flink_agents_runtime._errors import ArgumentTypeError, ResourceError
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.api._memory import MemoryObject, MemoryStore
from flink_agents_runtime.api._metrics import MetricGroup
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.engine._services import CoreServices
from flink_agents_runtime.engine.awaiting._loop import call_soon, is_async_callable

T = TypeVar("T")

#: ``action_config`` until the first action begins (shared, never written: no action code
#: runs before ``_begin`` gives the context the action's own config).
_NO_CONFIG: dict[str, Any] = {}


class DurableCall:
    """Awaitable result of :meth:`RunnerContext.durable_execute_async`.

    Awaiting it inside an ``async def`` action suspends the action (other keys progress)
    until the call finishes on the async thread pool; it then returns the call's result or
    raises its exception.
    """

    __slots__ = ("future",)

    def __init__(self, future: Future[Any]) -> None:
        self.future = future

    def __await__(self) -> Generator[Future[Any], None, Any]:
        if not self.future.done():
            yield self.future
        return self.future.result()


class RunnerContext:
    """What an action can do (Flink Agents' ``RunnerContext``).

    Attributes:
        key: the key of the input being processed.
    """

    def __init__(
        self,
        core: CoreServices,
        key: Any,
        input_seq: int,
        short_term: MemoryStore | None = None,
        sensory: MemoryStore | None = None,
    ) -> None:
        self._core = core
        self.key = key
        self._input_seq = input_seq
        # The memories are opened on first use (``_short_term_store``, ``_sensory_store``):
        # an input whose actions never touch memory loads and saves none.
        self._st = short_term
        self._se = sensory
        self._sent: list[Event] = []

    # Until the first action begins (``_begin`` sets them per attempt; class defaults cost
    # a context nothing to build).
    _action_name: str | None = None
    _action_config: dict[str, Any] = _NO_CONFIG
    _event_id: str | None = None
    _durable_index = 0
    _journaling = False  # an action attempt is running: memory writes are journaled
    _writes: list[tuple[str, str, Any]] | None = None  # where its writes are recorded

    # -- events ------------------------------------------------------------------------
    def send_event(self, event: Event) -> None:
        """Send ``event``; actions listening to its type run after this one returns.

        Attribute values are checked when the event is built (``Event(...)`` raises
        :class:`EventAttributeError`, also pydantic's ``ValidationError``, naming the path)
        and by ``set_attr``, as in Flink Agents. Raises :class:`ArgumentTypeError` for a non-Event.
        """
        if not isinstance(event, Event):
            raise ArgumentTypeError(
                f"send_event takes an Event, got {type(event).__name__}; wrap the value, "
                "e.g. OutputEvent(output=value)"
            )
        attrs = event.attributes
        if not isinstance(attrs, dict):
            raise ArgumentTypeError(f"event {event.type!r}: attributes must be a dict")
        # Attribute values were checked when the event was built (and by set_attr).
        # Ids: one read before sending (event.id) is kept; otherwise the core's cheap id is
        # given now when records are kept, else when an action takes the event (lineage):
        # an output of an unrecorded run gets none unless read.
        if event._id is None and self._core.tracing:
            event._id = self._core.ids.next()
        event.key = self.key
        event.upstream_event_id = self._event_id
        event.upstream_action_name = self._action_name
        self._sent.append(event)

    # -- memory ------------------------------------------------------------------------
    @property
    def short_term_memory(self) -> MemoryObject:
        """Memory of this key, kept across inputs (Flink keyed state on a cluster)."""
        store = self._st
        return (store if store is not None else self._short_term_store()).view()

    @property
    def sensory_memory(self) -> MemoryObject:
        """Memory of this input only: cleared when its cascade ends."""
        store = self._se
        return (store if store is not None else self._sensory_store()).view()

    def _short_term_store(self) -> MemoryStore:
        """The key's short-term memory, loaded from the core's state on first use."""
        if self._st is None:
            self._st = self._opened(MemoryStore("short_term", self._core.state.load(self.key)))
        return self._st

    def _sensory_store(self) -> MemoryStore:
        """This input's sensory memory, made on first use."""
        if self._se is None:
            self._se = self._opened(MemoryStore("sensory"))
        return self._se

    def _opened(self, store: MemoryStore) -> MemoryStore:
        """A memory opened during an action attempt journals and records from then on."""
        if self._journaling:
            store.journal = []
            store.writes = self._writes
        return store

    # -- configuration -----------------------------------------------------------------
    @property
    def config(self) -> AgentConfiguration:
        """The agent's resolved configuration."""
        return self._core.config

    @property
    def action_config(self) -> dict[str, Any]:
        """The running action's own config (keyword arguments of ``@action``/``add_action``)."""
        return self._action_config

    def get_action_config_value(self, key: str) -> Any:
        """One value of :attr:`action_config` (``None`` when absent)."""
        return self._action_config.get(key)

    @property
    def action_name(self) -> str | None:
        """The name of the running action."""
        return self._action_name

    # -- metrics -----------------------------------------------------------------------
    @property
    def agent_metric_group(self) -> MetricGroup:
        """Metrics of the whole agent."""
        return self._core.metrics

    @property
    def action_metric_group(self) -> MetricGroup:
        """Metrics of the running action (``action.<name>.*``)."""
        return self._core.action_group(self._action_name or "_framework")

    # -- resources ---------------------------------------------------------------------
    def get_resource(
        self,
        name: str,
        resource_type: Any = None,
        metric_group: Any = None,
        *,
        type: Any = None,
    ) -> Any:
        """The resource ``name`` (a chat model, tool, prompt, ...) of the agent.

        Flink Agents' keywords work: ``get_resource(name, type=ResourceType.TOOL)``.
        ``metric_group`` is accepted for Flink Agents' signature; resources report to the
        action's metric group either way.
        """
        provider = self._core.resources
        if provider is None:
            raise ResourceError(f"resource {name!r} requested, but the agent declares none")
        return provider.get(name, type if type is not None else resource_type, self)

    # -- durable calls -----------------------------------------------------------------
    def durable_execute(
        self,
        func: Callable[..., T],
        *args: Any,
        reconciler: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> T:
        """Call ``func(*args, **kwargs)`` now and return its result.

        With an action state store (``actionStateStoreBackend``) the outcome (result or
        exception) is recorded, and a recovered job gets it back instead of calling again;
        calls of an action must then happen in the same order with the same functions.
        ``reconciler`` (no arguments, keyword-only) settles a call that started but whose
        outcome was never recorded (the job died meanwhile): it returns the call's result or
        raises its error, e.g. by asking the remote system whether the payment went through.
        Without a store, ``reconciler`` is never called.
        """
        index = self._durable_index
        self._durable_index += 1
        store = self._core.durable_store
        if store is None:
            return func(*args, **kwargs)
        found, slot = store.lookup(self, index, func)
        if found:
            return slot
        if slot.pending and reconciler is not None:
            call: Callable[[], Any] = reconciler
        else:
            if reconciler is not None:
                store.mark_pending(slot)

            def call() -> Any:
                return func(*args, **kwargs)

        try:
            result = call()
        except Exception as exc:
            store.record(slot, None, exc)
            raise
        store.record(slot, result)
        return result

    def durable_execute_async(
        self,
        func: Callable[..., T],
        *args: Any,
        reconciler: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> DurableCall:
        """Run ``func(*args, **kwargs)`` on the async thread pool; ``await`` the result in an
        ``async def`` action. Calls of one key stay in order; other keys progress meanwhile.
        Recording and ``reconciler`` as in :meth:`durable_execute`.

        An ``async def`` ``func`` (e.g. a connection's ``achat``) runs on the process's
        event loop instead (``engine.awaiting._loop``): no thread waits for it, so hundreds of such
        calls can be in flight; it must not block."""
        index = self._durable_index
        self._durable_index += 1
        store = self._core.durable_store
        if is_async_callable(func):
            return _on_loop(self, store, index, func, args, kwargs, reconciler)
        if store is None:
            return DurableCall(self._core.pool().submit(func, *args, **kwargs))
        done: Future[Any]
        try:
            found, slot = store.lookup(self, index, func)
        except Exception as exc:
            done = Future()
            done.set_exception(exc)
            return DurableCall(done)
        if found:
            done = Future()
            done.set_result(slot)
            return DurableCall(done)
        settle = slot.pending and reconciler is not None
        if reconciler is not None and not settle:
            store.mark_pending(slot)

        def call() -> Any:
            try:
                result = reconciler() if settle and reconciler else func(*args, **kwargs)
            except Exception as exc:
                store.record(slot, None, exc)
                raise
            store.record(slot, result)
            return result

        return DurableCall(self._core.pool().submit(call))

    def durable_execute_all_async(
        self,
        calls: list[Any],
        *,
        parallelism: int | None = None,
        timeout_ms: int | None = None,
        return_exceptions: bool = False,
    ) -> DurableCall:
        """Run a batch of calls (callables or ``(func, *args)`` tuples) on the async pool,
        at most ``parallelism`` at once (default ``tool-call.parallelism``); ``await`` the
        list of results in call order. See :mod:`flink_agents_runtime.engine.awaiting._batch` for
        recovery (finished calls keep their outcome) and ``timeout_ms``."""
        from flink_agents_runtime.engine.awaiting._batch import run_batch

        width = parallelism if parallelism is not None else self.config.get("tool-call.parallelism")
        if width is None:  # unset: the number of CPU cores
            width = os.cpu_count() or 1
        index = self._durable_index
        self._durable_index += len(calls)
        future = run_batch(self, index, calls, max(1, int(width)), timeout_ms, return_exceptions)
        return DurableCall(future)

    # -- core hooks --------------------------------------------------------------------
    def _begin(
        self,
        action: str,
        config: dict[str, Any],
        event_id: str | None,
        writes: list[tuple[str, str, Any]] | None = None,
        *,
        journal: bool = True,
    ) -> None:
        """An attempt of ``action`` starts: from now on memory writes are journaled (rolled
        back by :meth:`_end` if it fails) and, when ``writes`` is a list, recorded there;
        ``journal=False`` leaves that to :meth:`_journal` (a durable replay comes first)."""
        self._action_name = action
        self._action_config = config
        self._event_id = event_id
        self._sent = []
        self._durable_index = 0
        self._call_times: list[Any] = []  # model/tool calls of this attempt (_call_times)
        if journal:  # as _journal (inline: once per action)
            self._journaling = True
            self._writes = writes
            st, se = self._st, self._se
            if st is not None:
                st.journal = []
                st.writes = writes
            if se is not None:
                se.journal = []
                se.writes = writes

    def _journal(self, writes: list[tuple[str, str, Any]] | None) -> None:
        """Journal (and record in ``writes``) the memory writes of the running attempt."""
        self._journaling = True
        self._writes = writes
        for store in (self._st, self._se):
            if store is not None:
                store.journal = []
                store.writes = writes

    def _end(self, ok: bool) -> None:
        """The running attempt ended: keep its memory writes (``ok``) or roll them back."""
        self._journaling = False
        self._writes = None
        for store in (self._st, self._se):
            if store is not None:
                store.writes = None
                if not ok:
                    store.rollback()
                store.journal = None

    def close(self) -> None:
        """Release what the context holds (nothing locally)."""

    def __repr__(self) -> str:
        return f"RunnerContext(key={self.key!r}, action={self._action_name!r})"


def _on_loop(
    ctx: RunnerContext,
    store: Any,
    index: int,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    reconciler: Callable[[], Any] | None,
) -> DurableCall:
    """:meth:`RunnerContext.durable_execute_async` of an ``async def`` function."""
    if store is None:
        return DurableCall(call_soon(func(*args, **kwargs)))
    done: Future[Any] = Future()
    try:
        found, slot = store.lookup(ctx, index, func)
    except Exception as exc:
        done.set_exception(exc)
        return DurableCall(done)
    if found:
        done.set_result(slot)
        return DurableCall(done)
    settle = slot.pending and reconciler is not None
    if reconciler is not None and not settle:
        store.mark_pending(slot)

    async def call() -> Any:
        try:
            if settle and reconciler is not None:
                result = reconciler()
                if inspect.isawaitable(result):
                    result = await result
            else:
                result = await func(*args, **kwargs)
        except Exception as exc:
            store.record(slot, None, exc)
            raise
        store.record(slot, result)
        return result

    return DurableCall(call_soon(call()))


def wall_ns() -> int:
    """Wall-clock time in ns since the epoch (UTC), for record timestamps."""
    return time.time_ns()
