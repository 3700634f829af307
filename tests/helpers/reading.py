"""What the two-process reader's tests share: the corpus of logs, and small chunks (8 KB,
so that a small log is read in many chunks and the worker's cut falls inside a file).

``from tests.helpers.reading import small_chunks as small_chunks`` makes the fixture apply
to every test of the importing module (it is autouse)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flink_agents_nb.eventlog.files import _files, _parallel

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "eventlog_corpus"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 8 KB, and the worker count from the test itself (not the environment)."""
    monkeypatch.setattr(_files, "CHUNK_BYTES", 8 << 10)
    monkeypatch.delenv(_parallel.WORKERS_ENV, raising=False)
