"""Tool parameters the framework fills (Flink Agents 0.4's tool parameter injection): the
declarations (``chat.tools._injection`` fills them).

``@tool(injected_args={"tenant_id": InjectedArg.from_config("tenant_id")})`` (or
``Tool.from_callable(func, injected_args=...)``) hides ``tenant_id`` from the schema the
model sees; when the built-in tool action runs a call it reads the value from the agent's
configuration, the sensory memory or the short-term memory of the calling key and passes
it, over any value the model wrote (so the model cannot choose, say, another tenant). A
value that is not there fails that call, naming the tool, the parameter and the key or path.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flink_agents_runtime._errors import ArgumentTypeError, ArgumentValueError

__all__ = ["INJECTED_MARK", "InjectedArg", "ToolParameterSource", "normalize_injected_args"]

#: Where ``@tool(injected_args=...)`` keeps its bindings (read by ``FunctionTool``).
INJECTED_MARK = "_flink_agents_injected_args"


class ToolParameterSource(str, enum.Enum):
    """Where an injected tool parameter's value comes from (matched case-insensitively)."""

    CONFIG = "config"
    SENSORY_MEMORY = "sensory_memory"
    SHORT_TERM_MEMORY = "short_term_memory"

    @classmethod
    def _missing_(cls, value: object) -> ToolParameterSource | None:
        if isinstance(value, str):
            return next((s for s in cls if s.value == value.lower()), None)
        return None


@dataclass(frozen=True)
class InjectedArg:
    """A source binding: ``source`` and ``key`` (a config key or a dotted memory path; the
    parameter's own name when ``None``)."""

    source: ToolParameterSource = ToolParameterSource.SENSORY_MEMORY
    key: str | None = None

    def __post_init__(self) -> None:
        try:
            source = ToolParameterSource(self.source)
        except ValueError:
            allowed = ", ".join(s.value for s in ToolParameterSource)
            raise ArgumentValueError(
                f"injected arg source {self.source!r} is none of {allowed}"
            ) from None
        object.__setattr__(self, "source", source)

    @staticmethod
    def from_config(key: str) -> InjectedArg:
        """The value of the agent configuration's ``key``."""
        return InjectedArg(ToolParameterSource.CONFIG, key)

    @staticmethod
    def from_sensory_memory(path: str) -> InjectedArg:
        """The value at ``path`` in the calling key's sensory memory."""
        return InjectedArg(ToolParameterSource.SENSORY_MEMORY, path)

    @staticmethod
    def from_short_term_memory(path: str) -> InjectedArg:
        """The value at ``path`` in the calling key's short-term memory."""
        return InjectedArg(ToolParameterSource.SHORT_TERM_MEMORY, path)

    @classmethod
    def model_validate(cls, data: Mapping[str, Any]) -> InjectedArg:
        """From ``{"source": ..., "key": ...}`` (Flink Agents' dict form)."""
        unknown = sorted(set(data) - {"source", "key"})
        if unknown:
            raise ArgumentValueError(f"injected arg {dict(data)!r}: unknown field(s) {unknown}")
        return cls(data.get("source", ToolParameterSource.SENSORY_MEMORY), data.get("key"))

    def with_default_key(self, key: str) -> InjectedArg:
        """This binding, keyed by ``key`` when it names no key itself."""
        return self if self.key else InjectedArg(self.source, key)


def normalize_injected_args(
    injected_args: Mapping[str, InjectedArg | Mapping[str, Any]] | None,
    func: Callable[..., Any] | None = None,
) -> dict[str, InjectedArg]:
    """``{parameter: InjectedArg}`` from :class:`InjectedArg` objects or their dicts, each
    keyed by its parameter's name when it names no key. With ``func``, each parameter must
    be one of its parameters (unless it takes ``**kwargs``).

    Raises :class:`ArgumentTypeError` for a spec of the wrong type and
    :class:`ArgumentValueError` for a parameter the function lacks, naming it.
    """
    if injected_args is None:
        return {}
    if not isinstance(injected_args, Mapping):
        raise ArgumentTypeError(
            f"injected_args must map parameter names to InjectedArg, got {injected_args!r}"
        )
    out: dict[str, InjectedArg] = {}
    for name, spec in injected_args.items():
        if isinstance(spec, Mapping):
            spec = InjectedArg.model_validate(spec)
        if not isinstance(spec, InjectedArg):
            raise ArgumentTypeError(f"injected arg {name!r}: not an InjectedArg: {spec!r}")
        out[str(name)] = spec.with_default_key(str(name))
    if func is not None and out:
        params = inspect.signature(func).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            unknown = sorted(n for n in out if n not in params)
            if unknown:
                raise ArgumentValueError(
                    f"injected tool parameter(s) {unknown} are not parameters of "
                    f"{getattr(func, '__qualname__', func)!r} (it takes {list(params)})"
                )
    return out
