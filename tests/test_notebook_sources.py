"""Every notebook's .ipynb and its paired MyST text file agree (tools/notebook_sources.py).

The drift check is what stops an edit from being lost: a lecturer who edits
one file outside JupyterLab gets a failing `make test` that names the
notebook and the first differing cell, and `make sync` mends it.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import notebook_sources  # noqa: E402

PAIRS, PROBLEMS = notebook_sources.pairs()


def test_every_notebook_has_its_text_file_and_the_pairing_is_configured():
    assert PROBLEMS == [], "\n".join(PROBLEMS)
    assert len(PAIRS) >= 7
    with open(os.path.join(ROOT, "notebooks", "jupytext.toml")) as fh:
        assert 'formats = "ipynb,md:myst"' in fh.read()


def test_no_notebook_is_generated_from_python_strings_any_more():
    left = [p for p in os.listdir(os.path.join(ROOT, "tools")) if p.startswith("build_") or p == "exercise_cells.py"]
    assert left == [], f"the notebooks are their own source now; remove {left}"


@pytest.mark.parametrize("ipynb,md", PAIRS, ids=[os.path.basename(a) for a, _ in PAIRS])
def test_the_notebook_equals_its_text_file(ipynb, md):
    assert notebook_sources.difference(ipynb, md) is None, notebook_sources.difference(ipynb, md)


def _pair(tmp_path):
    """A copy of notebook 05's pair and of the pairing's configuration in tmp_path (the real files are never touched)."""
    src = next(p for p in PAIRS if os.path.basename(p[0]).startswith("05_"))
    dst = [str(tmp_path / os.path.basename(p)) for p in src]
    for a, b in zip(src, dst):
        shutil.copyfile(a, b)
    shutil.copyfile(os.path.join(ROOT, "notebooks", "jupytext.toml"), tmp_path / "jupytext.toml")
    return dst


def _markdown_index(ipynb):
    with open(ipynb, encoding="utf-8") as fh:
        nb = json.load(fh)
    i = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown" and i > 0)
    return nb, i


def test_an_edit_to_the_ipynb_alone_is_reported_with_the_notebook_and_the_cell(tmp_path):
    ipynb, md = _pair(tmp_path)
    assert notebook_sources.difference(ipynb, md) is None
    nb, i = _markdown_index(ipynb)
    nb["cells"][i]["source"] = ["A lecturer's new sentence.\n"] + nb["cells"][i]["source"]
    with open(ipynb, "w", encoding="utf-8") as fh:
        json.dump(nb, fh, indent=1, ensure_ascii=False)
    message = notebook_sources.difference(ipynb, md)
    assert message is not None
    assert "05_rnn_motivation.ipynb" in message and "05_rnn_motivation.md" in message
    assert f"cell {i + 1} (id {nb['cells'][i]['id']}, markdown), line 1" in message
    assert "A lecturer's new sentence." in message and "make sync" in message


def test_an_edit_to_the_text_file_alone_is_reported_and_a_new_cell_is_counted(tmp_path):
    ipynb, md = _pair(tmp_path)
    text = open(md, encoding="utf-8").read()
    with open(md, "w", encoding="utf-8") as fh:
        fh.write(text.replace("## 1.", "## 1. (edited)", 1))
    message = notebook_sources.difference(ipynb, md)
    assert message is not None and "(edited)" in message and "the .md has" in message
    with open(md, "w", encoding="utf-8") as fh:
        fh.write(text + "\n+++\n\nOne more paragraph, as a new cell.\n")
    message = notebook_sources.difference(ipynb, md)
    assert "the .md has 1 more cell(s)" in message and "One more paragraph" in message


def test_a_missing_partner_is_reported(tmp_path):
    ipynb, md = _pair(tmp_path)
    os.remove(md)
    found, problems = notebook_sources.pairs(str(tmp_path))
    assert found == [] and len(problems) == 1 and "has no paired text file" in problems[0]


@pytest.mark.parametrize("edited", [".md", ".ipynb"])
def test_make_sync_copies_the_edited_file_into_the_other_and_keeps_ids_and_kernel(tmp_path, edited):
    """What `make sync` runs (notebook_sources.sync: jupytext --sync with notebooks/jupytext.toml,
    kernel metadata, nbstripout, check), on a copy. Rewriting an .ipynb from its text used to drop
    the kernelspec (the text leaves it out), which then made JupyterLab's first save touch 5 more lines."""
    ipynb, md = _pair(tmp_path)
    before = [c["id"] for c in json.load(open(ipynb, encoding="utf-8"))["cells"]]
    if edited == ".md":
        text = open(md, encoding="utf-8").read()
        with open(md, "w", encoding="utf-8") as fh:
            fh.write(text.replace("## 1.", "## 1. (edited)", 1))
    else:
        nb, i = _markdown_index(ipynb)
        nb["cells"][i]["source"] = ["## 1. (edited)" + nb["cells"][i]["source"][0][len("## 1."):]] + nb["cells"][i]["source"][1:]
        with open(ipynb, "w", encoding="utf-8") as fh:
            json.dump(nb, fh, indent=1, ensure_ascii=False)
    other = ipynb if edited == ".md" else md
    os.utime(other, (1e9, 1e9))          # the edited file is the newer one, as after a real edit
    assert notebook_sources.difference(ipynb, md) is not None
    assert notebook_sources.sync(str(tmp_path)) == []
    assert notebook_sources.difference(ipynb, md) is None
    stored = json.load(open(ipynb, encoding="utf-8"))
    assert [c["id"] for c in stored["cells"]] == before
    assert any("## 1. (edited)" in "".join(c["source"]) for c in stored["cells"])
    assert stored["metadata"]["kernelspec"] == notebook_sources.NOTEBOOK_METADATA["kernelspec"]
    assert os.path.getmtime(md) >= os.path.getmtime(ipynb), "JupyterLab refuses an .ipynb newer than its text"
    assert notebook_sources.sync(str(tmp_path)) == [] and json.load(open(ipynb, encoding="utf-8")) == stored


@pytest.mark.parametrize("ipynb,md", PAIRS, ids=[os.path.basename(a) for a, _ in PAIRS])
def test_stored_notebooks_carry_the_metadata_jupyterlab_writes(ipynb, md):
    """Otherwise a lecturer's first save in JupyterLab adds kernel lines to their one-paragraph diff."""
    meta = json.load(open(ipynb, encoding="utf-8"))["metadata"]
    want = notebook_sources.NOTEBOOK_METADATA
    assert meta.get("kernelspec") == want["kernelspec"], f"{ipynb}: run `make sync`"
    assert meta.get("jupytext") == want["jupytext"], f"{ipynb}: run `make sync`"
    assert meta.get("language_info", {}).get("pygments_lexer") == "ipython3", f"{ipynb}: run `make sync`"


@pytest.mark.parametrize("metadata", ["", "---\ntags: [course-hide-slide]\n---\n", ":tags: [remove-output]\n\n"])
def test_the_setup_lines_go_after_a_cells_metadata_and_are_replaced_not_repeated(tmp_path, metadata):
    md = tmp_path / "01_x.md"
    md.write_text("# Title\n\n```{code-cell} ipython3\n" + metadata + "import numpy as np\n```\n", encoding="utf-8")
    assert notebook_sources.setup_problem(str(md)) is not None
    assert notebook_sources.stamp_setup(str(md)) is True
    want = "```{code-cell} ipython3\n" + metadata + notebook_sources.setup_lines() + "import numpy as np\n```\n"
    assert md.read_text(encoding="utf-8") == "# Title\n\n" + want
    assert notebook_sources.setup_problem(str(md)) is None
    assert notebook_sources.stamp_setup(str(md)) is False            # a second run changes nothing
    old = md.read_text(encoding="utf-8").replace("@v", "@v9")          # an older release's line
    md.write_text(old, encoding="utf-8")
    assert notebook_sources.stamp_setup(str(md)) is True
    assert md.read_text(encoding="utf-8") == "# Title\n\n" + want


def test_the_setup_lines_install_the_release_of_pyproject_in_one_pip_line():
    url, version = notebook_sources.repository()
    lines = notebook_sources.setup_lines().splitlines()
    assert len(lines) == 3 and lines[1] == 'if importlib.util.find_spec("helpers") is None:'
    assert lines[2].strip().startswith("%pip install") and f"git+{url}@v{version}" in lines[2]
    assert 'os.environ.get("COURSE_PIP"' in lines[2]
    assert notebook_sources.readme_problem() is None
    assert all(f"/blob/v{version}/notebooks/" in line for line in notebook_sources.colab_links().splitlines())
