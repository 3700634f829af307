"""The Flink payload ships by value only the user's own modules (issue 13, item 8): a
library on a side path (a PYTHONPATH entry outside the working tree) goes by reference, the
kit's packages never by value, and what cannot be pickled is named with its module."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flink_agents_runtime import Agent, AgentConfiguration, InputEvent, OutputEvent
from flink_agents_runtime.drivers.flink._payload import PayloadError, by_value_modules, dump_plan
from flink_agents_runtime.engine.plan._plan import AgentPlan

SIDELIB = """
import threading
_LOCK = threading.Lock()  # a library's module state: cannot be pickled by value
def double(x):
    with _LOCK:
        return x * 2
"""
MINE = """
def triple(x):
    return x * 3
"""
BAD = """
import threading
LOCK = threading.Lock()
def guarded(event, ctx):
    with LOCK:
        pass
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    side = tmp_path / "side"
    (side / "sidelib").mkdir(parents=True)
    (side / "sidelib" / "__init__.py").write_text(SIDELIB)
    work = tmp_path / "project"
    work.mkdir()
    (work / "mine.py").write_text(MINE)
    (work / "bad_helpers.py").write_text(BAD)
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(side))
    monkeypatch.syspath_prepend(str(work))
    yield tmp_path
    for name in ("sidelib", "mine", "bad_helpers"):
        sys.modules.pop(name, None)


def test_side_path_library_by_reference_user_module_by_value(project: Path) -> None:
    import mine
    import sidelib

    def act(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(output=sidelib.double(mine.triple(event.input))))

    names = by_value_modules()
    assert "mine" in names and "sidelib" not in names
    assert not [n for n in names if n.split(".")[0] in ("flink_agents_runtime", "flink_agents_nb")]
    plan = AgentPlan.from_agent(Agent().add_action("act", [InputEvent], act))
    payload = dump_plan(plan, AgentConfiguration())  # used to fail: cannot pickle lock
    (project / "payload.bin").write_bytes(payload)
    # A worker: has the library (on its path), not the user's project directory.
    worker = textwrap.dedent(
        """
        import sys, cloudpickle
        plan, config = cloudpickle.loads(open(sys.argv[1], "rb").read())
        class Ctx:
            def send_event(self, e): print(e.attributes["output"])
        class Ev:
            input = 7
        plan.actions["act"].func(Ev(), Ctx())
        print("mine" in sys.modules)
        """
    )
    path = os.pathsep.join([str(project / "side"), *[p for p in sys.path if "project" not in p]])
    out = subprocess.run(
        [sys.executable, "-c", worker, str(project / "payload.bin")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(project / "side"),
        env={**os.environ, "PYTHONPATH": path},
    )
    assert out.stdout.split() == ["42", "False"], out.stderr


def test_unpicklable_user_module_state_is_named(project: Path) -> None:
    import bad_helpers

    plan = AgentPlan.from_agent(Agent().add_action("guard", [InputEvent], bad_helpers.guarded))
    with pytest.raises(PayloadError) as info:
        dump_plan(plan, AgentConfiguration())
    text = str(info.value)
    assert "action 'guard' from module 'bad_helpers' (by value)" in text
    assert "lock" in text


def test_a_module_the_workers_cannot_import_is_named_with_what_to_do() -> None:
    from flink_agents_runtime.drivers.flink._remote import job_failure

    trace = (
        "py4j.protocol.Py4JJavaError: An error occurred while calling o12.execute.\n"
        "Caused by: org.apache.flink.runtime.JobException: Recovery is suppressed\n"
        "Caused by: org.apache.beam.PythonException: <class 'ModuleNotFoundError'>: "
        "No module named 'myproject'\n"
    )
    text = str(job_failure(RuntimeError(trace), "promote-Triage"))
    assert text.startswith("Flink job 'promote-Triage' failed: <class 'ModuleNotFoundError'>")
    assert "cannot import 'myproject'" in text and "PYTHONPATH" in text
    plain = str(job_failure(RuntimeError("Caused by: PythonException: boom"), "j"))
    assert plain == "Flink job 'j' failed: boom"
