"""Objects users display show a compact summary: deterministic text and escaped HTML."""

from __future__ import annotations

import pytest

import flink_agents_nb as fa

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
pytestmark = pytest.mark.usefixtures("clean_env")


def assert_escaped(html_text: str) -> None:
    assert "<script>" not in html_text
    assert "<img" not in html_text
    assert "&lt;script&gt;" in html_text


def test_event_bundle_shows_type_lineage_and_escaped_attributes() -> None:
    event = fa.Event(type=f"note{PAYLOAD}", text=PAYLOAD, n=3)
    event.id, event.key, event.upstream_action_name = "e-1", "k", "act"
    bundle = event._repr_mimebundle_()
    assert bundle["text/plain"].splitlines() == [
        f"Event note{PAYLOAD}",
        '  id               "e-1"',
        '  key              "k"',
        '  upstream action  "act"',
        f'  attributes.text  "{PAYLOAD}"',
        "  attributes.n     3",
    ]
    assert_escaped(bundle["text/html"])


def test_long_attribute_values_are_summarised() -> None:
    bundle = fa.Event(type="big", blob="x" * 10_000)._repr_mimebundle_()
    assert len(bundle["text/plain"]) < 200
    assert bundle["text/plain"].endswith("…")


def test_config_bundle_lists_changed_options_with_sources_and_masks_secrets() -> None:
    conf = fa.AgentConfiguration().set("max-retries", 7).set("openai.api-key", "sk-secret")
    conf.set("chat.async", True)  # the default: not listed
    bundle = conf._repr_mimebundle_()
    lines = bundle["text/plain"].splitlines()
    assert lines[0] == "AgentConfiguration: 2 options differ from their defaults"
    assert any(line.split() == ["max-retries", "7", "code"] for line in lines)
    assert "sk-secret" not in bundle["text/plain"] + bundle["text/html"]
    assert '"****"' in bundle["text/plain"]


def test_metric_snapshot_bundle_orders_agent_metrics_before_actions() -> None:
    agent = fa.Agent().add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(output=e.input))
    )
    run = fa.local().from_list([{"key": 1, "value": PAYLOAD}]).apply(agent).execute()
    snapshot = run.metric_counts
    assert isinstance(snapshot, fa.MetricSnapshot) and snapshot["numOfEventProcessed"] == 2
    lines = snapshot._repr_mimebundle_()["text/plain"].splitlines()
    assert lines[0] == "metrics (8)"
    names = [line.split()[0] for line in lines[1:]]
    assert names[:6] == [
        "numOfActionsExecuted",
        "numOfActionsExecutedPerSec",
        "numOfEventProcessed",
        "numOfEventProcessedPerSec",
        "numOfInputRunsFailed",  # Flink Agents 0.4's input-run counts, both from the start
        "numOfInputRunsSucceeded",
    ]
    assert names[6:] == [
        "action.echo.numOfActionsExecuted",
        "action.echo.numOfActionsExecutedPerSec",
    ]


def test_bundles_honour_include_and_exclude() -> None:
    agent = fa.Agent().add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(output=e.input))
    )
    run = fa.local().from_list([{"key": 1, "value": PAYLOAD}]).apply(agent).execute()
    shown = [fa.Event(type="note", text=PAYLOAD), fa.AgentConfiguration(), run, run.metric_counts]
    for obj in shown:
        full = obj._repr_mimebundle_()
        assert {"text/plain", "text/html"} <= set(full), type(obj).__name__
        assert set(obj._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}
        assert "text/html" not in obj._repr_mimebundle_(exclude=["text/html"])
        assert obj._repr_mimebundle_(include=["text/plain"], exclude=["text/plain"]) == {}


def test_one_display_helper_and_one_short() -> None:
    import ast
    from pathlib import Path

    from flink_agents_nb import _html
    from flink_agents_runtime import _display

    assert _html.short is _display.short
    assert _display.short("a\nb", quote=False) == "a b"
    assert _display.short("ab") == '"ab"'
    assert _display.short("x" * 50, 10, quote=False) == "x" * 9 + "…"
    root = Path(__file__).resolve().parents[2]
    own = []
    for folder in (root / "runtime" / "flink_agents_runtime", root / "flink_agents_nb"):
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef) and node.name == "_repr_mimebundle_":
                    own.append(path.name)
    assert own == ["_display.py"]  # everything else writes _mimebundle() and uses the mixin


def test_run_display_previews_outputs_in_input_order_and_says_how_many() -> None:
    agent = fa.Agent()
    agent.add_action(
        "echo", [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(e.input))
    )
    inputs = [{"key": f"k{i % 3}", "value": f"{PAYLOAD} {i}"} for i in range(8)]
    html_text = fa.local().from_list(inputs).apply(agent).execute()._repr_mimebundle_()["text/html"]
    assert "first 5 of 8 outputs" in html_text
    # the shared left-aligned table (JupyterLab right-aligns plain HTML tables)
    assert "<table class='fanb-table'><thead><tr><th>key</th><th>input #</th>" in html_text
    assert "table.fanb-table.fanb-table td" in html_text
    cells = html_text.split("<tbody>", 1)[1]
    assert [cells.index(f"<td>{i}</td>") for i in range(5)] == sorted(
        cells.index(f"<td>{i}</td>") for i in range(5)
    )
    assert_escaped(html_text)
