"""Fixtures for the browser tests (`make e2e`).

* `lab`: one JupyterLab server for the session (lab_server.LabServer) on
  127.0.0.1 with a random token, serving a temporary copy of notebooks/
  (running cells never writes into the repository), stopped at the end even
  when a test fails.
* `browser`: Debian's Chromium (/usr/bin/chromium, or $E2E_CHROMIUM) driven by
  Playwright, headless, with a fresh temporary profile.
* `context`: a new browser context per test in which every request that is
  not for the local server is blocked and recorded (a notebook page must not
  need the internet).

Playwright's own browser downloads are never used: `make e2e` installs
Debian's chromium with apt-get and the playwright package with pip.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import urllib.parse
from pathlib import Path

import pytest

from lab_server import LabServer

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
]

os.environ.setdefault("COURSE_MODEL", "shapesnet")


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """A copy of notebooks/ (and a link to data/, as beside the real folder)."""
    course = tmp_path_factory.mktemp("course")
    root = course / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    if (REPO / "data").is_dir():
        (course / "data").symlink_to(REPO / "data", target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def lab(lab_root, tmp_path_factory):
    # a CI timeout sends SIGTERM: turn it into SystemExit so that the server is still stopped
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = LabServer(lab_root, tmp_path_factory.mktemp("lab"), env={"COURSE_MODEL": "shapesnet"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: run `make e2e` (it installs it)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make e2e` (it installs Debian's chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser, lab):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    ctx.external_requests = []

    def guard(route):
        host = urllib.parse.urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost", "::1") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            ctx.external_requests.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    try:
        yield ctx
    finally:
        ctx.close()
        lab.shutdown_kernels()  # free the memory before the next notebook
