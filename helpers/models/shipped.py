"""The cards of the two models shipped in ``data/models``: EfficientNet-Lite0 and ShapesNet (offline).

Used by :func:`helpers.models.load_model` (EfficientNet-Lite0: the notebooks' offline default;
ShapesNet: COURSE_MODEL=shapesnet, the unit tests).
"""
from __future__ import annotations

import numpy as np

from .card import ModelCard
from .vgg16 import _vgg16_samples


def _efficientnet_card(reason: str) -> ModelCard:
    from .. import efficientnet
    from ..imagenet import class_names

    model = efficientnet.load_efficientnet_lite0()
    return ModelCard(
        model=model,
        name="efficientnet_lite0",
        input_size=efficientnet.INPUT_SIZE,
        preprocess=efficientnet.preprocess,
        deprocess=efficientnet.deprocess,
        class_names=class_names(),
        last_conv_layer=efficientnet.LAST_CONV_LAYER,
        demo_classes=[130, 736, 779],  # flamingo, pool (billiard) table, school bus
        reason=reason,
        _samples=_vgg16_samples,  # the same 224-px photos
        feature_layers=list(efficientnet.FEATURE_LAYERS),
        filter_layers=list(efficientnet.FILTER_LAYERS),
    )


def _identity_preprocess(images):
    if isinstance(images, (np.ndarray, list, tuple)):
        return np.asarray(images, dtype=np.float32)
    import tensorflow as tf

    return tf.cast(images, tf.float32)


def _clip_deprocess(x) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.float32), 0, 255).round().astype(np.uint8)


def _shapesnet_card(reason: str) -> ModelCard:
    from .. import shapes

    model = shapes.load_shapesnet()
    return ModelCard(
        model=model,
        name="shapesnet",
        input_size=(shapes.IMAGE_SIZE, shapes.IMAGE_SIZE),
        preprocess=_identity_preprocess,
        deprocess=_clip_deprocess,
        class_names=list(shapes.CLASS_NAMES),
        last_conv_layer=shapes.LAST_CONV_LAYER,
        demo_classes=list(range(len(shapes.CLASS_NAMES))),
        reason=reason,
        _samples=shapes.sample_images,
    )
