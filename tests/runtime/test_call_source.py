"""The call source seam: a core built with call_source= decides how model and tool calls
are answered, without patching the built-in actions (runtime only, no pandas)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flink_agents_runtime import AgentConfiguration, CallSite, RunResult
from flink_agents_runtime.timetravel import (
    Item,
    Recording,
    replay_record,
    rows_of_result,
    run_inputs,
)
from tests.helpers.triage_agent import Triage

INPUTS = [("a", "where is order 7"), ("b", "hello")]


class Canned:
    """Answers every model call with a fixed text; tool calls stay live."""

    def __init__(self) -> None:
        self.sites: list[CallSite] = []

    def resolve(self, site: CallSite, live: Callable[[], Any]) -> Callable[[], Any]:
        self.sites.append(site)
        if site.kind == "tool":
            return live
        answer = {"role": "assistant", "content": f"canned for {site.key}", "extra_args": {}}
        return lambda: {"response": answer, "retries": 0, "waited": 0.0}


def _run(source: Any) -> RunResult:
    items = [Item(k, v, i) for i, (k, v) in enumerate(INPUTS)]
    return run_inputs(Triage(), items, AgentConfiguration.resolve(), call_source=source).result


def test_a_call_source_answers_model_calls_and_sees_each_call(clean_env: None) -> None:
    source = Canned()
    result = _run(source)
    assert [o.value for o in result.outputs] == ["canned for a", "canned for b"]
    (first, second) = source.sites
    assert (first.kind, first.key, first.input_seq, first.name) == ("chat", "a", 0, "triage_model")
    assert first.request["messages"][-1]["content"] == "where is order 7"
    assert first.request["prompt_args"] == {"team": "support"}
    assert first.action == "chat_model_action" and first.with_resource is not None
    assert second.key == "b"


def test_live_calls_and_recorded_calls_give_the_same_run(clean_env: None) -> None:
    live = _run(None)
    assert live.outputs[0].value == 'Status: {"order": "7", "status": "shipped"}'
    replayed = replay_record(Recording(rows_of_result(live)), Triage())
    assert replayed.identical and replayed.answered == 4
    assert [o.value for o in replayed.result.outputs] == [o.value for o in live.outputs]
