"""nbval settings for the tutorials: stderr is not compared.

The tutorials' checked output is what they print and display. stderr carries what PyFlink,
Apache Beam and the JVM log as they start (e.g. Beam's "Failed to import GCSFileSystem" when
another package put a ``google`` namespace into the environment), which depends on the
installed packages, not on the kit.
"""

from __future__ import annotations

from typing import Any


def pytest_collectstart(collector: Any) -> None:
    skip = getattr(collector, "skip_compare", None)
    if skip is not None and "stderr" not in skip:
        collector.skip_compare = (*skip, "stderr")
