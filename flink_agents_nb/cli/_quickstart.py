"""The quickstart: an example agent over a sample DataFrame (``flink-agents-nb quickstart``).

The agent watches orders per customer: the first action keeps a running total in short-term
memory and sends a custom ``order_scored`` event; the second turns it into an output that
flags big spenders. It uses memory, a custom event, two actions and a user metric: most of
what a first agent needs.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from flink_agents_runtime import Agent, Event, InputEvent, OutputEvent, RunnerContext, action

#: Spend above which a customer is flagged (USD).
VIP_THRESHOLD = 100.0


class OrderScored(Event):
    """Sent for each order with the customer's running totals."""

    EVENT_TYPE = "order_scored"


class OrderWatchAgent(Agent):
    """Keeps per-customer totals and flags customers whose spend passes a threshold."""

    @action(InputEvent)
    @staticmethod
    def score(event: InputEvent, ctx: RunnerContext) -> None:
        order = event.input
        memory = ctx.short_term_memory
        total = memory.get("total", 0.0) + float(order["amount"])
        orders = memory.get("orders", 0) + 1
        memory.set("total", round(total, 2))
        memory.set("orders", orders)
        ctx.action_metric_group.get_counter("orders").inc()
        ctx.send_event(OrderScored(item=order["item"], total=round(total, 2), orders=orders))

    @action(OrderScored, threshold=VIP_THRESHOLD)
    @staticmethod
    def flag(event: Event, ctx: RunnerContext) -> None:
        threshold = ctx.get_action_config_value("threshold")
        status = "vip" if event.total > threshold else "regular"
        ctx.send_event(
            OutputEvent(
                output={
                    "customer": ctx.key,
                    "item": event.item,
                    "total": event.total,
                    "orders": event.orders,
                    "status": status,
                }
            )
        )


def sample_orders() -> pd.DataFrame:
    """Eight orders from three customers."""
    return pd.DataFrame(
        {
            "customer": ["ada", "bob", "ada", "cy", "bob", "ada", "cy", "bob"],
            "item": ["lamp", "book", "desk", "pen", "chair", "mug", "ink", "shelf"],
            "amount": [35.0, 12.5, 80.0, 3.2, 95.0, 9.9, 4.1, 20.0],
        }
    )


def run_quickstart() -> Any:
    """Run :class:`OrderWatchAgent` locally over :func:`sample_orders`; returns the Run."""
    from flink_agents_nb.run._environment import local

    env = local()
    return env.from_pandas(sample_orders(), key="customer").apply(OrderWatchAgent()).execute()


def _main(args: argparse.Namespace) -> int:
    run = run_quickstart()
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(run.outputs.drop(columns=["output"]).to_string(index=False))
    print()
    print(run.summary())
    counts = run.metric_counts
    print(f"orders counted by the score action: {counts.get('action.score.orders', 0)}")
    return 0


def add_parser(subparsers: Any) -> None:
    """Register ``quickstart`` on the CLI."""
    parser = subparsers.add_parser(
        "quickstart", help="run the example agent over a sample DataFrame, locally"
    )
    parser.set_defaults(func=_main)
