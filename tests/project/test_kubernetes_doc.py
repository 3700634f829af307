"""The Kubernetes guide's manifests are valid YAML and name the options the kit needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from flink_agents_runtime.config._options import find_option

DOC = Path(__file__).resolve().parents[2] / "docs" / "kubernetes.md"


def yaml_documents() -> list[dict]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert blocks, "no yaml blocks in docs/kubernetes.md"
    return [doc for block in blocks for doc in yaml.safe_load_all(block) if doc]


def test_manifests_parse_and_have_kinds() -> None:
    kinds = sorted(doc["kind"] for doc in yaml_documents())
    assert kinds == ["ConfigMap", "Deployment", "Job"]


def test_config_names_what_python_agent_jobs_need() -> None:
    config_map = next(d for d in yaml_documents() if d["kind"] == "ConfigMap")
    flink = yaml.safe_load(config_map["data"]["config.yaml"])
    for key in (
        "jobmanager.rpc.address",
        "python.executable",
        "execution.checkpointing.interval",
        "state.savepoints.dir",
        "metrics.reporter.prom.factory.class",
    ):
        assert key in flink, key
    agent = flink["agent"]
    for key in agent:
        assert find_option(key) is not None, f"docs/kubernetes.md names unknown option {key!r}"
    assert "baseLogDir" in agent


def test_every_pod_knows_the_jobmanager_address_and_mounts_shared_data() -> None:
    for doc in yaml_documents():
        if doc["kind"] not in {"Job", "Deployment"}:
            continue
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        env = {e["name"] for e in container["env"]}
        assert "JOB_MANAGER_RPC_ADDRESS" in env
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/flink-data" in mounts
    job = next(d for d in yaml_documents() if d["kind"] == "Job")
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:3] == ["standalone-job", "--python", "/opt/job/job.py"]
