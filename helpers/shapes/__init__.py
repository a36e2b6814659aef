"""ShapesNet: a synthetic shapes data set and the small VGG-style convnet trained on it.

The course's lecture model is VGG16 with ImageNet weights, which cannot be
downloaded offline.  This package gives the course a model it trains itself,
on images it generates itself, where the true position of the object is
known (so Grad-CAM's localisation can be measured honestly):

* :mod:`.data`: ``make_shapes(n, seed)`` draws coloured shapes (six classes,
  ``CLASS_NAMES``) at random position, size, rotation and colour on noisy /
  striped / gradient / wavy backgrounds with small distractor strokes, and
  returns the images, the labels and the tight boxes (and the masks) of the
  objects; ``sample_images`` one clean example per class.  The pixels are
  drawn by :mod:`.render` (the outlines' signed distances, backgrounds,
  strokes, noise).
* :mod:`.model`: ``build_shapesnet`` builds the network: 4 VGG-style blocks of
  two 3x3 convs (16-32-64-128 filters, layer names ``block1_conv1`` ...
  ``block4_conv2`` as in VGG16), max pooling after blocks 1-3 (the last map
  is 8x8 for 64 px inputs), global average pooling, ``Dense(6,
  name="logits")`` and a separate ``Activation("softmax",
  name="predictions")``; ``fold_batchnorm``; ``load_shapesnet``.
* :mod:`.training`: ``train`` (``python -m helpers.shapes train``, ``make
  shapesnet``) trains it with BatchNorm and exports a BatchNorm-free copy
  (each BatchNorm folded into the convolution before it) to
  ``data/models/shapesnet.keras`` with a training card
  ``data/models/shapesnet.md``; ``save_grid`` (``python -m helpers.shapes grid``).

Used by: helpers/models.py (the model card: ``load_shapesnet``,
``sample_images``) and every convnet notebook when ``COURSE_MODEL=shapesnet``
(tests, CI, offline machines); notebook 04_gradcam uses ``make_shapes`` boxes
for the pointing game; notebook 05_rnn_motivation runs ShapesNet's weights at
other input sizes.  Every public name is importable from ``helpers.shapes``.
"""
from __future__ import annotations

from .data import (HELDOUT_SEED, HELDOUT_SIZE, IMAGE_SIZE, SAMPLE_SEED, TRAIN_SEED, make_shapes,
                   sample_images)
from .model import CARD_PATH, FILTERS, LAST_CONV_LAYER, MODEL_PATH, build_shapesnet, fold_batchnorm, load_shapesnet
from .render import CLASS_NAMES
from .training import (DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LR, DEFAULT_MAX_MINUTES, DEFAULT_N_TRAIN, main,
                       save_grid, train)

__all__ = [
    "CLASS_NAMES", "IMAGE_SIZE", "TRAIN_SEED", "HELDOUT_SEED", "HELDOUT_SIZE", "SAMPLE_SEED",
    "make_shapes", "sample_images",
    "LAST_CONV_LAYER", "MODEL_PATH", "CARD_PATH", "FILTERS", "build_shapesnet", "fold_batchnorm", "load_shapesnet",
    "DEFAULT_EPOCHS", "DEFAULT_N_TRAIN", "DEFAULT_BATCH_SIZE", "DEFAULT_LR", "DEFAULT_MAX_MINUTES",
    "train", "save_grid", "main",
]
