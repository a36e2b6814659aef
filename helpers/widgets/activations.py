"""Explorer widget for intermediate activations (notebook 01_vgg16_activations).

``activation_explorer(model, images, ...)`` has three pickers (image, layer,
channel) and shows the input beside the selected channel, enlarged, plus the
most active channels of the layer. All layers of an image are computed in
one forward pass (:func:`helpers.activations.get_activations`) the first
time the image is picked, then cached: moving the sliders is instant.
"""
from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from ..activations import feature_layer_names, get_activations, top_channels, zero_channels
from ..plotting import channel_mosaic, colorize, normalize_channels, png_bytes

__all__ = ["ActivationExplorer", "activation_explorer"]


class ActivationExplorer(widgets.VBox):
    """The widget returned by :func:`activation_explorer` (an ipywidgets VBox).

    Controls (set them from Python to drive it): ``image_picker``,
    ``layer_picker``, ``channel_slider``. Views: ``input_view``,
    ``channel_view``, ``top_view`` (Images) and ``info`` (HTML).
    """

    def __init__(self, model, images, layers=None, preprocess=None, top_k: int = 8, cmap: str = "viridis",
                 view_px: int = 224):
        from ..inputs import check_cmap, check_int, named_images, unpack_model
        from ..layers import find_layer

        model, preprocess, _ = unpack_model(model, preprocess)
        top_k, view_px = check_int(top_k, "top_k", 1), check_int(view_px, "view_px", 16)
        check_cmap(cmap)
        self.model, self.preprocess, self.top_k, self.cmap, self.view_px = model, preprocess, top_k, cmap, view_px
        self.images = named_images(images)
        valid = feature_layer_names(model)
        if layers is None:
            self.layers = valid
        else:
            names = [layers] if isinstance(layers, str) else list(layers)
            for n in names:
                find_layer(model, n, valid=valid, name="layers")
            bad = [n for n in names if n not in valid]
            if bad:
                raise ValueError(f"layers {bad} have no (N, h, w, C) feature map to show; choose from {valid}")
            if not names:
                raise ValueError(f"layers is empty; choose from {valid}")
            self.layers = names
        if not self.layers:
            raise ValueError(f"model {model.name!r} has no layer with a feature map (N, h, w, C)")
        self._acts: dict = {}
        self._busy = False
        first = self._activation(next(iter(self.images)), self.layers[0])
        self.image_picker = widgets.Dropdown(options=list(self.images), description="image")
        self.layer_picker = widgets.Dropdown(options=self.layers, value=self.layers[0], description="layer")
        self.channel_slider = widgets.IntSlider(value=0, min=0, max=first.shape[-1] - 1, description="channel",
                                                continuous_update=False)
        self.input_view = widgets.Image(format="png")
        self.channel_view = widgets.Image(format="png")
        self.top_view = widgets.Image(format="png")
        self.info = widgets.HTML()
        controls = widgets.HBox([self.image_picker, self.layer_picker, self.channel_slider])
        views = widgets.HBox([self._titled("input", self.input_view), self._titled("selected channel", self.channel_view),
                              self._titled(f"{top_k} most active channels", self.top_view)])
        super().__init__([controls, views, self.info])
        self.image_picker.observe(self._on_change, names="value")
        self.layer_picker.observe(self._on_change, names="value")
        self.channel_slider.observe(lambda change: self.update(), names="value")
        self.update()

    @staticmethod
    def _titled(title, view):
        return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), view])

    def _activation(self, image_name, layer) -> np.ndarray:
        """(h, w, C) activation of ``layer`` for one image (all layers computed at once, cached)."""
        if image_name not in self._acts:
            image = self.images[image_name][None]
            acts = get_activations(self.model, image, self.layers, preprocess=self.preprocess)
            self._acts[image_name] = {name: a[0] for name, a in acts.items()}
        return self._acts[image_name][layer]

    def _on_change(self, change):
        act = self._activation(self.image_picker.value, self.layer_picker.value)
        self._busy = True
        try:
            self.channel_slider.max = act.shape[-1] - 1
        finally:
            self._busy = False
        self.update()

    def update(self):
        """Redraw the views for the current image, layer and channel."""
        if self._busy:
            return
        name, layer, c = self.image_picker.value, self.layer_picker.value, int(self.channel_slider.value)
        image = self.images[name]
        act = self._activation(name, layer)
        c = min(c, act.shape[-1] - 1)
        self.input_view.value = png_bytes(image, scale=max(1, self.view_px // image.shape[0]))
        scaled, constant = normalize_channels(act[..., c:c + 1])
        rgb = colorize(scaled, self.cmap, blank=constant)[0]
        self.channel_view.value = png_bytes(255 * rgb, scale=max(1, self.view_px // act.shape[0]))
        top = top_channels(act, self.top_k)
        tiles, _ = channel_mosaic(act, top, ncols=4, cmap=self.cmap)
        self.top_view.value = png_bytes(255 * tiles, scale=max(1, self.view_px // tiles.shape[0]))
        zeros = zero_channels(act)
        ch = act[..., c]
        state = "all zero (silent for this image)" if zeros[c] else f"mean {ch.mean():.3g}, max {ch.max():.3g}"
        self.info.value = (
            f"<b>{html.escape(layer)}</b> {act.shape[0]}x{act.shape[1]}x{act.shape[2]} on {html.escape(name)}; "
            f"channel {c}: {state}.<br>Most active channels: {', '.join(str(int(i)) for i in top)}. "
            f"All-zero channels in this layer: {int(zeros.sum())} of {act.shape[-1]}."
        )


def activation_explorer(model, images, layers=None, preprocess=None, top_k: int = 8, cmap: str = "viridis",
                        view_px: int = 224) -> ActivationExplorer:
    """Interactive activations: pick an image, a layer and a channel.

    Args:
        model: a model card (its preprocessing is used) or a keras.Model.
        images: dict name -> (H, W, 3) float 0..255 (e.g. ``card.sample_images()``)
            or an array (N, H, W, 3).
        layers: layer names to offer (default every layer with a feature map).
        preprocess: e.g. ``card.preprocess``.
        top_k: number of most active channels shown.
        cmap: colormap of the channel views.
        view_px: displayed size of the views in pixels.
    Returns:
        ActivationExplorer (an ipywidgets VBox); display it as the last line of a cell.
    Used by: notebook 01.
    """
    return ActivationExplorer(model, images, layers=layers, preprocess=preprocess, top_k=top_k, cmap=cmap,
                              view_px=view_px)
