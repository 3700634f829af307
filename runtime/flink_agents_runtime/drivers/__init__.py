"""What feeds the engine: the execution-environment base, the scheduler that keeps many
inputs in flight (shared by both drivers), the local driver, the Flink driver (drivers.flink)
and Flink's file sink.
"""
