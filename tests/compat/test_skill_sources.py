"""Skill sources as Flink Agents documents them: ``from_local_dir`` takes ``.zip`` files
too, and ``from_url`` a zip over HTTP (here a loopback server started by the test)."""

from __future__ import annotations

import functools
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.skills import Skills

SKILLS = Path(__file__).resolve().parents[1] / "helpers" / "skills"


def _zip(path: Path, members: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for file in SKILLS.rglob("*"):
            if file.is_file():
                archive.write(file, file.relative_to(SKILLS).as_posix())
        for name, text in (members or {}).items():
            archive.writestr(name, text)
    return path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    _zip(tmp_path / "skills.zip")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_zip_file_holds_skill_folders(tmp_path: Path) -> None:
    from_dir = Skills.from_local_dir(str(SKILLS)).load()
    from_zip = Skills.from_local_dir(str(_zip(tmp_path / "s.zip"))).load()
    assert sorted(from_zip) == sorted(from_dir) == ["refund-policy", "shipping-delays"]
    assert from_zip["refund-policy"].instructions == from_dir["refund-policy"].instructions


def test_a_zip_over_http(served: str) -> None:
    loaded = Skills.from_url(f"{served}/skills.zip").load()
    assert sorted(loaded) == ["refund-policy", "shipping-delays"]
    with pytest.raises(fa.FlinkAgentsError, match=r"could not be fetched"):
        Skills.from_url(f"{served}/missing.zip").load()
    with pytest.raises(fa.FlinkAgentsError, match=r"takes http\(s\) URLs"):
        Skills.from_url("/tmp/skills.zip")


def test_a_zip_member_leaving_the_directory_is_refused(tmp_path: Path) -> None:
    bad = _zip(tmp_path / "bad.zip", {"../escape/SKILL.md": "---\nname: x\n---\n"})
    with pytest.raises(fa.FlinkAgentsError, match=r"'../escape/SKILL.md' would be written"):
        Skills.from_local_dir(str(bad)).load()
    assert not (tmp_path.parent / "escape").exists()
