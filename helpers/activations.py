"""Intermediate activations: what each layer of a convnet outputs for an image.

The first of the lecture's three ways to look inside a convnet. The central
function, :func:`get_activations`, builds **one** feature-extractor model for
all the requested layers (cached per model and layer list) and runs **one**
forward pass, so looking at eight layers costs one prediction, not eight.

Finding a layer, the layer lists and the sub-models "input -> that layer" live
in :mod:`helpers.layers` (one walk for every module); the names
``find_layer``, ``conv_layer_names``, ``feature_layer_names``, ``layer_model``
and ``layer_input_model`` still work from here.

Notebook 02 asks the photos which filters to look at
(:func:`strongest_channels`) and shows, beside each filter's optimised
pattern, the pieces of the photos where it fires most
(:func:`dataset_examples`, cropped to about the size of the layer's
:func:`receptive_field`).

Used by notebooks 01 (activations) and 02 (filters) and, through
:mod:`helpers.maximize`, notebooks 02 and 03.
"""
from __future__ import annotations

import numpy as np

from . import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)
from . import layers as layer_tools

__all__ = [
    "find_layer",
    "conv_layer_names",
    "feature_layer_names",
    "layer_model",
    "layer_input_model",
    "get_activations",
    "zero_channels",
    "zero_channel_fraction",
    "top_channels",
    "input_similarity",
    "top_channel_overlap",
    "strongest_channels",
    "zoomed_views",
    "receptive_field",
    "dataset_examples",
]

def find_layer(model, name: str, valid: list[str] | None = None):
    """The layer called ``name`` and the (possibly nested) model that owns it: ``(owner, layer)``.

    :func:`helpers.layers.find_layer` without the path (the form helpers.maximize
    uses); the error lists ``valid`` (default: the conv layers).
    """
    return layer_tools.find_layer(model, name, valid=conv_layer_names(model) if valid is None else valid)[1:]


# The layer lists and sub-models live in helpers.layers (one walk for every module).
conv_layer_names = layer_tools.conv_layers
feature_layer_names = layer_tools.feature_layers
layer_model = layer_tools.layer_model
layer_input_model = layer_tools.layer_input_model


def _check_activation(activation, name="activation", ranks=(3,), what="(h, w, C) for one image"):
    """A finite feature map of an allowed rank as float64, or a clear error naming ``name``."""
    try:
        a = np.asarray(activation, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers {what}, got {type(activation).__name__}.") from None
    if a.ndim not in ranks:
        raise ValueError(f"{name} must be {what}, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}).")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return a


def get_activations(model, images, layers, preprocess=None, batch_size: int = 4) -> dict:
    """Outputs of several layers for a batch of images, in one forward pass.

    Args:
        model: a keras.Model.
        images: (N, H, W, 3) float 0..255 (before preprocessing) or one (H, W, 3).
        layers: list of layer names (or one name).
        preprocess: function applied to the images before the model, e.g.
            ``card.preprocess``; default identity.
        batch_size: images per forward pass. Memory grows with it: notebook
            02's 20 photo views of EfficientNet-Lite0 at 224 px, five layers,
            took the kernel to 2.4 GB in one pass and 1.0 GB in passes of 4
            (Binder allows 2 GB), at about the same speed on a CPU.
    Returns:
        dict name -> numpy float32 array (N, h, w, C) (or whatever rank the
        layer outputs), in the order asked.
    Raises:
        ValueError for unknown layers (listing the valid ones) or badly
        shaped images.
    Used by: notebooks 01 and 02, helpers.gallery and helpers.widgets.activations.
    """
    import tensorflow as tf

    from .inputs import check_images, check_int, unpack_model

    model, preprocess, _ = unpack_model(model, preprocess)
    batch_size = check_int(batch_size, "batch_size", 1)
    if isinstance(layers, str):
        names = [layers]
    elif isinstance(layers, (list, tuple)) and all(isinstance(n, str) for n in layers):
        names = list(layers)
    else:
        raise TypeError(f"layers must be a layer name or a list of names, got {layers!r}.")
    channels = model.inputs[0].shape[-1]
    images, _ = check_images(images, value_range=preprocess is not None, channels=channels)
    fixed = layer_tools.fixed_size(model)
    flexible = fixed is not None and tuple(images.shape[1:3]) != fixed
    extractor = layer_model(model, names, flexible=flexible)
    outs: list[list[np.ndarray]] = [[] for _ in names]
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        if preprocess is not None:
            batch = preprocess(batch)
        try:
            result = extractor(tf.convert_to_tensor(batch, tf.float32), training=False)
        except (tf.errors.OpError, ValueError) as exc:
            raise ValueError(
                f"the images ({images.shape[1]}x{images.shape[2]}) could not pass through {model.name!r} up to "
                f"{names}: too small for its poolings, or not the size it needs"
                + (f" ({fixed[0]}x{fixed[1]}; helpers.images.load_image(path, size=card.input_size))" if fixed else "")
                + f". ({type(exc).__name__})"
            ) from None
        if not isinstance(result, (list, tuple)):  # Keras unwraps a one-output list
            result = [result]
        for i, r in enumerate(result):
            outs[i].append(np.asarray(r, dtype=np.float32))
    return {name: np.concatenate(parts, axis=0) for name, parts in zip(names, outs)}


def zero_channels(activation) -> np.ndarray:
    """Which channels of one feature map are all zero (silent after the ReLU).

    Args:
        activation: (h, w, C) array for one image (or (N, h, w, C): then a
            channel counts as zero only if it is zero for every image).
    Returns:
        bool array (C,).
    Used by: notebook 01 (sparsity with depth).
    """
    a = _check_activation(activation, ranks=(3, 4), what="(h, w, C) or (N, h, w, C)")
    axes = tuple(range(a.ndim - 1))
    return ~np.any(a != 0, axis=axes)


def zero_channel_fraction(activation) -> float:
    """Fraction of the channels of a feature map that are all zero (see :func:`zero_channels`)."""
    z = zero_channels(activation)
    return float(z.mean()) if z.size else 0.0


def top_channels(activation, k: int = 8) -> np.ndarray:
    """Indices of the ``k`` channels with the largest mean activation, strongest first.

    Args:
        activation: (h, w, C) feature map of one image.
        k: how many (clipped to C).
    Returns:
        int array (min(k, C),).
    Used by: helpers.widgets.activations (notebook 01).
    """
    from .inputs import check_int

    a = _check_activation(activation)
    means = a.mean(axis=(0, 1))
    k = min(check_int(k, "k", 1), a.shape[-1])
    order = np.argsort(-means, kind="stable")
    return order[:k]


def input_similarity(activation, image) -> float:
    """How much of the picture a feature map still shows, in [0, 1].

    Every channel is enlarged (nearest neighbour) to the image size and
    correlated (Pearson) with the image's grey levels; the result is the best
    absolute correlation over the channels. An early layer has channels that
    are almost the photo (close to 1); deep, coarse, abstract maps are not.
    Constant channels count as 0 (no NaN).

    Args:
        activation: (h, w, C) feature map of one image.
        image: (H, W, 3) the image (0..255) the map was computed from.
    Returns:
        float in [0, 1].
    Used by: notebook 01.
    """
    from .inputs import check_images

    a = _check_activation(activation)
    img, single = check_images(image, name="image")
    if not single:
        raise ValueError(f"image must be one image (H, W, 3), got a batch of shape {img.shape}; pass images[i].")
    img = np.asarray(image, dtype=np.float64).reshape(img.shape[1:])    # checked above; full precision
    H, W = img.shape[:2]
    h, w = a.shape[:2]
    rows = (np.arange(H) * h) // H                   # the map cell each pixel row / column falls in
    cols = (np.arange(W) * w) // W
    # The enlarged channel is constant on each cell's block of pixels, so its correlation with the
    # image can be computed on the small map: block sizes and block sums of the centred grey levels
    # (exactly the same numbers, without an (H*W, C) array: 0.5 GB for 1280 channels at 224 px).
    counts = np.outer(np.bincount(rows, minlength=h), np.bincount(cols, minlength=w)).astype(np.float64)
    grey = img.mean(axis=-1)
    grey = grey - grey.mean()
    block_sums = np.zeros((h, w))
    np.add.at(block_sums, (rows[:, None], cols[None, :]), grey)
    centred = a - np.einsum("hw,hwc->c", counts, a) / (H * W)
    denom = np.sqrt(np.einsum("hw,hwc->c", counts, centred ** 2)) * np.linalg.norm(grey)
    corr = np.abs(np.einsum("hw,hwc->c", block_sums, centred)) / np.where(denom > 0, denom, 1.0)
    corr[denom <= 1e-12] = 0.0
    return float(min(1.0, corr.max())) if corr.size else 0.0


def top_channel_overlap(activations, k: int = 8) -> float:
    """How much different images share their most active channels, in [0, 1].

    For each image the set of its ``k`` most active channels (largest mean)
    is taken; the result is the mean Jaccard overlap |A & B| / |A | B| over
    all pairs of images. Near 1: the same generic detectors fire for every
    image; near 0: each image has its own channels.

    Args:
        activations: (N, h, w, C) feature maps of N >= 2 images (one layer).
        k: channels per image.
    Returns:
        float in [0, 1].
    Used by: notebook 01.
    """
    a = _check_activation(activations, "activations", ranks=(4,), what="(N, h, w, C) for N >= 2 images")
    if len(a) < 2:
        raise ValueError(f"activations must hold at least 2 images (N, h, w, C), got shape {a.shape}")
    tops = [set(top_channels(x, k).tolist()) for x in a]
    pairs = [len(s & t) / len(s | t) for i, s in enumerate(tops) for t in tops[i + 1:]]
    return float(np.mean(pairs))


# ------------------------------------------------- filters seen on photos ----

def strongest_channels(activations, k: int = 4, by: str = "contrast", among=None) -> np.ndarray:
    """Channels of one layer ranked by how strongly they respond to several images, strongest first.

    Two measures (over all images and positions of one layer):

    * ``"contrast"`` (default): how far each image's strongest response
      stands out from the channel's usual level, in the channel's own
      standard deviations, averaged over the images:
      ``mean_n (max_{y,x} a[n, y, x, c] - mean(a_c)) / std(a_c)``. A channel
      that fires hard at one spot of every photo (an eye, an edge) scores
      high, one that is the same everywhere scores 0 (a constant channel
      too). The scale of a channel does not matter, so channels of a layer
      before its normalisation compare fairly.
    * ``"mean"``: the mean activation, the quantity gradient ascent
      maximises (:func:`top_channels` with the images laid one below the
      other); it favours channels that are on everywhere (a colour, brightness).

    Args:
        activations: (N, h, w, C) one layer's feature maps of N >= 1 images,
            e.g. ``get_activations(model, photos, [layer])[layer]``.
        k: how many channels (clipped to the number allowed).
        by: ``"contrast"`` or ``"mean"``.
        among: optional (C,) bool mask or list of channel indices: choose only
            among these (e.g. the channels that respond to a grey image at all,
            so that gradient ascent from grey has a gradient to follow).
    Returns:
        int array (min(k, allowed),): channel indices, strongest first (ties:
        lower index first).
    Raises:
        ValueError for another shape, an empty or non-finite array, an
        unknown ``by``, or an ``among`` that allows no channel; TypeError for
        a non-integer ``k``.
    Used by: notebook 02.
    """
    from .inputs import check_int

    a = _check_activation(activations, "activations", ranks=(4,), what="(N, h, w, C) for N images")
    k = check_int(k, "k", 1)
    c = a.shape[-1]
    if by == "mean":
        score = a.mean(axis=(0, 1, 2))
    elif by == "contrast":
        mean, std = a.mean(axis=(0, 1, 2)), a.std(axis=(0, 1, 2))
        peaks = a.max(axis=(1, 2)).mean(axis=0)
        score = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), (peaks - mean) / np.where(std > 0, std, 1.0), 0.0)
    else:
        raise ValueError(f"by must be 'contrast' or 'mean', got {by!r}")
    allowed = np.ones(c, bool)
    if among is not None:
        given = np.asarray(among)
        if given.dtype == bool:
            if given.shape != (c,):
                raise ValueError(f"among as a mask must have one entry per channel, shape ({c},), got {given.shape}")
            allowed = given
        else:
            if given.size and (given.dtype.kind not in "iu" or given.min() < 0 or given.max() >= c):
                raise ValueError(f"among must hold channel indices 0..{c - 1}, got {given.ravel()[:8].tolist()}")
            allowed = np.zeros(c, bool)
            allowed[given.astype(np.int64)] = True
        if not allowed.any():
            raise ValueError("among allows no channel: give at least one channel to choose from.")
    order = np.argsort(-score, kind="stable")
    return order[allowed[order]][:k]


def zoomed_views(images, zoom: int = 2, names=None):
    """The images, each followed by its ``zoom`` x ``zoom`` tiles enlarged to the full size.

    A few photos make few dataset examples, and a deep layer's receptive
    field covers most of a photo; the enlarged tiles show the network the
    same objects ``zoom`` times larger, so a deep channel can also be found
    firing on a part of an object (an eye rather than the whole cat).
    Enlarging is bilinear; a tile of an image whose side is not a multiple of
    ``zoom`` drops the last few rows / columns.

    Args:
        images: (N, H, W, 3) 0..255 (or one (H, W, 3)), or a dict name ->
            (H, W, 3) image such as ``card.sample_images()``.
        zoom: tiles per side, 1..8 (1: the images alone).
        names: N names for the labels (default: the dict's keys, or
            ``"image 0"``, ``"image 1"``...).
    Returns:
        (views, source, labels): views (N * (1 + zoom**2), H, W, 3) float32
        in 0..255, image n first and then its tiles row by row; source
        (N * (1 + zoom**2),) int, the image each view comes from; labels, a
        list of short strings, the image's name for the whole image and e.g.
        ``"cat x2"`` for an enlarged tile.
    Raises:
        ValueError for bad images (see ``helpers.inputs.check_images``), a
        ``zoom`` outside 1..8 or larger than the images, or names of the wrong length.
    Used by: notebook 02.
    """
    import tensorflow as tf

    from .inputs import check_images, check_int

    if isinstance(images, dict):
        names = list(images) if names is None else names
        images = np.stack(list(images.values())) if images else np.zeros((0, 1, 1, 3))
    zoom = check_int(zoom, "zoom", 1, 8)
    x, _ = check_images(images)
    n, H, W = x.shape[:3]
    names = [f"image {i}" for i in range(n)] if names is None else [str(v) for v in names]
    if len(names) != n:
        raise ValueError(f"got {len(names)} names for {n} images")
    th, tw = H // zoom, W // zoom
    if min(th, tw) < 1:
        raise ValueError(f"images of {H}x{W} pixels cannot be cut into {zoom}x{zoom} tiles.")
    views, source, labels = [], [], []
    for i in range(n):
        views.append(x[i])
        labels.append(names[i])
        if zoom > 1:
            tiles = np.stack([x[i, r * th:(r + 1) * th, c * tw:(c + 1) * tw] for r in range(zoom) for c in range(zoom)])
            views.extend(np.clip(tf.image.resize(tiles, (H, W), method="bilinear").numpy(), 0, 255))
            labels += [f"{names[i]} x{zoom}"] * len(tiles)
        source += [i] * (1 + (zoom * zoom if zoom > 1 else 0))
    return np.stack(views).astype(np.float32), np.asarray(source, np.int64), labels


def _crop_origin(centre: float, side: int, length: int) -> int:
    """First pixel of a window of ``side`` pixels centred at ``centre`` (continuous coordinates), kept inside 0..length."""
    start = int(np.floor(centre - side / 2 + 0.5))
    return min(max(start, 0), length - side)


def _feature_model_for(model, layer, images, preprocess):
    """(sub-model input -> layer output, preprocess, checked images (N, H, W, 3) float32) for the functions below."""
    from .inputs import check_images, unpack_model

    model, preprocess, _ = unpack_model(model, preprocess)
    if not isinstance(layer, str):
        raise TypeError(f"layer must be a layer name (a string), e.g. {conv_layer_names(model)[:1]}, got {layer!r}.")
    images, _ = check_images(images, value_range=preprocess is not None, channels=model.inputs[0].shape[-1])
    fixed = layer_tools.fixed_size(model)
    sub = layer_model(model, layer, flexible=fixed is not None and tuple(images.shape[1:3]) != fixed)
    if len(sub.outputs[0].shape) != 4:
        raise ValueError(f"layer {layer!r} does not output a feature map (N, h, w, C) but shape "
                         f"{tuple(sub.outputs[0].shape)}; choose one of feature_layer_names(model).")
    return sub, preprocess, images


def receptive_field(model, layer: str, images, preprocess=None, share: float = 0.8) -> int:
    """Side in pixels of the square of the input that one position of ``layer`` mostly depends on.

    Measured, not read off the architecture: the gradient of the central
    position of the layer's map (all channels, mixed with fixed random signs
    so that they do not cancel) with respect to the input images, in absolute
    value, summed over colours and averaged over the images. The result is
    the side of the smallest square centred on that position (placed as
    :func:`dataset_examples` places its crops) that holds ``share`` of it.
    With ``share=1`` this is the theoretical receptive field (every pixel
    that can change the position), clipped to the image; deep layers' theoretical
    fields are larger than the image, but most of the influence comes from the
    middle of it: the *effective* receptive field (Luo et al. 2016,
    "Understanding the Effective Receptive Field in Deep Convolutional Neural
    Networks"), which the default 0.8 measures.

    Args:
        model: a keras.Model or a model card.
        layer: name of a layer with a feature-map output (N, h, w, C).
        images: (N, H, W, 3) or one (H, W, 3), 0..255 (e.g. the sample photos);
            the gradient is averaged over them.
        preprocess: e.g. ``card.preprocess`` (a card's own by default).
        share: fraction of the gradient the square must hold, in (0, 1].
    Returns:
        int between 1 and min(H, W). A position whose gradient is zero on
        every image (a dead channel mix) gives the map's stride, rounded up.
    Raises:
        ValueError for an unknown layer (listing the valid ones), empty or
        badly shaped images, or ``share`` outside (0, 1].
    Used by: dataset_examples (notebook 02).
    """
    import tensorflow as tf

    from .inputs import check_number

    share = check_number(share, "share", 0.0, 1.0, strict_minimum=True)
    sub, preprocess, images = _feature_model_for(model, layer, images, preprocess)
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        a = sub(preprocess(x) if preprocess is not None else x, training=False)
        h, w, c = (int(v) for v in a.shape[1:])
        signs = np.random.default_rng(0).choice([-1.0, 1.0], size=c).astype(np.float32)
        total = tf.reduce_sum(a[:, h // 2, w // 2, :] * signs)
    g = np.abs(tape.gradient(total, x).numpy()).sum(axis=-1).mean(axis=0).astype(np.float64)   # (H, W)
    H, W = g.shape
    cy, cx = (h // 2 + 0.5) * H / h, (w // 2 + 0.5) * W / w
    if not g.sum() > 0:
        return int(min(np.ceil(max(H / h, W / w)), min(H, W)))
    integral = np.pad(g.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    for side in range(1, min(H, W) + 1):
        y0, x0 = _crop_origin(cy, side, H), _crop_origin(cx, side, W)
        mass = integral[y0 + side, x0 + side] - integral[y0, x0 + side] - integral[y0 + side, x0] + integral[y0, x0]
        if mass >= share * g.sum() * (1 - 1e-9):
            return side
    return min(H, W)


def dataset_examples(model, images, layer: str, channels, k: int = 3, crop=None, preprocess=None,
                     activation=None) -> dict:
    """The pieces of the images where a channel fires most ("dataset examples").

    Olah, Mordvintsev & Schubert 2017, "Feature Visualization" (Distill),
    show beside each optimised pattern the crops of real images that
    activate the channel most. Here, for each image: the position of the
    largest value of the channel's map (first one in row order if tied),
    mapped back to the input by the map's stride (input size / map size:
    map position (i, j) has its centre at pixel ((i + 0.5) * stride_y,
    (j + 0.5) * stride_x)), and a ``crop`` x ``crop`` square around it,
    shifted inwards where it would leave the image. The ``k`` images with
    the largest peak give the examples, strongest first: one crop per image.

    Args:
        model: a keras.Model or a model card.
        images: (N, H, W, 3) 0..255 images (e.g. the sample photos), N >= 1.
        layer: name of a layer with a feature-map output (N, h, w, C).
        channels: a channel index, or a list of F of them.
        k: examples per channel (clipped to N).
        crop: side of the crops in pixels (clipped to min(H, W)); default
            :func:`receptive_field` of the layer on these images.
        preprocess: e.g. ``card.preprocess`` (a card's own by default).
        activation: optional (N, h, w, C) feature maps of ``layer`` for these
            images, already computed (``get_activations``): saves the forward pass.
    Returns:
        dict with, for one channel (for a list: one more leading axis F):
        ``"crops"`` (K, c, c, 3) float32 0..255, ``"image"`` (K,) int index of
        the image, ``"value"`` (K,) float32 activation at the peak,
        ``"position"`` (K, 2) int (row, column) of the peak in the map,
        ``"box"`` (K, 4) int (x0, y0, x1, y1) of the crop in pixels (x1, y1
        exclusive); and ``"crop"`` (int c) and ``"stride"`` ((sy, sx) floats).
    Raises:
        ValueError for an unknown layer (listing the valid ones), a channel
        out of range, empty or badly shaped images, ``k`` or ``crop`` < 1;
        TypeError for a channel that is not an integer.
    Used by: notebook 02.
    """
    from .inputs import check_int

    k = check_int(k, "k", 1)
    single = isinstance(channels, (int, np.integer)) and not isinstance(channels, bool)
    try:
        chans = [channels] if single or isinstance(channels, (str, bytes)) else list(channels)
    except TypeError:
        raise TypeError(f"channels must be a channel index or a list of them, got {channels!r}.") from None
    if not chans:
        raise ValueError("channels is empty: give a channel index or a list of them, e.g. strongest_channels(...).")
    sub, preprocess, images = _feature_model_for(model, layer, images, preprocess)
    n, H, W = images.shape[:3]
    n_channels = int(sub.outputs[0].shape[-1])
    chans = [check_int(ch, "each channel (a channel index)") for ch in chans]
    for ch in chans:
        if not 0 <= ch < n_channels:
            raise ValueError(f"channel {ch} out of range: layer {layer!r} has {n_channels} channels "
                             f"(0..{n_channels - 1}).")
    if crop is None:
        crop = receptive_field(model, layer, images, preprocess=preprocess)
    side = min(check_int(crop, "crop", 1), H, W)
    if activation is None:
        act = get_activations(model, images, [layer], preprocess=preprocess)[layer]
    else:
        act = _check_activation(activation, "activation", ranks=(4,), what=f"(N, h, w, C) maps of layer {layer!r}")
        if len(act) != n or act.shape[-1] != n_channels:
            raise ValueError(f"activation has shape {act.shape}: it must be layer {layer!r}'s maps of the {n} "
                             f"images, (N={n}, h, w, C={n_channels}); get_activations(model, images, [layer]) gives them.")
    h, w = act.shape[1:3]
    sy, sx = H / h, W / w
    keep = min(k, n)
    out = {key: [] for key in ("crops", "image", "value", "position", "box")}
    for ch in chans:
        maps = act[..., int(ch)].reshape(n, -1)
        flat = maps.argmax(axis=1)                       # first maximum in row order
        peaks = maps[np.arange(n), flat]
        order = np.argsort(-peaks, kind="stable")[:keep]
        rows, cols = np.divmod(flat[order], w)
        y0 = np.array([_crop_origin((r + 0.5) * sy, side, H) for r in rows])
        x0 = np.array([_crop_origin((c + 0.5) * sx, side, W) for c in cols])
        out["crops"].append(np.stack([images[i, y:y + side, x:x + side] for i, y, x in zip(order, y0, x0)]))
        out["image"].append(order.astype(np.int64))
        out["value"].append(peaks[order].astype(np.float32))
        out["position"].append(np.stack([rows, cols], axis=1).astype(np.int64))
        out["box"].append(np.stack([x0, y0, x0 + side, y0 + side], axis=1).astype(np.int64))
    result = {key: (v[0] if single else np.stack(v)) for key, v in out.items()}
    result["crop"], result["stride"] = int(side), (float(sy), float(sx))
    return result
