"""The CAM method registry: each method is one small entry, the list of names is defined here once.

Two kinds of map method, both run by :func:`helpers.cam.core.grad_cam`:

* ``"gradient"`` -- a function ``(A, J) -> maps`` of the feature maps
  ``A`` (N, h, w, k) and the gradients of the K selected scores ``J = dy/dA``
  (N, K, h, w, k), returning (N, K, h, w) (TensorFlow ops: it is traced into
  the compiled core, one trace per method).
* ``"forward"`` -- a function ``(ctx) -> maps`` (numpy, (n, K, h, w)) that uses
  forward passes only (CAM reads the Dense weights, Score-CAM masks the image);
  ``ctx`` is a :class:`ForwardContext`.

* ``"guided"`` -- guided backpropagation and Guided Grad-CAM give image-space
  gradients (:mod:`helpers.cam.guided`); their entry turns them into one
  (N, H, W) map per image (max |gradient| over colours) for :func:`helpers.cam.maps`.
:data:`ALL_METHODS` (map methods + guided) is the list the localisation table,
``helpers.trust``, the widget and ``tools/`` use.

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

Adding a method = one :func:`register` call here plus its test.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Method", "ForwardContext", "REGISTRY", "METHODS", "GUIDED_METHODS", "ALL_METHODS",
           "TABLE_METHODS", "SLOW_METHODS", "RANDOMIZATION_METHODS", "DEFAULT_METHOD", "register", "canonical"]


@dataclass(frozen=True)
class Method:
    """One map method.

    name: the ``method=`` string; kind: "gradient" | "forward" | "guided";
    fn: see the module docstring; paper: the reference; title: the name a
    paper or library prints ("Grad-CAM++"); in_tables: False for a method
    whose row in a comparison table would not be an explanation of the class
    (see its entry); slow: True for a method that costs one forward pass per
    feature channel and image (Score-CAM: 128 passes per image on ShapesNet,
    1280 on EfficientNet-Lite0, 512 on VGG16) instead of one or two: tables
    and tools cap its number of images (:data:`SLOW_METHODS`).
    """
    name: str
    kind: str
    fn: Callable | None
    paper: str
    title: str
    in_tables: bool = True
    slow: bool = False


@dataclass
class ForwardContext:
    """What a forward method may use, for one batch of n images.

    core: the cached :class:`helpers.cam.core.Core` (``.probs``, ``.path``, ...);
    model: the user's keras.Model; raw: (n, H, W, C) images before preprocessing;
    A: (n, h, w, k) float64 feature maps; logits: (n, C) float64; resolved:
    (n, K) class ids; preprocess: images -> model input or None; max_batch:
    Score-CAM masked images per pass; layer: the layer name (messages).
    """
    core: object
    model: object
    raw: np.ndarray
    A: np.ndarray
    logits: np.ndarray
    resolved: np.ndarray
    preprocess: Callable | None
    max_batch: int
    layer: str


REGISTRY: dict[str, Method] = {}


def register(name, kind, paper, title, in_tables=True, slow=False):
    """Decorator adding ``fn`` to :data:`REGISTRY` under ``name`` (the other fields: :class:`Method`)."""
    def add(fn):
        REGISTRY[name] = Method(name, kind, fn, paper, title, in_tables, slow)
        return fn
    return add


def _weighted(A, w):
    """sum_k w_k A^k: A (N, h, w, k), w (N, K, k) -> (N, K, h, w)."""
    import tensorflow as tf

    return tf.einsum("nhwc,nkc->nkhw", A, w)


# ------------------------------------------------------- forward methods ----

@register("cam", "forward", "Zhou et al. 2016, Learning Deep Features for Discriminative Localization", "CAM",
          in_tables=False)  # equals Grad-CAM on the GAP + Dense heads it applies to: a row would repeat it
def cam(ctx):
    """w = the Dense weights of a GlobalAveragePooling2D + Dense head right after the layer."""
    from .. import layers

    W, b = _dense_after(ctx.core, ctx.model, layers)
    pred = ctx.A.mean(axis=(1, 2)) @ W + b
    lg = ctx.logits
    if not np.allclose(pred, lg, rtol=1e-3, atol=1e-3 * (np.abs(lg).max() + 1.0)):
        raise ValueError(
            f"method='cam': the scores of {ctx.model.name!r} are not GlobalAveragePooling(layer "
            f"{ctx.layer!r}) @ Dense (something else sits between them). Use method='gradcam'.")
    return np.einsum("nhwc,nkc->nkhw", ctx.A, np.transpose(W[:, ctx.resolved], (1, 2, 0)))


def _dense_after(core, model, layers):
    """Dense kernel (k, C) and bias of a GAP + Dense head right after the layer, or a clear ValueError."""
    import keras

    leaves = [(p, lay) for p, _, lay in layers.walk(core.logits, leaves=True)]
    names = [p for p, _ in leaves]
    idx = names.index(core.path) if core.path in names else -1
    after = [getattr(lay, "inner", lay) for _, lay in leaves[idx + 1:]] if idx >= 0 else []   # a shared softmax Dense
    last = after[-1] if after else None
    has_gap = any(isinstance(lay, keras.layers.GlobalAveragePooling2D) for lay in after)
    k = core.map_shape[-1]
    if not (has_gap and isinstance(last, keras.layers.Dense) and tuple(last.kernel.shape) == (k, core.num_classes)):
        raise ValueError(
            f"method='cam' needs GlobalAveragePooling2D + Dense({core.num_classes}) right after layer "
            f"{'/'.join(core.path)!r} (the CAM architecture); {model.name!r} has "
            f"{[type(lay).__name__ for lay in after]} there. Use method='gradcam', which works for any head "
            "(and equals CAM on a GAP + Dense model).")
    W = np.asarray(last.kernel, dtype=np.float64)
    b = np.asarray(last.bias, dtype=np.float64) if last.use_bias else np.zeros(core.num_classes)
    return W, b


# ------------------------------------------------------ gradient methods ----

@register("gradcam", "gradient", "Selvaraju et al. 2017, Grad-CAM", "Grad-CAM")
def gradcam(A, J):
    """w_k = spatial mean of dy^c/dA^k; map = sum_k w_k A^k."""
    import tensorflow as tf

    return _weighted(A, tf.reduce_mean(J, axis=(2, 3)))


@register("gradcam++", "gradient", "Chattopadhay et al. 2018, Grad-CAM++, eq. 19", "Grad-CAM++")
def gradcam_plus_plus(A, J):
    """alpha = g^2 / (2 g^2 + sum_ab A_ab g^3) (0 where the denominator is 0), w = sum_ij alpha ReLU(g)."""
    import tensorflow as tf

    g2, g3 = J * J, J * J * J
    denom = 2.0 * g2 + tf.reduce_sum(A[:, None], axis=(2, 3), keepdims=True) * g3
    alpha = tf.where(denom != 0.0, g2 / tf.where(denom != 0.0, denom, 1.0), 0.0)
    return _weighted(A, tf.reduce_sum(alpha * tf.nn.relu(J), axis=(2, 3)))


@register("scorecam", "forward", "Wang et al. 2020, Score-CAM", "Score-CAM", slow=True)
def scorecam(ctx):
    """w_k = class probability of the raw image masked by channel k (upsampled, min-max normalised).

    As the authors' code: the masks multiply the raw image, before
    preprocessing; batched over channels, at most ``max_batch`` per pass.
    """
    import tensorflow as tf

    from .core import quiet_tracing

    raw, A, resolved = ctx.raw, ctx.A.astype(np.float32), ctx.resolved
    H, W_ = raw.shape[1:3]
    out = np.zeros((len(raw), resolved.shape[1]) + A.shape[1:3], np.float32)
    for i in range(len(raw)):
        a = A[i]
        active = np.flatnonzero(a.reshape(-1, a.shape[-1]).max(axis=0) > 0)
        if active.size == 0:
            continue  # no channel fires: every weighted sum is 0
        up = tf.image.resize(a[..., active], (H, W_), method="bilinear").numpy()  # (H, W, k')
        lo, hi = up.min(axis=(0, 1), keepdims=True), up.max(axis=(0, 1), keepdims=True)
        span = hi - lo
        masks = np.where(span > 0, (up - lo) / np.where(span > 0, span, 1.0), 0.0).astype(np.float32)
        masks = np.moveaxis(masks, -1, 0)[..., None]  # (k', H, W, 1)
        weights = np.empty((active.size, resolved.shape[1]), np.float32)
        for s in range(0, active.size, ctx.max_batch):
            masked = raw[i][None] * masks[s:s + ctx.max_batch]
            x = ctx.preprocess(masked) if ctx.preprocess is not None else masked
            with quiet_tracing():
                p = np.asarray(ctx.core.probs(tf.convert_to_tensor(x, tf.float32)))
            weights[s:s + ctx.max_batch] = p[:, resolved[i]]
        out[i] = np.einsum("hwc,ck->khw", a[..., active], weights)
    return out


@register("counterfactual", "gradient", "Selvaraju et al. 2017, section 3 (counterfactual explanations)",
          "counterfactual Grad-CAM", in_tables=False)  # shows evidence AGAINST the class: not an explanation to score
def counterfactual(A, J):
    """Grad-CAM with negated gradients: regions whose removal would raise the score."""
    import tensorflow as tf

    return _weighted(A, -tf.reduce_mean(J, axis=(2, 3)))


@register("layercam", "gradient", "Jiang et al. 2021, LayerCAM, eq. 5-6", "LayerCAM")
def layercam(A, J):
    """map = sum_k ReLU(dy^c/dA^k_ij) * A^k_ij: each position weighted by its own positive gradient."""
    import tensorflow as tf

    return tf.reduce_sum(tf.nn.relu(J) * A[:, None], axis=-1)


# ------------------------------------------------------- guided methods ----

def _guided_backprop(model, x, labels, layer, preprocess, batch_size):
    from .guided import guided_backprop, saliency_heatmap

    return saliency_heatmap(guided_backprop(model, x, labels, preprocess=preprocess, batch_size=batch_size))


def _guided_gradcam(model, x, labels, layer, preprocess, batch_size):
    from .guided import guided_grad_cam, saliency_heatmap

    return saliency_heatmap(guided_grad_cam(model, x, labels, layer, preprocess=preprocess))


# kind "guided": fn(model, images, labels, layer, preprocess, batch_size) -> (N, H, W) max |gradient| maps
REGISTRY["guided_backprop"] = Method("guided_backprop", "guided", _guided_backprop,
                                     "Springenberg et al. 2015, Striving for Simplicity (guided backpropagation)",
                                     "guided backpropagation")
REGISTRY["guided_gradcam"] = Method("guided_gradcam", "guided", _guided_gradcam,
                                    "Selvaraju et al. 2017, Guided Grad-CAM", "Guided Grad-CAM")

#: Map methods understood by :func:`helpers.cam.grad_cam`.
METHODS = tuple(n for n, m in REGISTRY.items() if m.kind != "guided")
#: Image-space methods (helpers.cam.guided).
GUIDED_METHODS = tuple(n for n, m in REGISTRY.items() if m.kind == "guided")
#: Every method :func:`helpers.cam.maps` computes: the localisation table's and helpers.trust's rows.
ALL_METHODS = METHODS + GUIDED_METHODS
#: The methods a comparison table scores by default (tools/trust_table.py, tools/road_table.py).
TABLE_METHODS = tuple(n for n in ALL_METHODS if REGISTRY[n].in_tables)
#: Methods that cost one forward pass per feature channel and image: give them fewer images
#: (``limits=`` of :func:`helpers.cam.localization_table` and :func:`helpers.trust.trust_table`).
SLOW_METHODS = tuple(n for n in ALL_METHODS if REGISTRY[n].slow)
#: The randomisation test's default pair (Adebayo et al. 2018): a map that follows the weights
#: (Grad-CAM) and one that barely does (guided backpropagation).
RANDOMIZATION_METHODS = ("gradcam", "guided_backprop")

#: The method a widget starts on (grad_cam's default).
DEFAULT_METHOD = "gradcam"

_ALIASES = {"gradcampp": "gradcam++", "gradcamplusplus": "gradcam++", "score": "scorecam",
            "guidedbackprop": "guided_backprop", "guidedgradcam": "guided_gradcam"}


def canonical(method, allowed=ALL_METHODS) -> str:
    """A method name as typed ("Grad-CAM++", "grad_cam") -> its registry name, or a ValueError listing ``allowed``."""
    key = str(method).lower().replace("-", "").replace("_", "").replace(" ", "")
    name = _ALIASES.get(key) or next((n for n in REGISTRY if n.replace("_", "") == key), key)
    if name not in allowed:
        hint = (" (guided backpropagation: helpers.cam.guided_backprop / guided_grad_cam, or helpers.cam.maps)"
                if name in GUIDED_METHODS else "")
        raise ValueError(f"unknown method {method!r}; choose one of {allowed}{hint}.")
    return name
