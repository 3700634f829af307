"""Configuration: the declared options table and the layered configuration (defaults, YAML,
environment, code).
"""
