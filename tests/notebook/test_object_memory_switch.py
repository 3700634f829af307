"""``FLINK_AGENTS_NB_READ_OBJECT_MEMORY=0`` turns off every reader path that reads or moves
objects' memory directly, and the log reads the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from flink_agents_nb.eventlog.columns._object_memory import OBJECT_MEMORY_ENV, allowed

_CHILD = """
import json, sys
import numpy as np
from flink_agents_nb.eventlog.columns import _moved
from flink_agents_nb.eventlog.ids import _strkeys
from flink_agents_nb.eventlog._load import load_log
from flink_agents_nb.eventlog.typed import _slots
parts = [[np.array(["a", "b"], dtype=object)]]
frame = load_log(sys.argv[1], workers=1).frame
print(json.dumps({
    "slots": _slots.ENABLED,
    "strkeys": _strkeys.LAYOUT_OK,
    "moved": _moved.move_columns(parts, None, 2) is not None,
    "frame": frame.astype(str).to_dict("list"),
}))
"""


def _child(log: Path, value: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != OBJECT_MEMORY_ENV}
    if value is not None:
        env[OBJECT_MEMORY_ENV] = value
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(log)], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_the_switch_turns_every_memory_path_off_and_reads_the_same(tmp_path: Path) -> None:
    log = tmp_path / "traces-job-agent-0.log"
    rows: list[dict[str, object]] = []
    for i in range(40):
        rows.append({"timestamp": f"2026-01-01T00:00:{i:02d}Z", "inputRunId": f"run-{i // 4}",
                     "businessKey": "k", "agentName": "a", "entityType": "action",
                     "entityName": "reply", "executionId": f"x-{i // 2}",
                     "parentExecutionId": None, "status": "started" if i % 2 == 0 else "success",
                     "attributes": {}})  # fmt: skip
    log.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    on, off = _child(log, None), _child(log, "0")
    assert (on["slots"], on["strkeys"], on["moved"]) == (True, True, True)
    assert (off["slots"], off["strkeys"], off["moved"]) == (False, False, False)
    assert on["frame"] == off["frame"]


def test_the_switch_values() -> None:
    assert allowed({}) and allowed({OBJECT_MEMORY_ENV: "1"})
    for value in ("0", "false", "No", " off "):
        assert not allowed({OBJECT_MEMORY_ENV: value})
