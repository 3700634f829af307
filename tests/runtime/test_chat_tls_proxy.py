"""HTTPS and proxies on both chat transports (httpx for ``chat``, aiohttp for ``achat``):
the same settings give the same behaviour. Real loopback servers: an OpenAI-compatible
server behind TLS (a ``trustme`` CA), a forward proxy that logs what it carried."""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flink_agents_runtime import (
    ChatMessage,
    ChatModelError,
    ConfigError,
    MessageRole,
    OllamaChatModelConnection,
    OpenAIChatModelConnection,
)
from flink_agents_runtime.engine.awaiting._loop import call_soon
from tests.helpers.forward_proxy import ForwardProxy
from tests.helpers.openai_server import OpenAIServer
from tests.helpers.ports import free_port
from tests.helpers.tls import LoopbackCA, loopback_ca

KEY = "sk-tls-secret-7f3a"
_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def _ask(conn: OpenAIChatModelConnection, text: str) -> tuple[Any, Any]:
    """``(sync outcome, async outcome)``: the answer's content, or the error raised."""
    messages = [ChatMessage(MessageRole.USER, text)]
    outcomes: list[Any] = []
    for call in (
        lambda: conn.chat(messages, model="echo"),
        lambda: call_soon(conn.achat(messages, model="echo")).result(30),
    ):
        try:
            outcomes.append(call().content)
        except ChatModelError as exc:
            outcomes.append(exc)
    conn.close()
    return outcomes[0], outcomes[1]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:  # this machine (or CI's) may set any of them
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCA:
    return loopback_ca(Path(tmp_path_factory.mktemp("ca")))


@pytest.fixture(scope="module")
def https(ca: LoopbackCA) -> Iterator[OpenAIServer]:
    with OpenAIServer(tls=ca.server) as srv:
        yield srv


@pytest.fixture(scope="module")
def http() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as srv:
        yield srv


def test_https_with_the_ca_given_to_the_connection(https: OpenAIServer, ca: LoopbackCA) -> None:
    https.reset_counters()
    conn = OpenAIChatModelConnection(https.url, api_key=KEY, ca_file=ca.ca_file)
    assert _ask(conn, "over tls") == ("echo: over tls", "echo: over tls")
    assert [r["headers"]["Authorization"] for r in https.requests] == [f"Bearer {KEY}"] * 2


def test_https_with_the_ca_named_by_ssl_cert_file(
    https: OpenAIServer, ca: LoopbackCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca.ca_file)
    conn = OpenAIChatModelConnection(https.url, api_key=KEY)
    assert _ask(conn, "env ca") == ("echo: env ca", "echo: env ca")


def test_https_with_the_ca_in_the_directory_ssl_cert_dir_names(
    https: OpenAIServer, ca: LoopbackCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenSSL finds a CA in a directory by its subject hash: <hash>.0 (openssl ships with
    # Debian's ca-certificates).
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", ca.ca_file],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    shutil.copy(ca.ca_file, tmp_path / f"{subject_hash}.0")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    conn = OpenAIChatModelConnection(https.url, api_key=KEY)
    assert _ask(conn, "dir ca") == ("echo: dir ca", "echo: dir ca")


def test_an_untrusted_certificate_is_the_same_clear_error_on_both_paths(
    https: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    https.reset_counters()
    caplog.set_level(logging.DEBUG)
    conn = OpenAIChatModelConnection(https.url, api_key=KEY)  # certifi's CAs only
    sync, aio = _ask(conn, "x")
    assert isinstance(sync, ChatModelError) and isinstance(aio, ChatModelError)
    assert str(sync) == str(aio)
    message = str(sync)
    assert f"127.0.0.1:{https.port}" in message
    assert "TLS certificate is not trusted" in message and "SSL_CERT_FILE" in message
    assert "certificate" in message.split("not trusted (", 1)[1]  # OpenSSL's reason
    assert sync.retryable is False and aio.retryable is False  # not retried: it cannot help
    assert https.requests == []
    for shown in (message, repr(sync), repr(aio), repr(conn), caplog.text):
        assert KEY not in shown


def test_https_through_the_proxy_the_environment_names(
    https: OpenAIServer, ca: LoopbackCA, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://agent:pw@127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "example.org")
    conn = OpenAIChatModelConnection(https.url, api_key=KEY, ca_file=ca.ca_file)
    assert _ask(conn, "tunnel") == ("echo: tunnel", "echo: tunnel")
    auth = "Basic " + base64.b64encode(b"agent:pw").decode()
    assert proxy.log == [("CONNECT", f"127.0.0.1:{https.port}", auth)] * 2  # one per transport


def test_plain_http_through_the_proxy_the_environment_names(
    http: OpenAIServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # for https only: not used
    conn = OpenAIChatModelConnection(http.url, api_key=KEY)
    assert _ask(conn, "forwarded") == ("echo: forwarded", "echo: forwarded")
    assert proxy.log == [("POST", f"{http.url}/chat/completions", None)] * 2


def test_no_proxy_bypasses_the_proxy_on_both_paths(
    https: OpenAIServer,
    http: OpenAIServer,
    ca: LoopbackCA,
    proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost, 127.0.0.1")
    for srv in (https, http):
        conn = OpenAIChatModelConnection(srv.url, api_key=KEY, ca_file=ca.ca_file)
        assert _ask(conn, "direct") == ("echo: direct", "echo: direct")
    assert proxy.log == []


def test_a_ca_bundle_that_cannot_be_read_is_named_on_both_paths(
    https: OpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    monkeypatch.setenv("SSL_CERT_FILE", missing)
    conn = OpenAIChatModelConnection(https.url, api_key=KEY)
    messages = [ChatMessage(MessageRole.USER, "x")]
    with pytest.raises(ConfigError, match=r"SSL_CERT_FILE") as sync:
        conn.chat(messages, model="echo")
    with pytest.raises(ConfigError, match=r"SSL_CERT_FILE") as aio:
        call_soon(conn.achat(messages, model="echo")).result(30)
    conn.close()
    assert str(sync.value) == str(aio.value) and missing in str(sync.value)
    assert getattr(sync.value, "retryable", True) is False  # the chat action does not retry


def test_a_proxy_that_does_not_answer_is_named_without_its_password(
    http: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://agent:pw-secret-9@127.0.0.1:{port}")
    conn = OpenAIChatModelConnection(http.url, api_key=KEY, max_retries=0)
    for failed in _ask(conn, "x"):
        assert isinstance(failed, ChatModelError) and failed.retryable is True
        message = str(failed)
        assert f"request failed (through the proxy http://agent:****@127.0.0.1:{port})" in message
        assert "pw-secret-9" not in message and KEY not in message


def test_the_native_http_connections_trust_the_same_certificates(
    https: OpenAIServer, ca: LoopbackCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = https.url.removesuffix("/v1")  # any TLS server: what matters is the handshake
    messages = [ChatMessage(MessageRole.USER, "x")]
    conn = OllamaChatModelConnection(base_url=base)
    with pytest.raises(ChatModelError, match=r"TLS certificate is not trusted") as refused:
        conn.chat(messages, model="m")
    assert refused.value.retryable is False and f"127.0.0.1:{https.port}" in str(refused.value)
    conn.close()
    monkeypatch.setenv("SSL_CERT_FILE", ca.ca_file)
    conn = OllamaChatModelConnection(base_url=base)
    with pytest.raises(ChatModelError, match=r"answered HTTP 404"):  # TLS passed
        conn.chat(messages, model="m")
    conn.close()


# -- the openai.ca-file option ----------------------------------------------------------------
def _run_from_yaml(tmp_path: Path, agent_config: str, connection: Any) -> Any:
    """The outputs of one input run by the local driver under a YAML file's ``agent:``
    section, or the error the run raised."""
    from flink_agents_runtime import AgentsExecutionEnvironment, ResourceDescriptor
    from tests.helpers.openai_server import ask_and_answer_agent

    path = tmp_path / "config.yaml"
    path.write_text("agent:\n" + agent_config)
    env = AgentsExecutionEnvironment.get_execution_environment(config_file=path)
    agent = ask_and_answer_agent(ResourceDescriptor(OpenAIChatModelConnection, **connection))
    try:
        return env.from_list([{"key": 1, "value": "yaml"}]).apply(agent).execute().output_values()
    except Exception as exc:  # the run's error, for the test to read
        return exc


@pytest.mark.parametrize("use_async", ["true", "false"])
def test_the_ca_file_option_from_yaml_is_trusted_before_ssl_cert_file(
    clean_env: None,
    https: OpenAIServer,
    ca: LoopbackCA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    use_async: str,
) -> None:
    other = loopback_ca(tmp_path)  # another CA: SSL_CERT_FILE alone would refuse the server
    monkeypatch.setenv("SSL_CERT_FILE", other.ca_file)
    config = f"  openai.ca-file: {ca.ca_file}\n  chat.async: {use_async}\n"
    connection = {"base_url": https.url, "api_key": KEY}
    assert _run_from_yaml(tmp_path, config, connection) == ["echo: yaml"]
    unset = f"  openai.ca-file: ''\n  chat.async: {use_async}\n"  # empty: as if not set
    refused = _run_from_yaml(tmp_path, unset, connection)
    assert "TLS certificate is not trusted" in str(refused) and "openai.ca-file" in str(refused)
    monkeypatch.setenv("SSL_CERT_FILE", ca.ca_file)
    assert _run_from_yaml(tmp_path, unset, connection) == ["echo: yaml"]


def test_the_connections_ca_file_wins_over_the_option(
    clean_env: None, https: OpenAIServer, ca: LoopbackCA, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    connection = {"base_url": https.url, "api_key": KEY, "ca_file": ca.ca_file}
    assert _run_from_yaml(tmp_path, f"  openai.ca-file: {missing}\n", connection) == ["echo: yaml"]
    failed = _run_from_yaml(tmp_path, f"  openai.ca-file: {missing}\n", {"base_url": https.url})
    assert f"cannot read the CA certificates {missing!r} that openai.ca-file names" in str(failed)


# -- refusals named for what fixes them -------------------------------------------------------
def test_a_certificate_for_another_host_name_is_a_clear_error_on_both_paths(
    ca: LoopbackCA,
) -> None:
    with OpenAIServer(tls=ca.server_for("model.internal.example")) as srv:
        conn = OpenAIChatModelConnection(srv.url, api_key=KEY, ca_file=ca.ca_file)
        sync, aio = _ask(conn, "x")
        assert srv.requests == []
    assert isinstance(sync, ChatModelError) and isinstance(aio, ChatModelError)
    assert str(sync) == str(aio)
    message = str(sync)
    assert message.startswith(f"{srv.url}/chat/completions (model 'echo'): ")
    assert "TLS certificate is not valid for this host (IP address mismatch" in message
    assert "connect by a host name the certificate names" in message
    assert "ca-file" not in message and "SSL_CERT_FILE" not in message  # a CA cannot fix it
    assert sync.retryable is False and aio.retryable is False and KEY not in message


@pytest.mark.parametrize("scheme", ["https", "http"])  # CONNECT tunnel; absolute-form request
@pytest.mark.parametrize("login", ["agent:wrong-pw-5", None])
def test_a_proxy_asking_for_a_login_is_named_without_its_password_on_both_paths(
    https: OpenAIServer,
    http: OpenAIServer,
    ca: LoopbackCA,
    monkeypatch: pytest.MonkeyPatch,
    scheme: str,
    login: str | None,
) -> None:
    srv = https if scheme == "https" else http
    with ForwardProxy(require_auth="agent:right-pw") as proxy:
        proxy_url = f"http://{login + '@' if login else ''}127.0.0.1:{proxy.port}"
        monkeypatch.setenv(f"{scheme.upper()}_PROXY", proxy_url)
        conn = OpenAIChatModelConnection(srv.url, api_key=KEY, ca_file=ca.ca_file)
        sync, aio = _ask(conn, "x")  # the default openai.max-retries: 3
        assert len(proxy.log) == 2  # one request per path: a 407 is not retried
    assert isinstance(sync, ChatModelError) and isinstance(aio, ChatModelError)
    assert str(sync) == str(aio)
    message = str(sync)
    shown = f"http://agent:****@127.0.0.1:{proxy.port}" if login else proxy_url
    assert message.startswith(f"{srv.url}/chat/completions (model 'echo'): the proxy {shown} ")
    assert "refused the request (HTTP 407 Proxy Authentication Required)" in message
    if login:
        assert "did not accept the user and password in its URL" in message
    else:
        assert "put user:password@ in the proxy's URL" in message
    assert sync.retryable is False and aio.retryable is False
    assert sync.status == 407 and aio.status == 407
    for text in (message, repr(sync), repr(conn)):
        assert "wrong-pw-5" not in text and KEY not in text


def test_the_native_http_connections_name_a_proxy_asking_for_a_login(
    http: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ForwardProxy(require_auth="agent:right-pw") as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://agent:wrong-pw-5@127.0.0.1:{proxy.port}")
        conn = OllamaChatModelConnection(base_url=http.url.removesuffix("/v1"))
        with pytest.raises(ChatModelError, match=r"refused the request \(HTTP 407") as refused:
            conn.chat([ChatMessage(MessageRole.USER, "x")], model="m")
        conn.close()
    message = str(refused.value)
    assert f"the proxy http://agent:****@127.0.0.1:{proxy.port} " in message
    assert "wrong-pw-5" not in message and refused.value.retryable is False
