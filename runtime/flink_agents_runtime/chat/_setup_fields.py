"""Flink Agents' ``BaseChatModelSetup`` fields that are settings of the setup, not of the
model: taken out of a setup's keyword arguments so they never reach a provider's request.

- ``skill_discovery_prompt``: upstream fills it when the setup opens (a value given is
  replaced); the kit builds its own skills message.
- ``allowed_commands``, ``allowed_script_dirs``: configure upstream's ``bash`` skill tool,
  which the kit does not offer; a non-empty value is warned about once per setup.
- ``structured_output_strategy`` (0.4): ``auto`` or ``prompt`` are what the kit does (the
  schema is asked for in the prompt and the answer validated); ``native`` is warned about.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

#: The fields, with the value that means "not set".
SETUP_FIELDS: dict[str, Any] = {
    "skill_discovery_prompt": None,
    "allowed_commands": [],
    "allowed_script_dirs": [],
    "structured_output_strategy": "auto",
}


def _text(value: Any) -> str:
    return str(getattr(value, "value", value)).lower()


def pop_setup_fields(kwargs: dict[str, Any], model: str | None) -> dict[str, Any]:
    """Remove :data:`SETUP_FIELDS` from ``kwargs`` (in place) and return the ones given.

    Logs a warning for a bash-tool setting that is not empty and for a ``native``
    structured-output strategy, naming the field and ``model``.
    """
    given = {name: kwargs.pop(name) for name in SETUP_FIELDS if name in kwargs}
    for name in ("allowed_commands", "allowed_script_dirs"):
        if given.get(name):
            logger.warning(
                "chat model setup for model %r: %s=%r has no effect; flink-agents-nb does not "
                "offer Flink Agents' bash tool to skills (load_skill is offered)",
                model,
                name,
                given[name],
            )
    strategy = given.get("structured_output_strategy")
    if strategy is not None and _text(strategy) == "native":
        logger.warning(
            "chat model setup for model %r: structured_output_strategy=native is not "
            "supported; the output schema is asked for in the prompt and the answer validated",
            model,
        )
    return given
