"""Chat models, tools and prompts: resources, built-in events and the chat/tool loop.

Importing this package registers the built-in actions with the plan compiler
(:data:`flink_agents_runtime.engine._plan.PLAN_EXTENSIONS`).
"""

from __future__ import annotations

from flink_agents_runtime.chat._actions import CHAT_ACTION, TOOL_ACTION, extend_plan
from flink_agents_runtime.chat._errors import ChatModelError, PromptError, ToolArgumentError
from flink_agents_runtime.chat._events import (
    ChatRequestEvent,
    ChatResponseEvent,
    ToolRequestEvent,
    ToolResponseEvent,
)
from flink_agents_runtime.chat._message import ChatMessage, MessageRole
from flink_agents_runtime.chat._model import (
    BaseChatModelConnection,
    ChatModelSetup,
    Resource,
    ResourceDescriptor,
)
from flink_agents_runtime.chat._openai import OpenAIChatModelConnection
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat._scripted import (
    ScriptedChatModelConnection,
    ScriptRule,
    count_tokens,
)
from flink_agents_runtime.chat._tool import FunctionTool, Tool
from flink_agents_runtime.engine._plan import PLAN_EXTENSIONS

if extend_plan not in PLAN_EXTENSIONS:
    PLAN_EXTENSIONS.append(extend_plan)

__all__ = [
    "CHAT_ACTION",
    "TOOL_ACTION",
    "BaseChatModelConnection",
    "ChatMessage",
    "ChatModelError",
    "ChatModelSetup",
    "ChatRequestEvent",
    "ChatResponseEvent",
    "FunctionTool",
    "MessageRole",
    "OpenAIChatModelConnection",
    "Prompt",
    "PromptError",
    "Resource",
    "ResourceDescriptor",
    "ScriptRule",
    "ScriptedChatModelConnection",
    "Tool",
    "ToolArgumentError",
    "ToolRequestEvent",
    "ToolResponseEvent",
    "count_tokens",
]
