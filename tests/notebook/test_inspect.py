"""The inspector: filters, paging, detail pane, opening the stepper at a row."""

from __future__ import annotations

from pathlib import Path

import flink_agents_nb as fa
from tests.helpers.views_agent import INPUTS, run_agent, write_log


def test_filters_paging_and_detail_on_a_run() -> None:
    run = run_agent(INPUTS * 4)  # 60 records
    ins = fa.inspect(run)
    m = ins.model
    assert (m.total, m.pages, m.page) == (60, 3, 0)
    ins.next_page.click()
    ins.next_page.click()
    ins.next_page.click()  # clamped at the last page
    assert m.page == 2 and "page 3 / 3" in ins.table.value
    ins.type_filter.value = "chat_response"
    assert m.total == 24 and m.page == 0  # 12 events + 12 answer actions
    ins.action_filter.value = "answer"
    assert m.total == 12
    ins.key_filter.value = "b"
    assert m.total == 4
    ins.type_filter.value = ""
    ins.action_filter.value = ""
    ins.key_filter.value = ""
    ins.search.value = "BONJOUR"  # case-insensitive, inside attributes
    assert m.total == 4 * 5  # every record of b inputs (memory writes hold the text too)
    ins.search.value = ""
    lo, hi = ins.time_filter.value
    ins.time_filter.value = (lo, lo)  # only the first instant
    assert 1 <= m.total < 60
    ins.time_filter.value = (lo, hi)
    assert m.total == 60
    ins.row_choice.value = 3
    assert m.selected == 3
    assert "answer" in ins.detail.value and "attributes" in ins.detail.value


def test_open_stepper_at_the_selected_row(tmp_path: Path) -> None:
    run = run_agent()
    log_path = write_log(run, tmp_path / "events.jsonl")
    ins = fa.inspect(log_path)  # a path: read as an event log
    assert ins.model.total == 15
    ins.row_choice.value = 8  # the answer action of key b: handled b's chat_response
    stepper = ins.open_stepper_at_selection()
    assert stepper is ins.stepper
    assert stepper.current["event_type"] == "chat_response" and stepper.current["key"] == "b"
    assert len(ins.stepper_area.outputs) == 1
    ins.row_choice.value = 0
    ins.open_stepper.click()
    assert ins.stepper.position == 0


def test_inspector_is_the_model_and_has_a_widget_like_the_stepper() -> None:
    run = run_agent()
    model = fa.Inspector(run, page_size=5)
    assert model.total == 15 and model.pages == 3
    widget = model.widget()
    assert widget is model.widget() and widget.model is model  # one widget per model
    assert isinstance(fa.inspect(run).model, fa.Inspector)
    assert repr(widget) == repr(model) == f"<Inspector over {run.run_id}: 15 records>"
    assert "text/plain" in model._repr_mimebundle_()
