"""Fast checks that a value is JSON-only or a pydantic model (what events and memory hold)."""

from __future__ import annotations

from typing import Any

from flink_agents_runtime._errors import EventAttributeError
from flink_agents_runtime.api._values import is_model, is_row, model_json

_SCALARS = (str, int, float, bool, type(None))


def check_json(value: Any, path: str, what: str = "event attribute") -> None:
    """Raise :class:`EventAttributeError` unless ``value`` is JSON-only.

    JSON-only means ``None``, ``bool``, ``int``, ``float``, ``str``, and lists, tuples and
    dicts with ``str`` keys of those, nested; or a pydantic model instance that pydantic can
    serialise in JSON mode (checked by serialising it). ``path`` names the value in the message
    (e.g. ``attributes.order``); nested offenders are named by their full path
    (``attributes.order.items[2]``).
    """
    if type(value) in _SCALARS or _plain(value):  # fast path: builtin JSON types only
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise EventAttributeError(
                    f"{what} {path} has a key {k!r} of type {type(k).__name__}; "
                    "JSON object keys must be str",
                    path=path,
                    value_type=type(k).__name__,
                )
            if type(v) not in _SCALARS:
                check_json(v, f"{path}.{k}", what)
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            if type(v) not in _SCALARS:
                check_json(v, f"{path}[{i}]", what)
        return
    if isinstance(value, _SCALARS):  # subclasses of str/int/float (e.g. IntEnum) are fine
        return
    if is_row(value):
        for i, v in enumerate(value._values):
            if type(v) not in _SCALARS:
                check_json(v, f"{path}[{i}]", what)
        return
    if is_model(value):
        try:
            model_json(value)
        except Exception as exc:  # pydantic's serialisation error names the field
            tname = _type_name(value)
            raise EventAttributeError(
                f"{what} {path} holds a pydantic model {tname} that pydantic cannot serialise "
                f"to JSON: {exc}",
                path=path,
                value_type=tname,
            ) from None
        return
    tname = _type_name(value)
    raise EventAttributeError(
        f"{what} {path} holds a value of type {tname}, which is not JSON-serialisable; "
        "use str, int, float, bool, None, list, dict or a pydantic model (convert it, e.g. "
        "str(x) or x.tolist())",
        path=path,
        value_type=tname,
    )


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON made of exact builtin types only (``dict`` with ``str``
    keys, ``list``, ``tuple``, scalars): checked without naming paths. ``False`` leaves the
    value to :func:`check_json`'s full walk (subclasses, rows, models, errors)."""
    kind = type(value)
    if kind is dict:
        for k, v in value.items():
            if type(k) is not str or (type(v) not in _SCALARS and not _plain(v)):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(v) in _SCALARS or _plain(v) for v in value)
    return kind in _SCALARS


def _type_name(value: Any) -> str:
    """``set``, ``datetime.date``, ``pandas.Timestamp`` (top-level package, not the private
    module that defines the class), ``__main__.Order``."""
    cls = type(value)
    module = cls.__module__ or ""
    if module == "builtins":
        return cls.__qualname__
    return f"{module.split('.')[0]}.{cls.__qualname__}"
