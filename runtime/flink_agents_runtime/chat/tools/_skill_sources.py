"""Where a ``Skills`` resource reads skills from, as Flink Agents allows: a directory, a
``.zip`` file (its top level holds the skill folders), or an ``http(s)`` URL of such a zip.

Zips are extracted once per process into a private temporary directory; a member whose
path would leave that directory (absolute, or with ``..``) is refused. A URL is fetched
with httpx (its defaults: ``SSL_CERT_FILE``/``SSL_CERT_DIR``, the proxy variables) when the
skills are first loaded.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from flink_agents_runtime._errors import ResourceError

#: Seconds to wait for a skills zip URL.
URL_TIMEOUT_S = 30.0

_extracted: dict[str, Path] = {}


def is_url(source: str) -> bool:
    """Whether ``source`` is an ``http(s)`` URL."""
    return source.startswith(("http://", "https://"))


def skills_root(source: str) -> Path:
    """The directory holding the skill folders of ``source`` (a directory, a zip or a URL
    of a zip). Raises :class:`ResourceError` naming the source when it cannot be read."""
    if source in _extracted:
        return _extracted[source]
    if is_url(source):
        data = _fetch(source)
    else:
        path = Path(source)
        if path.is_dir():
            return path
        if not (path.is_file() and path.suffix.lower() == ".zip"):
            raise ResourceError(f"skills directory {source!r} does not exist")
        data = path.read_bytes()
    _extracted[source] = _extract(source, data)
    return _extracted[source]


def _fetch(url: str) -> bytes:
    import httpx

    try:
        response = httpx.get(url, timeout=URL_TIMEOUT_S, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ResourceError(f"skills zip {url!r} could not be fetched: {exc}") from None
    return response.content


def _extract(source: str, data: bytes) -> Path:
    target = Path(tempfile.mkdtemp(prefix="flink-agents-skills-"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                parts = PurePosixPath(name).parts
                if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                    raise ResourceError(
                        f"skills zip {source!r}: member {name!r} would be written outside "
                        "the skills directory"
                    )
            archive.extractall(target)
    except zipfile.BadZipFile as exc:
        raise ResourceError(f"skills zip {source!r} is not a zip file: {exc}") from None
    return target
