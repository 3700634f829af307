"""Flink Agents 0.4 Trace Log records: how each lands in the frame's columns (``_trace``) and
how entity records are linked column-wise into durations, start times and lineage
(``_trace_link``). Modules are private."""
