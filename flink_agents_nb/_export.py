"""``export_job``: an agent as a directory runnable with ``flink run -py job.py``.

The directory holds ``job.py`` (reads ``inputs.jsonl``, runs the agent, prints outputs),
``agent.pkl`` (the agent, cloudpickled with its own modules by value), ``config.yaml`` (the
``agent:`` section: options set explicitly, secrets left out - give those as environment
variables on the cluster), ``requirements.txt`` and ``lib/flink_agents_runtime`` (shipped
with the job, so the cluster needs only PyFlink, cloudpickle, pyyaml and orjson).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from flink_agents_runtime import Agent, AgentConfiguration, AgentPlan
from flink_agents_runtime._options import find_option

JOB_SCRIPT = '''"""Flink job of agent {agent}, exported by flink-agents-nb.

Run on a cluster:   flink run -py job.py [--input inputs.jsonl] [--log-dir DIR]
Run on a MiniCluster: python job.py
Inputs: JSON Lines of {{"key": ..., "value": ...}}; replace the source for production.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import cloudpickle  # noqa: E402
from pyflink.datastream import StreamExecutionEnvironment  # noqa: E402

from flink_agents_runtime import AgentsExecutionEnvironment  # noqa: E402
from flink_agents_runtime._flink._remote import pair_key, pair_value  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description="Flink job of agent {agent}")
    parser.add_argument("--input", default=os.path.join(HERE, "inputs.jsonl"))
    parser.add_argument("--log-dir", default=None, help="event-log directory (baseLogDir)")
    args, _ = parser.parse_known_args(argv)
    with open(os.path.join(HERE, "agent.pkl"), "rb") as fh:
        agent = cloudpickle.load(fh)
    with open(args.input) as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    pairs = [(row.get("key", i), row["value"]) for i, row in enumerate(rows)]
    overrides = {{"baseLogDir": args.log_dir}} if args.log_dir else {{}}
    env = StreamExecutionEnvironment.get_execution_environment()
    agents_env = AgentsExecutionEnvironment.get_execution_environment(
        env, config_file=os.path.join(HERE, "config.yaml"), config=overrides
    )
    stream = env.from_collection(pairs)
    builder = agents_env.from_datastream(stream, key_selector=pair_key, value_selector=pair_value)
    builder.apply(agent).to_datastream().print()
    agents_env.execute("{job_name}")


if __name__ == "__main__":
    main()
'''

REQUIREMENTS = """apache-flink>=2.3,<2.4
cloudpickle>=2.2
pyyaml>=6
orjson>=3.9
"""


def export_job(
    agent: Agent,
    path: str | Path,
    inputs: Any = None,
    *,
    key: str | None = None,
    value: str | None = None,
    columns: Any = None,
    config: AgentConfiguration | Mapping[str, Any] | None = None,
    job_name: str | None = None,
) -> Path:
    """Write ``agent`` as a Flink job directory at ``path`` (created; files overwritten).

    Args:
        inputs: written to ``inputs.jsonl``: a DataFrame (``key``/``value``/``columns`` as
            in ``from_pandas``) or a list of ``{"key", "value"}`` dicts; an empty file when
            ``None``.
        config: options for the ``agent:`` section of ``config.yaml``.
    Returns the directory.
    """
    from flink_agents_nb._promote import input_pairs
    from flink_agents_runtime._flink._payload import dump_agent
    from flink_agents_runtime._flink._remote import runtime_dir

    plan = AgentPlan.from_agent(agent)
    pairs = input_pairs(inputs, key, value, columns) if inputs is not None else []
    target = Path(path)
    target.mkdir(parents=True, exist_ok=True)
    conf = config if isinstance(config, AgentConfiguration) else None
    explicit = conf.explicit() if conf is not None else dict(config or {})
    section = {}
    for option_key, option_value in sorted(explicit.items()):
        option = find_option(option_key)
        if option is not None and option.secret:
            continue
        section[option_key] = option_value
    (target / "config.yaml").write_text(
        "# agent options of the exported job (secrets: set FLINK_AGENTS_NB_* env vars)\n"
        + yaml.safe_dump({"agent": section}, sort_keys=True)
    )
    (target / "agent.pkl").write_bytes(dump_agent(agent))
    name = job_name or f"agent-{plan.name}"
    (target / "job.py").write_text(JOB_SCRIPT.format(agent=plan.name, job_name=name))
    (target / "requirements.txt").write_text(REQUIREMENTS)
    with (target / "inputs.jsonl").open("w") as fh:
        for pair_key, pair_value in pairs:
            fh.write(json.dumps({"key": pair_key, "value": pair_value}) + "\n")
    lib = target / "lib" / "flink_agents_runtime"
    if lib.exists():
        shutil.rmtree(lib)
    shutil.copytree(runtime_dir(), lib, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target
