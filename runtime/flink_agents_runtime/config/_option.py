"""One configuration option: its declaration (:class:`ConfigOption`) and its environment
variable (:func:`env_var_name`). The table of every option is :mod:`._options`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flink_agents_runtime._redact import is_secret_name

ENV_PREFIX = "FLINK_AGENTS_NB_"
#: The kit's environment variables that are not options (``FLINK_AGENTS_NB_<KEY>``): the
#: config file to read, the price table, ... Reading the environment skips these; any other
#: ``FLINK_AGENTS_NB_*`` variable must name an option (a typo is an error). A module that
#: adds a variable of its own lists it here.
NON_OPTION_ENV_VARS = frozenset(
    {
        ENV_PREFIX + "CONFIG",  # the YAML config file (config._configuration)
        ENV_PREFIX + "PRICES",  # the price table (flink_agents_nb.run._costs)
        ENV_PREFIX
        + "READ_WORKERS",  # processes reading a log (flink_agents_nb.eventlog.files._parallel)
        ENV_PREFIX
        + "READ_OBJECT_MEMORY",  # reading objects' memory (eventlog.columns._object_memory)
    }
)


@dataclass(frozen=True)
class ConfigOption:
    """One declared option.

    Attributes:
        key: as written in YAML under ``agent:`` (``*`` in a key matches one segment).
        type: ``bool``, ``int``, ``float``, ``str`` or ``list``.
        default: the value when no source sets it (``None``: unset).
        description: one line for ``conf/config.yaml`` and errors.
        choices: allowed values for a ``str`` option (matched case-insensitively).
        unit: the unit of a number, for documentation (``"ms"``, ``"s"``).
        sensitive: mask values in messages, reprs and logs (besides key-like names).
        min: smallest allowed value of a number (``None``: no bound); NaN and infinities
            are never allowed.
        max: largest allowed value of a number.
        example: the value shown, commented out, in ``conf/config.yaml`` for an option that is
            unset by default (valid as written when uncommented).
    """

    key: str
    type: type
    default: Any
    description: str
    choices: tuple[str, ...] | None = None
    unit: str | None = None
    sensitive: bool = False
    min: float | None = None
    max: float | None = None
    example: Any = None

    @property
    def secret(self) -> bool:
        """Whether values are masked in reprs and logs: ``sensitive`` options (URLs that may
        hold a password) and names :func:`is_secret_name` tells (key, token, password, ...)."""
        return self.sensitive or is_secret_name(self.key)

    def get_key(self) -> str:
        """The key (Flink Agents' accessor)."""
        return self.key

    def get_type(self) -> Any:
        """The value type (Flink Agents' accessor)."""
        return self.type

    def get_default_value(self) -> Any:
        """The default value (Flink Agents' accessor)."""
        return self.default

    @property
    def is_pattern(self) -> bool:
        """Whether the key has a ``*`` segment (e.g. ``event-log.type.*.level``)."""
        return "*" in self.key

    @property
    def type_name(self) -> str:
        """The expected type, for error messages."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return {
            bool: "a boolean (true/false)",
            int: "an integer",
            float: "a number",
            str: "a string",
            list: "a list",
        }[self.type] + self.range_text

    @property
    def range_text(self) -> str:
        """`` >= 1``, `` in [0, 1]`` or ``""``: the allowed range, for messages."""
        lo, hi = self.min, self.max
        show = lambda v: str(int(v)) if float(v).is_integer() else str(v)  # noqa: E731
        if lo is not None and hi is not None:
            return f" in [{show(lo)}, {show(hi)}]"
        if lo is not None:
            return f" >= {show(lo)}"
        if hi is not None:
            return f" <= {show(hi)}"
        return ""


def env_var_name(key: str) -> str:
    """The environment variable that sets ``key``: ``FLINK_AGENTS_NB_`` plus the key in
    upper snake case (camelCase split, ``.`` and ``-`` as ``_``).

    ``error-handling-strategy`` -> ``FLINK_AGENTS_NB_ERROR_HANDLING_STRATEGY``;
    ``baseLogDir`` -> ``FLINK_AGENTS_NB_BASE_LOG_DIR``.
    """
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key)
    return ENV_PREFIX + re.sub(r"[.\-]", "_", snake).upper()
