"""A :class:`LogProblem`: what cannot be read in an event log (or a broken causal link)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LogProblem:
    """A part of a log that could not be read (or a broken causal link).

    Attributes:
        file: the file, as found (``""`` when not tied to one file).
        line: 1-based line where the problem starts (``None`` for the whole file).
        reason: what is wrong, in words.
    """

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}" if where else self.reason

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"file": self.file, "line": self.line, "reason": self.reason}
