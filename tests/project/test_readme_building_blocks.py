"""The README's building-blocks example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_building_blocks_example_runs(clean_env: None) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Building blocks:", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    exec(compile(block, "README.md (building blocks)", "exec"), {})
