"""`python -m local_stack` in a subprocess, and a small HTTP client for it (stdlib only)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
READY = "Local stack ready on"
STARTUP_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 30.0
HTTP_TIMEOUT = 30.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def run_stack(port: int, timeout: float = STARTUP_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run `python -m local_stack --port <port>` to completion (for a start that must fail)."""
    return subprocess.run(
        [sys.executable, "-m", "local_stack", "--port", str(port)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class StackProcess:
    """The stack as `make run` starts it, its stdout and stderr collected line by line."""

    def __init__(self, port: int, environment: dict[str, str] | None = None) -> None:
        self.port = port
        self.environment = environment or {}
        self.base_url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        self.lines = []
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local_stack", "--port", str(self.port)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **self.environment},
        )
        self._reader = threading.Thread(target=self._read, args=(self._process,), daemon=True)
        self._reader.start()
        self.wait_for_line(lambda line: line.startswith(READY), STARTUP_TIMEOUT)

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, wanted: Callable[[str], bool], timeout: float, start: int = 0) -> int:
        """Index of the first line from `start` on that is `wanted`; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index in range(start, len(self.lines)):
                if wanted(self.lines[index]):
                    return index
            if not self.running and self._reader is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        output = "\n".join(self.lines)
        raise AssertionError(f"the stack did not print the expected line in {timeout} s; it printed:\n{output}")

    def stop(self) -> int:
        """SIGTERM, as Ctrl-C or a process manager would stop it; its exit code once its output is read."""
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        try:
            code = self._process.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise
        if self._reader is not None:
            self._reader.join(timeout=SHUTDOWN_TIMEOUT)
        return code

    def close(self) -> None:
        if self.running:
            self.stop()


@contextmanager
def running_stack(environment: dict[str, str] | None = None) -> Iterator[StackProcess]:
    """A stack started on a free port, stopped whatever happens."""
    process = StackProcess(free_port(), environment)
    process.start()
    try:
        yield process
    finally:
        process.close()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """Requests to the running stack, as a web front end would make them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        authorization: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = HTTP_TIMEOUT,
    ) -> Reply:
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        if token is not None:
            authorization = f"Bearer {token}"
        if authorization is not None:
            request.add_header("authorization", authorization)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return Reply(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, None, **kwargs)

    def token(self, sub: str, role: str, expires_in: int | None = None) -> str:
        body: dict[str, Any] = {"sub": sub, "role": role}
        if expires_in is not None:
            body["expires_in"] = expires_in
        reply = self.post("/dev/token", body)
        assert reply.status == 200, reply.body
        token: str = reply.json()["token"]
        return token
