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


def test_rows_are_clicked_to_select_and_details_fold() -> None:
    import ipywidgets as w

    from flink_agents_nb.inspector._widget import header_line, json_tree

    run = run_agent()
    ins = fa.inspect(run)
    assert isinstance(ins.row_choice, w.Select)  # a list of rows to click, not a dropdown
    labels = [label for label, _ in ins.row_choice.options]
    assert len(labels) == 15 and labels[2].startswith("2\u00a0")
    assert all(len(lb) > len(header_line()) - 12 for lb in labels)  # padded into columns
    header = header_line().replace("\u00a0", " ")
    line = labels[3].replace("\u00a0", " ")
    assert line[header.index("action") :].startswith("answer")  # columns line up
    ins.row_choice.value = 3  # a click on the fourth row
    assert ins.model.selected == 3 and "<details open><summary>" in ins.detail.value
    # Collapsible JSON: nested containers fold, the top level is open.
    tree = json_tree({"a": {"b": [1, 2]}, "s": "<x>"})
    assert tree.count("<details") == 3 and tree.count("<details open>") == 1
    assert "[2 items]" in tree and "&lt;x&gt;" in tree
    one = json_tree({"a": [1], "b": {"c": 1}})
    assert "[1 item]" in one and "{1 key}" in one and "{2 keys}" in one


def test_time_filter_reads_out_its_whole_range_in_ms() -> None:
    ins = fa.inspect(run_agent())
    assert ins.time_filter.readout is False
    span_ms = ins.model.span_s * 1000
    assert f"+{span_ms:,.3f} ms" in ins.time_label.value and "+0.000 ms" in ins.time_label.value


def test_row_attributes_are_cut_to_fit_the_output_area() -> None:
    from flink_agents_nb.inspector._widget import ATTRIBUTE_CHARS, header_line

    agent = fa.Agent()
    agent.add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent("y" * 500))
    )
    run = fa.local().from_list([{"key": "k", "value": "x" * 500}]).apply(agent).execute()
    ins = fa.inspect(run)
    labels = [label for label, _ in ins.row_choice.options]
    header = header_line().replace("\u00a0", " ")
    assert "took (ms)" in header  # the duration column names its unit
    width = header.index("attributes")
    assert all(len(label) <= width + ATTRIBUTE_CHARS for label in labels)
    assert any(label.endswith("…") for label in labels)  # a cut shows it is cut
    ins.row_choice.value = 0
    assert "x" * 500 in ins.detail.value  # the details keep the whole value
