"""Azure OpenAI."""

from __future__ import annotations
