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

The methods, each with its formula and paper, are listed where they are defined:
:mod:`helpers.cam.methods` (the registry).

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
from .methods import (ALL_METHODS, DEFAULT_METHOD, GUIDED_METHODS, METHODS, RANDOMIZATION_METHODS, REGISTRY,
                      SLOW_METHODS, TABLE_METHODS)
from .plot import overlay, show_cams, show_methods

__all__ = [
    "METHODS", "GUIDED_METHODS", "ALL_METHODS", "TABLE_METHODS", "SLOW_METHODS", "RANDOMIZATION_METHODS",
    "DEFAULT_METHOD", "REGISTRY", "LOCALIZATION_METHODS",
    "grad_cam", "maps", "feature_layers", "default_layer",
    "guided_backprop", "guided_grad_cam", "saliency_image", "saliency_heatmap",
    "normalize_maps", "resize_heatmap", "overlay", "heatmap_box", "box_iou", "pointing_game",
    "localization_scores", "localization_table", "format_table", "show_cams", "show_methods", "mass_in_box",
]
