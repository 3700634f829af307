"""Budgets of agent loops: turns, tokens and wall time; soft (a final answer without tools)
and hard (a failed response); per agent, per setup and per request; in events and metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flink_agents_runtime import (
    Agent,
    AgentsExecutionEnvironment,
    ChatMessage,
    ChatModelSetup,
    ChatRequestEvent,
    ChatResponseEvent,
    InputEvent,
    OutputEvent,
    ResourceDescriptor,
    RunResult,
    ScriptedChatModelConnection,
    ScriptRule,
    Tool,
    action,
    chat_model_connection,
    chat_model_setup,
    tool,
)

CALLS: list[int] = []  # tools offered on each model call (this process)


class Counting(ScriptedChatModelConnection):
    """The scripted model, noting how many tools each call offered."""

    def chat(
        self, messages: Sequence[ChatMessage], tools: Sequence[Tool] | None = None, **kwargs: Any
    ) -> ChatMessage:
        CALLS.append(len(tools or []))
        return super().chat(messages, tools, **kwargs)


RULES = [
    ScriptRule(r"budget of this request is spent \((\w+)\)", reply="best effort ({1})"),
    ScriptRule(r"loop", tool_calls=[{"name": "poll", "arguments": {}}]),
    ScriptRule(None, role="tool", tool_calls=[{"name": "poll", "arguments": {}}]),
]


class Looper(Agent):
    """A model that would call ``poll`` forever; the budget ends it."""

    def __init__(self, request_budget: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.request_budget = request_budget

    @chat_model_connection
    @staticmethod
    def scripted() -> ResourceDescriptor:
        return ResourceDescriptor(Counting, rules=RULES)

    @chat_model_setup
    @staticmethod
    def looper() -> ResourceDescriptor:
        return ResourceDescriptor(ChatModelSetup, connection="scripted", tools=["poll"])

    @tool
    @staticmethod
    def poll() -> str:
        """Poll the queue once."""
        return "still waiting"

    @action(InputEvent)
    def ask(self, event: InputEvent, ctx: Any) -> None:
        ctx.send_event(ChatRequestEvent("looper", [event.input], budget=self.request_budget))

    @action(ChatResponseEvent)
    @staticmethod
    def out(event: Any, ctx: Any) -> None:
        attrs = event.attributes
        ctx.send_event(
            OutputEvent(
                {
                    "text": attrs["response"]["content"],
                    "status": attrs.get("status", "ok"),
                    "turns": attrs["turns"],
                    "budget": attrs.get("budget"),
                }
            )
        )


def run(agent: Agent, **config: Any) -> RunResult:
    CALLS.clear()
    env = AgentsExecutionEnvironment.get_execution_environment(config=config)
    return env.from_list([{"key": "k", "value": "loop please"}]).apply(agent).execute()


def test_soft_turn_budget_ends_with_a_final_answer_without_tools(clean_env: None) -> None:
    result = run(Looper(), **{"budget.max-turns": 3})
    (out,) = result.output_values()
    assert out["text"] == "best effort (turns)"
    assert out["status"] == "ok" and out["turns"] == 3
    assert out["budget"]["stopped_by"] == "turns"
    assert out["budget"]["limits"] == {"max_turns": 3, "mode": "soft"}
    assert out["budget"]["spent"]["turns"] == 3
    assert CALLS == [1, 1, 0]  # the third call offered no tools
    assert result.events is not None
    assert [r.event.type for r in result.events].count("_tool_request_event") == 2
    assert result.metrics["action.chat_model_action.budget.turns.softStops"] == 1


def test_hard_token_budget_gives_a_failed_response(clean_env: None) -> None:
    result = run(Looper(), **{"budget.max-tokens": 5, "budget.mode": "hard"})
    (out,) = result.output_values()
    assert out["status"] == "failed" and out["text"] == ""
    assert out["turns"] == 1 and CALLS == [1]
    assert out["budget"]["stopped_by"] == "tokens"
    assert out["budget"]["spent"]["tokens"] >= 5
    response = next(r.event for r in result.events or [] if r.event.type == "_chat_response_event")
    assert "spent its budget (tokens)" in response.attributes["error"]
    assert "'looper'" in response.attributes["error"]
    assert result.metrics["action.chat_model_action.budget.tokens.hardStops"] == 1


def test_request_budget_wins_over_setup_and_agent_options(clean_env: None) -> None:
    options = {"budget.max-turns": 9, "budget.setup.looper.max-turns": 4}
    by_setup = run(Looper(), **options)
    assert by_setup.output_values()[0]["turns"] == 4
    by_request = run(Looper({"max_turns": 2, "mode": "hard"}), **options)
    (out,) = by_request.output_values()
    assert out["status"] == "failed" and out["turns"] == 2
    assert out["budget"]["limits"] == {"max_turns": 2, "mode": "hard"}


def test_wall_time_budget_spent_before_the_first_call(clean_env: None) -> None:
    (out,) = run(Looper(), **{"budget.max-wall-time-ms": 0}).output_values()
    assert out["text"] == "best effort (wall_time)" and CALLS == [0]


def test_no_budget_keeps_chat_max_turns_as_the_guard(clean_env: None) -> None:
    import pytest

    from flink_agents_runtime import ActionFailedError

    with pytest.raises(ActionFailedError, match=r"chat.max-turns=4"):
        run(Looper(), **{"chat.max-turns": 4})


class TwoAsks(Looper):
    """Two chat requests for each input: the input's budget covers both."""

    @action(InputEvent)
    def ask(self, event: InputEvent, ctx: Any) -> None:
        ctx.send_event(ChatRequestEvent("looper", [event.input]))
        ctx.send_event(ChatRequestEvent("looper", [event.input + " again"]))


def test_input_budget_is_shared_by_the_inputs_chat_requests(clean_env: None) -> None:
    result = run(TwoAsks(), **{"budget.input.max-turns": 4})
    outs = result.output_values()
    assert [o["text"] for o in outs] == ["best effort (input_turns)"] * 2
    assert {o["budget"]["stopped_by"] for o in outs} == {"input_turns"}
    # 3 normal calls over both requests, then each request's final answer without tools
    assert sorted(CALLS) == [0, 0, 1, 1, 1]
    assert outs[-1]["budget"]["input_spent"]["turns"] == 5
    assert outs[-1]["budget"]["input_limits"] == {"max_turns": 4, "mode": "soft"}
    assert result.metrics["action.chat_model_action.budget.input_turns.softStops"] == 2


def test_options_read_once_still_follow_a_later_set(clean_env: None) -> None:
    # The chat action reads budget and chat options once per configuration; setting a value
    # between two runs of one environment must still take effect.
    CALLS.clear()
    env = AgentsExecutionEnvironment.get_execution_environment(config={"budget.max-turns": 4})
    data = [{"key": "k", "value": "loop please"}]
    first = env.from_list(data).apply(Looper()).execute()
    assert first.output_values()[0]["turns"] == 4
    env.get_config().set("budget.setup.looper.max-turns", 2)
    env.get_config().set("budget.mode", "hard")
    (out,) = env.from_list(data).apply(Looper()).execute().output_values()
    assert out["status"] == "failed" and out["turns"] == 2
    assert out["budget"]["limits"] == {"max_turns": 2, "mode": "hard"}


def test_resolve_budget_reads_options_once_until_a_value_is_set() -> None:
    from flink_agents_runtime.chat.action._budget import Budget, input_budget, resolve_budget
    from flink_agents_runtime.config._configuration import AgentConfiguration

    config = AgentConfiguration().set("budget.max-turns", 5)
    assert resolve_budget(config, "looper", None) == Budget(max_turns=5, mode="soft")
    assert resolve_budget(config, "looper", None) is resolve_budget(config, "looper", None)
    config.set("budget.setup.looper.max-turns", 2).set("budget.mode", "hard")
    assert resolve_budget(config, "looper", None) == Budget(max_turns=2, mode="hard")
    assert resolve_budget(config, "other", None) == Budget(max_turns=5, mode="hard")
    assert resolve_budget(config, "looper", {"max_tokens": 7, "mode": None}) == Budget(
        max_turns=2, max_tokens=7, mode="hard"
    )
    assert not input_budget(config).limited
    config.set("budget.input.max-tokens", 100)
    assert input_budget(config) == Budget(max_tokens=100, mode="hard")


def test_values_read_once_do_not_travel_with_a_pickled_configuration() -> None:
    import pickle
    import threading

    from flink_agents_runtime.config._configuration import AgentConfiguration

    config = AgentConfiguration().set("budget.max-turns", 5)
    lock = config.derived("a lock", lambda _c: threading.Lock())  # not picklable
    copy = pickle.loads(pickle.dumps(config))
    assert copy.get("budget.max-turns") == 5
    assert copy.derived("a lock", lambda _c: None) is None  # built again in the new process
    assert config.derived("a lock", lambda _c: None) is lock
