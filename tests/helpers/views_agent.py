"""A small agent for the notebook-view tests: memory writes, token usage, lineage.

Per input: ``_input_event`` -> ``plan`` (short-term ``count`` += 1, sensory ``question``) ->
``chat_response`` (tokens, model ``small`` or ``big``) -> ``answer`` (short-term ``last``) ->
``_output_event``. The prompt is the ``answer`` action's config value ``prompt``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import flink_agents_nb as fa
from flink_agents_runtime import Event, InputEvent, OutputEvent


def plan(event: Any, ctx: Any) -> None:
    stm = ctx.short_term_memory
    stm.set("count", (stm.get("count") or 0) + 1)
    ctx.sensory_memory.set("question", event.input)
    text = str(event.input)
    ctx.send_event(
        Event(
            type="chat_response",
            attributes={
                "text": text,
                "model": "big" if len(text) > 5 else "small",
                "promptTokens": 10 + len(text),
                "completionTokens": 3,
            },
        )
    )


def answer(event: Any, ctx: Any) -> None:
    ctx.short_term_memory.set("last", event.text)
    prompt = ctx.get_action_config_value("prompt") or ""
    ctx.send_event(OutputEvent(output=f"{prompt}{event.text}"))


def make_agent(prompt: str = "") -> fa.Agent:
    agent = fa.Agent()
    agent.add_action("plan", [InputEvent], plan)
    agent.add_action("answer", ["chat_response"], answer, prompt=prompt)
    return agent


INPUTS = [
    {"key": "a", "value": "hello"},
    {"key": "b", "value": "bonjour tout le monde"},
    {"key": "a", "value": "again"},
]


def run_agent(inputs: list[dict[str, Any]] | None = None, prompt: str = "") -> fa.Run:
    env = fa.local()
    return env.from_list(inputs or INPUTS).apply(make_agent(prompt)).execute(record=True)


def write_log(run: fa.Run, path: Path) -> Path:
    """Write ``run``'s records as a flat JSON Lines event log (the documented format)."""
    res = run.result
    lines = []
    records: list[Any] = [*res.events, *res.actions]
    for rec in sorted(records, key=lambda r: r.seq):
        ts = f"{rec.timestamp_ns // 10**9}"
        import datetime as dt

        stamp = dt.datetime.fromtimestamp(rec.timestamp_ns / 1e9, dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        )
        common = {
            "timestamp": stamp,
            "logLevel": "STANDARD",
            "key": rec.key,
            "seq": rec.seq,
            "inputSeq": rec.input_seq,
            "jobId": res.run_id,
            "taskName": "local",
            "subtaskIndex": 0,
        }
        if hasattr(rec, "event"):
            ev = rec.event
            lines.append(
                {
                    **common,
                    "recordType": "event",
                    "eventId": ev.id,
                    "eventType": ev.type,
                    "upstreamEventId": ev.upstream_event_id,
                    "upstreamActionName": ev.upstream_action_name,
                    "eventAttributes": ev.attributes,
                }
            )
        else:
            lines.append(
                {
                    **common,
                    "recordType": "action",
                    "actionName": rec.action,
                    "eventId": rec.event_id,
                    "eventType": rec.event_type,
                    "durationNs": rec.duration_ns,
                    "status": rec.status,
                    "attempt": rec.attempt,
                    "error": rec.error,
                    "sentEventIds": list(rec.sent_event_ids),
                    "memoryWrites": [
                        {"memory": m, "path": p, "value": v} for m, p, v in rec.memory_writes
                    ],
                }
            )
        del ts
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path
