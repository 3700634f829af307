"""Configuration and inputs checked at the edge (issue 13, items 4, 5, 7, 9): secrets never
echoed, bad files named with file and position, ranges checked, duplicate keys named with
both lines, long messages cut, the kit's non-option variables left alone, YAML's OFF."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import flink_agents_nb as fa
from flink_agents_runtime import (
    Agent,
    AgentConfiguration,
    ConfigError,
    InputEvent,
    OutputEvent,
)
from flink_agents_runtime._errors import InputError
from flink_agents_runtime.config._options import OPTIONS

ROOT = Path(__file__).resolve().parents[2]


def _yaml(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


# -- item 4: secrets ----------------------------------------------------------------------
def test_wrongly_typed_api_key_is_not_echoed(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "agent:\n  openai.api-key: [sk-live-abcdef123456]\n")
    with pytest.raises(ConfigError) as info:
        AgentConfiguration().load_yaml(path)
    assert "sk-live-abcdef123456" not in str(info.value)
    assert "openai.api-key" in str(info.value) and "<hidden list>" in str(info.value)


def test_redis_url_with_password_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        AgentConfiguration.resolve(
            overrides={"actionStateStore.redis.url": {"url": "redis://:hunter2@h:6379"}}
        )
    assert "hunter2" not in str(info.value)


def test_password_in_a_model_url_is_hidden_in_errors_and_repr() -> None:
    from flink_agents_runtime import ChatMessage, ChatModelError, MessageRole
    from flink_agents_runtime import OpenAIChatModelConnection as Conn
    from tests.helpers.ports import free_port

    conn = Conn(f"http://user:pa55word@127.0.0.1:{free_port()}/v1", max_retries=0)
    assert "pa55word" not in repr(conn)
    with pytest.raises(ChatModelError) as info:
        conn.chat([ChatMessage(MessageRole.USER, "x")], model="m")
    assert "pa55word" not in str(info.value) and "user:****@" in str(info.value)


# -- item 5: files with bad bytes -----------------------------------------------------------
def test_config_file_that_is_not_utf8_names_file_and_position(tmp_path: Path) -> None:
    path = _yaml(tmp_path, b"agent:\n  job-identifier: caf\xe9\n")
    with pytest.raises(ConfigError, match=rf"{path}:2:22: not UTF-8 text \(byte 0xe9"):
        AgentConfiguration().load_yaml(path)


def test_control_character_names_file_and_position(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "agent:\n  job-identifier: a\x07b\n")
    with pytest.raises(ConfigError, match=rf"{path}:2:20: character '\\x07' \(U\+0007\)"):
        AgentConfiguration().load_yaml(path)


# -- item 5: inputs -------------------------------------------------------------------------
def _echo() -> Agent:
    def act(event: Any, ctx: Any) -> None:
        ctx.send_event(OutputEvent(output=event.input))

    return Agent().add_action("echo", [InputEvent], act)


def test_dataframe_with_duplicate_column_names_is_a_clear_error() -> None:
    frame = pd.DataFrame([[1, 2, 3]], columns=["key", "value", "value"])
    with pytest.raises(InputError, match=r"duplicate column names \['value'\]"):
        fa.local().from_pandas(frame, key="key")


def test_list_as_a_key_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"input key \[1, 2\] is a list, which cannot be a key"):
        fa.local().from_list([{"key": [1, 2], "value": 1}]).apply(_echo()).execute()


# -- item 7: ranges, duplicates, long messages, keys ------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("num-async-threads", 0, "an integer >= 1"),
        ("max-retries", -1, "an integer >= 0"),
        ("chat.max-turns", 0, "an integer >= 1"),
        ("retry-wait-interval", float("nan"), "a number >= 0"),
        ("metrics.sample-interval-ms", "inf", "a number >= 1"),
        ("openai.timeout", -2, "a number >= 0.001"),
    ],
)
def test_numeric_options_are_range_checked(key: str, value: Any, expected: str) -> None:
    with pytest.raises(ConfigError, match=rf"config key '{key}' from code: .* is not {expected}"):
        AgentConfiguration.resolve(overrides={key: value})


def test_every_numeric_option_refuses_nan() -> None:
    for option in OPTIONS:
        if option.type is float and not option.is_pattern:
            with pytest.raises(ConfigError):
                AgentConfiguration().set(option.key, "nan")


def test_duplicate_yaml_key_names_both_lines(tmp_path: Path) -> None:
    path = _yaml(tmp_path, "agent:\n  max-retries: 1\n  job-identifier: a\n  max-retries: 2\n")
    with pytest.raises(
        ConfigError, match=r"'max-retries' is given twice \(first at line 2, again at line 4\)"
    ):
        AgentConfiguration().load_yaml(path)
    nested = _yaml(tmp_path, "agent:\n  event-log.level: OFF\n  event-log:\n    level: VERBOSE\n")
    with pytest.raises(ConfigError, match=r"first at line 2, again at line 4"):
        AgentConfiguration().load_yaml(nested)


def test_huge_values_and_keys_are_cut_in_messages() -> None:
    with pytest.raises(ConfigError) as info:
        AgentConfiguration.resolve(overrides={"max-retries": "9" * 100_000 + "x"})
    assert len(str(info.value)) < 400 and "(100003 characters)" in str(info.value)
    with pytest.raises(ConfigError) as info:
        AgentConfiguration.resolve(overrides={"k" * 50_000: 1})
    assert len(str(info.value)) < 400


def test_keys_equal_across_types_warn_that_they_share_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def count(event: Any, ctx: Any) -> None:
        n = ctx.short_term_memory.get("n", 0) + 1
        ctx.short_term_memory.set("n", n)
        ctx.send_event(OutputEvent(output=n))

    agent = Agent().add_action("count", [InputEvent], count)
    caplog.set_level(logging.WARNING)
    inputs = [{"key": 1, "value": 0}, {"key": True, "value": 0}, {"key": 1.0, "value": 0}]
    run = fa.local().from_list(inputs).apply(agent).execute()
    assert list(run.outputs["output"]) == [1, 2, 3]  # one key: documented, and warned
    warnings = [r.getMessage() for r in caplog.records if "are equal in Python" in r.getMessage()]
    assert len(warnings) == 1 and "True (bool)" in warnings[0]


# -- item 9: README promises ------------------------------------------------------------------
def test_prices_variable_does_not_break_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("models: {}\n")
    monkeypatch.setenv("FLINK_AGENTS_NB_PRICES", str(prices))
    run = fa.local().from_list([{"key": 1, "value": 2}]).apply(_echo()).execute()
    assert list(run.outputs["output"]) == [2]
    monkeypatch.setenv("FLINK_AGENTS_NB_MAX_RETRYS", "2")  # a typo is still an error
    with pytest.raises(ConfigError, match="did you mean FLINK_AGENTS_NB_MAX_RETRIES"):
        fa.local()


def test_unquoted_off_and_yes_are_read_as_written(tmp_path: Path) -> None:
    path = _yaml(
        tmp_path,
        "agent:\n  event-log.level: OFF\n  event-log.type.x.level: off\n  prettyPrint: yes\n"
        "  job-identifier: 0123\n",
    )
    conf = AgentConfiguration().load_yaml(path)
    assert conf.get("event-log.level") == "OFF" and conf.get("event-log.type.x.level") == "OFF"
    assert conf.get("prettyPrint") is True and conf.get("job-identifier") == "0123"


def test_every_commented_example_in_conf_config_yaml_is_valid_as_written(tmp_path: Path) -> None:
    lines = (ROOT / "conf" / "config.yaml").read_text().splitlines()
    uncommented = []
    for before, line in zip(["", *lines], lines, strict=False):
        # An option's line follows its "# (type; env ...)" line (or the default's note).
        if line.startswith("  # ") and before.startswith("  # ("):
            uncommented.append("  " + line.removeprefix("  # "))
        elif not line.startswith("  # "):
            uncommented.append(line)
    text = "\n".join(uncommented) + "\n"
    assert yaml.safe_load(text)["agent"]["checkpoint.interval-ms"] == 10000
    conf = AgentConfiguration().load_yaml(_yaml(tmp_path, text))
    assert conf.get("event-log.type.*.level") == "OFF"


def test_tool_call_validates_its_arguments() -> None:
    from flink_agents_runtime import Tool, ToolArgumentError

    ran: list[Any] = []

    def lookup(order_id: int, verbose: bool = False) -> str:
        """Look an order up."""
        ran.append(order_id)
        return f"order {order_id}"

    tool = Tool.from_callable(lookup)
    assert tool.call(order_id=7.0) == "order 7"  # a whole float becomes the int
    with pytest.raises(ToolArgumentError, match=r"'lookup'.*order_id"):
        tool.call(order_id="seven")
    with pytest.raises(ToolArgumentError, match=r"missing required argument\(s\) \['order_id'\]"):
        tool.call()
    with pytest.raises(ToolArgumentError, match=r"unknown argument\(s\) \['colour'\]"):
        tool.call(order_id=1, colour="red")
    assert ran == [7]


def test_bad_price_tables_are_clear_errors_or_skipped(tmp_path: Path) -> None:
    from flink_agents_nb.run._costs import load_prices

    with pytest.raises(ConfigError, match=r"price table .*missing.yaml: cannot read it"):
        load_prices(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  m: [1, 2\n")
    with pytest.raises(ConfigError, match=r"price table .*bad.yaml:\d+: invalid YAML"):
        load_prices(bad)
    odd = {"neg": [-1, 2], "nan": {"input": "nan", "output": 1}, "ok": [0.5, 1], "junk": "x"}
    assert load_prices(odd) == {"ok": (0.5, 1.0)}


def test_replay_from_a_bad_event_log_is_a_clear_error(tmp_path: Path) -> None:
    from flink_agents_runtime import ChatModelError, ScriptedChatModelConnection

    deep = tmp_path / "deep.log"
    deep.write_text('{"a": 1}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ChatModelError, match=r"deep.log:2: not a JSON record: nested too deeply"):
        ScriptedChatModelConnection.from_event_log(deep)
    binary = tmp_path / "bin.log"
    binary.write_bytes(b'{"a": 1}\n\xff\xfe\x00\n')
    with pytest.raises(ChatModelError, match=r"bin.log:2: not a JSON record"):
        ScriptedChatModelConnection.from_event_log(binary)
    odd = [{"eventType": "_chat_response_event", "key": [1], "attributes": ["x"]}]
    ScriptedChatModelConnection.from_event_log(odd)  # skipped, no crash
