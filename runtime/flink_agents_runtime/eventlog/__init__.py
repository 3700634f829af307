"""The event log writer: loggers, the record sink, record lines, levels, the timestamp clock
and truncation.
"""
