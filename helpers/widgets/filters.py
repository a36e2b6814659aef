"""Explorer widget for filter patterns (notebook 02_convnet_filters).

``filter_explorer(model, ...)`` lets a student pick a conv layer, a filter,
the number of ascent steps, what is optimised (the pixels, or the Fourier
parametrisation with its transformations) and toggle regularisers; the pattern is
recomputed with :func:`helpers.maximize.maximize_filters` (one filter, a
fraction of a second on ShapesNet) and cached, so going back is instant.
"""
from __future__ import annotations

import html
import time
import warnings

import ipywidgets as widgets

from .. import maximize
from ..activations import conv_layer_names, find_layer
from ..plotting import png_bytes

__all__ = ["FilterExplorer", "filter_explorer", "TOGGLES"]

#: Regulariser switches of the widget: label -> strengths applied when ticked.
TOGGLES = {
    "jitter": ("jitter (2 px)", {"jitter": 2}),
    "decay": ("L2 decay (0.01)", {"l2_decay": 0.01}),
    "blur": ("blur (sigma 1, every 4)", {"blur_sigma": 1.0, "blur_every": 4}),
    "tv": ("total variation (0.3)", {"tv": 0.3}),
    "clip": ("grey small pixels (30%)", {"norm_pct": 30}),
}


class FilterExplorer(widgets.VBox):
    """The widget returned by :func:`filter_explorer` (an ipywidgets VBox).

    Attributes (set them from Python to drive it): ``layer_picker``,
    ``filter_slider``, ``steps_slider``, ``param_picker`` (``"pixel"`` or
    ``"fourier"``), ``toggles`` (dict name -> Checkbox, names as in
    :data:`TOGGLES`; with ``"fourier"`` only jitter applies, on top of the
    preset ``"robust"``, the others are disabled); views: ``pattern_view``
    (Image), ``info`` (HTML).
    """

    def __init__(self, model, layers=None, preprocess=None, size=None, steps: int = 30, lr: float = 4.0,
                 seed: int = 0, view_px: int = 256):
        from ..inputs import unpack_model
        from ..layers import find_layer

        model, preprocess, _ = unpack_model(model, preprocess)
        if layers is not None:
            for name in ([layers] if isinstance(layers, str) else list(layers)):
                find_layer(model, name, valid=conv_layer_names(model), name="layers")
        self.model, self.preprocess, self.size, self.lr, self.seed = model, preprocess, size, lr, seed
        self.view_px = view_px
        names = list(layers) if layers is not None else conv_layer_names(model)
        if not names:
            raise ValueError(f"model {model.name!r} has no convolution layer to explore")
        valid = conv_layer_names(model)
        for name in names:
            find_layer(model, name, valid=valid)
        self._cache: dict = {}
        self._busy = False
        self.layer_picker = widgets.Dropdown(options=names, value=names[0], description="layer")
        self.filter_slider = widgets.IntSlider(value=0, min=0, max=self._channels(names[0]) - 1,
                                               description="filter", continuous_update=False)
        self.steps_slider = widgets.IntSlider(value=int(steps), min=1, max=200, description="steps",
                                              continuous_update=False)
        self.param_picker = widgets.ToggleButtons(options=[("pixels", "pixel"), ("Fourier", "fourier")],
                                                  value="pixel", description="optimise")
        self.toggles = {key: widgets.Checkbox(value=False, description=label, indent=False)
                        for key, (label, _) in TOGGLES.items()}
        self.pattern_view = widgets.Image(format="png")
        self.info = widgets.HTML()
        controls = widgets.VBox([self.layer_picker, self.filter_slider, self.steps_slider, self.param_picker,
                                 widgets.HTML("<b>regularisers</b>"), *self.toggles.values()])
        super().__init__([widgets.HBox([controls, widgets.VBox([self.pattern_view, self.info])])])
        self.layer_picker.observe(self._on_layer, names="value")
        self.param_picker.observe(self._on_param, names="value")
        for w in (self.filter_slider, self.steps_slider, *self.toggles.values()):
            w.observe(lambda change: self.update(), names="value")
        self.update()

    def _channels(self, layer) -> int:
        return int(find_layer(self.model, layer)[1].output.shape[-1])

    def _on_layer(self, change):
        self._busy = True
        try:
            self.filter_slider.max = self._channels(change["new"]) - 1
        finally:
            self._busy = False
        self.update()

    def _on_param(self, change):
        for key, box in self.toggles.items():
            box.disabled = change["new"] == "fourier" and key != "jitter"
        self.update()

    def regularizers(self) -> maximize.Regularizers:
        """The Regularizers selected by the toggles (Fourier: the preset "robust", plus jitter if ticked)."""
        fourier = self.param_picker.value == "fourier"
        chosen = {}
        for key, box in self.toggles.items():
            if box.value and not (fourier and key != "jitter"):
                chosen.update(TOGGLES[key][1])
        return maximize.regularizers("robust" if fourier else None, **chosen)

    def update(self):
        """Recompute (or fetch from the cache) the pattern for the current settings and show it."""
        if self._busy:
            return
        layer, f, steps = self.layer_picker.value, int(self.filter_slider.value), int(self.steps_slider.value)
        regs, param = self.regularizers(), self.param_picker.value
        key = (layer, f, steps, regs, param)
        if key not in self._cache:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # dead filter: said in the info text
                result = maximize.maximize_filters(self.model, layer, [f], steps=steps, size=self.size,
                                                   seed=self.seed, preprocess=self.preprocess,
                                                   lr=self.lr if param == "pixel" else None,
                                                   preset=regs, progress=False, parameterization=param)
            self._cache[key] = (result, time.perf_counter() - start)
        result, seconds = self._cache[key]
        image = maximize.viewable(result)[0]
        self.pattern_view.value = png_bytes(image, scale=max(1, self.view_px // image.shape[0]))
        what = "pixels" if param == "pixel" else "Fourier spectrum"
        head = (f"<b>{html.escape(layer)}</b>, filter {f}, {steps} steps, optimising the {what}, regularisers: "
                f"{html.escape(regs.describe())}")
        if result.dead[0]:
            body = "This filter never fired on the start image (all-zero output, zero gradient): nothing to show."
        else:
            first, last = float(result.history[0, 0]), float(result.final[0])
            body = (f"mean activation {first:.3g} &rarr; {last:.3g}"
                    + (f" (x{last / first:.1f})" if first > 0 else "") + f", {seconds:.2f} s")
        self.info.value = f"{head}<br>{body}"


def filter_explorer(model, layers=None, preprocess=None, size=None, steps: int = 30, lr: float = 4.0,
                    seed: int = 0, view_px: int = 256) -> FilterExplorer:
    """Interactive filter patterns: layer, filter index, steps and regulariser toggles.

    Args:
        model: a model card (its preprocessing is used) or a keras.Model.
        layers: conv layer names to offer (default all conv layers).
        preprocess: e.g. ``card.preprocess`` (applied inside the graph).
        size: pattern size (default the model's input size).
        steps: initial number of ascent steps.
        lr, seed: as in :func:`helpers.maximize.visualize_filters`.
        view_px: displayed size of the pattern in pixels (nearest-neighbour enlargement).
    Returns:
        FilterExplorer (an ipywidgets VBox); display it as the last line of a cell.
    Used by: notebook 02.
    """
    return FilterExplorer(model, layers=layers, preprocess=preprocess, size=size, steps=steps, lr=lr,
                          seed=seed, view_px=view_px)
