"""The OpenAI connection finds its endpoint where Flink Agents does: the descriptor's
``api_base_url``, else ``OPENAI_API_BASE_URL``, else the openai SDK's ``OPENAI_BASE_URL``
(how users point FA's OpenAI examples at vLLM or a proxy without editing them)."""

from __future__ import annotations

import pytest

from flink_agents_nb.api.decorators import chat_model_connection, chat_model_setup
from flink_agents_nb.api.resource import ResourceDescriptor, ResourceName
from tests.compat._fa_chat import RepliesWithModel, run_one
from tests.helpers.openai_server import OpenAIServer


class Echo(RepliesWithModel):
    @chat_model_connection
    @staticmethod
    def openai_connection() -> ResourceDescriptor:
        return ResourceDescriptor(clazz=ResourceName.ChatModel.OPENAI_COMPLETIONS_CONNECTION)

    @chat_model_setup
    @staticmethod
    def model() -> ResourceDescriptor:
        return ResourceDescriptor(
            clazz=ResourceName.ChatModel.OPENAI_COMPLETIONS_SETUP,
            connection="openai_connection",
            model="echo",
        )


@pytest.mark.parametrize("variable", ["OPENAI_BASE_URL", "OPENAI_API_BASE_URL"])
def test_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with OpenAIServer() as server:
        monkeypatch.setenv(variable, server.url)
        assert run_one(Echo(), "hi") == [{"k": "echo: hi"}]
    assert server.requests[0]["path"] == "/v1/chat/completions"


def test_flink_agents_own_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    with OpenAIServer() as server:
        monkeypatch.setenv("OPENAI_API_BASE_URL", server.url)
        assert run_one(Echo(), "hi") == [{"k": "echo: hi"}]
