"""``export_job``: an agent as a directory runnable with ``flink run -py job.py``.

The directory holds ``job.py`` (reads its inputs from a ``source_hook.py``, a monitored
directory, or ``inputs.jsonl`` - the demo default - runs the agent, prints outputs),
``agent.pkl`` (the agent, cloudpickled with its own modules by value), ``config.yaml`` (the
``agent:`` section: options set explicitly, secrets left out - give those as environment
variables on the cluster), ``requirements.txt`` and ``lib/`` with ``flink_agents_runtime``
and ``flink_agents_nb`` (shipped with the job, so the cluster needs only PyFlink, which
brings pandas, and the packages in ``requirements.txt``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from flink_agents_runtime import Agent, AgentConfiguration, AgentPlan, DirectorySource
from flink_agents_runtime.config._options import find_option


def job_script(agent: str, job_name: str) -> str:
    """The exported ``job.py``: the template ``_data/job.py.tmpl`` (doubled braces are
    literal) for agent class ``agent`` and Flink job ``job_name``."""
    template = (resources.files("flink_agents_nb") / "_data" / "job.py.tmpl").read_text()
    return template.format(agent=agent, job_name=job_name)


REQUIREMENTS = """apache-flink>=2.3,<2.4
cloudpickle>=2.2
pyyaml>=6
msgspec>=0.18
httpx>=0.27
"""


def export_job(
    agent: Agent | str,
    path: str | Path,
    inputs: Any = None,
    *,
    key: str | None = None,
    value: str | None = None,
    columns: Any = None,
    config: AgentConfiguration | Mapping[str, Any] | None = None,
    job_name: str | None = None,
    source: DirectorySource | None = None,
    env: Any = None,
) -> Path:
    """Write ``agent`` as a Flink job directory at ``path`` (created; files overwritten).

    Args:
        inputs: written to ``inputs.jsonl``: a DataFrame (``key``/``value``/``columns`` as
            in ``from_pandas``) or a list of ``{"key", "value"}`` dicts; an empty file when
            ``None``.
        config: options for the ``agent:`` section of ``config.yaml``.
        source: a monitored directory for production inputs, written to the ``source:``
            section of ``config.yaml`` (``job.py --source-dir`` overrides it; a
            ``source_hook.py`` beside ``job.py`` with ``make_stream(env)`` wins over both).
            ``inputs.jsonl`` is the demo default when no source is configured.
        env: where a YAML agent named by ``agent`` was loaded (as in ``promote``). The agent
            is then bound as ``env.get_agent(agent)`` binds it: it carries *all* of
            ``env``'s shared resources (every file's and every ``add_resource``'s, not only
            those it names), and they are pickled into ``agent.pkl`` with their
            constructor arguments.

    Secrets: ``config.yaml`` leaves secret options out, but ``agent.pkl`` holds whatever
    the agent's resources were given, so an API key written in a connection's arguments
    (a YAML ``api_key:``, a ``ResourceDescriptor(api_key=...)``) is in it: give keys as
    the provider's environment variable on the cluster (``OPENAI_API_KEY``, ...) instead,
    or keep the directory as secret as the key. No message or repr on this path shows such
    an argument's value (descriptors print ``****`` for key, token, secret, password and
    header arguments).

    Returns the directory.
    """
    from flink_agents_nb.run._inputs import agent_to_run, input_pairs
    from flink_agents_runtime.drivers.flink._payload import dump_agent
    from flink_agents_runtime.drivers.flink._remote import runtime_dir

    agent = agent_to_run(agent, env, "export_job")
    plan = AgentPlan.from_agent(agent)
    pairs = input_pairs(inputs, key, value, columns) if inputs is not None else []
    target = Path(path)
    target.mkdir(parents=True, exist_ok=True)
    explicit = config.explicit() if isinstance(config, AgentConfiguration) else dict(config or {})
    section = {}
    for option_key, option_value in sorted(explicit.items()):
        option = find_option(option_key)
        if option is not None and option.secret:
            continue
        section[option_key] = option_value
    document: dict[str, Any] = {"agent": section}
    if source is not None:
        document["source"] = {
            "directory": source.path,
            "key": source.key,
            "value": source.value or "",
            "poll-ms": source.poll_ms,
        }
    (target / "config.yaml").write_text(
        "# agent options of the exported job (secrets: set FLINK_AGENTS_NB_* env vars)\n"
        + yaml.safe_dump(document, sort_keys=True)
    )
    (target / "agent.pkl").write_bytes(dump_agent(agent))
    name = job_name or f"agent-{plan.name}"
    (target / "job.py").write_text(job_script(plan.name, name))
    (target / "requirements.txt").write_text(REQUIREMENTS)
    with (target / "inputs.jsonl").open("w") as fh:
        for pair_key, pair_value in pairs:
            fh.write(json.dumps({"key": pair_key, "value": pair_value}) + "\n")
    # Both packages ship (agents written with `fa.` names refer to the notebook layer).
    notebook_layer = Path(__file__).resolve().parents[1]
    for package in (runtime_dir(), notebook_layer):
        lib = target / "lib" / package.name
        if lib.exists():
            shutil.rmtree(lib)
        shutil.copytree(package, lib, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target
