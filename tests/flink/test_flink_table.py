"""The Table API shape of Flink Agents' remote environment: from_table(...).to_table(...).
As there, each input is the table's row itself (a named PyFlink ``Row``: ``row.name`` or
``row["name"]``, what Flink Agents' docs' key selectors read), and a ``Row`` output goes
into the output table as it is."""

from __future__ import annotations

import pytest

import flink_agents_nb as fa

pytestmark = [pytest.mark.flink, pytest.mark.usefixtures("clean_env")]


class Upper(fa.Agent):
    @fa.action(fa.InputEvent)
    @staticmethod
    def up(event: fa.Event, ctx: fa.RunnerContext) -> None:
        from pyflink.common import Row

        row = event.input
        assert isinstance(row, Row), type(row)
        seen = ctx.short_term_memory.get("seen", 0) + 1
        ctx.short_term_memory.set("seen", seen)
        out = {"name": row.name.upper(), "seen": seen}
        # a Row output, as Flink Agents' table e2e agent emits; a dict output for bob
        ctx.send_event(fa.OutputEvent(output=Row(**out) if row["name"] == "ada" else out))


def test_rows_of_a_table_run_through_the_agent_into_a_table() -> None:
    from pyflink.common import Types
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import DataTypes, Schema, StreamTableEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    t_env = StreamTableEnvironment.create(env)
    table = t_env.from_elements([("ada", 1), ("bob", 2), ("ada", 3)], ["name", "amount"])
    agents = fa.AgentsExecutionEnvironment.get_execution_environment(env)
    builder = agents.from_table(table, key_selector=lambda row: row.name).apply(Upper())
    schema = Schema.new_builder().column("name", DataTypes.STRING()).column("seen", DataTypes.INT())
    out = builder.to_table(
        schema.build(), output_type=Types.ROW_NAMED(["name", "seen"], [Types.STRING(), Types.INT()])
    )
    assert out.get_schema().get_field_names() == ["name", "seen"]
    with out.execute().collect() as results:
        rows = sorted((row[0], row[1]) for row in results)
    # Keyed by name: ada's memory counts across her two rows.
    assert rows == [("ADA", 1), ("ADA", 2), ("BOB", 1)]


def test_table_input_needs_a_key_selector_and_table_output_a_type() -> None:
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.table import StreamTableEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    table = StreamTableEnvironment.create(env).from_elements([("ada",)], ["name"])
    agents = fa.AgentsExecutionEnvironment.get_execution_environment(env)
    with pytest.raises(fa.FlinkAgentsError, match="from_table needs a key_selector"):
        agents.from_table(table)
    builder = agents.from_table(table, key_selector=lambda row: row["name"]).apply(Upper())
    with pytest.raises(fa.FlinkAgentsError, match="to_table needs output_type"):
        builder.to_table(None)
