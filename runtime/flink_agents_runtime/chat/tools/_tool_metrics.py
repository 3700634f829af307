"""Flink Agents 0.4's per-component metrics of one tool call, under the calling action.

Every call counts under ``action.<a>.tool.<tool>.`` (``numOfToolCallsSucceeded``,
``numOfToolCallsFailed``, ``toolCallLatencyMs``). As in 0.4, where a tool carries the
identity of a component, the same call is counted again under that component's scope:

- an MCP tool under ``mcp_server.<server>.`` (the server's resource name, which the tool
  keeps as ``mcp_server_name`` when the plan finds it), with the tool-call names;
- ``load_skill`` under ``skill.<skill>.`` (the skill asked for; a name the setup does not
  offer counts as ``unknown``), with the tool-call names: loading a skill is a tool call.
  0.4 names the ``skill`` scope but no metric in it, so the tool-call names are used;
- ``_subagent_<name>`` under ``subagent.<name>.`` (``numOfSubagentCallsSucceeded``,
  ``numOfSubagentCallsFailed``, ``subagentCallLatencyMs``; see ``agents._subagent``).

Names come from declared resources or bounded sets, so the number of metrics stays bounded.
"""

from __future__ import annotations

from typing import Any

from flink_agents_runtime.engine.reporting._run_metrics import (
    component_group,
    subagent_call_ended,
    tool_call_ended,
)

#: Tool names of sub-agents called as tools (``agents._subagent.TOOL_PREFIX``).
SUBAGENT_PREFIX = "_subagent_"


def count_tool_call(
    group: Any, tool: Any, name: str, arguments: Any, start_ns: int, ok: bool
) -> None:
    """Count one ended call of ``tool`` (called as ``name`` with ``arguments``) under the
    action group ``group`` (see the module docstring); ``start_ns`` is a
    ``perf_counter_ns`` stamp."""
    tool_call_ended(component_group(group, "tool", name), start_ns, ok)
    server = getattr(tool, "mcp_server_name", None)
    if server:
        tool_call_ended(component_group(group, "mcp_server", server), start_ns, ok)
    skills = getattr(tool, "skills", None)
    if isinstance(skills, dict) and name == "load_skill":
        skill = arguments.get("name") if isinstance(arguments, dict) else None
        known = skills.keys()
        tool_call_ended(component_group(group, "skill", skill, known), start_ns, ok)
    if name.startswith(SUBAGENT_PREFIX):
        sub = component_group(group, "subagent", name[len(SUBAGENT_PREFIX) :])
        subagent_call_ended(sub, start_ns, ok)
