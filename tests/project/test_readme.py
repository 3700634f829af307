"""Every Python block of the README runs as written, in order, in one namespace.

A block whose first line is ``# needs: <what>`` needs something the fast suite does not
start: ``# needs: Java 17 (a MiniCluster job)`` blocks run in the Flink-marked test; blocks
needing a running or a standalone cluster are compiled only. A YAML block whose first line is
``# file: NAME`` (a comment may follow) is written to ``NAME`` in the working directory
before the Python blocks run.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[tuple[int, str]]:
    """``(line, code)`` of each fenced Python block of the README, in order."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        blocks.append((text.count("\n", 0, m.start()) + 2, m.group(1)))
    return blocks


def file_blocks() -> dict[str, str]:
    """``{name: text}`` of each fenced YAML block of the README starting ``# file: name``."""
    text = README.read_text(encoding="utf-8")
    found = {}
    for m in re.finditer(r"^```yaml\n# file: (\S+).*?\n(.*?)^```", text, re.S | re.M):
        found[m.group(1)] = m.group(2)
    return found


def needs(code: str) -> str | None:
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    return first[len("# needs:") :].strip() if first.startswith("# needs:") else None


def _run_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, java: bool) -> dict[str, Any]:
    monkeypatch.chdir(tmp_path)
    for name, text in file_blocks().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "readme"}
    ran = 0
    for line, code in python_blocks():
        compiled = compile(code, f"README.md:{line}", "exec")
        need = needs(code)
        if need is not None and not (java and need.startswith("Java 17 (a MiniCluster")):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. an unpriced model's cost warning
            exec(compiled, namespace)
        ran += 1
    namespace["__ran__"] = ran
    return namespace


def test_readme_python_blocks_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    assert len(python_blocks()) >= 6
    ns = _run_blocks(tmp_path, monkeypatch, java=False)
    assert ns["__ran__"] >= 5
    assert len(ns["run"].outputs) == 3 and (tmp_path / "run.html").is_file()
    answers = ns["chat_run"].outputs["output.answer"].tolist()
    assert answers[0].startswith("{status}: ") and "shipped" in answers[0]
    assert answers[1] == "Thanks, a person will look into it."
    d = ns["fa"].diff(ns["run"], ns["run_b"])
    assert "vip changed on 1 of 3 inputs: false -> true x 1" in d.summary()
    assert ns["st"].position >= 0 and os.path.isdir(tmp_path / "logs")


@pytest.mark.flink
def test_readme_promote_block_runs_on_the_minicluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    ns = _run_blocks(tmp_path, monkeypatch, java=True)
    assert (tmp_path / "my-job" / "job.py").is_file()
    assert ns["promoted"].parity is not None
    yaml_promoted = ns["promoted_yaml"]  # the YAML agent by name: the same outputs as locally
    assert yaml_promoted.parity is not None and yaml_promoted.parity.ok, repr(yaml_promoted.parity)
    flags = sorted(
        (o.key, o.value["total"], o.value["status"]) for o in yaml_promoted.result.outputs
    )
    assert flags == [("ada", 35.0, "regular"), ("ada", 115.0, "vip"), ("bob", 12.5, "regular")]
    assert (tmp_path / "order-watch-job" / "agent.pkl").is_file()
