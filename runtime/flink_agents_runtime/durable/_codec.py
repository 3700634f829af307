"""The stored form of an action state: JSON data, never code.

A store is readable (and often writable) by other users of the machine or of the Redis server,
so reading it must never run code: states are JSON, decoded by :func:`decode_state` into plain
values, and a row that is not a well-formed state is an :class:`ActionStateStoreError`, never
executed. There is no pickle here.

Values (memory writes, event attributes, durable call results and errors) are JSON with a few
tagged forms for what JSON lacks. A tagged value is an object whose only keys are ``"$fa"``
(the tag) and ``"v"``:

- ``tuple``, ``set``, ``frozenset``: ``v`` is the list of items;
- ``dict``: a dict whose keys are not all ``str`` (or that has a ``"$fa"`` key): ``v`` is a
  list of ``[key, value]`` pairs;
- ``float``: ``nan``, ``inf`` or ``-inf`` (``v`` is that text);
- ``bytes``: ``v`` is base64;
- ``error``: an exception: ``v`` is ``[type name, message]``. Built-in exceptions and the
  kit's own errors come back as their type with that message; others come back as an
  :class:`ActionStateStoreError` naming the type, unless registered;
- ``type:<name>``: an instance of a type registered with :func:`register_durable_type`
  (``v`` is what its ``to_data`` returned).

A durable call result of any other type is refused when it is recorded (the message names the
call and the type and says how to register a codec).
"""

from __future__ import annotations

import base64
import builtins
import dataclasses
import json
import math
import threading
from collections.abc import Callable
from typing import Any

from flink_agents_runtime import _errors
from flink_agents_runtime._errors import ActionStateStoreError, ArgumentTypeError
from flink_agents_runtime.durable._base import ActionState, CallResult

#: Version of the stored form (the ``"format"`` field of a stored state).
FORMAT = 1
_TAG = "$fa"
_MAX_DEPTH = 200


@dataclasses.dataclass(frozen=True)
class _Codec:
    cls: type
    to_data: Callable[[Any], Any]
    from_data: Callable[[Any], Any]


_BY_NAME: dict[str, _Codec] = {}
_BY_TYPE: dict[type, str] = {}
_LOCK = threading.Lock()


def _default_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_durable_type(
    cls: type,
    *,
    name: str | None = None,
    to_data: Callable[[Any], Any] | None = None,
    from_data: Callable[[Any], Any] | None = None,
) -> type:
    """Let durable call results (and errors) of type ``cls`` be stored as data.

    ``to_data(obj)`` must return plain data (JSON values, tuples, other registered types);
    ``from_data(data)`` rebuilds the object. Defaults: pydantic models use
    ``model_dump(mode="json")`` / ``model_validate``; dataclasses their fields /
    ``cls(**fields)``; exceptions ``str(exc)`` / ``cls(message)``. ``name`` (default
    ``module.qualname``) is what the store keeps: only registered names are ever rebuilt, so a
    stored row cannot make the reader import or call anything else. Returns ``cls`` (usable as
    a class decorator). Register in every process that reads the store (e.g. at import of the
    module defining ``cls``).
    """
    if not isinstance(cls, type):
        raise ArgumentTypeError(f"register_durable_type needs a class, got {cls!r}")
    tname = name or _default_name(cls)
    if to_data is None or from_data is None:
        auto_to, auto_from = _auto_codec(cls)
        to_data = to_data or auto_to
        from_data = from_data or auto_from
    with _LOCK:
        _BY_NAME[tname] = _Codec(cls, to_data, from_data)
        _BY_TYPE[cls] = tname
    return cls


def _auto_codec(cls: type) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    if hasattr(cls, "model_dump") and hasattr(cls, "model_validate"):
        return (lambda o: o.model_dump(mode="json")), cls.model_validate
    if dataclasses.is_dataclass(cls):
        fields = [f.name for f in dataclasses.fields(cls)]
        return (lambda o: {n: getattr(o, n) for n in fields}), (lambda d: cls(**d))
    if issubclass(cls, BaseException):
        return (lambda e: str(e)), (lambda m: cls(m))
    raise ArgumentTypeError(
        f"register_durable_type({cls.__qualname__}): not a pydantic model, dataclass or "
        "exception; pass to_data and from_data"
    )


class UnstorableValueError(ActionStateStoreError, TypeError):
    """A value has no data form (see :func:`register_durable_type`).

    Attributes:
        path: where it sits in the stored value (``result``, ``result[2].x``).
        type_name: its type, ``module.qualname``.
    """

    def __init__(self, message: str, *, path: str, type_name: str) -> None:
        super().__init__(message)
        self.path = path
        self.type_name = type_name


# -- encoding --------------------------------------------------------------------------
def encode_value(value: Any, path: str = "value", depth: int = 0) -> Any:
    """``value`` as JSON data (tagged forms above); raises :class:`UnstorableValueError`."""
    if depth > _MAX_DEPTH:
        raise UnstorableValueError(
            f"{path} is nested deeper than {_MAX_DEPTH} levels", path=path, type_name="?"
        )
    t = type(value)
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        return value if math.isfinite(value) else {_TAG: "float", "v": repr(value)}
    if t is list:
        return [encode_value(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if t is dict:
        if all(type(k) is str for k in value) and _TAG not in value:
            return {k: encode_value(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
        return {
            _TAG: "dict",
            "v": [
                [
                    encode_value(k, f"{path}<key>", depth + 1),
                    encode_value(v, f"{path}[{k!r}]", depth + 1),
                ]
                for k, v in value.items()
            ],
        }
    if t in (tuple, set, frozenset):
        items = sorted(value, key=repr) if t is not tuple else value
        return {
            _TAG: t.__name__,
            "v": [encode_value(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(items)],
        }
    if t in (bytes, bytearray):
        return {_TAG: "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    name = _BY_TYPE.get(t)
    if name is not None:
        data = _BY_NAME[name].to_data(value)
        return {_TAG: f"type:{name}", "v": encode_value(data, path, depth + 1)}
    if isinstance(value, BaseException):
        return {_TAG: "error", "v": [_error_name(t), str(value)]}
    if isinstance(value, (str, int, float)):  # subclasses (IntEnum, StrEnum): their base value
        for base in (bool, int, float, str):
            if isinstance(value, base):
                return encode_value(base(value), path, depth)
    tname = _default_name(t)
    raise UnstorableValueError(
        f"{path} is a {tname}, which the action state store cannot keep as data: return "
        "plain data (str, int, float, bool, None, list, dict, tuple, bytes) or register a "
        f"codec with register_durable_type({t.__qualname__})",
        path=path,
        type_name=tname,
    )


def _error_name(cls: type) -> str:
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return _BY_TYPE.get(cls) or _default_name(cls)


def encode_state(state: ActionState) -> bytes:
    """The stored form of ``state`` (UTF-8 JSON); raises :class:`UnstorableValueError`."""
    calls = {}
    for i, c in state.calls.items():
        value = encode_value(c.value, f"durable call {i} ({c.func_id}) result")
        calls[str(i)] = [c.func_id, c.status, value]
    doc = {
        "format": FORMAT,
        "action": state.action,
        "fingerprint": state.fingerprint,
        "done": state.done,
        "status": state.status,
        "events": [[t, encode_value(a, f"event {t}")] for t, a in state.events],
        "writes": [[m, p, encode_value(v, f"memory write {p}")] for m, p, v in state.writes],
        "calls": calls,
    }
    return json.dumps(doc, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


# -- decoding --------------------------------------------------------------------------
class StoredStateError(ActionStateStoreError, ValueError):
    """A stored row is not a well-formed action state (refused as data, never run)."""


def decode_value(data: Any, depth: int = 0) -> Any:
    """The value :func:`encode_value` encoded; raises :class:`StoredStateError`."""
    if depth > _MAX_DEPTH:
        raise StoredStateError(f"stored value nested deeper than {_MAX_DEPTH} levels")
    if isinstance(data, list):
        return [decode_value(v, depth + 1) for v in data]
    if not isinstance(data, dict):
        return data
    if _TAG not in data:
        return {k: decode_value(v, depth + 1) for k, v in data.items()}
    tag, v = data.get(_TAG), data.get("v")
    if set(data) != {_TAG, "v"} or not isinstance(tag, str):
        raise StoredStateError(f"stored value has a malformed {_TAG!r} tag: {_short(data)}")
    if tag in ("tuple", "set", "frozenset") and isinstance(v, list):
        items = [decode_value(x, depth + 1) for x in v]
        return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict" and isinstance(v, list) and all(_is_pair(p) for p in v):
        return {decode_value(k, depth + 1): decode_value(x, depth + 1) for k, x in v}
    if tag == "float" and v in ("nan", "inf", "-inf"):
        return float(v)
    if tag == "bytes" and isinstance(v, str):
        try:
            return base64.b64decode(v, validate=True)
        except ValueError as exc:
            raise StoredStateError(f"stored bytes are not base64: {exc}") from None
    if tag == "error" and isinstance(v, list) and len(v) == 2:
        name, message = v
        if isinstance(name, str) and isinstance(message, str):
            return _rebuild_error(name, message)
    if tag.startswith("type:"):
        codec = _BY_NAME.get(tag[5:])
        if codec is None:
            raise StoredStateError(
                f"stored value of type {tag[5:]!r}, which is not registered in this process "
                "(register_durable_type); refused"
            )
        return codec.from_data(decode_value(v, depth + 1))
    raise StoredStateError(f"stored value has an unknown {_TAG!r} tag: {_short(data)}")


def _is_pair(p: Any) -> bool:
    return isinstance(p, list) and len(p) == 2


def _rebuild_error(name: str, message: str) -> BaseException:
    """A recorded exception: a built-in, a kit error or a registered type by name only (no
    import, no lookup of anything else); other types as an :class:`ActionStateStoreError`."""
    cls: Any = None
    if "." not in name:
        cls = getattr(builtins, name, None)
    elif name.startswith("flink_agents_runtime._errors."):
        cls = getattr(_errors, name.rpartition(".")[2], None)
    elif name in _BY_NAME:
        cls = _BY_NAME[name].cls
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            codec = _BY_NAME.get(name)
            return codec.from_data(message) if codec else cls(message)
        except Exception:
            pass
    return ActionStateStoreError(f"{name}: {message} (recorded error)")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def decode_state(raw: bytes | str) -> ActionState:
    """Parse a stored state; raises :class:`StoredStateError` for anything else (a pickle, a
    truncated row, a state of an unknown format)."""
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        head = raw[:16] if isinstance(raw, (bytes, str)) else type(raw)
        raise StoredStateError(
            f"stored action state is not JSON (starts {head!r}); refused: {exc}"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise StoredStateError(f"stored action state has no format {FORMAT} header; refused")
    try:
        state = ActionState(str(doc["action"]), str(doc["fingerprint"]))
        state.done = bool(doc["done"])
        state.status = str(doc["status"])
        state.events = [(str(t), decode_value(a)) for t, a in doc["events"]]
        state.writes = [(str(m), str(p), decode_value(v)) for m, p, v in doc["writes"]]
        for i, (fid, status, value) in doc["calls"].items():
            state.calls[int(i)] = CallResult(str(fid), str(status), decode_value(value))
    except StoredStateError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StoredStateError(f"stored action state is malformed ({exc!r}); refused") from None
    return state
