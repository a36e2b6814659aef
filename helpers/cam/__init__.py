"""Class activation maps: CAM, Grad-CAM, Grad-CAM++, LayerCAM, Score-CAM,
counterfactual maps, guided backpropagation and Guided Grad-CAM; overlays,
localisation boxes and the pointing game.  Used by notebook 04_gradcam (and its explorer widget,
``helpers.widgets.cam``).

The package: :mod:`.methods` (the registry: each method one small entry,
the method lists defined once), :mod:`.core` (the traced core, the class
argument, normalisation, the batch loop), :mod:`.guided`, :mod:`.localize`
(``maps``, boxes, pointing game, the localisation table), :mod:`.plot`.
Layer lookup and model surgery are :mod:`helpers.layers`.

``classes`` means one class per image, as ``labels`` everywhere in
``helpers``: None (each image's top-1), one id or name for all images, or N
ids; several classes per image with ``top=K`` (or ``"topK"``) or an (N, K) array.

All map methods are small variations on one shared core.  For a model and a
layer name the core builds (once, cached per model and layer) a Keras model

    input -> [A (N, h, w, k) feature map of ``layer``, y (N, classes) scores]

where ``y`` is the score *before the softmax* (the Grad-CAM paper's y^c; see
``helpers.models.logits_model``).  One forward pass gives ``A``; the gradients
dy^c/dA of K classes come from one batched backward pass through the head only
(``tf.GradientTape.batch_jacobian``): the convolutional base runs once, however
many classes are asked for.

The layer may sit inside a nested model (a pretrained base inside a
transfer-learning ``Sequential`` or functional model): the outer graph is
re-traced with the nested model replaced by a copy that also returns the
feature map, so no "Graph disconnected" error and no second pass through the
base.  The user's model is never modified.

Methods (``grad_cam(..., method=...)``), with w_k^c the weight of channel k:

* ``"cam"``        Zhou et al. 2016, "Learning Deep Features for Discriminative
                   Localization": w = the Dense weights, for models whose head
                   is GlobalAveragePooling2D + Dense right after ``layer``.
* ``"gradcam"``    Selvaraju et al. 2017, "Grad-CAM": w = spatial mean of
                   dy^c/dA^k; map = ReLU(sum_k w_k A^k).
* ``"gradcam++"``  Chattopadhay et al. 2018, "Grad-CAM++", eq. 19 (closed form
                   with the exp(y^c) trick: with Y = exp(y), the 2nd and 3rd
                   derivatives of Y are exp(y) g^2 and exp(y) g^3 for g = dy/dA
                   of a piecewise-linear network): alpha = g^2 / (2 g^2 +
                   sum_ab A_ab g^3), w = sum_ij alpha_ij ReLU(g_ij).  The
                   alphas are NOT normalised per channel (the authors' code
                   and tf-keras-vis divide them by their spatial sum) and no
                   epsilon is added (pytorch-grad-cam adds 1e-6 to the
                   denominator); a zero denominator gives alpha = 0.
* ``"scorecam"``   Wang et al. 2020, "Score-CAM": w = class probability of the
                   image masked by each upsampled, min-max normalised channel
                   (no gradients), as in the authors' code; the masks multiply
                   the raw image, before preprocessing.  (pytorch-grad-cam
                   instead takes a softmax over the channels of the masked
                   images' logits.)  Batched over channels, at most
                   ``max_batch`` masked images per forward pass.
* ``"layercam"``   Jiang et al. 2021, "LayerCAM", eq. 5-6: no channel weight;
                   each position keeps its own positive gradient,
                   map = ReLU(sum_k ReLU(dy^c/dA^k_ij) A^k_ij).
* ``"counterfactual"``  Grad-CAM with negated gradients (Selvaraju et al.,
                   section 3): regions whose removal would raise the score.

Measured against the libraries (``tools/compare_cam_libraries.py``, grad-cam
1.5.7 on a torch port of ShapesNet, tf-keras-vis 0.8.7 with ReplaceToLinear;
100 held-out ShapesNet images, true class, Pearson r of the 8 x 8 maps, mean /
min): Grad-CAM 1.0000 / 1.0000 with both; Grad-CAM++ 0.9999 / 0.9995 and
1.0000 / 0.9997 (behind a GAP + Dense head g is constant within a channel, so
eps and the alpha normalisation only rescale channels); Score-CAM 0.9893 /
0.9118 with pytorch-grad-cam (its channel softmax and aligned-corner masks;
same peak cell for 73 %), 0.9989 / 0.9855 with tf-keras-vis (aligned-corner
masks).  Both libraries mask the tensor they are given: with the normalisation
outside the model (EfficientNet-Lite0, its 4 sample photos) Score-CAM falls to
0.9299 / 0.8454 and 0.9146 / 0.8155.  The script reproduces each library's map
(r = 1.0000) by changing only the named step of ours.

``guided_backprop`` (Springenberg et al. 2015, guided ReLU) and
``guided_grad_cam`` (Grad-CAM upsampled times guided backpropagation) work on
a *clone* of the model whose ReLUs pass only positive gradients
(``tf.custom_gradient``); the user's model is untouched.

Normalisation is safe: a map whose maximum is 0 (no positive evidence, e.g.
all gradients zero) is returned as zeros with a warning naming the image and
the class, never NaN (the book's ``heatmap /= np.max(heatmap)`` divides by
zero there).
"""
from __future__ import annotations

from ..layers import default_layer, feature_layers
from .core import grad_cam, normalize_maps, resize_heatmap
from .guided import guided_backprop, guided_grad_cam, saliency_heatmap, saliency_image
from .localize import (LOCALIZATION_METHODS, box_iou, format_table, heatmap_box, localization_scores,
                       localization_table, maps, mass_in_box, pointing_game)
from .methods import ALL_METHODS, GUIDED_METHODS, METHODS, REGISTRY, TABLE_METHODS
from .plot import overlay, show_cams, show_methods

__all__ = [
    "METHODS", "GUIDED_METHODS", "ALL_METHODS", "TABLE_METHODS", "REGISTRY", "LOCALIZATION_METHODS",
    "grad_cam", "maps", "feature_layers", "default_layer",
    "guided_backprop", "guided_grad_cam", "saliency_image", "saliency_heatmap",
    "normalize_maps", "resize_heatmap", "overlay", "heatmap_box", "box_iou", "pointing_game",
    "localization_scores", "localization_table", "format_table", "show_cams", "show_methods", "mass_in_box",
]
