"""The slides and HTML pages of `make slides` / `make course`, opened offline in Chromium (`make e2e`).

Every page is opened from the file system (file://), as from a USB stick, in a browser context
where every request that is not for a local file is blocked and recorded. Checked:

test_slide_deck[DECK]: reveal.js starts, MathJax typesets; on every slide (each vertical
sub-slide too) at 1280x720: the content fits (the slide's scroll height <= 720 px and scroll
width <= 1280 px), every formula is typeset (MathJax output present, no MathJax error, no raw
`$`, `\\(` or `\\[` left in the text), no warning, stderr output or traceback shows; the slide rules
of tools/course.py hold as drawn: at most course.WORD_LIMIT words of prose (counted like
course.prose_words: headings, code and display maths 0, an inline formula 1), no stray line
(course.STRAY_LINES: the model line, an exercise verdict, a time taken; a cell the lecturer tagged
course-show-slide excepted), every figure drawn at least course.FIG_MIN_W px wide or course.FIG_MIN_H
px tall, and every grid (a figure of two panels or more: the builder tags its cell course-grid, which
the page shows as the class celltag_course-grid) at least course.FIG_GRID_W px wide. A screenshot of every slide goes to
build/screenshots/slides/DECK/H-V.png (look at them); the counts per deck (slides, most words on a
slide, slides with a figure narrower than 900 px and how many of those are grids, the single pictures
under 900 px) go to build/screenshots/offline_report.json.

test_html_page[PAGE]: the same for each rendered notebook (no fit check: a page scrolls);
a screenshot of the page's top in build/screenshots/html/PAGE.png.

test_checker_*: a small deck and page written here with a slide too tall, a TeX error, a raw
formula MathJax cannot see (in a page with no MathJax), a warning on stderr, a slide of too many
words, a stray line, a figure drawn small and a grid drawn narrow: each check is shown to fail when it should, and to
pass on a deck without faults.

The builds come first: `make e2e` runs `make course` and `make slides` when their sources changed.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, SCREENSHOTS

sys.path.insert(0, str(REPO / "tools"))
import course  # noqa: E402  (tools/course.py)

BUILD = REPO / "build"
DECKS = sorted(p.name for p in (BUILD / "slides").glob("*.slides.html"))
PAGES = sorted(p.name for p in (BUILD / "html").glob("[0-9]*.html"))
W, H = course.SLIDE_W, course.SLIDE_H
READY_MS = 60_000

# JavaScript: the problems of the element `root` (formulas, warnings); returns counts and messages.
JS_PAGE_PROBLEMS = r"""
(root) => {
  const problems = [];
  const formulas = root.querySelectorAll('mjx-container').length;
  const errors = root.querySelectorAll('mjx-merror, [data-mjx-error]');
  for (const e of errors) problems.push('MathJax error: ' + (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80));
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const p = n.parentElement;
    if (!p || p.closest('mjx-container, script, style, code, pre, .jp-CodeCell .jp-InputArea, aside.notes')) continue;
    if (/\$|\\\(|\\\[/.test(n.textContent)) problems.push('raw maths (not typeset): ' + n.textContent.trim().slice(0, 80));
  }
  for (const e of root.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type*="error"]'))
    problems.push('stderr/error output: ' + e.textContent.trim().slice(0, 100));
  for (const e of root.querySelectorAll('.jp-OutputArea-output')) {
    const t = e.textContent;
    if (/Traceback \(most recent call last\)|\b\w*Warning: |WARNING:|\/tmp\/|ipykernel_\d+/.test(t)) problems.push('warning/traceback/path in an output: ' + t.trim().slice(0, 100));
  }
  return {formulas, problems};
}
"""

# JavaScript: the slide rules as drawn: prose words (as course.prose_words counts them), stray lines,
# figures' drawn sizes.
JS_SLIDE_RULES = r"""
([s, stray, grid, shown]) => {
  let words = 0;
  for (const md of s.querySelectorAll('.jp-RenderedMarkdown')) {
    if (md.closest('aside.notes')) continue;
    const walker = document.createTreeWalker(md, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = walker.nextNode())) {
      const p = n.parentElement;
      if (!p || p.closest('h1, h2, h3, h4, h5, h6, pre, mjx-container, script, style')) continue;
      words += n.textContent.split(/\s+/).filter(t => /\w/.test(t)).length;
    }
    words += md.querySelectorAll('mjx-container:not([display="true"])').length;
  }
  const re = new RegExp(stray);
  const strays = [];
  for (const o of s.querySelectorAll('.jp-OutputArea-output')) {
    if (o.closest('aside.notes, .celltag_' + shown)) continue;        // the lecturer's override shows it
    for (const line of o.innerText.split('\n')) if (re.test(line)) strays.push(line.trim().slice(0, 100));
  }
  const figures = [...s.querySelectorAll('.jp-OutputArea-output img')].map(i => [i.offsetWidth, i.offsetHeight,
                   i.closest('.celltag_' + grid) !== null]);
  // what the slide shows last: a sentence announcing what follows ("...:") must not end a slide
  const shownItems = [...s.querySelectorAll('.jp-RenderedMarkdown :is(p, li, table, pre, img), .jp-OutputArea-output')]
                     .filter(e => !e.closest('aside.notes') && !(e.tagName === 'P' && e.closest('li')));
  const lastItem = shownItems[shownItems.length - 1];
  const dangling = lastItem && lastItem.tagName === 'P' && /:\s*$/.test(lastItem.textContent)
                   ? lastItem.textContent.trim().slice(-80) : null;
  return {words, strays, figures, dangling};
}
"""

JS_SLIDE_SIZE = """(s) => ({h: s.scrollHeight, w: s.scrollWidth,
  wide: [...s.querySelectorAll('pre, table, img, mjx-container')].filter(e => e.scrollWidth > e.clientWidth + 1
        && getComputedStyle(e).overflowX !== 'visible').length})"""


def _guarded_context(browser, width=W, height=H):
    ctx = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    ctx.external_requests = []

    def guard(route):
        url = route.request.url
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme in ("file", "data", "blob"):
            route.continue_()
        else:
            ctx.external_requests.append(url)
            route.abort()

    ctx.route("**/*", guard)
    return ctx


def _open(ctx, path: Path, reveal: bool, timeout: float = READY_MS):
    page = ctx.new_page()
    console = []
    page.on("console", lambda m: console.append(f"{m.text} ({m.location.get('url', '')})") if m.type == "error" else None)
    page.on("requestfailed", lambda r: console.append(f"could not load {r.url}") if not r.url.startswith("http") else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.goto(path.resolve().as_uri())
    ready = "window.MathJax && MathJax.startup && MathJax.startup.promise"
    if reveal:
        ready += " && window.Reveal && Reveal.isReady && Reveal.isReady()"
    try:
        page.wait_for_function(ready, timeout=timeout)
        page.evaluate("MathJax.startup.promise.then(() => true)")
    except Exception as exc:  # noqa: BLE001  (the message below says what is missing)
        raise AssertionError(f"{path.name}: {'reveal.js or ' if reveal else ''}MathJax did not start "
                             f"({type(exc).__name__}); console: {console[:5]}; blocked: {ctx.external_requests[:5]}")
    return page, console


def check_deck(browser, path: Path, shots: Path | None = None) -> dict:
    """Open deck `path` offline and check every slide; returns counts and a list of problems."""
    ctx = _guarded_context(browser)
    try:
        page, console = _open(ctx, path, reveal=True)
        indices = page.evaluate("Reveal.getSlides().map(s => Reveal.getIndices(s))")
        report = {"deck": path.name, "slides": len(indices), "horizontal": len(page.evaluate(
            "Reveal.getHorizontalSlides()")), "formulas": 0, "overflowing": 0, "problems": [],
            "most_words": 0, "narrow_figure_slides": 0, "narrow_grid_slides": 0, "narrow_single": [], "figures": 0}
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
        for ix in indices:
            h, v = ix["h"], ix.get("v") or 0
            page.evaluate(f"Reveal.slide({h}, {v})")
            page.wait_for_function(f"Reveal.getIndices().h === {h} && (Reveal.getIndices().v || 0) === {v}")
            slide = page.evaluate_handle("Reveal.getCurrentSlide()")
            size = page.evaluate(JS_SLIDE_SIZE, slide)
            found = page.evaluate(JS_PAGE_PROBLEMS, slide)
            report["formulas"] += found["formulas"]
            where = f"slide {h}-{v}"
            if size["h"] > H or size["w"] > W or size["wide"]:
                report["overflowing"] += 1
                report["problems"].append(f"{where} does not fit {W}x{H}: content {size['w']}x{size['h']} px"
                                          + (f", {size['wide']} element(s) cut at the right" if size["wide"] else ""))
            report["problems"] += [f"{where}: {p}" for p in found["problems"]]
            rules = page.evaluate(JS_SLIDE_RULES, [slide, course._STRAY.pattern, course.TAG_GRID, course.TAG_SHOW])
            report["most_words"] = max(report["most_words"], rules["words"])
            if rules["words"] > course.WORD_LIMIT:
                report["problems"].append(f"{where}: {rules['words']} words of prose (the limit: {course.WORD_LIMIT}; "
                                          "the rest belongs in the speaker notes)")
            report["problems"] += [f"{where}: a line that is not lesson content: {line!r}" for line in rules["strays"]]
            if rules["dangling"]:
                report["problems"].append(f"{where}: ends with a lead-in whose follow-up is not on the slide: "
                                          f"{rules['dangling']!r} (give the figure before it a reading sentence, "
                                          "or put what it announces on the slide)")
            report["figures"] += len(rules["figures"])
            report["narrow_figure_slides"] += any(fw < 900 for fw, _, _ in rules["figures"])
            report["narrow_grid_slides"] += any(fw < 900 and grid for fw, _, grid in rules["figures"])
            for fw, fh, grid in rules["figures"]:
                if grid and fw < course.FIG_GRID_W - 2:
                    report["problems"].append(f"{where}: a grid drawn {fw}x{fh} px, narrower than its rule (at least "
                                              f"{course.FIG_GRID_W} px wide: draw it with more columns than rows)")
                elif fw < course.FIG_MIN_W - 2 and fh < course.FIG_MIN_H - 2:
                    report["problems"].append(f"{where}: a figure drawn {fw}x{fh} px, smaller than its rule "
                                              f"(at least {course.FIG_MIN_W} px wide or {course.FIG_MIN_H} px tall)")
                if fw < 900 and not grid:
                    report["narrow_single"].append(f"{h}-{v}: {fw}x{fh}")
            if shots:
                page.screenshot(path=str(shots / f"{h:02d}-{v:02d}.png"))
        report["problems"] += [f"page error: {c}" for c in console]
        report["problems"] += [f"asked for an outside address (blocked): {u}" for u in ctx.external_requests]
        return report
    finally:
        ctx.close()


def check_page(browser, path: Path, shot: Path | None = None, timeout: float = READY_MS) -> dict:
    """Open HTML page `path` offline; returns the formula count and a list of problems."""
    ctx = _guarded_context(browser, height=900)
    try:
        page, console = _open(ctx, path, reveal=False, timeout=timeout)
        found = page.evaluate(JS_PAGE_PROBLEMS, page.evaluate_handle("document.body"))
        if shot:
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))
        problems = found["problems"] + [f"page error: {c}" for c in console]
        problems += [f"asked for an outside address (blocked): {u}" for u in ctx.external_requests]
        return {"page": path.name, "formulas": found["formulas"], "problems": problems}
    finally:
        ctx.close()


def _record(kind: str, report: dict):
    """Append a report to build/screenshots/offline_report.json (the counts for the lecturer's note)."""
    out = SCREENSHOTS / "offline_report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(out.read_text()) if out.exists() else {}
    data.setdefault(kind, {})[report.get("deck") or report.get("page")] = report
    out.write_text(json.dumps(data, indent=1))


def test_the_builds_exist():
    assert DECKS, "no slide decks in build/slides/: run `make slides` (make e2e does it first)"
    assert PAGES, "no HTML pages in build/html/: run `make course` (make e2e does it first)"
    assert len(DECKS) == len(PAGES) == len(course.course_notebooks()), (DECKS, PAGES)


@pytest.mark.parametrize("name", DECKS)
def test_slide_deck(name, browser):
    report = check_deck(browser, BUILD / "slides" / name, SCREENSHOTS / "slides" / name.split(".")[0])
    _record("decks", report)
    print(f"{name}: {report['slides']} slides ({report['horizontal']} headings), {report['formulas']} formulas "
          f"typeset, {report['overflowing']} overflowing, at most {report['most_words']} words of prose on a slide, "
          f"{report['narrow_figure_slides']} slides with a figure narrower than 900 px ({report['narrow_grid_slides']} of "
          f"them grids; single pictures: {', '.join(report['narrow_single']) or 'none'}) ({report['figures']} figures)")
    assert report["slides"] >= 2
    assert not report["problems"], "\n".join(report["problems"])


@pytest.mark.parametrize("name", PAGES)
def test_html_page(name, browser):
    report = check_page(browser, BUILD / "html" / name, SCREENSHOTS / "html" / name.replace(".html", ".png"))
    _record("pages", report)
    print(f"{name}: {report['formulas']} formulas typeset")
    assert not report["problems"], "\n".join(report["problems"])


# ---- the checks themselves, on small decks with known faults -----------------------------------

def _tiny_build(tmp_path: Path, slide_cells, page_cells=None) -> tuple[Path, Path]:
    """A deck (cells with their slide metadata as given) and a page, beside a link to build/assets."""
    assets = BUILD / "assets"
    if not (assets / "mathjax").is_dir():
        pytest.fail("build/assets/ is missing: run `make slides` (it fetches reveal.js and MathJax once)")
    (tmp_path / "assets").symlink_to(assets, target_is_directory=True)
    (tmp_path / "slides").mkdir()
    (tmp_path / "html").mkdir()
    deck = course._render(course._exporter("slides"), nbformat.v4.new_notebook(cells=slide_cells),
                          str(tmp_path / "slides" / "tiny.slides.html"))
    page = course._render(course._exporter("html"), nbformat.v4.new_notebook(cells=page_cells or slide_cells),
                          str(tmp_path / "html" / "tiny.html"))
    return Path(deck), Path(page)


def _md(text, kind="-"):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["slideshow"] = {"slide_type": kind}
    return cell


def _out(output_type, slide="-", **fields):
    cell = nbformat.v4.new_code_cell("print('hidden')", outputs=[nbformat.v4.new_output(output_type, **fields)])
    cell.metadata["slideshow"] = {"slide_type": slide}
    return cell


def test_checker_passes_a_deck_without_faults(tmp_path, browser):
    deck, page = _tiny_build(tmp_path, [
        _md("# Title\nThe map is $L^c = \\mathrm{ReLU}(\\sum_k w_k^c A^k)$.", "slide"),
        _md("## Part two", "slide"), _md("$$w_k^c = \\frac{1}{Z}\\sum_{i,j} A^k_{ij}$$"),
        _out("stream", name="stdout", text="answer 42\n")])
    report = check_deck(browser, deck)
    assert report["slides"] == 2 and report["formulas"] == 2, report
    assert report["problems"] == [], report
    assert check_page(browser, page)["problems"] == []


def test_checker_finds_a_slide_too_tall_a_tex_error_and_a_warning(tmp_path, browser):
    deck, _ = _tiny_build(tmp_path, [
        _md("# Title", "slide"),
        _out("stream", name="stdout", text="line\n" * 60),                    # 60 x 21 px: taller than 720
        _md("## Broken maths", "slide"), _md("$\\frac{1}{$ and $x^{2$"),     # TeX errors
        _md("## A warning", "slide"),
        _out("stream", name="stderr", text="/tmp/ipykernel_1/1.py:3: UserWarning: map is zero\n")])
    report = check_deck(browser, deck)
    problems = "\n".join(report["problems"])
    assert report["overflowing"] == 1 and "slide 0-0 does not fit" in problems, problems
    assert "slide 1-0: MathJax error" in problems or "slide 1-0: raw maths" in problems, problems
    assert "slide 2-0: stderr/error output" in problems and "warning/traceback/path" in problems, problems


def test_checker_finds_maths_left_raw_and_an_outside_request(tmp_path, browser):
    _, page = _tiny_build(tmp_path, [_md("# Title\nA formula: $x^2$.")])
    text = page.read_text()
    # the same page as with nbconvert's defaults: MathJax from a CDN (blocked here), so $x^2$ stays raw
    page.write_text(text.replace("../assets/mathjax/es5/tex-svg.js", "https://cdn.invalid/mathjax/tex-svg.js")
                    .replace("<script>\nwindow.MathJax", "<script>\nwindow.MathJaxConfig"))
    with pytest.raises(AssertionError, match="MathJax did not start.*blocked: \\['https://cdn.invalid"):
        check_page(browser, page, timeout=5_000)
    # MathJax present but told to skip the paragraph: the raw formula is reported
    page.write_text(text.replace("<p>A formula", "<p class='mathjax_ignore'>A formula"))
    problems = check_page(browser, page)["problems"]
    assert any("raw maths (not typeset): A formula: $x^2$" in p for p in problems), problems


def _png_cell(width, height, slide="-", drawn=None):
    """A code cell whose output is a width x height PNG, drawn at ``drawn`` (w, h) when given."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 200)).save(buf, format="PNG")
    meta = {"image/png": {"width": drawn[0], "height": drawn[1]}} if drawn else {}
    return _out("display_data", slide, data={"image/png": base64.b64encode(buf.getvalue()).decode(),
                                             "text/plain": "<Figure>"}, metadata=meta)


def _grid_cell(width, height, drawn, slide="-"):
    """A figure of two panels as the builder lays it out: its cell tagged course-grid."""
    cell = _png_cell(width, height, slide, drawn)
    cell.outputs[0]["metadata"][course.PANELS_KEY] = 2
    cell.metadata["tags"] = [course.TAG_GRID]
    return cell


def test_checker_finds_a_grid_drawn_narrower_than_its_rule(tmp_path, browser):
    # the same 2:1 picture drawn 880x440: fine as one picture (440 px tall), too narrow as a grid;
    # a grid drawn 1000 px wide passes; a cell the lecturer shows on purpose keeps its model line
    shown = _out("stream", name="stdout", text="Model: efficientnet_lite0 (auto: using ...)\n")
    shown.metadata["tags"] = [course.TAG_SHOW]
    deck, _ = _tiny_build(tmp_path, [
        _md("# One picture", "slide"), _png_cell(1000, 500, drawn=(880, 440)),
        _md("## A grid", "slide"), _grid_cell(1000, 500, drawn=(880, 440)),
        _md("## A wide grid", "slide"), _grid_cell(2000, 800, drawn=(1000, 400)), shown])
    report = check_deck(browser, deck)
    problems = "\n".join(report["problems"])
    assert "slide 0-0" not in problems, problems
    assert "slide 1-0: a grid drawn 880x440 px, narrower than its rule" in problems, problems
    assert "slide 2-0" not in problems, problems
    assert report["narrow_figure_slides"] == 2 and report["narrow_grid_slides"] == 1, report
    assert report["narrow_single"] == ["0-0: 880x440"], report


def test_checker_finds_too_many_words_a_stray_line_and_a_figure_drawn_small(tmp_path, browser):
    words = " ".join(f"word{i}" for i in range(course.WORD_LIMIT - 1)) + " $x^2$ and"   # limit + 1 words
    deck, _ = _tiny_build(tmp_path, [
        _md("# Title", "slide"), _md(words),
        _md("## Stray", "slide"),
        _out("stream", name="stdout", text="tabby 0.61\nModel: efficientnet_lite0 (auto: using ...)\n"),
        _out("stream", name="stdout", text="Exercise 4.2 (gradcam_map): not attempted yet\n"),
        _md("## Small", "slide"), _png_cell(1000, 500, drawn=(600, 300)),
        _md("## Right", "slide"), _md(" ".join(["word"] * course.WORD_LIMIT)), _png_cell(1000, 400, drawn=(1000, 400))])
    report = check_deck(browser, deck)
    problems = "\n".join(report["problems"])
    assert f"slide 0-0: {course.WORD_LIMIT + 1} words of prose" in problems, problems
    assert "slide 1-0: a line that is not lesson content: 'Model: efficientnet_lite0" in problems, problems
    assert "slide 1-0: a line that is not lesson content: 'Exercise 4.2 (gradcam_map)" in problems, problems
    assert "slide 2-0: a figure drawn 600x300 px, smaller than its rule" in problems, problems
    assert "slide 3-0" not in problems and "tabby" not in problems, problems
    assert report["most_words"] == course.WORD_LIMIT + 1 and report["narrow_figure_slides"] == 1, report


def test_checker_finds_a_slide_that_ends_with_a_lead_in(tmp_path, browser):
    # "The lesson, in words:" under a figure with its list gone to the speaker notes (04, before the fix)
    notes = _md("* point one\n* point two", "notes")
    deck, _ = _tiny_build(tmp_path, [
        _md("# Dangling", "slide"), _png_cell(1000, 400, drawn=(1000, 400)), _md("The lesson, in words:"), notes,
        _md("## Announced and shown", "slide"), _md("The lesson, in words:"), _md("* point one\n* point two"),
        _md("## Lead-in before a printout", "slide"), _md("The same measure:"),
        _out("stream", name="stdout", text="answer 42\n"),
        _md("## Lead-in before a table", "slide"), _md("The regularisers:\n\n| a | b |\n|---|---|\n| 1 | 2 |")])
    problems = "\n".join(check_deck(browser, deck)["problems"])
    assert "slide 0-0: ends with a lead-in whose follow-up is not on the slide: 'The lesson, in words:'" in problems, \
        problems
    assert "slide 1-0" not in problems and "slide 2-0" not in problems and "slide 3-0" not in problems, problems
