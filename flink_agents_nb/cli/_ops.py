"""Operations from a shell: ``doctor`` (the preflight checklist) and ``job`` (health,
savepoint, stop of a running job over REST).

``flink-agents-nb doctor [--config FILE] [--rest URL] [--json]``: exit 0 ready, 1 a check
failed. ``flink-agents-nb job {health,savepoint,stop} REST_URL JOB_ID [--dir DIR]
[--prometheus URL]``: exit 0 done (``health`` prints the verdict, with the agent's metrics
from Prometheus at ``URL`` when given; exit 1 when failing), 2 the cluster refused.
"""

from __future__ import annotations

import argparse
import json
import sys

from flink_agents_runtime import FlinkAgentsError


def _doctor(args: argparse.Namespace) -> int:
    from flink_agents_nb.flink._preflight import preflight

    report = preflight(args.config, args.rest)
    print(json.dumps(report.to_dicts(), indent=1) if args.json else report)
    return 0 if report.ok else 1


def _job(args: argparse.Namespace) -> int:
    from flink_agents_nb.flink._cluster import FlinkJob

    job = FlinkJob.attach(args.rest_url, args.job_id, log_dir=args.log_dir or "")
    try:
        if args.action == "health":
            health = job.health(prometheus_url=args.prometheus)
            print(health)
            return 1 if health.verdict == "failing" else 0
        if args.action == "savepoint":
            print(job.savepoint(args.dir))
        else:
            print(job.stop(savepoint=True, target_dir=args.dir))
    except FlinkAgentsError as exc:
        print(f"flink-agents-nb job {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    doctor = sub.add_parser("doctor", help="check configuration, Java, PyFlink and a cluster")
    doctor.add_argument("--config", help="an agent config YAML file (default: the usual search)")
    doctor.add_argument("--rest", help="a cluster's REST URL (default: rest.address in config)")
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.set_defaults(func=_doctor)
    job = sub.add_parser("job", help="health, savepoint or stop of a running job")
    job.add_argument("action", choices=["health", "savepoint", "stop"])
    job.add_argument("rest_url", help="the cluster's REST URL, e.g. http://127.0.0.1:8081")
    job.add_argument("job_id", help="Flink's job id")
    job.add_argument("--dir", help="savepoint target directory (default: the cluster's)")
    job.add_argument("--log-dir", help="the job's baseLogDir, for the event-log tail")
    job.add_argument(
        "--prometheus", help="health: read the agent's metrics from this Prometheus URL"
    )
    job.set_defaults(func=_job)
