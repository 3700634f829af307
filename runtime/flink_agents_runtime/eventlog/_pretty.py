"""Pretty-printed records in the layout Flink Agents' loggers write them (Jackson's default
pretty printer, ``prettyPrint`` / ``trace-log.pretty-print``)::

    {
      "timestamp" : "2026-11-02T10:00:00.123Z",
      "attributes" : {
        "messages" : [ {
          "role" : "user"
        } ],
        "tags" : [ "a", "b" ],
        "none" : { },
        "empty" : [ ]
      }
    }

Fields are ``"name" : value``, one a line, indented two spaces per enclosing object; arrays
stay on their line (``[ a, b ]``) and do not indent what they hold; empty objects and arrays
are ``{ }`` and ``[ ]``. Upstream's tools read any JSON layout; this one is for people and
line tools (``grep '"status" : "failed"'``) that expect Flink Agents' own.
"""

from __future__ import annotations


def jackson_pretty(data: bytes) -> bytes:
    """JSON ``data`` (compact as msgspec writes it; whitespace outside strings is dropped)
    laid out as Jackson's default pretty printer does (see the module docstring). Strings and
    numbers are kept byte for byte."""
    text = data.decode("utf-8")
    out: list[str] = []
    objects: list[bool] = []  # per open container: is it an object
    level = 0  # open objects (arrays do not indent)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while True:
                k = text.index('"', j)
                slashes = 0
                while text[k - 1 - slashes] == "\\":
                    slashes += 1
                if slashes % 2 == 0:
                    break
                j = k + 1
            out.append(text[i : k + 1])
            i = k + 1
        elif c in "{[":
            close = "}" if c == "{" else "]"
            if i + 1 < n and text[i + 1] == close:
                out.append(c + " " + close)
                i += 2
                continue
            objects.append(c == "{")
            if c == "{":
                level += 1
                out.append("{\n" + "  " * level)
            else:
                out.append("[ ")
            i += 1
        elif c == "}":
            objects.pop()
            level -= 1
            out.append("\n" + "  " * level + "}")
            i += 1
        elif c == "]":
            objects.pop()
            out.append(" ]")
            i += 1
        elif c == ":":
            out.append(" : ")
            i += 1
        elif c == ",":
            out.append(",\n" + "  " * level if objects[-1] else ", ")
            i += 1
        elif c in " \t\r\n":  # (whitespace outside strings: not ours to keep)
            i += 1
        else:  # a number, true, false, null or NaN/Infinity: up to the next delimiter
            j = i
            while j < n and text[j] not in ",:]} \t\r\n":
                j += 1
            out.append(text[i:j])
            i = j
    return "".join(out).encode("utf-8")
