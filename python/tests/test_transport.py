"""TLS, mutual TLS and the auth token against a real server, and the health and info
calls."""

import pathlib
import subprocess

import grpc
import pytest

import qbake
from conftest import E2E_DIR

CASE = E2E_DIR / "synth_trt_int8"

# A CA, a server certificate for 127.0.0.1 and a client certificate it signed.
MAKE_CERTIFICATES = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / \
    "make_certificates.sh"


@pytest.fixture
def certificates(tmp_path: pathlib.Path) -> pathlib.Path:
    subprocess.run(["/bin/sh", str(MAKE_CERTIFICATES)], cwd=tmp_path, check=True,
                   capture_output=True)
    return tmp_path


def bake_case(client: qbake.Client) -> qbake.BakeResult:
    return client.bake((CASE / "model.onnx").read_bytes(), (CASE / "ppq_config.json").read_text())


def test_health_and_info(server) -> None:
    with qbake.Client(server.target) as client:
        assert client.health() == "SERVING"
        info = client.info()
    assert info.version.startswith("0.")
    assert info.threads == 2
    assert not info.auth_required


def test_tls(start_server, certificates: pathlib.Path) -> None:
    server = start_server("--tls-cert", str(certificates / "server.pem"),
                          "--tls-key", str(certificates / "server.key"))
    with qbake.Client(server.target, tls_ca=certificates / "ca.pem") as client:
        assert client.health() == "SERVING"
        assert bake_case(client).summary.baked > 0
    with qbake.Client(server.target, retries=0) as plaintext:
        with pytest.raises(qbake.RetryableError) as raised:
            plaintext.health()
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls(start_server, certificates: pathlib.Path) -> None:
    server = start_server("--tls-cert", str(certificates / "server.pem"),
                          "--tls-key", str(certificates / "server.key"),
                          "--tls-client-ca", str(certificates / "ca.pem"))
    with qbake.Client(server.target, tls_ca=certificates / "ca.pem",
                      tls_cert=certificates / "client.pem",
                      tls_key=certificates / "client.key") as client:
        assert bake_case(client).summary.baked > 0
    with qbake.Client(server.target, tls_ca=certificates / "ca.pem", retries=0) as anonymous:
        with pytest.raises(qbake.BakeError) as raised:
            bake_case(anonymous)
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE


def test_client_certificate_needs_its_key(certificates: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="go together"):
        qbake.Client("127.0.0.1:1", tls_cert=certificates / "client.pem")


def test_token(start_server, tmp_path: pathlib.Path) -> None:
    (tmp_path / "token").write_text("s3cret-token\n")
    server = start_server("--auth-token-file", str(tmp_path / "token"))
    with qbake.Client(server.target, token="s3cret-token") as client:
        assert client.info().auth_required
        assert bake_case(client).summary.baked > 0
    for token in (None, "wrong-token"):
        with qbake.Client(server.target, token=token) as client:
            with pytest.raises(qbake.BakeError) as raised:
                bake_case(client)
        assert raised.value.code == grpc.StatusCode.UNAUTHENTICATED
        assert raised.value.reason == "UNAUTHENTICATED"
        assert not isinstance(raised.value, qbake.RetryableError)
