"""What feeds the engine: the execution-environment base, the local driver, the Flink driver
(drivers.flink) and Flink's file sink.
"""
