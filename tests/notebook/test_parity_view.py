"""The parity report's view, built from two local runs (no JVM): verdict, checks, one row
per key with the first difference, differing keys first, escaped values."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from typing import Any

import flink_agents_nb as fa
from flink_agents_nb.flink._parity import KEY_ROWS, compare
from flink_agents_runtime import InputEvent, OutputEvent, RunResult
from flink_agents_runtime.engine.reporting._run import Output


def _run(n_keys: int) -> fa.Run:
    agent = fa.Agent()
    agent.add_action(
        "echo",
        [InputEvent],
        lambda e, ctx: ctx.send_event(OutputEvent({"said": e.input})),
    )
    inputs = [{"key": f"k{i % n_keys}", "value": f"<i>hi</i> {i}"} for i in range(2 * n_keys)]
    return fa.local().from_list(inputs).apply(agent).execute()


def _with_outputs(result: RunResult, outputs: list[Output]) -> RunResult:
    return replace(result, outputs=outputs)


def _cells(html: str, table_class: str) -> list[list[str]]:
    body = html.split(f"class='fanb-table {table_class}'", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1])
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", c.replace("<br>", "\n")))
            for c in re.findall(r"<td[^>]*>(.*?)</td>", r)
        ]
        for r in rows
    ]


def test_equal_runs_show_a_green_verdict_and_each_keys_outputs() -> None:
    run = _run(3)
    report = compare(run.result, run.result)
    html: Any = report._repr_mimebundle_()["text/html"]
    assert "fanb-verdict fanb-ok'>Parity local vs Flink: OK" in html
    assert "all 4 checks pass: the job matches the local run" in html
    assert "<th>result</th><th>check</th><th>detail</th>" in html
    assert "outputs per key: 3 of 3 keys the same" in html
    assert (
        "<th>key</th><th>local outputs</th><th>flink outputs</th><th>same</th>"
        "<th>outputs (#input: value)</th>" in html
    )
    rows = _cells(html, "fanb-keys")
    assert [r[:4] for r in rows] == [[f"k{k}", "2", "2", "✓ yes"] for k in range(3)]
    # the outputs by input number; the untrusted text escaped in the HTML
    assert rows[0][4] == '#0 {"said": "<i>hi</i> 0"}\n#3 {"said": "<i>hi</i> 3"}'
    assert "<i>hi" not in html
    frame = report.per_key()
    assert list(frame.columns) == ["key", "local_outputs", "flink_outputs", "same", "detail"]
    assert frame["same"].all() and frame["local_outputs"].tolist() == [2, 2, 2]
    assert frame["detail"][0] == '#0 {"said": "<i>hi</i> 0"}; #3 {"said": "<i>hi</i> 3"}'


def test_a_differing_key_comes_first_with_its_first_difference() -> None:
    run = _run(30)
    outs = list(run.result.outputs)
    i = next(n for n, o in enumerate(outs) if o.key == "k17" and o.input_seq == 47)
    outs[i] = Output("k17", 47, {"said": "changed"})
    report = compare(run.result, _with_outputs(run.result, outs))
    html: Any = report._repr_mimebundle_()["text/html"]
    assert "fanb-verdict fanb-bad'>Parity local vs Flink: DIFFERENT" in html
    assert "1 of 4 checks differ: outputs per key" in html
    assert "&#10007; differs</td><td>outputs per key" in html
    assert "<th>first difference (same keys: outputs)</th>" in html
    rows = _cells(html, "fanb-keys")
    assert len(rows) == KEY_ROWS  # capped; the frame has every key
    assert rows[0][:4] == ["k17", "2", "2", "✗ no"]
    assert rows[0][4] == (
        'output 2: local #47 {"said": "<i>hi</i> 47"} vs flink #47 {"said": "changed"}'
    )
    assert report.checks[0].detail == f"1 of 30 keys differ; first: key k17, {rows[0][4]}"
    assert all(r[3] == "✓ yes" for r in rows[1:])
    assert f"29 of 30 keys the same; {30 - KEY_ROWS} more keys not listed" in html
    assert len(report.per_key()) == 30


def test_a_key_missing_on_one_side_is_named() -> None:
    run = _run(2)
    outs = [o for o in run.result.outputs if not (o.key == "k1" and o.input_seq == 3)]
    report = compare(run.result, _with_outputs(run.result, outs))
    (row,) = [
        r for r in _cells(report._repr_mimebundle_()["text/html"], "fanb-keys") if r[0] == "k1"
    ]
    assert row[1:4] == ["2", "1", "✗ no"]
    assert row[4].startswith("output 2: local #3 ") and row[4].endswith(" vs flink none")
    assert repr(report).startswith("parity: DIFFERENT")  # the text form is unchanged


def test_a_key_with_many_outputs_lists_the_first_few() -> None:
    run = _run(1)  # two outputs for k0
    outs = [Output("k0", n, {"said": "x" * 300}) for n in range(9)]
    report = compare(_with_outputs(run.result, outs), _with_outputs(run.result, outs))
    (key,) = report.keys
    lines = key.lines()
    assert len(lines) == 6 and lines[-1] == "… 4 more outputs"
    assert all(len(line) <= 160 for line in lines) and lines[0].endswith("…")
    html: Any = report._repr_mimebundle_()["text/html"]
    assert html.count("<br>") == 5  # one line per output in the cell


def test_a_string_output_is_shown_as_it_is_in_a_difference() -> None:
    run = _run(1)
    a = [Output("k0", 0, 'Status: {"order": "7"}')]
    b = [Output("k0", 0, "other")]
    report = compare(_with_outputs(run.result, a), _with_outputs(run.result, b))
    assert report.keys[0].detail() == (
        "output 1: local #0 'Status: {\"order\": \"7\"}' vs flink #0 'other'"
    )
    assert "\\" not in report.checks[0].detail  # no JSON backslashes
