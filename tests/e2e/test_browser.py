"""Smoke test in real JupyterLab + headless Chromium: run a notebook, move the stepper, see a
plotly chart render. Needs Debian's chromium (``.ci/setup`` installs it)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.ports import free_port

CHROMIUM = "/usr/bin/chromium"
#: Where a failing run leaves a screenshot.
SHOT = Path(os.environ.get("FA_BROWSER_SHOT", "/tmp/flink-agents-nb-browser-failure.png"))
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]

CELLS = [
    "import plotly.io as pio\n"
    "import flink_agents_nb as fa\n"
    "pio.renderers.default = 'plotly_mimetype'",
    "agent = fa.Agent()\n"
    "agent.add_action(\n"
    "    'echo', [fa.InputEvent], lambda e, ctx: ctx.send_event(fa.OutputEvent(e.input))\n"
    ")\n"
    "inputs = [{'key': k, 'value': k * 2} for k in range(3)]\n"
    "run = fa.local().from_list(inputs).apply(agent).execute()",
    "stepper = run.step()\nstepper",
    "run.plot.throughput()",
]


def _notebook(path: Path) -> None:
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
            for i, src in enumerate(CELLS)
        ],
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """JupyterLab serving ``tmp_path`` on 127.0.0.1; yields the notebook's URL."""
    _notebook(tmp_path / "smoke.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path.parent / f"{tmp_path.name}-rt"),
        "PLOTLY_RENDERER": "plotly_mimetype",
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
        yield f"http://127.0.0.1:{port}/lab/tree/smoke.ipynb?token={token}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_stepper_moves_and_chart_renders_in_jupyterlab(lab: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(lab)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            select = page.locator(".jp-Dialog button:has-text('Select')")
            try:  # JupyterLab may ask which kernel to start
                select.wait_for(timeout=15_000)
                select.click()
            except PlaywrightTimeout:
                pass
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
            )
            page.click("li.lm-MenuBar-item:has-text('Run')")
            page.click("li.lm-Menu-item:has-text('Run All Cells')")
            header = page.locator(".widget-html:has-text('event 1 / 6')").first
            header.wait_for(timeout=60_000)
            before = header.inner_text()
            page.locator("button:has-text('next ▶')").first.click()
            moved = page.locator(".widget-html:has-text('event 2 / 6')").first
            moved.wait_for(timeout=20_000)
            after = moved.inner_text()
            assert before != after and "_output_event" in after
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
            assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 1
        except Exception:
            page.screenshot(path=str(SHOT))
            raise
        finally:
            browser.close()
