"""What the environment says about an HTTP request: which certificates to trust and which
proxy to use. The one place both chat transports read it (httpx for blocking calls, aiohttp
for awaited ones; see ``chat/providers/_async_http.py``), so the same settings give the same
behaviour on both.

**Certificates** (:func:`tls_context`), first that applies: the connection's own ``ca_file``
(a PEM bundle, or a directory of hashed certificates; for the OpenAI-compatible connections
the ``ca_file=`` argument, else the ``openai.ca-file`` option); ``SSL_CERT_FILE``; ``SSL_CERT_DIR``;
else certifi's bundle. These are httpx's own rules (httpx 0.28 ``create_ssl_context``); aiohttp
left alone would use OpenSSL's defaults instead (the system store), so a certificate one path
trusts the other might not. A variable or ``ca_file`` *replaces* certifi's bundle; it does not
add to it (an internal gateway's CA bundle must hold every CA the connection meets).

**Proxies** (:func:`proxy_for`): ``HTTPS_PROXY`` for ``https://`` URLs, ``HTTP_PROXY`` for
``http://``, ``ALL_PROXY`` for either (lower-case names win), unless the host is in
``NO_PROXY`` (comma-separated host names or domain suffixes, ``*`` for all), as Python's
``urllib`` reads them. A proxy URL may carry ``user:password@`` (sent as
``Proxy-Authorization``). httpx's own environment reading differs in details (e.g. a
``NO_PROXY`` entry ``.example.com``), so the kit's httpx clients do not read the environment
themselves (``trust_env=False``): they route each request by :func:`proxy_for`
(:func:`new_httpx_client`).

**Refusals** are named for what fixes them: a certificate for another host name
(:func:`not_trusted` says so, not "set a CA"), and a proxy that refuses the request
(:func:`proxy_refused`, e.g. ``407 Proxy Authentication Required``: the proxy named, its
password hidden), whichever transport met them.

A connection reads the certificate settings when it makes its first call and the proxy when
it first reaches a host (then keeps both): set the variables before the first call.
"""

from __future__ import annotations

import os
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

from flink_agents_runtime._errors import ConfigError
from flink_agents_runtime._redact import redact_url

__all__ = [
    "new_httpx_client",
    "not_trusted",
    "proxy_for",
    "proxy_refusal",
    "proxy_refused",
    "tls_context",
    "tls_failure",
]

#: OpenSSL's reasons for a certificate that names another host (X509_V_ERR_HOSTNAME_MISMATCH,
#: X509_V_ERR_IP_ADDRESS_MISMATCH): no CA bundle makes such a certificate right.
_NAME_MISMATCH = ("Hostname mismatch", "IP address mismatch")

_contexts: dict[tuple[str | None, str | None, str | None], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def tls_context(
    ca_file: str | None = None, ca_setting: str = "the connection's ca_file"
) -> ssl.SSLContext:
    """The client TLS context for these settings (see the module docstring); one shared
    context per distinct setting. :class:`ConfigError` (``retryable`` false) naming the
    setting when the file or directory it names cannot be read (``ca_setting``: what named
    ``ca_file``, for that message)."""
    cert_file = os.environ.get("SSL_CERT_FILE") or None
    cert_dir = os.environ.get("SSL_CERT_DIR") or None
    key = (ca_file, cert_file, cert_dir)
    with _contexts_lock:
        found = _contexts.get(key)
        if found is None:
            found = _contexts[key] = _make_context(ca_file, cert_file, cert_dir, ca_setting)
        return found


def _make_context(
    ca_file: str | None, cert_file: str | None, cert_dir: str | None, ca_setting: str
) -> ssl.SSLContext:
    path: str | None
    if ca_file is not None:
        setting, path = ca_setting, ca_file
    elif cert_file is not None:
        setting, path = "SSL_CERT_FILE", cert_file
    else:
        setting, path = "SSL_CERT_DIR", cert_dir
    try:
        return _load_context(ca_file, cert_file, cert_dir)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        err = ConfigError(
            f"cannot read the CA certificates {path!r} that {setting} names "
            f"({type(exc).__name__}: {exc}); point it to a readable PEM bundle",
            key=setting,
        )
        err.retryable = False  # type: ignore[attr-defined]  # the chat action's retries
        raise err from None


def _load_context(
    ca_file: str | None, cert_file: str | None, cert_dir: str | None
) -> ssl.SSLContext:
    if ca_file is not None:
        if os.path.isdir(ca_file):
            return ssl.create_default_context(capath=ca_file)
        return ssl.create_default_context(cafile=ca_file)
    if cert_file is not None:
        return ssl.create_default_context(cafile=cert_file)
    if cert_dir is not None:
        return ssl.create_default_context(capath=cert_dir)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``None``: connect directly)."""
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if not proxies:
        return None
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if parts.hostname and bypass(parts.hostname, proxies):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


def tls_failure(exc: BaseException) -> str | None:
    """Why the server's certificate was refused, when that is why ``exc`` (an httpx or
    aiohttp connection error, or anything raised from one) happened; else ``None``."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        why = getattr(err, "verify_message", None)  # aiohttp's own error derives from ssl's
        if isinstance(err, ssl.SSLCertVerificationError) and why is not None:
            return str(why)
        # aiohttp keeps the ssl error as ``certificate_error`` / ``_os_error``
        todo += [
            err.__cause__,
            err.__context__,
            getattr(err, "certificate_error", None),
            getattr(err, "_os_error", None),
        ]
    return None


def not_trusted(where: str, why: str, *, ca_file_option: bool = False) -> str:
    """The message of a call to ``where`` whose server certificate was refused (``why``:
    :func:`tls_failure`'s reason), saying what to set: a CA bundle, or for a certificate
    that names another host, the host name to connect by."""
    if why.startswith(_NAME_MISMATCH):
        return (
            f"{where}: the server's TLS certificate is not valid for this host ({why}); "
            "connect by a host name the certificate names (the connection's base URL), or "
            "give the server a certificate for this name"
        )
    setting = (
        "openai.ca-file (or the connection's ca_file=, or SSL_CERT_FILE)"
        if ca_file_option
        else "SSL_CERT_FILE"
    )
    return (
        f"{where}: the server's TLS certificate is not trusted ({why}); for a private CA, "
        f"set {setting} to its PEM bundle"
    )


def proxy_refusal(exc: BaseException) -> int | None:
    """The HTTP status with which a proxy refused to open a tunnel (``CONNECT``, for an
    ``https://`` URL), when that is what ``exc`` is: aiohttp's ``ClientHttpProxyError``, or
    httpx's ``ProxyError`` (``"407 Proxy Authentication Required"``); else ``None``."""
    name = type(exc).__name__
    if name == "ClientHttpProxyError":
        status = getattr(exc, "status", None)
        return status if isinstance(status, int) else None
    if name == "ProxyError":
        head = str(exc)[:4]
        if head[:3].isdigit() and head[3:] in ("", " "):
            return int(head[:3])
    return None


def proxy_refused(where: str, proxy: str, status: int) -> str:
    """The message of a call to ``where`` that the proxy ``proxy`` (a URL, its password
    hidden here) refused with HTTP ``status``, saying what to set."""
    import http

    try:
        reason = f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        reason = f"HTTP {status}"
    message = f"{where}: the proxy {redact_url(proxy)} refused the request ({reason})"
    if status != 407:
        return message
    try:
        has_login = urlsplit(proxy).username is not None
    except ValueError:
        has_login = False
    if has_login:
        return f"{message}; it did not accept the user and password in its URL"
    return (
        f"{message}; it wants a login: put user:password@ in the proxy's URL "
        "(HTTPS_PROXY / HTTP_PROXY / ALL_PROXY)"
    )


def new_httpx_client(
    timeout_s: float,
    *,
    ca_file: str | None = None,
    ca_setting: str = "the connection's ca_file",
    max_connections: int | None = 200,
    max_keepalive: int | None = 100,
) -> Any:
    """An ``httpx.Client`` that trusts :func:`tls_context` and routes every request by
    :func:`proxy_for` (``trust_env=False``: httpx reads nothing from the environment itself);
    redirects are not followed. ``timeout_s``: its total timeout per phase, seconds."""
    import httpx

    from flink_agents_runtime._httpx_routing import ProxyRouting

    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_keepalive)
    return httpx.Client(
        timeout=httpx.Timeout(float(timeout_s)),
        follow_redirects=False,
        trust_env=False,
        transport=ProxyRouting(proxy_for, tls_context(ca_file, ca_setting), limits),
    )
