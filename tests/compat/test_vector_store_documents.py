"""Document-level vector store calls as Flink Agents' vector-store docs write them, on the
kit's in-memory store: ``update`` by id, and one id given as a str to ``get``/``delete``
(it was read as a sequence of one-letter ids and found nothing)."""

from __future__ import annotations

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.vector_stores.vector_store import Document


def _store() -> fa.InMemoryVectorStore:
    embedder = fa.EmbeddingModelSetup(connection="hash", model="hash")
    embedder._connection = fa.HashEmbeddingModelConnection()
    store = fa.InMemoryVectorStore(embedding_model=embedder)
    store.add(
        documents=[
            Document(id="doc1", content="the first doc", metadata={"key": "value1"}),
            Document(id="doc2", content="the second doc", metadata={"key": "value2"}),
        ],
        collection_name="my_collection",
    )
    return store


def test_get_and_delete_take_one_id_as_a_str() -> None:
    store = _store()
    (doc,) = store.get(ids="doc2", collection_name="my_collection")
    assert doc.content == "the second doc"
    store.delete(ids="doc2", collection_name="my_collection")
    assert store.size("my_collection") == 1


def test_update_replaces_documents_by_id() -> None:
    store = _store()
    store.update(
        documents=[Document(id="doc1", content="rewritten first doc", metadata={"k": 1})],
        collection_name="my_collection",
    )
    (doc,) = store.get(ids=["doc1"], collection_name="my_collection")
    assert (doc.content, doc.metadata) == ("rewritten first doc", {"k": 1})
    assert store.size("my_collection") == 2
    found = store.query(fa.VectorStoreQuery("rewritten first doc", collection_name="my_collection"))
    assert found.documents[0].id == "doc1"
    with pytest.raises(fa.FlinkAgentsError, match=r"has no id; update replaces"):
        store.update(Document(content="no id"), collection_name="my_collection")
