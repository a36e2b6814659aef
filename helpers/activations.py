"""Intermediate activations: what each layer of a convnet outputs for an image.

The first of the lecture's three ways to look inside a convnet. The central
function, :func:`get_activations`, builds **one** feature-extractor model for
all the requested layers (cached per model and layer list) and runs **one**
forward pass, so looking at eight layers costs one prediction, not eight.

Also here, because :mod:`helpers.maximize` needs them too: finding a layer by
name (also inside a nested model, as in transfer learning), the list of conv
layers, and a sub-model "input -> that layer" that accepts any image size.

Used by notebook 01 (activations) and, through :mod:`helpers.maximize`,
notebooks 02 and 03.
"""
from __future__ import annotations

import weakref

import numpy as np

from . import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)

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
]

# model -> {(layer names..., flexible): keras.Model}; weak so a dropped model is freed.
_EXTRACTORS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _walk(model):
    """Yield (owner_model, layer) for every layer, descending into nested models."""
    import keras

    for layer in model.layers:
        yield model, layer
        if isinstance(layer, keras.Model):
            yield from _walk(layer)


def _is_conv(layer) -> bool:
    import keras

    kinds = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
    return isinstance(layer, kinds)


def conv_layer_names(model) -> list[str]:
    """Names of the 2-D convolution layers of ``model`` in order (nested models included).

    Args:
        model: a keras.Model.
    Returns:
        list[str], e.g. ``["block1_conv1", "block1_conv2", ...]``.
    Used by: notebook 02, helpers.maximize (error messages, defaults).
    """
    return [layer.name for _, layer in _walk(model) if _is_conv(layer)]


def feature_layer_names(model) -> list[str]:
    """Names of the layers whose output is a feature map (rank 4: N, h, w, C).

    Convolutions, poolings, activations...; the input layer is left out.
    Used by: notebook 01 and its widget (layer pickers).
    """
    import keras

    names = []
    for _, layer in _walk(model):
        if isinstance(layer, (keras.layers.InputLayer, keras.Model)):
            continue
        try:
            shape = layer.output.shape
        except (AttributeError, ValueError):  # layer never called symbolically
            continue
        if len(shape) == 4:
            names.append(layer.name)
    return names


def find_layer(model, name: str, valid: list[str] | None = None):
    """The layer called ``name`` and the (possibly nested) model that owns it.

    Args:
        model: a keras.Model, possibly with a base model nested inside.
        name: layer name.
        valid: names to list in the error message (default: the conv layers).
    Returns:
        (owner, layer): ``owner`` is ``model`` or the nested model holding the layer.
    Raises:
        TypeError if ``name`` is not a string; ValueError naming the valid
        layers if there is no such layer.
    """
    from .inputs import find_layer as _find

    _, owner, layer = _find(model, name, valid=conv_layer_names(model) if valid is None else valid)
    return owner, layer


def _flexible(sub):
    """Re-plug a functional model onto an input of any height and width (same layers, same weights)."""
    import keras

    channels = sub.inputs[0].shape[-1]
    new_input = keras.Input(shape=(None, None, channels), dtype=sub.inputs[0].dtype)
    structure = [new_input] if isinstance(sub.input, (list, tuple)) else new_input
    return keras.models.clone_model(sub, input_tensors=structure, clone_function=lambda layer: layer)


def layer_model(model, layers, flexible: bool = False):
    """A model from ``model``'s input to the outputs of ``layers`` (cached).

    Only the layers needed to compute the requested outputs are part of it
    (a filter of ``block1_conv1`` never runs block5).

    Args:
        model: a keras.Model (a base model nested inside it is found too; the
            sub-model then starts at the nested model's input).
        layers: a layer name or a list of names (all must live in the same
            model or nested model).
        flexible: if True the sub-model accepts images of any height and
            width (fine for conv/pool layers; a Flatten/Dense would fail).
    Returns:
        keras.Model: input (N, H, W, 3); output one tensor for a single name,
        a list for a list of names.
    Raises:
        ValueError naming the valid layers for an unknown name.
    Used by: get_activations (notebook 01), helpers.maximize (notebooks 02, 03).
    """
    import keras

    single = isinstance(layers, str)
    names = [layers] if single else list(layers)
    if not names:
        raise ValueError("layers is empty: give at least one layer name, e.g. conv_layer_names(model)[0].")
    key = (tuple(names), single, bool(flexible))
    cache = _EXTRACTORS.setdefault(model, {})
    if key in cache:
        return cache[key]
    valid = feature_layer_names(model)
    found = [find_layer(model, n, valid=valid) for n in names]
    owners = {id(owner) for owner, _ in found}
    if len(owners) != 1:
        raise ValueError(
            f"layers {names} live in different (nested) models; ask for layers of one model at a time."
        )
    owner = found[0][0]
    outputs = [layer.output for _, layer in found]
    inputs = owner.inputs[0] if len(owner.inputs) == 1 else owner.inputs
    sub = keras.Model(inputs, outputs[0] if single else outputs, name=f"{owner.name}_features")
    if flexible:
        sub = _flexible(sub)
    cache[key] = sub
    return sub


def layer_input_model(model, layer: str, flexible: bool = False):
    """A model from ``model``'s input to the *input* of ``layer`` (cached), or None if that is the model input.

    Used by helpers.maximize to compute only the selected channel of a
    convolution (its kernel is applied by hand), instead of all of them.

    Args:
        model: a keras.Model.
        layer: name of a layer with one input.
        flexible: accept any image height and width.
    Returns:
        keras.Model or None (the layer reads the model's input directly).
    """
    import keras

    key = ("__input_of__", layer, bool(flexible))
    cache = _EXTRACTORS.setdefault(model, {})
    if key in cache:
        return cache[key]
    owner, lay = find_layer(model, layer)
    inputs = owner.inputs[0] if len(owner.inputs) == 1 else owner.inputs
    if lay.input is inputs or any(lay.input is t for t in owner.inputs):
        sub = None
    else:
        sub = keras.Model(inputs, lay.input, name=f"{owner.name}_input_of_{layer}")
        if flexible:
            sub = _flexible(sub)
    cache[key] = sub
    return sub


def _fixed_size(model):
    """(H, W) of the model's input if fixed, else None."""
    shape = model.inputs[0].shape
    if len(shape) == 4 and shape[1] is not None and shape[2] is not None:
        return int(shape[1]), int(shape[2])
    return None


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


def get_activations(model, images, layers, preprocess=None, batch_size: int = 32) -> dict:
    """Outputs of several layers for a batch of images, in one forward pass.

    Args:
        model: a keras.Model.
        images: (N, H, W, 3) float 0..255 (before preprocessing) or one (H, W, 3).
        layers: list of layer names (or one name).
        preprocess: function applied to the images before the model, e.g.
            ``card.preprocess``; default identity.
        batch_size: images per forward pass (memory bound for VGG16).
    Returns:
        dict name -> numpy float32 array (N, h, w, C) (or whatever rank the
        layer outputs), in the order asked.
    Raises:
        ValueError for unknown layers (listing the valid ones) or badly
        shaped images.
    Used by: notebook 01 and helpers.widgets.activations.
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
    fixed = _fixed_size(model)
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
