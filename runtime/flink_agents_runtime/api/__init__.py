"""The user-facing building blocks: agents and decorators, events, memory, metric groups,
resources.
"""
