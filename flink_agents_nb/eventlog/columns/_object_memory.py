"""The one switch for the reader's paths that read or move objects' memory directly.

Three steps of a read work on CPython objects' memory through numpy instead of a Python
call per value, each probed on objects made at import and falling back to plain Python
when its probe fails:

- :mod:`.typed._slots`: the decoded structs' fields read as columns;
- :mod:`.ids._strkeys`: short ASCII id strings' bytes read to number them;
- :mod:`._moved`: object columns' references moved into the frame's block.

``FLINK_AGENTS_NB_READ_OBJECT_MEMORY=0`` (or ``false``, ``no``, ``off``) turns all three
off for a process (read at import): reads are then slower, never different. It is there
for an interpreter whose layout passes the probes yet differs in a way they do not see.
"""

from __future__ import annotations

import os

#: The environment variable (see the module docstring).
OBJECT_MEMORY_ENV = "FLINK_AGENTS_NB_READ_OBJECT_MEMORY"


def allowed(environ: dict[str, str] | None = None) -> bool:
    """Whether the object-memory paths may run (``environ``: default ``os.environ``)."""
    value = (os.environ if environ is None else environ).get(OBJECT_MEMORY_ENV, "1")
    return value.strip().lower() not in {"0", "false", "no", "off"}


#: Read once at import: each path checks it before touching memory.
ALLOWED = allowed()
