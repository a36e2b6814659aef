"""`make solutions`: run every lesson notebook with the reference solutions filled in.

For each notebook 01-06 that exists, the starter cell of every exercise
(found by its metadata: ``tags`` holds "exercise" and
``exercise == {"name": ..., "role": "starter"}``) is replaced - in memory
only, the files are not touched - by the source of the reference solution
from solutions/exNN.py (plus, for value exercises, the line that sets
``answer``). The notebook is executed from top to bottom with nbclient
(COURSE_MODEL=shapesnet unless set otherwise) and a last cell reports the
verdict of every check (``helpers.exercises.results()``).

Fails (exit status 1) if a cell raises, if a notebook has no exercise section,
or if any exercise's check does not say "correct".

    python tools/run_solutions.py                 # every notebook, in full
    python tools/run_solutions.py 05 06           # some notebooks
    python tools/run_solutions.py --quick         # only the setup cell + the exercises (fast)
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import inspect
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from helpers.exercises import EXERCISES, units  # noqa: E402

#: the notebook prefixes that have exercises ("01" ... "06")
NOTEBOOKS_WITH_EXERCISES = sorted({notebook for _, notebook in EXERCISES.values()})


def is_exercise_cell(cell) -> bool:
    """True for the cells of a notebook's exercise section (tagged "exercise")."""
    return "exercise" in cell.get("metadata", {}).get("tags", [])


def exercises_for(key: str) -> list:
    """The exercise units of notebook ``key`` ("05" or "05_rnn_motivation.ipynb"), in order."""
    return [u for u in units().values() if u.notebook == os.path.basename(key)[:2]]

MARK = "@@exercise-results@@"


def load_solutions(key: str):
    """The module solutions/ex<key>.py (loaded from its path; it is not a package)."""
    path = os.path.join(ROOT, "solutions", f"ex{key}.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no reference solutions for notebook {key}: {path} is missing")
    spec = importlib.util.spec_from_file_location(f"solutions_ex{key}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def solution_source(module, unit) -> str:
    """The code that replaces an exercise's starter cell: the solution function, then the unit's `solve` line."""
    fn = getattr(module, unit.name, None)
    if fn is None:
        raise AttributeError(f"{module.__file__} has no function {unit.name!r}")
    code = inspect.getsource(fn).rstrip("\n")
    return code + ("\n\n" + unit.solve if unit.solve else "")


def with_solutions(nb, key: str, quick: bool = False):
    """A copy of notebook node ``nb`` with the solutions in the starter cells and a results cell at the end.

    quick: keep only the first code cell (the setup) and the exercise cells.
    Returns (notebook, list of expected exercise names). Raises ValueError if
    the notebook has no exercise section.
    """
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    specs = {u.name: u for u in exercises_for(key)}
    if not any(is_exercise_cell(c) for c in nb.cells):
        raise ValueError("the notebook has no exercise section (no cell tagged 'exercise')")
    if quick:
        setup = next((c for c in nb.cells if c.cell_type == "code"), None)
        nb.cells = ([setup] if setup is not None else []) + [c for c in nb.cells if is_exercise_cell(c)]
    module = load_solutions(key)
    seen = []
    for cell in nb.cells:
        info = cell.metadata.get("exercise", {}) if is_exercise_cell(cell) else {}
        if info.get("role") == "starter":
            cell.source = solution_source(module, specs[info["name"]])
            seen.append(info["name"])
    missing = set(specs) - set(seen)
    if missing:
        raise ValueError(f"exercise cells missing from the notebook: {sorted(missing)} "
                         "(a starter cell tagged 'exercise' with metadata exercise.role 'starter')")
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import json as _json\nfrom helpers import exercises as _ex\nprint({MARK!r}, _json.dumps(_ex.results()))"))
    return nb, seen


def run(path: str, quick: bool = False, timeout: int = 600) -> tuple[bool, float, dict, str]:
    """Execute one notebook with solutions. Returns (ok, seconds, verdicts, error message)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    key = os.path.basename(path)[:2]
    nb = nbformat.read(path, as_version=4)
    try:
        nb, expected = with_solutions(nb, key, quick=quick)
    except (ValueError, AttributeError, FileNotFoundError) as exc:
        return False, 0.0, {}, str(exc)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    t0 = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        return False, time.perf_counter() - t0, {}, str(exc).strip().splitlines()[-1][:300]
    seconds = time.perf_counter() - t0
    verdicts = {}
    for out in nb.cells[-1].get("outputs", []):
        text = out.get("text", "")
        if MARK in text:
            verdicts = json.loads(text.split(MARK, 1)[1])
    ok = all(verdicts.get(name) == "correct" for name in expected)
    return ok, seconds, {name: verdicts.get(name, "not run") for name in expected}, ""


def notebooks(selection) -> list[str]:
    paths = sorted(p for p in glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb"))
                   if os.path.basename(p)[:2] in NOTEBOOKS_WITH_EXERCISES)
    if selection:
        paths = [p for p in paths if os.path.basename(p)[:2] in selection or os.path.basename(p) in selection]
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="numbers (05) or file names; default all 01-06")
    parser.add_argument("--quick", action="store_true", help="run only the setup cell and the exercise cells")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_MODEL", "shapesnet")
    paths = notebooks(args.notebooks)
    absent = sorted(set(NOTEBOOKS_WITH_EXERCISES) - {os.path.basename(p)[:2] for p in paths})
    if not args.notebooks and absent:
        print(f"(no notebook yet for {', '.join(absent)}: skipped)")
    failed = 0
    print(f"COURSE_MODEL={os.environ['COURSE_MODEL']}" + ("  (quick: setup cell + exercises)" if args.quick else ""))
    for path in paths:
        name = os.path.basename(path)
        print(f"{name} ...", flush=True)
        ok, seconds, verdicts, error = run(path, quick=args.quick, timeout=args.timeout)
        for ex, verdict in verdicts.items():
            print(f"    {ex:20s} {verdict}")
        if error:
            print(f"    FAILED: {error}")
        print(f"  {'ok' if ok else 'FAILED'}: {sum(v == 'correct' for v in verdicts.values())}/"
              f"{len(exercises_for(name))} exercises correct, {seconds:.0f} s", flush=True)
        failed += not ok
    if failed:
        print(f"{failed} notebook(s) failed")
        return 1
    print(f"all {len(paths)} notebook(s): every exercise solved by its reference solution")
    return 0


if __name__ == "__main__":
    sys.exit(main())
