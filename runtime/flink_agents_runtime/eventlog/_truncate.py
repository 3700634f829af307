"""STANDARD-level truncation of event-log values, in the shapes Apache Flink Agents writes.

What is cut is replaced by a marker object, so a reader can tell a cut value from a real one:

- a string longer than ``max_string_length`` characters (UTF-16 code units, as Java counts:
  a character outside the Basic Multilingual Plane, such as most emoji, counts 2) becomes
  ``{"truncatedString": "<first N chars>...", "omittedChars": <how many were dropped>}``;
- an array longer than ``max_array_elements`` becomes
  ``{"truncatedList": [<first N elements>], "omittedElements": <how many were dropped>}``;
- an object at depth ``max_depth`` or deeper keeps only its scalar fields:
  ``{"truncatedObject": {<scalars>}, "omittedFields": <how many nested values were dropped>}``.

Depth counts from the event node (depth 1); an event's ``attributes`` object is depth 2.
A limit of 0 turns that kind of truncation off. Values are never modified in place: a
truncated copy is returned, and an unchanged value is returned as the same object.
"""

from __future__ import annotations

from typing import Any

from flink_agents_runtime.api._values import is_model, is_row, model_json


def _utf16_cut(text: str, limit: int) -> Any:
    """:meth:`Truncator._string` for non-ASCII ``text``: lengths in UTF-16 code units, as
    Java counts them (a character outside the BMP counts 2); a pair cut in half leaves its
    first half, which Java's UTF-8 writer writes as ``?``."""
    units = text.encode("utf-16-le", "surrogatepass")
    size = len(units) // 2
    if size <= limit:
        return text
    kept = units[: 2 * limit].decode("utf-16-le", "surrogatepass")
    if kept and "\ud800" <= kept[-1] <= "\udbff":
        kept = kept[:-1] + "?"
    return {"truncatedString": kept + "...", "omittedChars": size - limit}


#: Marker keys a truncated value carries (readers use them to recognise cut values).
TRUNCATION_MARKERS = ("truncatedString", "truncatedList", "truncatedObject")


class Truncator:
    """Cuts long strings, long arrays and deep objects out of JSON-ready values.

    Args:
        max_string_length: longest string kept whole, in characters (0: no limit).
        max_array_elements: most array elements kept (0: no limit).
        max_depth: depth from which objects keep only scalar fields (0: no limit).
    """

    __slots__ = ("max_array_elements", "max_depth", "max_string_length")

    def __init__(self, max_string_length: int, max_array_elements: int, max_depth: int) -> None:
        self.max_string_length = max(0, int(max_string_length))
        self.max_array_elements = max(0, int(max_array_elements))
        self.max_depth = max(0, int(max_depth))

    @classmethod
    def from_config(cls, config: Any, log: str) -> Truncator:
        """The limits of one log's ``STANDARD`` detail in ``config`` (an
        :class:`AgentConfiguration`): ``{log}.standard.max-string-length``,
        ``max-array-elements`` and ``max-depth``, ``log`` ``"event-log"`` or ``"trace-log"``."""
        return cls(
            int(config.get(f"{log}.standard.max-string-length")),
            int(config.get(f"{log}.standard.max-array-elements")),
            int(config.get(f"{log}.standard.max-depth")),
        )

    @property
    def enabled(self) -> bool:
        """Whether any limit is set."""
        return bool(self.max_string_length or self.max_array_elements or self.max_depth)

    def attributes(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """``attrs`` (an event's attributes, depth 2) with what exceeds the limits cut.

        Returns ``attrs`` itself when nothing was cut (test with ``is``).
        """
        return self._object(attrs, 2)

    def value(self, value: Any, depth: int = 2) -> Any:
        """Any JSON-ready ``value`` sitting at ``depth``, truncated (same object if unchanged)."""
        if isinstance(value, dict):
            return self._object(value, depth)
        if isinstance(value, (list, tuple)):
            return self._array(value, depth)
        if isinstance(value, str):
            return self._string(value)
        if is_model(value) or is_row(value):  # truncated as its JSON-mode data
            return self.value(model_json(value), depth)
        return value

    # -- internals ---------------------------------------------------------------------
    def _string(self, text: str) -> Any:
        limit = self.max_string_length
        if limit <= 0 or len(text) * 2 <= limit:
            return text
        if text.isascii():
            if len(text) <= limit:
                return text
            return {"truncatedString": text[:limit] + "...", "omittedChars": len(text) - limit}
        return _utf16_cut(text, limit)

    def _child(self, value: Any, depth: int) -> Any:
        # ``value`` is a field of an object at ``depth``.
        kind = type(value)
        if kind is str:
            return self._string(value)
        if kind is dict:
            return self._object(value, depth + 1)
        if kind is list or kind is tuple:
            return self._array(value, depth + 1)
        return value

    def _object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        if self.max_depth > 0 and depth >= self.max_depth:
            return self._collapse(node)
        out: dict[str, Any] | None = None
        for name, child in node.items():
            new = self._child(child, depth)
            if new is not child:
                if out is None:
                    out = dict(node)
                out[name] = new
        return node if out is None else out

    def _array(self, items: list[Any] | tuple[Any, ...], depth: int) -> Any:
        limit = self.max_array_elements
        kept = items if limit <= 0 or len(items) <= limit else items[:limit]
        out: list[Any] | None = None
        for index, item in enumerate(kept):
            kind = type(item)
            if kind is str:
                new = self._string(item)
            elif kind is dict:
                new = self._object(item, depth)
            elif kind is list or kind is tuple:
                new = self._array(item, depth + 1)
            else:
                continue
            if new is not item:
                if out is None:
                    out = list(kept)
                out[index] = new
        result: Any = out if out is not None else kept
        if kept is not items:
            return {"truncatedList": list(result), "omittedElements": len(items) - limit}
        return result

    def _collapse(self, node: dict[str, Any]) -> dict[str, Any]:
        scalars: dict[str, Any] = {}
        omitted = 0
        changed = False
        for name, child in node.items():
            if isinstance(child, (dict, list, tuple)):
                omitted += 1
                continue
            if type(child) is str:
                new = self._string(child)
                changed = changed or new is not child
                child = new
            scalars[name] = child
        if omitted:
            return {"truncatedObject": scalars, "omittedFields": omitted}
        return scalars if changed else node
