"""Reading event logs (ours and Flink Agents') into frames: files, columns, lineage trees."""
