"""The project's exception hierarchy.

Every error the kit raises on purpose derives from :class:`FlinkAgentsError`, and its message
says what was wrong, where (key, file:line, event type, action) and what would be right.
"""

from __future__ import annotations

from typing import Any


class FlinkAgentsError(Exception):
    """Base class of every error raised by flink-agents-nb."""


class ConfigError(FlinkAgentsError, ValueError):
    """A configuration key is unknown or its value does not parse.

    Attributes:
        key: the option key as written by the user.
        source: where the value came from (``"code"``, ``"env FLINK_AGENTS_NB_X"``,
            ``"conf/config.yaml"``, ...).
    """

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None):
        super().__init__(message)
        self.key = key
        self.source = source


class AgentDefinitionError(FlinkAgentsError, ValueError):
    """An agent is declared wrongly (duplicate action, bad event type, bad signature)."""


class EventAttributeError(FlinkAgentsError, TypeError):
    """An event attribute or memory value is not JSON-serialisable.

    Attributes:
        path: where the offending value sits, e.g. ``attributes.items[2].price``.
        value_type: the name of the offending value's type.
    """

    def __init__(self, message: str, *, path: str, value_type: str):
        super().__init__(message)
        self.path = path
        self.value_type = value_type


class MemoryAccessError(FlinkAgentsError, ValueError):
    """A short-term or sensory memory operation is invalid (bad path, type clash)."""


class ActionFailedError(FlinkAgentsError, RuntimeError):
    """An action raised and the error-handling strategy stopped the run.

    Attributes:
        action: the action's name.
        event_type: the type of the event it was handling.
        key: the input's key.
        attempts: how many times the action ran (1 without retries).
        run: the partial run (outputs and records up to the failure), when a driver has one.
    """

    def __init__(
        self,
        message: str,
        *,
        action: str,
        event_type: str,
        key: Any,
        attempts: int = 1,
    ):
        super().__init__(message)
        self.action = action
        self.event_type = event_type
        self.key = key
        self.attempts = attempts
        self.run: Any = None


class InputError(FlinkAgentsError, ValueError):
    """An input record is malformed (missing key or value column, bad row)."""


class ResourceError(FlinkAgentsError, LookupError):
    """A resource (chat model, tool, prompt) is unknown or misdeclared."""


class FlinkUnavailableError(FlinkAgentsError, RuntimeError):
    """A Flink path was used where Java or PyFlink is missing."""


class ActionStateStoreError(FlinkAgentsError, RuntimeError):
    """The action state store is misconfigured, unreachable, or failed to read or write."""
