"""A vector store written as Flink Agents documents a custom one (``BaseVectorStore`` with
``store_kwargs``, ``get``/``delete`` and the pre-computed-embedding hooks) serves the
built-in retrieval action and ``ctx.get_resource``, embedding through the kit's Ollama
embedding model against a loopback server; the kit's own stores count as instances of
Flink Agents' base classes."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import Field

from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.decorators import action
from flink_agents_nb.api.events.context_retrieval_event import (
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
)
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName, ResourceType
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_nb.api.vector_stores.vector_store import (
    BaseVectorStore,
    CollectionManageableVectorStore,
    Document,
)
from flink_agents_runtime import ArgumentValueError, InMemoryVectorStore
from tests.helpers.embedding_server import EmbeddingServer

SEEN: list[dict[str, Any]] = []  # the keyword arguments the hooks got, for the test to read


class DictStore(BaseVectorStore):
    """Flink Agents' documented pattern: a field, ``store_kwargs`` and the six methods."""

    index: str = "kb"
    rows: dict[str, Document] = Field(default_factory=dict)

    @property
    def store_kwargs(self) -> dict[str, Any]:
        return {"index": self.index}

    def get(
        self,
        ids: str | list[str] | None = None,
        collection_name: str | None = None,
        filters: dict[str, Any] | None = None,
        limit: int | None = 100,
        **kwargs: Any,
    ) -> list[Document]:
        wanted = [ids] if isinstance(ids, str) else ids
        return [d for i, d in sorted(self.rows.items()) if wanted is None or i in wanted][:limit]

    def delete(
        self,
        ids: str | list[str] | None = None,
        collection_name: str | None = None,
        filters: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        for i in [ids] if isinstance(ids, str) else ids or list(self.rows):
            self.rows.pop(i, None)

    def _query_embedding(
        self,
        embedding: list[float],
        limit: int = 10,
        collection_name: str | None = None,
        filters: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        SEEN.append(dict(kwargs))

        def cosine(d: Document) -> float:
            v = d.embedding or []
            norm = math.sqrt(sum(x * x for x in v)) * math.sqrt(sum(x * x for x in embedding))
            return sum(a * b for a, b in zip(v, embedding, strict=True)) / (norm or 1.0)

        ranked = sorted(self.rows.values(), key=cosine, reverse=True)[:limit]
        return [Document(content=d.content, id=d.id, metadata=d.metadata) for d in ranked]

    def _add_embedding(
        self, *, documents: list[Document], collection_name: str | None = None, **kwargs: Any
    ) -> list[str]:
        for d in documents:
            self.rows[str(d.id)] = d
        return [str(d.id) for d in documents]

    def _update_embedding(
        self, *, documents: list[Document], collection_name: str | None = None, **kwargs: Any
    ) -> None:
        self._add_embedding(documents=documents, collection_name=collection_name, **kwargs)


class Retrieve(Agent):
    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        store = ctx.get_resource("kb", ResourceType.VECTOR_STORE)
        if not store.get():
            store.add(
                [
                    Document(id="late", content="parcel late delivery"),
                    Document(id="login", content="password reset login"),
                ]
            )
            store.update(Document(id="login", content="password reset login account"))
        text = str(InputEvent.from_event(event).input)
        ctx.send_event(ContextRetrievalRequestEvent(query=text, vector_store="kb", max_results=1))

    @action(ContextRetrievalResponseEvent.EVENT_TYPE)
    @staticmethod
    def answer(event: Event, ctx: RunnerContext) -> None:
        docs = ContextRetrievalResponseEvent.from_event(event).documents
        ctx.send_event(OutputEvent(output=[d.id for d in docs] + [docs[0].content]))


def test_a_user_written_store_serves_retrieval_and_get_resource() -> None:
    SEEN.clear()
    with EmbeddingServer() as server:
        env = AgentsExecutionEnvironment.get_execution_environment()
        env.add_resource(
            "conn",
            ResourceType.EMBEDDING_MODEL_CONNECTION,
            ResourceDescriptor(
                clazz=ResourceName.EmbeddingModel.OLLAMA_CONNECTION, base_url=server.url
            ),
        )
        env.add_resource(
            "emb",
            ResourceType.EMBEDDING_MODEL,
            ResourceDescriptor(
                clazz=ResourceName.EmbeddingModel.OLLAMA_SETUP, connection="conn", model="nomic"
            ),
        )
        env.add_resource(
            "kb",
            ResourceType.VECTOR_STORE,
            ResourceDescriptor(clazz=DictStore, embedding_model="emb", index="faq"),
        )
        inputs = [{"key": 1, "value": "my parcel is late"}, {"key": 2, "value": "reset password"}]
        result = env.from_list(inputs).apply(Retrieve()).to_list()
        run = env.execute()
    assert result == [
        {1: ["late", "parcel late delivery"]},
        {2: ["login", "password reset login account"]},  # the updated document
    ]
    assert SEEN == [{"index": "faq"}, {"index": "faq"}]  # store_kwargs reach the hook
    bodies = [r["body"]["input"] for r in server.requests]
    assert ["my parcel is late"] in bodies and ["reset password"] in bodies
    metrics = run.metrics  # the query's embedding tokens, counted as for the kit's stores
    assert metrics["action.context_retrieval_action.model.nomic.promptTokens"] == 4 + 2


def test_the_kit_stores_are_instances_and_update_needs_ids() -> None:
    kit = InMemoryVectorStore()
    assert isinstance(kit, CollectionManageableVectorStore) and isinstance(kit, BaseVectorStore)
    assert issubclass(InMemoryVectorStore, BaseVectorStore)
    assert not isinstance(kit, DictStore)
    store = DictStore()
    with pytest.raises(ArgumentValueError, match="every document needs its id"):
        store.update(Document(content="no id", embedding=[1.0]))
