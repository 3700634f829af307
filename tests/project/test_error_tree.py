"""One error tree: everything the kit raises derives from FlinkAgentsError."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pandas as pd
import pytest

import flink_agents_nb as fa
import flink_agents_runtime as rt

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "runtime" / "flink_agents_runtime", ROOT / "flink_agents_nb"]
BUILTIN_ERRORS = {
    n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)
}
#: Raised on purpose and fine: abstract placeholders; AttributeError is the attribute protocol
#: (``__getattr__``), which getattr/hasattr rely on.
ALLOWED = {"NotImplementedError", "AttributeError"}
#: Internal protocol errors that never leave their module (the RESP client's errors are wrapped
#: in ActionStateStoreError by the store; the async HTTP transport's in ChatModelError by the
#: OpenAI-compatible connection; a silent reader worker's by the reader, which reads its part).
INTERNAL = {"RespError", "TransportTimeout", "TransportFailed", "ResponseTooLarge", "WorkerSilent"}
INTERNAL_MODULES = {"_redis.py"}


def test_sources_raise_no_builtin_exception() -> None:
    offenders = []
    for folder in SOURCES:
        for path in folder.rglob("*.py"):
            if path.name in INTERNAL_MODULES:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    func = node.exc.func
                    name = func.id if isinstance(func, ast.Name) else None
                    if name in BUILTIN_ERRORS and name not in ALLOWED:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} raises {name}")
    assert offenders == []


def test_every_error_class_of_the_kit_derives_from_the_base() -> None:
    outside = []
    for folder in SOURCES:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.ClassDef) or node.name in INTERNAL:
                    continue
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                if node.name == "FlinkAgentsError":
                    continue
                if bases & BUILTIN_ERRORS and not any(
                    b.endswith("Error") and b not in BUILTIN_ERRORS for b in bases
                ):
                    outside.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert outside == []
    for name in fa.__all__:
        value = getattr(fa, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, rt.FlinkAgentsError), name


def test_the_tree_is_drawn_in_the_errors_module() -> None:
    from flink_agents_runtime import _errors

    doc = _errors.__doc__ or ""
    for name in fa.__all__:
        value = getattr(fa, name)
        if isinstance(value, type) and issubclass(value, rt.FlinkAgentsError):
            assert name in doc, f"{name} is missing from the tree in _errors"


def test_builder_misuse_raises_a_usage_error() -> None:
    env = fa.local()
    with pytest.raises(rt.UsageError, match="nothing to execute"):
        env.execute()
    agent = fa.Agent()
    agent.add_action("echo", [fa.InputEvent], lambda e, ctx: None)
    builder = env.from_list([{"key": 1, "value": 1}]).apply(agent)
    with pytest.raises(rt.UsageError, match="already has an agent"):
        builder.apply(agent)


def test_view_lookups_raise_kit_errors_that_are_still_builtin_ones() -> None:
    from flink_agents_nb.run._source import record_frame_of

    with pytest.raises(rt.ArgumentTypeError) as wrong:
        record_frame_of(42)
    assert isinstance(wrong.value, TypeError)
    with pytest.raises(rt.ArgumentValueError) as bad:
        record_frame_of(pd.DataFrame({"x": [1]}))
    assert isinstance(bad.value, ValueError)
    with pytest.raises(rt.FlinkAgentsError) as missing:
        fa.Stepper(pd.DataFrame(columns=list(fa.RECORD_COLUMNS))).goto_event("nope")
    assert isinstance(missing.value, KeyError) and "nope" in str(missing.value)
