"""A small client for Flink's REST API: fail fast, errors that name the address.

Every call names the URL it tried. :func:`probe` answers in about ``connect_timeout`` seconds
whether a cluster listens at an address, so ``submit`` to a wrong address fails at once
instead of after PyFlink's minute of retries. Asynchronous operations (savepoints, stop with
savepoint) are triggered and then polled with :meth:`FlinkRest.wait_operation`.
"""

from __future__ import annotations

import time
from typing import Any

from flink_agents_runtime import FlinkAgentsError


class ClusterError(FlinkAgentsError, RuntimeError):
    """A Flink cluster did not answer, or answered a REST call with an error.

    Attributes:
        url: the URL that was tried.
    """

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class ClusterUnreachableError(ClusterError, ConnectionError):
    """Nothing answers at the cluster's REST address (wrong host or port, cluster down)."""


class FlinkRest:
    """Flink's REST API at ``rest_url`` (``http://host:port``).

    Args:
        rest_url: the cluster's REST endpoint.
        timeout: seconds for each call (connect and read).
    """

    def __init__(self, rest_url: str, timeout: float = 10.0) -> None:
        self.rest_url = rest_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        import httpx  # here, not at import: only cluster use pays for it

        url = f"{self.rest_url}{path}"
        try:
            response = httpx.request(method, url, json=body, timeout=self.timeout)
        except httpx.ConnectError as exc:
            raise ClusterUnreachableError(
                f"no Flink cluster answers at {self.rest_url} ({exc}); is it running, and is "
                "the REST address right (rest.address/rest.port)?",
                url=url,
            ) from None
        except httpx.HTTPError as exc:
            raise ClusterError(
                f"{method} {url} failed: {type(exc).__name__}: {exc}", url=url
            ) from None
        if response.status_code >= 400:
            detail = response.text[:500]
            raise ClusterError(f"{method} {url} answered {response.status_code}: {detail}", url=url)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise ClusterError(
                f"{method} {url} answered non-JSON: {response.text[:200]!r}", url=url
            ) from None

    def get(self, path: str) -> Any:
        """``GET path`` as parsed JSON."""
        return self._call("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        """``POST path`` with a JSON body; the parsed answer."""
        return self._call("POST", path, body if body is not None else {})

    def patch(self, path: str) -> Any:
        """``PATCH path``; the parsed answer (often empty)."""
        return self._call("PATCH", path)

    def wait_operation(
        self, path: str, timeout: float = 120.0, poll: float = 0.3
    ) -> dict[str, Any]:
        """Poll an asynchronous operation's status at ``path`` until it completes; returns
        its ``operation`` part. Raises :class:`ClusterError` with Flink's failure cause
        when it failed, and after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.get(path)
            if (answer.get("status") or {}).get("id") == "COMPLETED":
                operation = answer.get("operation") or {}
                cause = operation.get("failure-cause")
                if cause:
                    text = cause.get("stack-trace") or cause.get("class") or str(cause)
                    raise ClusterError(
                        f"{self.rest_url}{path} failed: {_first_lines(text)}",
                        url=f"{self.rest_url}{path}",
                    )
                return dict(operation)
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{self.rest_url}{path} not complete after {timeout}s",
                    url=f"{self.rest_url}{path}",
                )
            time.sleep(poll)


def _first_lines(text: str, lines: int = 6) -> str:
    return "\n".join(str(text).splitlines()[:lines])


def probe(rest_url: str, connect_timeout: float = 3.0) -> dict[str, Any]:
    """The cluster's ``/overview`` (task managers, slots, jobs), or
    :class:`ClusterUnreachableError` naming ``rest_url`` within about ``connect_timeout``
    seconds when nothing answers there."""
    return dict(FlinkRest(rest_url, timeout=connect_timeout).get("/overview"))


#: Prefix of the agent operator's metrics in Flink's Prometheus reporter.
PROMETHEUS_PREFIX = "flink_taskmanager_job_task_operator_"


def prometheus_agent_metrics(
    prometheus_url: str, job_id: str, timeout: float = 5.0
) -> dict[str, float]:
    """The agent's metrics of job ``job_id`` as Prometheus scraped them from Flink's
    reporter, summed over subtasks and named as a local run names them
    (``numOfEventProcessed``, ``action.<a>.numOfActionsExecuted``, ...)."""
    import httpx

    url = f"{prometheus_url.rstrip('/')}/api/v1/query"
    query = f'{{__name__=~"{PROMETHEUS_PREFIX}.*numOf.*",job_id="{job_id}"}}'
    try:
        answer = httpx.get(url, params={"query": query}, timeout=timeout).json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ClusterError(
            f"Prometheus at {prometheus_url} did not answer: {exc}", url=url
        ) from None
    out: dict[str, float] = {}
    for series in (answer.get("data") or {}).get("result", []):
        labels = series.get("metric", {})
        name = str(labels.get("__name__", "")).removeprefix(PROMETHEUS_PREFIX)
        action = labels.get("action")
        if action is not None and name.startswith("action_"):
            name = f"action.{action}.{name.removeprefix('action_')}"
        try:
            value = float(series["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        out[name] = out.get(name, 0.0) + value
    return dict(sorted(out.items()))
