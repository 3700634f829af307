"""Anthropic."""

from __future__ import annotations
