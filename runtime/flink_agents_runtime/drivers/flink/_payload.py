"""The plan travels by value: cloudpickle, with the user's own modules pickled by value.

cloudpickle pickles classes and functions of ``__main__`` (a notebook) by value already; an
object from an importable module is pickled by reference, which a Flink worker can only load
if it has that module. :func:`dump_plan` therefore registers, for the duration of the dump,
the user's own modules (:func:`by_value_modules`: files in the working directory or beside
the running script, a project file next to the notebook) so those travel by value too.

Everything else is a library and goes by reference (the worker imports it): installed
packages (site-packages), the standard library, the kit's own packages (shipped with the
job), and modules on a side path outside the working tree (a ``PYTHONPATH`` entry, an
editable install of a library kept elsewhere). Pickling a library by
value fails on objects such as locks or sentinels (``Can't pickle ...``).

When the plan still cannot be pickled, :class:`PayloadError` names the action or resource
and its module.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cloudpickle

from flink_agents_runtime._errors import FlinkAgentsError
from flink_agents_runtime.config._configuration import AgentConfiguration
from flink_agents_runtime.drivers.flink._homes import ModelHomes, model_classes
from flink_agents_runtime.engine.plan._plan import AgentPlan

#: Packages that ship with every job (see ``_remote.shipped_runtime_dir``): never by value.
_SHIPPED = ("flink_agents_runtime", "flink_agents_nb")
_STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


class PayloadError(FlinkAgentsError, TypeError):
    """The agent cannot be shipped to Flink (an action, resource or config value cannot be
    pickled); the message names it and its module."""


def _roots() -> list[Path]:
    """Where the user's own modules live: the working directory, and the directory of the
    script being run (``__main__.__file__``) when there is one."""
    roots = [Path.cwd().resolve()]
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file:
        roots.append(Path(main_file).resolve().parent)
    return roots


def is_user_module(module: Any, roots: list[Path] | None = None) -> bool:
    """Whether ``module`` is the user's own (travels by value): its file is under the
    working directory (or beside the running script), and it is not installed, standard
    library, or one of the kit's packages."""
    name = getattr(module, "__name__", "")
    top = name.split(".")[0]
    if name in sys.builtin_module_names or top in _SHIPPED:
        return False
    file = getattr(module, "__file__", None)
    if not file:
        return False  # namespace or builtin: nothing to ship by value
    path = Path(file).resolve()
    parts = set(path.parts)
    if "site-packages" in parts or "dist-packages" in parts or _STDLIB in path.parents:
        return False
    return any(root in path.parents for root in (roots or _roots()))


def by_value_modules() -> list[str]:
    """Names of the loaded modules that must travel by value: the user's own
    (:func:`is_user_module`).

    All of them, not only the modules of the agent's own classes: an action may call a
    helper from a local module (a ``.py`` beside the notebook), and cloudpickle pickles a
    function by reference unless its module is registered. Registering a module that the
    plan does not reference costs nothing: only referenced objects are pickled.
    """
    roots = _roots()
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if module is not None and name != "__main__" and is_user_module(module, roots)
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


def _culprit(plan: AgentPlan | None, agent: Any) -> str:
    """What in the plan cannot be pickled: ``action 'x' (module m): <error>``."""
    parts: list[tuple[str, Any]] = []
    if plan is not None:
        parts += [(f"action {n!r}", spec.func) for n, spec in plan.actions.items()]
        for rtype, named in plan.resources.items():
            kind = getattr(rtype, "value", rtype)
            parts += [(f"resource {n!r} ({kind})", r) for n, r in named.items()]
    elif agent is not None:
        parts.append((f"agent {type(agent).__name__}", agent))
    for what, obj in parts:
        try:
            cloudpickle.dumps(obj)
        except Exception as exc:
            module = getattr(obj, "__module__", None) or type(obj).__module__
            how = (
                "by value"
                if module in sys.modules and is_user_module(sys.modules[module])
                else "by reference"
            )
            return f"{what} from module {module!r} ({how}): {type(exc).__name__}: {exc}"
    return "the configuration or the plan itself"


def _dump(obj: Any, plan: AgentPlan | None, agent: Any) -> bytes:
    with _modules_by_value():
        try:
            return cloudpickle.dumps(obj)
        except Exception as exc:
            what = _culprit(plan, agent)
            raise PayloadError(
                f"cannot ship the agent to Flink: {what}. The user's own modules (under "
                f"{os.getcwd()}) travel by value, libraries by reference; move state such as "
                "locks or clients out of module globals, or create it in the resource's open()"
            ) from exc


def dump_plan(plan: AgentPlan, config: AgentConfiguration) -> bytes:
    """``cloudpickle.dumps((plan, config))`` with :func:`by_value_modules` by value; the
    plan carries the pydantic model classes of those modules (see ``_homes``). Raises
    :class:`PayloadError` naming what cannot be pickled."""
    with _modules_by_value():
        plan.model_homes = ModelHomes(model_classes(by_value_modules()))  # type: ignore[attr-defined]
    try:
        return _dump((plan, config), plan, None)
    finally:
        del plan.model_homes  # type: ignore[attr-defined]


def dump_agent(agent: Any) -> bytes:
    """``cloudpickle.dumps(agent)`` with :func:`by_value_modules` by value (an exported job)."""
    plan = None
    try:
        plan = AgentPlan.from_agent(agent)
    except Exception:  # the culprit search is best effort
        plan = None
    return _dump(agent, plan, agent)
