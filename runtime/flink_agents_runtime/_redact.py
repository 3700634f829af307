"""Keeping secrets out of messages, reprs and logs.

:func:`redact_url` hides the password (and a user name's token-like part is kept: it is not
a secret on its own) of a URL; :func:`redact_text` replaces known secret strings and the
passwords of URLs found in free text (an exception message that quotes a URL);
:func:`redact_query` hides the values of a URL's secret-named query parameters
(``?token=...``); :func:`is_secret_name` tells whether a setting's or argument's name
says its value is a secret (the one rule configuration keys and resource arguments share).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

_SECRET_NAME = re.compile(
    r"auth|bearer|header|cookie|passw|pwd|key|token|secret|credential", re.IGNORECASE
)
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^\s/@:]*):[^\s/@]*@"
)


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``****`` (for messages and logs); a URL that
    does not parse is shown as ``<unparsable url>``."""
    try:
        parts = urlsplit(url)
        password = parts.password
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable url>"
    if password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    return parts._replace(netloc=f"{user}:****@{host}{port}").geturl()


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every ``secrets`` string (of 4+ characters) and every password in a
    ``scheme://user:password@`` URL replaced by ``****``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "****")
    return _URL_CREDENTIALS.sub(r"\g<scheme>\g<user>:****@", text)


def is_secret_name(name: str) -> bool:
    """Whether a value named ``name`` (a config key, a resource argument, a header) is to be
    masked: the name holds auth (authorization), bearer, header, cookie, passwd/password,
    pwd, key, token, secret or credential, in any case."""
    return bool(_SECRET_NAME.search(name))


def secret_query_values(url: str) -> list[str]:
    """The values of ``url``'s query parameters whose names :func:`is_secret_name` tells
    (``?token=...``, ``?api_key=...``), for :func:`redact_text`."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return [v for k, v in parse_qsl(query, keep_blank_values=True) if v and is_secret_name(k)]


def redact_query(url: str) -> str:
    """``url`` with its password (:func:`redact_url`) and the values of its secret-named
    query parameters replaced by ``****``."""
    shown = redact_url(url)
    for value in secret_query_values(url):
        shown = shown.replace(value, "****")
    return shown
