"""Gauge values as Flink's Python gauges carry them: whole numbers in a Java ``long``
(a float there threw ``ClassCastException`` in Flink's reporters and broke whole scrapes)."""

from __future__ import annotations

import math

import pytest

from flink_agents_runtime.drivers.flink._metrics import whole_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (50.6, 51),
        (50.4, 50),
        (-3.7, -4),
        (7, 7),
        (True, 1),
        (None, 0),
        ("many", 0),
        (math.nan, 0),
        (math.inf, 0),
        (-math.inf, 0),
        (1e30, 2**63 - 1),
        (-1e30, -(2**63)),
    ],
)
def test_gauge_values_become_whole_numbers_within_a_java_long(value: object, expected: int) -> None:
    number = whole_number(value)
    assert type(number) is int
    assert number == expected
