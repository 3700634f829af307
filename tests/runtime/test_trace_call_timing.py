"""Each ``llm``/``tool`` record pair of the Trace Log we write carries the call's own start
and end (not its action's), so latencies from ``started``/``success`` pairs are per call;
the reader shows them as the call rows' ``duration_ms``."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest

import flink_agents_runtime as rt
from flink_agents_runtime import (
    Agent,
    ChatMessage,
    ChatModelSetup,
    ChatRequestEvent,
    ChatResponseEvent,
    InputEvent,
    MessageRole,
    OutputEvent,
    ResourceDescriptor,
    ScriptedChatModelConnection,
    ScriptRule,
    action,
    chat_model_connection,
    chat_model_setup,
    tool,
)

MODEL_S, SLOW_S = 0.12, 0.15  # how long the model and the slow tool take at least


class SlowScripted(ScriptedChatModelConnection):
    """The scripted model, taking at least :data:`MODEL_S` per call."""

    def chat(self, messages: Any, tools: Any = None, **kwargs: Any) -> ChatMessage:
        time.sleep(MODEL_S)
        return super().chat(messages, tools, **kwargs)


RULES = [
    ScriptRule(
        r"check",
        tool_calls=[
            {"name": "quick", "arguments": {"x": "1"}},
            {"name": "slow", "arguments": {"x": "2"}},
        ],
    ),
    ScriptRule(None, role="tool", reply="done: {content}"),
]


class TwoTools(Agent):
    @chat_model_connection
    @staticmethod
    def scripted() -> ResourceDescriptor:
        return ResourceDescriptor(SlowScripted, rules=RULES)

    @chat_model_setup
    @staticmethod
    def model() -> ResourceDescriptor:
        return ResourceDescriptor(
            ChatModelSetup, connection="scripted", model="m-1", tools=["quick", "slow"]
        )

    @tool
    @staticmethod
    def quick(x: str) -> str:
        """Answer at once.

        Args:
            x: anything.
        """
        return f"quick {x}"

    @tool
    @staticmethod
    def slow(x: str) -> str:
        """Answer after a while.

        Args:
            x: anything.
        """
        time.sleep(SLOW_S)
        return f"slow {x}"

    @action(InputEvent)
    @staticmethod
    def ask(event: InputEvent, ctx: Any) -> None:
        ctx.send_event(ChatRequestEvent("model", [ChatMessage(MessageRole.USER, event.input)]))

    @action(ChatResponseEvent)
    @staticmethod
    def answer(event: ChatResponseEvent, ctx: Any) -> None:
        ctx.send_event(OutputEvent(event.response.content))


def _seconds(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _spans(records: list[dict[str, Any]], entity: str) -> dict[str, tuple[float, float]]:
    """execution id -> (started, ended) in seconds, of the ``entity`` records."""
    out: dict[str, list[float]] = {}
    for r in records:
        if r["entityType"] == entity:
            out.setdefault(r["executionId"], []).append(_seconds(r["timestamp"]))
    assert all(len(v) == 2 for v in out.values()), out
    return {k: (min(v), max(v)) for k, v in out.items()}


@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "async-batch"])
def test_llm_and_tool_records_carry_each_calls_own_times(tmp_path: Path, batched: bool) -> None:
    env = rt.LocalExecutionEnvironment()
    env.get_config().set("tool-call.async", batched)
    env.get_config().set("trace-log.base-dir", str(tmp_path))
    env.get_config().set("trace-log.targets", [{"scope": "ALL", "detail": "VERBOSE"}])
    env.from_list([{"key": "k", "value": "please check"}]).apply(TwoTools()).execute()
    (path,) = tmp_path.glob("traces-*.log")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    actions = _spans(records, "action")
    llms = _spans(records, "llm")
    tools = _spans(records, "tool")
    names = {r["executionId"]: r["entityName"] for r in records if r["entityType"] == "tool"}
    assert len(llms) == 2 and sorted(names.values()) == ["quick", "slow"]
    parent_of = {r["executionId"]: r["parentExecutionId"] for r in records}
    for execution, (start, end) in {**llms, **tools}.items():
        parent = actions[parent_of[execution]]
        assert parent[0] <= start <= end <= parent[1]  # inside the action around it
    for start, end in llms.values():
        assert end - start >= MODEL_S - 0.002  # the model's own time (ms stamps)
    # Each pair has its own times; the action's (or the batch's) times would make the two
    # calls of one request the same interval. One by one, they follow each other.
    quick, slow = (tools[e] for e in sorted(tools, key=lambda e: names[e]))
    assert quick != slow
    if not batched:
        assert quick[1] <= slow[0]
    assert slow[1] - slow[0] >= SLOW_S - 0.002

    import flink_agents_nb as fa

    frame = fa.read_event_log(tmp_path).frame
    calls = frame[frame["record_type"] == "call"].set_index("entity_name")
    assert calls.loc["slow", "duration_ms"] >= SLOW_S * 1000 - 2
    assert calls.loc["quick", "duration_ms"] < calls.loc["slow", "duration_ms"]
    assert (calls.loc["model", "duration_ms"] >= MODEL_S * 1000 - 2).all()
