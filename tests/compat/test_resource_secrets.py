"""Secrets of Flink Agents-style resources stay out of errors: a pydantic resource built
from a descriptor with a bad argument fails as the kit's ResourceError naming the field,
never quoting the arguments (an ``api_key``); an embedding setup names a wrong connection
by its type, not its repr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

import flink_agents_nb as fa
from flink_agents_nb.api.chat_message import ChatMessage
from flink_agents_nb.api.chat_models.chat_model import BaseChatModelConnection
from flink_agents_nb.api.embedding_models.embedding_model import BaseEmbeddingModelSetup
from flink_agents_nb.api.resource import ResourceDescriptor

SECRET = "sk-s3cr3t-value-42"


class KeyedConnection(BaseChatModelConnection):
    """A user's connection as Flink Agents documents one: pydantic fields, a key among them."""

    api_key: str
    model: str
    timeout: int = 30

    def chat(
        self,
        messages: Sequence[ChatMessage],
        tools: list[Any] | None = None,
        output_schema: Any = None,
        **kwargs: Any,
    ) -> ChatMessage:
        raise NotImplementedError


class Setup(BaseEmbeddingModelSetup):
    @property
    def model_kwargs(self) -> dict[str, Any]:
        return {"model": self.model}


def test_validation_error_names_the_field_not_the_key() -> None:
    descriptor = ResourceDescriptor(KeyedConnection, api_key=SECRET, model="m", timeout="soon")
    with pytest.raises(fa.ResourceError, match=r"KeyedConnection.*timeout") as err:
        descriptor.build()
    assert SECRET not in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no chained input


def test_pydantic_errors_of_resources_hide_their_input() -> None:
    with pytest.raises(ValidationError) as err:  # a model-level error quotes all the input
        KeyedConnection(api_key=SECRET)  # type: ignore[call-arg]
    assert "model" in str(err.value) and SECRET not in str(err.value)


def test_wrong_embedding_connection_is_named_by_type() -> None:
    wrong = KeyedConnection(api_key=SECRET, model="m")  # a chat connection, no embed()
    setup = Setup(connection=wrong, model="m")
    with pytest.raises(fa.ResourceError, match=r"connection KeyedConnection is not") as err:
        setup.embed("hi")
    assert SECRET not in str(err.value)
