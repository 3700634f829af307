"""Forking from the stepper's current event (the widget's "fork here" button).

``stepper.fork(**edits)`` forks the stepper's run at the current event with
:attr:`Stepper.fork_options` updated by ``edits`` (``agent=``, ``memory=``, ``model=``, ...,
as ``Run.fork``); each fork is appended to :attr:`Stepper.forks`.
"""

from __future__ import annotations

from typing import Any

from flink_agents_runtime import FlinkAgentsError


def fork_at_cursor(stepper: Any, **edits: Any) -> Any:
    """The fork (a ``Run``) at ``stepper``'s current event (a :class:`Stepper`, known by
    its ``current``, ``source``, ``name``, ``fork_options`` and ``forks`` only); see the
    module docstring."""
    current = stepper.current
    if current is None:
        raise FlinkAgentsError("the stepper shows no event to fork from")
    fork = getattr(stepper.source, "fork", None)
    if not callable(fork):
        raise FlinkAgentsError(
            f"forking needs a Run; the stepper steps through {stepper.name} "
            "(replay a log with fa.replay(log, agent), then fork its run)"
        )
    run = fork(current["event_id"], **{**stepper.fork_options, **edits})
    stepper.forks.append(run)
    return run


def fork_summary(run: Any) -> str:
    """One line for the widget: where the fork started and its first summary line."""
    info = getattr(run, "fork_info", None) or {}
    return (
        f"fork at key {info.get('key')!r} input {info.get('input')}: "
        f"{run.summary().splitlines()[0]}"
    )
