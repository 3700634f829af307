"""Time travel in the notebook: ``fa.replay`` (offline replay of a record, its divergences)
and ``Run.fork`` (re-run an input from one of its events with edits).
"""
