"""One class per name on a worker: pydantic models of local modules.

The plan travels by value (``_payload``), so a pydantic model class of a local module
(``models.py`` beside the notebook) arrives on a worker as a by-value copy. Records of the
stream (a ``Review`` read by a map function, or listed in ``promote``'s inputs) are
pickled by reference and, when the worker can import that module, unpickle as instances of
the module's own class: another class of the same name, which pydantic refuses
(``Review.model_validate(review)`` raises "Input should be ... an instance of Review").

:class:`ModelHomes` travels inside the plan's payload; unpickling it on a worker sets each
by-value model class as the attribute of its importable module, so records unpickled
afterwards (the plan is loaded when the operator opens) get the plan's classes. Modules the
worker cannot import are left alone.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


def model_classes(module_names: list[str]) -> dict[str, dict[str, type]]:
    """Top-level pydantic model classes defined in each of ``module_names`` (loaded)."""
    found: dict[str, dict[str, type]] = {}
    for name in module_names:
        module = sys.modules.get(name)
        if module is None:
            continue
        classes = {
            attr: value
            for attr, value in vars(module).items()
            if isinstance(value, type)
            and value.__module__ == name
            and hasattr(value, "__pydantic_serializer__")
        }
        if classes:
            found[name] = classes
    return found


def _install(homes: dict[str, dict[str, type]]) -> ModelHomes:
    for module_name, classes in homes.items():
        try:
            module = importlib.import_module(module_name)
        except Exception:  # not importable on this worker: records cannot name it either
            continue
        for attr, cls in classes.items():
            if getattr(module, attr, None) is not cls:
                setattr(module, attr, cls)
    return ModelHomes(homes)


class ModelHomes:
    """Model classes by module; re-homed on the worker when unpickled."""

    def __init__(self, homes: dict[str, dict[str, type]]) -> None:
        self.homes = homes

    def __reduce__(self) -> tuple[Any, ...]:
        return (_install, (self.homes,))
