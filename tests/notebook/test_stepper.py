"""The stepper model and its widget, on a Run and on an event log read from a file."""

from __future__ import annotations

import re

import pytest

import flink_agents_nb as fa
from tests.helpers.views_agent import run_agent, write_log

TYPES = ["_input_event", "chat_response", "_output_event"]


@pytest.fixture(scope="module")
def run() -> fa.Run:
    return run_agent()


@pytest.fixture(scope="module")
def log(run: fa.Run, tmp_path_factory: pytest.TempPathFactory) -> object:
    from flink_agents_nb.eventlog._reader import read_event_log

    return read_event_log(write_log(run, tmp_path_factory.mktemp("log") / "events.jsonl"))


@pytest.fixture(params=["run", "log"])
def stepper(request: pytest.FixtureRequest, run: fa.Run, log: object) -> fa.Stepper:
    return fa.Stepper(run if request.param == "run" else log)


def test_moves_through_events_in_order(stepper: fa.Stepper) -> None:
    assert (stepper.total, stepper.position) == (9, 0)
    seen = [stepper.current["event_type"]]
    for _ in range(10):  # past the end: stays on the last
        seen.append(stepper.next()["event_type"])
    assert seen[:9] == TYPES * 3
    assert stepper.position == 8
    assert stepper.prev(3)["event_type"] == "_output_event"
    assert stepper.position == 5
    assert stepper.jump(-1)["key"] == "a"
    assert stepper.first()["event_type"] == "_input_event"
    with pytest.raises(IndexError, match=r"outside 0\.\.8"):
        stepper.jump(9)


def test_filters_keep_the_cursor_and_combine(stepper: fa.Stepper) -> None:
    stepper.jump(4)  # chat_response of key b
    stepper.filter(key="b")
    assert (stepper.total, stepper.current["event_type"], stepper.current["key"]) == (
        3,
        "chat_response",
        "b",
    )
    stepper.filter(event_type="chat_response")
    assert stepper.total == 3
    assert {stepper.jump(i)["key"] for i in range(3)} == {"a", "b"}
    stepper.filter(action="answer")  # events handled by answer
    assert [stepper.jump(i)["event_type"] for i in range(stepper.total)] == ["chat_response"] * 3
    stepper.filter(key="a", event_type=["_input_event", "_output_event"])
    assert stepper.total == 4
    stepper.filter(key="nobody")
    assert (stepper.total, stepper.position, stepper.current, stepper.view()) == (0, -1, None, None)
    assert stepper.next() is None
    stepper.clear_filters()
    assert stepper.total == 9


def test_breakpoints_stop_where_they_match(stepper: fa.Stepper) -> None:
    bp = stepper.add_breakpoint(action="answer")
    assert stepper.run_to() == bp
    assert stepper.current["event_type"] == "chat_response"
    assert stepper.position == 1
    stepper.clear_breakpoints()
    key_bp = stepper.add_breakpoint(key="b")
    assert stepper.run_to() == key_bp and stepper.position == 3
    pred = stepper.add_breakpoint(predicate=lambda r: r["attributes"].get("output") == "again")
    stepper.remove_breakpoint(key_bp)
    assert stepper.run_to() == pred
    assert stepper.current["attributes"] == {"output": "again"}
    assert stepper.run_to() is None and stepper.position == 8  # none left: at the end
    assert stepper.run_to(key_bp, backward=True) == key_bp and stepper.position == 5
    with pytest.raises(ValueError, match="exactly one"):
        stepper.add_breakpoint(key="a", action="plan")


def test_view_shows_handlers_lineage_memory_and_metrics(stepper: fa.Stepper) -> None:
    stepper.jump(6)  # third input (key a, second for a): its input event
    v = stepper.view()
    assert v.record["attributes"] == {"input": "again"}
    assert [a["action"] for a in v.actions] == ["plan"]
    assert v.actions[0]["status"] == "ok" and v.actions[0]["duration_ms"] >= 0
    assert v.cause is None
    assert [c["event_type"] for c in v.caused] == ["chat_response"]
    assert v.caused[0]["action"] == "plan"
    # short-term memory carries over from the key's first input; sensory is this input's.
    assert v.short_term == {"count": 2, "last": "hello"}
    assert v.sensory == {"question": "again"}
    changes = {(c.memory, c.path): (c.old, c.new, c.new_path) for c in v.changes}
    assert changes == {
        ("short_term", "count"): (1, 2, False),
        ("sensory", "question"): (None, "again", True),
    }
    assert v.metrics["events"] == 7 and v.metrics["actions"] == 5
    assert v.metrics["prompt_tokens"] == 15 + 31
    stepper.next()
    v2 = stepper.view()
    assert v2.cause == {
        "event_id": v.record["event_id"],
        "event_type": "_input_event",
        "action": "plan",
    }
    assert v2.short_term == {"count": 2, "last": "again"}
    stepper.goto_event(v.caused[0]["event_id"])
    assert stepper.position == 7


def test_goto_event_clears_filters_that_hide_it(stepper: fa.Stepper) -> None:
    target = stepper.jump(4)["event_id"]
    stepper.filter(key="a")
    stepper.goto_event(target)
    assert stepper.filters["key"] is None and stepper.position == 4
    with pytest.raises(KeyError, match="no event with id"):
        stepper.goto_event("nope")


def test_widget_drives_the_model_and_survives_redisplay(run: fa.Run) -> None:
    stepper = run.step()
    assert run.step() is stepper
    w = stepper.widget()
    first = w.header.value
    w.next_button.click()
    assert stepper.position == 1 and w.header.value != first
    assert "chat_response" in w.header.value
    assert (w.slider.min, w.slider.value) == (1, 2)  # counts from 1, like the header
    assert "<b>event 2 / 9</b>" in w.header.value
    w.slider.value = 6
    assert stepper.position == 5 and "_output_event" in w.header.value
    assert "<b>event 6 / 9</b>" in w.header.value
    w.type_filter.value = "chat_response"
    assert stepper.total == 3 and w.slider.max == 3
    w.bp_choice.value = ("action", "answer")
    w.bp_add.click()
    assert [bp.describe() for bp in stepper.breakpoints] == ["action == 'answer'"]
    w.type_filter.value = ""
    w.first_button.click()
    w.run_button.click()
    assert stepper.position == 1 and "stopped at" in w.bp_label.value
    assert [b.description for b in w.lineage.children] == [
        "⬑ caused by _input_event",
        "→ _output_event",
    ]
    assert "last" in w.memory_pane.value and "fanb-hl" in w.memory_pane.value  # answer wrote it
    w.lineage.children[1].click()
    assert stepper.current["event_type"] == "_output_event"
    assert "fanb-hl" not in w.memory_pane.value  # no handler: nothing changed
    # No class in Font Awesome's "fa-" namespace (JupyterLab loads it: .fa-table::before
    # put an icon glyph between a table's header and its first row).
    panes = [w.header, w.attributes, w.actions_pane, w.memory_pane, w.metrics_pane, w.bp_label]
    html = "".join(p.value for p in panes) + w.box.children[0].value
    assert "fanb-table" in html
    assert not re.search(r"class=['\"]fa-|\.fa-", html)
    # displayed again: the same widget, same position and filter
    w.key_filter.value = "a"
    bundle = stepper._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert stepper.widget() is w and w.key_filter.value == "a"
    assert stepper.filters["key"] == ["a"] and stepper.current["key"] == "a"


def test_event_log_has_the_same_views(log: object) -> None:
    stepper = log.step()  # type: ignore[attr-defined]
    assert log.step() is stepper  # type: ignore[attr-defined]
    assert stepper.total == 9 and stepper.next()["event_type"] == "chat_response"
    fig = log.plot.dashboard()  # type: ignore[attr-defined]
    assert "9 events, 6 actions" in fig.layout.title.text


def test_widget_follows_moves_and_breakpoints_made_in_code(run: fa.Run) -> None:
    stepper = fa.Stepper(run)
    bp = stepper.add_breakpoint(event_type="_output_event")
    assert stepper.run_to() == bp and stepper.position == 2
    w = stepper.widget()  # built after the move: shows where the cursor is
    assert "<b>event 3 / 9</b>" in w.header.value
    assert (w.slider.value, w.play.value) == (3, 3)
    assert "stopped at event_type == &#x27;_output_event&#x27;" in w.bp_label.value
    stepper.next(3)  # from code, after display
    assert "<b>event 6 / 9</b>" in w.header.value and w.slider.value == 6
    assert "stopped at" not in w.bp_label.value  # a manual move clears it
    stepper.add_breakpoint(action="plan")  # from code: listed in the widget
    assert "action == &#x27;plan&#x27;" in w.bp_label.value
    w.next_button.click()
    w.run_button.click()
    assert "stopped at" in w.bp_label.value
    w.prev_button.click()
    assert "stopped at" not in w.bp_label.value
    stepper.clear_breakpoints()
    assert "no breakpoints" in w.bp_label.value
    w.play.value = 2  # the play button moves the model (no jslink)
    assert stepper.position == 1


def test_goto_box_jumps_to_an_input_or_a_key(run: fa.Run) -> None:
    stepper = fa.Stepper(run)
    w = stepper.widget()
    w.goto_box.value = "#2"
    assert stepper.current["input_seq"] == 2 and stepper.current["event_type"] == "_input_event"
    w.goto_box.value = "b"
    assert stepper.current["key"] == "b" and stepper.position == 3
    w.goto_box.value = "nobody"
    assert "no key &#x27;nobody&#x27;" in w.goto_label.value
    stepper.filter(key="a")
    assert stepper.goto_key("b")["key"] == "b" and stepper.filters["key"] is None
    with pytest.raises(KeyError, match="no event of input 99"):
        stepper.goto_input(99)


def test_times_read_as_ms_since_start_with_the_full_stamp_on_hover(run: fa.Run) -> None:
    stepper = fa.Stepper(run)
    stepper.jump(4)
    html = stepper.widget().header.value
    stamp = stepper.current["timestamp"].isoformat()
    assert re.search(r"at <span title='[^']+'>\+\d+\.\d{3} m?s</span>", html)
    assert f"title='{stamp}'" in html
    assert re.search(
        r"<td>elapsed</td><td>\+\d+\.\d{3} m?s</td>", stepper.widget().metrics_pane.value
    )


def test_internal_memory_is_hidden_unless_asked_for() -> None:
    from tests.helpers.triage_agent import Triage

    run = fa.local().from_list([{"key": "k", "value": "where is order 7"}]).apply(Triage())
    stepper = run.execute().step()
    w = stepper.widget()
    stepper.goto_event(stepper.frame.query("event_type == '_output_event'")["event_id"].iloc[0])
    shown_all = stepper.view().sensory
    assert any(str(k).startswith("_") for k in shown_all)  # the chat loop's bookkeeping
    assert "_chat" not in w.memory_pane.value and "internal entries hidden" in w.memory_pane.value
    w.internals.value = True
    assert "_chat" in w.memory_pane.value
