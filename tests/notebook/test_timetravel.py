"""Replay (offline, from the record) and fork (from an event, with edits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_nb.timetravel._fork import fork
from flink_agents_runtime.timetravel import CALL_MISSING, CODE_CHANGED, MEMORY_DIFFERED
from flink_agents_runtime.timetravel._compare import signatures
from flink_agents_runtime.timetravel._recording import Recording, rows_of_result
from tests.helpers import support_agent
from tests.helpers.openai_server import OpenAIServer
from tests.helpers.support_agent import INPUTS, Support, TerseSupport, record


def _by_input(result: Any) -> list[tuple[list[Any], list[Any]]]:
    rec = Recording(rows_of_result(result))
    return [signatures(i.events, i.actions) for i in rec.inputs]


def _outputs(run: fa.Run) -> list[tuple[Any, Any]]:
    """Outputs in input order (a run lists them as they finished)."""
    return [(o.key, o.value) for o in sorted(run.result.outputs, key=lambda o: o.input_seq)]


def test_replay_of_the_same_agent_is_identical_and_calls_nothing(clean_env: None) -> None:
    run = record()
    support_agent.CALLS.clear()
    rep = fa.replay(run, Support())
    assert support_agent.CALLS == []  # every model and tool answer came from the record
    assert rep.identical and rep.divergences.empty and rep.misses.empty
    assert rep.raw.answered == 6  # 5 model answers and 1 tool answer
    assert _outputs(rep.run) == _outputs(run)
    # Same events, lineage, attributes and memory writes, with ids and times aside ...
    assert _by_input(rep.run.result) == _by_input(run.result)
    # ... and the ids are new: the replay ran the agent again.
    old_ids = {e.event.id for e in run.result.events or []}
    assert not old_ids & {e.event.id for e in rep.run.result.events or []}
    text = rep._repr_mimebundle_()["text/plain"]
    assert "4 inputs, 6 recorded answers served, identical" in text


def test_replay_names_the_first_divergence_when_the_code_changed(clean_env: None) -> None:
    run = record()

    class Shouting(Support):
        @fa.action(fa.ChatResponseEvent)
        @staticmethod
        def answer(event: Any, ctx: Any) -> None:
            reply = event.response.content.upper()
            ctx.send_event(fa.OutputEvent({"reply": reply, "count": 1}))

    rep = fa.replay(run, Shouting())
    div = rep.divergences
    assert len(div) == 4  # every input's output event differs
    first = div.iloc[0].to_dict()
    assert first["reason"] == CODE_CHANGED
    assert first["event_type"] == "_output_event" == first["replay_event_type"]
    assert "attributes.output.reply" in first["detail"]
    # Event 0..n-1 agree: the first differing one is the output, the last event.
    recorded = Recording(rows_of_result(run.result)).inputs[0]
    assert first["position"] == len(recorded.events) - 1
    assert "code changed" in rep.summary()


def test_memory_carried_from_an_earlier_input_is_named(clean_env: None) -> None:
    run = record()

    class CountsTwice(Support):
        @fa.action(fa.InputEvent)
        @staticmethod
        def ask(event: Any, ctx: Any) -> None:
            Support.ask(event, ctx)
            ctx.short_term_memory.set("seen", True)  # a new memory write, same events

    rep = fa.replay(run, CountsTwice())
    reasons = {(r["key"], r["input"]): r["reason"] for r in rep.divergences.to_dict("records")}
    # First input of each key: same events, a new memory write (an action record differs).
    assert reasons[("ada", 0)] == CODE_CHANGED
    assert reasons[("bob", 0)] == CODE_CHANGED
    assert rep.divergences.iloc[0]["position"] == -1
    # Later inputs of ada started with different memory.
    assert reasons[("ada", 1)] == MEMORY_DIFFERED
    assert reasons[("ada", 2)] == MEMORY_DIFFERED


def test_a_call_the_record_lacks_is_named_and_a_fallback_can_answer_it(clean_env: None) -> None:
    run = record()
    frame = run.records
    lost = (frame["key"] == "bob") & (frame["event_type"] == "_chat_response_event")
    partial = frame[~lost.fillna(False)]  # a record that lost bob's model answer
    rep = fa.replay(partial, Support())
    (bob,) = rep.divergences[rep.divergences["key"] == "bob"].to_dict("records")
    assert bob["reason"] == CALL_MISSING
    assert "chat model 'support_model' (key 'bob', input" in bob["detail"]
    assert "model call 1 of key 'bob' input 0; the record holds 0" in bob["detail"]
    assert isinstance(rep.raw.errors[1].__cause__, fa.CallNotRecordedError)
    assert len(rep.divergences) == 1  # ada's inputs replay as recorded
    fallback = fa.ScriptedChatModelConnection(default_reply="from the fallback")
    rep2 = fa.replay(partial, Support(), fallback=fallback)
    assert not rep2.raw.errors and len(rep2.misses) == 1
    assert rep2.divergences.iloc[0]["reason"] == CALL_MISSING
    outputs = rep2.run.outputs
    assert outputs.loc[outputs["key"] == "bob", "output"].tolist() == [
        {"reply": "from the fallback", "count": 1}
    ]


def test_extra_calls_of_changed_code_are_misses_but_the_code_is_the_reason(
    clean_env: None,
) -> None:
    run = record()

    class AsksTwice(Support):
        @fa.action(fa.ChatResponseEvent)
        @staticmethod
        def answer(event: Any, ctx: Any) -> None:
            if event.requested_by == "ask":
                msg = fa.ChatMessage(fa.MessageRole.USER, "and again?")
                args = {"team": "support", "tone": "friendly"}
                ctx.send_event(fa.ChatRequestEvent("support_model", [msg], args))
            else:
                Support.answer(event, ctx)

    rep = fa.replay(run, AsksTwice())
    first = rep.divergences.iloc[0]
    assert first["reason"] == CODE_CHANGED  # the new request came first, from the code
    assert first["replay_event_type"] == "_chat_request_event"
    assert len(rep.misses) == 4  # then each input's second model call found no answer
    assert "the record holds" in rep.misses.iloc[0]["reason"]


def test_replay_of_an_event_log_read_from_files(clean_env: None, tmp_path: Path) -> None:
    env = fa.local(base_log_dir=str(tmp_path), config={"event-log.level": "VERBOSE"})
    env.from_list(INPUTS).apply(Support()).execute()
    log = fa.read_event_log(tmp_path)
    assert not log.problems
    support_agent.CALLS.clear()
    rep = fa.replay(log, Support())
    assert support_agent.CALLS == []
    assert rep.identical, rep.summary()
    assert rep.raw.answered == 6
    # A log does not hold its agent: a setup's prompt change shows once it is named.
    quiet = fa.replay(str(tmp_path), TerseSupport())  # a path works as well
    assert quiet.identical
    named = fa.replay(log, TerseSupport(), recorded_agent=Support())
    assert set(named.divergences["reason"]) == {CALL_MISSING}
    assert "messages[0].content" in named.divergences.iloc[0]["detail"]


def test_a_changed_setup_prompt_is_a_call_the_record_lacks(clean_env: None) -> None:
    run = record()
    rep = fa.replay(run, TerseSupport())  # the run knows its agent
    assert len(rep.divergences) == 4
    first = rep.divergences.iloc[0]
    assert first["reason"] == CALL_MISSING
    assert first["event_type"] in ("_chat_response_event", "_tool_request_event")
    assert first["replay_event_type"] is None  # the unanswered call stopped that input
    assert (
        "the request differs from the recorded agent's at messages[0].content" in (first["detail"])
    )
    assert "You answer for support" in first["detail"] and "Be terse" in first["detail"]


def test_replay_of_a_run_against_a_real_http_model_sends_no_request(clean_env: None) -> None:
    with OpenAIServer() as server:

        class Http(Support):
            @fa.chat_model_connection
            @staticmethod
            def model() -> fa.ResourceDescriptor:
                return fa.ResourceDescriptor(fa.OpenAIChatModelConnection, base_url=server.url)

            @fa.chat_model_setup
            @staticmethod
            def support_model() -> fa.ResourceDescriptor:
                return fa.ResourceDescriptor(
                    fa.ChatModelSetup, connection="model", model="echo", prompt="support_prompt"
                )

        run = fa.local(openai_api_key="sk-test").from_list(INPUTS).apply(Http()).execute()
        sent = len(server.requests)
        assert sent == 4
        rep = fa.replay(run, Http())
        assert len(server.requests) == sent
        assert rep.identical, rep.summary()


def _chat_request(run: fa.Run, key: str, nth: int) -> Any:
    events = run.events
    rows = events[(events["key"] == key) & (events["event_type"] == "_chat_request_event")]
    return rows.iloc[nth]


def test_fork_with_edited_memory_changes_outputs_after_the_fork_only(clean_env: None) -> None:
    run = record()
    inputs = run.events[run.events["event_type"] == "_input_event"]
    at = inputs[inputs["key"] == "ada"].iloc[1]  # ada's second input, before `ask` ran
    support_agent.CALLS.clear()
    fork = run.fork(at, memory={"tone": "formal", "count": 10})
    assert fork.fork_info is not None and fork.fork_info["input"] == 1
    assert fork.fork_info["rerun_inputs"] == 2  # that input and ada's next one
    assert support_agent.CALLS == ["model", "model"]  # only the re-run inputs called
    before, after = _outputs(run), _outputs(fork)
    assert after[:2] == before[:2]  # ada's first input and bob: untouched
    assert after[2] == ("ada", {"reply": "[You answer for support. Tone: formal.] re: thanks",
                                "count": 11})  # fmt: skip
    assert after[3][1]["count"] == 12  # memory went on from the edit
    d = fa.diff(run, fork)
    assert d.changed_keys == ["ada"]
    # The fork is a whole record: every input, the edit as an action record on the fork event.
    assert len(Recording(rows_of_result(fork.result)).inputs) == 4
    (edit,) = [a for a in fork.result.actions or [] if a.action == "_fork_edit"]
    assert edit.event_id == at["event_id"]
    assert ("short_term", "tone", "formal") in edit.memory_writes
    stepper = fork.step()
    stepper.goto_event(at["event_id"])
    assert stepper.view().short_term["tone"] == "formal"


def test_fork_with_an_edited_prompt_keeps_what_came_before(clean_env: None) -> None:
    run = record()
    at = _chat_request(run, "ada", 1)
    fork = run.fork(at["event_id"], agent=TerseSupport())
    old = {(o.key, o.input_seq): o.value for o in run.result.outputs}
    new = {(o.key, o.input_seq): o.value for o in fork.result.outputs}
    ada = sorted(k for k in old if k[0] == "ada")
    assert new[ada[0]] == old[ada[0]]  # before the fork
    assert new[ada[1]]["reply"] == "[Be terse. Team support, tone friendly.] re: thanks"
    assert new[ada[1]]["count"] == old[ada[1]]["count"] == 2  # memory up to the fork kept
    assert new[ada[2]]["reply"].startswith("[Be terse.")
    # The forked input's events up to the fork point are the record's, ids and all.
    seq = int(at["input_seq"])
    kept = [e.event.id for e in fork.result.events or [] if e.input_seq == seq][:2]
    assert kept == [e.event.id for e in run.result.events or [] if e.input_seq == seq][:2]
    assert kept[1] == at["event_id"]


def test_fork_with_another_model_and_from_the_stepper(clean_env: None) -> None:
    run = record()
    stepper = run.step()
    stepper.goto_event(_chat_request(run, "bob", 0)["event_id"])
    model = fa.ScriptedChatModelConnection(default_reply="a different model")
    fork = stepper.fork(model=model)
    assert [o.value for o in fork.result.outputs if o.key == "bob"] == [
        {"reply": "a different model", "count": 1}
    ]
    assert stepper.forks == [fork]
    # The widget's "fork here" button forks at the current event with stepper.fork_options.
    stepper.fork_options = {"model": fa.ScriptedChatModelConnection(default_reply="clicked")}
    widget = stepper.widget()
    widget.fork_button.click()
    assert len(stepper.forks) == 2
    assert "fork at key &#x27;bob&#x27; input 0" in widget.fork_label.value
    assert {"reply": "clicked", "count": 1} in [o.value for o in stepper.forks[1].result.outputs]


def test_fork_errors_name_the_problem(clean_env: None) -> None:
    run = record()
    with pytest.raises(fa.RecordError, match="no event with id 'nope'"):
        run.fork("nope")
    with pytest.raises(fa.FlinkAgentsError, match="needs agent="):
        fork(run.records, run.events.iloc[0])
    with pytest.raises(fa.FlinkAgentsError, match=r"fork\(at=\.\.\.\) takes"):
        run.fork(42)
    unrecorded = fa.local().from_list(INPUTS).apply(Support()).execute(record=False)
    with pytest.raises(fa.NotRecordedError, match="kept no records; execute with record=True"):
        fa.replay(unrecorded, Support())
    with pytest.raises(fa.RecordError, match="no input events"):
        fa.replay(run.records.iloc[0:0], Support())


def test_the_replay_display_escapes_event_content(clean_env: None) -> None:
    agent = fa.Agent()
    agent.add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(e.input))
    )
    run = fa.local().from_list([{"key": 1, "value": "<script>x</script>"}]).apply(agent).execute()
    changed = fa.Agent()
    changed.add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent("<b>"))
    )
    rep = fa.replay(run, changed)
    bundle = rep._repr_mimebundle_()
    assert "&lt;script&gt;" in bundle["text/html"] and "<script>" not in bundle["text/html"]
    assert "<script>x</script>" in bundle["text/plain"]  # plain text is shown as is
    assert bundle == rep._repr_mimebundle_()


def test_a_record_without_input_numbers_is_cut_into_inputs_by_lineage(clean_env: None) -> None:
    frame = record().records.copy()
    frame["input_seq"] = None  # as in logs that number nothing (Apache Flink Agents' own)
    frame["seq"] = None
    rep = fa.replay(frame, Support())
    assert rep.identical, rep.summary()
    assert [(r.key, r.ordinal) for r in rep.raw.inputs.values()] == [
        ("ada", 0),
        ("bob", 0),
        ("ada", 1),
        ("ada", 2),
    ]


def test_fork_with_a_live_http_model_after_the_fork_point(clean_env: None) -> None:
    run = record()
    at = _chat_request(run, "bob", 0)
    with OpenAIServer() as server:
        model = fa.ResourceDescriptor(
            fa.OpenAIChatModelConnection, base_url=server.url, api_key="sk-test"
        )
        fork = run.fork(at["event_id"], model=model)
        (request,) = server.requests
    body = request["body"]
    assert body["model"] == "support-v1"  # the setup's model name, prompt and tools kept
    assert body["messages"][0]["content"] == "You answer for support. Tone: friendly."
    bob = [o.value for o in fork.result.outputs if o.key == "bob"]
    assert bob == [{"reply": "echo: hello", "count": 1}]
