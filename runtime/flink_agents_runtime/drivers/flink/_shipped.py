"""Keeping shipped packages importable when a worker interpreter outlives a job.

In thread mode the Python interpreter embedded in a TaskManager serves job after job, but
PyFlink deletes each job's shipped files when the job ends. Packages imported by an earlier
job stay in ``sys.modules`` with a ``__path__`` into the deleted directory, so a submodule
first imported by a later job (a lazy import) fails with ``ModuleNotFoundError``.
:func:`refresh_package_paths` points such packages at the copy the current job shipped.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Iterable

logger = logging.getLogger(__name__)

SHIPPED_PACKAGES = ("flink_agents_runtime", "flink_agents_nb")


def _fresh_root(name: str) -> str | None:
    for entry in sys.path:
        if entry and os.path.isfile(os.path.join(entry, name, "__init__.py")):
            return entry
    return None


def refresh_package_paths(names: Iterable[str] = SHIPPED_PACKAGES) -> list[str]:
    """Re-point every loaded (sub)package of ``names`` whose directory is gone at the same
    package under the first ``sys.path`` entry that has it. Returns the modules changed."""
    changed: list[str] = []
    for name in names:
        top = sys.modules.get(name)
        paths = getattr(top, "__path__", None)
        if paths is None or all(os.path.isdir(p) for p in paths):
            continue
        root = _fresh_root(name)
        if root is None:
            logger.warning("package %s was shipped by an earlier job and is gone", name)
            continue
        for mod_name, module in list(sys.modules.items()):
            if module is None or not (mod_name == name or mod_name.startswith(name + ".")):
                continue
            mod_paths = getattr(module, "__path__", None)
            fresh = os.path.join(root, *mod_name.split("."))
            if mod_paths is None or not os.path.isdir(fresh):
                continue
            if list(mod_paths) != [fresh]:
                mod_paths[:] = [fresh]
                changed.append(mod_name)
    if changed:
        importlib.invalidate_caches()
    return changed
