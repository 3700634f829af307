"""The user's own configuration keys (Flink Agents' custom configuration): keys no option
declares, set through ``set_str``/``set_int``/``set_float``/``set_bool`` and read back by
the ``get_*`` accessors and by tool parameter injection.

Such a key is accepted only when it is not a Flink Agents key the kit refuses and not a
near miss of a declared key (a typo of a declared key stays an error). Its value is parsed
by the rules of a declared option of the type of the setter or getter used."""

from __future__ import annotations

import difflib

from flink_agents_runtime.config._fa_keys import refused_reason
from flink_agents_runtime.config._options import OPTIONS, ConfigOption

#: The source recorded for a user key's value.
USER_SOURCE = "code (user key)"


def user_key(key: str) -> bool:
    """Whether ``key`` may be a user's own key: not refused, not a near miss (similarity
    0.8 or more) of a declared key."""
    known = [o.key for o in OPTIONS]
    return refused_reason(key) is None and not difflib.get_close_matches(key, known, 1, 0.8)


def user_option(key: str, kind: type) -> ConfigOption:
    """An undeclared option of type ``kind`` for ``key``: how its values parse, and (by the
    key's name) whether they are masked."""
    return ConfigOption(key, kind, None, "the user's own key")
