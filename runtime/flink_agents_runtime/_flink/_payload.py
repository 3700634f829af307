"""The plan travels by value: cloudpickle, with the agent's own modules pickled by value.

cloudpickle pickles classes and functions of ``__main__`` (a notebook) by value already; a
class from an importable module is pickled by reference, which a Flink worker can only load
if it has that module. :func:`dump_plan` therefore registers, for the duration of the dump,
every module the plan's classes and functions come from that is neither installed in a
site-packages directory nor part of the shipped runtime (a test module, a project file next
to the notebook), so those travel by value too.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import cloudpickle

from flink_agents_runtime._config import AgentConfiguration
from flink_agents_runtime._plan import AgentPlan

_SHIPPED = ("flink_agents_runtime",)
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


def _objects(plan: AgentPlan) -> Iterator[Any]:
    for spec in plan.actions.values():
        yield spec.func
        yield getattr(spec.func, "__self__", None)
    for named in plan.resources.values():
        yield from named.values()


def by_value_modules(plan: AgentPlan, extra: Iterable[Any] = ()) -> list[str]:
    """Names of the modules that must travel by value for ``plan`` to load on a worker."""
    names: set[str] = set()
    for obj in (*_objects(plan), *extra):
        if obj is None:
            continue
        kinds = obj.__mro__ if isinstance(obj, type) else type(obj).__mro__
        for owner in (obj, *kinds):
            mod_name = getattr(owner, "__module__", None)
            module = sys.modules.get(mod_name) if isinstance(mod_name, str) else None
            if module is None or mod_name == "__main__" or _installed(module):
                continue
            names.add(module.__name__)
    return sorted(names)


def dump_plan(plan: AgentPlan, config: AgentConfiguration, extra: Iterable[Any] = ()) -> bytes:
    """``cloudpickle.dumps((plan, config))`` with :func:`by_value_modules` by value."""
    names = by_value_modules(plan, extra)
    registered = []
    for name in names:
        try:
            cloudpickle.register_pickle_by_value(sys.modules[name])
            registered.append(name)
        except ValueError:  # already registered by the user
            pass
    try:
        return cloudpickle.dumps((plan, config))
    finally:
        for name in registered:
            cloudpickle.unregister_pickle_by_value(sys.modules[name])


def dump_agent(agent: Any) -> bytes:
    """``cloudpickle.dumps(agent)`` with the agent's own modules by value (an exported job)."""
    plan = AgentPlan.from_agent(agent)
    names = by_value_modules(plan, (type(agent),))
    registered = []
    for name in names:
        try:
            cloudpickle.register_pickle_by_value(sys.modules[name])
            registered.append(name)
        except ValueError:
            pass
    try:
        return cloudpickle.dumps(agent)
    finally:
        for name in registered:
            cloudpickle.unregister_pickle_by_value(sys.modules[name])
