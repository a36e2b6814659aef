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

    # the slides reuse the executed copy that build_course kept: nothing is executed again
    assert os.path.exists(tmp_path / "executed" / "01_tiny.ipynb")
    real_execute = notebooks.execute

    def no_execution(*args, **kwargs):
        raise AssertionError("build_slides executed a notebook that build_course had executed")

    notebooks.execute = no_execution
    try:
        (deck,) = notebooks.build_slides(str(src), str(tmp_path / "slides"))
    finally:
        notebooks.execute = real_execute
    text = open(deck).read()
    assert "reveal" in text.lower() and text.count('<section') >= 2  # one slide per heading
    assert "answer 42" in text and "6 * 7" not in text                # outputs shown, code hidden
    assert "cdn" not in text.lower() and "unpkg" not in text and "../assets/reveal.js/dist/reveal.js" in text
    page = open(tmp_path / "html" / "01_tiny.html").read()
    assert "cdn" not in page.lower() and "../assets/mathjax/es5/tex-svg.js" in page

    # a changed source is executed again (and only then)
    _write(src, "01_tiny.ipynb", [nbformat.v4.new_markdown_cell("# Tiny lesson\nintro"),
                                  nbformat.v4.new_code_cell("print('changed', 7 * 6)")])
    assert notebooks.executed_notebook(str(src / "01_tiny.ipynb"), str(tmp_path / "executed")) is None
    (deck,) = notebooks.build_slides(str(src), str(tmp_path / "slides"))
    assert "changed 42" in open(deck).read()

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


# ---- slide layout (tools/course.py slide_notebook), on notebooks written here ----------------------

def _png(width, height):
    """A real PNG of the given size, base64 as in a notebook output."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _figure(width=1000, height=500):
    return nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": _png(width, height), "text/plain": "<Figure>"})])


def _kinds(nb):
    return [c.metadata["slideshow"]["slide_type"] for c in nb.cells]


def test_markdown_blocks_split_at_every_heading_but_not_inside_code_or_maths():
    src = ("Intro line\nsame paragraph\n\n## Section A\ntext of A\n```python\n# not a heading\n\nx = 1\n```\n"
           "$$\na = b\n\\\\\nc = d\n$$\n### Sub\n# Title two")
    blocks = notebooks.markdown_blocks(src)
    assert blocks == ["Intro line\nsame paragraph", "## Section A",
                      "text of A\n```python\n# not a heading\n\nx = 1\n```\n$$\na = b\n\\\\\nc = d\n$$",
                      "### Sub", "# Title two"]
    assert [notebooks.heading_level(b) for b in blocks] == [0, 2, 0, 3, 1]


def test_a_list_is_split_into_its_top_level_items_so_a_long_list_can_continue():
    src = "* **A** first item\n  wraps here\n  - nested stays\n* **B** second\n\n2. two\n3. three\n\n* $$\nx\n$$"
    assert notebooks.markdown_blocks(src) == [
        "* **A** first item\n  wraps here\n  - nested stays", "* **B** second", "2. two", "3. three",
        "* $$\nx\n$$"]                                           # display maths keeps its list whole
    assert notebooks.markdown_blocks("Text - not a list\n- but this line is") == ["Text - not a list\n- but this line is"]


def test_first_sentence_is_split_off_except_inside_maths_and_after_abbreviations():
    assert notebooks.split_first_sentence("The map is hot. More text, e.g. this.") == (
        "The map is hot.", "More text, e.g. this.")
    assert notebooks.split_first_sentence("Scale e.g. Grad-CAM by hand. Then go on.") == (
        "Scale e.g. Grad-CAM by hand.", "Then go on.")
    assert notebooks.split_first_sentence("Maths $a. B$ stays whole") == ("Maths $a. B$ stays whole", "")
    assert notebooks.split_first_sentence("* a list. Item") == ("* a list. Item", "")


def test_every_level_two_heading_starts_a_slide_even_below_other_text_in_its_cell():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lesson\nintro"),
        nbformat.v4.new_markdown_cell("Closing words of the intro.\n\n## 1. First\nbody one"),  # heading mid-cell
        nbformat.v4.new_code_cell("x = 1"),                                                       # no output
        nbformat.v4.new_markdown_cell("## 2. Second\nbody\n\n### a subsection\nmore\n\n## 3. Third"),
    ])
    slides, n_slides, n_sub = notebooks.slide_notebook(nb)
    starts = [c.source for c in slides.cells if c.metadata["slideshow"]["slide_type"] == "slide"]
    assert starts == ["# Lesson", "## 1. First", "## 2. Second", "## 3. Third"]
    assert (n_slides, n_sub) == (4, 0)
    assert "### a subsection" in [c.source for c in slides.cells]          # level 3 stays on its slide
    assert ("notes", "```python\nx = 1\n```") in [(k, c.source) for k, c in zip(_kinds(slides), slides.cells)]
    assert all(c.cell_type == "markdown" or c.outputs for c in slides.cells)  # no empty code cells
    assert not nb.cells[1].metadata                                        # the input notebook is not changed


def test_a_long_section_is_split_into_sub_slides_that_fit_and_each_figure_keeps_its_takeaway():
    # heading 62 px + three figures 1000x500 (shown 500 + 12 px each); budget 664 px:
    # 62 + 512 fits; the 2nd figure needs at least 281 px (0.55 x 512) more: a new sub-slide
    # (44 px title + 512); so does the 3rd. The sentence after the 2nd figure goes with it,
    # shrinking the figure to 664 - 44 - 47 = 573 px (no shrink needed: 512 < 573).
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Figures"), _figure(), _figure(),
        nbformat.v4.new_markdown_cell("The second figure shows the point. The rest of the paragraph follows."),
        _figure()])
    slides, n_slides, n_sub = notebooks.slide_notebook(nb)
    assert (n_slides, n_sub) == (1, 2)
    kinds = _kinds(slides)
    sources = [c.source if c.cell_type == "markdown" else "<figure>" for c in slides.cells]
    # each figure's code goes to the speaker notes right after it (on the same sub-slide)
    notes = [i for i, k in enumerate(kinds) if k == "notes"]
    assert [sources[i] for i in notes] == ["```python\nplot()\n```"] * 3
    assert [sources[i - 1] for i in notes] == ["<figure>"] * 3
    kinds = [k for k in kinds if k != "notes"]
    sources = [src for i, src in enumerate(sources) if i not in notes]
    assert list(zip(kinds, sources)) == [
        ("slide", "## Figures"), ("-", "<figure>"),
        ("subslide", "### Figures (continued)"), ("-", "<figure>"), ("-", "The second figure shows the point."),
        ("-", "The rest of the paragraph follows."),
        ("subslide", "### Figures (continued)"), ("-", "<figure>")]
    for cell in slides.cells:
        if cell.cell_type == "code":
            size = cell.outputs[0]["metadata"]["image/png"]
            assert size["height"] <= notebooks._BUDGET and size["width"] <= notebooks.SLIDE_W - 80


def test_a_figure_too_tall_for_a_slide_is_shrunk_to_fit_and_a_long_print_is_cut():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Tall"), _figure(600, 1500),
        nbformat.v4.new_code_cell("print(...)", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="".join(f"line {i}\n" for i in range(80)))])])
    slides, _, _ = notebooks.slide_notebook(nb)
    fig = next(c for c in slides.cells if c.cell_type == "code" and "data" in c.outputs[0])
    size = fig.outputs[0]["metadata"]["image/png"]
    assert size["height"] == notebooks._BUDGET - 62 - 12 and size["width"] == round(600 * size["height"] / 1500)
    text = next(c for c in slides.cells if c.cell_type == "code" and "text" in c.outputs[0]).outputs[0]["text"]
    shown = text.splitlines()
    assert shown[0] == "line 0" and shown[-1].startswith("... (") and "more lines in the notebook" in shown[-1]
    kept = len(shown) - 1
    assert shown[-1] == f"... ({80 - kept} more lines in the notebook)"
    assert (kept + 1) * notebooks._MONO_LINE + 20 <= notebooks._BUDGET


def test_widgets_become_a_note_and_progress_bars_disappear():
    widget = {"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2}}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("explore()", outputs=[
        nbformat.v4.new_output("display_data", data=dict(widget, **{"text/plain": "FilterExplorer(children=...)"})),
        nbformat.v4.new_output("display_data", data=dict(widget, **{"text/plain": "conv: 16 filters:  40%|####  | 12/30 [00:01<00:02]"})),
    ])], metadata={"widgets": {"state": {}}})
    out = notebooks.offline_outputs(nb)
    assert [o["data"]["text/html"] for o in out.cells[0].outputs] == [notebooks.WIDGET_NOTE]
    assert "widgets" not in out.metadata


def test_a_sub_heading_or_a_lead_in_sentence_stays_with_what_follows():
    fig = _figure(1000, 600).outputs[0]
    for lead in ("### A better parametrisation", "What that looks like, for four shapes:"):
        units = notebooks._units([("md", "Some text before."), ("md", lead), ("out", fig), ("md", "After. More.")])
        assert [[k for k, _ in u] for u in units] == [["md"], ["md", "out", "read"], ["md"]], units
        assert units[1][0][1] == lead and units[1][2][1] == "After."
    plain = notebooks._units([("md", "A sentence."), ("out", fig)])
    assert [[k for k, _ in u] for u in plain] == [["md"], ["out"]]


# ---- the slide rules: words, figure sizes, what is not lesson content --------------------------

def _words(n, start=0):
    """n words of prose in sentences of ten words."""
    words = [f"W{i}" for i in range(start, start + n)]
    return " ".join(" ".join(words[i:i + 10]) + "." for i in range(0, n, 10))


def _shown(slides):
    """[(slide_type, text)] of the cells shown (notes left out), a figure as ('-', '<figure WxH>')."""
    shown = []
    for c in slides.cells:
        kind = c.metadata["slideshow"]["slide_type"]
        if kind == "notes":
            continue
        if c.cell_type == "markdown":
            shown.append((kind, c.source))
        else:
            size = c.outputs[0].get("metadata", {}).get("image/png")
            shown.append((kind, f"<figure {size['width']}x{size['height']}>" if size else c.outputs[0].get("text", "")))
    return shown


def test_prose_words_count_what_a_slide_shows():
    assert notebooks.prose_words("The map of $w_k^c A^k$ is [hot](http://x.org/a b) - **very**, e.g. here.") == 9
    assert notebooks.prose_words("## A heading of five words") == 0
    assert notebooks.prose_words("$$\\sum_k w_k A^k$$") == 0
    assert notebooks.prose_words("* one item\n* two | cells |\n|---|") == 4
    assert notebooks.prose_words("Code:\n```python\nx = a + b\n```") == 1


def test_prose_over_the_word_limit_goes_to_the_speaker_notes_not_to_a_continuation_slide():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Long\n" + _words(70) + "\n\n" + _words(230, 70))])
    slides, n_slides, n_sub = notebooks.slide_notebook(nb)
    assert (n_slides, n_sub) == (1, 0)
    stats = notebooks.slide_stats(slides)
    assert [s["words"] for s in stats] == [80]                       # 70 + the next sentence of 10
    notes = " ".join(c.source for c in slides.cells if c.metadata["slideshow"]["slide_type"] == "notes")
    assert notes.startswith("W80 ") and notes.endswith("W299.") and notebooks.prose_words(notes) == 220
    # a lower limit cuts between sentences again; every word is somewhere, in order
    slides, _, _ = notebooks.slide_notebook(nb, words=35)
    assert [s["words"] for s in notebooks.slide_stats(slides)] == [30]
    text = " ".join(c.source for c in slides.cells[1:])
    assert text.replace("\n\n", " ").split() == _words(300).split()


def test_a_figure_keeps_its_reading_sentence_and_its_size_rule_even_after_a_full_slide_of_prose():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Grid\n" + _words(75)), _figure(2400, 800),      # a wide grid
        nbformat.v4.new_markdown_cell("The grid shows edges on the left. Then more words."),
        _figure(500, 500), nbformat.v4.new_markdown_cell("The square is red."), _figure(200, 100)])
    slides, n_slides, n_sub = notebooks.slide_notebook(nb)
    shown = _shown(slides)
    # the 75 words leave no room for the reading (7 words): the figure and its reading move on together;
    # the wide grid is drawn 1200 px wide (its rule: 1000), the square as tall as the slide allows (rule: 440),
    # the small 200x100 plot enlarged 4x (800 wide, 400 tall: its rule for a 2:1 shape is 1000 wide or 440 tall)
    assert shown[:2] == [("slide", "## Grid"), ("-", _words(75))]
    assert shown[2:5] == [("subslide", "### Grid (continued)"), ("-", "<figure 1200x400>"),
                          ("-", "The grid shows edges on the left.")]
    assert shown[5] == ("-", "Then more words.")
    assert shown[6][0] == "subslide" and shown[7][1].startswith("<figure ") and shown[8] == ("-", "The square is red.")
    w, h = map(int, shown[7][1][8:-1].split("x"))
    assert w == h and notebooks.FIG_MIN_H <= h <= notebooks._BUDGET
    last = [s for s in notebooks.slide_stats(slides) if s["figures"]][-1]["figures"][-1]
    assert last[0] >= notebooks.FIG_MIN_W or last[1] >= notebooks.FIG_MIN_H, last
    for stat in notebooks.slide_stats(slides):
        assert stat["words"] <= notebooks.WORD_LIMIT
        for fw, fh in stat["figures"]:
            assert (fw >= notebooks.FIG_MIN_W or fh >= notebooks.FIG_MIN_H) and fw <= notebooks.SLIDE_W - 80, stat


def _cell(source, text, tags=(), **metadata):
    cell = nbformat.v4.new_code_cell(source, outputs=[nbformat.v4.new_output("stream", name="stdout", text=text)])
    cell.metadata.update(metadata)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def test_outputs_that_are_not_lesson_content_never_reach_a_slide_and_a_lecturer_can_override():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lesson"),
        _cell("card = load_model()", "Model: efficientnet_lite0 (auto: using EfficientNet-Lite0 because ...)\n",
              tags=["course-hide-slide"]),
        _cell("check()", "Exercise 4.2 (gradcam_map): not attempted yet\n", exercise={"role": "check"}),
        _cell("top5()", "tabby 0.61\n(21 s for this section)\n"),                     # a timing line: cut
        _cell("trained()", "trained in 12 s\n"),                                        # nothing left: dropped
        _cell("show()", "Exercise 1.1 (kernel_size): correct\n", tags=["course-show-slide"],
              exercise={"role": "check"}),
        _cell("gone()", "a secret\n", tags=["remove-output"]),
        nbformat.v4.new_markdown_cell("Only for the lecturer: say it aloud.", metadata={"tags": ["course-notes"]})])
    slides, _, _ = notebooks.slide_notebook(nb)
    shown = [text for _, text in _shown(slides)]
    assert shown == ["# Lesson", "tabby 0.61\n", "Exercise 1.1 (kernel_size): correct\n"]
    notes = [c.source for c in slides.cells if c.metadata["slideshow"]["slide_type"] == "notes"]
    assert "Only for the lecturer: say it aloud." in notes and "```python\ncard = load_model()\n```" in notes
    # HTML pages keep the model line unless asked to drop it; remove-output is gone from both
    import copy
    page = notebooks.page_outputs(copy.deepcopy(nb))
    assert [bool(c.outputs) for c in page.cells if c.cell_type == "code"] == [True, True, True, True, True, False]
    page = notebooks.page_outputs(copy.deepcopy(nb), drop_hidden=True)
    assert [bool(c.outputs) for c in page.cells if c.cell_type == "code"] == [False, True, True, True, True, False]
    assert nb.cells[3].outputs[0]["text"].endswith("section)\n")                   # the input is not changed


@pytest.mark.parametrize("line", ["Model: vgg16 (asked for 'vgg16')", "Exercise 2.3 (conv_response): not yet",
                                  "(21 s for this section)", "notebook ran in 63 s", "(3 s)",
                                  "stopped after 100 steps (12 s of training)"])
def test_the_stray_line_patterns_catch_the_lines_the_issue_found(line):
    import re
    assert any(re.search(p, line) for p in notebooks.STRAY_LINES), line


def test_every_course_notebook_tags_its_setup_cell_and_no_stored_cell_hides_lesson_text():
    # the setup cell (the first code cell) prints versions and the model line: not lesson content
    for path in notebooks.course_notebooks():
        nb = nbformat.read(path, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code")
        assert "course-hide-slide" in setup.metadata.get("tags", []), (
            f"{os.path.basename(path)}: its setup cell (first code cell) has no course-hide-slide tag")
        # the model line is cut from any slide, tagged or not (load_model prints it wherever it is called)
        cell = nbformat.v4.new_code_cell("card = load_model()", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="Model: efficientnet_lite0 (asked for 'efficientnet_lite0')\ninput size (224, 224)\n")])
        assert notebooks.slide_outputs(nbformat.v4.new_notebook(cells=[cell])).cells[0].outputs[0]["text"] == (
            "input size (224, 224)\n")


# ---- grids: a figure of several panels is drawn at least FIG_GRID_W px wide ------------------------

def test_execute_records_how_many_panels_each_figure_has(tmp_path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)      # conftest's Agg: the kernel would show no figure
    # by hand: one picture; a 1 x 3 grid with its last cell left empty (2 panels); one picture with
    # a colour bar (1 panel: the bar is not one); a 2 x 4 grid of images (8)
    path = _write(str(tmp_path), "01_figs.ipynb", [
        nbformat.v4.new_code_cell("import numpy as np\nimport matplotlib.pyplot as plt\nimg = np.zeros((8, 8))"),
        nbformat.v4.new_code_cell("plt.imshow(img); plt.show()"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots(1, 3)\nax[0].plot([1, 2]); ax[1].imshow(img); ax[2].axis('off')\n"
                                  "plt.show()"),
        nbformat.v4.new_code_cell("plt.colorbar(plt.imshow(img)); plt.show()"),
        nbformat.v4.new_code_cell("fig, axes = plt.subplots(2, 4)\nfor ax in axes.ravel(): ax.imshow(img)"),
    ])
    nb, _, _ = notebooks.execute(path)
    assert len(nb.cells) == 5 and nb.cells[0].source.startswith("import numpy")      # the prelude is gone
    assert [c.execution_count for c in nb.cells] == [1, 2, 3, 4, 5]
    figures = [o for c in nb.cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert [notebooks.figure_panels(o) for o in figures] == [1, 2, 1, 8]
    assert [notebooks.is_grid(o) for o in figures] == [False, True, False, True]
    assert not any(o.get("output_type") == "stream" for c in nb.cells for o in c.outputs)   # silent


def _grid(width, height, panels=2, tags=()):
    cell = _figure(width, height)
    if panels:
        cell.outputs[0]["metadata"] = {notebooks.PANELS_KEY: panels}
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def test_a_grid_is_drawn_at_least_fig_grid_w_wide_where_one_picture_may_be_narrower():
    # the same 1200 x 600 picture after 50 words (2 lines, 78 px) and before a one-line reading (47 px):
    # room 664 - 62 - 78 - 47 = 477 px, i.e. 465 px tall and 930 px wide (+ 12 px padding): enough as one
    # picture (its rule: 1000 wide OR 440 tall), too narrow as a grid, which needs 1000 x 500 and so
    # starts a sub-slide of its own; a montage in one panel is a grid when its cell is tagged course-grid
    lead = "## Maps\n" + _words(50)
    reading = nbformat.v4.new_markdown_cell("The maps agree.")
    for cell, grid in ((_grid(1200, 600, panels=0), False), (_grid(1200, 600), True),
                       (_grid(1200, 600, panels=0, tags=[notebooks.TAG_GRID]), True)):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(lead), cell, reading])
        slides, _, n_sub = notebooks.slide_notebook(nb)
        fig = next(c for c in slides.cells if c.cell_type == "code")
        size = fig.outputs[0]["metadata"]["image/png"]
        assert (size["width"] >= notebooks.FIG_GRID_W) == grid, (grid, size)
        assert (fig.metadata.get("tags") == [notebooks.TAG_GRID]) == grid
        assert n_sub == grid                                     # the grid moved on with its reading
        shown = _shown(slides)
        assert shown[shown.index(("-", f"<figure {size['width']}x{size['height']}>")) + 1] == ("-", "The maps agree.")
        stats = [s for s in notebooks.slide_stats(slides) if s["figures"]]
        assert stats[0]["grids"] == [grid]


def test_a_grid_too_tall_for_its_reading_keeps_its_width_and_the_reading_goes_to_the_speaker_notes():
    # 1000 x 590 at 1000 px wide: 602 px with its padding; 62 (heading) + 602 = 664 = the whole budget
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Tall grid"), _grid(1000, 590),
                                         nbformat.v4.new_markdown_cell("The left maps are brighter. More text.")])
    slides, _, n_sub = notebooks.slide_notebook(nb)
    assert n_sub == 0
    assert _shown(slides)[:2] == [("slide", "## Tall grid"), ("-", "<figure 1000x590>")]
    kinds = _kinds(slides)
    after = [c.source for k, c in zip(kinds[2:], slides.cells[2:]) if k == "notes"]
    assert "The left maps are brighter." in after                  # the reading: in this slide's notes
    assert "subslide" not in kinds


def test_a_cell_the_lecturer_shows_keeps_its_tag_on_the_slide():
    cell = _cell("load()", "Model: efficientnet_lite0 (auto: no VGG16 weights)\n", tags=["course-show-slide"])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Which model?"), cell,
                                         _cell("load()", "Model: vgg16 (auto: ...)\nkept\n")])
    slides, _, _ = notebooks.slide_notebook(nb)
    outs = [c for c in slides.cells if c.cell_type == "code"]
    assert [(c.metadata.get("tags"), c.outputs[0]["text"]) for c in outs] == [
        (["course-show-slide"], "Model: efficientnet_lite0 (auto: no VGG16 weights)\n"), (None, "kept\n")]
