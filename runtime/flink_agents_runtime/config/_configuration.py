"""Agent configuration: typed values from defaults, YAML, environment and code.

Sources, lowest first: declared defaults; the ``agent:`` section of a YAML file (an explicit
path, else ``$FLINK_CONF_DIR/config.yaml``, else ``./conf/config.yaml``), nested or dotted
keys; environment variables (``FLINK_AGENTS_NB_<KEY>``, see :func:`env_var_name`); code
(:meth:`AgentConfiguration.set`). Values are parsed by the option's type ("false" is false).
An unknown key or a bad value raises :class:`ConfigError` naming the key, the source and the
expected type, and suggesting the closest known key.
"""

from __future__ import annotations

import difflib
import enum
import math
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from flink_agents_runtime._display import DisplayMixin
from flink_agents_runtime._errors import ConfigError
from flink_agents_runtime._redact import is_secret_name
from flink_agents_runtime.config._fa_keys import refused_reason
from flink_agents_runtime.config._messages import short_text, shown_value
from flink_agents_runtime.config._options import (
    ENV_PREFIX,
    NON_OPTION_ENV_VARS,
    OPTIONS,
    ConfigOption,
    env_var_name,
    find_option,
)
from flink_agents_runtime.config._user_keys import USER_SOURCE, user_key, user_option
from flink_agents_runtime.config._yaml import agent_items

_T = TypeVar("_T")

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
#: Environment variable naming a YAML file to read instead of the default search.
CONFIG_FILE_ENV = ENV_PREFIX + "CONFIG"


def parse_value(option: ConfigOption, key: str, value: Any, source: str) -> Any:
    """``value`` parsed as ``option``'s type; :class:`ConfigError` if it does not parse."""

    def bad(extra: str = "") -> ConfigError:
        return ConfigError(
            f"config key {short_text(key)} from {source}: {shown_value(option, value)} is not "
            f"{option.type_name}{extra}",
            key=key,
            source=source,
        )

    if value is None:
        return None
    parsed = _parse_typed(option, value, bad)
    if option.type in (int, float) and parsed is not None:
        lo, hi = option.min, option.max
        if (
            not math.isfinite(parsed)
            or (lo is not None and parsed < lo)
            or (hi is not None and parsed > hi)
        ):
            raise bad()
    return parsed


def _parse_typed(option: ConfigOption, value: Any, bad: Callable[[], ConfigError]) -> Any:
    kind = option.type
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad()
    if kind is int:
        if isinstance(value, bool):
            raise bad()
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise bad() from None
        raise bad()
    if kind is float:
        if isinstance(value, bool):
            raise bad()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise bad() from None
        raise bad()
    if kind is list:
        if isinstance(value, (list, tuple)):
            return list(value)
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        raise bad()
    # str
    if isinstance(value, (dict, list)):
        raise bad()
    text = str(value).strip() if not isinstance(value, str) else value
    if option.choices:
        for choice in option.choices:
            if text.lower() == choice.lower():
                return choice
        raise bad()
    return text


def _unknown(key: str, source: str) -> ConfigError:
    why = refused_reason(key)
    if why is not None:
        return ConfigError(f"config key {key!r} from {source} {why}", key=key, source=source)
    known = [o.key for o in OPTIONS]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "; see conf/config.yaml for all keys"
    return ConfigError(
        f"unknown config key {short_text(key)} from {source}{hint}", key=key, source=source
    )


def _user_value(key: str, value: Any, kind: type, source: str) -> Any:
    """A user key's ``value`` parsed as ``kind``; the error names the key and hides the
    value of a secret-named key."""
    if kind is str and not isinstance(value, (dict, list)):
        value = str(value)  # get_str of a number set by set_int: its text, as FA's str()
    return parse_value(user_option(key, kind), key, value, source)


def _mask(option: ConfigOption | None, value: Any, key: str = "") -> Any:
    secret = option.secret if option is not None else is_secret_name(key)
    return "****" if secret and value is not None else value


class AgentConfiguration(DisplayMixin):
    """Resolved configuration: each key's typed value and where it came from."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[Any, str]] = {}
        self._memo: dict[Any, Any] = {}  # derived(): values built from this config, by name

    # -- access ------------------------------------------------------------------------
    def get(self, key: str | ConfigOption, default: Any = None) -> Any:
        """The value of ``key`` (an option or its key string), else its declared default."""
        k = key.key if isinstance(key, ConfigOption) else key
        if k in self._values:
            return self._values[k][0]
        option = find_option(k)
        if option is None:
            raise _unknown(k, "code")
        return option.default if option.default is not None else default

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def derived(self, name: Any, build: Callable[[AgentConfiguration], _T]) -> _T:
        """``build(self)``, built once per ``name`` (hashable) and kept until a value of this
        configuration is set: what a hot path reads of the configuration, taken once."""
        memo = self._memo
        if name in memo:
            return cast("_T", memo[name])
        value = memo[name] = build(self)
        return value

    def source_of(self, key: str) -> str:
        """Where ``key``'s value came from: ``default``, ``code``, ``env NAME`` or ``file:line``."""
        return self._values[key][1] if key in self._values else "default"

    def set(self, key: str | ConfigOption, value: Any, source: str = "code") -> AgentConfiguration:
        """Set ``key`` (an option or its key string) to ``value`` (parsed and checked; an
        enum member counts as its value); returns self for chaining."""
        key = key.key if isinstance(key, ConfigOption) else key
        value = getattr(value, "value", value) if isinstance(value, enum.Enum) else value
        option = find_option(key)
        if option is None:
            raise _unknown(key, source)
        self._values[key] = (parse_value(option, key, value, source), source)
        self._memo.clear()
        return self

    # Flink Agents' typed accessors: set/get, and the user's own keys (below).
    def set_str(self, key: str, value: Any) -> AgentConfiguration:
        """Flink Agents' ``set_str``: :meth:`set`; a key no option declares is kept as the
        user's own setting (Flink Agents' custom configuration: read back by ``get`` and by
        tool parameter injection) unless it is refused or a near miss of a declared key."""
        return self._set_user(key, value, str)

    def set_int(self, key: str, value: Any) -> AgentConfiguration:
        """Flink Agents' ``set_int``: as :meth:`set_str`, a user key's value an int."""
        return self._set_user(key, value, int)

    def set_float(self, key: str, value: Any) -> AgentConfiguration:
        """Flink Agents' ``set_float``: as :meth:`set_str`, a user key's value a float."""
        return self._set_user(key, value, float)

    def set_bool(self, key: str, value: Any) -> AgentConfiguration:
        """Flink Agents' ``set_bool``: as :meth:`set_str`, a user key's value a bool."""
        return self._set_user(key, value, bool)

    def _set_user(self, key: str, value: Any, kind: type) -> AgentConfiguration:
        """``set_*``: a declared key is :meth:`set`; a user key's value is parsed as
        ``kind`` (as an option of that type is: ``"on"`` is true, ``"abc"`` is no int);
        ``None`` unsets either (Flink Agents reads an unset key as its default)."""
        if value is None and isinstance(key, str):
            self._values.pop(key, None)
            self._memo.clear()
            return self
        if not isinstance(key, str) or find_option(key) is not None or not user_key(key):
            return self.set(key, value)
        self._values[key] = (_user_value(key, value, kind, "code"), USER_SOURCE)
        self._memo.clear()
        return self

    def _get_user(self, key: str, default: Any, kind: type) -> Any:
        """``get_*``: a declared key is :meth:`get`; a user key's value converted to
        ``kind`` (a :class:`ConfigError` naming the key if it does not convert), or
        ``default`` when it is unset (as Flink Agents)."""
        if not isinstance(key, str) or find_option(key) is not None or not user_key(key):
            return self.get(key, default)
        stored = self._values.get(key)
        if stored is None or stored[0] is None:
            return default
        return _user_value(key, stored[0], kind, stored[1])

    def get_str(self, key: str, default: Any = None) -> Any:
        """Flink Agents' ``get_str``: :meth:`get`; a user key's value as text, or
        ``default`` when unset."""
        return self._get_user(key, default, str)

    def get_int(self, key: str, default: Any = None) -> Any:
        """Flink Agents' ``get_int``: as :meth:`get_str`, a user key's value an int."""
        return self._get_user(key, default, int)

    def get_float(self, key: str, default: Any = None) -> Any:
        """Flink Agents' ``get_float``: as :meth:`get_str`, a user key's value a float."""
        return self._get_user(key, default, float)

    def get_bool(self, key: str, default: Any = None) -> Any:
        """Flink Agents' ``get_bool``: as :meth:`get_str`, a user key's value a bool."""
        return self._get_user(key, default, bool)

    def update(self, values: Mapping[str, Any], source: str = "code") -> AgentConfiguration:
        """Set several keys; nested mappings are flattened with dots."""
        for key, value in _flatten(values, "", source):
            self.set(key, value, source)
        return self

    def items(self) -> Iterator[tuple[str, Any]]:
        """Every declared (non-pattern) key with its value, plus set pattern keys and the
        user's own keys (``set_str`` and the like)."""
        for option in OPTIONS:
            if not option.is_pattern:
                yield option.key, self.get(option.key)
        for key, (value, _) in sorted(self._values.items()):
            pattern = find_option(key)
            if pattern is None or pattern.is_pattern:
                yield key, value

    def to_dict(self, *, mask_secrets: bool = True) -> dict[str, Any]:
        """All values by key (secrets masked unless ``mask_secrets=False``)."""
        return {k: (_mask(find_option(k), v, k) if mask_secrets else v) for k, v in self.items()}

    def explicit(self) -> dict[str, Any]:
        """Only the keys some source set (unmasked): what to ship to a cluster."""
        return {k: v for k, (v, _) in self._values.items()}

    def __getstate__(self) -> dict[str, Any]:
        # derived() values are a cache of this process: they do not travel with a job.
        return {"_values": self._values}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._values = state["_values"]
        self._memo = {}

    def copy(self) -> AgentConfiguration:
        """An independent copy."""
        other = AgentConfiguration()
        other._values = dict(self._values)
        return other

    def __repr__(self) -> str:
        changed = ", ".join(
            f"{k}={_mask(find_option(k), v, k)!r} [{s}]"
            for k, (v, s) in sorted(self._values.items())
        )
        return f"AgentConfiguration({changed})"

    def _mimebundle(self) -> dict[str, Any]:
        from flink_agents_runtime._display import bundle, short

        changed = [
            (key, value, source)
            for key, (value, source) in sorted(self._values.items())
            if value != getattr(find_option(key), "default", None)
        ]
        rows = [
            [key, short(_mask(find_option(key), value, key)), src] for key, value, src in changed
        ]
        caption = f"AgentConfiguration: {len(rows)} options differ from their defaults"
        return bundle(caption, ["key", "value", "source"], rows)

    # -- sources -----------------------------------------------------------------------
    def load_yaml(self, path: str | os.PathLike[str]) -> AgentConfiguration:
        """Read the ``agent:`` section of the YAML file ``path`` (other sections ignored).

        Raises :class:`ConfigError` naming the file and line (and column) for text that is
        not UTF-8, characters YAML does not allow, invalid YAML, a key given twice (both
        lines named), and every error of :meth:`set`. A ``str`` option takes a plain scalar
        as written (``level: OFF`` is the text ``OFF``, not YAML 1.1's false).
        """
        for key, value, where in agent_items(Path(path)):
            self.set(key, value, where)
        return self

    def load_env(self, environ: Mapping[str, str] | None = None) -> AgentConfiguration:
        """Read ``FLINK_AGENTS_NB_*`` variables; an unknown one is an error."""
        env = os.environ if environ is None else environ
        by_env = {env_var_name(o.key): o for o in OPTIONS if not o.is_pattern}
        for name, value in sorted(env.items()):
            if not name.startswith(ENV_PREFIX) or name in NON_OPTION_ENV_VARS:
                continue
            option: ConfigOption | None = by_env.get(name)
            source = f"env {name}"
            if option is None:
                close = difflib.get_close_matches(name, list(by_env), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise ConfigError(
                    f"unknown config variable {short_text(name)[1:-1]}{hint} (it is neither an "
                    f"option nor one of {', '.join(sorted(NON_OPTION_ENV_VARS))})",
                    key=name,
                    source=source,
                )
            self.set(option.key, value, source)
        return self

    @classmethod
    def resolve(
        cls,
        config_file: str | os.PathLike[str] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> AgentConfiguration:
        """Configuration from all sources in order: defaults, YAML, environment, ``overrides``.

        The YAML file is ``config_file``, else ``$FLINK_AGENTS_NB_CONFIG``, else
        ``$FLINK_CONF_DIR/config.yaml``, else ``<cwd>/conf/config.yaml``, the first that is
        given or exists.
        """
        env = os.environ if environ is None else environ
        conf = cls()
        path = find_config_file(config_file, env, cwd)
        if path is not None:
            conf.load_yaml(path)
        conf.load_env(env)
        if overrides:
            conf.update(overrides)
        return conf


def find_config_file(
    explicit: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
    cwd: str | os.PathLike[str] | None = None,
) -> Path | None:
    """The YAML file :meth:`AgentConfiguration.resolve` reads, or ``None``."""
    if explicit is not None:
        return Path(explicit)
    if environ.get(CONFIG_FILE_ENV):
        return Path(environ[CONFIG_FILE_ENV])
    if environ.get("FLINK_CONF_DIR"):
        candidate = Path(environ["FLINK_CONF_DIR"]) / "config.yaml"
        if candidate.is_file():
            return candidate
    candidate = Path(cwd or os.getcwd()) / "conf" / "config.yaml"
    return candidate if candidate.is_file() else None


def _flatten(values: Mapping[str, Any], prefix: str, source: str) -> Iterator[tuple[str, Any]]:
    for key, value in values.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping) and find_option(full) is None:
            yield from _flatten(value, full + ".", source)
        else:
            yield full, value
