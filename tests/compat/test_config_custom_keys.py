"""Flink Agents' custom configuration keys (``set_str`` and the like on a key no option
declares): read back with a default, converted by the getter, parsed by the setter with the
kit's own boolean words, unset by ``None``, listed and masked as the declared ones are."""

from __future__ import annotations

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.execution_environment import AgentsExecutionEnvironment
from flink_agents_nb.api.resource import ResourceDescriptor
from flink_agents_runtime._redact import is_secret_name
from flink_agents_runtime.config._configuration import AgentConfiguration


def test_unset_custom_key_reads_the_default() -> None:
    conf = AgentsExecutionEnvironment.get_execution_environment().get_config()
    assert conf.get_str("unset_custom", "dflt") == "dflt"
    assert conf.get_int("unset_custom") is None
    conf.set_str("tenant", "t1")
    assert conf.get_str("tenant", "dflt") == "t1"
    conf.set_str("tenant", None)  # None unsets, as Flink Agents reads None as unset
    assert conf.get_str("tenant", "dflt") == "dflt"
    assert "tenant" not in conf.explicit()


def test_getters_convert_and_setters_parse() -> None:
    conf = AgentConfiguration()
    conf.set_str("n", "5")
    assert (conf.get_int("n"), conf.get_float("n"), conf.get_str("n")) == (5, 5.0, "5")
    conf.set_int("m", 7)
    assert conf.get_str("m") == "7"
    conf.set_bool("flag", "on")
    conf.set_bool("other", "off")
    assert (conf.get_bool("flag"), conf.get_bool("other")) == (True, False)
    with pytest.raises(fa.ConfigError, match=r"'flag'.*'maybe'.*boolean"):
        conf.set_bool("flag", "maybe")
    with pytest.raises(fa.ConfigError, match=r"'n'.*'abc' is not an integer"):
        conf.set_int("n", "abc")
    conf.set_str("word", "abc")
    with pytest.raises(fa.ConfigError, match=r"'word'.*not an integer"):
        conf.get_int("word")
    assert conf.get_int("n") == 5  # the failed set kept the value


def test_bad_secret_value_is_never_shown() -> None:
    conf = AgentConfiguration()
    with pytest.raises(fa.ConfigError, match=r"'db_token'.*not an integer") as err:
        conf.set_int("db_token", "s3cr3t-value")
    assert "s3cr3t" not in str(err.value)
    conf.set_str("auth.cookie", "s3cr3t-value")
    assert "s3cr3t" not in repr(conf)


def test_custom_keys_are_listed_and_masked() -> None:
    conf = AgentConfiguration()
    conf.set_str("tenant", "t1").set_str("api_token", "s3cr3t-value")
    listed = conf.to_dict()
    assert (listed["tenant"], listed["api_token"]) == ("t1", "****")
    assert dict(conf.items())["api_token"] == "s3cr3t-value"
    assert conf.to_dict(mask_secrets=False)["api_token"] == "s3cr3t-value"


@pytest.mark.parametrize(
    "name",
    ["Authorization", "bearer", "x_header", "session_cookie", "db_passwd", "pwd", "api_key"],
)
def test_one_secret_name_rule_for_config_and_resources(name: str) -> None:
    assert is_secret_name(name)
    conf = AgentConfiguration().set_str(f"my.{name}", "s3cr3t-value")
    assert "s3cr3t" not in repr(conf) and conf.to_dict()[f"my.{name}"] == "****"
    described = ResourceDescriptor("pkg.mod.Conn", arguments={name: "s3cr3t-value"})
    assert "s3cr3t" not in repr(described)


def test_plain_names_are_not_secret() -> None:
    assert not any(is_secret_name(n) for n in ("model", "base_url", "timeout", "tenant"))
