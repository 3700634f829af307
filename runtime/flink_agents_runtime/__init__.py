"""flink_agents_runtime: the agent runtime of flink-agents-nb.

Lean on purpose (stdlib, pyyaml, cloudpickle): it runs in the notebook and on Flink workers.
Its API follows Apache Flink Agents' Python API (0.3.1).
"""

from __future__ import annotations

from flink_agents_runtime._errors import (
    ActionFailedError,
    ActionStateStoreError,
    AgentDefinitionError,
    ArgumentTypeError,
    ArgumentValueError,
    ConfigError,
    EventAttributeError,
    FlinkAgentsError,
    FlinkUnavailableError,
    InputError,
    JobFailedError,
    JobTimeoutError,
    LogNotFoundError,
    MemoryAccessError,
    NotFoundError,
    NotRecordedError,
    ResourceError,
    UsageError,
)
from flink_agents_runtime._version import __version__
from flink_agents_runtime.agents import (
    STRUCTURED_OUTPUT,
    OutputSchema,
    ReActAgent,
    StructuredOutputError,
    SubagentError,
    SubagentHandle,
    SubagentResult,
    SubagentSetup,
)
from flink_agents_runtime.api._agent import (
    ActionSpec,
    Agent,
    ResourceType,
    action,
    chat_model_connection,
    chat_model_setup,
    embedding_model_connection,
    embedding_model_setup,
    mcp_server,
    prompt,
    skills,
    tool,
    vector_store,
)
from flink_agents_runtime.api._events import Event, InputEvent, OutputEvent
from flink_agents_runtime.api._memory import MemoryObject, MemoryRef, MemoryType
from flink_agents_runtime.api._metrics import (
    Counter,
    Gauge,
    Histogram,
    Meter,
    MetricGroup,
    MetricSnapshot,
)
from flink_agents_runtime.chat import (
    BaseChatModelConnection,
    Budget,
    ChatMessage,
    ChatModelError,
    ChatModelSetup,
    ChatRequestEvent,
    ChatResponseEvent,
    FunctionTool,
    MCPServer,
    MCPServerError,
    MCPTool,
    MessageRole,
    OpenAIChatModelConnection,
    Prompt,
    PromptError,
    Resource,
    ResourceDescriptor,
    ScriptedChatModelConnection,
    ScriptRule,
    Skill,
    Skills,
    Tool,
    ToolArgumentError,
    ToolRequestEvent,
    ToolResponseEvent,
    count_tokens,
)
from flink_agents_runtime.chat.action._calls import CallSite, CallSource
from flink_agents_runtime.chat.providers._anthropic import (
    AnthropicChatModelConnection,
    AnthropicChatModelSetup,
)
from flink_agents_runtime.chat.providers._catalogue import ResourceName
from flink_agents_runtime.chat.providers._ollama import (
    OllamaChatModelConnection,
    OllamaChatModelSetup,
)
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.config._options import OPTIONS, ConfigOption, env_var_name
from flink_agents_runtime.drivers._environment import AgentsExecutionEnvironment
from flink_agents_runtime.drivers._filesink import add_file_sink, read_file_sink
from flink_agents_runtime.drivers._local import LocalAgentBuilder, LocalExecutionEnvironment
from flink_agents_runtime.drivers._sources import DirectorySource
from flink_agents_runtime.durable._codec import register_durable_type
from flink_agents_runtime.engine._context import DurableCall, RunnerContext
from flink_agents_runtime.engine._core import ExecutionCore, InputTask
from flink_agents_runtime.engine.plan._plan import AgentPlan
from flink_agents_runtime.engine.reporting._records import ActionRecord, EventRecord
from flink_agents_runtime.engine.reporting._run import Output, RunResult
from flink_agents_runtime.eventlog._file_logger import EventLogWriteError, FileEventLogger
from flink_agents_runtime.eventlog._loggers import (
    EventLogger,
    EventLoggerConfig,
    MemoryEventLogger,
)
from flink_agents_runtime.eventlog._sink import EventLogSink
from flink_agents_runtime.eventlog._trace_sink import TraceLogSink
from flink_agents_runtime.retrieval import (
    BaseEmbeddingModelConnection,
    BaseVectorStore,
    ContextRetrievalRequestEvent,
    ContextRetrievalResponseEvent,
    Document,
    EmbeddingModelSetup,
    HashEmbeddingModelConnection,
    InMemoryVectorStore,
    LanceDBVectorStore,
    OllamaEmbeddingModelConnection,
    OllamaEmbeddingModelSetup,
    OpenAIEmbeddingModelConnection,
    OpenAIEmbeddingModelSetup,
    RetrievalError,
    VectorStoreQuery,
    VectorStoreQueryResult,
)
from flink_agents_runtime.timetravel import CallNotRecordedError, RecordError

#: Served on first access (importing them imports PyFlink): name -> module.
_LAZY = {
    "RemoteAgentBuilder": "flink_agents_runtime.drivers.flink",
    "RemoteExecutionEnvironment": "flink_agents_runtime.drivers.flink",
}


def __getattr__(name: str) -> object:
    # The Flink driver imports PyFlink: load it only when first asked for.
    if name in _LAZY:
        from flink_agents_runtime.drivers import flink as _flink

        return getattr(_flink, name)
    raise AttributeError(f"module 'flink_agents_runtime' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazily served names too, so Jupyter completes them.
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "OPTIONS",
    "STRUCTURED_OUTPUT",
    "ActionFailedError",
    "ActionRecord",
    "ActionSpec",
    "ActionStateStoreError",
    "Agent",
    "AgentConfiguration",
    "AgentDefinitionError",
    "AgentPlan",
    "AgentsExecutionEnvironment",
    "AnthropicChatModelConnection",
    "AnthropicChatModelSetup",
    "ArgumentTypeError",
    "ArgumentValueError",
    "BaseChatModelConnection",
    "BaseEmbeddingModelConnection",
    "BaseVectorStore",
    "Budget",
    "CallNotRecordedError",
    "CallSite",
    "CallSource",
    "ChatMessage",
    "ChatModelError",
    "ChatModelSetup",
    "ChatRequestEvent",
    "ChatResponseEvent",
    "ConfigError",
    "ConfigOption",
    "ContextRetrievalRequestEvent",
    "ContextRetrievalResponseEvent",
    "Counter",
    "DirectorySource",
    "Document",
    "DurableCall",
    "EmbeddingModelSetup",
    "Event",
    "EventAttributeError",
    "EventLogSink",
    "EventLogWriteError",
    "EventLogger",
    "EventLoggerConfig",
    "EventRecord",
    "ExecutionCore",
    "FileEventLogger",
    "FlinkAgentsError",
    "FlinkUnavailableError",
    "FunctionTool",
    "Gauge",
    "HashEmbeddingModelConnection",
    "Histogram",
    "InMemoryVectorStore",
    "InputError",
    "InputEvent",
    "InputTask",
    "JobFailedError",
    "JobTimeoutError",
    "LanceDBVectorStore",
    "LocalAgentBuilder",
    "LocalExecutionEnvironment",
    "LogNotFoundError",
    "MCPServer",
    "MCPServerError",
    "MCPTool",
    "MemoryAccessError",
    "MemoryEventLogger",
    "MemoryObject",
    "MemoryRef",
    "MemoryType",
    "MessageRole",
    "Meter",
    "MetricGroup",
    "MetricSnapshot",
    "NotFoundError",
    "NotRecordedError",
    "OllamaChatModelConnection",
    "OllamaChatModelSetup",
    "OllamaEmbeddingModelConnection",
    "OllamaEmbeddingModelSetup",
    "OpenAIChatModelConnection",
    "OpenAIEmbeddingModelConnection",
    "OpenAIEmbeddingModelSetup",
    "Output",
    "OutputEvent",
    "OutputSchema",
    "Prompt",
    "PromptError",
    "ReActAgent",
    "RecordError",
    "RemoteAgentBuilder",
    "RemoteExecutionEnvironment",
    "Resource",
    "ResourceDescriptor",
    "ResourceError",
    "ResourceName",
    "ResourceType",
    "RetrievalError",
    "RunResult",
    "RunnerContext",
    "ScriptRule",
    "ScriptedChatModelConnection",
    "Skill",
    "Skills",
    "StructuredOutputError",
    "SubagentError",
    "SubagentHandle",
    "SubagentResult",
    "SubagentSetup",
    "Tool",
    "ToolArgumentError",
    "ToolRequestEvent",
    "ToolResponseEvent",
    "TraceLogSink",
    "UsageError",
    "VectorStoreQuery",
    "VectorStoreQueryResult",
    "__version__",
    "action",
    "add_file_sink",
    "chat_model_connection",
    "chat_model_setup",
    "count_tokens",
    "embedding_model_connection",
    "embedding_model_setup",
    "env_var_name",
    "mcp_server",
    "prompt",
    "read_file_sink",
    "register_durable_type",
    "skills",
    "tool",
    "vector_store",
]
