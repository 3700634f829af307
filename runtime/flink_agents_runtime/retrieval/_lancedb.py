"""A vector store in LanceDB, an embedded vector database (``pip install lancedb``).

Why LanceDB: it is a real database engine (Rust, columnar Lance files on disk, ANN
indexes) that runs inside the process with no server, persists across runs and
processes, and fits PyFlink's pins (pyarrow < 17); upstream's Python store, Chroma, needs
protobuf 7 and cannot share the venv. The database is a directory (``uri``); each
collection is a table with ``id``, ``content``, ``metadata`` (JSON text) and ``vector``
(float32, fixed size). Search is cosine distance (``score = 1 - distance``), exact until
:meth:`LanceDBVectorStore.create_index` builds an ANN index. Metadata filters (equality,
Flink Agents' DSL) are applied to the nearest ``limit * filter_overfetch`` rows.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flink_agents_runtime.retrieval._documents import Document, RetrievalError, matches
from flink_agents_runtime.retrieval._store import CollectionManageableVectorStore, id_list


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class LanceDBVectorStore(CollectionManageableVectorStore):
    """Documents in a LanceDB directory (see the module docstring).

    Args:
        uri: the database directory (created when missing, unless ``create=False``).
        embedding_model: name of an embedding model setup resource.
        collection: the default table.
        create: create missing tables on :meth:`add`; with ``False`` a missing database or
            table is an error (a store that must already be built).
        filter_overfetch: how many more rows to read when a query has filters.
        read_consistency_s: how old a table's version a read may see, in seconds: 0 (the
            default) checks for another writer's newer version at every read (a store an
            indexing job or another subtask fills while agents query it); ``None`` keeps
            the version first opened (a store nothing else writes).
    """

    def __init__(
        self,
        uri: str,
        embedding_model: Any = None,
        collection: str | None = None,
        *,
        create: bool = True,
        filter_overfetch: int = 10,
        read_consistency_s: float | None = 0.0,
    ) -> None:
        super().__init__(embedding_model, collection or "documents")
        self.uri = str(uri)
        self.create = create
        self.filter_overfetch = filter_overfetch
        self.read_consistency_s = read_consistency_s
        self._db: Any = None
        self._tables: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_db=None, _tables={})
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LanceDBVectorStore(uri={self.uri!r}, collection={self.collection!r})"

    def close(self) -> None:
        self._tables.clear()
        self._db = None

    def _connect(self) -> Any:
        if self._db is None:
            if not self.create and not os.path.isdir(self.uri):
                raise RetrievalError(
                    f"{self!r}: the database directory does not exist", retryable=True
                )
            try:
                import lancedb  # about 6 s on first import (once per process)
            except ImportError as exc:
                raise RetrievalError(
                    "LanceDBVectorStore needs lancedb: pip install 'flink-agents-nb[blocks]'"
                ) from exc
            try:
                interval = self.read_consistency_s
                self._db = lancedb.connect(
                    self.uri,
                    read_consistency_interval=None
                    if interval is None
                    else timedelta(seconds=interval),
                )
            except Exception as exc:
                raise RetrievalError(f"{self!r}: cannot open the database: {exc}") from exc
        return self._db

    def _table(
        self, name: str, dimension: int | None = None, make: bool | None = None, hint: str = ""
    ) -> Any:
        """The table ``name``, made when missing if ``make`` (default: ``create``) and
        ``dimension`` is given; else a missing table is an error naming it (``hint``
        added)."""
        make = self.create if make is None else make
        with self._lock:
            table = self._tables.get(name)
            if table is not None:
                return table
            db = self._connect()
            try:
                existing = set(db.list_tables().tables)
            except Exception as exc:
                raise RetrievalError(
                    f"{self!r}: cannot list tables: {exc}", retryable=True
                ) from exc
            if name in existing:
                table = db.open_table(name)
            elif dimension is None or not make:
                raise RetrievalError(
                    f"{self!r}: collection {name!r} does not exist (tables: {sorted(existing)})"
                    + hint
                )
            else:
                import pyarrow as pa

                schema = pa.schema(
                    [
                        ("id", pa.string()),
                        ("content", pa.string()),
                        ("metadata", pa.string()),
                        ("vector", pa.list_(pa.float32(), dimension)),
                    ]
                )
                table = db.create_table(name, schema=schema, exist_ok=True)
            self._tables[name] = table
            return table

    def _add_embedding(self, documents: list[Document], collection: str) -> None:
        if not documents:
            return
        dim = len(documents[0].embedding or [])
        table = self._table(collection, dim)
        rows = [
            {
                "id": d.id,
                "content": d.content,
                "metadata": json.dumps(d.metadata, sort_keys=True),
                "vector": d.embedding,
            }
            for d in documents
        ]
        try:
            table.add(rows)
        except Exception as exc:
            raise RetrievalError(f"{self!r}: adding {len(rows)} documents failed: {exc}") from exc

    def _query_embedding(
        self,
        embedding: list[float],
        limit: int,
        collection: str,
        filters: dict[str, Any] | None,
    ) -> list[Document]:
        table = self._table(collection)
        fetch = limit * self.filter_overfetch if filters else limit
        try:
            rows = (
                table.search(embedding)
                .distance_type("cosine")
                .select(["id", "content", "metadata", "_distance"])
                .limit(fetch)
                .to_list()
            )
        except Exception as exc:
            raise RetrievalError(
                f"{self!r}: query of collection {collection!r} failed: {exc}", retryable=True
            ) from exc
        out = []
        for row in rows:
            metadata = json.loads(row.get("metadata") or "{}")
            if not matches(metadata, filters):
                continue
            score = round(1.0 - float(row["_distance"]), 6)
            out.append(Document(row["content"], metadata, row["id"], None, score))
            if len(out) == limit:
                break
        return out

    def get(self, ids: Iterable[str], collection_name: str | None = None) -> list[Document]:
        wanted = id_list(ids)
        if not wanted:
            return []
        table = self._table(collection_name or self.collection)
        where = "id IN (" + ", ".join(_quote(i) for i in wanted) + ")"
        rows = table.search().where(where).limit(len(wanted)).to_list()
        return [Document(r["content"], json.loads(r["metadata"] or "{}"), r["id"]) for r in rows]

    def delete(self, ids: Iterable[str], collection_name: str | None = None) -> None:
        wanted = id_list(ids)
        if wanted:
            table = self._table(collection_name or self.collection)
            table.delete("id IN (" + ", ".join(_quote(i) for i in wanted) + ")")

    def size(self, collection_name: str | None = None) -> int:
        return int(self._table(collection_name or self.collection).count_rows())

    def create_collection_if_not_exists(
        self, name: str, *, dimension: int | None = None, **kwargs: Any
    ) -> None:
        """Make the table ``name`` unless it exists. ``dimension``: its vectors' size, the
        table made now; without it, the first :meth:`add` into it makes it (its documents'
        vectors tell the size), which a store made with ``create=False`` refuses: it then
        needs ``dimension``. Other options are ignored."""
        if dimension is not None:
            if type(dimension) is not int or dimension < 1:
                raise RetrievalError(
                    f"{self!r}: collection {name!r}: dimension must be a positive int,"
                    f" not {dimension!r}"
                )
            self._table(name, dimension, make=True)  # asked for: made even if not create
        elif not self.create:  # exists, or an error naming it and saying what to do
            self._table(name, hint="; pass dimension= to make it (create=False: adds make none)")

    def delete_collection(self, name: str) -> None:
        if not self.create and not os.path.isdir(self.uri):
            return  # no database: no collection to drop
        with self._lock:
            self._tables.pop(name, None)
            try:
                self._connect().drop_table(name, ignore_missing=True)
            except Exception as exc:
                raise RetrievalError(
                    f"{self!r}: cannot drop collection {name!r}: {exc}", retryable=True
                ) from exc

    def create_index(self, collection_name: str | None = None, **kwargs: Any) -> None:
        """Build an ANN index (LanceDB's ``create_index``, cosine) for large collections."""
        table = self._table(collection_name or self.collection)
        table.create_index(metric="cosine", **kwargs)
