"""Untrusted event content (keys, attributes, model names, event types, memory) reaches HTML
only escaped: in the stepper widget, the inspector, mimebundles, chart labels and the report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_runtime import Event, InputEvent, OutputEvent

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
EVIL_TYPE = "<b onmouseover=alert(2)>evil</b>"
RAW = ("<script", "<img", "<b onmouseover")


def ask(event: Any, ctx: Any) -> None:
    ctx.short_term_memory.set(SCRIPT, IMG)
    ctx.sensory_memory.set("q", event.input)
    ctx.send_event(
        Event(
            type=EVIL_TYPE,
            attributes={
                "text": SCRIPT + IMG,
                "model": IMG,
                "promptTokens": 5,
                "completionTokens": 1,
            },
        )
    )


def reply(event: Any, ctx: Any) -> None:
    ctx.send_event(OutputEvent(output=event.text))


@pytest.fixture(scope="module")
def run() -> fa.Run:
    agent = fa.Agent()
    agent.add_action("ask", [InputEvent], ask)
    agent.add_action("reply", [EVIL_TYPE], reply)
    env = fa.local()
    inputs = [{"key": SCRIPT, "value": IMG}, {"key": IMG, "value": SCRIPT}]
    return env.from_list(inputs).apply(agent).execute(record=True)


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: raw {raw!r} reached HTML"


def html_values(widget: Any) -> list[str]:
    """Every HTML string inside a widget tree."""
    import ipywidgets as w

    out = []
    if isinstance(widget, (w.HTML, w.HTMLMath)):
        out.append(widget.value)
    for child in getattr(widget, "children", ()):
        out.extend(html_values(child))
    return out


def test_stepper_widget_escapes_everything(run: fa.Run) -> None:
    stepper = run.step()
    w = stepper.widget()
    w.bp_choice.value = ("event_type", EVIL_TYPE)
    w.bp_add.click()
    w.run_button.click()
    seen = []
    for i in range(stepper.total):
        stepper.jump(i)
        for value in html_values(w.box):
            assert_escaped(value, f"stepper event {i}")
            seen.append(value)
    text = "".join(seen)
    assert "&lt;script&gt;" in text and "&lt;img src=x onerror=" in text
    assert "&lt;b onmouseover=alert(2)&gt;" in text


def test_inspector_and_mimebundles_escape(run: fa.Run) -> None:
    ins = fa.inspect(run)
    details = []
    for row in ins.model.page_rows().index:
        ins.row_choice.value = row
        assert_escaped(ins.table.value, "inspector table")
        assert_escaped(ins.detail.value, "inspector detail")
        details.append(ins.detail.value)
    assert any("&lt;script&gt;" in d for d in details)
    # The clickable rows are a listbox: its labels are text (ipywidgets sets option text),
    # so they hold the raw characters and never markup.
    assert any("<script>" in label for label, _ in ins.row_choice.options)
    for obj in (run, fa.diff(run, run)):
        bundle = obj._repr_mimebundle_()
        assert_escaped(bundle["text/html"], type(obj).__name__)


def test_event_log_mimebundle_escapes(run: fa.Run, tmp_path: Path) -> None:
    from flink_agents_nb.eventlog._reader import read_event_log
    from tests.helpers.views_agent import write_log

    log = read_event_log(write_log(run, tmp_path / "evil.jsonl"))
    assert_escaped(log._repr_mimebundle_()["text/html"], "EventLog")
    stepper = fa.Stepper(log)
    stepper.last()
    for value in html_values(stepper.widget().box):
        assert_escaped(value, "stepper over a log")


def test_chart_labels_and_hover_are_escaped(run: fa.Run) -> None:
    p = run.plot
    for fig in (p.throughput(), p.latency(), p.tokens(), p.waterfall(key=SCRIPT), p.dashboard()):
        text = json.dumps(fig.to_plotly_json(), default=str)
        assert_escaped(text, fig.layout.title.text or "chart")
    names = {t.name for t in p.throughput().data}
    assert "event: &lt;b onmouseover=alert(2)&gt;evil&lt;/b&gt;" in names
    wf = json.dumps(p.waterfall(key=IMG).to_plotly_json(), default=str)
    assert "&lt;img src=x onerror=" in wf


def test_report_escapes_records_and_chart_data(run: fa.Run, tmp_path: Path) -> None:
    import base64
    import gzip

    text = run.report(tmp_path / "evil.html").read_text(encoding="utf-8")
    packed = dict(
        re.findall(r"<script type='application/octet-stream' id='([^']+)'>([^<]*)</script>", text)
    )
    assert all(re.fullmatch(r"[A-Za-z0-9+/=]*", v) for v in packed.values())  # never markup

    def unpack(name: str) -> str:
        return gzip.decompress(base64.b64decode(packed[name])).decode("utf-8")

    figures = unpack("fanb-data-figures")  # chart labels escaped for plotly's HTML subset
    assert_escaped(figures, "report chart data")
    assert "&lt;b onmouseover=alert(2)&gt;" in figures
    records = unpack("fanb-data-records")  # raw text, put on the page as text nodes only
    assert "<img src=x onerror=" in records
    (page_script,) = [
        s for s in re.findall(r"<script>(.*?)</script>", text, flags=re.S) if "unpack" in s
    ]
    assert "textContent" in page_script and "innerHTML" not in page_script
    outside = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)
    assert_escaped(outside, "report html")
