"""A class on one server, tested: a real JupyterHub, three students, notebook 00 at once.

Run by `make classroom` (which builds build/classroom/: a venv with JupyterHub, JupyterLab and
nbgitpuller, and configurable-http-proxy from npm) with that venv's Python:

    build/classroom/venv/bin/python tools/classroom.py --course-python .venv/bin/python

What it does, everything on 127.0.0.1 and in a temporary folder:

1. serves this repository's HEAD as branch `main` of a bare git repository (a file:// URL);
2. starts JupyterHub (the dummy authenticator: SharedPasswordAuthenticator, SimpleLocalProcessSpawner with
   the students' homes in the temporary folder, a per-user memory limit) behind
   configurable-http-proxy. The single-user servers run JupyterLab from build/classroom/venv;
   their `python3` kernel is the course's venv (a kernelspec on JUPYTER_PATH), with
   COURSE_MODEL=efficientnet_lite0 so that nothing reaches for the network;
3. in one thread per student, at once: logs in through the hub's login form (a wrong password
   must be refused), starts the server (Start My Server: GET /hub/spawn), follows the
   nbgitpuller link /hub/user-redirect/git-pull?repo=...&branch=main&urlpath=... as a browser
   would (the status page, then its event stream) and checks that the course landed in the
   student's home at the served commit;
4. waits until all three are ready, then runs every code cell of the pulled
   notebooks/00_start_here.ipynb in all three servers at the same time, through each server's
   REST API (a session, as JupyterLab opens a notebook) and the kernel's websocket;
   any error in any cell fails the test;
5. reads each kernel's peak memory (VmHWM of /proc/self/status) and its server's, prints a table
   and writes build/classroom.json;
6. stops the servers, the hub and the proxy, also on failure, and fails if a process is left.

Exit status 0 only if every step passed for every student; otherwise 1 with the reason.

Memory limit: SimpleLocalProcessSpawner (like every local-process spawner) cannot enforce
Spawner.mem_limit; JupyterHub only passes it to the server's environment as MEM_LIMIT (bytes),
which the kernel inherits. Spawners with containers or cgroups (DockerSpawner, KubeSpawner,
The Littlest JupyterHub's systemdspawner) enforce it. The test checks that the kernel sees it.
"""
from __future__ import annotations

import argparse
import html.parser
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
import websocket  # websocket-client

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/00_start_here.ipynb"
TARGET = "course"           # the folder the course lands in, in each home (the bare repo's name)
PASSWORD = "classroom-" + secrets.token_hex(4)
SERVICE_TOKEN = secrets.token_hex(32)
CELL_TIMEOUT = 600          # seconds for one cell (three kernels share two cores)

MEASURE_CODE = r"""
import json as _json, os as _os, sys as _sys
def _status(pid):
    fields = {}
    for line in open(f"/proc/{pid}/status"):
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields
_k, _s = _status("self"), _status(_os.getppid())
print("CLASSROOM-MEASURE " + _json.dumps({
    "kernel_peak_kb": int(_k["VmHWM"].split()[0]), "kernel_rss_kb": int(_k["VmRSS"].split()[0]),
    "server_peak_kb": int(_s["VmHWM"].split()[0]),
    "server_cmdline": open(f"/proc/{_os.getppid()}/cmdline").read().replace("\0", " "),
    "kernel_prefix": _sys.prefix, "cwd": _os.getcwd(), "home": _os.environ.get("HOME"),
    "mem_limit": _os.environ.get("MEM_LIMIT"), "course_model": _os.environ.get("COURSE_MODEL"),
}))
"""


class ClassroomError(Exception):
    """A step failed; the message says which and why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def git(*args, cwd=None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if out.returncode:
        raise ClassroomError(f"git {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


class Hub:
    """JupyterHub + configurable-http-proxy in `work`, on free loopback ports."""

    def __init__(self, work: Path, venv_bin: Path, course_python: Path, chp: Path, users: list[str],
                 mem_limit: str, course_model: str = "efficientnet_lite0"):
        self.course_model = course_model
        self.work, self.venv_bin, self.course_python, self.chp = work, venv_bin, course_python, chp
        self.users, self.mem_limit = users, mem_limit
        self.port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = work / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None
        self.server_pids: dict[str, int] = {}
        self.homes = work / "home"

    def write_config(self) -> Path:
        kernels = self.work / "jupyter-path" / "kernels" / "python3"
        kernels.mkdir(parents=True)
        # The notebooks ask for `python3`; in the students' servers that is the course's venv
        # (a kernelspec on JUPYTER_PATH comes before the server's own Python).
        (kernels / "kernel.json").write_text(json.dumps({
            "argv": [str(self.course_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (course)", "language": "python",
            "metadata": {"debugger": True},
        }, indent=1))
        singleuser_args = ["--allow-root"] if os.geteuid() == 0 else []
        config = f"""
c = get_config()  # noqa
c.JupyterHub.bind_url = {self.url!r}
c.JupyterHub.hub_bind_url = "http://{HOST}:{self.hub_port}"
c.JupyterHub.db_url = "sqlite:///{self.work / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(self.work / 'jupyterhub_cookie_secret')!r}
c.JupyterHub.pid_file = {str(self.work / 'jupyterhub.pid')!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.ConfigurableHTTPProxy.command = [{str(self.chp)!r}]
c.ConfigurableHTTPProxy.api_url = "http://{HOST}:{self.api_port}"
c.ConfigurableHTTPProxy.pid_file = {str(self.work / 'proxy.pid')!r}
c.ConfigurableHTTPProxy.debug = False

# DummyAuthenticator with a password is SharedPasswordAuthenticator since JupyterHub 5.3: any
# allowed user name, one shared password.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {PASSWORD!r}
c.Authenticator.allowed_users = set({self.users!r})

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.homes / '{username}')!r}
c.Spawner.cmd = [{str(self.venv_bin / 'jupyterhub-singleuser')!r}]
c.Spawner.args = {singleuser_args!r}
c.Spawner.default_url = "/lab"
c.Spawner.ip = {HOST!r}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
# A per-user memory limit. SimpleLocalProcessSpawner (any local-process spawner) cannot enforce it:
# JupyterHub only sets MEM_LIMIT (in bytes) in the server's environment, which kernels inherit and
# the course can read. Container and systemd spawners (The Littlest JupyterHub) enforce it.
c.Spawner.mem_limit = {self.mem_limit!r}
c.Spawner.environment = {{
    "COURSE_MODEL": {self.course_model!r},
    "JUPYTER_PATH": {str(self.work / 'jupyter-path')!r},
    "TF_CPP_MIN_LOG_LEVEL": "2",
}}

# The test's own client: starts and stops servers, reads their state (pids), mints student tokens.
c.JupyterHub.services = [{{"name": "classroom-test", "api_token": {SERVICE_TOKEN!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "classroom-test",
    "scopes": ["admin:users", "admin:servers", "admin:server_state", "tokens", "list:users"],
    "services": ["classroom-test"],
}}]
"""
        path = self.work / "jupyterhub_config.py"
        path.write_text(config)
        return path

    def start(self):
        config = self.write_config()
        self.homes.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "COURSE_"))}
        env["HOME"] = str(self.work)            # nothing from a developer's ~/.jupyter
        env["PATH"] = f"{self.venv_bin}{os.pathsep}{env.get('PATH', '')}"
        env.pop("VIRTUAL_ENV", None)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(self.venv_bin / "jupyterhub"), "-f", str(config)], cwd=self.work, env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ClassroomError(f"JupyterHub exited at start (status {self.proc.returncode}):\n"
                                     + self.log_tail())
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise ClassroomError("JupyterHub did not answer on /hub/api/ within 120 s:\n" + self.log_tail())

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no hub log)"
        return "\n".join("    | " + line for line in text[-lines:])

    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"token {SERVICE_TOKEN}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers, timeout=30, **kw)

    def proxy_pid(self) -> int | None:
        try:
            return int((self.work / "proxy.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def peaks_mb(self) -> dict:
        """Peak memory (VmHWM) of the hub and the proxy so far, in MB."""
        out = {}
        for what, pid in (("hub", self.proc.pid if self.proc else None), ("proxy", self.proxy_pid())):
            try:
                line = next(l for l in Path(f"/proc/{pid}/status").read_text().splitlines()
                            if l.startswith("VmHWM:"))
                out[f"{what}_peak_mb"] = round(int(line.split()[1]) / 1024)
            except (OSError, StopIteration, TypeError):
                out[f"{what}_peak_mb"] = None
        return out

    def stop(self) -> list[str]:
        """Stop servers, hub and proxy; return what had to be killed (empty when clean)."""
        problems = []
        if self.proc is None:
            return problems
        proxy = self.proxy_pid()
        if self.proc.poll() is None:
            for user in self.users:
                try:
                    self.api("DELETE", f"/users/{user}/server")
                except requests.RequestException:
                    pass
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(pid_alive(p) for p in self.server_pids.values()):
                time.sleep(0.5)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                problems.append(f"JupyterHub (pid {self.proc.pid}) ignored SIGTERM for 60 s: killed")
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        left = {f"{user}'s server": pid for user, pid in self.server_pids.items()}
        if proxy:
            left["configurable-http-proxy"] = proxy
        for what, pid in left.items():
            deadline = time.monotonic() + 10
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if pid_alive(pid):
                problems.append(f"{what} (pid {pid}) still running after the hub stopped: killed")
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    os.kill(pid, signal.SIGKILL)
        return problems


class StatusPage(html.parser.HTMLParser):
    """The data-* attributes of nbgitpuller's status page (what its JavaScript reads)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("data-") and value is not None:
                self.data.setdefault(name[5:], urllib.parse.unquote(value))


class Student(threading.Thread):
    """One student: log in, start the server, pull the course, run the notebook."""

    def __init__(self, name: str, hub: Hub, repo_url: str, commit: str, barrier: threading.Barrier):
        super().__init__(name=name, daemon=True)
        self.user, self.hub, self.repo_url, self.commit, self.barrier = name, hub, repo_url, commit, barrier
        self.session = requests.Session()
        self.result: dict = {"user": name}
        self.error: str | None = None
        self.step = "start"
        self.kernel_session: str | None = None
        self.token: str | None = None

    # -- steps ------------------------------------------------------------------------------
    def login(self):
        base = self.hub.url
        # a wrong password must be refused: the hub really authenticates
        page = self.session.get(f"{base}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
        if page.status_code != 200 or not xsrf:
            raise ClassroomError(f"the login page did not load (HTTP {page.status_code}) or has no _xsrf field")
        bad = self.session.post(f"{base}/hub/login", timeout=30, allow_redirects=False,
                                data={"username": self.user, "password": "wrong", "_xsrf": xsrf.group(1)})
        if bad.status_code != 403 or "jupyterhub-hub-login" in self.session.cookies:
            raise ClassroomError(f"the hub did not refuse a wrong password (HTTP {bad.status_code})")
        page = self.session.get(f"{base}/hub/login", timeout=30)
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
        good = self.session.post(f"{base}/hub/login", timeout=30, allow_redirects=False,
                                 data={"username": self.user, "password": PASSWORD, "_xsrf": xsrf.group(1)})
        if good.status_code not in (302, 303) or "jupyterhub-hub-login" not in self.session.cookies:
            raise ClassroomError(f"login with the shared password failed (HTTP {good.status_code}, "
                                 f"cookies {sorted(self.session.cookies.keys())})")
        home = self.session.get(f"{base}/hub/home", timeout=30, allow_redirects=False)
        if home.status_code != 200:
            raise ClassroomError(f"/hub/home after login gave HTTP {home.status_code}, not the student's home page")

    def spawn(self):
        # "Start My Server": without an options form, GET /hub/spawn starts it
        r = self.session.get(f"{self.hub.url}/hub/spawn/{self.user}", timeout=60)
        if r.status_code >= 400:
            raise ClassroomError(f"/hub/spawn/{self.user} gave HTTP {r.status_code}")
        start = time.monotonic()
        while time.monotonic() < start + 240:
            model = self.hub.api("GET", f"/users/{self.user}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("state", {}).get("pid"):
                self.hub.server_pids[self.user] = server["state"]["pid"]
            if server and server.get("ready"):
                return
            if time.monotonic() > start + 10 and not (server and server.get("pending")):
                raise ClassroomError(f"the server is neither starting nor ready: {json.dumps(model.get('servers'))}\n"
                                     + self.hub.log_tail())
            time.sleep(1)
        raise ClassroomError("the server was not ready within 240 s\n" + self.hub.log_tail())

    def pull(self):
        base = self.hub.url
        urlpath = f"lab/tree/{TARGET}/{NOTEBOOK}"
        link = (f"{base}/hub/user-redirect/git-pull?"
                + urllib.parse.urlencode({"repo": self.repo_url, "branch": "main", "urlpath": urlpath}))
        self.result["nbgitpuller_link"] = link.replace(base, "")
        page = self.session.get(link, timeout=60)
        if page.status_code != 200 or not page.url.startswith(f"{base}/user/{self.user}/git-pull"):
            raise ClassroomError(f"the nbgitpuller link ended at {page.url} with HTTP {page.status_code}")
        status = StatusPage()
        status.feed(page.text)
        data = status.data
        if data.get("repo") != self.repo_url or data.get("path") != urlpath:
            raise ClassroomError(f"nbgitpuller's status page has repo={data.get('repo')!r} path={data.get('path')!r}")
        # what the page's JavaScript then does: the event stream of git-pull/api
        params = {"_xsrf": data.get("xsrf", ""), "repo": data["repo"], "targetpath": data["targetpath"]}
        if data.get("branch"):
            params["branch"] = data["branch"]
        events = []
        with self.session.get(f"{base}/user/{self.user}/git-pull/api", params=params, stream=True,
                              timeout=120) as stream:
            if stream.status_code != 200:
                raise ClassroomError(f"git-pull/api gave HTTP {stream.status_code}")
            for line in stream.iter_lines(decode_unicode=True):
                if line and line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    if events[-1].get("phase") in ("finished", "error"):
                        break
        if not events or events[-1].get("phase") != "finished":
            last = events[-1] if events else {}
            raise ClassroomError(f"nbgitpuller did not finish: {last.get('message')}\n{last.get('output', '')}")
        clone = self.hub.homes / self.user / data["targetpath"]
        if not (clone / ".git").is_dir() or not (clone / NOTEBOOK).is_file():
            raise ClassroomError(f"the pull reported success but {clone / NOTEBOOK} is not there")
        head = git("rev-parse", "HEAD", cwd=clone)
        if head != self.commit:
            raise ClassroomError(f"{clone} is at {head[:10]}, not the served commit {self.commit[:10]}")
        self.result["pulled_to"] = f"~{self.user}/{data['targetpath']}"
        # and the page the link sends the student to afterwards opens
        lab = self.session.get(f"{base}/user/{self.user}/{urlpath}", timeout=60)
        if lab.status_code != 200:
            raise ClassroomError(f"{urlpath} after the pull gave HTTP {lab.status_code}")

    def user_api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(method, f"{self.hub.url}/user/{self.user}/api{path}", headers=headers,
                                timeout=60, **kw)

    def run_notebook(self):
        # a token of the student's own (what an API client of the student would use)
        r = self.hub.api("POST", f"/users/{self.user}/tokens", json={"note": "classroom test", "expires_in": 3600})
        if r.status_code not in (200, 201):
            raise ClassroomError(f"could not get a token for {self.user}: HTTP {r.status_code} {r.text[:200]}")
        self.token = r.json()["token"]
        path = f"{TARGET}/{NOTEBOOK}"
        r = self.user_api("GET", f"/contents/{path}")
        if r.status_code != 200:
            raise ClassroomError(f"the server does not see {path}: HTTP {r.status_code}")
        cells = [c for c in r.json()["content"]["cells"] if c["cell_type"] == "code"]
        # a session, as JupyterLab opens a notebook: the kernel starts in the notebook's folder
        r = self.user_api("POST", "/sessions", json={"path": path, "type": "notebook", "name": "",
                                                     "kernel": {"name": "python3"}})
        if r.status_code not in (200, 201):
            raise ClassroomError(f"could not start a kernel: HTTP {r.status_code} {r.text[:300]}")
        self.kernel_session = r.json()["id"]
        kernel_id = r.json()["kernel"]["id"]
        ws_url = (f"ws://{HOST}:{self.hub.port}/user/{self.user}/api/kernels/{kernel_id}/channels"
                  f"?session_id={uuid.uuid4().hex}")
        ws = websocket.create_connection(ws_url, header=[f"Authorization: token {self.token}"],
                                         timeout=CELL_TIMEOUT)
        try:
            self.barrier.wait(timeout=600)        # all three notebooks start together
            self.step = "notebook"
            start = time.monotonic()
            times = []
            for index, cell in enumerate(cells):
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                t0 = time.monotonic()
                self.execute(ws, source, f"code cell {index + 1} of {len(cells)}")
                times.append(round(time.monotonic() - t0, 2))
            self.result["notebook_wall_s"] = round(time.monotonic() - start, 1)
            self.result["cells"] = len(cells)
            self.result["cell_s"] = times
            out = self.execute(ws, MEASURE_CODE, "the memory measurement")
        finally:
            ws.close()
        line = next((l for l in out.splitlines() if l.startswith("CLASSROOM-MEASURE ")), None)
        if not line:
            raise ClassroomError(f"no measurement printed: {out[:300]!r}")
        m = json.loads(line.split(" ", 1)[1])
        self.result.update({
            "kernel_peak_mb": round(m["kernel_peak_kb"] / 1024), "kernel_rss_end_mb": round(m["kernel_rss_kb"] / 1024),
            "server_peak_mb": round(m["server_peak_kb"] / 1024), "mem_limit_env": m["mem_limit"],
            "kernel_python": m["kernel_prefix"], "kernel_cwd": m["cwd"],
        })
        problems = []
        if "jupyterhub-singleuser" not in m["server_cmdline"]:
            problems.append(f"the kernel's parent is not the single-user server: {m['server_cmdline']!r}")
        if Path(m["kernel_prefix"]).resolve() != Path(self.hub.course_python).parent.parent.resolve():
            problems.append(f"the kernel ran in {m['kernel_prefix']}, not the course's venv")
        if m["course_model"] != self.hub.course_model:
            problems.append(f"COURSE_MODEL in the kernel is {m['course_model']!r}")
        if not m["mem_limit"]:
            problems.append("MEM_LIMIT is not in the kernel's environment")
        if Path(m["cwd"]).resolve() != (self.hub.homes / self.user / TARGET / "notebooks").resolve():
            problems.append(f"the kernel ran in {m['cwd']}, not the pulled notebooks folder")
        if problems:
            raise ClassroomError("; ".join(problems))

    def execute(self, ws, code: str, what: str) -> str:
        """Run `code` in the kernel; return its stdout; raise on an error or a timeout."""
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.user,
                       "session": uuid.uuid4().hex, "date": datetime.now(timezone.utc).isoformat(),
                       "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        stdout, error, reply, idle = [], None, None, False
        deadline = time.monotonic() + CELL_TIMEOUT
        while not (reply and idle):
            if time.monotonic() > deadline:
                raise ClassroomError(f"{what} did not finish within {CELL_TIMEOUT} s")
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            except websocket.WebSocketConnectionClosedException:
                raise ClassroomError(f"the kernel's websocket closed during {what} (kernel died?)")
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream" and msg["content"]["name"] == "stdout":
                stdout.append(msg["content"]["text"])
            elif kind == "error":
                error = msg["content"]
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif kind == "status" and msg["content"]["execution_state"] == "dead":
                raise ClassroomError(f"the kernel died during {what}")
            elif kind == "execute_reply":
                reply = msg["content"]
        if error or reply.get("status") != "ok":
            err = error or reply
            tb = "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", l) for l in err.get("traceback", [])[-8:])
            raise ClassroomError(f"{what} raised {err.get('ename')}: {err.get('evalue')}\n{tb}\n"
                                 f"--- the cell:\n{code[:800]}")
        return "".join(stdout)

    def run(self):
        t0 = time.monotonic()
        try:
            for step, fn in (("login", self.login), ("spawn", self.spawn), ("nbgitpuller", self.pull),
                             ("notebook", self.run_notebook)):
                self.step = step
                s = time.monotonic()
                fn()
                self.result[f"{step}_s"] = round(time.monotonic() - s, 1)
        except Exception as e:  # noqa: BLE001 - reported per student
            self.error = f"{self.user}, step {self.step}: " + (
                str(e) if isinstance(e, ClassroomError) else "".join(traceback.format_exception(e)))
            self.barrier.abort()       # the others stop waiting for this one
        finally:
            self.result["total_s"] = round(time.monotonic() - t0, 1)
            if self.kernel_session and self.token:
                try:
                    self.user_api("DELETE", f"/sessions/{self.kernel_session}")
                except requests.RequestException:
                    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--course-python", type=Path, default=REPO / ".venv" / "bin" / "python",
                        help="the course venv's Python (the students' kernel); default .venv/bin/python")
    parser.add_argument("--chp", type=Path, default=REPO / "build" / "classroom" / "node_modules" / ".bin"
                        / "configurable-http-proxy", help="configurable-http-proxy executable")
    parser.add_argument("--users", type=int, default=3)
    parser.add_argument("--mem-limit", default="2G", help="Spawner.mem_limit (passed as MEM_LIMIT)")
    parser.add_argument("--course-model", default="efficientnet_lite0",
                        help="COURSE_MODEL in the students' servers (the default needs no network; "
                             "a bad name checks that a failing cell fails the test)")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "classroom.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, homes)")
    args = parser.parse_args()

    venv_bin = Path(sys.executable).parent
    for path, what in ((args.course_python, "the course's Python (make builds .venv)"),
                       (args.chp, "configurable-http-proxy (make classroom installs it with npm)"),
                       (venv_bin / "jupyterhub", "jupyterhub in this Python's venv"),
                       (venv_bin / "jupyterhub-singleuser", "jupyterhub-singleuser in this Python's venv")):
        if not path.exists():
            print(f"classroom: missing {what}: {path}", file=sys.stderr)
            return 1
    if git("status", "--porcelain", "--untracked-files=no", cwd=REPO):
        print("classroom: note: uncommitted changes are not served; the students pull HEAD", file=sys.stderr)

    users = [f"student{i}" for i in range(1, args.users + 1)]
    work = Path(tempfile.mkdtemp(prefix="classroom-"))
    hub = Hub(work, venv_bin, args.course_python.absolute(), args.chp.absolute(), users, args.mem_limit,
              args.course_model)
    failures: list[str] = []
    students: list[Student] = []
    started = time.monotonic()
    commit = ""
    hub_peaks: dict = {}

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        # the course as a git repository on this machine: HEAD served as branch main
        commit = git("rev-parse", "HEAD", cwd=REPO)
        bare = work / "repos" / TARGET
        git("init", "--quiet", "--bare", str(bare))
        git("config", "receive.shallowUpdate", "true", cwd=bare)     # CI's clone may be shallow
        git("push", "--quiet", str(bare), f"{commit}:refs/heads/main", cwd=REPO)
        git("symbolic-ref", "HEAD", "refs/heads/main", cwd=bare)
        repo_url = bare.as_uri()
        print(f"classroom: serving {commit[:10]} as {repo_url} (branch main)")
        hub.start()
        print(f"classroom: JupyterHub on {hub.url}, {len(users)} students, mem_limit {args.mem_limit}; "
              f"work folder {work}")
        barrier = threading.Barrier(len(users))
        students = [Student(u, hub, repo_url, commit, barrier) for u in users]
        for s in students:
            s.start()
        for s in students:
            s.join(timeout=1800)
            if s.is_alive():
                failures.append(f"{s.user}: still running after 30 min (step {s.step})")
        hub_peaks = hub.peaks_mb()
        first_errors = [s.error for s in students if s.error and "BrokenBarrierError" not in s.error]
        failures += first_errors or [s.error for s in students if s.error]
    except KeyboardInterrupt as e:
        failures.append(f"interrupted ({e})")
    except ClassroomError as e:
        failures.append(str(e))
    finally:
        problems = hub.stop()
        failures += problems
    wall = round(time.monotonic() - started, 1)

    rows = [s.result for s in students]
    if students and not any(s.error for s in students):
        record = {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "commit": commit, "notebook": NOTEBOOK, "students": len(users),
            "cpu_cores": os.cpu_count(), "machine": platform.machine(),
            "mem_limit": args.mem_limit, "course_model": args.course_model,
            "versions": versions(venv_bin, args.chp),
            "wall_s_total": wall,
            "notebooks_wall_s": max(r["notebook_wall_s"] for r in rows),
            "kernel_peak_mb_max": max(r["kernel_peak_mb"] for r in rows),
            **hub_peaks,
            "users": rows,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=1) + "\n")
        print_table(rows, wall, hub_peaks)
        print(f"classroom: written {args.out}")
    if failures:
        print("\nclassroom: FAILED", file=sys.stderr)
        for f in failures:
            print("  - " + f.replace("\n", "\n    "), file=sys.stderr)
        print(f"  hub log: {hub.log_path}" + ("" if args.keep else " (kept: the run failed)"), file=sys.stderr)
        return 1
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"classroom: OK ({len(users)} students, {wall} s, everything stopped)")
    return 0


def versions(venv_bin: Path, chp: Path) -> dict:
    from importlib.metadata import version
    chp_version = subprocess.run([str(chp), "--version"], capture_output=True, text=True).stdout.strip()
    return {"jupyterhub": version("jupyterhub"), "nbgitpuller": version("nbgitpuller"),
            "jupyterlab": version("jupyterlab"), "configurable-http-proxy": chp_version}


def print_table(rows: list[dict], wall: float, hub_peaks: dict):
    print()
    print("| student | login | server start | nbgitpuller | notebook 00 (all cells) | kernel peak | server peak |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['user']} | {r['login_s']} s | {r['spawn_s']} s | {r['nbgitpuller_s']} s | "
              f"{r['notebook_wall_s']} s ({r['cells']} cells) | {r['kernel_peak_mb']} MB | {r['server_peak_mb']} MB |")
    print(f"\nhub peak {hub_peaks.get('hub_peak_mb')} MB, proxy peak {hub_peaks.get('proxy_peak_mb')} MB; "
          f"wall time, hub start to everything stopped: {wall} s")


if __name__ == "__main__":
    sys.exit(main())
