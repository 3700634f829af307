"""The reader and the ``logs`` CLI are never fatal and never blow memory (issue 13, item 3):
every bad input below is a listed problem with its file (and line where there is one), and
the rest of the log is still read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_nb.eventlog.files import _files

CORPUS = Path(__file__).resolve().parents[1] / "eventlog_corpus"


def _reasons(log: fa.EventLog) -> list[str]:
    return [str(p) for p in log.problems]


def test_ten_thousand_deep_json_is_a_problem_and_the_rest_is_read() -> None:
    log = fa.read_event_log(CORPUS / "deep_nesting.log")
    assert list(log.frame["event_id"].dropna()) == ["e1", "e1", "e2"]  # event, action, event
    (problem,) = log.problems
    assert problem.line == 2 and "nested too deeply" in problem.reason


def test_deep_json_in_a_pretty_printed_file(tmp_path: Path) -> None:
    path = tmp_path / "pretty.log"
    deep = '{"a":' * 10000 + "1" + "}" * 10000
    good = '{\n  "recordType": "event", "eventId": "g", "eventType": "x"\n}\n'
    path.write_text(good + '{\n  "eventId": "d", "attributes": ' + deep + "\n}\n" + good)
    log = fa.read_event_log(path)
    assert list(log.frame["event_id"]) == ["g", "g"]
    assert any("nested too deeply" in r and ":4:" in r for r in _reasons(log)), _reasons(log)


def test_list_and_object_identity_fields_are_problems_and_the_stepper_works() -> None:
    log = fa.read_event_log(CORPUS / "odd_identity_fields.log")
    assert len(log.frame) == 3
    reasons = _reasons(log)
    for needle in (
        "eventId is a list",
        "key is an object",
        "actionName is a list",
        "key is a list",
    ):
        assert any(needle in r for r in reasons), (needle, reasons)
    assert all("odd_identity_fields.log:" in r for r in reasons)
    assert log.frame.loc[0, "event_id"] == '["e",1]'
    stepper = log.step()  # used to raise TypeError: unhashable type
    stepper.next()
    assert stepper is not None


def test_gzip_bomb_is_cut_at_the_cap_and_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "MAX_DECOMPRESSED_BYTES", 1 << 20)
    log = fa.read_event_log(CORPUS / "gzip_bomb.log.gz")
    assert list(log.frame["event_id"]) == ["e1"]  # the record before the zeros
    assert any("gzip bomb" in r and "gzip_bomb.log.gz" in r for r in _reasons(log))


def test_fifo_device_empty_path_and_link_loop_are_problems(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.log")
    os.symlink(tmp_path / "b.log", tmp_path / "a.log")
    os.symlink(tmp_path / "a.log", tmp_path / "b.log")
    os.symlink(tmp_path / "gone", tmp_path / "dangling.log")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path, tmp_path / "sub" / "up")  # a directory loop: not followed
    (tmp_path / "sub" / "ok.log").write_text((CORPUS / "ours.log").read_text())
    log = fa.read_event_log(tmp_path)  # returns: the FIFO is never opened
    assert len(log.frame) == 3 and log.files == [str(tmp_path / "sub" / "ok.log")]
    reasons = _reasons(log)
    assert f"{tmp_path / 'pipe.log'}: a FIFO (named pipe), not a regular file; not read" in reasons
    assert f"{tmp_path / 'a.log'}: symbolic link loop; not read" in reasons
    assert f"{tmp_path / 'dangling.log'}: dangling symbolic link; not read" in reasons
    for single, why in [
        (tmp_path / "pipe.log", "FIFO"),
        (Path("/dev/zero"), "a device"),
        (tmp_path / "a.log", "symbolic link loop"),
    ]:
        one = fa.read_event_log(single)
        assert len(one.frame) == 0 and why in _reasons(one)[0]
    empty = fa.read_event_log("")
    assert _reasons(empty) == ["empty path: name an event-log file or directory"]


def test_cli_never_crashes_on_bad_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from flink_agents_nb.cli._main import main

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(["logs", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    os.mkfifo(tmp_path / "pipe.log")
    code, _, err = cli("")
    assert code == 2 and "empty path" in err
    code, _, err = cli(str(tmp_path / "pipe.log"))
    assert code == 2 and "FIFO" in err
    code, out, _ = cli(str(CORPUS / "deep_nesting.log"))
    assert code == 0 and "nested too deeply" in out
    code, out, _ = cli(str(CORPUS / "odd_identity_fields.log"), "--json")
    assert code == 0 and "eventId is a list" in out


def test_cli_refuses_a_non_positive_max_rows(capsys: pytest.CaptureFixture[str]) -> None:
    from flink_agents_nb.cli._main import main

    with pytest.raises(SystemExit) as info:
        main(["logs", str(CORPUS / "ours.log"), "--max-rows", "-5"])
    assert info.value.code == 2 and "-5 is not an integer >= 1" in capsys.readouterr().err
