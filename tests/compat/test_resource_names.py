"""``ResourceName.EmbeddingModel``, ``ResourceName.VectorStore`` and
``ResourceName.MCP_SERVER`` (used by Flink Agents' RAG example and MCP test): the ones the
kit provides build its classes; the others are refused saying what to use instead."""

from __future__ import annotations

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.decorators import (
    action,
    embedding_model_connection,
    embedding_model_setup,
    mcp_server,
    vector_store,
)
from flink_agents_nb.api.events.context_retrieval_event import (
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
)
from flink_agents_nb.api.events.event import Event, InputEvent, OutputEvent
from flink_agents_nb.api.events.event_type import EventType
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName
from flink_agents_nb.api.runner_context import RunnerContext
from flink_agents_runtime.chat.providers._catalogue import kit_class_path
from tests.compat._fa_chat import run_one
from tests.helpers.embedding_server import EmbeddingServer

DOCS = [
    {"id": "d-flink", "content": "Apache Flink is a stream processing engine."},
    {"id": "d-py", "content": "Python is a programming language."},
]


def _rag_agent(base_url: str) -> Agent:
    class Lookup(Agent):
        @embedding_model_connection
        @staticmethod
        def ollama_embedding_connection() -> ResourceDescriptor:
            return ResourceDescriptor(
                clazz=ResourceName.EmbeddingModel.OLLAMA_CONNECTION, base_url=base_url
            )

        @embedding_model_setup
        @staticmethod
        def text_embedder() -> ResourceDescriptor:
            return ResourceDescriptor(
                clazz=ResourceName.EmbeddingModel.OLLAMA_SETUP,
                connection="ollama_embedding_connection",
                model="nomic-embed-text",
            )

        @vector_store
        @staticmethod
        def knowledge_base() -> ResourceDescriptor:
            return ResourceDescriptor(
                fa.InMemoryVectorStore, embedding_model="text_embedder", documents=DOCS
            )

        @action(EventType.InputEvent)
        @staticmethod
        def ask(event: Event, ctx: RunnerContext) -> None:
            query = str(InputEvent.from_event(event).input)
            ctx.send_event(
                ContextRetrievalRequestEvent(
                    query=query, vector_store="knowledge_base", max_results=1
                )
            )

        @action(EventType.ContextRetrievalResponseEvent)  # as FA's RAG example
        @staticmethod
        def found(event: Event, ctx: RunnerContext) -> None:
            docs = ContextRetrievalResponseEvent.from_event(event).documents
            ctx.send_event(OutputEvent(output=[doc.id for doc in docs]))

    return Lookup()


def test_embedding_model_names_build_the_kit_connections() -> None:
    with EmbeddingServer() as server:
        out = run_one(_rag_agent(server.url), "Python is a programming language.", key=1)
    assert out == [{1: ["d-py"]}]
    assert server.requests and server.requests[-1]["path"] == "/api/embed"


def test_mcp_server_name_builds_the_kit_mcp_server() -> None:
    class Tools(Agent):
        @mcp_server
        @staticmethod
        def calc() -> ResourceDescriptor:
            return ResourceDescriptor(
                clazz=ResourceName.MCP_SERVER, endpoint="http://127.0.0.1:9/mcp"
            )

    path = kit_class_path(ResourceName.MCP_SERVER)
    assert path.rsplit(".", 1)[1] == "MCPServer"
    module, name = path.rsplit(".", 1)
    assert getattr(__import__(module, fromlist=[name]), name) is fa.MCPServer
    assert Tools()  # declares without connecting


@pytest.mark.parametrize(
    ("name", "instead"),
    [
        (ResourceName.VectorStore.CHROMA_VECTOR_STORE, "LanceDBVectorStore"),
        (ResourceName.VectorStore.MEM0_VECTOR_STORE, "InMemoryVectorStore"),
        (ResourceName.EmbeddingModel.TONGYI_CONNECTION, "OPENAI_CONNECTION"),
        (ResourceName.VectorStore.Java.MILVUS_VECTOR_STORE, "Python resources only"),
        (ResourceName.ChatModel.Java.OPENAI_RESPONSES_SETUP, "Python resources only"),
        (ResourceName.ChatModel.Java.AZURE_CONNECTION, "Python resources only"),  # 0.3.1
        (ResourceName.EmbeddingModel.JAVA_WRAPPER_SETUP, "Python resources only"),
    ],
)
def test_names_the_kit_does_not_provide_say_what_to_use(name: str, instead: str) -> None:
    with pytest.raises(fa.FlinkAgentsError, match=instead):
        kit_class_path(name)
