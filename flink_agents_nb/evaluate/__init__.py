"""Evaluation: ``fa.evaluate`` (an agent over a dataset, scored), scorers, ``fa.compare``
(evaluations of agent versions side by side) and datasets built from runs.
"""
