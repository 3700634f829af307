"""Is Flink usable here? Java on PATH (or JAVA_HOME) and PyFlink importable.

Checked before the first PyFlink call so a missing JVM is a clear
:class:`~flink_agents_runtime.FlinkUnavailableError`, not a py4j trace.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from flink_agents_runtime._errors import FlinkUnavailableError


def java_executable() -> str | None:
    """The ``java`` PyFlink would start: ``$JAVA_HOME/bin/java`` if it exists, else PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java")


def ensure_flink() -> None:
    """Raise :class:`FlinkUnavailableError` unless Java and PyFlink are both present."""
    if java_executable() is None:
        raise FlinkUnavailableError(
            "the Flink driver needs Java (11 or 17) but no `java` was found on PATH or in "
            "JAVA_HOME; install a JDK (e.g. `apt-get install openjdk-17-jre-headless`) or run "
            "the agent locally with fa.local()"
        )
    try:
        import pyflink  # noqa: F401
    except ImportError as exc:
        raise FlinkUnavailableError(
            "the Flink driver needs PyFlink: `pip install 'apache-flink>=2.3,<2.4'`"
        ) from exc
