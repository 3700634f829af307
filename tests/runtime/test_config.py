"""Configuration: declared options, typed parsing, sources in order, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import flink_agents_nb as fa
from flink_agents_runtime import OPTIONS, AgentConfiguration, env_var_name
from flink_agents_runtime.config._options import render_config_yaml

pytestmark = pytest.mark.usefixtures("clean_env")
ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_typed_values_from_code() -> None:
    conf = AgentConfiguration()
    assert conf.get("error-handling-strategy") == "fail"
    assert conf.get("max-retries") == 3
    conf.set("chat.async", "false").set("max-retries", "5").set("retry-wait-interval", 2)
    assert conf.get("chat.async") is False
    assert conf.get("max-retries") == 5
    assert conf.get("retry-wait-interval") == 2.0
    conf.set("event-log.level", "verbose")
    assert conf.get("event-log.level") == "VERBOSE"
    assert conf.source_of("max-retries") == "code"
    assert conf.source_of("baseLogDir") == "default"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("max-retries", "three", "'three' is not an integer"),
        ("max-retries", True, "True is not an integer"),
        ("chat.async", "maybe", "is not a boolean"),
        ("error-handling-strategy", "explode", "not one of fail, ignore, retry"),
        ("retry-wait-interval", [1], "is not a number"),
    ],
)
def test_bad_values_name_key_source_and_expected_type(
    key: str, value: object, expected: str
) -> None:
    with pytest.raises(fa.ConfigError, match=expected) as info:
        AgentConfiguration().set(key, value)
    assert info.value.key == key
    assert f"config key {key!r} from code" in str(info.value)


def test_unknown_key_suggests_the_closest() -> None:
    with pytest.raises(fa.ConfigError, match="did you mean 'max-retries'"):
        AgentConfiguration().set("max-retry", 1)


def test_yaml_nested_and_dotted_keys_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "taskmanager.numberOfTaskSlots: 2\n"
        "agent:\n"
        "  event-log:\n"
        "    level: VERBOSE\n"
        "  error-handling-strategy: retry\n"
        "  chat.async: 'no'\n"
    )
    conf = AgentConfiguration().load_yaml(path)
    assert conf.get("event-log.level") == "VERBOSE"
    assert conf.get("error-handling-strategy") == "retry"
    assert conf.get("chat.async") is False
    assert conf.source_of("error-handling-strategy") == f"{path}:5"


def test_yaml_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("agent:\n  max-retries: 3\n  max-retires: 4\n")
    with pytest.raises(fa.ConfigError, match=rf"'max-retires' from {path}:3; did you mean"):
        AgentConfiguration().load_yaml(path)
    path.write_text("agent:\n  max-retries: [3\n")
    with pytest.raises(fa.ConfigError, match=rf"{path}:\d+: invalid YAML"):
        AgentConfiguration().load_yaml(path)
    path.write_text("agent:\n  num-async-threads: lots\n")
    with pytest.raises(fa.ConfigError, match=rf"from {path}:2: 'lots' is not an integer"):
        AgentConfiguration().load_yaml(path)


def test_sources_in_order_defaults_yaml_env_code(tmp_path: Path) -> None:
    conf_dir = tmp_path / "flink-conf"
    conf_dir.mkdir()
    (conf_dir / "config.yaml").write_text(
        "agent:\n  max-retries: 7\n  retry-wait-interval: 0.5\n  job-identifier: from-yaml\n"
    )
    environ = {
        "FLINK_CONF_DIR": str(conf_dir),
        "FLINK_AGENTS_NB_RETRY_WAIT_INTERVAL": "0.25",
        "FLINK_AGENTS_NB_JOB_IDENTIFIER": "from-env",
    }
    conf = AgentConfiguration.resolve(
        environ=environ, overrides={"job-identifier": "from-code"}, cwd=tmp_path
    )
    assert conf.get("max-retries") == 7
    assert conf.source_of("max-retries").endswith("config.yaml:2")
    assert conf.get("retry-wait-interval") == 0.25
    assert conf.source_of("retry-wait-interval") == "env FLINK_AGENTS_NB_RETRY_WAIT_INTERVAL"
    assert conf.get("job-identifier") == "from-code"


def test_unknown_environment_variable_is_an_error() -> None:
    with pytest.raises(fa.ConfigError, match="FLINK_AGENTS_NB_MAX_RETRYS; did you mean"):
        AgentConfiguration().load_env({"FLINK_AGENTS_NB_MAX_RETRYS": "2"})


def test_env_var_naming_rule() -> None:
    assert env_var_name("error-handling-strategy") == "FLINK_AGENTS_NB_ERROR_HANDLING_STRATEGY"
    assert env_var_name("baseLogDir") == "FLINK_AGENTS_NB_BASE_LOG_DIR"
    assert env_var_name("event-log.standard.max-depth") == (
        "FLINK_AGENTS_NB_EVENT_LOG_STANDARD_MAX_DEPTH"
    )


def test_pattern_options_per_event_type() -> None:
    conf = AgentConfiguration().set("event-log.type._chat_response_event.level", "off")
    assert conf.get("event-log.type._chat_response_event.level") == "OFF"


def test_secrets_never_appear_in_repr_or_dict() -> None:
    from flink_agents_runtime.config._configuration import _mask
    from flink_agents_runtime.config._options import ConfigOption

    secret = ConfigOption("openai.api-key", str, None, "test")
    assert secret.secret and _mask(secret, "sk-123") == "****"
    assert not OPTIONS[0].secret


def test_local_keyword_names_map_to_keys() -> None:
    env = fa.local(max_retries=9, base_log_dir="/tmp/x", chat_async=False)
    conf = env.get_config()
    assert (conf.get("max-retries"), conf.get("baseLogDir"), conf.get("chat.async")) == (
        9,
        "/tmp/x",
        False,
    )
    with pytest.raises(fa.ConfigError, match="unknown option no_such_thing= in local"):
        fa.local(no_such_thing=1)


def test_a_keyword_typo_is_suggested_in_the_spelling_typed() -> None:
    with pytest.raises(fa.ConfigError, match=r"max_retrys=.*did you mean max_retries= "):
        fa.local(max_retrys=3)
    with pytest.raises(fa.ConfigError, match=r"did you mean base_log_dir= \(option 'baseLogDir'"):
        fa.local(base_log_dri="logs")


def test_conf_config_yaml_documents_every_option_with_its_default() -> None:
    text = (ROOT / "conf" / "config.yaml").read_text()
    assert text == render_config_yaml(), (
        "conf/config.yaml is out of date: regenerate it with "
        "`python -m flink_agents_runtime.config._options > conf/config.yaml`"
    )
    conf = AgentConfiguration().load_yaml(ROOT / "conf" / "config.yaml")
    for key, value in conf.explicit().items():
        assert value == AgentConfiguration().get(key), key
