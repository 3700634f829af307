"""Savepoints of agent jobs: what a savepoint holds, and whether a changed agent can resume.

When the kit takes a savepoint it writes a small manifest beside Flink's ``_metadata``
(``flink-agents-nb.json``): the agent's name, the uid of its operator (Flink maps keyed
state to operators by uid), its actions, and the key type or key field of its input. Before
an agent is submitted *from* a savepoint, :func:`check_compatibility` compares the new job
with that manifest and names what cannot be restored:

- the agent operator's uid changed (the agent class was renamed): every key's short-term
  memory would be left behind;
- the key type changed (``str`` keys before, ``int`` now): old memory would never be found;
- actions removed or added: reported, never blocking (actions hold no Flink state).

A blocking finding raises :class:`IncompatibleSavepointError` unless the caller passes
``allow_non_restored_state=True`` (Flink's own flag for dropping unclaimed state).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flink_agents_runtime._errors import ArgumentValueError, FlinkAgentsError
from flink_agents_runtime.config._configuration import AgentConfiguration

MANIFEST = "flink-agents-nb.json"


class IncompatibleSavepointError(FlinkAgentsError, ValueError):
    """A changed agent cannot resume from a savepoint without losing state.

    Attributes:
        findings: what would not be restored, one sentence each.
    """

    def __init__(self, message: str, findings: list[str]) -> None:
        super().__init__(message)
        self.findings = findings


@dataclass
class JobManifest:
    """What the kit knows about an agent job's state layout.

    Attributes:
        agent: the agent's name.
        operator_uid: the uid of the agent operator.
        actions: the agent's action names, sorted.
        key_type: the Python type name of the input keys (``""`` when unknown).
        key_field: the input field keys are taken from (streaming sources; ``""`` otherwise).
        store_namespace: the job's action state namespace (``job-identifier``, else the
            first job's id): a job resumed from the savepoint keeps using it, so inputs that
            were in flight find the actions and durable calls they had completed.
    """

    agent: str
    operator_uid: str
    actions: list[str] = field(default_factory=list)
    key_type: str = ""
    key_field: str = ""
    store_namespace: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str, where: str) -> JobManifest:
        try:
            data = json.loads(text)
            return cls(
                agent=str(data["agent"]),
                operator_uid=str(data["operator_uid"]),
                actions=[str(a) for a in data.get("actions", [])],
                key_type=str(data.get("key_type", "")),
                key_field=str(data.get("key_field", "")),
                store_namespace=str(data.get("store_namespace", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ArgumentValueError(
                f"{where}: not a flink-agents-nb savepoint manifest ({exc})"
            ) from None


def local_path(location: str) -> Path:
    """A savepoint location as Flink reports it (``file:/x`` or ``file:///x``) as a path."""
    if location.startswith("file://"):
        location = location[len("file://") :]
    elif location.startswith("file:"):
        location = location[len("file:") :]
    return Path(location)


def write_manifest(location: str, manifest: JobManifest) -> Path | None:
    """Write ``manifest`` into the savepoint directory at ``location`` (a local path or
    ``file:`` URI); returns the file, or ``None`` when the location is not local."""
    directory = local_path(location)
    if not directory.is_dir():
        return None
    target = directory / MANIFEST
    target.write_text(manifest.to_json())
    return target


def read_manifest(location: str | os.PathLike[str]) -> JobManifest | None:
    """The manifest in a savepoint directory, or ``None`` when it has none (a savepoint the
    kit did not take)."""
    target = local_path(str(location)) / MANIFEST
    if not target.is_file():
        return None
    return JobManifest.from_json(target.read_text(), str(target))


def check_compatibility(saved: JobManifest, new: JobManifest) -> tuple[list[str], list[str]]:
    """``(blocking, notes)``: what the new job would lose from the saved state, and the
    changes that are safe (reported so an upgrade's effect is visible)."""
    blocking: list[str] = []
    notes: list[str] = []
    if saved.operator_uid != new.operator_uid:
        blocking.append(
            f"the agent operator was {saved.operator_uid!r} and is now {new.operator_uid!r} "
            f"(agent {saved.agent!r} renamed to {new.agent!r}): every key's short-term memory "
            "would not be restored"
        )
    if saved.key_type and new.key_type and saved.key_type != new.key_type:
        blocking.append(
            f"keys were {saved.key_type} and are now {new.key_type}: memory saved under the "
            "old keys would never be found"
        )
    if saved.key_field and new.key_field and saved.key_field != new.key_field:
        blocking.append(
            f"keys came from field {saved.key_field!r} and now from {new.key_field!r}: memory "
            "saved under the old keys would not match"
        )
    removed = sorted(set(saved.actions) - set(new.actions))
    added = sorted(set(new.actions) - set(saved.actions))
    if removed:
        notes.append(f"actions removed: {', '.join(removed)} (they hold no Flink state)")
    if added:
        notes.append(f"actions added: {', '.join(added)}")
    return blocking, notes


def ensure_compatible(
    location: str, new: JobManifest, *, allow_non_restored_state: bool = False
) -> list[str]:
    """Check ``new`` against the savepoint at ``location``; returns the notes. Raises
    :class:`IncompatibleSavepointError` naming each blocking finding unless
    ``allow_non_restored_state``, and :class:`ArgumentValueError` when ``location`` is not a
    savepoint directory."""
    directory = local_path(location)
    if directory.exists() and not (directory / "_metadata").is_file():
        raise ArgumentValueError(f"{location}: no _metadata file, so not a Flink savepoint")
    saved = read_manifest(location)
    if saved is None:
        return ["the savepoint has no flink-agents-nb manifest: compatibility not checked"]
    blocking, notes = check_compatibility(saved, new)
    if blocking and not allow_non_restored_state:
        lines = "\n".join(f"- {b}" for b in blocking)
        raise IncompatibleSavepointError(
            f"cannot resume agent {new.agent!r} from {location} without losing state:\n{lines}\n"
            "Pass allow_non_restored_state=True to resume anyway (the state listed is dropped).",
            blocking,
        )
    return [*(f"dropped: {b}" for b in blocking), *notes]


def manifest_for(
    agent_name: str, actions: list[str], keys: list[Any], key_field: str = ""
) -> JobManifest:
    """The manifest of a job of ``agent_name`` over inputs with ``keys`` (may be empty)."""
    types = sorted({type(k).__name__ for k in keys})
    return JobManifest(
        agent=agent_name,
        operator_uid=f"agent-{agent_name}",
        actions=sorted(actions),
        key_type="|".join(types),
        key_field=key_field,
    )


def carry_store_namespace(conf: AgentConfiguration, saved: JobManifest | None) -> list[str]:
    """A job resumed from a savepoint is the same logical job: it keeps the action state
    store namespace of the job the savepoint came from (the manifest says which), so inputs
    in flight at the savepoint replay the actions and durable calls they completed. An
    explicit ``job-identifier`` wins. Returns a note when the namespace cannot be carried."""
    if "job-identifier" in conf.explicit():
        return []
    if saved is not None and saved.store_namespace:
        conf.set("job-identifier", saved.store_namespace)
        return []
    if conf.get("actionStateStoreBackend") is None:
        return []
    return [
        "the savepoint does not name its action state namespace (not taken by this kit's "
        "FlinkJob): inputs in flight at the savepoint run their actions and durable calls "
        "again unless job-identifier is set to the old job's (its job id by default)"
    ]
