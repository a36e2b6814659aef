"""A pytest plugin for ``make notebooks``: a notebook cell whose output carries noise fails.

nbval executes every cell of every notebook; this plugin reads each cell's
outputs after it ran and fails the cell if a student would see:

* anything on stderr (warnings, TensorFlow / absl log lines, progress bars
  belong to tqdm's widget, not to stderr text);
* a warning or a log line in any text output ("UserWarning", "W0000 ...");
* a machine path: the kernel's temporary files (``/tmp/ipykernel_...``),
  the home folder, the repository's absolute path;
* network error text ("URL fetch failure", "Errno", "urlopen").

Enabled in the Makefile with ``-p tools.nbval_noise``; :func:`noise` is the
pure function the tests check.
"""
from __future__ import annotations

import os
import re

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_PATTERNS = [
    (re.compile(r"\b\w*Warning\b:"), "a warning"),
    (re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d", re.M), "a TensorFlow/absl log line"),
    (re.compile(r"oneDNN|cuda|TF_ENABLE_ONEDNN_OPTS|This TensorFlow binary", re.I), "a TensorFlow start-up notice"),
    (re.compile(r"/tmp/ipykernel_\d+|/tmp/\w+"), "a temporary-file path"),
    (re.compile(r"URL fetch failure|urlopen error|\[Errno -?\d+\]|Name or service not known"), "network error text"),
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
]


def _machine_paths() -> list[str]:
    paths = [_ROOT]
    home = os.path.expanduser("~")
    if home not in ("", "/"):
        paths.append(home + "/")
    return paths


def _texts(outputs):
    """(stream name or output type, text) of every textual output."""
    for out in outputs or []:
        kind = out.get("output_type")
        if kind == "stream":
            yield out.get("name", "stdout"), out.get("text", "")
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in data:
                    text = data[mime]
                    yield mime, "".join(text) if isinstance(text, list) else text
        elif kind == "error":
            yield "error", "\n".join(out.get("traceback", []))


def noise(outputs) -> list[str]:
    """What in a cell's outputs a student should not see; [] when the outputs are clean.

    Args:
        outputs: the cell's outputs (nbformat dicts: stream, display_data,
            execute_result, error).
    Returns:
        list of short descriptions, each with the offending line.
    """
    found = []
    for where, text in _texts(outputs):
        if not text:
            continue
        if where == "stderr" and text.strip():
            found.append(f"stderr output: {text.strip().splitlines()[0][:160]!r}")
            continue
        for pattern, what in _PATTERNS:
            m = pattern.search(text)
            if m:
                line = text[text.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
                found.append(f"{what} in {where}: {line.strip()[:160]!r}")
        for path in _machine_paths():
            if path in text:
                found.append(f"a machine path ({path}) in {where}")
    return found


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or report.failed or not hasattr(item, "test_outputs"):
        return
    problems = noise(item.test_outputs)
    if problems:
        report.outcome = "failed"
        report.longrepr = (f"{item.name}: the cell's output shows what a student should not see:\n  "
                           + "\n  ".join(problems))
