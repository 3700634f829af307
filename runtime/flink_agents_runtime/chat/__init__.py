"""Chat models, tools and prompts: resources, built-in events and the chat/tool loop.

The plan compiler adds the built-in chat and tool actions by calling
:func:`~flink_agents_runtime.chat.action._actions.builtin_actions` (no import-time registration).
"""

from __future__ import annotations

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
from flink_agents_runtime.chat._prompt import Prompt
from flink_agents_runtime.chat.action._actions import CHAT_ACTION, TOOL_ACTION
from flink_agents_runtime.chat.action._budget import Budget
from flink_agents_runtime.chat.providers._openai import OpenAIChatModelConnection
from flink_agents_runtime.chat.providers._scripted import (
    ScriptedChatModelConnection,
    ScriptRule,
    count_tokens,
)
from flink_agents_runtime.chat.tools._mcp import MCPServer, MCPServerError, MCPTool
from flink_agents_runtime.chat.tools._skills import Skill, Skills
from flink_agents_runtime.chat.tools._tool import FunctionTool, Tool

__all__ = [
    "CHAT_ACTION",
    "TOOL_ACTION",
    "BaseChatModelConnection",
    "Budget",
    "ChatMessage",
    "ChatModelError",
    "ChatModelSetup",
    "ChatRequestEvent",
    "ChatResponseEvent",
    "FunctionTool",
    "MCPServer",
    "MCPServerError",
    "MCPTool",
    "MessageRole",
    "OpenAIChatModelConnection",
    "Prompt",
    "PromptError",
    "Resource",
    "ResourceDescriptor",
    "ScriptRule",
    "ScriptedChatModelConnection",
    "Skill",
    "Skills",
    "Tool",
    "ToolArgumentError",
    "ToolRequestEvent",
    "ToolResponseEvent",
    "count_tokens",
]
