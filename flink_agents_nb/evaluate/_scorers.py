"""Scorers: how ``fa.evaluate`` grades one output against its expected value.

A scorer has a ``name``, says whether it ``needs_expected``, and scores a batch of cases
(``score_all``) or one (``score(output, expected, row) -> float | bool``); scores are
numbers in [0, 1] (``True`` is 1.0). ``threshold`` is the score that counts as a pass.
Plain functions ``f(output, expected)`` or ``f(output, expected, row)`` are scorers too
(:func:`as_scorer`). Built-ins: :func:`exact_match`, :func:`field_match`,
:func:`numeric_tolerance`, :func:`json_schema_match` and :func:`llm_judge` (in ``_judge``).
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flink_agents_runtime import FlinkAgentsError

_MISSING = object()


class EvaluationError(FlinkAgentsError, ValueError):
    """An evaluation cannot run or a scorer failed (the message names the scorer, the row
    and the column)."""


class Scorer:
    """Base of scorers; subclasses implement :meth:`score` (or :meth:`score_all`).

    Attributes:
        name: the column its scores get.
        needs_expected: whether it compares with an expected value.
        threshold: the score that counts as a pass (in ``pass_rate``).
    """

    name = "score"
    needs_expected = True
    threshold = 1.0

    def score(self, output: Any, expected: Any, row: Mapping[str, Any]) -> float | bool:
        """The score of one output (``row``: the dataset row, with ``input``)."""
        raise NotImplementedError

    def score_all(self, cases: Sequence[tuple[Any, Any, Mapping[str, Any]]]) -> list[Any]:
        """Scores of many ``(output, expected, row)`` cases, in order; an item may be an
        exception instead of a score (that case failed)."""
        out: list[Any] = []
        for output, expected, row in cases:
            try:
                out.append(self.score(output, expected, row))
            except Exception as exc:
                out.append(exc)
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class FunctionScorer(Scorer):
    """A user function as a scorer: ``f(output, expected)`` or ``f(output, expected, row)``."""

    def __init__(
        self, func: Callable[..., Any], name: str | None = None, threshold: float = 1.0
    ) -> None:
        self.func = func
        self.name = str(name or getattr(func, "__name__", "score"))
        self.threshold = threshold
        try:
            params = inspect.signature(func).parameters
            self._with_row = len(params) >= 3 or any(
                p.kind is p.VAR_POSITIONAL for p in params.values()
            )
        except (TypeError, ValueError):
            self._with_row = False

    def score(self, output: Any, expected: Any, row: Mapping[str, Any]) -> float | bool:
        if self._with_row:
            return self.func(output, expected, row)
        return self.func(output, expected)


def as_scorer(value: Any) -> Scorer:
    """A :class:`Scorer` from a scorer or a function; ``EvaluationError`` otherwise."""
    if isinstance(value, Scorer):
        return value
    if callable(value):
        return FunctionScorer(value)
    raise EvaluationError(f"a scorer is a Scorer or a function, got {type(value).__name__}")


def get_path(value: Any, path: str | None) -> Any:
    """The field at dotted ``path`` of a dict (or JSON text of one); ``_MISSING`` if absent."""
    if path is None:
        return value
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return _MISSING
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


class _Exact(Scorer):
    def __init__(self, name: str, strip: bool, case: bool) -> None:
        self.name, self.strip, self.case = name, strip, case

    def _norm(self, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip() if self.strip else v
            v = v if self.case else v.lower()
        return v

    def score(self, output: Any, expected: Any, row: Mapping[str, Any]) -> bool:
        return bool(self._norm(output) == self._norm(expected))


def exact_match(name: str = "exact_match", *, strip: bool = True, case: bool = True) -> Scorer:
    """1 when the output equals the expected value (strings stripped of surrounding
    whitespace unless ``strip=False``; ``case=False`` ignores case), else 0."""
    return _Exact(name, strip, case)


class _Field(Scorer):
    def __init__(self, field: str, name: str, expected_field: str | None) -> None:
        self.field, self.name, self.expected_field = field, name, expected_field

    def score(self, output: Any, expected: Any, row: Mapping[str, Any]) -> bool:
        got = get_path(output, self.field)
        want = get_path(expected, self.expected_field)
        if want is _MISSING and not isinstance(expected, Mapping):
            want = expected  # the expected value is the field's value itself
        return got is not _MISSING and bool(got == want)


def field_match(field: str, name: str | None = None, *, expected_field: Any = _MISSING) -> Scorer:
    """1 when the output's field ``field`` (dotted path; an output given as JSON text is
    parsed) equals the expected value's same field (or ``expected_field``; when the expected
    value has no such field, the expected value itself), else 0 (also for a missing field)."""
    exp = field if expected_field is _MISSING else expected_field
    return _Field(field, name or f"field:{field}", exp)


class _Numeric(Scorer):
    def __init__(self, name: str, abs_tol: float, rel_tol: float, field: str | None) -> None:
        self.name, self.abs_tol, self.rel_tol, self.field = name, abs_tol, rel_tol, field

    def score(self, output: Any, expected: Any, row: Mapping[str, Any]) -> bool:
        got = get_path(output, self.field)
        want = get_path(expected, self.field) if isinstance(expected, Mapping) else expected
        try:
            g, w = float(got), float(want)
        except (TypeError, ValueError):
            return False  # not a number: no match
        return math.isclose(g, w, rel_tol=self.rel_tol, abs_tol=self.abs_tol)


def numeric_tolerance(
    abs_tol: float = 0.0, rel_tol: float = 0.0, *, field: str | None = None, name: str | None = None
) -> Scorer:
    """1 when the output (or its ``field``) is a number within ``abs_tol`` or ``rel_tol``
    (relative to the larger magnitude) of the expected one, else 0 (also for non-numbers)."""
    if abs_tol < 0 or rel_tol < 0:
        raise EvaluationError(f"tolerances must be >= 0, got abs_tol={abs_tol} rel_tol={rel_tol}")
    return _Numeric(name or "numeric_tolerance", abs_tol, rel_tol, field)


class _Schema(Scorer):
    needs_expected = False

    def __init__(self, schema: Mapping[str, Any], name: str) -> None:
        import jsonschema

        self.name = name
        cls = jsonschema.validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise EvaluationError(
                f"scorer {name!r}: not a valid JSON schema: {exc.message}"
            ) from None
        self.validator = cls(schema)

    def score(self, output: Any, expected: Any, row: Mapping[str, Any]) -> bool:
        if isinstance(output, str):
            try:
                output = json.loads(output)
            except ValueError:
                return False
        return bool(self.validator.is_valid(output))


def json_schema_match(schema: Mapping[str, Any], name: str = "json_schema") -> Scorer:
    """1 when the output (a JSON value, or JSON text) is valid under ``schema``, else 0.
    Needs no expected value. Raises :class:`EvaluationError` for an invalid schema."""
    return _Schema(schema, name)
