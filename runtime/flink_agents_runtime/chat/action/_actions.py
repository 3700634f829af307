"""Built-in actions: the chat loop and the tool runner (added to a plan that uses them).

``chat_model_action`` listens to ``_chat_request_event`` and ``_tool_response_event``: it
calls the model; an answer with tool calls becomes a ``_tool_request_event`` (the
conversation so far waits in sensory memory under ``_chat``), an answer without tool calls
becomes the ``_chat_response_event``. ``tool_call_action`` runs the tools of a
``_tool_request_event`` and sends a ``_tool_response_event``, which brings the loop back to
the model. A request may call the model at most ``chat.max-turns`` times.

Calls run through ``ctx.durable_execute_async`` when ``chat.async`` / ``tool-call.async``
are true (other keys progress meanwhile), else ``ctx.durable_execute``. Under the ``retry``
error-handling strategy a failing model call is retried in place (``max-retries`` times,
waiting ``retry-wait-interval`` doubled per retry; ``chat.action._model_call``); errors that are
not retryable (HTTP 4xx, malformed answers) are raised at once. Metrics, in the
action's group ``action.chat_model_action``: ``model.<model>.promptTokens`` and
``completionTokens`` for every call (zero counts too), ``model.<model>.retryCount`` and
``retryWaitSec`` (seconds; the connection's own retries included, on both call paths), and
the ``model_resource.<resource>.`` call metrics; their handles are taken once
(``chat.action._call_metrics``).
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from flink_agents_runtime._errors import ResourceError
from flink_agents_runtime.api._agent import ActionSpec, ResourceType
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.chat._errors import ChatModelError
from flink_agents_runtime.chat._events import (
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    ChatRequestEvent,
    ChatResponseEvent,
    ToolRequestEvent,
    ToolResponseEvent,
)
from flink_agents_runtime.chat._message import ChatMessage, MessageRole, normalize_tool_call
from flink_agents_runtime.chat._structured import STRUCTURED_OUTPUT as STRUCTURED
from flink_agents_runtime.chat._structured import check_structured_answer
from flink_agents_runtime.chat.action._budget import input_budget, resolve_budget
from flink_agents_runtime.chat.action._budget_stop import (
    add_input_spend,
    apply_budget,
    budget_report,
    start_input_spend,
)
from flink_agents_runtime.chat.action._call_metrics import call_metrics
from flink_agents_runtime.chat.action._calls import CallSite, call_source_of, input_seq_of
from flink_agents_runtime.chat.action._chat_settings import chat_settings
from flink_agents_runtime.chat.action._model_call import acall_model, call_model
from flink_agents_runtime.chat.tools._injection import injected_call
from flink_agents_runtime.chat.tools._tool import Tool, run_tool
from flink_agents_runtime.chat.tools._tool_metrics import count_tool_call
from flink_agents_runtime.engine.reporting._call_times import CallTime, note_call, timed_tool
from flink_agents_runtime.engine.reporting._nested import emit_nested, wants_nested
from flink_agents_runtime.engine.reporting._run_metrics import (
    component_group,
    llm_call_ended,
    tool_call_ended,
)

logger = logging.getLogger(__name__)

CHAT_ACTION = "chat_model_action"
TOOL_ACTION = "tool_call_action"
_STATE = "_chat"  # sensory memory: request id -> conversation state
_PENDING = "_chat_tool_requests"  # sensory memory: tool request id -> request id


async def chat_model_action(event: Event, ctx: Any) -> None:
    """The built-in chat action (see the module docstring)."""
    sensory = ctx.sensory_memory
    if event.type == ChatRequestEvent.EVENT_TYPE:
        request = ChatRequestEvent.from_event(event)
        request_id = str(event.id)
        state: dict[str, Any] = {
            "model": request.model,
            "messages": [m.to_dict() for m in request.messages],
            "prompt_args": request.prompt_args,
            "turns": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "retries": 0,
            "waited": 0.0,
            "requested_by": event.upstream_action_name,
        }
        limits = resolve_budget(ctx.config, request.model, event.attributes.get("budget"))
        state["started_ns"] = time.time_ns()
        if limits.limited:
            state["budget"] = limits.to_json()
        per_input = input_budget(ctx.config)
        if per_input.limited:
            state["input_budget"] = per_input.to_json()
            start_input_spend(sensory)
        if event.attributes.get("output_schema") is not None:
            state["output_schema"] = event.attributes["output_schema"]
            state["schema_retries"] = 0
    else:
        tool_event = ToolResponseEvent.from_event(event)
        request_id = sensory.get(f"{_PENDING}.{tool_event.request_id}")
        saved = sensory.get(f"{_STATE}.{request_id}") if request_id else None
        if not isinstance(saved, dict):
            logger.debug("tool response %s does not belong to a chat; ignored", event.id)
            return
        state = {**saved, "messages": list(saved["messages"])}
        names = {
            c["id"]: c["function"]["name"]
            for m in state["messages"]
            for c in m.get("tool_calls") or []
        }
        for call_id, content in tool_event.responses.items():
            text = content if isinstance(content, str) else _json(content)
            state["messages"].append(
                ChatMessage(
                    MessageRole.TOOL,
                    text,
                    extra_args={"tool_call_id": call_id, "name": names.get(call_id, "")},
                ).to_dict()
            )
    await _chat_turn(ctx, request_id, state)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


async def _chat_turn(ctx: Any, request_id: str, state: dict[str, Any]) -> None:
    settings = chat_settings(ctx.config)
    max_turns = settings.max_turns
    if state["turns"] >= max_turns:
        raise ChatModelError(
            f"chat request {request_id} to model {state['model']!r} (key {ctx.key!r}) still "
            f"asked for tools after {state['turns']} model calls (chat.max-turns={max_turns})"
        )
    no_tools = False
    if state.get("budget") or state.get("input_budget"):
        state, no_tools = apply_budget(ctx, request_id, state)
        if not state:
            return
    setup = ctx.get_resource(state["model"], ResourceType.CHAT_MODEL)
    retries, wait_s, use_async = settings.retries, settings.wait_s, settings.use_async

    def call_with(model_setup: Any) -> Any:
        # A connection with a native achat waits on the event loop, not on a pool thread.
        native = use_async and getattr(model_setup, "has_async", False)
        run = acall_model if native else call_model
        return partial(
            run,
            model_setup,
            state["messages"],
            state["prompt_args"],
            ctx.key,
            retries,
            wait_s,
            no_tools,
        )

    call = call_with(setup)
    source = call_source_of(ctx)
    if source is not None:  # a replay or fork decides where the answer comes from
        request = {"messages": state["messages"], "prompt_args": state["prompt_args"]}
        site = CallSite(
            "chat",
            ctx.key,
            input_seq_of(ctx),
            CHAT_ACTION,
            state["model"],
            request,
            setup,
            call_with,
        )
        call = source.resolve(site, call)
    metrics = call_metrics(ctx.action_metric_group, state["model"])
    configured = getattr(setup, "model", None)
    configured = str(configured) if configured else None
    resource = str(state["model"])
    started, wall = time.perf_counter_ns(), time.time_ns()
    try:
        if use_async:
            outcome = await ctx.durable_execute_async(call)
        else:
            outcome = ctx.durable_execute(call)
    except Exception as exc:
        _note_model_call(ctx, resource, configured, getattr(exc, "attempts", None), wall, False)
        llm_call_ended(metrics.calls, started, False)
        raise
    _note_model_call(ctx, resource, configured, outcome.get("attempts"), wall, True)
    llm_call_ended(metrics.calls, started, True, outcome["retries"], outcome["waited"])
    response = ChatMessage.from_dict(outcome["response"])
    model_name = str(response.extra_args.get("model_name") or configured or "")
    model_name = model_name or state["model"]
    prompt_tokens = int(response.extra_args.get("promptTokens") or 0)
    completion_tokens = int(response.extra_args.get("completionTokens") or 0)
    group = metrics.model(model_name)
    group.get_counter("promptTokens").inc(prompt_tokens)
    group.get_counter("completionTokens").inc(completion_tokens)
    if outcome["retries"]:
        group.get_counter("retryCount").inc(outcome["retries"])
        group.get_counter("retryWaitSec").inc(outcome["waited"])
    state = {
        **state,
        "turns": state["turns"] + 1,
        "prompt_tokens": state["prompt_tokens"] + prompt_tokens,
        "completion_tokens": state["completion_tokens"] + completion_tokens,
        "retries": state["retries"] + outcome["retries"],
        "waited": state["waited"] + outcome["waited"],
    }
    call_usage = {"promptTokens": prompt_tokens, "completionTokens": completion_tokens}
    if state.get("input_budget"):
        add_input_spend(ctx.sensory_memory, prompt_tokens, completion_tokens)
    sensory = ctx.sensory_memory
    if no_tools:
        response.tool_calls = []  # the budget's final answer: tool calls are not run
    if response.tool_calls:
        try:
            calls = [normalize_tool_call(c, i) for i, c in enumerate(response.tool_calls)]
        except ValueError as exc:
            raise ChatModelError(f"model {model_name!r} asked for a bad tool call: {exc}") from exc
        response.tool_calls = calls
        state["messages"] = [*state["messages"], response.to_dict()]
        tool_request = ToolRequestEvent(
            state["model"],
            calls,
            response_content=response.content,
            call_usage=call_usage,
            model_name=model_name,
        )
        ctx.send_event(tool_request)
        sensory.set(f"{_STATE}.{request_id}", state)
        sensory.set(f"{_PENDING}.{tool_request.id}", request_id)
        return
    if state.get("output_schema") is not None:
        parsed_at, ok = time.time_ns(), False  # the parse is a ``parser`` call, as upstream's
        try:
            retry = check_structured_answer(ctx, request_id, state, response, model_name, retries)
            ok = retry is None
        finally:
            note_call(ctx, CallTime("parser", STRUCTURED, None, parsed_at, time.time_ns(), ok))
        if retry is not None:
            await _chat_turn(ctx, request_id, retry)
            return
    ctx.send_event(
        ChatResponseEvent(
            request_id,
            response,
            retry_count=state["retries"],
            total_retry_wait_sec=state["waited"],
            model=model_name,
            chat_model=state["model"],
            promptTokens=state["prompt_tokens"],
            completionTokens=state["completion_tokens"],
            **{INPUT_TOKENS: state["prompt_tokens"], OUTPUT_TOKENS: state["completion_tokens"]},
            turns=state["turns"],
            call_usage=call_usage,
            requested_by=state["requested_by"],
            **budget_report(state, sensory=ctx.sensory_memory),
        )
    )


async def tool_call_action(event: Event, ctx: Any) -> None:
    """The built-in tool action: run each tool call; errors become the tool's answer.

    With ``tool-call.async`` the calls of one request run as one batch
    (``ctx.durable_execute_all_async``): at most ``tool-call.parallelism`` at once, all
    within ``tool-call.batch.timeout.ms`` (a call still running then answers
    ``Error: BatchTimeoutError: ...``); answers keep the calls' order either way. A
    sub-agent's records (``_subagent_<name>``) are re-emitted once the calls returned
    (``engine.reporting._nested``); metrics per call: ``chat.tools._tool_metrics``.
    """
    request = ToolRequestEvent.from_event(event)
    use_async = bool(ctx.config.get("tool-call.async"))
    group = ctx.action_metric_group
    responses: dict[str, Any] = {}
    external: dict[str, str | None] = {}
    errors: list[str] = []
    diagnostics: dict[str, str] = {}  # call id -> what failed, where the model is told less
    runs: list[tuple[str, Any]] = []
    names: dict[str, str] = {}
    called: dict[str, tuple[Any, Any]] = {}  # call id -> (tool, arguments), for metrics
    nested: list[Any] = []  # sub-agent calls' records, re-emitted once the calls returned
    for index, raw in enumerate(request.tool_calls):
        call = normalize_tool_call(raw, index)
        call_id = call["id"]
        name = call["function"]["name"]
        external[call_id] = call.get("original_id")
        try:
            tool = ctx.get_resource(name, ResourceType.TOOL)
        except ResourceError:
            tool = _setup_tool(ctx, request.model, name)
        if not isinstance(tool, Tool):
            responses[call_id] = f"Error: tool {name!r} does not exist"
            errors.append(call_id)
            tool_call_ended(component_group(group, "tool", None), time.perf_counter_ns(), False)
            continue
        recorded = getattr(tool, "with_nested_records", None)
        if callable(recorded) and wants_nested(ctx):  # a sub-agent: keep what it did
            tool = recorded()
            nested.append(tool.nested)
        responses[call_id] = None  # keeps the calls' order
        arguments = call["function"]["arguments"]
        run: Any = injected_call(tool, arguments, ctx, run_tool)
        run = run or partial(run_tool, tool, arguments)
        source = call_source_of(ctx)
        if source is not None:  # a replay or fork decides where the answer comes from
            site = CallSite(
                "tool",
                ctx.key,
                input_seq_of(ctx),
                TOOL_ACTION,
                name,
                {"call_id": call_id, "arguments": arguments},
                tool,
                _tool_with(arguments, ctx),
            )
            run = source.resolve(site, run)
        run = timed_tool(ctx, name, call_id, run, getattr(tool, "tool_type", None))
        runs.append((call_id, run))
        names[call_id] = name
        called[call_id] = (tool, call["function"]["arguments"])
    started = time.perf_counter_ns()  # toolCallLatencyMs: a batch's calls share its time
    if use_async and runs:
        timeout = int(ctx.config.get("tool-call.batch.timeout.ms"))
        outcomes = await ctx.durable_execute_all_async(
            [run for _, run in runs],
            timeout_ms=timeout if timeout >= 0 else None,
            return_exceptions=True,
        )
    else:
        outcomes = [ctx.durable_execute(run) for _, run in runs]
    for records in nested:
        emit_nested(ctx, records)
    for (call_id, _), outcome in zip(runs, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            outcome = {"ok": False, "content": f"Error: {type(outcome).__name__}: {outcome}"}
        tool, arguments = called[call_id]
        count_tool_call(group, tool, names[call_id], arguments, started, bool(outcome["ok"]))
        responses[call_id] = outcome["content"]
        if not outcome["ok"]:
            errors.append(call_id)
            if outcome.get("error") is not None:  # a detail the model is not shown
                diagnostics[call_id] = str(outcome["error"])
    ctx.send_event(
        ToolResponseEvent(str(event.id), responses, external, None, diagnostics, errors=errors)
    )


def _note_model_call(
    ctx: Any, resource: str, model: str | None, attempts: Any, wall: int, ok: bool
) -> None:
    """Note a model call's times for the Trace Log: one note per attempt of a call retried
    in place (``attempts``: ``[start_ns, end_ns, error]`` from ``_model_call``), else one
    from ``wall`` to now."""
    if not attempts:
        note_call(ctx, CallTime("llm", resource, None, wall, time.time_ns(), ok, model))
        return
    for began, ended, error in attempts:
        note_call(
            ctx, CallTime("llm", resource, None, began, ended, error is None, model, None, error)
        )


def _setup_tool(ctx: Any, setup_name: str, name: str) -> Tool | None:
    """A tool the chat model setup brings itself (``load_skill``), or ``None``."""
    try:
        setup = ctx.get_resource(setup_name, ResourceType.CHAT_MODEL)
    except ResourceError:
        return None
    own = getattr(setup, "tool_objects", None) or []
    return next((t for t in own if isinstance(t, Tool) and t.name == name), None)


def _tool_with(arguments: dict[str, Any], ctx: Any) -> Any:
    """The tool call with ``arguments`` made with another tool (a :class:`CallSite` hook),
    its injected parameters filled from ``ctx`` as the call's own are."""
    return lambda other: (
        injected_call(other, arguments, ctx, run_tool) or partial(run_tool, other, arguments)
    )


def builtin_actions(
    resources: dict[ResourceType, dict[str, Any]], declared: Any = ()
) -> dict[str, ActionSpec]:
    """The built-in chat and tool actions a plan with these ``resources`` needs.

    None unless chat models or tools are declared; an action name in ``declared`` (the agent's
    own actions) is left to the agent. Called by the plan compiler.
    """
    if not resources.get(ResourceType.CHAT_MODEL) and not resources.get(ResourceType.TOOL):
        return {}
    found: dict[str, ActionSpec] = {}
    if CHAT_ACTION not in declared:
        found[CHAT_ACTION] = ActionSpec(
            CHAT_ACTION,
            (ChatRequestEvent.EVENT_TYPE, ToolResponseEvent.EVENT_TYPE),
            chat_model_action,
        )
    if TOOL_ACTION not in declared:
        found[TOOL_ACTION] = ActionSpec(
            TOOL_ACTION, (ToolRequestEvent.EVENT_TYPE,), tool_call_action
        )
    return found
