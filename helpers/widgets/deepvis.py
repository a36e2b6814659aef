"""Explorer widget for class visualisation (notebook 03_deepvis).

``class_explorer(card, ...)`` lets a student search a class by name, pick a
regulariser preset (the paper's ``yosinski1..4``, ...), switch single
regularisers on or off, choose the number of steps, and watch the image
being synthesised: the preview is redrawn every few steps while the ascent
runs. Results are cached, so going back to a setting is instant.

On a small model (ShapesNet, 64 px) every change re-runs at once; on a large
one (VGG16, about a second per step on a laptop CPU) the run starts only
when the "synthesise" button is pressed.
"""
from __future__ import annotations

import html
import re
import time
import warnings

import ipywidgets as widgets
import numpy as np

from .. import maximize
from ..deepvis import find_class
from ..plotting import png_bytes

__all__ = ["ClassExplorer", "class_explorer", "TOGGLES", "search_class_names"]

#: Regulariser switches: name -> (label, strengths used when the preset has none, fields it controls).
TOGGLES = {
    "decay": ("L2 decay", {"l2_decay": 0.01}, ("l2_decay",)),
    "blur": ("Gaussian blur", {"blur_sigma": 1.0, "blur_every": 4}, ("blur_sigma", "blur_every")),
    "norm": ("clip small-norm pixels", {"norm_pct": 20}, ("norm_pct",)),
    "contrib": ("clip small-contribution pixels", {"contrib_pct": 50}, ("contrib_pct",)),
    "jitter": ("jitter", {"jitter": 2}, ("jitter",)),
    "tv": ("total variation", {"tv": 0.3}, ("tv",)),
}


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


def search_class_names(card, text: str, limit: int = 100) -> list[tuple[int, str]]:
    """Classes of ``card`` whose name contains ``text`` (case, spaces, underscores ignored).

    For the 1000 ImageNet classes this is :func:`helpers.imagenet.search_classes`,
    and a name it does not contain but :func:`helpers.imagenet.class_id`
    knows (e.g. "billiard table" -> 736 pool table) is found too.

    Args:
        card: a model card (``class_names``; ``class_id`` for small models).
        text: part of a class name; "" lists all classes (up to ``limit``).
        limit: most matches returned.
    Returns:
        list of (class id, name), in id order.
    Used by: :class:`ClassExplorer`.
    """
    names = list(card.class_names)
    if len(names) == 1000:
        from .. import imagenet

        hits = imagenet.search_classes(text)
        if not hits and text.strip():
            try:
                i = imagenet.class_id(text)
                hits = [(i, names[i])]
            except ValueError:
                hits = []
    else:
        key = _key(text)
        hits = [(i, n) for i, n in enumerate(names) if key in _key(n)]
    return hits[: int(limit)]


class ClassExplorer(widgets.VBox):
    """The widget returned by :func:`class_explorer` (an ipywidgets VBox).

    Attributes (set them from Python to drive it): ``search`` (Text),
    ``class_picker`` (Dropdown of class ids), ``preset_picker`` (Dropdown),
    ``toggles`` (dict name -> Checkbox, names as in :data:`TOGGLES`),
    ``steps_slider``, ``run_button``. Views: ``preview`` (Image, redrawn
    every ``preview_every`` steps), ``progress`` (IntProgress), ``info`` (HTML).
    ``n_previews`` counts preview redraws; ``result`` is the last
    :class:`helpers.maximize.AscentResult`.
    """

    def __init__(self, card, classes=None, preset: str = "yosinski3", steps: int = 100, lr: float = 4.0,
                 seed: int = 0, preview_every: int = 5, auto_run=None, view_px: int = 256, max_options: int = 100):
        from ..inputs import require_card

        card = require_card(card, where="class_explorer")
        if preset not in maximize.PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(maximize.PRESETS)}")
        if int(preview_every) < 1:
            raise ValueError(f"preview_every must be at least 1, got {preview_every!r}")
        self.card, self.lr, self.seed = card, float(lr), int(seed)
        self.preview_every, self.view_px, self.max_options = int(preview_every), int(view_px), int(max_options)
        h, w = card.input_size
        self.auto_run = (h * w <= 128 * 128) if auto_run is None else bool(auto_run)
        classes = list(card.demo_classes) if classes is None else [find_class(card, c) for c in classes]
        if not classes:
            raise ValueError("give at least one class to start with")
        self._cache: dict = {}
        self._busy = False
        self.n_previews = 0
        self.result = None

        self.search = widgets.Text(value="", placeholder="part of a class name", description="search",
                                   continuous_update=False)
        self.class_picker = widgets.Dropdown(options=self._options([(c, card.class_names[c]) for c in classes]),
                                             value=classes[0], description="class")
        self.preset_picker = widgets.Dropdown(options=list(maximize.PRESETS), value=preset, description="preset")
        self.toggles = {k: widgets.Checkbox(value=False, description=label, indent=False)
                        for k, (label, _, _) in TOGGLES.items()}
        self.steps_slider = widgets.IntSlider(value=int(steps), min=1, max=500, step=1, description="steps",
                                              continuous_update=False)
        self.run_button = widgets.Button(description="synthesise", button_style="primary", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=int(steps), description="step")
        self.preview = widgets.Image(format="png")
        self.info = widgets.HTML()
        self._set_toggles_from_preset()

        controls = widgets.VBox([self.search, self.class_picker, self.preset_picker,
                                 widgets.HTML("<b>regularisers</b> (a preset ticks its own)"), *self.toggles.values(),
                                 self.steps_slider, self.run_button])
        super().__init__([widgets.HBox([controls, widgets.VBox([self.preview, self.progress, self.info])])])

        self.search.observe(self._on_search, names="value")
        self.preset_picker.observe(self._on_preset, names="value")
        for wdg in (self.class_picker, self.steps_slider, *self.toggles.values()):
            wdg.observe(self._on_change, names="value")
        self.run_button.on_click(lambda _: self.run())
        if self.auto_run:
            self.run()
        else:
            self.info.value = self._head() + "<br>press <b>synthesise</b> to start (live preview while it runs)"

    # -------------------------------------------------------------- state ----

    def _options(self, hits):
        return [(f"{i}: {name}", int(i)) for i, name in hits]

    def _set_toggles_from_preset(self):
        reg = maximize.PRESETS[self.preset_picker.value]
        self._busy = True
        try:
            for k, (_, _, fields) in TOGGLES.items():
                self.toggles[k].value = any(getattr(reg, f) for f in fields)
        finally:
            self._busy = False

    def regularizers(self) -> maximize.Regularizers:
        """The Regularizers in use: the preset's, with un-ticked ones off and newly ticked ones at their default."""
        reg = maximize.PRESETS[self.preset_picker.value]
        values = {}
        for k, (_, default, fields) in TOGGLES.items():
            active = any(getattr(reg, f) for f in fields)
            if self.toggles[k].value and not active:
                values.update(default)
            elif not self.toggles[k].value and active:
                values.update({f: 0 for f in fields})
        return maximize.regularizers(reg, **values)

    def _head(self) -> str:
        c = int(self.class_picker.value)
        return (f"<b>{html.escape(self.card.class_names[c])}</b> (class {c}), {int(self.steps_slider.value)} steps, "
                f"preset {html.escape(self.preset_picker.value)}; regularisers: "
                f"{html.escape(self.regularizers().describe())}")

    # ------------------------------------------------------------ events ----

    def _on_search(self, change):
        hits = search_class_names(self.card, change["new"], limit=self.max_options)
        if not hits:
            self.info.value = f"no class matches <b>{html.escape(change['new'])}</b>; try part of a name"
            return
        current = self.class_picker.value
        ids = [i for i, _ in hits]
        self._busy = True
        try:
            self.class_picker.options = self._options(hits)
            self.class_picker.value = current if current in ids else ids[0]
        finally:
            self._busy = False
        self._on_change(None)

    def _on_preset(self, change):
        self._set_toggles_from_preset()
        self._on_change(None)

    def _on_change(self, change):
        if self._busy:
            return
        key = self._cache_key()
        if self.auto_run or key in self._cache:
            self.run()
        else:
            self.info.value = self._head() + "<br>press <b>synthesise</b> to run"

    # --------------------------------------------------------------- run ----

    def _cache_key(self):
        return (int(self.class_picker.value), int(self.steps_slider.value), self.regularizers())

    def _show(self, images, dead=None):
        image = maximize.deprocess_images(images, dead=dead)[0]
        self.preview.value = png_bytes(image, scale=max(1, self.view_px // image.shape[0]))
        self.n_previews += 1

    def run(self):
        """Synthesise the image for the current settings (or show it from the cache), with a live preview."""
        c, steps, reg = self._cache_key()
        key = (c, steps, reg)
        self.progress.max = steps
        if key not in self._cache:
            head = self._head()

            def callback(step, images):
                self.progress.value = step
                self._show(images)
                self.info.value = f"{head}<br>step {step} / {steps} ..."

            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # zero gradient: said in the info text
                result = maximize.maximize_classes(self.card.model, [c], steps=steps, seed=self.seed,
                                                   preprocess=self.card.preprocess, lr=self.lr, preset=reg,
                                                   progress=False, callback=callback,
                                                   callback_every=self.preview_every)
            seconds = time.perf_counter() - start
            probs = np.asarray(self.card.model(self.card.preprocess(result.images), training=False))
            self._cache[key] = (result, float(probs[0, c]), seconds)
        result, prob, seconds = self._cache[key]
        self.result = result
        self.progress.value = steps
        self._show(result.images, dead=result.dead)
        if result.dead[0]:
            body = "the class score had a zero gradient at every step: nothing to show"
        else:
            hf = float(maximize.high_frequency_share(result.images)[0])
            body = (f"class score {float(result.history[0, 0]):.3g} &rarr; {float(result.final[0]):.3g}, "
                    f"probability {prob:.3f}, high-frequency share {hf:.2f}, {seconds:.1f} s")
        self.info.value = f"{self._head()}<br>{body}"


def class_explorer(card, classes=None, preset: str = "yosinski3", steps: int = 100, lr: float = 4.0, seed: int = 0,
                   preview_every: int = 5, auto_run=None, view_px: int = 256) -> ClassExplorer:
    """Interactive class visualisation: class search, preset, regulariser toggles, steps, live preview.

    Args:
        card: a model card (``helpers.models.load_model()``): its model,
            preprocess, class names and demo classes are used.
        classes: class ids or names offered at the start (default
            ``card.demo_classes``); the search box finds any other class
            (VGG16: through helpers.imagenet, e.g. "flamingo", "billiard table").
        preset: starting preset, a name in :data:`helpers.maximize.PRESETS`.
        steps: starting number of ascent steps (slider 1..500).
        lr, seed: as in :func:`helpers.maximize.visualize_classes`.
        preview_every: redraw the preview every this many steps.
        auto_run: re-run on every change (default: only for inputs of at
            most 128x128 pixels; otherwise press "synthesise").
        view_px: displayed size of the image (nearest-neighbour enlargement).
    Returns:
        ClassExplorer (an ipywidgets VBox); display it as the last line of a cell.
    Used by: notebook 03.
    """
    return ClassExplorer(card, classes=classes, preset=preset, steps=steps, lr=lr, seed=seed,
                         preview_every=preview_every, auto_run=auto_run, view_px=view_px)
