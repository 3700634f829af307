"""Flink Agents' setup fields for skills' bash tool and structured output are settings of
the setup: they never reach the model server's request, and the ones without effect here
are warned about (found running FA's math-agent quickstart, whose ``allowed_commands``
went to Ollama as a model option)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from flink_agents_nb.api.agents.agent import Agent
from flink_agents_nb.api.decorators import chat_model_connection, chat_model_setup
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName
from tests.compat._fa_chat import RepliesWithModel, run_one
from tests.helpers.api_servers import OllamaServer


def _agent(base_url: str, **setup: Any) -> Agent:
    class Asker(RepliesWithModel):
        @chat_model_connection
        @staticmethod
        def ollama() -> ResourceDescriptor:
            return ResourceDescriptor(
                clazz=ResourceName.ChatModel.OLLAMA_CONNECTION, base_url=base_url
            )

        @chat_model_setup
        @staticmethod
        def model() -> ResourceDescriptor:
            return ResourceDescriptor(
                clazz=ResourceName.ChatModel.OLLAMA_SETUP,
                connection="ollama",
                model="echo",
                temperature=0.5,
                **setup,
            )

    return Asker()


def test_fa_setup_fields_stay_out_of_the_request_and_are_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fields = {
        "allowed_commands": ["echo", "bc"],
        "allowed_script_dirs": ["/opt/scripts"],
        "skill_discovery_prompt": "ignored: filled when the setup opens",
        "structured_output_strategy": "native",
    }
    with OllamaServer() as server, caplog.at_level(logging.WARNING):
        assert run_one(_agent(server.url, **fields), "2 + 2") == [{"k": "echo: 2 + 2"}]
    (request,) = server.requests
    body = request["body"]
    assert body["options"] == {"temperature": 0.5}  # the model's own option stays
    assert not set(fields) & {*body, *body["options"]}
    assert "allowed_commands=['echo', 'bc'] has no effect" in caplog.text
    assert "allowed_script_dirs=['/opt/scripts'] has no effect" in caplog.text
    assert "structured_output_strategy=native is not supported" in caplog.text


def test_default_valued_fields_are_silent(caplog: pytest.LogCaptureFixture) -> None:
    with OllamaServer() as server, caplog.at_level(logging.WARNING):
        agent = _agent(server.url, allowed_commands=[], structured_output_strategy="prompt")
        run_one(agent, "2 + 2")
    assert "has no effect" not in caplog.text and "not supported" not in caplog.text
    assert "allowed_commands" not in server.requests[0]["body"].get("options", {})
