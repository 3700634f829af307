"""One input's way through an agent: the compiled plan, the execution core, the cascade of
actions, the runner context, records and run results.
"""
