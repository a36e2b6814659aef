"""tools/course.py: executing, HTML course pages, slides, README tables."""
import os
import sys

import nbformat
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import course as notebooks  # noqa: E402  (tools/course.py, maintainer tooling)


def _write(folder, name, cells):
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                          "language": "python"}})
    path = os.path.join(folder, name)
    nbformat.write(nb, path)
    return path


def test_course_pages_and_slides_from_a_tiny_notebook(tmp_path):
    src = tmp_path / "nb"
    src.mkdir()
    _write(src, "01_tiny.ipynb", [
        nbformat.v4.new_markdown_cell("# Tiny lesson\nintro"),
        nbformat.v4.new_code_cell("x = 6 * 7\nprint('answer', x)"),
        nbformat.v4.new_markdown_cell("## Second part"),
        nbformat.v4.new_code_cell("import time\nbig = b'x' * (300 * 2**20)  # 300 MB written in the kernel\ntime.sleep(0.5)"),
    ])
    _write(src, "scratch.ipynb", [nbformat.v4.new_code_cell("1/0")])  # not numbered: not a lesson
    assert [os.path.basename(p) for p in notebooks.course_notebooks(str(src))] == ["01_tiny.ipynb"]

    nb, seconds, peak_mb = notebooks.execute(str(src / "01_tiny.ipynb"))
    assert nb.cells[1].outputs[0]["text"] == "answer 42\n"
    assert seconds > 0.5 and peak_mb > 300  # the kernel's 300 MB buffer is seen

    index = notebooks.build_course(str(src), str(tmp_path / "html"))
    html = open(index).read()
    assert "Tiny lesson" in html and "01_tiny.html" in html
    assert "answer 42" in open(tmp_path / "html" / "01_tiny.html").read()

    (deck,) = notebooks.build_slides(str(src), str(tmp_path / "slides"))
    text = open(deck).read()
    assert "reveal" in text.lower() and text.count("<section") >= 2  # one slide per heading

    # the source notebooks are untouched (no outputs written back)
    stored = nbformat.read(str(src / "01_tiny.ipynb"), as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in stored.cells if c.cell_type == "code")


def test_tables_replace_their_own_block_only(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- timings:start -->\nold\n<!-- timings:end -->\nafter\n")
    notebooks._write_between_markers(str(readme), "timings", "new table")
    notebooks._write_between_markers(str(readme), "vgg16-memory", "memory table")
    text = readme.read_text()
    assert "old" not in text and "new table" in text and text.index("after") > text.index("new table")
    assert text.count("<!-- vgg16-memory:start -->") == 1 and text.rstrip().endswith("<!-- vgg16-memory:end -->")


# ------------------------------------------------- notebook output noise ----

def _nbval_noise():
    import importlib.util

    spec = importlib.util.spec_from_file_location("nbval_noise", os.path.join(ROOT, "tools", "nbval_noise.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("output, what", [
    ({"output_type": "stream", "name": "stderr", "text": "/tmp/ipykernel_12/3.py:2: UserWarning: x\n"}, "stderr"),
    ({"output_type": "stream", "name": "stdout", "text": "ok\nW0000 00:00:1712 12:00:00.1 cpu_feature_guard.cc] x\n"},
     "log line"),
    ({"output_type": "stream", "name": "stdout", "text": "Exception: URL fetch failure on https://x\n"}, "network"),
    ({"output_type": "display_data", "data": {"text/plain": "see /tmp/ipykernel_99/1.py"}}, "temporary-file path"),
    ({"output_type": "stream", "name": "stdout", "text": "RuntimeWarning: divide by zero\n"}, "a warning"),
    ({"output_type": "stream", "name": "stdout", "text": f"weights in {ROOT}/data\n"}, "machine path"),
])
def test_noise_finds_what_a_student_should_not_see(output, what):
    found = _nbval_noise().noise([output])
    assert any(what in f for f in found), found


def test_noise_passes_clean_outputs():
    clean = [{"output_type": "stream", "name": "stdout", "text": "tabby cat 0.93\nwarn nobody\n"},
             {"output_type": "display_data", "data": {"text/plain": "<Figure size 640x480 with 1 Axes>",
                                                      "image/png": "iVBOR..."}},
             {"output_type": "execute_result", "data": {"text/plain": "(1, 7, 7, 1280)"}}]
    assert _nbval_noise().noise(clean) == []
