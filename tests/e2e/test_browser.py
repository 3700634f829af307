"""Every notebook view in a real JupyterLab with headless Chromium, checked as a person sees it.

One JupyterLab session runs one notebook: a triage run (scripted model and a tool), the
stepper moved from code and then by clicks, the dashboard, the token chart, the inspector, a
field-level diff, the HTML report (opened as a file) and the job-health view (from facts as
a cluster reports them). A second session (marked ``flink``) promotes the triage agent to
the MiniCluster inside the kernel and shows the job with its parity report (verdict,
checks, one row per key). Each view is screenshotted to
``$FA_ARTIFACTS`` (default ``tmp/artifacts`` in the repository, not committed) and the test
asserts on visible text: headers, axis titles, highlighted changes, and no console errors.
Needs Debian's chromium (``.ci/setup`` installs it).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.ports import free_port

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("FA_ARTIFACTS", ROOT / "tmp" / "artifacts"))
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Each cell's output gets a marker class via a "VIEW <name>" line printed before the view.
SETUP = (
    "import sys, warnings\n"
    f"sys.path.insert(0, {str(ROOT)!r})\n"
    "warnings.simplefilter('ignore')\n"
    "import plotly.io as pio\n"
    "import flink_agents_nb as fa\n"
    "from tests.helpers.triage_agent import Triage\n"
    "pio.renderers.default = 'plotly_mimetype'\n"
    "texts = ['where is order 7', 'hello <b>there</b>', 'order 13 please', 'thanks']\n"
)
CELLS = [
    SETUP + "inputs = [{'key': f't{i % 6}', 'value': texts[i % 4]} for i in range(24)]\n"
    "run = fa.local().from_list(inputs).apply(Triage()).execute()",
    # the stepper, moved from code before it is displayed
    "st = run.step()\n"
    "st.add_breakpoint(event_type='_chat_response_event')\n"
    "st.run_to()\n"
    "print(f'EXPECT event {st.position + 1} / {st.total}')\n"
    "st",
    # moved again from code after display
    "st.next(2)\nprint(f'MOVED event {st.position + 1} / {st.total}')",
    "run.plot.dashboard(prices={'triage-v1': (0.15, 0.6)})",
    "run.plot.tokens()",
    "fa.inspect(run)",
    # a field-level diff: a 'prompt change' moves some priorities
    "def triage(rule):\n"
    "    agent = fa.Agent()\n"
    "    agent.add_action('classify', [fa.InputEvent], lambda e, ctx: ctx.send_event(\n"
    "        fa.OutputEvent({'ticket': e.input, 'priority': rule(e.input), 'team': 'ops'})))\n"
    "    return fa.local().from_list([{'key': f't{n}', 'value': n} for n in range(40)])"
    ".apply(agent).execute()\n"
    "before = triage(lambda n: 'P1' if n % 10 == 0 else 'P3')\n"
    "after = triage(lambda n: 'P2' if n % 7 == 0 else ('P1' if n % 10 == 0 else 'P3'))\n"
    "fa.diff(before, after)",
    "run.report('report.html')",
    # the health view, from facts as a cluster's REST API gives them (no cluster needed)
    "from flink_agents_nb.flink._health import SubtaskHealth as Sub, verdict\n"
    "health = fa.JobHealth('3f2a9c0d1e4b5a6978a1b2c3d4e5f601', 'RUNNING', uptime_s=4523.4,\n"
    "    restarts=2, checkpoints_completed=1500, checkpoints_failed=1,\n"
    "    last_checkpoint_age_s=12.3, last_checkpoint_duration_ms=830.0,\n"
    "    last_checkpoint_size_bytes=2_500_000.0, checkpoint_interval_ms=10_000.0,\n"
    "    subtasks=[Sub(0, 'ok', 0.42, 0.0), Sub(1, 'high', 0.97, 0.61)],\n"
    "    records_in=123456, records_out=120001, agent_metrics={'numOfActionsFailed': 3.0},\n"
    '    log_tail=[\'{"recordType": "event", "key": "<b>t1</b>"}\'])\n'
    "health.verdict, health.reasons = verdict(health)\n"
    "health",
]


# The promote-parity view: the triage agent promoted to the MiniCluster inside the kernel (a
# handful of inputs: the cost is the JVM and the job, about 20-50 s), the job displayed.
PROMOTE_CELLS = [
    SETUP + "inputs = [{'key': f't{i % 3}', 'value': texts[i % 4]} for i in range(6)]\n"
    "promoted = fa.promote(Triage(), inputs)\n"
    "print('PROMOTED', promoted.parity.ok)",
    "promoted",
    # how a difference looks: the job's answer for input #4 changed after the fact
    "from dataclasses import replace\n"
    "from flink_agents_nb.flink._parity import compare\n"
    "job = promoted.result\n"
    "changed = [o if o.input_seq != 4 else type(o)(o.key, 4, 'a different answer')\n"
    "           for o in job.outputs]\n"
    "compare(promoted.local.result, replace(job, outputs=changed))",
]


def _notebook(path: Path, cells: list[str]) -> None:
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"c{i}",
                "metadata": {},
                "source": src,
                "outputs": [],
                "execution_count": None,
            }
            for i, src in enumerate(cells)
        ],
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """JupyterLab serving a notebook of :data:`CELLS`; yields the notebook's URL."""
    with _jupyterlab(tmp_path, CELLS) as url:
        yield url


@pytest.fixture
def promote_lab(tmp_path: Path) -> Iterator[str]:
    """JupyterLab serving a notebook of :data:`PROMOTE_CELLS`; yields the notebook's URL."""
    with _jupyterlab(tmp_path, PROMOTE_CELLS) as url:
        yield url


@contextmanager
def _jupyterlab(tmp_path: Path, cells: list[str]) -> Iterator[str]:
    """JupyterLab serving ``tmp_path`` on 127.0.0.1 with ``views.ipynb`` of ``cells``;
    yields the notebook's URL and stops the server (its process group) after."""
    _notebook(tmp_path / "views.ipynb", cells)
    port, token = free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    settings = tmp_path.parent / f"{tmp_path.name}-settings"
    news = settings / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)  # no "get notified about Jupyter news?" toast
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path.parent / f"{tmp_path.name}-rt"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "PLOTLY_RENDERER": "plotly_mimetype",
        # The kernel imports the test agent from the repository (sys.path in SETUP); a Flink
        # worker started by the kernel needs it on its path too, as a user's installed project.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    log = open(tmp_path / "lab.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            f"--IdentityProvider.token={token}",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={tmp_path}",
            "--LabApp.news_url=None",
            "--ServerApp.port_retries=0",
            "--allow-root",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}/api/status?token={token}"
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/lab/tree/views.ipynb?token={token}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _output(page: Any, cell: int) -> Any:
    """The output area of code cell ``cell`` (0-based)."""
    return page.locator(".jp-Notebook .jp-CodeCell").nth(cell).locator(".jp-Cell-outputArea")


def _shot(locator: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _axis_titles(plot: Any) -> list[str]:
    return [
        t.strip()
        for t in plot.locator(
            ".g-xtitle, .g-ytitle, [class*='g-x'][class$='title'], [class*='g-y'][class$='title']"
        ).all_inner_texts()
        if t.strip()
    ]


def _console_error(message: Any, errors: list[str]) -> None:
    """Note a console error with where it came from (a failed resource's message names no
    URL: its location does)."""
    if message.type == "error":
        errors.append(f"{message.text} ({message.location.get('url', '?')})")


@contextmanager
def _lab_page(url: str, height: int, failure_shot: str) -> Iterator[tuple[Any, Any, list[str]]]:
    """The browser (chromium), a page (1400 x ``height``) on the notebook at ``url`` with all
    its cells run, and the list the page's console errors and uncaught exceptions go to; when
    the block fails, a full-page screenshot ``failure_shot`` in the artifacts first."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": height})
        page.on("console", lambda m: _console_error(m, errors))
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            _run_all_cells(page, url)
            yield browser, page, errors
        except Exception:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / failure_shot), full_page=True)
            raise
        finally:
            browser.close()


def _run_all_cells(page: Any, url: str) -> None:
    """Open the notebook at ``url``, wait for an idle kernel, then Run > Run All Cells."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    select = page.locator(".jp-Dialog button:has-text('Select')")
    try:  # JupyterLab may ask which kernel to start
        select.wait_for(timeout=15_000)
        select.click()
    except PlaywrightTimeout:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")


def test_every_view_reads_well_in_jupyterlab(lab: str, tmp_path: Path) -> None:
    with _lab_page(lab, 1700, "failure.png") as (browser, page, errors):
        # -- the stepper: where code left it, then moved from code and by clicks -------
        expect = _output(page, 1).locator("text=/EXPECT event \\d+ \\/ \\d+/")
        expect.wait_for(timeout=90_000)
        pos, total = map(int, re.findall(r"\d+", expect.inner_text())[:2])
        stepper = _output(page, 1)
        moved = _output(page, 2).locator("text=/MOVED event/")
        moved.wait_for(timeout=60_000)
        header = stepper.locator(f".widget-html:has-text('event {pos + 2} / {total}')")
        header.first.wait_for(timeout=20_000)  # the display follows next(2) from code
        assert "stopped at" not in stepper.inner_text()  # a move clears it
        _shot(stepper, "stepper-after-code")
        stepper.locator("button:has-text('run to ▶▶')").click()
        stepper.locator("text=stopped at event_type == '_chat_response_event'").wait_for(
            timeout=20_000
        )
        assert "breakpoints: event_type == '_chat_response_event'" in stepper.inner_text()
        stepper.locator("button:has-text('◀ prev')").click()
        page.wait_for_timeout(500)
        text = stepper.inner_text()
        assert "stopped at" not in text
        assert re.search(r"at \+\d[\d,]*\.\d{3} m?s", text)  # ms since the run started
        assert "_chat." not in text  # internal memory hidden
        box = stepper.locator("input[placeholder='key, or #N for input N']")
        box.fill("#5")
        box.press("Enter")
        stepper.locator("text=/input #5 at/").first.wait_for(timeout=20_000)
        _shot(stepper, "stepper-after-clicks")

        # -- dashboard and token chart: axis titles with units --------------------------
        dash = _output(page, 3).locator(".js-plotly-plot").first
        dash.locator(".main-svg").first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        dash_text = dash.inner_text()
        for title in (
            "seconds since the run started",
            "records per second",
            "duration (ms)",
            "cost (USD)",
            "ms since the input arrived",
            "waterfall of the slowest input: input #",
        ):
            assert title in dash_text, title
        assert "· ·" not in dash_text and "(260)" not in dash_text
        assert "µ" not in dash_text and "$0.0001" in dash_text  # dollars on the cost axis
        _shot(dash, "dashboard")
        tokens = _output(page, 4).locator(".js-plotly-plot").first
        tokens.locator(".main-svg").first.wait_for(timeout=60_000)
        assert "tokens per requesting action" in tokens.inner_text()
        assert "action that asked" in tokens.inner_text()
        _shot(tokens, "token-chart")
        legends = tokens.locator("g.legend, g.legend2").all_text_contents()
        assert sorted(legends) == ["modeltriage-v1", "tokenscompletion tokensprompt tokens"]
        _shot(tokens, "token-chart")

        # -- inspector ----------------------------------------------------------------------
        inspector = _output(page, 5)
        rows = inspector.locator(".fanb-rows select")
        rows.wait_for(timeout=60_000)
        rows.select_option(index=3)  # a click on the fourth row
        box, area = rows.bounding_box(), inspector.bounding_box()
        assert box and area and box["x"] + box["width"] <= area["x"] + area["width"], (
            box,
            area,
        )  # the list of rows fits the output area (nothing cut off on the right)
        inspector.locator("text=/attributes \\{\\d+ keys\\}/").first.wait_for(
            timeout=20_000
        )  # its details, as collapsible JSON
        assert re.search(r"\+0\.000 ms … \+[\d,]+\.\d{3} ms", inspector.inner_text())
        _shot(inspector, "inspector")

        # -- field-level diff --------------------------------------------------------------
        diff = _output(page, 6)
        diff.locator("text=/priority changed on \\d+ of 40 inputs/").first.wait_for(timeout=60_000)
        _shot(diff, "diff")
        assert diff.locator("del").first.text_content() in ("P1", "P3")
        assert diff.locator("ins").first.text_content() == "P2"

        # -- job health ------------------------------------------------------------------
        health = _output(page, 8)
        health.locator("text=degraded").first.wait_for(timeout=60_000)
        text = health.inner_text()
        for seen in (
            "restarted 2 times",
            "subtask 1 is back-pressured (61%)",
            "1 h 15 min 23 s (4,523 s)",
            "12.3 s ago, took 830 ms, 2.4 MiB",
            "123,456 / 120,001",
            "busy 97%, backpressure high (61%)",
        ):
            assert seen in text, seen
        assert health.locator("td").first.evaluate("e => getComputedStyle(e).textAlign") == ("left")
        _shot(health, "health")

        # -- the report, opened as a file -----------------------------------------------
        _output(page, 7).locator("text=report.html").first.wait_for(timeout=90_000)
        report = browser.new_page(viewport={"width": 1400, "height": 1000})
        report.on("console", lambda m: _console_error(m, errors))
        report.on("pageerror", lambda e: errors.append(str(e)))
        report.goto((tmp_path / "report.html").as_uri())
        report.locator("#fanb-dashboard .main-svg").first.wait_for(timeout=60_000)
        report.locator("#fanb-records tbody tr").first.wait_for(timeout=30_000)
        assert re.search(r"of \d+ \([\d,]+ of [\d,]+ records\)", report.inner_text("#fanb-pages"))
        assert "seconds since the run started" in report.inner_text("#fanb-dashboard")
        legends = report.locator("#fanb-tokens g.legend, #fanb-tokens g.legend2")
        assert sorted(legends.all_text_contents()) == [
            "modeltriage-v1",
            "tokenscompletion tokensprompt tokens",
        ]
        align = "e => getComputedStyle(e).textAlign"
        assert report.locator(".fanb-summary td.n").first.evaluate(align) == "right"
        assert report.locator(".fanb-summary td").first.evaluate(align) == "left"
        times = report.locator("#fanb-records tbody td:nth-child(2)").all_inner_texts()
        assert times and all(re.fullmatch(r"\d+\.\d{3}", t) for t in times), times[:5]
        assert "not priced (conf/prices.yaml)" in report.inner_text("body")
        report.fill("#fanb-filter", "lookup_order")
        assert report.locator("#fanb-records tbody tr").count() >= 1
        report.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        assert not errors, errors


@pytest.mark.flink
def test_promote_parity_view_reads_well_in_jupyterlab(promote_lab: str) -> None:
    """The triage agent promoted to the MiniCluster from a JupyterLab kernel: the job's view
    names the Flink job, gives the parity verdict, one row per check and one per key."""
    with _lab_page(promote_lab, 1200, "promote-failure.png") as (_, page, errors):
        promoted = _output(page, 0).locator("text=/PROMOTED (True|False)/")
        try:
            promoted.wait_for(timeout=240_000)
        except Exception:  # the cell's traceback says why, not the locator's timeout
            raise AssertionError(_output(page, 0).inner_text()[-3000:]) from None
        view = _output(page, 1)
        verdict = view.locator(".fanb-verdict")
        verdict.wait_for(timeout=30_000)
        assert verdict.inner_text().startswith("Parity local vs Flink: OK"), view.inner_text()
        assert "all 4 checks pass" in verdict.inner_text()
        text = view.inner_text()
        assert re.search(r"Flink job [0-9a-f]{32} of Triage: 6 inputs -> 6 outputs", text)
        assert "job start included" in text and "events/s" not in text
        checks = view.locator(".fanb-parity > table").first
        heads = [h.strip() for h in checks.locator("th").all_inner_texts()]
        assert heads == ["result", "check", "detail"]
        assert checks.locator("tbody tr").count() == 4
        assert "6 outputs over 3 keys" in checks.inner_text()
        keys = view.locator("table.fanb-keys")
        heads = [h.strip() for h in keys.locator("th").all_inner_texts()]
        assert heads == [
            "key",
            "local outputs",
            "flink outputs",
            "same",
            "outputs (#input: value)",
        ]
        rows = [r.split("\t") for r in keys.locator("tbody tr").all_inner_texts()]
        assert [r[:4] for r in rows] == [[f"t{k}", "2", "2", "✓ yes"] for k in range(3)]
        assert "#0 Status:" in rows[0][4] and "#3 Thanks" in rows[0][4]
        assert "outputs per key: 3 of 3 keys the same" in text
        # left-aligned text and right-aligned counts (JupyterLab right-aligns all cells)
        align = "e => getComputedStyle(e).textAlign"
        assert keys.locator("tbody td").nth(0).evaluate(align) == "left"
        assert keys.locator("tbody td").nth(1).evaluate(align) == "right"
        assert checks.locator("tbody td").nth(2).evaluate(align) == "left"
        _shot(view, "promote-parity")

        different = _output(page, 2)
        verdict = different.locator(".fanb-verdict.fanb-bad")
        verdict.wait_for(timeout=30_000)
        assert verdict.inner_text() == (
            "Parity local vs Flink: DIFFERENT — 1 of 4 checks differ: outputs per key"
        )
        keys = different.locator("table.fanb-keys")
        assert keys.locator("th").last.inner_text().strip() == (
            "first difference (same keys: outputs)"
        )
        first = keys.locator("tbody tr").first.inner_text().split("\t")
        assert first[:4] == ["t1", "2", "2", "✗ no"], first
        assert first[4].startswith('output 2: local #4 \'Status: {"order": "7"')
        assert first[4].endswith("vs flink #4 'a different answer'"), first[4]
        assert f"1 of 3 keys differ; first: key t1, {first[4]}" in different.inner_text()
        assert "outputs per key: 2 of 3 keys the same" in different.inner_text()
        _shot(different, "promote-parity-different")
        assert not errors, errors
