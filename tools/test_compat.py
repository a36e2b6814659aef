"""``make test-compat``: the course on Colab's stack, installed the way Colab installs it.

1. A venv (``--venv``, kept between runs) with Colab's versions (``compat/colab.txt``) and the
   test tools, constrained to them; the course is not in it.
2. The course built as a wheel (``build/wheel/``); its size and contents are printed.
3. Notebook 00, copied alone into an empty folder outside the repository, run under nbval: its
   setup cell finds no ``helpers`` and installs the wheel with its ``%pip`` line (``COURSE_PIP``
   names the wheel; ``PIP_NO_INDEX=1``: pip may fetch nothing, so the wheel's ranges must be met
   by what Colab has). Afterwards Colab's packages must be the versions they were.
4. The course installed from the repository with its ranges (``pip install -c compat/colab.txt
   -e .[dev]``: pip fails if a range excludes one of Colab's versions), Colab's versions checked
   again, then the unit tests (ShapesNet) and every notebook under nbval (EfficientNet-Lite0).

Exit status 0 only if every step passed; a summary with counts and wall times at the end.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLAB = os.path.join(ROOT, "compat", "colab.txt")
TEST_TOOLS = ["pytest", "nbval", "ipykernel", "hypothesis", "pyyaml", "psutil", "nbclient", "nbconvert",
              "nbstripout", "jupytext"]


def _pins(path: str = COLAB) -> dict[str, str]:
    """name -> version of the ``name==version`` lines of a requirements file."""
    pins = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"\s*([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
            if m:
                pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def _run(cmd, step: str, **kw) -> subprocess.CompletedProcess:
    print(f"\n== {step}\n$ {' '.join(str(c) for c in cmd)}", flush=True)
    done = subprocess.run([str(c) for c in cmd], **kw)
    if done.returncode != 0:
        for out in (done.stdout, done.stderr):
            if out:     # the summary of failures (-rfE) is at the end
                print(out[-30000:])
        sys.exit(f"make test-compat: {step} failed (exit status {done.returncode}).")
    return done


def _installed(python: str) -> dict[str, str]:
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))")
    import json

    return json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout)


def _check_colab_versions(python: str, when: str) -> None:
    have = _installed(python)
    wrong = {name: have.get(name) for name, version in _pins().items() if have.get(name) != version}
    if wrong:
        sys.exit(f"make test-compat: {when}, Colab's packages changed: {wrong} (expected {_pins()}).")
    tf_builds = sorted(n for n in have if n in ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tf-nightly"))
    if tf_builds != ["tensorflow-cpu"]:
        sys.exit(f"make test-compat: {when}, TensorFlow builds installed: {tf_builds} (a second build came in).")
    print(f"Colab's versions unchanged {when}: " + ", ".join(f"{n} {v}" for n, v in _pins().items()))


def _constraints() -> str:
    """compat/colab.txt plus constraints.txt's pins of the test tools (and what they need that
    Colab's list does not name): a file in build/, for every install into the venv."""
    colab = _pins()
    with open(os.path.join(ROOT, "constraints.txt"), encoding="utf-8") as fh:
        lock = [line.strip() for line in fh if re.match(r"[A-Za-z0-9_.-]+==", line)]
    tools = {name.lower().replace("_", "-") for name in TEST_TOOLS + ["jupyterlab", "jupyter-core", "jupyter-client",
                                                                    "nbformat", "ipython", "traitlets"]}
    keep = [line for line in lock if line.split("==")[0].lower().replace("_", "-") in tools - set(colab)]
    path = os.path.join(ROOT, "build", "compat-constraints.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(COLAB, encoding="utf-8") as fh, open(path, "w", encoding="utf-8") as out:
        out.write(fh.read() + "# the test tools at the versions of constraints.txt\n" + "\n".join(keep) + "\n")
    return path


def make_venv(venv: str, python: str) -> str:
    """The venv with Colab's stack and the test tools, without the course; returns its python."""
    py = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, ".colab")
    with open(_constraints(), encoding="utf-8") as fh:
        wanted = fh.read() + "\n".join(TEST_TOOLS)
    if not (os.path.exists(stamp) and open(stamp, encoding="utf-8").read() == wanted):
        shutil.rmtree(venv, ignore_errors=True)
        _run([python, "-m", "venv", venv], "create the venv")
        _run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], "upgrade pip")
        _run([py, "-m", "pip", "install", "--quiet", "-r", COLAB], "install Colab's stack (compat/colab.txt)")
        _run([py, "-m", "pip", "install", "--quiet", "-c", _constraints(), *TEST_TOOLS], "install the test tools")
        with open(stamp, "w", encoding="utf-8") as fh:
            fh.write(wanted)
    # A previous run left the course installed: take it out, so that the setup cell must install it.
    subprocess.run([py, "-m", "pip", "uninstall", "--quiet", "--yes", "course-helpers"], capture_output=True)
    found = subprocess.run([py, "-c", "import importlib.util as u; print(u.find_spec('helpers') is not None)"],
                           capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout.strip()
    if found != "False":
        sys.exit("make test-compat: `helpers` is importable in the venv before the notebook installs it.")
    return py


def build_wheel(py: str) -> str:
    out = os.path.join(ROOT, "build", "wheel")
    shutil.rmtree(out, ignore_errors=True)
    _run([py, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", out, ROOT], "build the course's wheel")
    (wheel,) = [os.path.join(out, f) for f in os.listdir(out) if f.endswith(".whl")]
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    data = [n for n in names if n.startswith("helpers/data/")]
    code = [n for n in names if n.startswith("helpers/") and n.endswith(".py")]
    print(f"wheel {os.path.basename(wheel)}: {os.path.getsize(wheel) / 1e6:.1f} MB, {len(names)} files: "
          f"{len(code)} Python modules, {len(data)} data files")
    for folder in sorted({os.path.dirname(n) for n in data}):
        print(f"  {folder}/: {sum(os.path.dirname(n) == folder for n in data)} files")
    for needed in ("helpers/data/models/efficientnet_lite0.npz", "helpers/data/models/shapesnet.keras",
                   "helpers/data/imagenet_class_index.json", "helpers/data/images/boxes.json",
                   "helpers/data/LICENSES"):
        if needed not in names:
            sys.exit(f"make test-compat: the wheel lacks {needed}.")
    return wheel


def notebook_from_empty_folder(py: str, wheel: str) -> float:
    """Notebook 00 alone in an empty folder; its setup cell installs the wheel. Returns seconds."""
    folder = tempfile.mkdtemp(prefix="course-empty-")
    try:
        shutil.copy(os.path.join(ROOT, "notebooks", "00_start_here.ipynb"), folder)
        env = {**os.environ, "COURSE_PIP": wheel, "PIP_NO_INDEX": "1", "COURSE_MODEL": "efficientnet_lite0"}
        env.pop("PYTHONPATH", None)
        t = time.perf_counter()
        _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
              "--rootdir", folder, "00_start_here.ipynb"], "notebook 00 alone in an empty folder, installing the wheel",
             cwd=folder, env=env)
        seconds = time.perf_counter() - t
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    where = subprocess.run([py, "-c", "import helpers, os; print(os.path.relpath(helpers.DATA_DIR, os.path.dirname("
                            "os.path.dirname(helpers.__file__))))"], capture_output=True, text=True,
                           cwd=tempfile.gettempdir()).stdout.strip()
    if where != os.path.join("helpers", "data"):
        sys.exit(f"make test-compat: after the notebook, helpers' data is found at {where!r}, not in the package.")
    print(f"the wheel's helpers finds its data inside the package ({where}/)")
    _check_colab_versions(py, "after the notebook installed the wheel")
    return seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", default=os.path.join(ROOT, ".venv-compat"))
    ap.add_argument("--python", default=sys.executable, help="the Python that creates the venv")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    py = make_venv(os.path.abspath(args.venv), args.python)
    version = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True).stdout.strip()
    _check_colab_versions(py, "before the course")
    wheel = build_wheel(py)
    empty = notebook_from_empty_folder(py, wheel)
    _run([py, "-m", "pip", "install", "--quiet", "-c", _constraints(), "-e", f"{ROOT}[dev]"],
         "install the course from the repository with its ranges")
    _check_colab_versions(py, "after installing the course with its ranges")
    t = time.perf_counter()
    unit = _run([py, "-m", "pytest", "-q", "-rfE", "tests"], "unit tests", cwd=ROOT,
                env={**os.environ, "COURSE_MODEL": "shapesnet"}, capture_output=True, text=True)
    print(unit.stdout[-2000:])
    unit_s = time.perf_counter() - t
    t = time.perf_counter()
    nbs = _run([py, "-m", "pytest", "-q", "-rfE", "-p", "tools.nbval_noise", "--nbval-lax", "--nbval-current-env",
                "notebooks"], "every notebook under nbval", cwd=ROOT,
               env={**os.environ, "COURSE_MODEL": "efficientnet_lite0"}, capture_output=True, text=True)
    print(nbs.stdout[-2000:])
    nb_s = time.perf_counter() - t
    last = lambda out: out.strip().splitlines()[-1] if out.strip() else "?"   # noqa: E731
    print(f"\nmake test-compat on Python {version} with {', '.join(f'{n} {v}' for n, v in _pins().items())}:\n"
          f"  notebook 00 from an empty folder, installing the wheel: passed in {empty:.0f} s\n"
          f"  unit tests: {last(unit.stdout)} ({unit_s:.0f} s)\n"
          f"  notebooks: {last(nbs.stdout)} ({nb_s:.0f} s)\n"
          f"  total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
