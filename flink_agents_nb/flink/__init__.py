"""Taking an agent to Flink from the notebook: promote to the MiniCluster, submit to a cluster,
export a job.
"""
