"""Each notebook's two files - the stored ``.ipynb`` and its paired MyST Markdown text - must agree.

The pairing is configured once in ``notebooks/jupytext.toml``: saving a
notebook in JupyterLab (with jupytext, installed by ``make lab``) writes both
files. Someone who edits one of them outside JupyterLab (a text editor, a
merge, a script) runs ``make sync``: jupytext then takes the file changed
last and rewrites the other from it, keeping the cell ids of the ``.ipynb``.

    python tools/notebook_sources.py check     # exit status 1 and the first difference of each pair
    python tools/notebook_sources.py sync      # what `make sync` runs (see sync())

Every notebook's setup cell opens with the same three lines (:func:`setup_lines`): where
``helpers`` cannot be imported (Colab, a fresh environment) they install the course with one
``%pip`` line from its repository at the release tag; in the repository, or wherever the course
is installed, they do nothing. The repository URL and the release are written once, in
pyproject.toml (``[project.urls] Repository`` and ``version``); ``sync`` writes them into every
setup cell and into the README's "Open in Colab" links, and ``check`` fails where they differ.
``COURSE_PIP`` (an environment variable) replaces what the line installs, e.g. a locally built
wheel in ``make test-compat``.

``make test`` runs the same check through ``tests/test_notebook_sources.py``.
"""
from __future__ import annotations

import glob
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
TEXT_FORMAT = "md:myst"
FIX = "run `make sync` (it keeps the file you changed last and rewrites the other from it)"


def repository() -> tuple[str, str]:
    """(repository URL, version) from pyproject.toml: where Colab installs the course from, and which release."""
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        project = tomllib.load(fh)["project"]
    return project["urls"]["Repository"].rstrip("/"), project["version"]


def setup_lines() -> str:
    """The first lines of every notebook's setup cell (see the module docstring)."""
    url, version = repository()
    return ("import importlib.util, os        # Colab, or anywhere the course is not installed: install it once\n"
            "if importlib.util.find_spec(\"helpers\") is None:\n"
            f"    %pip install --quiet {{os.environ.get(\"COURSE_PIP\", \"git+{url}@v{version}\")}}\n")


_SETUP_START = "import importlib.util, os"
_CODE_CELL = "```{code-cell} ipython3\n"


def _setup_block(text: str) -> tuple[int, int]:
    """(start, end) of the setup lines at the top of the first code cell of a notebook's text (start == end: none)."""
    start = text.index(_CODE_CELL) + len(_CODE_CELL)
    if text.startswith("---\n", start):       # the cell's metadata (tags: ...) comes first
        start = text.index("\n---\n", start + 3) + len("\n---\n")
    elif text.startswith(":", start):           # or as ":tags: [...]" lines
        while text.startswith(":", start):
            start = text.index("\n", start) + 1
        if text.startswith("\n", start):      # jupytext writes a blank line after them
            start += 1
    if not text.startswith(_SETUP_START, start):
        return start, start
    end = start
    for _ in range(3):
        end = text.index("\n", end) + 1
    return start, end


def setup_problem(md: str) -> str | None:
    """A sentence if text file ``md``'s setup cell does not open with :func:`setup_lines`; else None."""
    with open(md, encoding="utf-8") as fh:
        text = fh.read()
    if _CODE_CELL not in text:
        return f"{_rel(md)} has no code cell; its first one must open with the setup lines ({FIX})."
    start, end = _setup_block(text)
    if text[start:end] != setup_lines():
        return (f"{_rel(md)}: the setup cell does not open with the lines pyproject.toml's repository and version "
                f"give (tools/notebook_sources.py setup_lines); {FIX}.")
    return None


def stamp_setup(md: str) -> bool:
    """Write :func:`setup_lines` at the top of text file ``md``'s first code cell (replacing older ones); True if changed."""
    with open(md, encoding="utf-8") as fh:
        text = fh.read()
    start, end = _setup_block(text)
    new = text[:start] + setup_lines() + text[end:]
    if new != text:
        with open(md, "w", encoding="utf-8") as fh:
            fh.write(new)
    return new != text


def colab_links(folder: str = NOTEBOOKS) -> str:
    """The README's "Open in Colab" list: one link per notebook, at the release tag of :func:`repository`."""
    import json

    url, version = repository()
    path = url.split("github.com/", 1)[-1]
    lines = []
    for ipynb, _ in pairs(folder)[0]:
        with open(ipynb, encoding="utf-8") as fh:
            cells = json.load(fh)["cells"]
        heading = next((line.lstrip("#").strip() for c in cells if c["cell_type"] == "markdown"
                        for line in "".join(c["source"]).splitlines() if line.startswith("#")), "")
        name = os.path.basename(ipynb)
        lines.append(f"* [{heading or name}](https://colab.research.google.com/github/{path}/blob/v{version}/"
                     f"notebooks/{name})")
    return "\n".join(lines)


README = os.path.join(ROOT, "README.md")
_LINKS = ("<!-- colab-links:start -->\n", "<!-- colab-links:end -->")


def readme_problem(readme: str = README) -> str | None:
    """A sentence if the README's Colab links are not :func:`colab_links`; else None."""
    with open(readme, encoding="utf-8") as fh:
        text = fh.read()
    if _LINKS[0] not in text or _LINKS[1] not in text:
        return f"{_rel(readme)} has no '{_LINKS[0].strip()}' ... '{_LINKS[1]}' section for the Colab links."
    inside = text.split(_LINKS[0], 1)[1].split(_LINKS[1], 1)[0]
    if inside.strip() != colab_links():
        return f"{_rel(readme)}: the Colab links are not those of pyproject.toml's repository and version; {FIX}."
    return None


def stamp_readme(readme: str = README) -> bool:
    """Rewrite the README's Colab links from pyproject.toml; True if changed (nothing without the markers)."""
    with open(readme, encoding="utf-8") as fh:
        text = fh.read()
    if _LINKS[0] not in text or _LINKS[1] not in text:
        return False
    head, rest = text.split(_LINKS[0], 1)
    new = head + _LINKS[0] + "\n" + colab_links() + "\n\n" + _LINKS[1] + rest.split(_LINKS[1], 1)[1]
    if new != text:
        with open(readme, "w", encoding="utf-8") as fh:
            fh.write(new)
    return new != text


def pairs(folder: str = NOTEBOOKS) -> tuple[list[tuple[str, str]], list[str]]:
    """The numbered notebooks of ``folder`` and their text files.

    Returns:
        (pairs, problems): pairs is a list of (ipynb path, md path) in lecture
        order for the notebooks that have both files; problems lists, as
        sentences, every notebook without its text file and every text file
        without its notebook.
    """
    stems = sorted({os.path.splitext(os.path.basename(p))[0]
                    for p in glob.glob(os.path.join(folder, "[0-9][0-9]_*.ipynb"))
                    + glob.glob(os.path.join(folder, "[0-9][0-9]_*.md"))})
    found, problems = [], []
    for stem in stems:
        ipynb, md = (os.path.join(folder, stem + ext) for ext in (".ipynb", ".md"))
        if os.path.isfile(ipynb) and os.path.isfile(md):
            found.append((ipynb, md))
        elif os.path.isfile(ipynb):
            problems.append(f"{_rel(ipynb)} has no paired text file {_rel(md)}: {FIX}.")
        else:
            problems.append(f"{_rel(md)} has no notebook {_rel(ipynb)}: {FIX}.")
    return found, problems


def _rel(path: str) -> str:
    return os.path.relpath(path, ROOT) if os.path.abspath(path).startswith(ROOT + os.sep) else path


def _first_line_difference(a: str, b: str) -> tuple[int, str, str]:
    la, lb = a.splitlines(), b.splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "(nothing)"
        y = lb[i] if i < len(lb) else "(nothing)"
        if x != y:
            return i + 1, x, y
    return 1, a, b


def _short(text: str, n: int = 90) -> str:
    text = text.strip() or "(empty line)"
    return repr(text if len(text) <= n else text[: n - 3] + "...")


def difference(ipynb: str, md: str) -> str | None:
    """The first difference between a notebook and its text file, as a sentence; None if they agree.

    The ``.ipynb`` is read as jupytext would write it to text (so outputs,
    execution counts and cell ids, which the text file does not hold, are
    ignored); then cell types, sources and cell metadata are compared in
    order, then the header (kernel, jupytext version).

    Args:
        ipynb, md: the two file paths.
    Returns:
        None, or e.g. "notebooks/01_x.ipynb and notebooks/01_x.md differ at
        cell 5 (id cell-004, markdown), line 2: ... ; run `make sync` ...".
    """
    import jupytext
    import nbformat
    from jupytext.config import load_jupytext_config

    config = load_jupytext_config(os.path.dirname(os.path.abspath(ipynb)))   # notebooks/jupytext.toml
    try:
        nb = nbformat.read(ipynb, as_version=4)
    except Exception as exc:  # a broken JSON file after a bad merge, say
        return f"{_rel(ipynb)} cannot be read as a notebook ({type(exc).__name__}: {exc})."
    as_text = jupytext.writes(nb, fmt=TEXT_FORMAT, config=config)
    with open(md, encoding="utf-8") as fh:
        text = fh.read()
    if as_text == text:
        return None
    mine, theirs = jupytext.reads(as_text, fmt=TEXT_FORMAT).cells, jupytext.reads(text, fmt=TEXT_FORMAT).cells
    where = f"{_rel(ipynb)} and {_rel(md)} differ"
    for i, (a, b) in enumerate(zip(mine, theirs)):
        cell = f"cell {i + 1} (id {nb.cells[i].get('id', '?')}, {a.cell_type})"
        if a.cell_type != b.cell_type:
            return (f"{where} at {cell}: a {a.cell_type} cell in the .ipynb, a {b.cell_type} cell in the .md; {FIX}.")
        if a.source != b.source:
            line, x, y = _first_line_difference(a.source, b.source)
            return (f"{where} at {cell}, line {line}: the .ipynb has {_short(x)}, the .md has {_short(y)}; {FIX}.")
        if dict(a.metadata) != dict(b.metadata):
            return (f"{where} at {cell}: cell metadata {dict(a.metadata)} in the .ipynb, {dict(b.metadata)} "
                    f"in the .md; {FIX}.")
    if len(mine) != len(theirs):
        longer, extra = (".ipynb", mine) if len(mine) > len(theirs) else (".md", theirs)
        n = min(len(mine), len(theirs))
        return (f"{where}: the {longer} has {len(extra) - n} more cell(s), from cell {n + 1} "
                f"({extra[n].cell_type}: {_short(extra[n].source.splitlines()[0] if extra[n].source else '')}); {FIX}.")
    line, x, y = _first_line_difference(as_text, text)
    return f"{where} in the text file's header or spacing, line {line}: {_short(x)} vs {_short(y)}; {FIX}."


#: The notebook metadata JupyterLab (with jupytext) writes on save. Stored notebooks carry it, so a
#: lecturer's save changes only the lines they edited. The text files leave the kernel out
#: (jupytext.toml), and jupytext drops it from the .ipynb when it rewrites one from its text:
#: :func:`restore_metadata` puts it back.
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                      "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                      "pygments_lexer": "ipython3", "version": "3.11.7"},
    "jupytext": {"default_lexer": "ipython3"},
}


def restore_metadata(ipynb: str) -> bool:
    """Give notebook ``ipynb`` the kernel metadata JupyterLab writes where it is missing; True if changed.

    Keys already present are kept (a save on another Python records its own version).
    """
    import json

    with open(ipynb, encoding="utf-8") as fh:
        nb = json.load(fh)
    meta = nb.setdefault("metadata", {})
    changed = False
    for key, value in NOTEBOOK_METADATA.items():
        if not isinstance(meta.get(key), dict) or not meta[key]:
            meta[key], changed = value, True
        elif key == "language_info" and "pygments_lexer" not in meta[key]:
            meta[key], changed = {**value, **meta[key]}, True
    if changed:
        with open(ipynb, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return changed


def sync(folder: str = NOTEBOOKS) -> list[str]:
    """What ``make sync`` does to every pair in ``folder``; returns the problems left (as :func:`check`).

    1. ``jupytext --sync``: the file changed last is rewritten into the other (cell ids kept); then
       the setup lines and the README's Colab links are written from pyproject.toml (:func:`stamp_setup`,
       :func:`stamp_readme`) and, where that changed a text file, the .ipynb is rewritten from it;
    2. the kernel metadata is restored in the .ipynb (:func:`restore_metadata`);
    3. ``nbstripout --keep-id``: outputs stripped;
    4. the drift check; if the pairs agree, each text file is made the newer of the two (jupytext in
       JupyterLab refuses to open a notebook whose .ipynb is newer than its text).
    """
    import subprocess

    found, problems = pairs(folder)
    for ipynb, md in found:
        subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--sync", ipynb], check=True)
        if stamp_setup(md):     # the text is now the newer file: jupytext rewrites the .ipynb from it
            subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--sync", ipynb], check=True)
        restore_metadata(ipynb)
    if found:
        subprocess.run([sys.executable, "-m", "nbstripout", "--keep-id", *[a for a, _ in found]], check=True)
    if folder == NOTEBOOKS:
        stamp_readme()
    problems = check(folder)
    if not problems:
        for _, md in found:
            os.utime(md)
    return problems


def check(folder: str = NOTEBOOKS) -> list[str]:
    """Every problem of the notebooks in ``folder``: missing partners, then the first difference of each pair."""
    found, problems = pairs(folder)
    problems += [d for d in (difference(a, b) for a, b in found) if d]
    problems += [d for d in (setup_problem(md) for _, md in found) if d]
    if folder == NOTEBOOKS:
        problems += [d for d in [readme_problem()] if d]
    return problems


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] not in (["check"], ["sync"]):
        print(__doc__)
        return 2
    problems = (sync if argv[0] == "sync" else check)(argv[1] if len(argv) > 1 else NOTEBOOKS)
    for p in problems:
        print(p)
    if not problems:
        print("every notebook agrees with its text file.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
