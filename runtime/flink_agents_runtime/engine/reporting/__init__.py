"""What a run reports: records per event and action, call timings, nested runs' records,
the 0.4 input-run and component metrics, and the run result."""
