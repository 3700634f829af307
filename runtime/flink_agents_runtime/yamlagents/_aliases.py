"""Short names a YAML agents file may use: event aliases and class aliases per section.

Class aliases resolve to Flink Agents' own class paths (its ``ResourceName`` catalogue),
which the kit maps to its implementations (``chat.providers._catalogue``); an alias of an
integration the kit does not provide resolves too, and is refused by that mapping with
what to use instead. ``in_memory`` and ``lancedb`` (vector stores) are the kit's own.
"""

from __future__ import annotations

from flink_agents_runtime.api._agent import ResourceType
from flink_agents_runtime.api._events import InputEvent, OutputEvent
from flink_agents_runtime.chat._events import (
    ChatRequestEvent,
    ChatResponseEvent,
    ToolRequestEvent,
    ToolResponseEvent,
)
from flink_agents_runtime.chat.providers._catalogue import ResourceName
from flink_agents_runtime.retrieval._events import (
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
)

#: Event aliases -> event types.
EVENT_ALIASES: dict[str, str] = {
    "input": InputEvent.EVENT_TYPE,
    "output": OutputEvent.EVENT_TYPE,
    "chat_request": ChatRequestEvent.EVENT_TYPE,
    "chat_response": ChatResponseEvent.EVENT_TYPE,
    "tool_request": ToolRequestEvent.EVENT_TYPE,
    "tool_response": ToolResponseEvent.EVENT_TYPE,
    "context_retrieval_request": ContextRetrievalRequestEvent.EVENT_TYPE,
    "context_retrieval_response": ContextRetrievalResponseEvent.EVENT_TYPE,
}

#: Section -> the resource type its entries declare.
SECTION_TYPES: dict[str, ResourceType] = {
    "chat_model_connections": ResourceType.CHAT_MODEL_CONNECTION,
    "chat_model_setups": ResourceType.CHAT_MODEL,
    "embedding_model_connections": ResourceType.EMBEDDING_MODEL_CONNECTION,
    "embedding_model_setups": ResourceType.EMBEDDING_MODEL,
    "vector_stores": ResourceType.VECTOR_STORE,
    "mcp_servers": ResourceType.MCP_SERVER,
    "prompts": ResourceType.PROMPT,
    "tools": ResourceType.TOOL,
    "skills": ResourceType.SKILLS,
}

_CHAT = ResourceName.ChatModel
_EMBED = ResourceName.EmbeddingModel

#: Section -> alias -> class path (Python implementations; ``type: java`` is refused).
CLASS_ALIASES: dict[str, dict[str, str]] = {
    "chat_model_connections": {
        "anthropic": _CHAT.ANTHROPIC_CONNECTION,
        "azure_openai": _CHAT.AZURE_OPENAI_CONNECTION,
        "ollama": _CHAT.OLLAMA_CONNECTION,
        "openai": _CHAT.OPENAI_COMPLETIONS_CONNECTION,
        "tongyi": _CHAT.TONGYI_CONNECTION,
        "vllm": _CHAT.VLLM_CONNECTION,
    },
    "chat_model_setups": {
        "anthropic": _CHAT.ANTHROPIC_SETUP,
        "azure_openai": _CHAT.AZURE_OPENAI_SETUP,
        "ollama": _CHAT.OLLAMA_SETUP,
        "openai": _CHAT.OPENAI_COMPLETIONS_SETUP,
        "tongyi": _CHAT.TONGYI_SETUP,
        "vllm": _CHAT.VLLM_SETUP,
    },
    "embedding_model_connections": {
        "ollama": _EMBED.OLLAMA_CONNECTION,
        "openai": _EMBED.OPENAI_CONNECTION,
        "tongyi": _EMBED.TONGYI_CONNECTION,
    },
    "embedding_model_setups": {
        "ollama": _EMBED.OLLAMA_SETUP,
        "openai": _EMBED.OPENAI_SETUP,
        "tongyi": _EMBED.TONGYI_SETUP,
    },
    "vector_stores": {
        "chroma": ResourceName.VectorStore.CHROMA_VECTOR_STORE,
        "mem0": ResourceName.VectorStore.MEM0_VECTOR_STORE,
        "in_memory": "flink_agents_runtime.retrieval._store.InMemoryVectorStore",
        "lancedb": "flink_agents_runtime.retrieval._lancedb.LanceDBVectorStore",
    },
    "mcp_servers": {"mcp": ResourceName.MCP_SERVER},
}
