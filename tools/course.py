"""Course chores for maintainers and lecturers: executing, rendering, timings.

Maintainer tooling, not part of the student package ``helpers``. Commands
(the Makefile calls them; ``make check-notebooks`` uses nbstripout for the
notebooks' hygiene):

* ``python tools/course.py course`` executes every notebook (nbclient)
  and writes HTML to ``build/html/`` with an index page in lecture order.
* ``python tools/course.py slides`` writes reveal.js slides of each
  executed notebook to ``build/slides/`` (each ``#``/``##`` heading starts a
  slide).
* ``python tools/course.py timings`` executes every notebook, measures
  wall time and the kernel's peak memory, and writes the table into README.md.
* ``python tools/course.py vgg16-memory`` does the same with VGG16's
  architecture (random weights, offline) to size a JupyterHub.
"""
from __future__ import annotations

import glob
import os
import sys

__all__ = ["course_notebooks", "execute", "build_course", "build_slides", "timings", "vgg16_memory"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")


def course_notebooks(folder: str = NOTEBOOKS) -> list[str]:
    """The numbered notebooks of ``folder`` in lecture order."""
    return sorted(p for p in glob.glob(os.path.join(folder, "*.ipynb")) if os.path.basename(p)[:2].isdigit())


def title(nb) -> str:
    """The first markdown heading of a notebook (nbformat node), without the #'s."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "untitled"


class _PeakRSS:
    """Polls the resident memory of this process's children (the kernel) in a thread."""

    def __init__(self, interval: float = 0.1):
        import threading

        self.interval, self.peak = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children(recursive=True):
                try:
                    self.peak = max(self.peak, child.memory_info().rss)
                except psutil.Error:
                    pass
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def execute(path: str, timeout: int = 900, allow_errors: bool = False):
    """Execute notebook ``path`` in a fresh kernel (working directory: its folder).

    Returns (notebook node with outputs, wall seconds, kernel peak RSS in MB).
    Raises nbclient's CellExecutionError naming the failing cell, unless
    ``allow_errors`` (then every cell runs and errors stay in the outputs).
    """
    import time

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    with _PeakRSS() as mem:
        t0 = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - t0
    return nb, seconds, mem.peak / 2**20


def _executed(folder, out, allow_errors=False):
    os.makedirs(out, exist_ok=True)
    for path in course_notebooks(folder):
        print(f"executing {os.path.basename(path)} ...", flush=True)
        nb, seconds, peak = execute(path, allow_errors=allow_errors)
        print(f"  {seconds:.0f} s, kernel peak {peak:.0f} MB", flush=True)
        yield path, nb, seconds, peak


def build_course(folder: str = NOTEBOOKS, out: str = os.path.join(ROOT, "build", "html")) -> str:
    """Execute every notebook and write HTML plus an index page (lecture order). Returns the index path."""
    import html

    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    rows = []
    for path, nb, seconds, _ in _executed(folder, out):
        body, _ = exporter.from_notebook_node(nb)
        name = os.path.splitext(os.path.basename(path))[0] + ".html"
        with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
            fh.write(body)
        rows.append(f'<li><a href="{name}">{html.escape(title(nb))}</a> <small>({seconds:.0f} s)</small></li>')
    index = os.path.join(out, "index.html")
    with open(index, "w", encoding="utf-8") as fh:
        fh.write("<!doctype html><meta charset='utf-8'><title>Course notebooks</title>"
                 "<h1>What convnets learn, and why recurrent networks exist</h1><ol start='0'>"
                 + "\n".join(rows) + "</ol>")
    print("wrote", index)
    return index


def _mark_slides(nb):
    """Each markdown cell that opens with a # or ## heading starts a new slide."""
    for cell in nb.cells:
        first = cell.source.lstrip().split("\n", 1)[0] if cell.source else ""
        is_heading = cell.cell_type == "markdown" and (first.startswith("# ") or first.startswith("## "))
        cell.metadata.setdefault("slideshow", {})["slide_type"] = "slide" if is_heading else "-"
    return nb


def build_slides(folder: str = NOTEBOOKS, out: str = os.path.join(ROOT, "build", "slides")) -> list[str]:
    """Execute every notebook and write reveal.js slides (``*.slides.html``). Returns the paths."""
    from nbconvert import SlidesExporter

    exporter = SlidesExporter()
    written = []
    for path, nb, _, _ in _executed(folder, out):
        body, _ = exporter.from_notebook_node(_mark_slides(nb))
        target = os.path.join(out, os.path.splitext(os.path.basename(path))[0] + ".slides.html")
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(body)
        written.append(target)
    print("wrote", len(written), "slide decks to", out)
    return written


def _error_cells(nb) -> int:
    return sum(any(o.get("output_type") == "error" for o in c.get("outputs", [])) for c in nb.cells)


def _write_between_markers(readme: str, marker: str, table: str) -> None:
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{table}\n{end}"
    text = open(readme, encoding="utf-8").read()
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(readme, "w", encoding="utf-8") as fh:
        fh.write(text)


def timings(folder: str = NOTEBOOKS, readme: str = os.path.join(ROOT, "README.md")) -> str:
    """Execute every notebook on the current COURSE_MODEL; write wall time and kernel peak RSS into README.md."""
    import platform

    model = os.environ.get("COURSE_MODEL", "auto")
    lines = ["", f"Measured by `make timings` (COURSE_MODEL={model}, {os.cpu_count()} CPU cores, "
             f"{platform.machine()}; wall time of executing all cells, kernel start included):", "",
             "| notebook | wall time | kernel peak memory |", "|---|---:|---:|"]
    for path, _, seconds, peak in _executed(folder, os.path.join(ROOT, "build")):
        lines.append(f"| `{os.path.basename(path)}` | {seconds:.0f} s | {peak:.0f} MB |")
    table = "\n".join(lines + [""])
    _write_between_markers(readme, "timings", table)
    print(table)
    return table


def vgg16_memory(folder: str = NOTEBOOKS, readme: str = os.path.join(ROOT, "README.md")) -> str:
    """Peak kernel memory of every notebook with VGG16, for sizing a JupyterHub.

    Runs offline: VGG16's architecture with random weights (the same tensors,
    so the same memory as with ImageNet weights), saved once to
    ``build/vgg16_random.weights.h5`` and passed via COURSE_VGG16_WEIGHTS.
    Lesson asserts about ImageNet predictions fail with random weights; every
    cell still runs (errors allowed) and their number is listed.
    """
    import platform

    weights = os.path.join(ROOT, "build", "vgg16_random.weights.h5")
    if not os.path.exists(weights):
        import keras

        os.makedirs(os.path.dirname(weights), exist_ok=True)
        keras.applications.VGG16(weights=None).save_weights(weights)
    os.environ.update(COURSE_MODEL="vgg16", COURSE_VGG16_WEIGHTS=weights)
    lines = ["", f"Measured by `make vgg16-memory` (VGG16 architecture, random weights, {os.cpu_count()} CPU "
             f"cores, {platform.machine()}; cells that failed because the weights are random are counted):", "",
             "| notebook | kernel peak memory | wall time | cells failing on random weights |",
             "|---|---:|---:|---:|"]
    for path, nb, seconds, peak in _executed(folder, os.path.join(ROOT, "build"), allow_errors=True):
        lines.append(f"| `{os.path.basename(path)}` | {peak:.0f} MB | {seconds:.0f} s | {_error_cells(nb)} |")
    table = "\n".join(lines + [""])
    _write_between_markers(readme, "vgg16-memory", table)
    print(table)
    return table


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python tools/course.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["course", "slides", "timings", "vgg16-memory"])
    parser.add_argument("folder", nargs="?", default=NOTEBOOKS)
    args = parser.parse_args(argv)
    commands = {"course": build_course, "slides": build_slides, "timings": timings, "vgg16-memory": vgg16_memory}
    commands[args.command](args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
