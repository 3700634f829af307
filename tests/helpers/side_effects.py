"""A side effect outside the agent, for exactly-once tests: a 'payment' is one line appended
to a file (O_APPEND, so concurrent writers never interleave a line)."""

from __future__ import annotations

import os
from collections import Counter


def pay(log: str, what: str) -> str:
    """Append ``what`` as one line to ``log``; returns a receipt ``receipt-<what>``."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{what}\n".encode())
    finally:
        os.close(fd)
    return f"receipt-{what}"


def payments(log: str | os.PathLike[str]) -> Counter[str]:
    """How often each payment was made (empty before the first)."""
    return Counter(open(log).read().split()) if os.path.exists(log) else Counter()
