"""Flink Agents' ``ResourceName`` catalogue, mapped to the kit's connections and setups.

Descriptors name classes by import path (``ResourceDescriptor(clazz="pkg.mod.Class")``).
Flink Agents' own paths (``flink_agents.integrations.chat_models...``) resolve to the kit's
implementations through :data:`FA_CLASSES`, so ``ResourceName.ChatModel.OLLAMA_CONNECTION``
keeps Flink Agents' value and still builds a working connection here. Java implementations
(``ResourceName.*.Java.*``, ``org.apache.flink...``) are refused with a clear error: the kit
runs Python only.
"""

from __future__ import annotations

from flink_agents_runtime._errors import ResourceError

_FA_CHAT = "flink_agents.integrations.chat_models."
_KIT = "flink_agents_runtime.chat.providers."
_FA_EMBED = "flink_agents.integrations.embedding_models."
_RETRIEVAL = "flink_agents_runtime.retrieval."

#: Flink Agents' class paths -> the kit's class paths.
FA_CLASSES: dict[str, str] = {
    _FA_CHAT + "anthropic.anthropic_chat_model.AnthropicChatModelConnection": _KIT
    + "_anthropic.AnthropicChatModelConnection",
    _FA_CHAT + "anthropic.anthropic_chat_model.AnthropicChatModelSetup": _KIT
    + "_anthropic.AnthropicChatModelSetup",
    _FA_CHAT + "azure.azure_openai_chat_model.AzureOpenAIChatModelConnection": _KIT
    + "_compatible.AzureOpenAIChatModelConnection",
    _FA_CHAT + "azure.azure_openai_chat_model.AzureOpenAIChatModelSetup": _KIT
    + "_compatible.AzureOpenAIChatModelSetup",
    _FA_CHAT + "ollama_chat_model.OllamaChatModelConnection": _KIT
    + "_ollama.OllamaChatModelConnection",
    _FA_CHAT + "ollama_chat_model.OllamaChatModelSetup": _KIT + "_ollama.OllamaChatModelSetup",
    _FA_CHAT + "openai.openai_chat_model.OpenAIChatModelConnection": _KIT
    + "_compatible.FAOpenAIChatModelConnection",
    _FA_CHAT + "openai.openai_chat_model.OpenAIChatModelSetup": _KIT
    + "_compatible.OpenAIChatModelSetup",
    _FA_CHAT + "tongyi_chat_model.TongyiChatModelConnection": _KIT
    + "_compatible.TongyiChatModelConnection",
    _FA_CHAT + "tongyi_chat_model.TongyiChatModelSetup": _KIT + "_compatible.TongyiChatModelSetup",
    _FA_CHAT + "vllm.vllm_chat_model.VLLMChatModelConnection": _KIT
    + "_compatible.VLLMChatModelConnection",
    _FA_CHAT + "vllm.vllm_chat_model.VLLMChatModelSetup": _KIT + "_compatible.VLLMChatModelSetup",
    _FA_EMBED + "local.ollama_embedding_model.OllamaEmbeddingModelConnection": _RETRIEVAL
    + "_http_embedding.OllamaEmbeddingModelConnection",
    _FA_EMBED + "local.ollama_embedding_model.OllamaEmbeddingModelSetup": _RETRIEVAL
    + "_http_embedding.OllamaEmbeddingModelSetup",
    _FA_EMBED + "openai_embedding_model.OpenAIEmbeddingModelConnection": _RETRIEVAL
    + "_http_embedding.OpenAIEmbeddingModelConnection",
    _FA_EMBED + "openai_embedding_model.OpenAIEmbeddingModelSetup": _RETRIEVAL
    + "_http_embedding.OpenAIEmbeddingModelSetup",
    "flink_agents.integrations.mcp.mcp.MCPServer": "flink_agents_runtime.chat.tools._mcp.MCPServer",
}

#: Flink Agents integrations the kit does not provide, by path prefix: what to use instead.
NOT_PROVIDED: dict[str, str] = {
    "flink_agents.integrations.vector_stores.": (
        "use the kit's LanceDBVectorStore (on disk) or InMemoryVectorStore "
        "(flink_agents_nb.LanceDBVectorStore / InMemoryVectorStore) as the vector store"
    ),
    _FA_EMBED + "tongyi_embedding_model.": (
        "use ResourceName.EmbeddingModel.OPENAI_CONNECTION with DashScope's "
        "OpenAI-compatible base_url"
    ),
}


def kit_class_path(path: str) -> str:
    """The import path to use for ``path`` (Flink Agents' paths mapped, others as given).

    Raises :class:`ResourceError` naming the class for Java classes and for Flink Agents
    integrations the kit does not provide (embedding models, vector stores, MCP: see the
    README's status table).
    """
    mapped = FA_CLASSES.get(path)
    if mapped is not None:
        return mapped
    if path.startswith("org.apache.flink.") or ".java_" in path or path.endswith("JavaFunction"):
        raise ResourceError(
            f"{path} is a Java resource (or Flink Agents' Java wrapper); flink-agents-nb runs "
            "Python resources only: use the Python connection of the same provider"
        )
    for prefix, instead in NOT_PROVIDED.items():
        if path.startswith(prefix):
            raise ResourceError(
                f"{path} is a Flink Agents integration that flink-agents-nb does not provide; "
                + instead
            )
    if path.startswith(("flink_agents.integrations.", "flink_agents.api.")):
        raise ResourceError(
            f"{path} is a Flink Agents integration that flink-agents-nb does not provide; "
            "write a connection class (BaseChatModelConnection) or use one of ResourceName's "
            "chat models"
        )
    return path


class ResourceName:
    """Class paths of built-in resources, for ``ResourceDescriptor(clazz=...)`` (Flink
    Agents' catalogue; the values are Flink Agents' own paths, resolved to the kit's
    classes)."""

    class ChatModel:
        """Chat-model connections and setups."""

        ANTHROPIC_CONNECTION = (
            _FA_CHAT + "anthropic.anthropic_chat_model.AnthropicChatModelConnection"
        )
        ANTHROPIC_SETUP = _FA_CHAT + "anthropic.anthropic_chat_model.AnthropicChatModelSetup"
        AZURE_OPENAI_CONNECTION = (
            _FA_CHAT + "azure.azure_openai_chat_model.AzureOpenAIChatModelConnection"
        )
        AZURE_OPENAI_SETUP = _FA_CHAT + "azure.azure_openai_chat_model.AzureOpenAIChatModelSetup"
        OLLAMA_CONNECTION = _FA_CHAT + "ollama_chat_model.OllamaChatModelConnection"
        OLLAMA_SETUP = _FA_CHAT + "ollama_chat_model.OllamaChatModelSetup"
        OPENAI_COMPLETIONS_CONNECTION = (
            _FA_CHAT + "openai.openai_chat_model.OpenAIChatModelConnection"
        )
        OPENAI_COMPLETIONS_SETUP = _FA_CHAT + "openai.openai_chat_model.OpenAIChatModelSetup"
        #: 0.3.1's names of the OpenAI connection and setup.
        OPENAI_CONNECTION = OPENAI_COMPLETIONS_CONNECTION
        OPENAI_SETUP = OPENAI_COMPLETIONS_SETUP
        TONGYI_CONNECTION = _FA_CHAT + "tongyi_chat_model.TongyiChatModelConnection"
        TONGYI_SETUP = _FA_CHAT + "tongyi_chat_model.TongyiChatModelSetup"
        VLLM_CONNECTION = _FA_CHAT + "vllm.vllm_chat_model.VLLMChatModelConnection"
        VLLM_SETUP = _FA_CHAT + "vllm.vllm_chat_model.VLLMChatModelSetup"
        JAVA_WRAPPER_CONNECTION = (
            "flink_agents.api.chat_models.java_chat_model.JavaChatModelConnection"
        )
        JAVA_WRAPPER_SETUP = "flink_agents.api.chat_models.java_chat_model.JavaChatModelSetup"

        class Java:
            """Java implementations (refused when built: the kit runs Python only)."""

            _P = "org.apache.flink.agents.integrations.chatmodels."
            ANTHROPIC_CONNECTION = _P + "anthropic.AnthropicChatModelConnection"
            ANTHROPIC_SETUP = _P + "anthropic.AnthropicChatModelSetup"
            BEDROCK_CONNECTION = _P + "bedrock.BedrockChatModelConnection"
            BEDROCK_SETUP = _P + "bedrock.BedrockChatModelSetup"
            GEMINI_CONNECTION = _P + "gemini.GeminiChatModelConnection"
            GEMINI_SETUP = _P + "gemini.GeminiChatModelSetup"
            OLLAMA_CONNECTION = _P + "ollama.OllamaChatModelConnection"
            OLLAMA_SETUP = _P + "ollama.OllamaChatModelSetup"
            OPENAI_COMPLETIONS_CONNECTION = _P + "openai.OpenAICompletionsConnection"
            OPENAI_COMPLETIONS_SETUP = _P + "openai.OpenAICompletionsSetup"
            OPENAI_RESPONSES_CONNECTION = _P + "openai.OpenAIResponsesModelConnection"
            OPENAI_RESPONSES_SETUP = _P + "openai.OpenAIResponsesModelSetup"
            #: 0.3.1's Azure AI names (removed in 0.4).
            AZURE_CONNECTION = _P + "azureai.AzureAIChatModelConnection"
            AZURE_SETUP = _P + "azureai.AzureAIChatModelSetup"
            AZURE_OPENAI_CONNECTION = _P + "openai.AzureOpenAIChatModelConnection"
            AZURE_OPENAI_SETUP = _P + "openai.AzureOpenAIChatModelSetup"
            VLLM_CONNECTION = _P + "openai.VLLMChatModelConnection"
            VLLM_SETUP = _P + "openai.VLLMChatModelSetup"

    class EmbeddingModel:
        """Embedding-model connections and setups (Ollama and OpenAI-compatible here; the
        others are refused with what to use instead)."""

        OLLAMA_CONNECTION = (
            _FA_EMBED + "local.ollama_embedding_model.OllamaEmbeddingModelConnection"
        )
        OLLAMA_SETUP = _FA_EMBED + "local.ollama_embedding_model.OllamaEmbeddingModelSetup"
        OPENAI_CONNECTION = _FA_EMBED + "openai_embedding_model.OpenAIEmbeddingModelConnection"
        OPENAI_SETUP = _FA_EMBED + "openai_embedding_model.OpenAIEmbeddingModelSetup"
        TONGYI_CONNECTION = _FA_EMBED + "tongyi_embedding_model.TongyiEmbeddingModelConnection"
        TONGYI_SETUP = _FA_EMBED + "tongyi_embedding_model.TongyiEmbeddingModelSetup"
        JAVA_WRAPPER_CONNECTION = (
            "flink_agents.api.embedding_models.java_embedding_model.JavaEmbeddingModelConnection"
        )
        JAVA_WRAPPER_SETUP = (
            "flink_agents.api.embedding_models.java_embedding_model.JavaEmbeddingModelSetup"
        )

        class Java:
            """Java implementations (refused when built: the kit runs Python only)."""

            _P = "org.apache.flink.agents.integrations.embeddingmodels."
            OLLAMA_CONNECTION = _P + "ollama.OllamaEmbeddingModelConnection"
            OLLAMA_SETUP = _P + "ollama.OllamaEmbeddingModelSetup"
            BEDROCK_CONNECTION = _P + "bedrock.BedrockEmbeddingModelConnection"
            BEDROCK_SETUP = _P + "bedrock.BedrockEmbeddingModelSetup"

    class VectorStore:
        """Vector stores: Flink Agents' are refused with what to use instead (the kit's
        LanceDB and in-memory stores)."""

        CHROMA_VECTOR_STORE = (
            "flink_agents.integrations.vector_stores.chroma.chroma_vector_store.ChromaVectorStore"
        )
        MEM0_VECTOR_STORE = (
            "flink_agents.integrations.vector_stores.mem0.mem0_vector_store.Mem0VectorStore"
        )
        JAVA_WRAPPER_VECTOR_STORE = (
            "flink_agents.api.vector_stores.java_vector_store.JavaVectorStore"
        )
        JAVA_WRAPPER_COLLECTION_MANAGEABLE_VECTOR_STORE = (
            "flink_agents.api.vector_stores.java_vector_store.JavaCollectionManageableVectorStore"
        )

        class Java:
            """Java implementations (refused when built: the kit runs Python only)."""

            _P = "org.apache.flink.agents.integrations.vectorstores."
            ELASTICSEARCH_VECTOR_STORE = _P + "elasticsearch.ElasticsearchVectorStore"
            OPENSEARCH_VECTOR_STORE = _P + "opensearch.OpenSearchVectorStore"
            S3_VECTORS_VECTOR_STORE = _P + "s3vectors.S3VectorsVectorStore"
            MILVUS_VECTOR_STORE = _P + "milvus.MilvusVectorStore"

    #: Flink Agents' MCP server class (the kit's :class:`MCPServer`).
    MCP_SERVER = "flink_agents.integrations.mcp.mcp.MCPServer"
