"""The inputs a notebook gives ``promote``, ``submit`` and ``export``: the data as
``(key, value)`` pairs, and the agent (an object, or a YAML agent's name with its environment)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from flink_agents_nb.run._environment import frame_to_pairs
from flink_agents_runtime import Agent, ArgumentValueError, InputError
from flink_agents_runtime.engine._inputs import Pairs, dict_pairs


def input_pairs(
    data: Any, key: str | None = None, value: str | None = None, columns: Any = None
) -> Pairs:
    """``(key, value)`` per input from a DataFrame (see ``frame_to_pairs``), a list of
    ``{"key": ..., "value": ...}`` dicts (a missing key is the position), or pairs (kept)."""
    if isinstance(data, pd.DataFrame):
        return frame_to_pairs(data, key, value, columns)
    if key is not None or value is not None or columns is not None:
        raise InputError("key=/value=/columns= name DataFrame columns; pass a DataFrame")
    if isinstance(data, Pairs):
        return data
    if not isinstance(data, Sequence):
        raise InputError(f"promote takes a DataFrame or a list of dicts, got {type(data).__name__}")
    if data and all(isinstance(item, tuple) and len(item) == 2 for item in data):
        return Pairs(data)
    return Pairs(dict_pairs(data))


def agent_to_run(agent: Agent | str, env: Any, verb: str) -> Agent:
    """The agent ``verb`` (``promote``, ``submit``, ``export_job``) runs: ``agent`` itself,
    or, for a name, the agent a YAML file loaded into ``env`` declares under it, with
    ``env``'s resources (``env.get_agent``: self-contained, as a Flink job needs it).

    Raises :class:`ArgumentValueError` for a name without ``env`` and for ``env`` beside an
    agent object; :class:`AgentDefinitionError` for a name ``env`` has no agent under
    (naming the loaded agents and files) or a reference between entries that resolves
    nowhere.
    """
    if isinstance(agent, str):
        if env is None:
            raise ArgumentValueError(
                f"{verb}({agent!r}): an agent named by a string is a YAML agent, taken from the "
                f"environment it was loaded into: {verb}({agent!r}, ..., env=env), or pass "
                f"env.get_agent({agent!r})"
            )
        from flink_agents_runtime.yamlagents import bound_agent

        return bound_agent(env, agent, verb)
    if env is not None:
        raise ArgumentValueError(
            f"{verb}(agent, env=...): env= is where a YAML agent named by a string was loaded; "
            "an agent object runs with its own resources (pass the name instead, or "
            "env.get_agent(name))"
        )
    return agent
