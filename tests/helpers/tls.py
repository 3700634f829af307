"""A certificate authority for loopback HTTPS servers (``trustme``): a server context whose
certificate names 127.0.0.1 and localhost, and the CA's PEM bundle for clients to trust; the
same CA issues server certificates for other names (:meth:`LoopbackCA.server_for`)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LoopbackCA:
    """``server``: a TLS server context for 127.0.0.1; ``ca_file``: the CA's PEM bundle;
    ``authority``: the ``trustme.CA``."""

    server: ssl.SSLContext
    ca_file: str
    authority: Any

    def server_for(self, *names: str) -> ssl.SSLContext:
        """A TLS server context whose certificate, signed by this CA, names only ``names``."""
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.authority.issue_cert(*names).configure_cert(server)
        return server


def loopback_ca(folder: Path) -> LoopbackCA:
    """A new CA and a server certificate it signed; the CA's bundle is written to
    ``folder/ca.pem``."""
    import trustme

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return LoopbackCA(server, str(ca_file), ca)
