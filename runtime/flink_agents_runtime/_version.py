"""The kit's version, read once from the installed package's metadata (pyproject.toml)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

#: The distribution that holds both packages.
DISTRIBUTION = "flink-agents-nb"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # sources on a path without the package installed (a Flink worker)
    __version__ = "0+unknown"
