"""A throwaway JupyterLab server for the browser tests.

`LabServer(root_dir)` starts the virtual environment's `jupyter lab` on
127.0.0.1 (never another interface), on a free random port, with a random
token, without opening a browser, with its own empty Jupyter config / data /
runtime folders (so a developer's own settings, kernels or workspaces cannot
change what the test sees), and with COURSE_MODEL=shapesnet. `stop()` ends
the server and its kernels (the whole process group).

Used by tests_e2e/conftest.py; run by `make e2e`.
"""
from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _jupyter_command() -> list[str]:
    """`jupyter lab` of the Python running the tests (the course's venv)."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if jupyter.exists():
        return [str(jupyter), "lab"]
    return [sys.executable, "-m", "jupyterlab"]


class LabServer:
    """JupyterLab serving `root_dir` on http://127.0.0.1:<port>/ with a token.

    Attributes after `start()`: `port` (int), `token` (str), `base_url`
    (str, no trailing slash), `log_path` (Path: the server's and kernels'
    stdout/stderr).
    """

    def __init__(self, root_dir: Path, work_dir: Path, env: dict | None = None):
        self.root_dir = Path(root_dir)
        self.work_dir = Path(work_dir)
        self.extra_env = dict(env or {})
        self.token = secrets.token_hex(24)
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.log_path = self.work_dir / "jupyterlab.log"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        """Full URL of `path` (e.g. "lab/tree/x.ipynb") with the token."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"

    def _env(self) -> dict:
        env = dict(os.environ)
        home = self.work_dir / "jupyter-home"
        for name in ("config", "data", "runtime", "ipython"):
            (home / name).mkdir(parents=True, exist_ok=True)
        # no "get Jupyter news?" toast over the screenshots, no update check
        settings = home / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env.update(
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            IPYTHONDIR=str(home / "ipython"),
            JUPYTER_PLATFORM_DIRS="0",
            COURSE_MODEL="shapesnet",
            PYTHONUNBUFFERED="1",
        )
        # pytest set-ups elsewhere use Agg; in a notebook it would hide every figure.
        env.pop("MPLBACKEND", None)
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90.0, attempts: int = 3) -> "LabServer":
        """Start the server and wait until /api/status answers with the token.

        Retries on another port if the chosen one was taken meanwhile.
        Raises RuntimeError with the tail of the server log if it never answers.
        """
        last_error = None
        for _ in range(attempts):
            self.port = free_port()
            cmd = _jupyter_command() + [
                "--no-browser",
                f"--ServerApp.ip={HOST}",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root_dir}",
                "--ServerApp.allow_remote_access=False",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                # lets the test read cell outputs from the notebook model
                "--LabApp.expose_app_in_browser=True",
                # nothing may reach out to PyPI or GitHub during a test
                "--LabApp.extension_manager=readonly",
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI runs as root
                cmd.append("--allow-root")
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                cmd, cwd=self.root_dir, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
            log.close()
            atexit.register(self.stop)  # also when pytest ends without tearing down fixtures
            try:
                self._wait_ready(timeout)
                return self
            except RuntimeError as err:
                last_error = err
                self.stop()
                if "already in use" not in str(err):  # only a lost port race is worth a retry
                    break
        raise last_error

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status = self.api("GET", "api/status")
                if "started" in status:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def api(self, method: str, path: str, timeout: float = 10.0):
        """Call the server's REST API with the token; returns decoded JSON (or None)."""
        req = urllib.request.Request(
            f"{self.base_url}/{path.lstrip('/')}", method=method,
            headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every running kernel (frees memory between notebooks)."""
        for kernel in self.api("GET", "api/kernels"):
            try:
                self.api("DELETE", f"api/kernels/{kernel['id']}", timeout=30)
            except urllib.error.HTTPError:
                pass

    def log_tail(self, n_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except FileNotFoundError:
            return "(no log)"

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def stop(self) -> None:
        """Stop the server and everything it started (SIGTERM, then SIGKILL)."""
        if self.proc is None or self.proc.poll() is not None and not self._group_alive():
            return
        # kernels run in sessions of their own: shut them down through the server first
        # (ipykernel also exits by itself when its parent, the server, is gone)
        if self.proc.poll() is None:
            try:
                self.shutdown_kernels()
            except (OSError, urllib.error.URLError, json.JSONDecodeError):
                pass
        pgid = self.proc.pid  # start_new_session: the server leads its own group
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self._group_alive():
                try:
                    self.proc.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
            if not self._group_alive():
                break
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _group_alive(self) -> bool:
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":  # manual use: python tests_e2e/lab_server.py DIR
    with tempfile.TemporaryDirectory() as work, LabServer(Path(sys.argv[1]), Path(work)) as lab:
        print(lab.url("lab"), flush=True)
        try:
            lab.proc.wait()
        except KeyboardInterrupt:
            pass
