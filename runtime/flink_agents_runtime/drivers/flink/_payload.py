"""The plan travels by value: cloudpickle, with the agent's own modules pickled by value.

cloudpickle pickles classes and functions of ``__main__`` (a notebook) by value already; an
object from an importable module is pickled by reference, which a Flink worker can only load
if it has that module. :func:`dump_plan` therefore registers, for the duration of the dump,
every loaded module that is neither installed in a site-packages directory, nor standard
library, nor shipped with the job (a test module, a project file next to the notebook), so
those travel by value too.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cloudpickle

from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.drivers.flink._homes import ModelHomes, model_classes
from flink_agents_runtime.engine._plan import AgentPlan

#: Packages that ship with every job (see ``_remote.shipped_runtime_dir``).
_SHIPPED = ("flink_agents_runtime", "flink_agents_nb")
_STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


def _installed(module: Any) -> bool:
    name = module.__name__
    if name in sys.builtin_module_names or name.split(".")[0] in _SHIPPED:
        return True
    file = getattr(module, "__file__", None)
    if not file:
        return True  # namespace or builtin: nothing to ship by value
    path = Path(file).resolve()
    parts = set(path.parts)
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return _STDLIB in path.parents


def by_value_modules() -> list[str]:
    """Names of the loaded modules that must travel by value: those a worker cannot import
    (not installed in site-packages, not the standard library, not shipped with the job).

    All of them, not only the modules of the agent's own classes: an action may call a
    helper from a local module (a ``.py`` beside the notebook), and cloudpickle pickles a
    function by reference unless its module is registered. Registering a module that the
    plan does not reference costs nothing: only referenced objects are pickled.
    """
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if module is not None and name != "__main__" and not _installed(module)
    )


@contextmanager
def _modules_by_value() -> Iterator[None]:
    registered = []
    for name in by_value_modules():
        try:
            cloudpickle.register_pickle_by_value(sys.modules[name])
            registered.append(name)
        except ValueError:  # already registered by the user
            pass
    try:
        yield
    finally:
        for name in registered:
            cloudpickle.unregister_pickle_by_value(sys.modules[name])


def dump_plan(plan: AgentPlan, config: AgentConfiguration) -> bytes:
    """``cloudpickle.dumps((plan, config))`` with :func:`by_value_modules` by value; the
    plan carries the pydantic model classes of those modules (see ``_homes``)."""
    with _modules_by_value():
        plan.model_homes = ModelHomes(model_classes(by_value_modules()))  # type: ignore[attr-defined]
        try:
            return cloudpickle.dumps((plan, config))
        finally:
            del plan.model_homes  # type: ignore[attr-defined]


def dump_agent(agent: Any) -> bytes:
    """``cloudpickle.dumps(agent)`` with :func:`by_value_modules` by value (an exported job)."""
    with _modules_by_value():
        return cloudpickle.dumps(agent)
