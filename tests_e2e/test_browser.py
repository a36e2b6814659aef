"""Every notebook in real JupyterLab, in a real browser (`make e2e`).

test_notebook[NAME]: opens NAME in JupyterLab (Chromium driven by
Playwright), runs all cells from the Run menu and checks (lab_page.py):
no cell shows an error, every widget is drawn as a live control and not as
its text fallback, each explorer widget's display changes when its first
control is changed once, no widget callback raised in the kernel, and the
page fetched nothing from outside 127.0.0.1. A screenshot of the notebook is
written to build/screenshots/NAME.png.

test_a_paragraph_edited_in_jupyterlab_*: a sentence typed into a markdown
cell and saved from the File menu changes exactly one line in the .ipynb and
one in its paired .md (jupytext), and the pair still agrees.

test_checker_*: the same checks run on small notebooks written here (in a
temporary folder) whose faults are known, so the checks are shown to fail
when they should: a display that does not change (for the only control of
a widget, or for the second control of an interact), a widget printed as text,
a failing assert, a widget callback that raises, a widget whose model is
missing; and to pass on working explorers and on a widget closed from Python (what
tqdm.auto leaves behind).
"""
from __future__ import annotations

import difflib
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import NOTEBOOKS, SCREENSHOTS
from lab_page import JS_KERNEL_READY, check_notebook

RUN_TIMEOUT = float(os.environ.get("E2E_RUN_TIMEOUT", "180"))
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def test_there_are_notebooks():
    assert NAMES, f"no notebooks found in {NOTEBOOKS}"


@pytest.mark.parametrize("name", NAMES)
def test_notebook(name, lab, context):
    report = check_notebook(context, lab, name, screenshot=SCREENSHOTS / f"{Path(name).stem}.png",
                            run_timeout=RUN_TIMEOUT)
    print(report.summary())
    for url in context.external_requests:
        report.problems.append(f"the page asked for an outside address (blocked): {url}")
    assert report.screenshot is not None and report.screenshot.stat().st_size > 0
    assert report.cells_run > 0, "no cell ran"
    assert not report.problems, "\n" + report.summary()


def test_server_is_local_and_needs_the_token(lab):
    """The test server listens on 127.0.0.1 only and answers nothing without its token."""
    for path in ("api/status", "api/kernels", "api/contents"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{lab.base_url}/{path}", timeout=10)
        assert err.value.code == 403, path
        req = urllib.request.Request(f"{lab.base_url}/{path}", headers={"Authorization": "token wrong"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 403, path
    assert "started" in lab.api("GET", "api/status")
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.rsplit(":", 1)
            if state == "0A" and int(port, 16) == lab.port:  # 0A: LISTEN
                listening.append(address)
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp on this system")
    assert listening == ["0100007F"], listening  # 127.0.0.1, and nothing else


# --- the checker checked, on notebooks whose faults are known ---------------

def _write(folder: Path, name: str, cells: list) -> str:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, folder / name)
    return f"{folder.name}/{name}"


@pytest.fixture(scope="module")
def selftest_dir(lab_root):
    return lab_root / "_e2e_selftest"


def test_checker_passes_live_explorers(lab, context, selftest_dir, tmp_path):
    name = _write(selftest_dir, "live.ipynb", [
        new_markdown_cell("# interact explorers that work"),
        new_code_cell("import ipywidgets as widgets\nimport matplotlib.pyplot as plt\nimport numpy as np\n"
                      "import sys\nprint('a harmless line on stderr', file=sys.stderr)"),
        new_code_cell("@widgets.interact(layer=widgets.Dropdown(options=['block1', 'block2', 'block3']))\n"
                      "def show(layer):\n    print('layer', layer)"),
        new_code_cell("def curve(power=3):\n    plt.figure(figsize=(2, 2)); plt.plot(np.arange(10) ** (power / 3))\n"
                      "    plt.show()\nwidgets.interact(curve, power=(1, 9));"),
        new_code_cell("box = widgets.Text(value='0110', continuous_update=False)\nout = widgets.Output()\n"
                      "def parity(change):\n    out.clear_output()\n    with out: print('parity', box.value.count('1') % 2)\n"
                      "box.observe(parity, 'value'); parity(None)\nwidgets.VBox([box, out])"),
        new_code_cell("from IPython.display import display\nbar = widgets.IntProgress(value=10)\n"
                      "display(bar)\nbar.close()  # as tqdm does with leave=False"),
    ])
    report = check_notebook(context, lab, name, screenshot=tmp_path / "live.png")
    print(report.summary())
    assert not report.problems, report.summary()
    assert report.widgets == 3 and report.closed_widgets == 1
    assert [e.changed for e in report.explorers] == [True, True, True]
    assert "chose option 2 of 3 ('block2'" in report.explorers[0].action
    assert "ArrowRight" in report.explorers[1].action
    assert "typed '0111'" in report.explorers[2].action


def test_checker_catches_faults(lab, context, selftest_dir, tmp_path):
    name = _write(selftest_dir, "faulty.ipynb", [
        new_code_cell("import ipywidgets as widgets\nslider = widgets.IntSlider(3, 0, 10, description='dead')\n"
                      "out = widgets.Output()\nwith out: print('this never changes')\nwidgets.VBox([slider, out])"),
        new_code_cell("print(repr(widgets.IntSlider(5)))"),
        new_code_cell("menu = widgets.Dropdown(options=[1, 2], description='broken')\n"
                      "def broken(change):\n    raise ValueError('callback broke')\n"
                      "menu.observe(broken, 'value')\nmenu"),
        new_code_cell("widgets.interact(lambda a, b: print('a =', a), a=['x', 'y'], b=(0, 5));"),
        new_code_cell("from IPython.display import display\n"
                      "display({'application/vnd.jupyter.widget-view+json': {'model_id': '0' * 32, "
                      "'version_major': 2, 'version_minor': 0}, 'text/plain': 'IntSlider(value=1)'}, raw=True)"),
        new_code_cell("assert 1 == 2, 'one is not two'"),
        new_code_cell("print('never runs')"),
    ])
    report = check_notebook(context, lab, name, screenshot=tmp_path / "faulty.png")
    print(report.summary())
    problems = "\n".join(report.problems)
    assert "cell 0: widget-slider 'dead'" in problems and "did not change" in problems
    assert "cell 1: a widget is shown as text" in problems and "IntSlider(value=5)" in problems
    assert "ValueError: callback broke" in problems
    assert "cell 3: widget-slider 'b'" in problems and "cell 3: widget-dropdown 'a'" not in problems
    assert re.search(r"cell 4: .*not (drawn as )?a live control", problems)  # "Loading widget..." forever
    assert "cell 5: AssertionError: one is not two" in problems
    assert report.cells_run == 6  # Run All stops at the failing cell
    assert len(report.problems) == 8, problems  # and nothing else is reported


JS_MARKDOWN_CELL = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  return nb.widgets.findIndex((c, k) => k > 0 && c.model.type === 'markdown');
}"""


def test_a_paragraph_edited_in_jupyterlab_changes_only_its_lines_in_both_files(lab, lab_root, context):
    """A lecturer's edit: type a sentence into a markdown cell, save; jupytext writes the .ipynb and the .md.

    Only the edited line may change in each file (no metadata churn, no renumbered cell ids), and the
    pair still agrees (the drift check of `make test`).
    """
    sys.path.insert(0, str(NOTEBOOKS.parent / "tools"))
    import notebook_sources

    folder = lab_root / "edit_check"
    folder.mkdir(exist_ok=True)
    for name in ("05_rnn_motivation.ipynb", "05_rnn_motivation.md", "jupytext.toml"):
        shutil.copyfile(NOTEBOOKS / name, folder / name)
    files = [folder / "05_rnn_motivation.ipynb", folder / "05_rnn_motivation.md"]
    before = [f.read_text(encoding="utf-8").splitlines() for f in files]

    page = context.new_page()
    page.goto(lab.url("lab/tree/edit_check/05_rnn_motivation.ipynb?reset"), wait_until="domcontentloaded")
    page.wait_for_function(JS_KERNEL_READY, arg="edit_check/05_rnn_motivation.ipynb", timeout=120_000, polling=250)
    index = page.evaluate(JS_MARKDOWN_CELL)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.click()
    page.keyboard.press("Enter")                    # edit mode: the markdown source opens
    page.keyboard.press("Control+End")              # end of the cell's last line
    page.keyboard.type(" A sentence a lecturer typed.")
    page.keyboard.press("Shift+Enter")              # render it
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^File$")).click()
    page.locator("#jp-mainmenu-file li[data-command='docmanager:save']").click()   # File > Save Notebook
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                           timeout=120_000, polling=250)        # the save has come back from the server
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(f.read_text(encoding="utf-8").splitlines() == old
                                              for f, old in zip(files, before)):
        time.sleep(0.25)
    page.close()

    for f, old in zip(files, before):
        new = f.read_text(encoding="utf-8").splitlines()
        changed = [line for line in difflib.unified_diff(old, new, lineterm="", n=0)
                   if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        assert len(changed) == 2, f"{f.name}: expected one line replaced, got:\n" + "\n".join(changed)
        assert changed[0][0] == "-" and changed[1][0] == "+" and "A sentence a lecturer typed." in changed[1], \
            "\n".join(changed)
    assert notebook_sources.difference(*map(str, files)) is None
