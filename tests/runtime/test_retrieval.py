"""Embeddings, vector stores and the built-in retrieval action, with real parts: loopback
Ollama/OpenAI embedding servers, LanceDB on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flink_agents_nb import Run, token_usage
from flink_agents_nb.charts._tokens import tokens as tokens_chart
from flink_agents_runtime import (
    ActionFailedError,
    Agent,
    AgentsExecutionEnvironment,
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
    Document,
    EmbeddingModelSetup,
    HashEmbeddingModelConnection,
    InMemoryVectorStore,
    InputEvent,
    LanceDBVectorStore,
    OllamaEmbeddingModelConnection,
    OllamaEmbeddingModelSetup,
    OpenAIEmbeddingModelConnection,
    OutputEvent,
    ResourceDescriptor,
    ResourceType,
    RetrievalError,
    RunResult,
    VectorStoreQuery,
    action,
)
from tests.helpers.embedding_server import EmbeddingServer
from tests.helpers.rag_agent import KB, RagTriage


class Lookup(Agent):
    """Retrieves for each input and outputs the ids found."""

    @action(InputEvent)
    @staticmethod
    def ask(event: InputEvent, ctx: Any) -> None:
        ctx.send_event(ContextRetrievalRequestEvent(event.input, "kb", max_results=2))

    @action(ContextRetrievalResponseEvent)
    @staticmethod
    def out(event: Any, ctx: Any) -> None:
        docs = ContextRetrievalResponseEvent.from_event(event).documents
        ctx.send_event(OutputEvent([d.id for d in docs]))


def run(agent: Agent, inputs: list[str], resources: dict[str, Any], **config: Any) -> RunResult:
    env = AgentsExecutionEnvironment.get_execution_environment(config=config)
    for name, (rtype, value) in resources.items():
        env.add_resource(name, rtype, value)
    return (
        env.from_list([{"key": i, "value": v} for i, v in enumerate(inputs)]).apply(agent).execute()
    )


def embedding(conn: Any, model: str = "nomic") -> dict[str, Any]:
    return {
        "conn": (ResourceType.EMBEDDING_MODEL_CONNECTION, conn),
        "emb": (
            ResourceType.EMBEDDING_MODEL,
            ResourceDescriptor(OllamaEmbeddingModelSetup, connection="conn", model=model),
        ),
    }


QUESTIONS = ["my parcel is late", "how do I reset my password"]


def test_rag_triage_end_to_end_on_the_core(clean_env: None) -> None:
    result = run(RagTriage(), ["my refund has not arrived", "order 12 is late"], {})
    assert {o.key: o.value for o in result.outputs} == {
        0: {"team": "billing", "article": "kb-refund", "priority": "low"},
        1: {"team": "shipping", "article": "kb-late", "priority": "high"},
    }
    assert result.events is not None
    types = [r.event.type for r in result.events if r.key == 1]
    assert types[:3] == [
        "_input_event",
        "_context_retrieval_request_event",
        "_context_retrieval_response_event",
    ]
    response = next(
        r.event
        for r in result.events
        if r.event.type == "_context_retrieval_response_event" and r.key == 0
    )
    assert response.upstream_action_name == "context_retrieval_action"
    docs = response.attributes["documents"]
    assert docs[0]["id"] == "kb-refund" and 0 < docs[0]["score"] <= 1
    assert "embedding" not in docs[0]
    metrics = result.metrics
    assert metrics["action.context_retrieval_action.vector_store.kb.numOfQueries"] == 2
    assert metrics["action.context_retrieval_action.vector_store.kb.documentsRetrieved"] == 4
    # embedding tokens are counted like chat tokens: the words of both queries
    assert metrics["action.context_retrieval_action.model.hash-256.promptTokens"] == 5 + 4
    # and they are in the token usage beside the chat tokens, by the same attribution rule
    usage = token_usage(result, warn=False).set_index("model")
    assert usage.loc["hash-256", "prompt_tokens"] == 5 + 4
    assert usage.loc["hash-256", "action"] == "retrieve"
    assert usage.loc["triage-v1", "action"] == "ask"
    assert response.attributes["usage"] == {
        "model": "hash-256",
        "promptTokens": 5,
        "completionTokens": 0,
    }


@pytest.mark.parametrize("kind", ["ollama", "openai"])
def test_http_embedding_connections_against_loopback_servers(clean_env: None, kind: str) -> None:
    with EmbeddingServer() as server:
        conn: Any = (
            OllamaEmbeddingModelConnection(server.url)
            if kind == "ollama"
            else OpenAIEmbeddingModelConnection(server.url + "/v1", api_key="sk-test-secret")
        )
        resources = {
            **embedding(conn),
            "kb": (
                ResourceType.VECTOR_STORE,
                ResourceDescriptor(InMemoryVectorStore, embedding_model="emb", documents=KB),
            ),
        }
        result = run(Lookup(), QUESTIONS, resources)
        firsts = {o.key: o.value[0] for o in result.outputs}
        assert firsts == {0: "kb-late", 1: "kb-login"}
        paths = {r["path"] for r in server.requests}
        assert paths == {"/api/embed" if kind == "ollama" else "/v1/embeddings"}
        bodies = [r["body"] for r in server.requests]
        assert bodies[0]["model"] == "nomic" and len(bodies[0]["input"]) == len(KB)
        assert result.metrics["action.context_retrieval_action.model.nomic.promptTokens"] == 4 + 6
        # the tokens the server reported are in the token usage, credited to the asking action
        usage = token_usage(result, warn=False)
        assert usage[["model", "action", "model_action"]].values.tolist() == [
            ["nomic", "ask", "context_retrieval_action"]
        ]
        assert int(usage["prompt_tokens"].iloc[0]) == 4 + 6
        assert int(usage["completion_tokens"].iloc[0]) == 0
        chart = tokens_chart(Run(result))  # the token chart reads the same usage
        assert "Tokens: 10 total" in chart.layout.title.text
        assert any("nomic" in str(t.name) for t in chart.data)
        if kind == "openai":
            assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-test-secret"
            assert "sk-test-secret" not in repr(conn)


def test_embedding_server_down_fails_naming_store_and_endpoint(clean_env: None) -> None:
    server = EmbeddingServer().start()
    url = server.url
    server.stop()
    resources = {
        **embedding(OllamaEmbeddingModelConnection(url)),
        "kb": (ResourceType.VECTOR_STORE, InMemoryVectorStore(embedding_model="emb")),
    }
    with pytest.raises(ActionFailedError) as info:
        run(Lookup(), ["late parcel"], resources)
    message = str(info.value.__cause__)
    assert isinstance(info.value.__cause__, RetrievalError)
    assert "vector store 'kb'" in message and f"{url}/api/embed" in message
    assert "unreachable" in message and info.value.__cause__.retryable


def test_embedding_server_errors_are_clear() -> None:
    with EmbeddingServer() as server:
        ollama = OllamaEmbeddingModelConnection(server.url)
        with pytest.raises(RetrievalError, match="answered HTTP 500"):
            ollama.embed("x", model="error-500")
        with pytest.raises(RetrievalError, match="expected 2 embeddings"):
            ollama.embed(["a", "b"], model="short")
        with pytest.raises(RetrievalError, match="no model name"):
            ollama.embed("x")


@pytest.mark.slow  # importing lancedb takes 5-10 s once per process
def test_lancedb_store_persists_and_answers_like_the_in_memory_store(
    clean_env: None, tmp_path: Path
) -> None:
    emb = EmbeddingModelSetup(connection="c", model="hash")
    emb._connection = HashEmbeddingModelConnection()
    lance = LanceDBVectorStore(str(tmp_path / "db"), embedding_model=emb)
    memory = InMemoryVectorStore(embedding_model=emb)
    for store in (lance, memory):
        assert store.add(KB) == [d["id"] for d in KB]
    for question in ("parcel late carrier", "password reset link"):
        got = [(d.id, d.score) for d in lance.query(VectorStoreQuery(question, limit=3)).documents]
        want = [
            (d.id, d.score) for d in memory.query(VectorStoreQuery(question, limit=3)).documents
        ]
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-4)
    filtered = lance.query(VectorStoreQuery("parcel", limit=5, filters={"team": "shipping"}))
    assert {d.id for d in filtered.documents} == {"kb-late", "kb-broken"}
    # a second store over the same directory sees the documents (persisted on disk)
    again = LanceDBVectorStore(str(tmp_path / "db"), embedding_model=emb, create=False)
    assert again.size() == 4
    assert [d.id for d in again.get(["kb-login"])] == ["kb-login"]
    again.delete(["kb-login"])
    assert again.size() == 3


def test_lancedb_store_that_is_not_there_is_a_clear_error(clean_env: None, tmp_path: Path) -> None:
    resources = {
        **embedding(HashEmbeddingModelConnection(), model="hash"),
        "kb": (
            ResourceType.VECTOR_STORE,
            ResourceDescriptor(
                LanceDBVectorStore,
                uri=str(tmp_path / "missing"),
                embedding_model="emb",
                create=False,
            ),
        ),
    }
    with pytest.raises(ActionFailedError) as info:
        run(Lookup(), ["late"], resources)
    message = str(info.value.__cause__)
    assert "vector store 'kb'" in message and "missing" in message
    assert "does not exist" in message


def test_documents_and_events_are_json() -> None:
    doc = Document.coerce({"content": "x", "metadata": {"a": 1}, "id": "d1", "score": 0.5})
    event = ContextRetrievalResponseEvent("r1", "q", [doc, "plain text"])
    assert event.attributes["documents"][1] == {"id": None, "content": "plain text", "metadata": {}}
    assert event.documents[0] == doc
    from flink_agents_runtime.retrieval._documents import matches

    with pytest.raises(NotImplementedError, match="only equality"):
        matches({"a": 1}, {"a": {"$gt": 0}})
