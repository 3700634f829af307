"""Sub-agents (Flink Agents 0.4): an agent used by another agent, as a resource.

A :class:`SubagentSetup` (resource type ``agent``) wraps an :class:`Agent` with a
``description`` and, optionally, an ``input_schema`` (JSON schema of its input; default: a
text prompt). An action calls it with ``await setup.submit(ctx, prompt)``: the sub-agent runs
for that one input on the execution core (a nested local run on the async pool, through
``ctx.durable_execute_async``, so a recovered job gets the recorded result back) and the
handle gives a :class:`SubagentResult`, a value, never an exception: ``status`` ``ok`` with
the ``output`` (its one output, or the list of its outputs), or ``error`` with a
``message``. Metrics under the calling action's group ``action.<a>.subagent.<name>.``
(Flink Agents 0.4's scope; the names follow its ``numOf<X>CallsSucceeded|Failed`` /
``<x>CallLatencyMs`` pattern, as 0.4 names none for sub-agents):
``numOfSubagentCallsSucceeded``, ``numOfSubagentCallsFailed``, ``subagentCallLatencyMs``
(histogram, from submit to the result), and for ``submit`` calls ``promptTokens`` and
``completionTokens`` (what its models used). Called as a tool, the tool action counts the
same three under ``subagent.<name>.`` beside the tool's own ``tool._subagent_<name>.``.

Chat models see a sub-agent as the tool ``_subagent_<name>`` (list that name in a setup's
``tools``): its parameters are the input schema, its answer the sub-agent's output.
The nested run writes no event log of its own; when the caller traces, its events and
actions go into the caller's log inside the call, named ``<name>/<type>`` and
``<name>/<action>`` (see :mod:`flink_agents_runtime.engine.reporting._nested`).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from flink_agents_runtime._errors import FlinkAgentsError, ResourceError
from flink_agents_runtime.api._agent import Agent, ResourceType
from flink_agents_runtime.chat._model import Resource, ResourceContext
from flink_agents_runtime.chat._structured import check_schema
from flink_agents_runtime.chat.tools._tool import Tool
from flink_agents_runtime.engine.reporting._nested import NestedRecords, emit_nested, wants_nested
from flink_agents_runtime.engine.reporting._run_metrics import component_group, subagent_call_ended

TOOL_PREFIX = "_subagent_"
_TEXT_INPUT = {
    "type": "object",
    "properties": {"prompt": {"type": "string", "description": "what to do"}},
    "required": ["prompt"],
}


class SubagentError(FlinkAgentsError, RuntimeError):
    """A sub-agent called as a tool failed (its message is the tool's error answer)."""


@dataclass(frozen=True)
class SubagentResult:
    """The outcome of one sub-agent call: ``status`` ``ok`` (``output``) or ``error``
    (``message``), and the tokens its models used."""

    status: str
    output: Any = None
    message: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @classmethod
    def ok(cls, output: Any, **tokens: int) -> SubagentResult:
        """A successful call."""
        return cls("ok", output, None, **tokens)

    @classmethod
    def error(cls, message: str, **tokens: int) -> SubagentResult:
        """A failed call."""
        return cls("error", None, message, **tokens)

    @property
    def succeeded(self) -> bool:
        """Whether the sub-agent produced its output."""
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (what durable stores record)."""
        return {
            "status": self.status,
            "output": self.output,
            "message": self.message,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


class SubagentHandle:
    """Awaitable result of :meth:`SubagentSetup.submit` (gives a :class:`SubagentResult`)."""

    def __init__(self, call: Any, ctx: Any, name: str, nested: NestedRecords | None) -> None:
        self._call = call
        self._ctx = ctx
        self._name = name
        self._nested = nested
        self._start = time.perf_counter_ns()

    def __await__(self) -> Generator[Any, None, SubagentResult]:
        raw = yield from self._call.__await__()
        result = SubagentResult(**raw)
        emit_nested(self._ctx, self._nested)
        group = component_group(self._ctx.action_metric_group, "subagent", self._name)
        subagent_call_ended(group, self._start, result.succeeded)
        group.get_counter("promptTokens").inc(result.prompt_tokens)
        group.get_counter("completionTokens").inc(result.completion_tokens)
        return result


class SubagentSetup(Resource):
    """A sub-agent as a resource (see the module docstring).

    Args:
        agent: the agent to run per call.
        description: what it does (the tool description chat models see).
        input_schema: JSON schema of its input; ``None``: a text prompt.
        name: its name (default: the resource name it is declared under).
    """

    resource_type = ResourceType.AGENT

    def __init__(
        self,
        agent: Agent,
        description: str,
        input_schema: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        if not isinstance(agent, Agent):
            raise ResourceError(f"SubagentSetup takes an Agent, got {type(agent).__name__}")
        self.agent = agent
        self.description = description
        self.input_schema = input_schema
        self.name = name
        self._config: Any = None

    def open(self, context: ResourceContext) -> None:
        self._config = getattr(context, "config", None)

    def run(self, value: Any, nested: NestedRecords | None = None) -> dict[str, Any]:
        """One call, now, in this thread: a :class:`SubagentResult` as JSON. With
        ``nested``, the nested run is recorded and its records kept there."""
        from flink_agents_runtime.config._configuration import AgentConfiguration
        from flink_agents_runtime.drivers._local import LocalExecutionEnvironment

        name = self.name or "subagent"
        if self.input_schema is not None:
            problem = check_schema(value, self.input_schema, self.input_schema, "$")
            if problem is not None:
                return SubagentResult.error(
                    f"sub-agent {name!r}: bad input: {problem[1]}"
                ).to_json()
        config = self._config.copy() if self._config is not None else AgentConfiguration.resolve()
        for key in (
            "baseLogDir",
            "actionStateStoreBackend",
            "job-identifier",
            "trace-log.base-dir",
            "trace-log.output-type",
        ):
            config.set(key, None)
        env = LocalExecutionEnvironment(config)
        try:
            run = (
                env.from_list([{"key": name, "value": value}])
                .apply(self.agent)
                .execute(record=nested is not None, record_memory=False)
            )
        except Exception as exc:
            if nested is not None:
                nested.take(getattr(exc, "run", None))  # what it did before it failed
            return SubagentResult.error(
                f"sub-agent {name!r} failed: {type(exc).__name__}: {exc}"
            ).to_json()
        if nested is not None:
            nested.take(run)
        counts = run.metric_counts
        tokens = {
            "prompt_tokens": int(sum(v for k, v in counts.items() if k.endswith(".promptTokens"))),
            "completion_tokens": int(
                sum(v for k, v in counts.items() if k.endswith(".completionTokens"))
            ),
        }
        outputs = run.output_values()
        if not outputs:
            return SubagentResult.error(
                f"sub-agent {name!r} produced no output", **tokens
            ).to_json()
        output = outputs[0] if len(outputs) == 1 else outputs
        return SubagentResult.ok(output, **tokens).to_json()

    def submit(self, ctx: Any, prompt: Any) -> SubagentHandle:
        """Start one call; ``await`` the handle in an ``async def`` action."""
        name = self.name or "subagent"
        nested = NestedRecords(name) if wants_nested(ctx) else None
        call = ctx.durable_execute_async(self.run, prompt, nested=nested)
        return SubagentHandle(call, ctx, name, nested)

    def as_tool(self, name: str) -> Tool:
        """The ``_subagent_<name>`` tool chat models call."""
        return SubagentTool(self, name)

    def __repr__(self) -> str:
        return f"SubagentSetup({type(self.agent).__name__}, name={self.name!r})"


class SubagentTool(Tool):
    """A sub-agent as a chat model's tool; its answer is the sub-agent's output.

    The tool action asks :meth:`with_nested_records` for a copy that keeps the nested run's records
    (``nested``), and re-emits them once the call returned."""

    def __init__(self, setup: SubagentSetup, name: str) -> None:
        super().__init__(TOOL_PREFIX + name, setup.description, setup.input_schema or _TEXT_INPUT)
        self.setup = setup
        self.nested: NestedRecords | None = None
        if setup.name is None:
            setup.name = name

    def with_nested_records(self) -> SubagentTool:
        """A copy of this tool that records its nested run into its own ``nested``."""
        copy = SubagentTool(self.setup, self.name[len(TOOL_PREFIX) :])
        copy.nested = NestedRecords(self.setup.name or copy.name[len(TOOL_PREFIX) :])
        return copy

    def call(self, **kwargs: Any) -> Any:
        value = kwargs["prompt"] if self.setup.input_schema is None else kwargs
        result = SubagentResult(**self.setup.run(value, self.nested))
        if not result.succeeded:
            raise SubagentError(str(result.message))
        return result.output
