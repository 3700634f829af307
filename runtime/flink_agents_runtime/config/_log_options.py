"""Options of the logs: the event log (Flink Agents 0.3.1's ``AgentConfigOptions``) and the
0.4 Trace Log written beside it."""

from __future__ import annotations

from flink_agents_runtime.config._option import ConfigOption

LOG_OPTIONS: tuple[ConfigOption, ...] = (
    # -- event log (Flink Agents' AgentConfigOptions) --------------------------------------
    ConfigOption(
        "baseLogDir",
        str,
        None,
        "Directory of the FILE event logger; no file log when unset.",
        example="/tmp/flink-agents-logs",
    ),
    ConfigOption(
        "eventLoggerType",
        str,
        "file",
        "Event logger: file (in baseLogDir), slf4j (the Python logger "
        "org.apache.flink.agents.EventLog, Flink Agents' default) or memory.",
        choices=("file", "slf4j", "memory"),
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
        "FILE (into trace-log.base-dir; without it, flink-agents in the temporary directory, "
        "as upstream) or SLF4J (the Python logger org.apache.flink.agents.TraceLog); unset: "
        "FILE when trace-log.base-dir is set, else no Trace Log.",
        choices=("FILE", "SLF4J"),
    ),
    ConfigOption(
        "trace-log.targets",
        list,
        None,
        "What the Trace Log records: a list of {scope: EVENT_ONLY | ALL | {entityType: <type>, "
        "entityName: <name or namespace.*; omitted: the whole type>}, detail: OFF | STANDARD | "
        "VERBOSE}; most specific scope wins; unset: [{scope: EVENT_ONLY, detail: STANDARD}].",
        example=[{"scope": "ALL", "detail": "STANDARD"}],
    ),
    ConfigOption("trace-log.pretty-print", bool, False, "Write Trace Log records indented."),
    ConfigOption(
        "trace-log.standard.max-string-length",
        int,
        2000,
        "Trace Log STANDARD detail: longer strings in attributes are cut to this length "
        "(0: no limit).",
        min=0,
    ),
    ConfigOption(
        "trace-log.standard.max-array-elements",
        int,
        20,
        "Trace Log STANDARD detail: longer arrays in attributes keep this many elements "
        "(0: no limit).",
        min=0,
    ),
    ConfigOption(
        "trace-log.standard.max-depth",
        int,
        5,
        "Trace Log STANDARD detail: objects nested deeper in attributes become a marker "
        "(0: no limit).",
        min=0,
    ),
)
