"""An LLM judge: a scorer that asks a chat model to grade each output.

The judge is an agent of its own (one chat request per case), run through the same local
core as any agent, so any chat model connection works (scripted, OpenAI-compatible, ...) and
its token usage is counted per case (:attr:`LLMJudge.usage`). The model is asked for a score
from 0 to ``scale``; the answer's ``score: N`` (or else its first number) divided by
``scale`` is the case's score, clamped to [0, 1]. An answer without a number fails that case
with an error naming the judge and the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flink_agents_nb._html import short
from flink_agents_nb.evaluate._scorers import EvaluationError, Scorer
from flink_agents_nb.run._environment import local
from flink_agents_runtime import (
    Agent,
    ChatMessage,
    ChatModelSetup,
    ChatRequestEvent,
    ChatResponseEvent,
    InputEvent,
    MessageRole,
    OutputEvent,
    ResourceDescriptor,
    ResourceType,
)

DEFAULT_TEMPLATE = (
    "You grade the answer of an AI agent.\n"
    "Criteria: {criteria}\n"
    "Input: {input}\n"
    "Expected answer: {expected}\n"
    "Agent's answer: {output}\n"
    "Reply with 'score: N', N an integer from 0 (fails the criteria) to {scale} (meets them)."
)
_SCORE = re.compile(r"score\s*[:=]\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _ask(event: Any, ctx: Any) -> None:
    ctx.send_event(ChatRequestEvent("judge", [ChatMessage(MessageRole.USER, str(event.input))], {}))


def _verdict(event: Any, ctx: Any) -> None:
    ctx.send_event(OutputEvent(ChatResponseEvent.from_event(event).response.content))


def parse_score(text: str, scale: float) -> float:
    """The score in a judge's answer, in [0, 1]; :class:`EvaluationError` when it holds
    none."""
    m = _SCORE.search(text) or _NUMBER.search(text)
    if m is None:
        raise EvaluationError(
            f"the judge answered without a score: {short(text, 120, quote=False)!r}"
        )
    value = float(m.group(1) if m.re is _SCORE else m.group(0))
    return min(1.0, max(0.0, value / scale))


class LLMJudge(Scorer):
    """See the module docstring and :func:`llm_judge`.

    Attributes:
        usage: after scoring, ``(prompt_tokens, completion_tokens, model)`` per case.
        answers: the judge's answer per case.
    """

    needs_expected = False

    def __init__(
        self,
        connection: Any,
        *,
        model: str | None,
        criteria: str,
        name: str,
        template: str,
        scale: float,
        threshold: float,
        config: Mapping[str, Any] | None,
        model_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(connection, ResourceDescriptor) and not callable(
            getattr(connection, "chat", None)
        ):
            raise EvaluationError(
                f"llm_judge takes a chat model connection or its ResourceDescriptor, got "
                f"{type(connection).__name__}"
            )
        self.connection = connection
        self.model = model
        self.criteria = criteria
        self.name = name
        self.template = template
        self.scale = scale
        self.threshold = threshold
        self.config = dict(config or {})
        self.model_kwargs = dict(model_kwargs or {})
        self.usage: list[tuple[int, int, str | None]] = []
        self.answers: list[str | None] = []

    def agent(self) -> Agent:
        """The judge agent (connection ``judge_connection``, setup ``judge``)."""
        agent = Agent()
        agent.add_resource("judge_connection", ResourceType.CHAT_MODEL_CONNECTION, self.connection)
        setup = ResourceDescriptor(
            ChatModelSetup, connection="judge_connection", model=self.model, **self.model_kwargs
        )
        agent.add_resource("judge", ResourceType.CHAT_MODEL, setup)
        agent.add_action("judge_ask", [InputEvent], _ask)
        agent.add_action("judge_verdict", [ChatResponseEvent], _verdict)
        return agent

    def prompt(self, output: Any, expected: Any, row: Mapping[str, Any]) -> str:
        """The judge's question for one case."""
        return self.template.format(
            criteria=self.criteria,
            input=short(row.get("input"), 2000, quote=False),
            expected=short(expected, 2000, quote=False) if expected is not None else "(none)",
            output=short(output, 2000, quote=False),
            scale=int(self.scale) if float(self.scale).is_integer() else self.scale,
        )

    def score_all(self, cases: Sequence[tuple[Any, Any, Mapping[str, Any]]]) -> list[Any]:
        inputs = [{"key": i, "value": self.prompt(*case)} for i, case in enumerate(cases)]
        run = local(config=self.config).from_list(inputs).apply(self.agent()).execute()
        answers: dict[Any, str] = {o.key: o.value for o in run.result.outputs}
        usage: dict[Any, list[Any]] = {}
        for rec in run.result.events or ():
            if rec.event.type == ChatResponseEvent.EVENT_TYPE:
                attrs = rec.event.attributes
                u = usage.setdefault(rec.key, [0, 0, None])
                u[0] += int(attrs.get("promptTokens") or 0)
                u[1] += int(attrs.get("completionTokens") or 0)
                u[2] = attrs.get("model")
        self.usage = [tuple(usage.get(i, (0, 0, None))) for i in range(len(cases))]
        self.answers = [answers.get(i) for i in range(len(cases))]
        scores: list[Any] = []
        for text in self.answers:
            try:
                scores.append(parse_score(text or "", self.scale))
            except EvaluationError as exc:
                scores.append(exc)
        return scores

    def score(self, output: Any, expected: Any, row: Mapping[str, Any]) -> float:
        result = self.score_all([(output, expected, row)])[0]
        if isinstance(result, Exception):
            raise result
        return float(result)


def llm_judge(
    connection: Any,
    *,
    criteria: str,
    model: str | None = None,
    name: str = "judge",
    template: str = DEFAULT_TEMPLATE,
    scale: float = 10,
    threshold: float = 0.7,
    config: Mapping[str, Any] | None = None,
    **model_kwargs: Any,
) -> LLMJudge:
    """A scorer asking a chat model to grade each output against ``criteria``.

    Args:
        connection: a chat model connection (e.g. ``fa.OpenAIChatModelConnection(...)``,
            ``fa.ScriptedChatModelConnection(...)``) or a ``ResourceDescriptor`` of one.
        model: the model name the setup sends (``gpt-4o-mini``, ...).
        template: the question, with ``{criteria}``, ``{input}``, ``{expected}``,
            ``{output}`` and ``{scale}``.
        scale: the top score the model is asked for; threshold: the pass mark in [0, 1].
        config: options of the judge's local run (``{"chat.max-turns": 1}``, ...).
        model_kwargs: passed to every judge call (``temperature=0``, ...).
    """
    if scale <= 0:
        raise EvaluationError(f"llm_judge scale must be > 0, got {scale}")
    return LLMJudge(
        connection,
        model=model,
        criteria=criteria,
        name=name,
        template=template,
        scale=scale,
        threshold=threshold,
        config=config,
        model_kwargs=model_kwargs,
    )
