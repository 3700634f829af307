"""A worker interpreter that outlives a job keeps the shipped packages importable."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from flink_agents_runtime.drivers.flink._shipped import refresh_package_paths


def write_package(root: Path, name: str) -> None:
    (root / name / "inner").mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    (root / name / "inner" / "__init__.py").write_text("")
    (root / name / "lazy.py").write_text("VALUE = 'lazy'\n")
    (root / name / "inner" / "deep.py").write_text("VALUE = 'deep'\n")


def test_packages_of_a_deleted_job_directory_are_repointed(tmp_path: Path) -> None:
    name = "fa_shipped_probe"
    first, second = tmp_path / "job1", tmp_path / "job2"
    write_package(first, name)
    sys.path.insert(0, str(first))
    try:
        __import__(f"{name}.inner")  # what the first job imported
        shutil.rmtree(first)  # PyFlink deletes the job's files when it ends
        write_package(second, name)
        sys.path.insert(0, str(second))  # the next job ships its own copy
        with pytest.raises(ModuleNotFoundError):
            __import__(f"{name}.lazy")
        changed = refresh_package_paths([name])
        assert sorted(changed) == [name, f"{name}.inner"]
        assert __import__(f"{name}.lazy", fromlist=["VALUE"]).VALUE == "lazy"
        assert __import__(f"{name}.inner.deep", fromlist=["VALUE"]).VALUE == "deep"
        assert refresh_package_paths([name]) == []  # nothing stale any more
    finally:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]
        sys.path[:] = [p for p in sys.path if p not in (str(first), str(second))]
