"""The built-in retrieval action: ``_context_retrieval_request_event`` in,
``_context_retrieval_response_event`` out.

The store's query (embedding the text, then searching) runs through
``ctx.durable_execute_async`` when ``rag.async`` is true (other keys progress meanwhile),
else ``ctx.durable_execute``; with an action state store a recovered job replays the
recorded documents instead of querying again. The embedding call's tokens (as the provider
reports them; the offline model counts words) are in the response event's ``usage``
(``model``, ``promptTokens``, ``completionTokens`` 0), with ``requested_by`` (the action
that sent the request): ``run.token_usage()`` and the token charts credit them to that
action, as they do a chat response's. Metrics in the action's group
``action.context_retrieval_action``: ``model.<embedding model>.promptTokens`` and
``completionTokens`` (0), as Flink Agents counts a model's tokens in the group of the action
that called it,
``vector_store.<name>.numOfQueries`` and ``documentsRetrieved``. A failing store or
embedding model fails the action with a :class:`RetrievalError` naming the store.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flink_agents_runtime.api._agent import ActionSpec, ResourceType
from flink_agents_runtime.api._events import Event
from flink_agents_runtime.retrieval._documents import RetrievalError, VectorStoreQuery
from flink_agents_runtime.retrieval._events import (
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
)

RETRIEVAL_ACTION = "context_retrieval_action"


def _query(store: Any, name: str, query: VectorStoreQuery) -> dict[str, Any]:
    """One query, JSON-ready (durable stores keep it)."""
    try:
        result = store.query(query)
    except RetrievalError as exc:
        raise RetrievalError(
            f"vector store {name!r}: {exc}", retryable=getattr(exc, "retryable", False)
        ) from exc
    return {"documents": [d.to_dict() for d in result.documents], "usage": dict(result.usage)}


async def context_retrieval_action(event: Event, ctx: Any) -> None:
    """The built-in retrieval action (see the module docstring)."""
    request = ContextRetrievalRequestEvent.from_event(event)
    store = ctx.get_resource(request.vector_store, ResourceType.VECTOR_STORE)
    if not callable(getattr(store, "query", None)):
        raise RetrievalError(f"vector store {request.vector_store!r} has no query(): {store!r}")
    query = VectorStoreQuery(request.query, limit=request.max_results)
    call = partial(_query, store, request.vector_store, query)
    if ctx.config.get("rag.async"):
        outcome = await ctx.durable_execute_async(call)
    else:
        outcome = ctx.durable_execute(call)
    group = ctx.action_metric_group
    usage = outcome.get("usage") or {}
    response = ContextRetrievalResponseEvent(str(event.id), request.query, outcome["documents"])
    if usage.get("model"):
        tokens = int(usage.get("promptTokens") or 0)
        model = group.get_sub_group("model", str(usage["model"]))
        model.get_counter("promptTokens").inc(tokens)
        model.get_counter("completionTokens").inc(0)
        # Token usage in the log, as a chat response carries it (run.token_usage, charts).
        response.attributes["usage"] = {
            "model": str(usage["model"]),
            "promptTokens": tokens,
            "completionTokens": 0,
        }
        if event.upstream_action_name:
            response.attributes["requested_by"] = event.upstream_action_name
    store_group = group.get_sub_group("vector_store", request.vector_store)
    store_group.get_counter("numOfQueries").inc()
    store_group.get_counter("documentsRetrieved").inc(len(outcome["documents"]))
    ctx.send_event(response)


def builtin_actions(
    resources: dict[ResourceType, dict[str, Any]], declared: Any = ()
) -> dict[str, ActionSpec]:
    """The built-in retrieval action, when a vector store is declared and the agent has no
    action of that name. Called by the plan compiler."""
    if not resources.get(ResourceType.VECTOR_STORE) or RETRIEVAL_ACTION in declared:
        return {}
    return {
        RETRIEVAL_ACTION: ActionSpec(
            RETRIEVAL_ACTION, (ContextRetrievalRequestEvent.EVENT_TYPE,), context_retrieval_action
        )
    }
