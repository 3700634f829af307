"""Event-log timestamps: UTC ISO-8601 with microseconds and ``Z``, formatted cheaply."""

from __future__ import annotations

import datetime as _dt

#: ``"000Z"`` .. ``"999Z"``: the microsecond digits that end a timestamp.
DIGITS3Z = tuple(f"{i:03d}Z" for i in range(1000))


class Clock:
    """Formats ``time.time_ns()`` values as ``YYYY-mm-ddTHH:MM:SS.ffffffZ``: the text up to
    the millisecond is cached, so most records only look up their last three digits.

    Hot paths may inline :meth:`iso` (a method call is a measurable share of a log line):
    ``if ns // 1_000_000 != clock.ms: clock.advance(ns // 1_000_000)``, then
    ``clock.prefix + DIGITS3Z[ns // 1000 % 1000]``.

    Attributes:
        ms: the millisecond (since the epoch) :attr:`prefix` is for.
        prefix: the text up to and including the millisecond digits.
    """

    __slots__ = ("_second", "_second_prefix", "ms", "prefix")

    def __init__(self) -> None:
        self.ms = -1
        self.prefix = ""
        self._second = -1
        self._second_prefix = ""

    def iso(self, ns: int) -> str:
        """``ns`` nanoseconds since the epoch as text."""
        if ns // 1_000_000 != self.ms:
            self.advance(ns // 1_000_000)
        return self.prefix + DIGITS3Z[ns // 1000 % 1000]

    def advance(self, ms: int) -> None:
        """Make :attr:`prefix` the text of millisecond ``ms``."""
        second = ms // 1000
        if second != self._second:
            stamp = _dt.datetime.fromtimestamp(second, _dt.timezone.utc)
            self._second_prefix = stamp.strftime("%Y-%m-%dT%H:%M:%S.")
            self._second = second
        self.prefix = self._second_prefix + DIGITS3Z[ms - second * 1000][:3]
        self.ms = ms
