"""Building and querying 100k documents: the in-memory store vs LanceDB (on disk).

Run: ``.venv/bin/python benchmarks/bench_retrieval.py [--docs 100000] [--dim 256]``.
Each store runs in its own subprocess, so its peak resident memory (``ru_maxrss``, which
also sees LanceDB's native allocations) is its own. Documents are synthetic support
articles embedded by the offline hash embedding (the same vectors for both stores; the
embedding time is reported apart). Prints: embed time, build (add) time, peak RSS and
the resident memory the store added (``store``: RSS after the build minus before), query
latency (median and p95 of ``--queries`` queries, top 5), the LanceDB/in-memory ratios, and the
overlap of the two stores' top-5 (exact search on both: 1.0 expected).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_VOCABULARY = (
    "refund parcel carrier late broken password reset invoice order account login shipment "
    "return warranty replacement delivery address payment card charge subscription cancel "
    "upgrade discount coupon damaged missing tracking courier label customs fee tax"
)
WORDS = tuple(_VOCABULARY.split())


def corpus(n: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    return [
        {
            "id": f"doc-{i}",
            "content": " ".join(rng.choice(WORDS) for _ in range(12)),
            "metadata": {"team": rng.choice(["billing", "shipping", "accounts"])},
        }
        for i in range(n)
    ]


def _rss_mb() -> float:
    """Resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def child(store_kind: str, n: int, dim: int, nq: int, index: bool = False) -> None:
    from flink_agents_runtime import (
        Document,
        EmbeddingModelSetup,
        HashEmbeddingModelConnection,
        InMemoryVectorStore,
        LanceDBVectorStore,
        VectorStoreQuery,
    )

    conn = HashEmbeddingModelConnection(dim)
    docs = corpus(n)
    t0 = time.perf_counter()
    vectors = conn.embed([str(d["content"]) for d in docs])
    embed_s = time.perf_counter() - t0
    setup = EmbeddingModelSetup(connection="c", model="hash")
    setup._connection = conn
    if store_kind == "memory":
        store: object = InMemoryVectorStore(embedding_model=setup)
    else:
        import lancedb  # noqa: F401  (import time is not build time)

        store = LanceDBVectorStore(tempfile.mkdtemp(prefix="bench-lance-"), embedding_model=setup)
    items = [
        Document(str(d["content"]), dict(d["metadata"]), str(d["id"]), list(v))  # type: ignore[arg-type]
        for d, v in zip(docs, vectors, strict=True)
    ]
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    for start in range(0, n, 10_000):
        store.add(items[start : start + 10_000])  # type: ignore[attr-defined]
    build_s = time.perf_counter() - t0
    index_s = 0.0
    if index and store_kind == "lancedb":  # an ANN index (IVF-PQ, cosine) instead of exact
        t0 = time.perf_counter()
        store.create_index()  # type: ignore[attr-defined]
        index_s = time.perf_counter() - t0
    rng = random.Random(11)
    queries = [" ".join(rng.choice(WORDS) for _ in range(4)) for _ in range(nq)]
    store.query(VectorStoreQuery(queries[0], limit=5))  # type: ignore[attr-defined]  # warm
    latencies = []
    tops = []
    for q in queries:
        t0 = time.perf_counter()
        result = store.query(VectorStoreQuery(q, limit=5))  # type: ignore[attr-defined]
        latencies.append((time.perf_counter() - t0) * 1000)
        tops.append([d.id for d in result.documents])
    latencies.sort()
    print(
        json.dumps(
            {
                "embed_s": embed_s,
                "build_s": build_s,
                "index_s": index_s,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "store_mb": _rss_mb() - rss_before,
                "query_p50_ms": statistics.median(latencies),
                "query_p95_ms": latencies[int(len(latencies) * 0.95)],
                "tops": tops,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--child", choices=["memory", "lancedb"])
    parser.add_argument(
        "--index", action="store_true", help="also build LanceDB's ANN index (IVF-PQ)"
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, args.docs, args.dim, args.queries, args.index)
        return
    results = {}
    for kind in ("memory", "lancedb"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                kind,
                "--docs",
                str(args.docs),
                "--dim",
                str(args.dim),
                "--queries",
                str(args.queries),
                *(["--index"] if args.index else []),
            ],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        results[kind] = json.loads(out.strip().splitlines()[-1])
    print(f"{args.docs} documents, {args.dim} dimensions, top-5 of {args.queries} queries")
    for kind, r in results.items():
        print(
            f"{kind:8} embed {r['embed_s']:6.1f} s  build {r['build_s']:6.2f} s  "
            f"index {r['index_s']:5.1f} s  "
            f"peak RSS {r['peak_rss_mb']:6.0f} MB (store +{r['store_mb']:5.0f} MB)  "
            f"query p50 {r['query_p50_ms']:7.2f} ms  "
            f"p95 {r['query_p95_ms']:7.2f} ms"
        )
    m, lance = results["memory"], results["lancedb"]
    overlap = statistics.mean(
        len(set(a) & set(b)) / 5 for a, b in zip(m["tops"], lance["tops"], strict=True)
    )
    print(
        f"ratios lancedb/memory: build {lance['build_s'] / m['build_s']:.2f}x, "
        f"peak RSS {lance['peak_rss_mb'] / m['peak_rss_mb']:.2f}x, "
        f"store memory {lance['store_mb'] / max(m['store_mb'], 1):.2f}x, "
        f"query p50 {lance['query_p50_ms'] / m['query_p50_ms']:.2f}x; "
        f"top-5 overlap {overlap:.3f}"
    )


if __name__ == "__main__":
    main()
