"""Every configuration option, declared once: key, type, default, description.

Keys mirror Apache Flink Agents' (``baseLogDir``, ``error-handling-strategy``, ...). Each
option can be set in the ``agent:`` section of a YAML file, by an environment variable named
by :func:`env_var_name`, or in code; ``conf/config.yaml`` documents them all (a test keeps it
in step with this table).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from flink_agents_runtime.config._fa_keys import FA_ACCEPTED

ENV_PREFIX = "FLINK_AGENTS_NB_"
#: The kit's environment variables that are not options (``FLINK_AGENTS_NB_<KEY>``): the
#: config file to read, the price table, ... Reading the environment skips these; any other
#: ``FLINK_AGENTS_NB_*`` variable must name an option (a typo is an error). A module that
#: adds a variable of its own lists it here.
NON_OPTION_ENV_VARS = frozenset(
    {
        ENV_PREFIX + "CONFIG",  # the YAML config file (config._configuration)
        ENV_PREFIX + "PRICES",  # the price table (flink_agents_nb.run._costs)
    }
)

_SECRET_WORDS = re.compile(r"(key|token|secret|password|credential)", re.IGNORECASE)


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
        hold a password) and names like key/token/password."""
        return self.sensitive or bool(_SECRET_WORDS.search(self.key))

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


_CPU = os.cpu_count() or 1

OPTIONS: tuple[ConfigOption, ...] = (
    # -- execution and error handling (Flink Agents' AgentExecutionOptions) ---------------
    ConfigOption(
        "error-handling-strategy",
        str,
        "fail",
        "What a failing action does: fail the run, ignore (log, count, go on), or "
        "retry (then fail).",
        choices=("fail", "ignore", "retry"),
    ),
    ConfigOption(
        "max-retries", int, 3, "Retries of a failing action under the retry strategy.", min=0
    ),
    ConfigOption(
        "retry-wait-interval",
        float,
        1.0,
        "Wait before the first retry; doubles on each further retry.",
        unit="s",
        min=0,
    ),
    ConfigOption(
        "num-async-threads",
        int,
        _CPU * 2,
        "Threads of the pool behind durable_execute_async and async chat/tool calls.",
        min=1,
    ),
    ConfigOption(
        "max-in-flight-inputs",
        int,
        1000,
        "Inputs a driver holds at once per subtask (running, or queued behind a busy key); "
        "more waits (back-pressure). Different keys interleave while calls wait.",
        min=1,
    ),
    ConfigOption(
        "chat.async",
        bool,
        True,
        "Run chat-model calls on the async pool so other keys progress meanwhile.",
    ),
    ConfigOption(
        "tool-call.async",
        bool,
        True,
        "Run tool calls on the async pool so other keys progress meanwhile.",
    ),
    ConfigOption(
        "tool-call.parallelism",
        int,
        None,
        "Tool calls of one model answer run at most this many at once (1: one after another);"
        " unset: the number of CPU cores.",
        min=1,
        example=4,
    ),
    ConfigOption(
        "tool-call.batch.timeout.ms",
        int,
        -1,
        "Time for all tool calls of one model answer; calls still running then answer with a"
        " timeout error (-1: no limit).",
        unit="ms",
        min=-1,
    ),
    ConfigOption("rag.async", bool, True, "Run retrieval calls on the async pool."),
    # -- bounded work (guards) ---------------------------------------------------------------
    ConfigOption(
        "cascade.max-events-per-input",
        int,
        10000,
        "Most events one input's cascade may send (an action that keeps re-sending events "
        "is stopped with an error naming it and the event type); 0: no limit.",
        min=0,
    ),
    ConfigOption(
        "cascade.max-depth",
        int,
        1000,
        "Longest chain of events one input may cause (event sent by an action on an event "
        "sent by ...); 0: no limit.",
        min=0,
    ),
    ConfigOption(
        "action.timeout",
        float,
        None,
        "Async actions: the longest one run of an action may take, awaits included (then it "
        "fails with a timeout and the error-handling strategy applies); unset: no limit.",
        unit="s",
        min=0.001,
        example=60,
    ),
    ConfigOption(
        "action.*.timeout",
        float,
        None,
        "action.timeout for one action, e.g. action.call_model.timeout.",
        unit="s",
        min=0.001,
        example=60,
    ),
    # -- chat models (flink_agents_runtime.chat) --------------------------------------------
    ConfigOption(
        "chat.max-turns",
        int,
        10,
        "Most model calls one chat request may make (its tool loop); more is an error.",
        min=1,
    ),
    # -- budgets of agent loops (flink_agents_runtime.chat._budget) ------------------------
    ConfigOption(
        "budget.max-turns",
        int,
        None,
        "Budget of one chat request: most model calls (its tool loop); unset: no budget.",
        min=0,
        example=10,
    ),
    ConfigOption(
        "budget.max-tokens",
        int,
        None,
        "Budget of one chat request: most prompt + completion tokens over its model calls.",
        min=0,
        example=20000,
    ),
    ConfigOption(
        "budget.max-wall-time-ms",
        int,
        None,
        "Budget of one chat request: most wall time from the request to a new model call.",
        unit="ms",
        min=0,
        example=60000,
    ),
    ConfigOption(
        "budget.mode",
        str,
        "soft",
        "A spent budget: soft (the next turn is a final answer without tools) or hard (a"
        " failed response).",
        choices=("soft", "hard"),
    ),
    ConfigOption(
        "budget.input.max-turns",
        int,
        None,
        "Budget of all chat requests of one input together: most model calls.",
        min=0,
        example=10,
    ),
    ConfigOption(
        "budget.input.max-tokens",
        int,
        None,
        "Budget of all chat requests of one input together: most prompt + completion tokens.",
        min=0,
        example=20000,
    ),
    ConfigOption(
        "budget.input.max-wall-time-ms",
        int,
        None,
        "Budget of all chat requests of one input together: most wall time since the first.",
        unit="ms",
        min=0,
        example=60000,
    ),
    ConfigOption(
        "budget.setup.*.max-turns",
        int,
        None,
        "budget.max-turns for one chat model setup, e.g. budget.setup.triage_model.max-turns.",
        min=0,
        example=10,
    ),
    ConfigOption(
        "budget.setup.*.max-tokens",
        int,
        None,
        "budget.max-tokens for one chat model setup.",
        min=0,
        example=20000,
    ),
    ConfigOption(
        "budget.setup.*.max-wall-time-ms",
        int,
        None,
        "budget.max-wall-time-ms for one chat model setup.",
        unit="ms",
        min=0,
        example=60000,
    ),
    ConfigOption(
        "budget.setup.*.mode",
        str,
        None,
        "budget.mode for one chat model setup.",
        choices=("soft", "hard"),
    ),
    ConfigOption(
        "openai.base-url",
        str,
        "https://api.openai.com/v1",
        "Default base URL of OpenAIChatModelConnection (Ollama: http://localhost:11434/v1).",
    ),
    ConfigOption(
        "openai.api-key",
        str,
        None,
        "API key of OpenAIChatModelConnection (else env OPENAI_API_KEY); never logged.",
        example="sk-...",
    ),
    ConfigOption(
        "openai.timeout",
        float,
        60.0,
        "Total timeout of one chat-completions request (connect, send, whole response).",
        unit="s",
        min=0.001,
    ),
    ConfigOption(
        "openai.max-retries",
        int,
        3,
        "Retries of a chat-completions request after a connection error, 429 or 5xx "
        "(exponential backoff, Retry-After honoured).",
        min=0,
    ),
    ConfigOption(
        "openai.retry-wait",
        float,
        0.5,
        "Wait before the first retry of a chat-completions request; doubles per retry (a "
        "server's Retry-After wins, up to 60 s).",
        unit="s",
        min=0,
    ),
    ConfigOption(
        "job-identifier",
        str,
        None,
        "Names the job in event-log file names; a generated run id when unset.",
        example="my-agent-job",
    ),
    # -- event log (Flink Agents' AgentConfigOptions) --------------------------------------
    ConfigOption(
        "baseLogDir",
        str,
        None,
        "Directory of the FILE event logger; no file log when unset.",
        example="/tmp/flink-agents-logs",
    ),
    ConfigOption(
        "eventLoggerType", str, "file", "Event logger: file or memory.", choices=("file", "memory")
    ),
    ConfigOption("prettyPrint", bool, False, "Write event-log records as indented JSON."),
    ConfigOption(
        "event-log.level",
        str,
        "STANDARD",
        "OFF: no records; STANDARD: long values truncated; VERBOSE: everything.",
        choices=("OFF", "STANDARD", "VERBOSE"),
    ),
    ConfigOption(
        "event-log.type.*.level",
        str,
        None,
        "Level for one event type, e.g. event-log.type._chat_response_event.level.",
        choices=("OFF", "STANDARD", "VERBOSE"),
    ),
    ConfigOption(
        "event-log.standard.max-string-length",
        int,
        2000,
        "STANDARD level: longer strings are cut to this many characters.",
        min=1,
    ),
    ConfigOption(
        "event-log.standard.max-array-elements",
        int,
        20,
        "STANDARD level: longer arrays keep this many elements.",
        min=1,
    ),
    ConfigOption(
        "event-log.standard.max-depth",
        int,
        5,
        "STANDARD level: objects nested deeper are replaced by a marker.",
        min=1,
    ),
    ConfigOption(
        "event-log.flush.every-n-records",
        int,
        None,
        "Write the FILE log every this many records (1: each record as it comes). Unset: 1000"
        " in local runs (a killed kernel loses at most the last interval-ms of records), 1 in"
        " Flink jobs (every record is on disk before the next checkpoint).",
        min=1,
        example=1000,
    ),
    ConfigOption(
        "event-log.flush.interval-ms",
        int,
        1000,
        "When batching, pending records are also written at least this often (a background"
        " thread), and at once by a record coming this long after the last write (0: off).",
        unit="ms",
        min=0,
    ),
    ConfigOption(
        "event-log.fail-on-write-error",
        bool,
        False,
        "Stop the agent when the event log cannot be written (else count and go on).",
    ),
    # -- Trace Log (Flink Agents 0.4; written beside the event log, see eventlog._trace_sink)
    ConfigOption(
        "trace-log.base-dir",
        str,
        None,
        "Directory of the 0.4 Trace Log (traces-{job}-{task}-{subtask}.log); selects FILE "
        "output. Independent of baseLogDir: set both and both logs are written.",
        example="/tmp/flink-agents-traces",
    ),
    ConfigOption(
        "trace-log.output-type",
        str,
        None,
        "FILE (needs trace-log.base-dir) or SLF4J (the Python logger "
        "org.apache.flink.agents.TraceLog); unset: FILE when trace-log.base-dir is set, "
        "else no Trace Log.",
        choices=("FILE", "SLF4J"),
    ),
    ConfigOption(
        "trace-log.targets",
        list,
        None,
        "What the Trace Log records: a list of {scope: EVENT_ONLY | ALL | {<entity type>: "
        "<name or prefix.*>}, detail: OFF | STANDARD | VERBOSE}; most specific scope wins; "
        "unset: [{scope: EVENT_ONLY, detail: STANDARD}].",
        example=[{"scope": "ALL", "detail": "STANDARD"}],
    ),
    ConfigOption("trace-log.pretty-print", bool, False, "Write Trace Log records indented."),
    ConfigOption(
        "trace-log.standard.max-string-length",
        int,
        2000,
        "Trace Log STANDARD detail: longer strings in attributes are cut to this length.",
    ),
    ConfigOption(
        "trace-log.standard.max-array-elements",
        int,
        20,
        "Trace Log STANDARD detail: longer arrays in attributes keep this many elements.",
    ),
    ConfigOption(
        "trace-log.standard.max-depth",
        int,
        5,
        "Trace Log STANDARD detail: objects nested deeper in attributes become a marker.",
    ),
    # -- action state store (exactly-once actions) ------------------------------------------
    ConfigOption(
        "actionStateStoreBackend",
        str,
        None,
        "Exactly-once actions: where action states and durable call results are kept for "
        "recovery; unset: none (a recovered job runs actions again).",
        choices=("sqlite", "redis"),
    ),
    ConfigOption(
        "actionStateStore.sqlite.path",
        str,
        None,
        "SQLite file of the sqlite backend (one host); when unset, action-state.sqlite in "
        "the per-user directory $XDG_STATE_HOME/flink-agents-nb (~/.local/state/...), mode "
        "0700.",
        example="/var/lib/flink-agents/action-state.sqlite",
    ),
    ConfigOption(
        "actionStateStore.redis.url",
        str,
        "redis://127.0.0.1:6379/0",
        "Redis of the redis backend (shared by all hosts): redis://[:password@]host:port/db.",
        sensitive=True,
    ),
    ConfigOption(
        "actionStateStore.timeout",
        float,
        5.0,
        "Connect/read timeout of the action state store.",
        unit="s",
        min=0.001,
    ),
    # -- Flink checkpointing and restarts (applied by the Flink driver) ---------------------
    ConfigOption(
        "checkpoint.interval-ms",
        int,
        None,
        "Flink jobs: checkpoint this often (exactly-once outputs need it); unset: as the "
        "cluster's Flink config says (conf/flink-config.yaml shows one).",
        unit="ms",
        min=1,
        example=10000,
    ),
    ConfigOption(
        "checkpoint.mode",
        str,
        "exactly-once",
        "Flink checkpointing mode.",
        choices=("exactly-once", "at-least-once"),
    ),
    ConfigOption(
        "checkpoint.dir",
        str,
        None,
        "Where Flink keeps checkpoints (a URI, e.g. file:///var/flink/checkpoints); the job "
        "manager's memory when unset.",
        example="file:///tmp/flink-checkpoints",
    ),
    ConfigOption(
        "state.backend",
        str,
        None,
        "Flink state backend of short-term memory: hashmap (heap) or rocksdb (disk); unset: "
        "the cluster's default.",
        choices=("hashmap", "rocksdb"),
    ),
    ConfigOption(
        "restart.attempts",
        int,
        None,
        "Flink jobs: restarts after a failure (fixed delay) before the job fails; unset: "
        "the cluster's restart strategy.",
        min=0,
        example=3,
    ),
    ConfigOption(
        "restart.delay-ms",
        int,
        1000,
        "Wait between Flink restarts (with restart.attempts).",
        unit="ms",
        min=0,
    ),
    # -- local runs --------------------------------------------------------------------------
    ConfigOption(
        "metrics.sample-interval-ms",
        float,
        100.0,
        "How often a local run samples every metric into its time series.",
        unit="ms",
        min=1,
    ),
    # -- the Flink driver --------------------------------------------------------------------
    ConfigOption(
        "flink.execution-mode",
        str,
        "thread",
        "PyFlink python.execution-mode for agent jobs: thread (embedded, faster) or process.",
        choices=("thread", "process"),
    ),
    ConfigOption(
        "flink.python-executable",
        str,
        None,
        "python.executable of agent jobs; the running interpreter when unset.",
        example="/usr/bin/python3",
    ),
    ConfigOption(
        "flink.ship-runtime",
        bool,
        True,
        "Ship the flink_agents_runtime package with each job (for clusters lacking it).",
    ),
    ConfigOption(
        "flink.parallelism",
        int,
        None,
        "Parallelism of the agent operator; the Flink environment's default when unset.",
        min=1,
        example=2,
    ),
    ConfigOption(
        "flink.resume-interval-ms",
        float,
        5.0,
        "On Flink, how often a subtask with inputs in flight resumes runs whose calls "
        "finished when no record arrives (a processing-time timer).",
        unit="ms",
        min=1,
    ),
    ConfigOption(
        "flink.metrics-sync-interval-ms",
        float,
        1000.0,
        "How often a Flink subtask pushes its metric increments to Flink's metric system.",
        unit="ms",
        min=1,
    ),
)


def find_option(key: str) -> ConfigOption | None:
    """The option declared for ``key`` (pattern options match one ``*`` segment)."""
    option = _BY_KEY.get(key)
    if option is not None:
        return option
    for pattern, regex in _PATTERNS:
        if regex.fullmatch(key):
            return pattern
    return None


# Flink Agents keys accepted without effect (listed last in conf/config.yaml).
OPTIONS += tuple(
    ConfigOption(key, kind, default, text, choices=choices)
    for key, kind, default, text, choices in FA_ACCEPTED
)
_BY_KEY = {o.key: o for o in OPTIONS if not o.is_pattern}
_PATTERNS = [
    (o, re.compile(re.escape(o.key).replace(r"\*", r"[^.]+(?:\.[^.]+)*?")))
    for o in OPTIONS
    if o.is_pattern
]


def render_config_yaml() -> str:
    """``conf/config.yaml``: every option with its description, type, env variable and
    default. Options whose default is unset or machine-dependent are commented out, so
    reading the file changes nothing. Regenerate with
    ``python -m flink_agents_runtime.config._options > conf/config.yaml``."""
    lines = [
        "# flink-agents-nb configuration: the `agent:` section (Apache Flink Agents' keys).",
        "# Sources, lowest first: these defaults; this file (or $FLINK_AGENTS_NB_CONFIG, or",
        "# $FLINK_CONF_DIR/config.yaml); environment variables FLINK_AGENTS_NB_<KEY> (upper",
        "# snake case: event-log.level -> FLINK_AGENTS_NB_EVENT_LOG_LEVEL); then code.",
        "# Keys may be dotted (event-log.level) or nested (event-log: {level: ...}).",
        "# Generated by `python -m flink_agents_runtime.config._options`; a test keeps it in step.",
        "agent:",
    ]
    for option in OPTIONS:
        unit = f", {option.unit}" if option.unit else ""
        env = "" if option.is_pattern else f"; env {env_var_name(option.key)}"
        lines.append(f"  # {option.description}")
        note = "; default: 2 x CPU cores" if option.key == "num-async-threads" else ""
        lines.append(f"  # ({option.type_name}{unit}{env}{note})")
        commented = option.default is None or option.key == "num-async-threads"
        if option.key == "num-async-threads":
            example: Any = 8
        elif option.default is None:
            example = option.example
            if example is None and option.choices:
                example = option.choices[0]
            elif example is None:
                # A typed placeholder, so the line is valid when uncommented.
                example = {bool: False, int: 0, float: 0.0}.get(option.type, "...")
        else:
            example = option.default
        if isinstance(example, bool):
            shown = "true" if example else "false"
        elif isinstance(example, str) and example != "...":
            shown = f'"{example}"' if ("<" in example or not example) else example
        else:
            shown = str(example)
        prefix = "  # " if commented else "  "
        lines.append(f"{prefix}{option.key}: {shown}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_config_yaml(), end="")
