"""Options of durable state and the drivers: the action state store, Flink checkpointing
and restarts, local runs and the Flink driver."""

from __future__ import annotations

from flink_agents_runtime.config._option import ConfigOption

FLINK_OPTIONS: tuple[ConfigOption, ...] = (
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
        "flink.process-mode.interleave",
        bool,
        False,
        "In PyFlink's process mode, keep many inputs in flight per subtask as thread mode "
        "does (else each input runs to its end before the next). Restores are not airtight "
        "there: inputs held by a key that became busy in the bundle a restored checkpoint "
        "closed run again only with that key's next record (README: execution model).",
    ),
    ConfigOption(
        "flink.metrics-sync-interval-ms",
        float,
        1000.0,
        "How often a Flink subtask pushes its metric increments to Flink's metric system "
        "(a timer: also after the stream goes quiet).",
        unit="ms",
        min=1,
    ),
)
