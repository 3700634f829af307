"""Runs as DataFrames: the notebook environment, DataFrame sources, record frames, token costs
and run diffs.
"""
