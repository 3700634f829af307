"""Embedding models written or configured as Flink Agents documents them: a user's
connection (pydantic fields, ``embed`` only, or 0.4's ``embed_with_usage`` returning an
``EmbeddingResult`` with ``EmbeddingTokenUsage``) and setup (a ``model_kwargs`` property)
serve the kit's vector store and ``ctx.get_resource``; the built-in OpenAI and Ollama
embedding models take Flink Agents' arguments against loopback servers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import Field

from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.decorators import (
    action,
    embedding_model_connection,
    embedding_model_setup,
    vector_store,
)
from flink_agents_nb.api.embedding_models.embedding_model import (
    BaseEmbeddingModelConnection,
    BaseEmbeddingModelSetup,
    EmbeddingResult,
    EmbeddingTokenUsage,
)
from flink_agents_nb.api.events.context_retrieval_event import (
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
)
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName, ResourceType
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_runtime import AgentsExecutionEnvironment, InMemoryVectorStore
from tests.helpers.embedding_server import EmbeddingServer

KB = [
    {"id": "late", "content": "parcel late delivery"},
    {"id": "login", "content": "password reset login"},
]


class LetterConnection(BaseEmbeddingModelConnection):
    """Flink Agents' documented pattern: only ``embed``; a vector per text from its letters."""

    weight: float = Field(default=1.0, description="scales every component")

    def embed(self, text: str | Sequence[str], **kwargs: Any) -> list[float] | list[list[float]]:
        def one(t: str) -> list[float]:
            return [self.weight * t.count(c) for c in kwargs["letters"]]

        return one(text) if isinstance(text, str) else [one(t) for t in text]


class CountingConnection(LetterConnection):
    """0.4's ``embed_with_usage``: the result carries ``EmbeddingTokenUsage``."""

    def embed_with_usage(self, text: str | Sequence[str], **kwargs: Any) -> EmbeddingResult:
        texts = [text] if isinstance(text, str) else list(text)
        words = sum(len(t.split()) for t in texts)
        usage = EmbeddingTokenUsage(prompt_tokens=words, total_tokens=words)
        return EmbeddingResult(embeddings=self.embed(text, **kwargs), token_usage=usage)


class LetterSetup(BaseEmbeddingModelSetup):
    """Flink Agents' documented pattern: a field and a ``model_kwargs`` property."""

    letters: str = "aeiou"

    @property
    def model_kwargs(self) -> dict[str, Any]:
        return {"model": self.model, "letters": self.letters}


class Retrieve(Agent):
    """Embeds each input with the setup ``emb`` and retrieves from the store ``kb``."""

    @action(InputEvent.EVENT_TYPE)
    @staticmethod
    def ask(event: Event, ctx: RunnerContext) -> None:
        setup = ctx.get_resource("emb", ResourceType.EMBEDDING_MODEL)
        ctx.short_term_memory.set("vector", setup.embed(event.input))
        ctx.send_event(ContextRetrievalRequestEvent(event.input, "kb", max_results=1))

    @action(ContextRetrievalResponseEvent.EVENT_TYPE)
    @staticmethod
    def answer(event: Event, ctx: RunnerContext) -> None:
        docs = ContextRetrievalResponseEvent.from_event(event).documents
        vector = ctx.short_term_memory.get("vector")
        ctx.send_event(OutputEvent(output={"doc": docs[0].id, "vector": vector[:5]}))


class DeclaredRetrieve(Retrieve):
    """The same, its resources declared with Flink Agents' decorators."""

    @embedding_model_connection
    @staticmethod
    def letters_conn() -> ResourceDescriptor:
        return ResourceDescriptor(clazz=LetterConnection, weight=2.0)

    @embedding_model_setup
    @staticmethod
    def emb() -> ResourceDescriptor:
        return ResourceDescriptor(clazz=LetterSetup, connection="letters_conn", model="abc")

    @vector_store
    @staticmethod
    def kb() -> ResourceDescriptor:
        return ResourceDescriptor(InMemoryVectorStore, embedding_model="emb", documents=KB)


STORE = (
    ResourceType.VECTOR_STORE,
    ResourceDescriptor(InMemoryVectorStore, embedding_model="emb", documents=KB),
)


def run(agent: Agent, inputs: list[str], **resources: tuple[ResourceType, Any]) -> Any:
    env = AgentsExecutionEnvironment.get_execution_environment()
    for name, (rtype, value) in resources.items():
        env.add_resource(name, rtype, value)
    pairs = [{"key": i, "value": v} for i, v in enumerate(inputs)]
    return env.from_list(pairs).apply(agent).execute()


def test_a_user_written_connection_and_setup_serve_the_store_and_get_resource() -> None:
    result = run(DeclaredRetrieve(), ["password reset", "parcel late"])
    assert {o.key: o.value for o in result.outputs} == {
        0: {"doc": "login", "vector": [2.0, 4.0, 0.0, 2.0, 0.0]},  # a e i o u, weight 2
        1: {"doc": "late", "vector": [4.0, 4.0, 0.0, 0.0, 0.0]},
    }


def test_a_connection_reporting_token_usage_is_counted() -> None:
    counting = ResourceDescriptor(clazz=CountingConnection, weight=1.0)
    setup = ResourceDescriptor(clazz=LetterSetup, connection="conn", model="abc")
    result = run(
        Retrieve(),
        ["password reset"],
        conn=(ResourceType.EMBEDDING_MODEL_CONNECTION, counting),
        emb=(ResourceType.EMBEDDING_MODEL, setup),
        kb=STORE,
    )
    assert result.outputs[0].value == {"doc": "login", "vector": [1.0, 2.0, 0.0, 1.0, 0.0]}
    # the query's two words (the documents were embedded when the store was built)
    assert result.metrics["action.context_retrieval_action.model.abc.promptTokens"] == 2
    # 0.4's positional order: (embeddings, token_usage); the kit's extras keyword-only
    legacy = EmbeddingResult([0.5], EmbeddingTokenUsage(3, 4))
    assert (legacy.prompt_tokens, legacy.token_usage) == (3, EmbeddingTokenUsage(3, 4))
    own = EmbeddingResult([0.5], prompt_tokens=7, model="m")
    assert (own.token_usage, own.model) == (EmbeddingTokenUsage(7, 7), "m")
    with pytest.raises(TypeError):
        EmbeddingResult([0.5], None, 7)  # type: ignore[call-arg]


def test_the_built_in_embedding_models_take_flink_agents_arguments() -> None:
    with EmbeddingServer() as server:
        openai_conn = ResourceDescriptor(
            clazz=ResourceName.EmbeddingModel.OPENAI_CONNECTION,
            api_key="sk-test",
            base_url=server.url + "/v1",
            max_retries=2,
            organization="org-7",
            project="proj-9",
            request_timeout=10.0,
        )
        openai_setup = ResourceDescriptor(
            clazz=ResourceName.EmbeddingModel.OPENAI_SETUP,
            connection="conn",
            model="text-embedding-3-small",
            dimensions=256,
            additional_kwargs={"user": "u1"},
        )
        run(
            Retrieve(),
            ["parcel late"],
            conn=(ResourceType.EMBEDDING_MODEL_CONNECTION, openai_conn),
            emb=(ResourceType.EMBEDDING_MODEL, openai_setup),
            kb=STORE,
        )
        sent = server.requests[0]
        assert sent["path"] == "/v1/embeddings"
        assert sent["headers"]["OpenAI-Organization"] == "org-7"
        assert sent["headers"]["OpenAI-Project"] == "proj-9"
        assert {k: sent["body"][k] for k in ("model", "dimensions", "user")} == {
            "model": "text-embedding-3-small",
            "dimensions": 256,
            "user": "u1",
        }
        assert "additional_kwargs" not in sent["body"]
        server.requests.clear()
        ollama_setup = ResourceDescriptor(
            clazz=ResourceName.EmbeddingModel.OLLAMA_SETUP,
            connection="oll",
            model="nomic",
            keep_alive="5m",
            additional_kwargs={"num_ctx": 512},
        )
        run(
            Retrieve(),
            ["parcel late"],
            oll=(
                ResourceType.EMBEDDING_MODEL_CONNECTION,
                ResourceDescriptor(
                    clazz=ResourceName.EmbeddingModel.OLLAMA_CONNECTION,
                    base_url=server.url,
                    request_timeout=10.0,
                ),
            ),
            emb=(ResourceType.EMBEDDING_MODEL, ollama_setup),
            kb=STORE,
        )
        body = server.requests[0]["body"]
        assert server.requests[0]["path"] == "/api/embed"
        assert (body["keep_alive"], body["options"]) == ("5m", {"num_ctx": 512})
        assert "additional_kwargs" not in body


def test_embedding_result_is_generic_as_in_flink_agents() -> None:
    one = EmbeddingResult[list[float]](embeddings=[0.25, 0.5])
    assert (one.embeddings, one.prompt_tokens, one.token_usage) == ([0.25, 0.5], 0, None)
