"""The README's "Replay, fork and evaluate" code block runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_replay_fork_evaluate_block_runs(clean_env: None) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Replay, fork and evaluate", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    scope: dict[str, object] = {}
    exec(compile(block, "README.md (Replay, fork and evaluate)", "exec"), scope)
    fa = scope["fa"]
    assert fa.replay(scope["tickets_run"], scope["v1"]).identical  # type: ignore[attr-defined]
    divergences = fa.replay(scope["tickets_run"], scope["v2"]).divergences  # type: ignore[attr-defined]
    assert set(divergences["reason"]) == {"call not in the record"}
    table = fa.compare([scope["ev1"], scope["ev2"]]).table  # type: ignore[attr-defined]
    assert list(table.index) == ["v1", "v2"]
