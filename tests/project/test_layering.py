"""The architecture's rules, checked on the installed packages in fresh interpreters."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_RUNTIME = {"pandas", "plotly", "ipywidgets", "flink_agents_nb", "numpy", "tqdm"}


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout.strip()


def test_importing_the_runtime_loads_no_ui_or_data_library() -> None:
    loaded = run_python(
        "import sys, flink_agents_runtime, flink_agents_runtime.drivers._local;"
        "print(sorted(m.split('.')[0] for m in sys.modules))"
    )
    for name in FORBIDDEN_IN_RUNTIME | {"pyflink"}:
        assert f"'{name}'" not in loaded, f"importing the runtime imported {name}"


def test_importing_the_notebook_layer_starts_no_jvm() -> None:
    loaded = run_python(
        "import sys, flink_agents_nb; print('pyflink' in sys.modules, 'py4j' in sys.modules)"
    )
    assert loaded == "False False"


def test_importing_the_notebook_layer_defers_what_only_some_paths_need() -> None:
    # Charts, widgets and the HTTP client load when used, keeping `import` fast.
    loaded = run_python(
        "import sys, flink_agents_nb;"
        "print(sorted(m for m in ('plotly', 'ipywidgets', 'httpx') if m in sys.modules))"
    )
    assert loaded == "[]"


def test_runtime_sources_never_import_forbidden_modules() -> None:
    offenders = []
    for path in (ROOT / "runtime" / "flink_agents_runtime").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN_IN_RUNTIME:
                    offenders.append(
                        f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)} imports {name}"
                    )
    assert offenders == []


def test_pyflink_is_imported_only_inside_the_flink_driver() -> None:
    offenders = []
    for pkg in ("runtime/flink_agents_runtime", "flink_agents_nb"):
        for path in (ROOT / pkg).rglob("*.py"):
            if "flink" in path.parts and "drivers" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in tree.body:  # module level only: lazy imports inside functions are fine
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    mod = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                    if mod and mod.split(".")[0] == "pyflink":
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
