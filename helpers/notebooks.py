"""Notebook hygiene: the course's notebooks are stored without outputs.

``python -m helpers.notebooks check notebooks/`` lists every notebook that
carries outputs or execution counts and exits with status 1 (``make test``
runs it); ``make clean-notebooks`` strips them with nbstripout.
"""
from __future__ import annotations

import glob
import json
import os
import sys

__all__ = ["dirty_cells", "check"]


def dirty_cells(path: str) -> list[int]:
    """Indices of the cells of notebook ``path`` that have outputs or an execution count."""
    with open(path, encoding="utf-8") as fh:
        try:
            nb = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid notebook JSON: {exc}") from None
    bad = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            bad.append(i)
    return bad


def check(folder: str = "notebooks") -> int:
    """Print the notebooks in ``folder`` stored with outputs; return 1 if any, else 0."""
    paths = sorted(glob.glob(os.path.join(folder, "*.ipynb")))
    dirty = {p: dirty_cells(p) for p in paths}
    dirty = {p: cells for p, cells in dirty.items() if cells}
    for p, cells in dirty.items():
        print(f"{p}: outputs or execution counts in cells {cells}")
    if dirty:
        print("Notebooks must be stored without outputs: run `make clean-notebooks` and commit again.")
        return 1
    print(f"{len(paths)} notebooks, all stored without outputs.")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "check":
        sys.exit("usage: python -m helpers.notebooks check [FOLDER]")
    sys.exit(check(args[1] if len(args) > 1 else "notebooks"))
