"""Call sources for time travel: answers from a record, or live calls with another model.

:class:`RecordedCalls` answers the n-th model call of an input with the n-th model answer the
record holds for that input (the setup's name must match), and a tool call with the recorded
answer to the same call id (tool name and arguments must match). A call the record cannot
answer is a *miss*: kept in :attr:`RecordedCalls.misses` and then answered by the fallback
(``"live"``: the agent's own model or tool; a chat model connection: that model), or, with no
fallback, failed with :class:`CallNotRecordedError`.

A record holds the conversation an action sent, not the prompt a chat model setup puts in
front of it. Given the recorded agent (``reference``, a :class:`RecordedPrompts`), a model
call whose full request (setup prompt, model name, tools) differs from what the recorded
agent's setup would send for the same conversation is a miss too: "the prompt changed".

:class:`LiveCalls` calls live, optionally with another chat model (a fork's ``model=``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flink_agents_runtime._errors import FlinkAgentsError
from flink_agents_runtime.api._agent import Agent, ResourceType
from flink_agents_runtime.api._resources import PlanResources
from flink_agents_runtime.chat._message import ChatMessage
from flink_agents_runtime.chat.action._calls import CallSite, Outcome
from flink_agents_runtime.engine.plan._plan import AgentPlan
from flink_agents_runtime.timetravel._difference import first_difference
from flink_agents_runtime.timetravel._recording import RecordedInput


class CallNotRecordedError(FlinkAgentsError, LookupError):
    """A replayed call has no recorded answer (and no fallback was given)."""

    retryable = False  # retrying cannot make the record hold it


@dataclass(frozen=True)
class Miss:
    """A call the record could not answer: where, and why."""

    key: Any
    input_seq: int
    site: str
    reason: str


class _OpenContext:
    """What a replacement connection sees when it is opened: the run's configuration only."""

    def __init__(self, config: Any) -> None:
        self.config = config

    def get(self, name: str, resource_type: Any = None, ctx: Any = None) -> Any:
        raise FlinkAgentsError(
            f"a replacement chat model cannot use other resources (it asked for {name!r})"
        )


def open_model(model: Any, config: Any) -> Any:
    """``model`` opened with the run's ``config`` (a connection's ``open``; once per replay
    or fork), built first when it is a ``ResourceDescriptor``; returns it."""
    build = getattr(model, "build", None)
    if callable(build) and not callable(getattr(model, "chat", None)):
        model = build()
    opener = getattr(model, "open", None)
    if callable(opener):
        opener(_OpenContext(config))
    return model


def swap_model(site: CallSite, model: Any) -> Callable[[], Outcome]:
    """``site``'s chat call made with ``model``: an opened chat model connection (the setup's
    prompt, tools and model name kept) or a setup object."""
    setup = site.resource
    if site.with_resource is None or setup is None:
        raise FlinkAgentsError(f"cannot re-route {site.describe()} to another model")
    if callable(getattr(model, "build_messages", None)):
        return site.with_resource(model)  # a setup
    swapped = copy.copy(setup)
    swapped._connection = model  # the setup's connection, replaced for this call
    return site.with_resource(swapped)


def rendered(setup: Any, request: dict[str, Any]) -> dict[str, Any]:
    """What ``setup`` sends for an action's ``request``: messages (prompt first), model,
    tools and model kwargs, as JSON data."""
    msgs = [ChatMessage.from_dict(m) for m in request.get("messages") or ()]
    built = setup.build_messages(msgs, request.get("prompt_args") or {})
    return {
        "messages": [m.to_dict() for m in built],
        "model": getattr(setup, "model", None),
        "tools": list(getattr(setup, "tools", None) or ()),
        "model_kwargs": dict(getattr(setup, "model_kwargs", None) or {}),
    }


class RecordedPrompts:
    """Renders model requests as the recorded agent's chat model setups would."""

    def __init__(self, agent: Agent, config: Any = None) -> None:
        self._resources = PlanResources(AgentPlan.from_agent(agent).resources, config)

    def render(self, site: CallSite) -> dict[str, Any]:
        """The recorded agent's request for ``site``'s conversation."""
        return rendered(self._resources.get(site.name, ResourceType.CHAT_MODEL), site.request)

    def close(self) -> None:
        """Release the resources built for rendering."""
        self._resources.close()


class LiveCalls:
    """Every call live; chat calls through ``model`` when given (see :func:`swap_model`): a
    chat model connection or its ``ResourceDescriptor``, opened with ``config``."""

    def __init__(self, model: Any = None, config: Any = None) -> None:
        self.model = open_model(model, config) if model is not None else None

    def resolve(self, site: CallSite, live: Callable[[], Outcome]) -> Callable[[], Outcome]:
        if self.model is None or site.kind != "chat":
            return live
        return swap_model(site, self.model)


class RecordedCalls:
    """Answers from a record (see the module docstring).

    Args:
        inputs: the recorded input that each core ``input_seq`` replays.
        fallback: ``None`` (a miss fails the call), ``"live"``, or a chat model connection.
        reference: the recorded agent's prompts (see the module docstring), or ``None``.
    """

    def __init__(
        self,
        inputs: dict[int, RecordedInput],
        fallback: Any = None,
        reference: RecordedPrompts | None = None,
        config: Any = None,
    ) -> None:
        self.inputs = inputs
        live_fallback = fallback is None or fallback == "live"
        self.fallback = fallback if live_fallback else open_model(fallback, config)
        self.reference = reference
        self.misses: list[Miss] = []
        self.answered = 0
        self._chat_index: dict[int, int] = {}
        self._tools: dict[int, dict[Any, Any]] = {}

    def resolve(self, site: CallSite, live: Callable[[], Outcome]) -> Callable[[], Outcome]:
        rec = self.inputs.get(site.input_seq)
        if rec is None:
            return self._miss(site, live, "the record has no such input")
        if site.kind == "chat":
            index = self._chat_index.get(site.input_seq, 0)
            self._chat_index[site.input_seq] = index + 1
            if index >= len(rec.chat):
                why = f"model call {index + 1} of {rec.label}; the record holds {len(rec.chat)}"
                return self._miss(site, live, why)
            name, outcome = rec.chat[index]
            if name is not None and name != site.name:
                why = f"model call {index + 1} of {rec.label} went to {name!r} in the record"
                return self._miss(site, live, why)
            changed = self._prompt_change(site)
            if changed:
                why = f"model call {index + 1} of {rec.label}: {changed}"
                return self._miss(site, live, why)
        else:
            queues = self._tools.get(site.input_seq)
            if queues is None:
                queues = self._tools[site.input_seq] = {k: list(v) for k, v in rec.tools.items()}
            call_id = site.request.get("call_id")
            queue = queues.get(call_id)
            if not queue:
                return self._miss(site, live, f"no recorded answer to tool call {call_id!r}")
            name, arguments, outcome = queue.pop(0)
            if name != site.name or arguments != site.request.get("arguments"):
                why = f"the record called {name!r} with {arguments!r} as {call_id!r}"
                return self._miss(site, live, why)
        self.answered += 1
        answer = copy.deepcopy(outcome)
        return lambda: answer

    def _prompt_change(self, site: CallSite) -> str | None:
        """How the request differs from the recorded agent's, or ``None``."""
        if self.reference is None or site.resource is None:
            return None
        try:
            want = self.reference.render(site)
        except Exception as exc:
            return f"the recorded agent cannot make this request ({type(exc).__name__}: {exc})"
        where = first_difference(want, rendered(site.resource, site.request))
        return f"the request differs from the recorded agent's at {where}" if where else None

    def _miss(
        self, site: CallSite, live: Callable[[], Outcome], reason: str
    ) -> Callable[[], Outcome]:
        self.misses.append(Miss(site.key, site.input_seq, site.describe(), reason))
        if self.fallback == "live":
            return live
        if self.fallback is not None and site.kind == "chat":
            return swap_model(site, self.fallback)
        message = f"{site.describe()} is not in the record: {reason}"

        def fail() -> Outcome:
            raise CallNotRecordedError(message)

        return fail
