#!/usr/bin/env bash
# Makes benchmarks/.venv-flink-agents with Apache Flink Agents 0.3.1, the baseline the local
# benchmark compares against. Offline-friendly: the Java jars are not downloaded (the local
# runner does not need them).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv-flink-agents/bin/python ]; then
  "$PY" -m venv .venv-flink-agents
fi
FLINK_AGENTS_SKIP_JAR_DOWNLOAD=1 .venv-flink-agents/bin/python -m pip install -q \
  "flink-agents==0.3.1" "apache-flink==2.3.0"
.venv-flink-agents/bin/python -c "import flink_agents; print('flink-agents', flink_agents.__file__)"
