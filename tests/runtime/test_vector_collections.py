"""Collections made and dropped by name: Flink Agents' ``CollectionManageableVectorStore``,
at its module path, implemented by both of the kit's stores (LanceDB for real, on disk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import flink_agents_nb as fa
from flink_agents_nb.api.vector_stores.vector_store import (
    BaseVectorStore,
    CollectionManageableVectorStore,
    Document,
)
from flink_agents_runtime import InMemoryVectorStore, LanceDBVectorStore
from flink_agents_runtime.retrieval._documents import RetrievalError


def test_a_store_without_the_collection_methods_cannot_be_made() -> None:
    class Half(CollectionManageableVectorStore):
        def delete_collection(self, name: str) -> None:
            pass

    with pytest.raises(TypeError, match="create_collection_if_not_exists"):
        Half()  # type: ignore[abstract]
    assert issubclass(CollectionManageableVectorStore, BaseVectorStore)


def test_the_name_at_flink_agents_module_path_through_the_alias() -> None:
    fa.use_as_flink_agents()
    try:
        from flink_agents.api.vector_stores.vector_store import (
            CollectionManageableVectorStore as Aliased,
        )
    finally:
        fa.use_as_flink_agents(False)
    assert Aliased is CollectionManageableVectorStore


def _doc(i: str, v: list[float]) -> Document:
    return Document(content=f"text {i}", id=i, embedding=v)


def test_in_memory_collections() -> None:
    store = InMemoryVectorStore()
    assert isinstance(store, CollectionManageableVectorStore)
    store.create_collection_if_not_exists("a")
    store.add([_doc("x", [1.0, 0.0])], collection_name="a")
    store.create_collection_if_not_exists("a")  # exists: kept as it is
    assert store.size("a") == 1
    store.delete_collection("a")
    assert store.size("a") == 0
    store.delete_collection("never")  # nothing to drop: no error


def test_lancedb_collections_on_disk(tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    store = LanceDBVectorStore(uri)
    assert isinstance(store, CollectionManageableVectorStore)
    store.create_collection_if_not_exists("made", dimension=2, metadata={"ignored": True})
    # another store on the directory, that never makes tables, sees the empty table
    built = LanceDBVectorStore(uri, create=False)
    assert built.size("made") == 0
    built.add([_doc("x", [1.0, 0.0]), _doc("y", [0.0, 1.0])], collection_name="made")
    store.create_collection_if_not_exists("made", dimension=2)  # exists: documents kept
    assert store.size("made") == 2
    # asked for explicitly, a table is made even by a store that makes none on add
    built.create_collection_if_not_exists("second", dimension=3)
    assert LanceDBVectorStore(uri, create=False).size("second") == 0
    with pytest.raises(RetrievalError, match=r"'missing' does not exist .*pass dimension="):
        built.create_collection_if_not_exists("missing")  # no dimension, no table
    store.create_collection_if_not_exists("later")  # made by the first add into it
    store.add([_doc("z", [0.5, 0.5])], collection_name="later")
    assert store.size("later") == 1
    store.delete_collection("made")
    store.delete_collection("made")  # gone already: no error
    with pytest.raises(RetrievalError, match="'made' does not exist"):
        LanceDBVectorStore(uri, create=False).size("made")
    assert LanceDBVectorStore(uri, create=False).size("later") == 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_lancedb_refuses_a_bad_dimension(tmp_path: Path, bad: Any) -> None:
    store = LanceDBVectorStore(str(tmp_path / "db"))
    with pytest.raises(RetrievalError, match=r"collection 'c': dimension must be a positive int"):
        store.create_collection_if_not_exists("c", dimension=bad)


def test_lancedb_reads_see_another_writers_documents(tmp_path: Path) -> None:
    uri = str(tmp_path / "db")
    writer, reader = LanceDBVectorStore(uri), LanceDBVectorStore(uri)
    pinned = LanceDBVectorStore(uri, read_consistency_s=None)
    writer.add([_doc("x", [1.0, 0.0])])
    assert reader.size() == pinned.size() == 1  # both open the table now
    writer.add([_doc("y", [0.0, 1.0])])
    assert reader.size() == 2  # the default: every read sees the latest version
    assert pinned.size() == 1  # None: the version it first opened
    assert [d.id for d in reader.get(["x", "y"])] == ["x", "y"]


def test_dropping_from_a_database_that_is_not_there_does_nothing(tmp_path: Path) -> None:
    store = LanceDBVectorStore(str(tmp_path / "none"), create=False)
    store.delete_collection("any")  # nothing to drop: no error, and no database made
    assert not (tmp_path / "none").exists()
