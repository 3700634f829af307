"""CPU per request of the direct HTTP/1.1 client's answer parser: httptools vs h11.

    .venv/bin/python benchmarks/http1_parsers.py [--rounds 5] [--hand OLD_CONN.py]

Why ``chat/providers/_http1_conn.py`` parses with httptools (llhttp) rather than h11
(python-hyper's pure-Python parser). Two measures, each alternating the variants round by
round in this one process, so that all see the same load (CPU, ``time.process_time()``):

- **parse**: one connection object fed a realistic OpenAI answer (16 headers, a 600-byte
  JSON body, as ``Content-Length`` and as two chunks), no sockets: the parser's own cost
  per answer, in µs.
- **loopback**: 20,000 POSTs, 50 in flight, through ``Http1Pool`` to the loopback
  OpenAI-compatible server (``tests.helpers.async_openai_server``, in a process of its own,
  answering at once): the client's CPU per request, in µs, sockets and loop included.

Variants: ``httptools`` (the module's ``Conn``), ``h11`` (the same connection reading with
``h11.Connection``, written here), ``hand`` (``--hand FILE``: another ``_http1_conn.py``,
e.g. the hand-written parser httptools replaced: ``git show 18bd5d4:runtime/
flink_agents_runtime/chat/providers/_http1_conn.py > /tmp/hand.py``), and on loopback
``aiohttp`` (``_async_http.DIRECT = False``).

Measured at 00:20 on 2026-12-02 (h16), load average 9-11 on 2 shared cores, so absolute
values are noisy; medians of 5 rounds (``--rounds 5 --parse-n 10000 --requests 10000``,
``--hand`` the parser at 18bd5d4):

    parse, µs per answer     Content-Length   chunked
      httptools                  11.8           9.6
      h11                        99.2         125.3
      hand-written               10.0          13.8
    loopback, µs per request
      httptools                  53.7  (range 50-81)
      h11                       163.3  (3.0x)
      hand-written               57.7  (1.07x)
      aiohttp                   226.6  (4.2x)

A second run at 00:28 (load 9-10): parse 9.6 / 88.5 / 10.3 µs (Content-Length), loopback
50.0 / 165.2 / 52.1 / 171.4 µs (httptools / h11 / hand-written / aiohttp).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.helpers

import h11

from flink_agents_runtime.chat.providers import _async_http, _http1, _http1_conn
from flink_agents_runtime.chat.providers._http1 import Http1Pool, head_lines, route_of
from flink_agents_runtime.chat.providers._reply import Reply
from tests.helpers.async_openai_server import ServerProcess

BODY = json.dumps(
    {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1764633600,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "echo: " + "word " * 60},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 61, "total_tokens": 73},
    }
).encode()
HEAD = (
    b"HTTP/1.1 200 OK\r\nDate: Wed, 02 Dec 2026 00:40:00 GMT\r\n"
    b"Content-Type: application/json\r\nConnection: keep-alive\r\n"
    b"access-control-expose-headers: X-Request-ID\r\nopenai-organization: org-x\r\n"
    b"openai-processing-ms: 412\r\nopenai-version: 2020-10-01\r\n"
    b"strict-transport-security: max-age=31536000; includeSubDomains; preload\r\n"
    b"x-ratelimit-limit-requests: 10000\r\nx-ratelimit-limit-tokens: 200000\r\n"
    b"x-ratelimit-remaining-requests: 9999\r\nx-ratelimit-remaining-tokens: 199950\r\n"
    b"x-request-id: req_0123456789abcdef\r\nServer: cloudflare\r\nCF-RAY: 8e1f-SJC\r\n"
)
LENGTH = HEAD + b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
HALF = len(BODY) // 2
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
    HALF,
    BODY[:HALF],
    len(BODY) - HALF,
    BODY[HALF:],
)
REQUEST = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


class H11Conn(_http1_conn.Conn):
    """The direct client's connection reading its answers with h11 instead (the request
    goes through h11's state machine too, as h11 requires)."""

    def __init__(self) -> None:
        super().__init__()
        self._h11 = h11.Connection(h11.CLIENT)
        self._parts: list[bytes] = []

    def begin(self, request: bytes, max_bytes: int, waiter: asyncio.Future[Any]) -> None:
        h = self._h11
        if h.our_state is h11.DONE and h.their_state is h11.DONE:
            h.start_next_cycle()
        head, _, body = request.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        target = lines[0].split(b" ")[1]
        headers = [(n, v) for n, _, v in (x.partition(b": ") for x in lines[1:])]
        h.send(h11.Request(method=b"POST", target=target, headers=headers))
        h.send(h11.Data(data=body))
        h.send(h11.EndOfMessage())
        self._parts = []
        self._status = 0
        super().begin(request, max_bytes, waiter)

    def data_received(self, data: bytes) -> None:
        h = self._h11
        h.receive_data(data)
        while True:
            event = h.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Response):
                self._status = event.status_code
                headers = _http1_conn.Headers()
                for name, value in event.headers:
                    key = name.decode("latin-1")
                    text = value.decode("latin-1")
                    headers[key] = f"{headers[key]}, {text}" if key in headers else text
                self._headers = headers
            elif isinstance(event, h11.Data):
                self._parts.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                waiter = self.waiter
                assert waiter is not None
                if h.our_state is not h11.DONE or h.their_state is not h11.DONE:
                    self.closed = True
                waiter.set_result(Reply(self._status, self._headers, b"".join(self._parts)))
                return


def load_hand(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("hand_http1_conn", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Conn


class NullTransport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def parse_us(conn_cls: Any, answer: bytes, n: int) -> float:
    """CPU µs per answer of ``conn_cls`` reading ``answer`` (no sockets)."""
    loop = asyncio.new_event_loop()
    try:
        conn = conn_cls()
        conn.connection_made(NullTransport())
        cpu = time.process_time()
        for _ in range(n):
            waiter = loop.create_future()
            conn.begin(REQUEST, 1 << 20, waiter)
            conn.data_received(answer)
            reply = waiter.result()
            conn.waiter = None
        cpu = time.process_time() - cpu
        assert reply.status_code == 200 and reply.content == BODY and not conn.closed
        return cpu / n * 1e6
    finally:
        loop.close()


async def loopback(url: str, conn_cls: Any, n: int, width: int) -> float:
    """CPU µs per request of ``n`` POSTs, ``width`` in flight (``conn_cls`` ``None``: aiohttp)."""
    data = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-x"}
    url = url + "/chat/completions"
    if conn_cls is None:
        _async_http.DIRECT = False
        transport = _async_http.AsyncTransport(30.0)
        post: Any = lambda: transport.post(url, data, headers, 1 << 20)  # noqa: E731
    else:
        _http1.Conn = conn_cls  # type: ignore[misc]  # the pool connects with this class
        pool = Http1Pool(30.0, lambda: None)
        route, head = route_of(url), head_lines(headers)
        assert route is not None and head is not None
        post = lambda: pool.post(route, head, data, 1 << 20)  # noqa: E731

    async def worker(count: int) -> None:
        for _ in range(count):
            reply = await post()
            assert reply.status_code == 200, reply.status_code

    await asyncio.gather(*(worker(width) for _ in range(width)))  # warm: connections made
    cpu = time.process_time()
    await asyncio.gather(*(worker(n // width) for _ in range(width)))
    cpu = time.process_time() - cpu
    if conn_cls is None:
        await transport.aclose()
        _async_http.DIRECT = True
    else:
        pool.close()
        _http1.Conn = _http1_conn.Conn  # type: ignore[misc]
    return cpu / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--parse-n", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--width", type=int, default=50)
    parser.add_argument("--hand", default=None, help="another _http1_conn.py to compare")
    args = parser.parse_args()
    variants: dict[str, Any] = {"httptools": _http1_conn.Conn, "h11": H11Conn}
    if args.hand:
        variants["hand"] = load_hand(args.hand)
    parse: dict[str, list[float]] = {f"{v} {k}": [] for v in variants for k in ("len", "chunk")}
    for _ in range(args.rounds):
        for name, cls in variants.items():
            parse[f"{name} len"].append(parse_us(cls, LENGTH, args.parse_n))
            parse[f"{name} chunk"].append(parse_us(cls, CHUNKED, args.parse_n))
    base = statistics.median(parse["httptools len"])
    print(f"parse, CPU µs per answer (median of {args.rounds}; load {os.getloadavg()[0]:.1f}):")
    for name, values in parse.items():
        med = statistics.median(values)
        print(f"  {name:16} {med:7.1f} µs  ({med / base:.2f}x httptools len)")
    loop_variants = dict(variants, aiohttp=None)
    rows: dict[str, list[float]] = {name: [] for name in loop_variants}
    with ServerProcess(delay_s=0.0) as server:
        for _ in range(args.rounds):
            for name, cls in loop_variants.items():
                rows[name].append(asyncio.run(loopback(server.url, cls, args.requests, args.width)))
    base = statistics.median(rows["httptools"])
    print(
        f"loopback, client CPU µs per request, {args.width} in flight (median of "
        f"{args.rounds}; load {os.getloadavg()[0]:.1f}):"
    )
    for name, values in rows.items():
        med = statistics.median(values)
        spread = f"{min(values):.0f}-{max(values):.0f}"
        print(f"  {name:10} {med:7.1f} µs  ({med / base:.2f}x httptools; range {spread})")


if __name__ == "__main__":
    main()
