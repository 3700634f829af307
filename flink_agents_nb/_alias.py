"""``use_as_flink_agents()``: let unmodified Apache Flink Agents code import the kit.

An import hook maps ``flink_agents`` and every ``flink_agents.<path>`` to
``flink_agents_nb.<path>`` (the mirror of Flink Agents' module paths: ``api...``,
``integrations.chat_models...``, ``runtime.resource_cache``), so a module written for Flink
Agents runs in a notebook without edits. The hook is opt-in and refuses to install when the
real ``flink_agents`` package is importable, so it never shadows it by accident.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any

from flink_agents_runtime import FlinkAgentsError

_PREFIX = "flink_agents"
_TARGET = "flink_agents_nb"


class AliasModuleNotFoundError(FlinkAgentsError, ModuleNotFoundError):
    """A ``flink_agents`` module the kit does not mirror."""


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self._target = target
        self._spec: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        try:
            module = importlib.import_module(self._target)
            self._spec = module.__spec__  # the import system overwrites it; put it back
            return module
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(_TARGET):
                raise AliasModuleNotFoundError(
                    f"{spec.name}: flink-agents-nb does not provide this Flink Agents module "
                    "(see 'Coming from Apache Flink Agents' in the README)",
                    name=spec.name,
                ) from None
            raise

    def exec_module(self, module: ModuleType) -> None:
        # The target module ran when it was imported; keep its own spec (resources, reload).
        module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``flink_agents[.x]`` as ``flink_agents_nb[.x]``."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _PREFIX and not fullname.startswith(_PREFIX + "."):
            return None
        mapped = _TARGET + fullname[len(_PREFIX) :]
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(mapped), is_package=True)


def _installed() -> _AliasFinder | None:
    return next((f for f in sys.meta_path if isinstance(f, _AliasFinder)), None)


def use_as_flink_agents(enable: bool = True) -> None:
    """Make ``import flink_agents...`` import the kit (``enable=False`` undoes it).

    Raises :class:`FlinkAgentsError` when the real Apache Flink Agents package is installed
    (or already imported): import ``flink_agents_nb.api...`` explicitly instead, or use a
    virtual environment without it.
    """
    finder = _installed()
    if not enable:
        if finder is not None:
            sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n == _PREFIX or n.startswith(_PREFIX + ".")]:
            if getattr(sys.modules[name], "__name__", "").startswith(_TARGET):
                del sys.modules[name]
        return
    if finder is not None:
        return
    loaded = sys.modules.get(_PREFIX)
    if loaded is not None and not getattr(loaded, "__name__", "").startswith(_TARGET):
        where = getattr(loaded, "__file__", "?")
        raise FlinkAgentsError(
            f"the real flink_agents package is already imported ({where}); "
            "use_as_flink_agents() would shadow it: import flink_agents_nb.api... instead"
        )
    spec = importlib.util.find_spec(_PREFIX)
    if spec is not None:
        raise FlinkAgentsError(
            f"the real flink_agents package is installed ({spec.origin}); "
            "use_as_flink_agents() refuses to shadow it: rewrite the imports to "
            "flink_agents_nb.api... or use an environment without apache-flink-agents"
        )
    sys.meta_path.insert(0, _AliasFinder())
