"""The compiled plan: an agent's actions by event type, its resources and config, and
the checks made on it before it runs."""
