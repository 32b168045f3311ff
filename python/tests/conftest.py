"""Fixtures of the qbake package's tests: a real qbake-server process per test module
(or per test, with flags of its own), the qbake CLI to compare with, and the PPQ
end-to-end cases of tests/data/ppq_e2e.

The binaries come from --qbake-server and --qbake-cli, or the QBAKE_SERVER and
QBAKE_CLI environment variables (ctest passes the build's); the qbake package from
PYTHONPATH (the build folder's, or an installed one).
"""

import json
import os
import pathlib
import select
import signal
import subprocess
from typing import Iterator, List

import pytest

E2E_DIR = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "ppq_e2e"
E2E_CASES = sorted(path.name for path in E2E_DIR.iterdir() if path.is_dir())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--qbake-server", default=os.environ.get("QBAKE_SERVER"),
                     help="the qbake-server binary (default: $QBAKE_SERVER)")
    parser.addoption("--qbake-cli", default=os.environ.get("QBAKE_CLI"),
                     help="the qbake CLI binary (default: $QBAKE_CLI)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "large: bakes a model over 1 GiB (minutes, disk)")
    for option in ("--qbake-server", "--qbake-cli"):
        if not config.getoption(option):
            raise pytest.UsageError("%s (or its environment variable) is required" % option)


class Server:
    """A qbake-server on a free loopback port, stopped by stop() or when the test
    process dies: util-linux's setpriv sets its parent-death signal and execs it (a
    preexec_fn would run Python in the child of a process with gRPC's threads, which
    may crash or hang)."""

    def __init__(self, binary: str, flags: List[str], log: pathlib.Path) -> None:
        self.log_path = log
        self._log = open(log, "wb")
        self.process = subprocess.Popen(
            ["setpriv", "--pdeathsig", "TERM", binary, "--listen", "127.0.0.1:0", "--threads",
             "2", "--grace-period", "5", *flags],
            stdout=subprocess.PIPE, stderr=self._log)
        ready, _, _ = select.select([self.process.stdout], [], [], 30)
        line = self.process.stdout.readline().decode() if ready else ""
        if not line.startswith("qbake-server listening on "):
            self.process.kill()
            raise RuntimeError("qbake-server did not start: %r (log: %s)" % (line, log))
        parts = line.strip().split(", ")
        self.port = int(parts[0].rsplit(":", 1)[1])
        self.target = "127.0.0.1:%d" % self.port
        # With --metrics-listen: the URL of its Prometheus metrics.
        self.metrics_url = next((part[len("metrics on "):] for part in parts
                                 if part.startswith("metrics on ")), None)

    def logged_codes(self) -> List[str]:
        """The status code of every call it logged (one JSON line per ended call, just
        after its client had the status), in order."""
        codes = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                call = json.loads(line)
            except ValueError:
                continue
            if isinstance(call, dict) and "code" in call:
                codes.append(call["code"])
        return codes

    def stop(self) -> int:
        """Stops it (SIGTERM) and returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log.close()
        return code


@pytest.fixture(scope="session")
def server_binary(pytestconfig: pytest.Config) -> str:
    return pytestconfig.getoption("--qbake-server")


@pytest.fixture(scope="session")
def cli_binary(pytestconfig: pytest.Config) -> str:
    return pytestconfig.getoption("--qbake-cli")


@pytest.fixture
def start_server(server_binary: str, tmp_path: pathlib.Path) -> Iterator:
    """start_server(*flags) -> Server; each stopped at the end of the test, and must
    exit 0 then."""
    servers: List[Server] = []

    def start(*flags: str) -> Server:
        log = tmp_path / ("server%d.log" % len(servers))
        servers.append(Server(server_binary, list(flags), log))
        return servers[-1]

    yield start
    codes = [server.stop() for server in servers]
    assert codes == [0] * len(servers)


@pytest.fixture(scope="module")
def server(server_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A qbake-server with default flags, shared by a module's tests."""
    running = Server(server_binary, [], tmp_path_factory.mktemp("server") / "server.log")
    yield running
    assert running.stop() == 0


def run_cli(cli: str, *args: str) -> subprocess.CompletedProcess:
    """Runs the qbake CLI; it must exit 0."""
    result = subprocess.run([cli, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result
