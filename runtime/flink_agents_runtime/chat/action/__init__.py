"""The built-in chat and tool actions: the chat/tool loop, one model call, its metrics and budgets.

The plan compiler adds these actions by calling
:func:`~flink_agents_runtime.chat.action._actions.builtin_actions` when an agent declares chat
models or tools (no import-time registration). Modules are private; the public names are
re-exported by :mod:`flink_agents_runtime.chat`.
"""
