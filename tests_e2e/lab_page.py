"""Drive one notebook in JupyterLab with Playwright and check what a student sees.

`check_notebook(context, lab, name, screenshot=path)` opens the notebook in a
new browser tab, waits for its kernel, runs every cell from the Run menu
("Run All Cells"), waits for the run to finish, and returns a `Report`:

* errors: a cell with an error output (the notebook model's output type
  "error", or a traceback / `SomeError: ...` line drawn in any output,
  widget outputs included), and errors the kernel reported while running a
  widget callback (iopub `error` messages and tracebacks on stderr);
* widgets: every output that carries a widget view is drawn as a live
  control (a `.jupyter-widgets` element with a size), not as its text
  fallback ("IntSlider(value=...)", "Loading widget...", "Error displaying
  widget");
* explorers: in every widget view that has controls (dropdown, select,
  slider, text box, toggle / radio buttons, checkbox; buttons and Play only
  when there is nothing else), each control is changed once, in order, as a
  person would (choose the next option, press an arrow key on the slider
  handle, type and press Enter...), and after each change what the cell
  displays outside its controls (text, image sources, canvases, and a
  screenshot with the controls and prompts masked) must differ from before,
  once the kernel is idle again and the display has stopped changing;
* a screenshot of the whole notebook (the window made as tall as the
  notebook) is written to `screenshot`.

Widgets are found in the page after running, so the same code checks any
notebook. Used by tests_e2e/test_browser.py (`make e2e`).
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Controls, as containers in ipywidgets 8's DOM (what an explorer check moves).
CONTROL_SELECTOR = ", ".join([
    ".widget-dropdown", ".widget-select", ".widget-select-multiple", ".widget-slider",
    ".widget-text", ".widget-textarea", ".widget-toggle-buttons", ".widget-radio",
    ".widget-checkbox", ".widget-toggle-button", ".widget-button", ".widget-play",
    ".widget-colorpicker", ".widget-datepicker", ".widget-combobox", ".widget-tagsinput",
])

FALLBACK_PATTERNS = [
    re.compile(r"Loading widget\.\.\."),
    re.compile(r"Error displaying widget"),
    re.compile(r"\b[A-Z][A-Za-z]*\((?:value|children|options|description|layout|index|min|max|_dom_classes)="),
]
ERROR_LINE = re.compile(r"(?m)^\s*(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\b(?::.*|\s+Traceback.*)?$")
TRACEBACK = "Traceback (most recent call last)"

# --- JavaScript run in the page (JupyterLab started with expose_app_in_browser) ---

JS_KERNEL_READY = """(name) => {
  const app = window.jupyterapp; if (!app) return false;
  const w = app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== name || !w.sessionContext) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return w.context.isReady && w.sessionContext.isReady && !!k
         && k.status === 'idle' && k.connectionStatus === 'connected';
}"""

JS_LISTEN_KERNEL = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  window.__e2e = {errors: [], stderr: []};
  w.sessionContext.iopubMessage.connect((_, msg) => {
    const type = msg.header.msg_type;
    const parent = (msg.parent_header && msg.parent_header.msg_type) || '';
    if (type === 'error') {
      window.__e2e.errors.push({parent, ename: msg.content.ename, evalue: msg.content.evalue});
    } else if (type === 'stream' && msg.content.name === 'stderr' && parent !== 'execute_request') {
      window.__e2e.stderr.push(msg.content.text);
    }
  });
  return true;
}"""

JS_KERNEL_EVENTS = "() => window.__e2e"

# State of the run: per code cell, its execution count, whether its prompt
# shows [*], its output types; and the kernel status.
JS_RUN_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = [];
  w.content.widgets.forEach((cell, index) => {
    const m = cell.model;
    if (m.type !== 'code') return;
    const outputs = [];
    for (let i = 0; i < m.outputs.length; i++) {
      const o = m.outputs.get(i).toJSON();
      outputs.push({type: o.output_type, ename: o.ename || null, evalue: o.evalue || null,
                    widget: !!(o.data && o.data['%s'])});
    }
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    cells.push({index, count: m.executionCount,
                source: m.sharedModel.getSource(),
                running: !!(prompt && prompt.textContent.includes('*')),
                outputs});
  });
  return {kernel: k ? k.status : 'none', cells};
}""" % WIDGET_MIME

# What each code cell's output area shows: top-level outputs (mime type,
# text, live widget or not) and widget views, which get data-e2e-* marks so
# that Playwright can find them and their controls.
# Cells off screen are not laid out (JupyterLab's default windowing mode uses
# content-visibility), so each cell with outputs is scrolled into view first.
JS_SCAN = """async (controlSel) => {
  const w = window.jupyterapp.shell.currentWidget;
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const result = [];
  const cells = w.content.widgets;
  for (let index = 0; index < cells.length; index++) {
    const cell = cells[index];
    if (cell.model.type !== 'code') continue;
    const area = cell.node.querySelector('.jp-Cell-outputArea');
    if (!area) continue;
    area.setAttribute('data-e2e-area', String(index));
    if (area.querySelector('.jp-OutputArea-child')) {
      area.scrollIntoView({block: 'start'});
      await frame();
    }
    const outputs = [];
    const children = Array.from(area.children).filter(c => c.classList.contains('jp-OutputArea-child'));
    children.forEach((child, i) => {
      const out = child.querySelector(':scope > .jp-OutputArea-output');
      if (!out) return;
      const mime = out.getAttribute('data-mime-type') || '';
      const live = out.querySelector('.jupyter-widgets');
      const rect = live ? live.getBoundingClientRect() : null;
      // a widget closed from Python (a finished tqdm bar with leave=False) leaves an empty output
      const empty = out.innerText.trim() === '' && !out.querySelector('img, canvas, svg, input, select, button');
      const info = {i, mime, empty, text: out.innerText.slice(0, 4000),
                    live: !!live && rect.width > 0 && rect.height > 0, controls: []};
      if (live) {
        const view = `${index}-${i}`;
        out.setAttribute('data-e2e-view', view);
        Array.from(out.querySelectorAll(controlSel)).forEach((c, j) => {
          // a control nested in another control (a slider inside a Play box) counts once
          if (c.parentElement.closest(controlSel) && out.contains(c.parentElement.closest(controlSel))) return;
          c.setAttribute('data-e2e-control', `${view}-${j}`);
          const kind = Array.from(c.classList).find(n => n.startsWith('widget-') &&
              !['widget-inline-hbox', 'widget-inline-vbox', 'widget-hbox', 'widget-vbox'].includes(n));
          const disabled = !!c.querySelector(':disabled') || c.matches(':disabled') ||
                           !!c.querySelector('[disabled]');
          const clean = (t) => (t || '').replace(/[\u200b\s]+/g, ' ').trim();
          const label = clean((c.querySelector('.widget-label') || {}).textContent) ||
                        clean(c.innerText).slice(0, 40);
          info.controls.push({id: `${view}-${j}`, kind: kind || c.className, disabled, label});
        });
      }
      outputs.push(info);
    });
    const stderr = Array.from(area.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(e => e.innerText);
    result.push({index, outputs, stderr, text: area.innerText.slice(0, 20000)});
  }
  return result;
}"""

# What a cell's output area displays outside its controls.
JS_DISPLAY = """([index, controlSel]) => {
  const area = document.querySelector(`[data-e2e-area="${index}"]`);
  if (!area) return null;
  const controls = Array.from(area.querySelectorAll(controlSel));
  const inControl = (el) => controls.some(c => c.contains(el));
  const clone = area.cloneNode(true);
  clone.querySelectorAll(controlSel).forEach(c => c.remove());
  const images = Array.from(area.querySelectorAll('img')).filter(e => !inControl(e)).map(e => e.src);
  const canvases = Array.from(area.querySelectorAll('canvas')).filter(e => !inControl(e)).map(e => {
    try { return e.toDataURL(); } catch (err) { return 'canvas?'; }
  });
  const loading = Array.from(area.querySelectorAll('img')).some(e => !e.complete);
  return {text: clone.textContent, images, canvases, loading};
}"""

JS_NOTEBOOK_HEIGHT = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const scroller = w.content.node.querySelector('.jp-WindowedPanel-outer') || w.content.node;
  scroller.scrollTop = 0;
  const cells = w.content.widgets;
  const last = cells.length ? cells[cells.length - 1].node : scroller;
  const below = window.innerHeight - scroller.getBoundingClientRect().bottom;  // status bar
  return Math.ceil(last.getBoundingClientRect().bottom + 40 + below);
}"""


@dataclass
class Explorer:
    """One interaction with one widget view."""
    cell: int                 # index of the cell in the notebook
    control: str              # e.g. "widget-dropdown 'layer'"
    action: str               # what was done, e.g. "chose option 2 of 5 ('block2_conv1')"
    changed: bool | None = None
    seconds: float = 0.0


@dataclass
class Report:
    name: str
    problems: list[str] = field(default_factory=list)
    widgets: int = 0          # widget views drawn
    closed_widgets: int = 0   # widget outputs whose widget the notebook closed (finished progress bars)
    explorers: list[Explorer] = field(default_factory=list)
    cells_run: int = 0
    run_seconds: float = 0.0
    total_seconds: float = 0.0
    screenshot: Path | None = None
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.name}: {self.cells_run} code cells run in {self.run_seconds:.1f} s, "
                 f"{self.widgets} widget views ({self.closed_widgets} more closed by the notebook), "
                 f"{len(self.explorers)} control changes, "
                 f"total {self.total_seconds:.1f} s"]
        for e in self.explorers:
            lines.append(f"  cell {e.cell}: {e.control}: {e.action} -> "
                         f"{'display changed' if e.changed else 'NO CHANGE'} ({e.seconds:.1f} s)")
        if self.console_errors:
            lines.append(f"  browser console errors: {len(self.console_errors)}, first: "
                         f"{self.console_errors[0][:150]}")
        lines += [f"  PROBLEM: {p}" for p in self.problems]
        return "\n".join(lines)


def _digest(data) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha1(data).hexdigest()[:12]


class NotebookRun:
    """One notebook open in one browser tab."""

    def __init__(self, context, lab, name: str, run_timeout: float = 180.0,
                 interaction_timeout: float = 60.0):
        self.context = context
        self.lab = lab
        self.name = name
        self.run_timeout = run_timeout
        self.interaction_timeout = interaction_timeout
        self.report = Report(name)
        self.page = None
        self._keys = set()

    def _problem(self, text: str, key=None) -> None:
        """Record a problem once (the same cell can be checked twice)."""
        key = key if key is not None else text
        if key not in self._keys:
            self._keys.add(key)
            self.report.problems.append(text)

    # -- opening and running ------------------------------------------------

    def open(self) -> None:
        page = self.page = self.context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self.report.console_errors.append(f"page error: {err}"))
        # ?reset: start from the default layout, not with the tabs an earlier test left open
        page.goto(self.lab.url(f"lab/tree/{self.name}?reset"), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook", state="attached", timeout=60_000)
        page.wait_for_function(JS_KERNEL_READY, arg=self.name, timeout=120_000, polling=250)
        page.evaluate(JS_LISTEN_KERNEL)
        if not page.evaluate("() => window.jupyterapp.shell.leftCollapsed"):
            page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")

    def _on_console(self, msg) -> None:
        if msg.type == "error":
            self.report.console_errors.append(msg.text.splitlines()[0][:300] if msg.text else "")

    def run_all(self) -> None:
        """Run > Run All Cells, then wait for the run to end (or time out)."""
        page = self.page
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator("#jp-mainmenu-run li[data-command='runmenu:run-all']").click()
        start = time.monotonic()
        previous = None
        while True:
            state = page.evaluate(JS_RUN_STATE)
            done = self._run_finished(state)
            if done and previous == state:  # the same finished state twice in a row
                break
            previous = state if done else None
            if state["kernel"] in ("dead", "restarting", "autorestarting"):
                self.report.problems.append(
                    f"the kernel died during Run All (status {state['kernel']}; out of memory?)")
                break
            if time.monotonic() - start > self.run_timeout:
                waiting = [c["index"] for c in state["cells"] if c["running"]]
                self.report.problems.append(
                    f"run all did not finish within {self.run_timeout:.0f} s "
                    f"(kernel {state['kernel']}, cells still running or queued: {waiting})")
                break
            time.sleep(0.5)
        self.report.run_seconds = time.monotonic() - start
        self.report.cells_run = sum(c["count"] is not None for c in state["cells"])
        self._check_model(state)

    @staticmethod
    def _run_finished(state) -> bool:
        if state["kernel"] != "idle" or any(c["running"] for c in state["cells"]):
            return False
        code = [c for c in state["cells"] if c["source"].strip()]
        errored = any(o["type"] == "error" for c in code for o in c["outputs"])
        return errored or all(c["count"] is not None for c in code)

    def _check_model(self, state) -> None:
        for c in state["cells"]:
            for o in c["outputs"]:
                if o["type"] == "error":
                    self._problem(f"cell {c['index']}: {o['ename']}: {o['evalue']}  "
                                  f"(source: {c['source'][:80]!r})", key=(c["index"], "error"))
            if c["source"].strip() and c["count"] is None and not any(
                    o["type"] == "error" for cc in state["cells"] for o in cc["outputs"]):
                self.report.problems.append(f"cell {c['index']} was not executed")

    # -- what is drawn ------------------------------------------------------

    def scan(self):
        return self.page.evaluate(JS_SCAN, CONTROL_SELECTOR)

    def check_outputs(self, when: str) -> list:
        """Errors drawn in outputs, widgets drawn as text; returns the scan."""
        cells = self.scan()
        for cell in cells:
            # a traceback anywhere, or an "XxxError: ..." line on stderr (warnings are fine)
            lines = [ln for ln in cell["text"].splitlines() if TRACEBACK in ln]
            lines += [m.group(0) for text in cell["stderr"] for m in ERROR_LINE.finditer(text)]
            for line in lines[:1]:
                self._problem(f"cell {cell['index']}: an error is drawn in the output ({when}): "
                              f"{line.strip()[:200]}", key=(cell["index"], "error"))
            for out in cell["outputs"]:
                text_only = out["text"] if not out["live"] else ""
                for pattern in FALLBACK_PATTERNS:
                    if pattern.search(text_only):
                        self._problem(
                            f"cell {cell['index']}: a widget is shown as text, not a live control "
                            f"({when}): {text_only.strip()[:120]!r}", key=(cell["index"], out["i"], "text"))
                        break
        return cells

    def check_widget_outputs_rendered(self, state_cells, scanned) -> None:
        """Every output of the model that holds a widget view is drawn live."""
        by_index = {c["index"]: c for c in scanned}
        for c in state_cells:
            for i, o in enumerate(c["outputs"]):
                if not o["widget"]:
                    continue
                outs = {out["i"]: out for out in by_index.get(c["index"], {"outputs": []})["outputs"]}
                drawn = outs.get(i)
                if drawn is not None and not drawn["live"] and drawn["empty"]:
                    self.report.closed_widgets += 1  # closed by the notebook: nothing to draw
                    continue
                if drawn is None or not drawn["live"]:
                    self._problem(
                        f"cell {c['index']}: widget output {i} is not drawn as a live control: "
                        + (f"{drawn['mime'] or 'no mime type'}, {drawn['text'].strip()[:120]!r}"
                           if drawn else "nothing drawn"), key=(c["index"], i, "text"))

    # -- explorers ----------------------------------------------------------

    def display_state(self, cell_index: int):
        """A fingerprint of what the cell shows outside its controls."""
        page = self.page
        info = page.evaluate(JS_DISPLAY, [cell_index, CONTROL_SELECTOR])
        if info is None:
            return None, False
        area = page.locator(f"[data-e2e-area='{cell_index}']")
        page.mouse.move(1, 1)
        try:
            # prompts change colour when the cell becomes the active one: not a change of display
            shot = area.screenshot(mask=[area.locator(CONTROL_SELECTOR), area.locator(".jp-OutputPrompt")],
                                   animations="disabled",
                                   caret="hide", timeout=15_000)
        except Exception:  # rare (element detached mid-redraw): compare text and images only
            shot = b"no screenshot"
        key = (_digest(info["text"]), tuple(_digest(s) for s in info["images"]),
               tuple(_digest(s) for s in info["canvases"]), _digest(shot))
        return key, info["loading"]

    def _kernel_idle(self) -> bool:
        return self.page.evaluate(
            "() => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;"
            " return !!k && k.status === 'idle'; }")

    def settled_state(self, cell_index: int, timeout: float, min_wait: float = 0.0):
        """Wait until the kernel is idle and the display is the same twice, 0.7 s apart."""
        start = time.monotonic()
        previous = None
        while True:
            time.sleep(0.7)
            key, loading = self.display_state(cell_index)
            idle = self._kernel_idle()
            elapsed = time.monotonic() - start
            if idle and not loading and key == previous and elapsed >= min_wait:
                return key
            if elapsed > timeout:
                return key
            previous = key

    def interact(self, control_id: str, kind: str) -> str | None:
        """Change one control as a person would; returns what was done, or None."""
        page = self.page
        c = page.locator(f"[data-e2e-control='{control_id}']")
        c.scroll_into_view_if_needed()
        if kind in ("widget-dropdown", "widget-select", "widget-select-multiple"):
            sel = c.locator("select").first
            options = sel.locator("option").all_text_contents()
            if len(options) < 2:
                return None
            current = sel.evaluate("s => s.selectedIndex")
            new = (current + 1) % len(options)
            sel.select_option(index=new)
            return f"chose option {new + 1} of {len(options)} ({options[new].strip()!r}, was {options[current].strip()!r})"
        if kind == "widget-slider":
            handle = c.locator(".noUi-handle").first
            before = handle.get_attribute("aria-valuenow")
            for key in ("ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown"):
                handle.focus()
                handle.press(key)
                after = handle.get_attribute("aria-valuenow")
                if after != before:
                    return f"pressed {key} on the slider handle ({before} -> {after})"
            box = c.locator(".noUi-target").first.bounding_box()
            for frac in (0.8, 0.2):
                page.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)
                after = handle.get_attribute("aria-valuenow")
                if after != before:
                    return f"clicked the slider track at {frac:.0%} ({before} -> {after})"
            return None
        if kind in ("widget-text", "widget-textarea", "widget-combobox"):
            box = c.locator("input, textarea").first
            if not box.is_editable():
                return None
            old = box.input_value()
            new = _edited_text(old)
            box.fill(new)
            if kind == "widget-textarea":
                box.press("Tab")
            else:
                box.press("Enter")
            return f"typed {new!r} (was {old!r})"
        if kind == "widget-toggle-buttons":
            buttons = c.locator("button:not(.mod-active):not([disabled])")
            if buttons.count() == 0:
                return None
            label = buttons.first.inner_text().strip()
            buttons.first.click()
            return f"clicked the toggle button {label!r}"
        if kind == "widget-radio":
            radios = c.locator("input[type=radio]:not(:checked):not([disabled])")
            if radios.count() == 0:
                return None
            radios.first.check()
            return "chose another radio button"
        if kind == "widget-checkbox":
            box = c.locator("input[type=checkbox]").first
            box.click()
            return f"clicked the checkbox (now {'on' if box.is_checked() else 'off'})"
        if kind in ("widget-toggle-button", "widget-button"):
            label = c.inner_text().strip()
            c.click()
            return f"clicked the button {label!r}"
        if kind == "widget-play":
            c.locator("button").first.click()
            return "clicked play"
        return None

    def _controls(self, cell_index: int, output_i: int) -> list:
        """The controls of one widget view, scanned afresh (a view may redraw its children)."""
        for cell in self.scan():
            if cell["index"] == cell_index:
                for out in cell["outputs"]:
                    if out["i"] == output_i:
                        return out["controls"]
        return []

    def check_explorers(self, scanned) -> None:
        """Change each control of each widget view once, in order; each change
        must change what the cell displays. Buttons and Play are clicked only
        when a view has no other control (a "reset" may rightly change nothing)."""
        for cell in scanned:
            for out in cell["outputs"]:
                if not out["controls"]:
                    continue
                clickers = ("widget-button", "widget-play")
                only_clickers = all(c["kind"] in clickers for c in out["controls"])
                before = self.settled_state(cell["index"], timeout=20)
                changed_something = False
                for j in range(len(out["controls"])):
                    controls = self._controls(cell["index"], out["i"])
                    if j >= len(controls):
                        break
                    control = controls[j]
                    if control["disabled"] or (control["kind"] in clickers and not only_clickers):
                        continue
                    start = time.monotonic()
                    action = self.interact(control["id"], control["kind"])
                    if action is None:
                        continue  # e.g. a dropdown with a single option
                    # a blur sends what a text box holds; the focus ring is not a change
                    self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
                    after = self.settled_state(cell["index"], timeout=self.interaction_timeout, min_wait=1.5)
                    label = f" {control['label'].strip()!r}" if control["label"].strip() else ""
                    explorer = Explorer(cell["index"], f"{control['kind']}{label}", action,
                                        changed=after != before, seconds=time.monotonic() - start)
                    self.report.explorers.append(explorer)
                    if explorer.changed:
                        changed_something = True
                    else:
                        self._problem(f"cell {cell['index']}: {explorer.control}: {action}, "
                                      f"but what the cell displays did not change")
                    before = after
                if not changed_something and not any(
                        e.cell == cell["index"] for e in self.report.explorers):
                    self._problem(f"cell {cell['index']}: no control of widget output {out['i']} could be "
                                  f"changed ({[c['kind'] for c in out['controls']]})")

    # -- kernel-side errors, screenshot -------------------------------------

    def check_kernel_events(self) -> None:
        events = self.page.evaluate(JS_KERNEL_EVENTS) or {"errors": [], "stderr": []}
        for e in events["errors"]:
            if e["parent"] != "execute_request":  # those are cell errors, reported above
                self.report.problems.append(
                    f"kernel error in a widget callback ({e['parent']}): {e['ename']}: {e['evalue']}")
        text = "".join(events["stderr"])
        if TRACEBACK in text or "Exception in comm" in text:
            tail = [ln for ln in text.splitlines() if ln.strip()][-1:]
            self.report.problems.append(
                f"kernel printed a traceback while handling a widget: {' '.join(tail)[:200]}")

    def take_screenshot(self, path: Path, max_height: int = 16_000) -> None:
        page = self.page
        page.mouse.move(1, 1)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        # make the window as tall as the notebook; cells drawn for the first time
        # may grow, so measure again until the height settles
        height = 0
        for _ in range(5):
            wanted = min(max(page.evaluate(JS_NOTEBOOK_HEIGHT), 800), max_height)
            if wanted == height:
                break
            height = wanted
            page.set_viewport_size({"width": 1280, "height": height})
            time.sleep(1.0)
        page.evaluate(JS_NOTEBOOK_HEIGHT)  # scrolls back to the top
        time.sleep(0.3)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        self.report.screenshot = path

    def close(self) -> None:
        if self.page is not None:
            self.page.close()


def _edited_text(old: str) -> str:
    """Another valid-looking value for a text box: flip the last bit of a bit
    string, add 1 to a number, else append a letter."""
    if old and set(old) <= {"0", "1"}:
        return old[:-1] + ("1" if old[-1] == "0" else "0")
    try:
        value = int(old)
        return str(value + 1)
    except ValueError:
        pass
    try:
        value = float(old)
        return repr(value + 1.0)
    except ValueError:
        pass
    return old + "s"


def check_notebook(context, lab, name: str, screenshot: Path | None = None,
                   run_timeout: float = 180.0) -> Report:
    """Open, run and check notebook `name` (a path relative to the server's
    root) in a new tab of the Playwright browser context `context`; `lab` is
    a started lab_server.LabServer. Returns the Report (problems empty when
    everything is fine)."""
    start = time.monotonic()
    run = NotebookRun(context, lab, name, run_timeout=run_timeout)
    try:
        run.open()
        run.run_all()
        state = run.page.evaluate(JS_RUN_STATE)
        scanned = run.check_outputs("after Run All")
        run.check_widget_outputs_rendered(state["cells"], scanned)
        run.report.widgets = sum(o["live"] for c in scanned for o in c["outputs"])
        run.check_explorers(scanned)
        run.check_outputs("after the widget interactions")
        run.check_kernel_events()
        widget_errors = [e for e in run.report.console_errors if re.search(r"(?i)widget|model", e)]
        for e in widget_errors:
            run.report.problems.append(f"browser console error about widgets: {e[:200]}")
        for text in run.page.locator(".jp-Dialog").all_inner_texts():
            run.report.problems.append(f"a dialog is open: {' '.join(text.split())[:200]}")
        if screenshot is not None:
            run.take_screenshot(screenshot)
    finally:
        run.report.total_seconds = time.monotonic() - start
        run.close()
    return run.report
