"""Options of execution: error handling, async pools and in-flight inputs, guards on
bounded work, chat models and the budgets of agent loops (Flink Agents'
``AgentExecutionOptions`` and the kit's own)."""

from __future__ import annotations

import os

from flink_agents_runtime.config._option import ConfigOption

_CPU = os.cpu_count() or 1

EXECUTION_OPTIONS: tuple[ConfigOption, ...] = (
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
    # -- budgets of agent loops (flink_agents_runtime.chat.action._budget) ------------------------
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
        "openai.ca-file",
        str,
        None,
        "CA bundle (PEM file, or a directory of hashed certificates) OpenAIChatModelConnection "
        "trusts instead of SSL_CERT_FILE / SSL_CERT_DIR / certifi's; a connection's ca_file= "
        "wins. The path must exist where the calls run (each Flink worker).",
        example="/etc/ssl/private-ca.pem",
    ),
    ConfigOption(
        "job-identifier",
        str,
        None,
        "Names the job in event-log file names; a generated run id when unset.",
        example="my-agent-job",
    ),
)
