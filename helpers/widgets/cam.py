"""Explorer widget for class activation maps (notebook 04_gradcam).

``cam_explorer(card, images)`` shows an image beside its heatmap overlay (with
the 15 % localisation box) and lets a student pick the image, one of its
top-k classes, the feature layer, the method and the overlay opacity.  Maps
are computed with :func:`helpers.cam.maps` and cached, so moving the
alpha slider or returning to an earlier choice is instant.
"""
from __future__ import annotations

import io

import numpy as np

from .. import cam
from ..cam.methods import DEFAULT_METHOD
from ..layers import find_layer

__all__ = ["cam_explorer"]


def _png(array) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _upscale(img, scale):
    from PIL import Image

    img = np.clip(np.asarray(img, dtype=np.float32), 0, 255).round().astype(np.uint8)
    if scale == 1:
        return img
    h, w = img.shape[:2]
    return np.asarray(Image.fromarray(img).resize((w * scale, h * scale), Image.NEAREST))


def _draw_box(img, box, scale):
    from PIL import Image, ImageDraw

    if box is None:
        return img
    pil = Image.fromarray(img)
    x0, y0, x1, y1 = (v * scale for v in box)
    draw = ImageDraw.Draw(pil)
    draw.rectangle([x0, y0, x1 - 1, y1 - 1], outline=(0, 0, 0), width=4)          # a black outline ...
    draw.rectangle([x0 + 1, y0 + 1, x1 - 2, y1 - 2], outline=(255, 255, 255), width=2)   # ... shows on light and dark
    return np.asarray(pil)


def cam_explorer(
    model,
    images,
    class_names=None,
    preprocess=None,
    layers=None,
    methods=None,
    top_k: int = 5,
    alpha: float = 0.75,
    display_size: int = 256,
):
    """An ipywidgets explorer: image, class (its top-k list), layer, method, overlay alpha.

    Args:
        model: a model card (``helpers.models.load_model()``; gives class
            names, preprocessing and the default layer) or a keras.Model.
        images: dict name -> (H, W, 3) image 0..255 (e.g. ``card.sample_images()``)
            or an (N, H, W, 3) array.
        class_names: list of names (default: the card's, else "class i").
        preprocess: images -> model input (default: the card's, else identity).
        layers: feature layer names offered (default: all 4-D layers).
        methods: methods offered (any of ``helpers.cam.ALL_METHODS``; default
            ``helpers.cam.METHODS``, starting on Grad-CAM).
        top_k: how many of the image's best classes the class list offers.
        alpha: initial opacity of the hottest pixels (each pixel is coloured with opacity alpha x heat, inferno colour map, so cold regions show the image as it is).
        display_size: approximate side in pixels of each displayed picture.
    Returns:
        ipywidgets.VBox with attributes ``controls`` (dict name -> widget:
        "image", "class_id", "layer", "method", "alpha"), ``view`` (the
        ipywidgets.Image showing image | overlay) and ``info`` (HTML line).
    Used by: notebook 04_gradcam.
    """
    import ipywidgets as W

    from ..inputs import check_int, check_number, is_card, named_images, unpack_model

    card = model if is_card(model) else None
    keras_model, preprocess, _ = unpack_model(model, preprocess)
    if class_names is None:
        class_names = list(card.class_names) if card is not None else None
    top_k, display_size = check_int(top_k, "top_k", 1), check_int(display_size, "display_size", 16)
    alpha = check_number(alpha, "alpha", 0.0, 1.0)
    if methods is None:
        methods = cam.METHODS
    if isinstance(methods, str):
        methods = (methods,)
    shape = tuple(keras_model.inputs[0].shape[1:3])
    named = named_images(images, size=shape if None not in shape else None)
    if len({v.shape for v in named.values()}) != 1:
        raise ValueError(f"all images must have one size, got shapes {sorted({v.shape for v in named.values()})}.")
    unknown = [m for m in methods if m not in cam.ALL_METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {cam.ALL_METHODS}.")
    all_layers = cam.feature_layers(keras_model)
    if layers is None:  # offer the network's own layers, not input rescaling / normalisation
        import keras

        skip = (keras.layers.Rescaling, keras.layers.Normalization, keras.layers.InputLayer)
        layers = [name for name in all_layers
                  if not isinstance(find_layer(keras_model, name)[2], skip)]
    layers = list(layers)
    bad = [name for name in layers if name not in all_layers and not any(v.endswith("/" + name) for v in all_layers)]
    if bad:
        raise ValueError(f"layers {bad} are not 4-D feature layers; valid: {all_layers}.")
    start_layer = cam.default_layer(card if card is not None else keras_model)
    if start_layer not in layers:
        layers.append(start_layer)

    stack = np.stack(list(named.values()))
    x = preprocess(stack) if preprocess is not None else stack
    probs = np.asarray(keras_model(np.asarray(x, dtype=np.float32), training=False))
    n_classes = probs.shape[1]
    if class_names is None:
        class_names = [f"class {i}" for i in range(n_classes)]
    top_k = int(max(1, min(top_k, n_classes)))
    probs_by_name = dict(zip(named, probs))

    def class_options(name):
        p = probs_by_name[name]
        order = np.argsort(-p, kind="stable")[:top_k]
        return [(f"{class_names[c]} ({p[c]:.1%})", int(c)) for c in order]

    first = next(iter(named))
    style = {"description_width": "60px"}
    image_dd = W.Dropdown(options=list(named), value=first, description="image", style=style)
    class_dd = W.Dropdown(options=class_options(first), description="class", style=style)
    layer_dd = W.Dropdown(options=layers, value=start_layer, description="layer", style=style)
    method_dd = W.Dropdown(options=list(methods), value=DEFAULT_METHOD if DEFAULT_METHOD in methods else methods[0],
                           description="method", style=style)
    alpha_sl = W.FloatSlider(value=float(alpha), min=0.0, max=1.0, step=0.05, description="alpha", style=style)
    view = W.Image(format="png")
    info = W.HTML()
    cache: dict = {}
    h, w = next(iter(named.values())).shape[:2]
    scale = max(1, int(round(display_size / max(h, w))))
    busy = [False]

    def heatmap(name, cid, layer, method):
        key = (name, cid, layer, method)
        if key not in cache:
            # the one map function of helpers.cam (a zero map is shown as a zero map, silently)
            cache[key] = cam.maps(keras_model, named[name][None], [cid], method, layer, preprocess=preprocess,
                                  size=None)[0]
        return cache[key]

    def render(*_):
        if busy[0]:
            return
        name, cid, layer, method = image_dd.value, class_dd.value, layer_dd.value, method_dd.value
        img = named[name]
        left = _upscale(img, scale)
        try:
            hm = heatmap(name, cid, layer, method)
        except ValueError as exc:
            view.value = _png(np.concatenate([left, np.full_like(left, 255)], axis=1))
            info.value = f"<b>{name}</b> · {method} at <code>{layer}</code>: <i>{exc}</i>"
            return
        right = _upscale(cam.overlay(img, hm, alpha=alpha_sl.value, cmap="inferno", ramp=True), scale)
        box = cam.heatmap_box(hm, size=img.shape[:2])
        right = _draw_box(right, box, scale)
        gap = np.full((left.shape[0], 4, 3), 255, np.uint8)
        view.value = _png(np.concatenate([left, gap, right], axis=1))
        p = probs_by_name[name][cid]
        zero = " (map is zero everywhere)" if hm.max() == 0 else ""
        info.value = (
            f"<b>{name}</b> · class <b>{class_names[cid]}</b> (p = {p:.1%}) · {method} at "
            f"<code>{layer}</code> ({hm.shape[0]}x{hm.shape[1]} map) · alpha {alpha_sl.value:.2f}"
            f" · box {box}{zero}"
        )

    def on_image(change):
        busy[0] = True
        try:
            class_dd.options = class_options(change["new"])
            class_dd.value = class_dd.options[0][1]
        finally:
            busy[0] = False
        render()

    image_dd.observe(on_image, names="value")
    for wdg in (class_dd, layer_dd, method_dd, alpha_sl):
        wdg.observe(render, names="value")
    render()
    box = W.VBox([W.HBox([image_dd, class_dd, layer_dd]), W.HBox([method_dd, alpha_sl]), view, info])
    box.controls = {"image": image_dd, "class_id": class_dd, "layer": layer_dd, "method": method_dd,
                    "alpha": alpha_sl}
    box.view = view
    box.info = info
    return box
