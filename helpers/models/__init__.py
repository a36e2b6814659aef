"""Which model the course runs on, and everything a notebook needs to know about it.

Three models share one code path (see README, "Offline use"):

* ``"vgg16"``: VGG16 with ImageNet weights, the lecture's model. Keras downloads
  its weights (528 MB) on first use into ``~/.keras/models``; a file you already
  have can be given with the ``COURSE_VGG16_WEIGHTS`` environment variable.
* ``"efficientnet_lite0"``: EfficientNet-Lite0, an ImageNet network small
  enough to ship (``helpers.efficientnet``, float16 weights in
  ``data/models``, Apache-2.0), so real photos work offline.
* ``"shapesnet"``: a small VGG-style network trained by this project on
  synthetic shapes (``helpers.shapes``); shipped in ``data/models``, so it
  works offline; the model with ground truth (known object boxes).
* ``"auto"`` (the default, also read from ``COURSE_MODEL``): VGG16 when its
  weights are present or can be downloaded and its memory fits the kernel's
  limit (:func:`memory_limit`: Binder's 2 GB, a hub's per-user limit),
  otherwise EfficientNet-Lite0, with one printed line saying why.

Nothing but this module knows which model is in use: notebooks ask the
returned :class:`ModelCard` for the input size, preprocessing, class names,
last conv layer, sample images and demo classes.

The package, one module per idea: :mod:`.choose` (:func:`load_model`, ``auto``,
the card cache), :mod:`.memory` (:func:`memory_limit`), :mod:`.card`
(:class:`ModelCard`), :mod:`.vgg16` (the weights file: found, checked,
downloaded; VGG16's card), :mod:`.h5` (the chunked HDF5 weights reader and
writer), :mod:`.shipped` (the EfficientNet-Lite0 and ShapesNet cards). Every
public name is importable from ``helpers.models`` itself. A test that patches
a module attribute patches it where the code reads it: ``CGROUP_ROOT`` /
``PROC_CGROUP`` in :mod:`.memory`, ``_keras_models_dir`` in :mod:`.vgg16`,
``_vgg16_card`` and ``_CACHE`` in :mod:`.choose`.

Used by every convnet notebook (00-04).
"""
from __future__ import annotations

from .. import DATA_DIR  # noqa: F401  (also sets TF_CPP_MIN_LOG_LEVEL)
from ..layers import logits_model  # noqa: F401  (re-exported: the pre-softmax model lives in helpers.layers)
from .card import ModelCard, ModelUnavailableError
from .choose import MODEL_NAMES, VGG16_PEAK_BYTES, load_model
from .h5 import load_weights_h5, save_weights_h5
from .memory import CGROUP_ROOT, PROC_CGROUP, memory_limit
from .vgg16 import (HDF5_SIGNATURE, NETWORK_TIMEOUT, VGG16_FILE, VGG16_MD5, VGG16_SIZE_MB, VGG16_URL, vgg16_deprocess,
                    vgg16_preprocess, vgg16_unfilled, vgg16_weights_path)

__all__ = [
    "ModelCard",
    "ModelUnavailableError",
    "load_model",
    "logits_model",
    "vgg16_weights_path",
    "memory_limit",
    "vgg16_unfilled",
    "vgg16_preprocess",
    "vgg16_deprocess",
    "load_weights_h5",
    "save_weights_h5",
    "VGG16_URL",
    "VGG16_FILE",
]
