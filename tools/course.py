"""Course chores for maintainers and lecturers: executing, rendering, timings.

Maintainer tooling, not part of the student package ``helpers``. Commands
(the Makefile calls them; ``make check-notebooks`` uses nbstripout for the
notebooks' hygiene):

* ``python tools/course.py course`` executes every notebook (nbclient),
  keeps the executed copies in ``build/executed/`` and writes HTML to
  ``build/html/`` with an index page in lecture order.
* ``python tools/course.py slides`` writes reveal.js slides of the executed
  notebooks of ``course`` to ``build/slides/`` (executing only those missing
  or changed): each ``#``/``##`` heading starts a slide, code hidden, long
  sections on vertical sub-slides.

Both fetch reveal.js and MathJax once (``npm ci`` of tools/offline/, pinned)
into ``build/assets/``, so that build/ opens with no network.
* ``python tools/course.py timings`` executes every notebook, measures
  wall time and the kernel's peak memory, and writes the table into README.md.
* ``python tools/course.py vgg16-memory`` does the same with VGG16's
  architecture (random weights, offline) to size a JupyterHub.
"""
from __future__ import annotations

import glob
import os
import re
import sys

__all__ = ["course_notebooks", "execute", "fetch_assets", "offline_outputs", "executed_notebook", "build_course",
           "markdown_blocks", "split_first_sentence", "prose_words", "slide_outputs", "page_outputs", "slide_notebook",
           "build_slides", "timings", "vgg16_memory", "WORD_LIMIT", "FIG_MIN_W", "FIG_MIN_H", "FIG_GRID_W", "STRAY_LINES",
           "TAG_HIDE", "TAG_REMOVE", "TAG_SHOW", "TAG_NOTES", "TAG_GRID", "PANELS_KEY", "figure_panels", "is_grid"]

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
    nb.cells.insert(0, nbformat.v4.new_code_cell(_PRELUDE))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    with _PeakRSS() as mem:
        t0 = time.perf_counter()
        try:
            client.execute()
        finally:
            seconds = time.perf_counter() - t0
            _drop_prelude(nb)
    return nb, seconds, mem.peak / 2**20


# Run (hidden) before a notebook's first cell by `execute`: each figure the inline backend shows gets
# its number of panels (PANELS_KEY in the output's metadata; the axes that show something, colour
# bars left out), so that the slides know a grid from a single picture (FIG_GRID_W). Silent; a
# matplotlib-inline without this hook only means no panel counts (every figure is then one picture).
PANELS_KEY = "course_panels"
_PRELUDE = f"""
try:
    import matplotlib_inline.backend_inline as _course_inline

    def _course_figure_metadata(fig, _plain=_course_inline._fetch_figure_metadata):
        shown = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"
                 and (ax.has_data() or ax.texts or ax.artists)]
        return dict(_plain(fig) or {{}}, {PANELS_KEY}=len(shown))

    _course_inline._fetch_figure_metadata = _course_figure_metadata
    del _course_inline, _course_figure_metadata
except (ImportError, AttributeError):
    pass
"""


def _drop_prelude(nb):
    """Remove _PRELUDE's cell (the first) from an executed notebook and renumber the cells after it."""
    if nb.cells and nb.cells[0].source == _PRELUDE:
        nb.cells.pop(0)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count"):
            cell.execution_count -= 1
            for out in cell.get("outputs", []):
                if out.get("execution_count"):
                    out["execution_count"] -= 1


def _executed(folder, out, allow_errors=False):
    os.makedirs(out, exist_ok=True)
    for path in course_notebooks(folder):
        print(f"executing {os.path.basename(path)} ...", flush=True)
        nb, seconds, peak = execute(path, allow_errors=allow_errors)
        print(f"  {seconds:.0f} s, kernel peak {peak:.0f} MB", flush=True)
        yield path, nb, seconds, peak


# ---------------------------------------------------------------------------------------------
# Offline assets: reveal.js and MathJax from the npm packages pinned in tools/offline/ (package.json
# and its lock), installed with `npm ci` into build/offline/ and copied into build/assets/, which the
# HTML pages (build/html/) and the slides (build/slides/) load by a relative path: build/ opens from a
# USB stick with no network.

OFFLINE = os.path.join(ROOT, "tools", "offline")
TEMPLATES = os.path.join(ROOT, "tools", "templates")
EXECUTED = os.path.join(ROOT, "build", "executed")
ASSETS = os.path.join(ROOT, "build", "assets")
# what is copied from each package (paths inside node_modules/<package>/)
_ASSET_FILES = {
    "reveal.js": ["LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/reset.css", "dist/theme/white.css",
                  "dist/theme/fonts/source-sans-pro", "plugin/notes/notes.js"],
    "mathjax": ["LICENSE", "es5/tex-svg.js", "es5/input/tex/extensions", "es5/ui", "es5/a11y/assistive-mml.js"],
}


def fetch_assets(assets: str = ASSETS, offline: str = OFFLINE, work: str = os.path.join(ROOT, "build", "offline")) -> str:
    """Install the pinned npm packages (``npm ci``, once per lock) and copy reveal.js and MathJax into ``assets``.

    Writes ``assets/LICENSES.txt`` (each package's name, version and licence text). Returns ``assets``.
    Raises SystemExit with what to do when npm is missing or fails (it needs the npm registry once).
    """
    import json
    import shutil
    import subprocess

    lock = os.path.join(offline, "package-lock.json")
    stamp = os.path.join(work, "node_modules", ".course-lock")
    want = open(lock, encoding="utf-8").read()
    if not (os.path.exists(stamp) and open(stamp, encoding="utf-8").read() == want):
        if shutil.which("npm") is None:
            raise SystemExit("npm is missing: install Node.js (it brings npm), then run make course / make slides "
                             "again; it fetches reveal.js and MathJax once, after that no network is needed.")
        os.makedirs(work, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(offline, name), work)
        print("fetching reveal.js and MathJax (npm ci, pinned in tools/offline/package-lock.json) ...", flush=True)
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=work,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"npm ci failed in {work} (it needs the npm registry once):\n{done.stderr[-2000:]}")
        with open(stamp, "w", encoding="utf-8") as fh:
            fh.write(want)
    licences = []
    for package, files in _ASSET_FILES.items():
        src = os.path.join(work, "node_modules", package)
        meta = json.load(open(os.path.join(src, "package.json"), encoding="utf-8"))
        for rel in files:
            a, b = os.path.join(src, rel), os.path.join(assets, package, rel)
            os.makedirs(os.path.dirname(b), exist_ok=True)
            if os.path.isdir(a):
                shutil.copytree(a, b, dirs_exist_ok=True)
            else:
                shutil.copy(a, b)
        licences.append(f"{package} {meta['version']} ({meta.get('license')}), {meta.get('homepage', '')}\n\n"
                        + open(os.path.join(src, "LICENSE"), encoding="utf-8").read())
    with open(os.path.join(assets, "LICENSES.txt"), "w", encoding="utf-8") as fh:
        fh.write("Third-party files in this folder\n\n" + ("\n\n" + "=" * 72 + "\n\n").join(licences))
    return assets


WIDGET_NOTE = ("<p class='course-widget-note'><em>Interactive explorer: open this notebook in JupyterLab "
               "to use it.</em></p>")


_PROGRESS_BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+")   # tqdm's text: "name:  40%|####  | 12/30 [...]"


def offline_outputs(nb):
    """Outputs fit for a page without a kernel: widget views (they need a kernel and a widget manager
    from the internet) become a one-line note, progress bars (tqdm) are dropped.

    Drops the notebook's saved widget state too. Changes ``nb`` in place and returns it.
    """
    for cell in nb.cells:
        if "outputs" not in cell:
            continue
        kept = []
        for out in cell.outputs:
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                if _PROGRESS_BAR.search(str(data.get("text/plain", ""))):
                    continue
                out["data"] = {"text/html": WIDGET_NOTE, "text/plain": "Interactive explorer (needs JupyterLab)"}
            kept.append(out)
        cell.outputs = kept
    nb.metadata.pop("widgets", None)
    return nb


# ---------------------------------------------------------------------------------------------
# What reaches a slide. Cell tags (CONTRIBUTING.md, "Slides"):
#   course-hide-slide  the cell's outputs are not lesson content (the model line of the setup cell,
#                      timings): never on a slide; kept on the HTML pages unless built with --drop-hidden
#   remove-output      (Jupyter Book's tag) the outputs appear neither on slides nor on pages
#   course-show-slide  the lecturer's override: the outputs go on the slide even when tagged or
#                      recognised as an aside (below), stray lines included
#   course-notes       on a markdown cell: all its text goes to the speaker notes
# Exercise check cells (metadata exercise.role == "check") are asides without a tag: their verdict
# ("not attempted yet") is the student's, not the lecture's. Lines of a printed output that match
# STRAY_LINES (the model line, a time taken) are dropped from slides too, the rest of the output kept.

TAG_HIDE, TAG_REMOVE, TAG_SHOW, TAG_NOTES = "course-hide-slide", "remove-output", "course-show-slide", "course-notes"
STRAY_LINES = [
    r"^Model: \w+ \(",                                   # helpers.models.load_model's line
    r"^Exercise \d+\.\d+ \(\w+\):",                      # an exercise check's verdict
    r"\(\d+(\.\d+)? s( for this section)?\)",            # "(21 s for this section)"
    r"\b(ran|trained) in \d+(\.\d+)? s\b", r"\b\d+(\.\d+)? s of training\b",
]
_STRAY = re.compile("|".join(f"(?:{p})" for p in STRAY_LINES))


def _tags(cell) -> set:
    return set(cell.get("metadata", {}).get("tags", []))


def _aside(cell) -> bool:
    """True for a code cell whose outputs are not lesson content (tagged, or an exercise check)."""
    tags = _tags(cell)
    if TAG_SHOW in tags:
        return False
    role = cell.get("metadata", {}).get("exercise", {}).get("role")
    return bool(tags & {TAG_HIDE, TAG_REMOVE}) or role == "check"


def slide_outputs(nb):
    """Keep only lesson content in the outputs of ``nb`` (in place; returns it): the outputs of aside
    cells are dropped (``course-hide-slide``, ``remove-output``, exercise checks) and stray lines
    (STRAY_LINES) are cut out of printed text; a cell tagged ``course-show-slide`` keeps everything."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if _aside(cell):
            cell.outputs = []
            continue
        if TAG_SHOW in _tags(cell):
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                lines = [ln for ln in out["text"].split("\n") if not _STRAY.search(ln)]
                if not any(ln.strip() for ln in lines):
                    continue
                out["text"] = "\n".join(lines)
            kept.append(out)
        cell.outputs = kept
    return nb


def page_outputs(nb, drop_hidden: bool = False):
    """The outputs an HTML page shows (in place; returns ``nb``): ``remove-output`` cells lose theirs;
    ``course-hide-slide`` cells lose theirs too when ``drop_hidden``."""
    drop = {TAG_REMOVE} | ({TAG_HIDE} if drop_hidden else set())
    for cell in nb.cells:
        if cell.cell_type == "code" and _tags(cell) & drop and TAG_SHOW not in _tags(cell):
            cell.outputs = []
    return nb


def _exporter(kind: str):
    from nbconvert import HTMLExporter, SlidesExporter

    if kind == "html":
        return HTMLExporter(template_name="offline_lab", extra_template_basedirs=[TEMPLATES],
                            extra_template_paths=[TEMPLATES])
    return SlidesExporter(template_name="offline_reveal", extra_template_basedirs=[TEMPLATES], extra_template_paths=[TEMPLATES],
                          reveal_url_prefix="../assets/reveal.js", reveal_theme="white", exclude_input=True,
                          exclude_input_prompt=True, exclude_output_prompt=True)


def _render(exporter, nb, target):
    body, _ = exporter.from_notebook_node(nb, resources={"course_assets": "../assets"})
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(body)
    return target


def _source_digest(path: str) -> str:
    import hashlib

    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _save_executed(path, nb, executed):
    import nbformat

    os.makedirs(executed, exist_ok=True)
    nb.metadata["course_build"] = {"source_sha256": _source_digest(path),
                                   "course_model": os.environ.get("COURSE_MODEL", "auto")}
    nbformat.write(nb, os.path.join(executed, os.path.basename(path)))


def executed_notebook(path: str, executed: str = EXECUTED):
    """The executed copy of ``path`` that ``make course`` saved in ``executed``, or None when missing or stale.

    Stale: the source notebook changed since (its sha256 is stored in the copy's metadata).
    """
    import nbformat

    copy = os.path.join(executed, os.path.basename(path))
    if not os.path.exists(copy):
        return None
    nb = nbformat.read(copy, as_version=4)
    if nb.metadata.get("course_build", {}).get("source_sha256") != _source_digest(path):
        return None
    return nb


def build_course(folder: str = NOTEBOOKS, out: str = os.path.join(ROOT, "build", "html"),
                 executed: str | None = None, drop_hidden: bool = False) -> str:
    """Execute every notebook; write HTML plus an index page (lecture order). Returns the index path.

    Outputs of cells tagged ``remove-output`` are left out of the pages; those tagged
    ``course-hide-slide`` (not lesson content) too when ``drop_hidden`` (``--drop-hidden``).

    The executed notebooks are kept in ``executed`` (default: ``build/executed`` beside ``out``) for
    ``build_slides``. The pages load MathJax from ``../assets`` (``fetch_assets``).
    """
    import copy
    import html

    executed = executed or os.path.join(os.path.dirname(out), "executed")
    exporter = _exporter("html")
    rows = []
    for path, nb, seconds, _ in _executed(folder, out):
        _save_executed(path, nb, executed)
        name = os.path.splitext(os.path.basename(path))[0] + ".html"
        _render(exporter, page_outputs(offline_outputs(copy.deepcopy(nb)), drop_hidden), os.path.join(out, name))
        rows.append(f'<li><a href="{name}">{html.escape(title(nb))}</a> <small>({seconds:.0f} s)</small></li>')
    index = os.path.join(out, "index.html")
    with open(index, "w", encoding="utf-8") as fh:
        fh.write("<!doctype html><meta charset='utf-8'><title>Course notebooks</title>"
                 "<h1>What convnets learn, and why recurrent networks exist</h1><ol start='0'>"
                 + "\n".join(rows) + "</ol><p><a href='../slides/index.html'>Slides</a> (make slides)</p>")
    print("wrote", index)
    return index


# ---------------------------------------------------------------------------------------------
# Slides. A slide per level-1/2 heading (anywhere in a markdown cell), the code hidden, each
# section's text and outputs packed into vertical sub-slides by an estimate of their height at
# 1280x720 (tests_e2e/test_slides.py measures the real heights in Chromium), each figure kept
# on one sub-slide with the sentence after it (its takeaway).

SLIDE_W, SLIDE_H = 1280, 720
_BUDGET = SLIDE_H - 56            # the sub-slide's padding (2 x 20 px) and some slack
_CONT_H = 44                      # the section title repeated on a continuation sub-slide
_LINE, _CHARS = 31, 100           # a line of text (20 px font) and the characters it holds
_MONO_LINE, _MONO_CHARS = 21, 118  # a line of a text output (15 px monospace)
WORD_LIMIT = 80                   # words of prose on one slide; the rest goes to its speaker notes
FIG_MIN_W, FIG_MIN_H = 1000, 440  # a figure is drawn at least this wide or this tall (whichever its shape allows)
FIG_GRID_W = 1000                 # a grid (a figure of two panels or more) is drawn at least this wide, however tall
TAG_GRID = "course-grid"          # on a code cell: its figure is a grid even if drawn in one panel (a montage)
MAX_ZOOM = 4                      # how much a small figure may be enlarged to fill its slide
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+\S")


def markdown_blocks(source: str) -> list[str]:
    """Split a markdown cell into blocks: each heading alone, the rest at blank lines.

    Fenced code and ``$$ ... $$`` display maths are kept whole, and a ``#`` line inside them is
    not a heading. A list is split into its top-level items (an item's nested lines stay with it),
    so that a long list can continue on the next sub-slide. Returns the blocks in order, without
    their surrounding blank lines.
    """
    blocks, current, fence, maths = [], [], None, False

    def flush():
        if any(line.strip() for line in current):
            blocks.extend(_list_items("\n".join(current).strip("\n")))
        current.clear()

    for line in source.splitlines():
        stripped = line.strip()
        if fence is not None:
            current.append(line)
            if stripped.startswith(fence):
                fence = None
            continue
        if maths:
            current.append(line)
            maths = stripped.count("$$") % 2 == 0
            continue
        m = _FENCE.match(line)
        if m:
            fence = m.group(1)
            current.append(line)
            continue
        if _HEADING.match(line):
            flush()
            blocks.append(line.strip())
            continue
        if not stripped:
            flush()
            continue
        current.append(line)
        if stripped.count("$$") % 2 == 1:
            maths = True
    flush()
    return blocks


_ITEM = re.compile(r"^(\s*)([*+-]|\d+[.)])\s+\S")


def _list_items(block: str) -> list[str]:
    """A list block split into its top-level items; any other block as it is."""
    lines = block.split("\n")
    first = _ITEM.match(lines[0])
    if not first or any(_FENCE.match(line) or "$$" in line for line in lines):
        return [block]
    indent = len(first.group(1))
    items = []
    for line in lines:
        m = _ITEM.match(line)
        if m and len(m.group(1)) == indent:
            items.append([line])
        else:
            items[-1].append(line)
    return ["\n".join(item) for item in items]


def heading_level(block: str) -> int:
    """1..6 for a markdown heading block (``## Title``), 0 for anything else."""
    m = _HEADING.match(block)
    return len(m.group(1)) if m and "\n" not in block else 0


def _plain(text: str) -> str:
    return re.sub(r"[*_`]|\]\([^)]*\)|\[", "", text)


def block_height(block: str) -> int:
    """Estimated height in px of a markdown block on a 1280-px slide (20 px text)."""
    level = heading_level(block)
    if level:
        return {1: 72, 2: 62, 3: 48}.get(level, 40)
    lines = block.splitlines()
    if _FENCE.match(lines[0]):
        return 24 * len(lines) + 24
    if block.lstrip().startswith("$$"):
        return 64 * max(1, block.count("\\\\") + 1) + 16
    if all(line.lstrip().startswith("|") for line in lines):
        return 36 * len([ln for ln in lines if not re.match(r"^\s*\|[\s:|-]+\|\s*$", ln)]) + 24
    height = 16
    for line in lines:
        height += _LINE * max(1, -(-len(_plain(line)) // _CHARS))
        if "$$" in line or "\\frac" in line or "\\sum" in line:
            height += 12
    return height


def split_first_sentence(block: str) -> tuple[str, str]:
    """(first sentence, rest) of a paragraph; ``$...$`` maths and ``e.g.``-style abbreviations are not split.

    Returns (block, "") when the block is one sentence, a list, a table or display maths.
    """
    if block.lstrip().startswith(("*", "-", "|", "$$", "1.", "```")) or heading_level(block):
        return block, ""
    in_maths = False
    for i, ch in enumerate(block):
        if ch == "$":
            in_maths = not in_maths
        elif (not in_maths and ch in ".!?:" and block[i + 1:i + 2] in (" ", "\n")
              and re.match(r"\s+[A-Z(*]", block[i + 1:]) and not re.search(r"(e\.g|i\.e|cf|vs|etc|al|Fig)$", block[:i])):
            rest = block[i + 1:].strip()
            if rest:
                return block[:i + 1].strip(), rest
            break
    return block, ""


def _png_size(b64: str) -> tuple[int, int]:
    import base64

    head = base64.b64decode(b64[:64])
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return 800, 500
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def prose_words(block: str) -> int:
    """The words of prose in a markdown block, as a slide shows them (the ~80-word rule).

    Headings, fenced code and display maths count 0; an inline formula ``$...$`` counts 1; a link
    counts its text; list markers, table rules and punctuation standing alone count 0. The browser
    check (tests_e2e/test_slides.py) counts the rendered slide the same way.
    """
    if heading_level(block):
        return 0
    text = re.sub(r"^\s*(```|~~~).*?^\s*\1\s*$", " ", block, flags=re.S | re.M)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$]+\$", " X ", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return sum(1 for token in text.split() if re.search(r"\w", token))


def _fit_words(block: str, room: int) -> tuple[str, str]:
    """(leading sentences of ``block`` within ``room`` words, the rest): a paragraph is cut between
    sentences, a list item, table or formula is kept whole or not at all."""
    if prose_words(block) <= room:
        return block, ""
    shown, rest = "", block
    while rest:
        first, after = split_first_sentence(rest)
        if prose_words((shown + " " + first).strip()) > room:
            break
        shown, rest = (shown + " " + first).strip(), after
        if not after:
            break
    return shown, rest


def figure_panels(out) -> int:
    """The panels of a figure output: the count `execute` recorded (PANELS_KEY), 2 for a cell tagged
    TAG_GRID (``_sections`` marks its outputs), 1 when nothing was recorded (a single picture)."""
    return int(out.get("metadata", {}).get(PANELS_KEY) or 1)


def is_grid(out) -> bool:
    """True for a figure of two panels or more (:func:`figure_panels`): its rule is FIG_GRID_W px wide."""
    return "image/png" in out.get("data", {}) and figure_panels(out) >= 2


def output_height(out, max_w: int = SLIDE_W - 80) -> tuple[int, int]:
    """(height in px drawn at, smallest height allowed) of one code-cell output on a slide.

    A figure is drawn as large as the slide allows (:func:`figure_size`); it may be shrunk down to
    its rule: at least FIG_MIN_W px wide or FIG_MIN_H px tall, whichever comes first for its shape;
    a grid (:func:`is_grid`) at least FIG_GRID_W px wide, however tall that makes it.
    """
    kind = out.get("output_type")
    if kind == "stream" or kind == "error":
        text = out.get("text", "") if kind == "stream" else "\n".join(out.get("traceback", []))
        rows = sum(max(1, -(-len(ln) // _MONO_CHARS)) for ln in text.rstrip("\n").split("\n"))
        h = _MONO_LINE * rows + 20
        return h, h
    data = out.get("data", {})
    if "image/png" in data:
        w, h = _png_size(data["image/png"])
        grid = is_grid(out)
        full = figure_size(w, h, SLIDE_H, max_w, grid)[1]
        return full + 12, min(full, _rule_height(w, h, grid)) + 12
    if "text/html" in data:
        html = data["text/html"]
        rows = html.count("<tr") + html.count("<p") + html.count("<li") + html.count("<br")
        h = max(_LINE, rows * 34) + 16
        return h, h
    if "text/markdown" in data:
        h = sum(block_height(b) for b in markdown_blocks(data["text/markdown"]))
        return h, h
    if "text/plain" in data:
        rows = data["text/plain"].count("\n") + 1
        return _MONO_LINE * rows + 20, _MONO_LINE * rows + 20
    return 0, 0


def _rule_height(w: int, h: int, grid: bool = False) -> int:
    """The smallest height at which a w x h figure meets its size rule: FIG_MIN_W wide or FIG_MIN_H
    tall; a grid FIG_GRID_W wide."""
    wide = -(-FIG_GRID_W * h // w) if grid else -(-FIG_MIN_W * h // w)
    return int(wide if grid else min(FIG_MIN_H, wide))


def figure_size(w: int, h: int, height: int, max_w: int = SLIDE_W - 80, grid: bool = False) -> tuple[int, int]:
    """(width, height) in px at which a w x h figure is drawn within ``max_w`` x ``height``: as large
    as fits, enlarged up to MAX_ZOOM times (a slide is seen from the back of the room), or more where
    its size rule needs it (a grid: FIG_GRID_W wide even if that is taller than ``height``)."""
    scale = min(max_w / w, max(max(1, height) / h, FIG_GRID_W / w if grid else 0),
                max(MAX_ZOOM, _rule_height(w, h, grid) / h))
    return int(w * scale), int(h * scale)


def _scale_image(out, height: int, max_w: int = SLIDE_W - 80):
    """Give an image output the width/height attributes that draw it ``height`` px tall (or less,
    never below its rule: a grid stays FIG_GRID_W px wide)."""
    w, h = _png_size(out["data"]["image/png"])
    dw, dh = figure_size(w, h, height - 12, max_w, is_grid(out))
    out.setdefault("metadata", {})["image/png"] = {"width": dw, "height": dh}


def _sections(nb):
    """The notebook as sections: [(heading block, [items])].

    An item is ("md", block), ("note", block) (a block of a markdown cell tagged course-notes),
    ("out", output) or ("code", source): a code cell's source follows its outputs.
    """
    sections = [[None, []]]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            kind = "note" if TAG_NOTES in _tags(cell) else "md"
            for block in markdown_blocks(cell.source):
                if heading_level(block) in (1, 2):
                    sections.append([block, []])
                else:
                    sections[-1][1].append((kind, block))
        elif cell.cell_type == "code":
            for out in cell.get("outputs", []):
                if TAG_GRID in _tags(cell) and "image/png" in out.get("data", {}):
                    out.setdefault("metadata", {})[PANELS_KEY] = max(2, figure_panels(out))
                if out.get("output_type") in ("stream", "display_data", "execute_result", "error"):
                    sections[-1][1].append(("out", out))
            if cell.source.strip():
                sections[-1][1].append(("code", cell.source))
    return [(h, items) for h, items in sections if h is not None or items]


def _is_figure(item) -> bool:
    return item[0] == "out" and "image/png" in item[1].get("data", {})


def _units(items):
    """Group items into units placed on one sub-slide together: a figure with the sentence after it,
    its reading ("read"; the code between them goes to the speaker notes), and lead-ins kept with
    what follows."""
    units, i = [], 0
    items = list(items)
    while i < len(items):
        kind, item = items[i]
        j = i + 1
        while j < len(items) and items[j][0] == "code":
            j += 1
        if _is_figure((kind, item)) and j < len(items) and items[j][0] == "md" and not heading_level(items[j][1]):
            first, rest = split_first_sentence(items[j][1])
            units.append(items[i:j] + [("read", first)])
            if rest:
                items[j] = ("md", rest)
                i = j
            else:
                i = j + 1
            continue
        units.append([(kind, item)])
        i += 1
    # keep with next: a sub-heading, or a sentence that announces what follows ("...:"), never ends a sub-slide
    merged = []
    for unit in units:
        if merged and _leads_in(merged[-1]) and unit[0][0] not in ("code", "note"):
            merged[-1] = merged[-1] + unit
        else:
            merged.append(unit)
    return merged


def _leads_in(unit) -> bool:
    """True for a unit that is only a lead-in to the next one: a level-3+ heading or text ending in ':'."""
    if unit[-1][0] != "md" or any(k not in ("md",) for k, _ in unit):
        return False
    text = unit[-1][1].rstrip()
    return heading_level(text) >= 3 or text.endswith(":")


def slide_notebook(nb, budget: int = _BUDGET, words: int = WORD_LIMIT):
    """A copy of executed notebook ``nb`` laid out as slides for nbconvert's reveal.js exporter.

    Every level-1/2 heading (anywhere in a markdown cell) starts a slide (``slideshow.slide_type``
    "slide"). Only lesson content is shown (:func:`slide_outputs`). The rules:

    * at most ``words`` words of prose on a (sub-)slide (:func:`prose_words`); the prose beyond goes
      to that slide's speaker notes (reveal.js: S), cut between sentences, never to a continuation
      page; once a slide's prose has overflowed, its later prose goes to the notes too;
    * a figure shares its sub-slide with the first sentence after it (its reading) and any lead-in
      (a sub-heading, a sentence ending in ':'); it is drawn as large as the room left allows, and
      never below its rule (FIG_MIN_W px wide or FIG_MIN_H px tall): when the room left is smaller,
      the figure starts a new sub-slide (titled "<section> (continued)");
    * printed text and tables go on while they fit in ``budget`` px (estimated), else start a new
      sub-slide; a text output taller than a slide is cut with a note;
    * the code goes to the speaker notes of the sub-slide that shows its outputs.

    Returns (new notebook, number of slides, number of sub-slides).
    """
    import copy

    import nbformat

    nb = slide_outputs(offline_outputs(copy.deepcopy(nb)))
    cells, n_slides, n_sub = [], 0, 0

    def md_cell(text, slide_type):
        cell = nbformat.v4.new_markdown_cell(text)
        cell.metadata["slideshow"] = {"slide_type": slide_type}
        return cell

    # outputs a lecturer shows on purpose (course-show-slide): their slide cell keeps the tag, so that
    # the browser check lets their lines be
    on_purpose = {id(o) for c in nb.cells if c.cell_type == "code" and TAG_SHOW in _tags(c) for o in c.outputs}

    def out_cell(outputs, slide_type, show_tag=False):
        cell = nbformat.v4.new_code_cell("", outputs=outputs)
        cell.metadata["slideshow"] = {"slide_type": slide_type}
        # the page marks a tagged cell (class celltag_<tag>): the browser check finds grids by it
        tags = ([TAG_GRID] if any(map(is_grid, outputs)) else []) + ([TAG_SHOW] if show_tag else [])
        if tags:
            cell.metadata["tags"] = tags
        return cell

    for heading, items in _sections(nb):
        n_slides += 1
        name = heading.lstrip("#").strip() if heading else title(nb)
        state = {"used": 0, "said": 0, "start": "slide", "content": False, "full": False}
        if heading:
            cells.append(md_cell(heading, "slide"))
            state.update(used=block_height(heading), start="-")

        def note(text):
            if state["start"] == "-":
                cells.append(md_cell(text, "notes"))
            else:                                            # nothing shown yet (no heading): show it
                show(text)

        def show(text):
            cells.append(md_cell(text, state["start"]))
            state["used"] += block_height(text)
            state["said"] += prose_words(text)
            state["start"], state["content"] = "-", True

        def new_subslide():
            nonlocal n_sub
            cont = f"### {name} (continued)"
            cells.append(md_cell(cont, "subslide"))
            state.update(used=block_height(cont), said=0, start="-", content=False, full=False)
            n_sub += 1

        units = _units(items)
        for u, unit in enumerate(units):
            kinds = [k for k, _ in unit]
            if set(kinds) <= {"code", "note"}:                   # speaker notes only
                for kind, item in unit:
                    note(f"```python\n{item}\n```" if kind == "code" else item)
                continue
            if kinds == ["md"] and not heading_level(unit[0][1]):     # prose: the word rule
                block = unit[0][1]
                room = 0 if state["full"] else words - state["said"]
                shown, rest = _fit_words(block, room)
                if shown and state["used"] + block_height(shown) > budget:
                    shown, rest = "", block
                if shown:
                    show(shown)
                if rest:
                    note(rest)
                    state["full"] = True
                continue
            # a unit with an output (at most one: a figure, printed text, a table) or a sub-heading,
            # with its lead-ins and a figure's reading: shown together
            out_hi, out_lo = next((output_height(x) for k, x in unit if k == "out"), (0, 0))
            fixed = sum(block_height(x) for k, x in unit if k == "read" or (k == "md" and heading_level(x)))
            must_words = sum(prose_words(x) for k, x in unit if k == "read")
            lead_in = [x for k, x in unit if k == "md" and not heading_level(x)]
            if state["content"] and (state["used"] + fixed + sum(map(block_height, lead_in)) + out_lo > budget
                                     or state["said"] + must_words + sum(map(prose_words, lead_in)) > words):
                new_subslide()
            if out_lo and state["used"] + fixed + out_lo > budget:
                # a grid at its width rule leaves no room for its reading even on a sub-slide of its own:
                # the reading goes to this slide's speaker notes (a one-line caption of the figure's
                # own stays on the slide)
                unit = [("note", x) if k == "read" else (k, x) for k, x in unit]
                fixed -= sum(block_height(x) for k, x in unit if k == "note")
                must_words = 0
            # lead-in prose beyond the word rule, or without room beside the output's least size: to the notes
            room_words = 0 if state["full"] else words - state["said"] - must_words
            cut = {}
            for block in lead_in:
                shown, rest = _fit_words(block, max(0, room_words))
                if shown and state["used"] + fixed + block_height(shown) + out_lo > budget:
                    shown, rest = "", block
                cut[id(block)] = (shown, rest)
                room_words -= prose_words(shown)
                fixed += block_height(shown) if shown else 0
            for kind, item in unit:
                if kind == "code":
                    note(f"```python\n{item}\n```")
                elif kind == "note":
                    note(item)
                elif kind == "md" and id(item) in cut:
                    shown, rest = cut[id(item)]
                    if shown:
                        show(shown)
                    if rest:
                        note(rest)
                        state["full"] = True
                    fixed -= block_height(shown) if shown else 0
                elif kind in ("md", "read"):
                    show(item)
                    fixed -= block_height(item)
                elif _is_figure((kind, item)):
                    # room for the prose that follows (within the word rule), as long as the figure keeps its rule
                    after = units[u + 1] if u + 1 < len(units) else []
                    reserve = 0
                    if [k for k, _ in after] == ["md"] and not heading_level(after[0][1]) and not state["full"]:
                        shown = _fit_words(after[0][1], words - state["said"] - must_words)[0]
                        reserve = block_height(shown) if shown else 0
                    fit = max(min(out_hi, budget - state["used"] - fixed - reserve), out_lo)
                    _scale_image(item, fit)
                    cells.append(out_cell([item], state["start"], id(item) in on_purpose))
                    state["used"] += fit
                    state["start"], state["content"] = "-", True
                else:
                    h, room, show_tag = out_hi, budget - state["used"], id(item) in on_purpose
                    if item.get("output_type") == "stream" and h > room and h > budget // 2:
                        keep = max(3, (room - 40) // _MONO_LINE)
                        lines = item["text"].rstrip("\n").split("\n")
                        if keep < len(lines):
                            item = nbformat.from_dict(dict(item, text="\n".join(lines[:keep]) +
                                                           f"\n... ({len(lines) - keep} more lines in the notebook)\n"))
                            h = _MONO_LINE * (keep + 1) + 20
                    cells.append(out_cell([item], state["start"], show_tag))
                    state["used"] += h
                    state["start"], state["content"] = "-", True
    new = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    return new, n_slides, n_sub


def slide_stats(slides) -> list[dict]:
    """Per (sub-)slide of a laid-out deck (:func:`slide_notebook`): its prose words, its figures'
    drawn (width, height) and, where it has figures, whether each is a grid ("grids"). The numbers the build prints; the browser check measures the real ones."""
    stats = []
    for cell in slides.cells:
        kind = cell.metadata["slideshow"]["slide_type"]
        if kind in ("slide", "subslide"):
            stats.append({"words": 0, "figures": []})
        if kind == "notes" or not stats:
            continue
        if cell.cell_type == "markdown":
            stats[-1]["words"] += prose_words(cell.source)
        else:
            for out in cell.outputs:
                size = out.get("metadata", {}).get("image/png")
                if size:
                    stats[-1]["figures"].append((size["width"], size["height"]))
                    stats[-1].setdefault("grids", []).append(is_grid(out))
    return stats


def build_slides(folder: str = NOTEBOOKS, out: str = os.path.join(ROOT, "build", "slides"),
                 executed: str | None = None) -> list[str]:
    """Write reveal.js slides (``*.slides.html``) of every notebook plus an index page. Returns the deck paths.

    Uses the executed notebooks ``make course`` saved in ``executed`` (default ``build/executed``
    beside ``out``); only a notebook that is missing there or changed since is executed (and saved).
    """
    import html

    executed = executed or os.path.join(os.path.dirname(out), "executed")
    os.makedirs(out, exist_ok=True)
    exporter = _exporter("slides")
    written, rows = [], []
    for path in course_notebooks(folder):
        nb = executed_notebook(path, executed)
        if nb is None:
            print(f"executing {os.path.basename(path)} (not in {executed} or changed since make course) ...", flush=True)
            nb, seconds, _ = execute(path)
            _save_executed(path, nb, executed)
        slides, n_slides, n_sub = slide_notebook(nb)
        target = os.path.join(out, os.path.splitext(os.path.basename(path))[0] + ".slides.html")
        written.append(_render(exporter, slides, target))
        print(f"{os.path.basename(target)}: {n_slides} slides + {n_sub} sub-slides", flush=True)
        rows.append(f'<li><a href="{os.path.basename(target)}">{html.escape(title(nb))}</a></li>')
    with open(os.path.join(out, "index.html"), "w", encoding="utf-8") as fh:
        fh.write("<!doctype html><meta charset='utf-8'><title>Course slides</title>"
                 "<h1>Slides</h1><p>Arrows move between slides; down goes through a section's sub-slides; "
                 "S opens the speaker view.</p><ol start='0'>" + "\n".join(rows) + "</ol>")
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
    ``build/vgg16_random.h5`` and passed via COURSE_VGG16_WEIGHTS.
    Lesson asserts about ImageNet predictions fail with random weights; every
    cell still runs (errors allowed) and their number is listed.
    """
    import platform

    weights = os.path.join(ROOT, "build", "vgg16_random.h5")   # the ImageNet file's layout: loaded the same way
    if not os.path.exists(weights):
        import keras

        from helpers.models import save_weights_h5

        os.makedirs(os.path.dirname(weights), exist_ok=True)
        save_weights_h5(keras.applications.VGG16(weights=None), weights)
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
    parser.add_argument("--drop-hidden", action="store_true",
                        help="course: leave the outputs of cells tagged course-hide-slide out of the HTML pages too")
    args = parser.parse_args(argv)
    if args.command == "course":
        fetch_assets()
        build_course(args.folder, drop_hidden=args.drop_hidden)
        return 0
    commands = {"course": build_course, "slides": build_slides, "timings": timings, "vgg16-memory": vgg16_memory}
    if args.command in ("course", "slides"):
        fetch_assets()
    commands[args.command](args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
