"""The project's exception hierarchy.

Every error the kit raises derives from :class:`FlinkAgentsError`, and its message says what
was wrong, where (key, file:line, event type, action) and what would be right. Each also
derives from the builtin it stands for, so ``except ValueError`` (etc.) keeps working::

    FlinkAgentsError
    ├── ConfigError            (ValueError)     unknown option, value that does not parse
    ├── AgentDefinitionError   (ValueError)     duplicate action, bad event type, no actions
    ├── InputError             (ValueError)     malformed input record, missing column
    ├── MemoryAccessError      (ValueError)     bad memory path, type clash
    ├── ArgumentValueError     (ValueError)     a value the call cannot use (breakpoint spec,
    │                                           record frame without record columns, ...)
    ├── ArgumentTypeError      (TypeError)      an argument of the wrong kind
    ├── EventAttributeError    (TypeError)      event attribute / memory value not JSON
    ├── ResourceError          (LookupError)    unknown or misdeclared resource
    ├── NotFoundError          (KeyError)       an event id, a stepper/inspector position
    │                          (IndexError)     that is not there
    ├── UsageError             (RuntimeError)   things called out of order: apply twice,
    │   │                                       execute before apply, append to a closed log
    │   └── NotRecordedError   (ValueError)     records asked of a run that did not keep them
    ├── ActionFailedError      (RuntimeError)   an action failed and the strategy stopped
    ├── ActionStateStoreError  (RuntimeError)   state store misconfigured or unreachable
    ├── FlinkUnavailableError  (RuntimeError)   no Java or no PyFlink
    ├── JobFailedError         (RuntimeError)   a Flink job of an agent failed
    ├── JobTimeoutError        (TimeoutError)   a Flink job did not finish in time
    ├── EventLogWriteError     (OSError)        eventlog._file_logger: a log write failed
    ├── TraceTargetError       (ValueError)     eventlog._targets: a trace-log.targets entry
    ├── OtelExportError        (RuntimeError)   flink_agents_nb.otel: spans not written/sent
    ├── LogNotFoundError       (FileNotFoundError) no event log at the path given
    ├── ClusterError           (RuntimeError)   flink_agents_nb.flink: a cluster's REST call
    │   │                                       failed (the URL named)
    │   └── ClusterUnreachableError (ConnectionError) nothing answers at the REST address
    ├── IncompatibleSavepointError (ValueError) flink_agents_nb.flink: a changed agent would
    │                                           lose savepoint state (what is named)
    ├── RecordError            (ValueError)     timetravel: a record that cannot be replayed
    │                                           or forked (no inputs, no such event)
    ├── CallNotRecordedError   (LookupError)    timetravel: a replayed call the record lacks
    ├── EvaluationError        (ValueError)     notebook evaluate: a missing column, a bad or
    │                                           failing scorer
    ├── PromptError            (ValueError)     chat._errors: a prompt does not format
    ├── ToolArgumentError      (ValueError)     chat._errors: tool arguments do not fit
    ├── MCPServerError         (Exception)      chat.tools._mcp: an MCP server failed or died
    ├── RetrievalError         (Exception)      retrieval: an embedding model or store failed
    ├── BatchTimeoutError      (TimeoutError)   engine.awaiting._batch: a batch call ran out of time
    ├── SubagentError          (RuntimeError)   agents._subagent: a sub-agent tool failed
    ├── ChatModelError         (RuntimeError)   chat._errors: a chat model call failed
    │   └── StructuredOutputError               chat._structured: an answer off its schema
    └── UnpricedModelWarning   (UserWarning)    a warning, not raised: a model has token
                                                usage but no price (notebook run._costs)
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


class JobFailedError(FlinkAgentsError, RuntimeError):
    """A Flink job of an agent failed; the message starts with the worker's error."""


class JobTimeoutError(FlinkAgentsError, TimeoutError):
    """A Flink job did not reach a terminal state in the time given."""


class UsageError(FlinkAgentsError, RuntimeError):
    """An object used out of order: a builder applied twice or executed before ``apply``,
    an environment executed with nothing applied, a closed event log appended to."""


class ArgumentTypeError(FlinkAgentsError, TypeError):
    """An argument of the wrong kind (e.g. ``send_event`` given something not an Event)."""


class ArgumentValueError(FlinkAgentsError, ValueError):
    """A value the call cannot use (a breakpoint with two conditions, a record frame without
    the record columns, a tool call without a function name, ...)."""


class NotFoundError(FlinkAgentsError, KeyError, IndexError):
    """A lookup that found nothing: an event id, a stepper or inspector position.

    Both a ``KeyError`` and an ``IndexError``; its ``str`` is the plain message."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class LogNotFoundError(FlinkAgentsError, FileNotFoundError):
    """No event-log file or directory at the path given."""


class NotRecordedError(UsageError, ValueError):
    """A run's records were asked for, but the run did not record them (``record=False``)."""


class CascadeLimitError(ActionFailedError):
    """One input's cascade exceeded ``cascade.max-events-per-input`` or ``cascade.max-depth``
    (an action that keeps re-sending events). ``action`` and ``event_type`` name the action
    that sent the event over the limit and that event's type."""


class ActionTimeoutError(FlinkAgentsError, TimeoutError):
    """An async action ran longer than its ``action.timeout`` (the error-handling strategy
    then applies to it like to any other failure)."""
