"""One gradient-ascent engine: the input image that most excites a filter or a class.

Notebook 02 asks "what pattern does filter ``f`` of layer ``block3_conv1``
respond to?", notebook 03 (DeepVis) "what image does the network find most
*flamingo*?". Both questions have the same answer machinery:

1. start from a grey image with a little noise (pixels 0..255, as a photo);
2. repeat: preprocess (inside the graph: VGG16's caffe colours, ShapesNet's
   identity), forward pass, objective, gradient w.r.t. the pixels, normalise
   the gradient of each image to unit RMS, step uphill, apply regularisers;
3. turn the result into a viewable uint8 image (:func:`deprocess_images`).

What makes it fast and safe (compare ``bench/bench_filters.py``):

* **all requested filters (or classes) form one batch**: image ``i``
  maximises target ``targets[i]``, picked with a tensor ``tf.gather`` - no
  Python int reaches the compiled step, so 64 filters are **one** trace, not
  64 (the classic book/keras-io loop retraces for every filter);
* the steps run inside one ``tf.function`` loop (``tf.while_loop``), jitter
  and blur included, called once per progress-bar update (about every 0.25 s)
  rather than once per step; it is cached per model, layer, image shape and
  set of active regularisers (their strengths, the jitter size, the seed and
  blur widths up to sigma 1 are tensors: changing them does not retrace);
* the sub-model stops at the layer that is needed (block1 never runs block5);
* a filter that never fires (all-zero output, zero gradient) gives a plain
  grey image and a warning naming it - never NaN.

Objectives (what image ``i`` maximises, one number per image):

* ``"channel"``: the mean over positions of channel ``targets[i]`` of a layer
  (filters, notebook 02);
* ``"logit"``: the class score *before* the softmax (DeepVis, notebook 03;
  after the softmax the gradient also pushes the other classes down and
  vanishes when the prediction saturates).

Regularisers (Yosinski et al. 2015, "Understanding Neural Networks Through
Deep Visualization", plus two common extras). The image is kept in 0..255;
mid-grey 127.5 plays the role of the paper's zero (the mean image):

* ``l2_decay`` (theta_decay): after each step ``x <- grey + (1 - decay)(x - grey)``;
* ``blur_sigma``, ``blur_every`` (theta_b_width, theta_b_every): Gaussian
  blur of width sigma every k steps (removes high frequencies);
* ``norm_pct`` (theta_n_pct): pixels whose colour-vector norm (distance from
  grey) is below this percentile of the image are set to grey;
* ``contrib_pct`` (theta_c_pct): pixels whose contribution
  ``|sum_c (x - grey) * grad|`` (first-order estimate of the objective lost
  by greying the pixel) is below this percentile are set to grey;
* ``jitter``: random shift of up to ``jitter`` pixels before each forward pass;
* ``tv``: total-variation descent; its RMS-normalised gradient is subtracted
  with weight ``tv`` (0.5 = half as strong as the ascent).

Transformation robustness (Olah et al. 2017; all drawn from ``(seed, step)``,
one draw per step shared by the batch, inside the compiled loop):

* ``pad``: a grey border of ``pad`` pixels (the network sees a larger image);
* ``jitter`` (above), ``scale`` (random zoom in ``1 +- scale``) and
  ``rotate`` (random rotation in ``+-rotate`` degrees, bilinear, grey fill).

Named presets are in :data:`PRESETS` (the paper's Table 1 rows are
``"yosinski1"`` ... ``"yosinski4"``; ``"robust"`` the transformations alone).

Parameterisations (``parameterization=``):

* ``"pixel"`` (default, the course's original): the pixels are the
  variables, steps are the gradient normalised to RMS ``lr`` (4 grey levels);
* ``"fourier"`` (Olah et al. 2017, "Feature Visualization", Distill; Lucid's
  defaults): the variables are a spectrum per colour channel, scaled by
  1/frequency**1.25 for filters and 1/frequency for classes (:func:`fourier_scale`;
  Lucid's 1/f is ``decay_power=1``), inverse-FFT'd, mixed from decorrelated
  colours to RGB (:func:`color_matrix`) and squashed into 0..255 by a
  sigmoid (:func:`fourier_images`); Adam steps (lr 0.05); only the
  transformations apply (default preset ``"robust"``). The pixel gradient is
  dominated by high frequencies; the 1/f scaling whitens it, so steps build
  coarse structure instead of pixel noise.


The parts (Lucent's layout), each importable on its own:

* :mod:`~helpers.maximize.regularize`: :class:`Regularizers`, :data:`PRESETS`,
  :func:`regularizers` and the pixel regularisers' graph operations;
* :mod:`~helpers.maximize.transforms`: border, jitter, zoom, rotation;
* :mod:`~helpers.maximize.param`: the pixel and Fourier parameterisations,
  start images, :func:`deprocess_images`, :func:`viewable`;
* :mod:`~helpers.maximize.objectives`: channel and logit objectives;
* :mod:`~helpers.maximize.engine`: :class:`~helpers.maximize.engine.AscentEngine`
  with the one compiled loop, :func:`get_engine`;
* :mod:`~helpers.maximize.visualize`: :func:`maximize_filters`,
  :func:`visualize_filters`, :func:`maximize_classes`, :func:`visualize_classes`;
* :mod:`~helpers.maximize.measures`: the roughness measure
  :func:`high_frequency_share` (energy above :data:`HF_CUTOFF` of Nyquist),
  :func:`frequency_concentration`, :func:`grey_fraction`.

Used by notebooks 02 (filters) and 03 (DeepVis) and their widgets.
"""
from __future__ import annotations

from .. import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)
from .engine import MAX_ENGINES, AscentEngine, AscentResult, get_engine
from .measures import HF_CUTOFF, frequency_concentration, grey_fraction, high_frequency_share
from .objectives import OBJECTIVES
from .param import (ADAM_BETAS, ADAM_EPS, CLASS_FOURIER_DECAY, COLOR_CORRELATION_SQRT, FOURIER_DECAY,
                    PARAMETERIZATIONS, color_matrix, deprocess_images, fourier_images, fourier_scale,
                    initial_images, initial_spectra, viewable)
from .regularize import GREY, PRESETS, Regularizers, regularizers
from .visualize import check_targets, maximize_classes, maximize_filters, visualize_classes, visualize_filters

__all__ = [
    "Regularizers",
    "PRESETS",
    "regularizers",
    "AscentResult",
    "AscentEngine",
    "initial_images",
    "deprocess_images",
    "maximize_filters",
    "visualize_filters",
    "maximize_classes",
    "visualize_classes",
    "check_targets",
    "get_engine",
    "frequency_concentration",
    "high_frequency_share",
    "grey_fraction",
    "HF_CUTOFF",
    "viewable",
    "fourier_images",
    "fourier_scale",
    "color_matrix",
    "initial_spectra",
    "PARAMETERIZATIONS",
    "GREY",
    "FOURIER_DECAY",
    "CLASS_FOURIER_DECAY",
    "COLOR_CORRELATION_SQRT",
    "ADAM_BETAS",
    "ADAM_EPS",
    "OBJECTIVES",
    "MAX_ENGINES",
]
