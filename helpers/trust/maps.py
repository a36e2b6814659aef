"""The maps every trust measurement compares: one map per image, at image resolution.

Used by the other modules of :mod:`helpers.trust` (notebook 04, tools/trust_table.py).
"""
from __future__ import annotations

import numpy as np

from .. import cam
from ..inputs import unpack_built_model
from ..layers import default_layer

__all__ = ["TRUST_METHODS", "per_image_arguments", "explanation_maps"]

#: Methods the trust measurements accept (``helpers.cam`` names).
TRUST_METHODS = cam.ALL_METHODS


def per_image_arguments(model, images, labels, preprocess, layer):
    """(keras model, preprocess, layer, images (N, H, W, C) float32, labels (N,) int64): one class per image."""
    model, preprocess, layer = unpack_built_model(model, preprocess, layer)
    x = np.asarray(images, dtype=np.float32)
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"labels / classes must be one class id per image: {len(x)} images, got shape {y.shape}.")
    return model, preprocess, layer if layer is not None else default_layer(model), x, y.astype(np.int64)


def explanation_maps(model, images, classes, method, layer=None, *, preprocess=None, batch_size=32):
    """One map per image, at image resolution, in [0, 1], for any method of :data:`TRUST_METHODS`.

    :func:`helpers.cam.maps` (the one implementation, shared with the
    localisation table and the widget), upsampled to the image.

    Args:
        model: keras.Model or model card; images: (N, H, W, 3) 0..255;
        classes: (N,) class id per image (the map is taken for that class).
        method: a :data:`TRUST_METHODS` name; layer: feature layer (None:
            the card's / :func:`helpers.layers.default_layer`).
    Returns:
        (N, H, W) float32 in [0, 1] (a map that is zero everywhere stays zero, silently).
    Used by: :func:`randomization_test`, :func:`trust_table` (notebook 04).
    """
    return cam.maps(model, images, classes, method, layer, preprocess=preprocess, batch_size=batch_size)
