"""Tools a model can call: function tools, MCP servers' tools, skills, and their metrics.

Modules are private; the public names are re-exported by :mod:`flink_agents_runtime.chat`.
"""
