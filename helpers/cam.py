"""Class activation maps: CAM, Grad-CAM, Grad-CAM++, Score-CAM, counterfactual
maps, guided backpropagation and Guided Grad-CAM; overlays, localisation boxes
and the pointing game.  Used by notebook 04_gradcam (and its explorer widget,
``helpers.widgets.cam``).

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

import warnings
import weakref
from typing import Callable

import numpy as np

from . import DATA_DIR  # noqa: F401  (also sets TF_CPP_MIN_LOG_LEVEL)

__all__ = [
    "METHODS",
    "grad_cam",
    "feature_layers",
    "default_layer",
    "guided_backprop",
    "guided_grad_cam",
    "saliency_image",
    "saliency_heatmap",
    "normalize_maps",
    "resize_heatmap",
    "overlay",
    "heatmap_box",
    "box_iou",
    "pointing_game",
    "localization_scores",
    "localization_table",
    "format_table",
    "show_cams",
    "show_methods",
    "mass_in_box",
    "LOCALIZATION_METHODS",
]

#: Map methods understood by :func:`grad_cam`.
METHODS = ("cam", "gradcam", "gradcam++", "scorecam", "counterfactual")

_POOLING = (
    "MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AveragePool2D",
    "GlobalAveragePooling2D", "GlobalMaxPooling2D",
)


# ------------------------------------------------------------ utilities ----

def _keras():
    import keras

    return keras


def _unpack_card(model, preprocess, layer):
    """Accept a ModelCard in place of a model (helpers.inputs.unpack_model); a model must be built."""
    from .inputs import unpack_model

    model, preprocess, layer = unpack_model(model, preprocess, layer)
    if not model.built or not model.layers:
        raise ValueError(
            f"model {model.name!r} is not built (it has no input shape yet): give it an Input layer, "
            "e.g. keras.Sequential([keras.Input((64, 64, 3)), ...]), or call it once on a batch."
        )
    if preprocess is not None and not callable(preprocess):
        raise TypeError(f"preprocess must be a function images -> model input (e.g. card.preprocess), "
                        f"got {type(preprocess).__name__}.")
    return model, preprocess, layer


def _output_rank(layer):
    try:
        out = layer.output
    except (AttributeError, ValueError, RuntimeError):
        return None
    if isinstance(out, (list, tuple)):
        return None
    try:
        return len(out.shape)
    except (AttributeError, TypeError):
        return None


def _walk(model, prefix=()):
    """Yield (path tuple, layer) for every layer, depth-first, nested models expanded."""
    keras = _keras()
    for lay in model.layers:
        if isinstance(lay, keras.layers.InputLayer):
            continue
        path = prefix + (lay.name,)
        if isinstance(lay, keras.Model):
            yield from _walk(lay, path)
        else:
            yield path, lay


def _is_feature_layer(lay) -> bool:
    return _output_rank(lay) == 4


def feature_layers(model) -> list[str]:
    """Names of the layers whose output is a 4-D feature map (N, h, w, k).

    Args:
        model: keras.Model (nested sub-models are searched too) or a model card.
    Returns:
        list of names in model order; a layer inside a nested model is named
        ``"outer/inner"`` (its bare name also works when it is unique).
    Used by: notebook 04 (layer choice), the explorer widget, error messages.
    """
    model, _, _ = _unpack_card(model, None, None)
    return ["/".join(p) for p, lay in _walk(model) if _is_feature_layer(lay)]


def default_layer(model) -> str:
    """The layer Grad-CAM uses when ``layer=None``.

    A model card gives its ``last_conv_layer``.  Otherwise: the last layer with
    a 4-D output that is not a pooling layer (VGG16: ``block5_conv3``, not
    ``block5_pool``; a conv + BatchNorm + ReLU net: the last ReLU activation).

    Returns:
        layer name (``"outer/inner"`` for a nested layer).
    """
    if hasattr(model, "last_conv_layer") and hasattr(model, "model"):
        return model.last_conv_layer
    model, _, _ = _unpack_card(model, None, None)
    cands = [(p, lay) for p, lay in _walk(model) if _is_feature_layer(lay)]
    if not cands:
        raise ValueError(
            f"model {model.name!r} has no layer with a 4-D (N, h, w, k) output, so there is no "
            "feature map for a class activation map; is it a convolutional network?"
        )
    non_pool = [(p, lay) for p, lay in cands if type(lay).__name__ not in _POOLING]
    path, _ = (non_pool or cands)[-1]
    return "/".join(path)


def _resolve_layer(model, layer):
    """Layer name -> path tuple inside ``model`` (nested models searched)."""
    from .inputs import find_layer

    valid = feature_layers(model)
    entries = dict(_walk(model))
    path, _, lay = find_layer(model, layer, valid=valid)
    if path not in entries:      # a nested model itself, not a layer inside it
        raise ValueError(f"{layer!r} is a nested model, not a layer; pick one of its layers: {valid}")
    if not _is_feature_layer(lay):
        shape = getattr(getattr(lay, "output", None), "shape", "?")
        raise ValueError(
            f"layer {layer!r} outputs shape {shape}, not a 4-D (N, h, w, k) feature map, so it "
            f"has no spatial map to weight. Valid choices: {valid}"
        )
    return path


# ----------------------------------------------------- the shared core ----

def _as_functional(model):
    keras = _keras()
    from keras.src.models.functional import Functional

    if isinstance(model, Functional):
        return model
    try:
        inputs = model.inputs
    except (AttributeError, ValueError) as exc:
        raise ValueError(
            f"model {model.name!r} is not built: give it an Input layer or call it once on a batch "
            f"before asking for class activation maps ({exc})."
        ) from None
    if inputs is None:
        raise ValueError(f"model {model.name!r} is not built: give it an Input layer.")
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, model.outputs, name=model.name)


def _single(x):
    return x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x


def _expose(model, path):
    """A model with the inputs of ``model`` and outputs [feature map at path, *model.outputs].

    ``path`` descends through nested models: ("base", "block5_conv3").  The
    outer graph is re-traced with the nested model swapped for a copy that
    also returns the feature map (shared layers, shared weights), so the
    feature map and the outputs come from ONE pass.
    """
    keras = _keras()
    f = _as_functional(model)
    outs = list(f.outputs)
    if len(path) == 1:
        feat = f.get_layer(path[0]).output
        return keras.Model(_single(f.inputs), [feat, *outs], name=f"{model.name}_cam")
    sub = f.get_layer(path[0])
    sub_x = _expose(sub, path[1:])
    stash = []

    def call_fn(lay, *args, **kwargs):
        if lay is sub:
            res = sub_x(*args, **kwargs)
            if not stash:
                stash.append(res[0])
            rest = res[1:]
            return rest[0] if len(rest) == 1 else rest
        return lay(*args, **kwargs)

    g = keras.models.clone_model(f, clone_function=lambda lay: lay, call_function=call_fn)
    if not stash:
        raise ValueError(f"nested model {sub.name!r} is not called in {model.name!r}'s graph.")
    return keras.Model(_single(g.inputs), [stash[0], *g.outputs], name=f"{model.name}_cam")


def _logits_model(model):
    """The pre-softmax model: :func:`helpers.models.logits_model` (one implementation for every module)."""
    from .models import logits_model

    return logits_model(model)


class _Core:
    """Cached per (model, layer): the two-output model and compiled passes."""

    def __init__(self, model, path):
        import tensorflow as tf

        self.logits = _logits_model(model)
        # The pre-softmax model shares the layers; find the same layer object in it
        # (a nested model may have been replaced by its pre-softmax copy).
        target = dict(_walk(model))[path]
        hits = [p for p, lay in _walk(self.logits) if lay is target]
        if not hits:
            raise ValueError(f"internal: layer {'/'.join(path)!r} not found in the pre-softmax model.")
        self.path = hits[0]
        self.split = _expose(self.logits, self.path)
        if len(self.split.outputs) != 2:
            raise ValueError("class activation maps need a model with one output (the class scores).")
        self.num_classes = int(self.split.outputs[1].shape[-1])
        self.input_shape = tuple(self.split.inputs[0].shape[1:])
        self.map_shape = tuple(self.split.outputs[0].shape[1:])
        split = self.split

        def resolve(logits, cls):
            # cls (N, K): >= 0 a class id; -r means "the r-th best class".
            order = tf.argsort(logits, axis=1, direction="DESCENDING", stable=True)
            ranked = tf.gather(order, tf.maximum(-cls - 1, 0), batch_dims=1)
            return tf.where(cls < 0, ranked, cls)

        def grads(x, cls, prob):
            with tf.GradientTape() as tape:
                A, logits = split(x, training=False)
                resolved = resolve(logits, cls)
                scores = tf.nn.softmax(logits, axis=-1) if prob else logits
                sel = tf.gather(scores, resolved, batch_dims=1)  # (N, K)
            # One batched backward pass through the head: (N, K, h, w, k).
            J = tape.batch_jacobian(sel, A)
            return A, logits, resolved, J

        def maps(x, cls, method, prob):
            A, logits, resolved, J = grads(x, cls, prob)
            Ak = A[:, None]  # (N, 1, h, w, k)
            if method == "gradcam":
                w = tf.reduce_mean(J, axis=(2, 3))
            elif method == "counterfactual":
                w = -tf.reduce_mean(J, axis=(2, 3))
            elif method == "gradcam++":
                g2, g3 = J * J, J * J * J
                denom = 2.0 * g2 + tf.reduce_sum(Ak, axis=(2, 3), keepdims=True) * g3
                alpha = tf.where(denom != 0.0, g2 / tf.where(denom != 0.0, denom, 1.0), 0.0)
                w = tf.reduce_sum(alpha * tf.nn.relu(J), axis=(2, 3))
            else:  # pragma: no cover - guarded by grad_cam
                raise ValueError(method)
            m = tf.einsum("nhwc,nkc->nkhw", A, w)
            return m, logits, resolved

        def forward(x, cls):
            A, logits = split(x, training=False)
            return A, logits, resolve(logits, cls)

        # Fixed signatures: one trace per (method, score) whatever the batch size or K.
        x_spec = tf.TensorSpec((None,) + self.input_shape, tf.float32)
        c_spec = tf.TensorSpec((None, None), tf.int32)
        self._maps_fn = maps
        self._map_fns = {}
        self._spec = (x_spec, c_spec)
        self.forward = tf.function(forward, input_signature=[x_spec, c_spec])
        self.probs = tf.function(
            lambda x: tf.nn.softmax(self.logits(x, training=False), axis=-1), input_signature=[x_spec]
        )

    def maps(self, x, cls, method, prob):
        """Compiled (maps (N, K, h, w), logits, resolved classes) for a gradient method."""
        import tensorflow as tf

        key = (method, bool(prob))
        if key not in self._map_fns:
            fn = self._maps_fn
            self._map_fns[key] = tf.function(lambda x, c: fn(x, c, method, bool(prob)), input_signature=list(self._spec))
        with _quiet_tracing():
            return self._map_fns[key](x, cls)


class _quiet_tracing:
    """Silence TensorFlow's "triggered tf.function retracing" log line.

    Each (model, layer, method) is traced exactly once (fixed input
    signatures), but TensorFlow counts traces of the same Python code across
    models and warns; that message would only confuse a student.
    """

    def __enter__(self):
        import tensorflow as tf

        self._logger = tf.get_logger()
        self._level = self._logger.level
        self._logger.setLevel("ERROR")

    def __exit__(self, *exc):
        self._logger.setLevel(self._level)
        return False


_CORES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _core(model, layer) -> _Core:
    path = _resolve_layer(model, layer)
    per_model = _CORES.setdefault(model, {})
    if path not in per_model:
        per_model[path] = _Core(model, path)
    return per_model[path]


# ------------------------------------------------------ argument checks ----

def _check_images(images, core_input_shape, pixels):
    """helpers.inputs.check_images at the model's fixed input size and channels (if it has them).

    ``pixels``: the images are 0..255 pixels before preprocessing (a card or a
    ``preprocess`` was given), so the range is checked too; a bare model with
    no preprocessing takes whatever its input layer takes.
    """
    from .inputs import check_images

    want = tuple(core_input_shape)
    size = want[:2] if len(want) == 3 and None not in want[:2] else None
    channels = want[2] if len(want) == 3 else None
    return check_images(images, size=size, channels=channels, value_range=pixels)


def _named_classes(card, classes):
    """Class names -> ids when a model card (which knows the names) was given; anything else unchanged."""
    from .inputs import class_index, is_card

    if isinstance(classes, str) and classes.strip().lower().replace("-", "").replace("_", "").startswith("top"):
        return classes
    names = isinstance(classes, str) or (isinstance(classes, (list, tuple)) and classes
                                         and all(isinstance(c, str) for c in classes))
    if not names:
        return classes
    if not is_card(card):
        raise ValueError(f"classes={classes!r} is not understood: use None (top-1), 'top5' / 'topK' or class ids; "
                         "class names work when you pass the model card (it knows the names) instead of card.model.")
    if isinstance(classes, str):
        return class_index(card, classes, name="classes")
    return [class_index(card, c, name="classes") for c in classes]


def _parse_classes(classes, n_images, num_classes):
    """-> (cls (N, K) int32 with -r meaning r-th best, squeeze_k)."""
    if classes is None:
        return np.full((n_images, 1), -1, np.int32), True
    if isinstance(classes, str):
        key = classes.strip().lower().replace("-", "").replace("_", "")
        if key.startswith("top") and key[3:].isdigit() and int(key[3:]) >= 1:
            k = int(key[3:])
            if k > num_classes:
                raise ValueError(f"classes={classes!r} asks for {k} classes but the model has only {num_classes}.")
            return np.tile(-np.arange(1, k + 1, dtype=np.int32), (n_images, 1)), False
        raise ValueError(
            f"classes={classes!r} is not understood; use None (top-1), 'top5' / 'topK', a class id, "
            "a list of class ids, or an (N, K) array of ids per image."
        )
    if isinstance(classes, (bool, np.bool_)):
        raise TypeError("classes must be class ids (int), not a bool.")
    squeeze = np.ndim(classes) == 0
    arr = np.asarray(classes)
    if arr.size == 0:
        raise ValueError("classes is empty; give at least one class id.")
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"classes must be integer class ids, got {arr.dtype} values {arr.ravel()[:5]}.")
    bad = arr[(arr < 0) | (arr >= num_classes)]
    if bad.size:
        raise ValueError(
            f"class id {int(bad.ravel()[0])} is out of range: the model has {num_classes} classes "
            f"(ids 0..{num_classes - 1})."
        )
    if arr.ndim == 0:
        return np.full((n_images, 1), int(arr), np.int32), True
    if arr.ndim == 1:
        return np.tile(arr.astype(np.int32), (n_images, 1)), False
    if arr.ndim == 2:
        if arr.shape[0] != n_images:
            raise ValueError(
                f"a 2-D classes array gives the classes per image and must have N={n_images} rows, "
                f"got shape {arr.shape}."
            )
        return arr.astype(np.int32), False
    raise ValueError(f"classes must be an int, a list, or an (N, K) array, got shape {arr.shape}.")


# ------------------------------------------------------- normalisation ----

def normalize_maps(maps, class_ids=None, what="class activation map"):
    """ReLU then divide each map by its maximum, safely.

    Args:
        maps: (N, K, h, w) array (any real values).
        class_ids: optional (N, K) ints, only for the warning text.
    Returns:
        (N, K, h, w) float32 in [0, 1].  A map whose maximum is <= 0 becomes
        zeros and triggers ONE ``UserWarning`` listing the (image, class)
        pairs concerned; never NaN.
    Raises:
        ValueError if ``maps`` contains NaN/inf.
    Used by: grad_cam (notebook 04).
    """
    maps = np.asarray(maps, dtype=np.float32)
    if not np.all(np.isfinite(maps)):
        raise ValueError(f"the {what} contains NaN or infinite values (check the model and the images).")
    maps = np.maximum(maps, 0.0)
    flat = maps.reshape(maps.shape[0], maps.shape[1], -1)
    peak = flat.max(axis=-1) if flat.shape[-1] else np.zeros(maps.shape[:2], np.float32)
    zero = peak <= 0
    out = np.zeros_like(maps)
    ok = ~zero
    out[ok] = maps[ok] / peak[ok][:, None, None]
    if zero.any():
        pairs = np.argwhere(zero)
        desc = [
            f"image {i}, class {int(class_ids[i, k]) if class_ids is not None else k}" for i, k in pairs[:8]
        ]
        more = f" and {len(pairs) - 8} more" if len(pairs) > 8 else ""
        warnings.warn(
            f"{what} is zero everywhere (no positive evidence) for {'; '.join(desc)}{more}: "
            "returned as zeros instead of dividing by 0. Try another layer or class.",
            UserWarning,
            stacklevel=3,
        )
    return out


# ------------------------------------------------------------- methods ----

def _cam_weights(core, model):
    """Dense kernel (k, C) and bias of a GAP + Dense head right after the layer."""
    keras = _keras()
    leaves = list(_walk(core.logits))
    names = [p for p, _ in leaves]
    idx = names.index(core.path) if core.path in names else -1
    after = [lay for _, lay in leaves[idx + 1:]] if idx >= 0 else []
    last = after[-1] if after else None
    has_gap = any(isinstance(lay, keras.layers.GlobalAveragePooling2D) for lay in after)
    k = core.map_shape[-1]
    if not (has_gap and isinstance(last, keras.layers.Dense) and tuple(last.kernel.shape) == (k, core.num_classes)):
        raise ValueError(
            f"method='cam' needs GlobalAveragePooling2D + Dense({core.num_classes}) right after layer "
            f"{'/'.join(core.path)!r} (the CAM architecture); {model.name!r} has "
            f"{[type(lay).__name__ for lay in after]} there. Use method='gradcam', which works for any head "
            "(and equals CAM on a GAP + Dense model)."
        )
    W = np.asarray(last.kernel, dtype=np.float64)
    b = np.asarray(last.bias, dtype=np.float64) if last.use_bias else np.zeros(core.num_classes)
    return W, b


def _scorecam_chunk(core, raw, A, resolved, preprocess, max_batch):
    """Score-CAM maps (n, K, h, w) for raw images (n, H, W, C) with feature maps A (n, h, w, k)."""
    import tensorflow as tf

    H, W_ = raw.shape[1:3]
    out = np.zeros((len(raw), resolved.shape[1]) + A.shape[1:3], np.float32)
    for i in range(len(raw)):
        a = A[i]
        active = np.flatnonzero(a.reshape(-1, a.shape[-1]).max(axis=0) > 0)
        if active.size == 0:
            continue  # no channel fires: every weighted sum is 0
        up = tf.image.resize(a[..., active], (H, W_), method="bilinear").numpy()  # (H, W, k')
        lo = up.min(axis=(0, 1), keepdims=True)
        hi = up.max(axis=(0, 1), keepdims=True)
        span = hi - lo
        masks = np.where(span > 0, (up - lo) / np.where(span > 0, span, 1.0), 0.0).astype(np.float32)
        masks = np.moveaxis(masks, -1, 0)[..., None]  # (k', H, W, 1)
        weights = np.empty((active.size, resolved.shape[1]), np.float32)
        for s in range(0, active.size, max_batch):
            masked = raw[i][None] * masks[s:s + max_batch]
            x = preprocess(masked) if preprocess is not None else masked
            with _quiet_tracing():
                p = np.asarray(core.probs(tf.convert_to_tensor(x, tf.float32)))
            weights[s:s + max_batch] = p[:, resolved[i]]
        out[i] = np.einsum("hwc,ck->khw", a[..., active], weights)
    return out


def grad_cam(
    model,
    images,
    classes=None,
    layer: str | None = None,
    method: str = "gradcam",
    *,
    preprocess: Callable | None = None,
    normalize: bool = True,
    score: str = "logit",
    return_classes: bool = False,
    batch_size: int = 32,
    max_batch: int = 64,
    progress: bool = False,
):
    """Class activation maps of ``images`` for ``classes`` at feature layer ``layer``.

    Args:
        model: keras.Model returning class scores (softmax probabilities or
            logits), or a model card (then its ``preprocess`` and
            ``last_conv_layer`` are used).
        images: (N, H, W, C) float 0..255 before preprocessing, or one
            (H, W, C) image.
        classes: None -> the top-1 class of each image, maps (N, h, w);
            an int -> that class for every image, (N, h, w);
            a list of K ids -> (N, K, h, w); ``"top5"`` / ``"topK"`` -> the K
            best classes of each image, (N, K, h, w); an (N, K) int array ->
            per-image classes, (N, K, h, w).
        layer: feature layer name (nested: ``"base/block5_conv3"`` or the bare
            name); None -> :func:`default_layer`.
        method: one of :data:`METHODS`.
        preprocess: images -> model input (e.g. ``card.preprocess``); None = identity.
        normalize: True -> ReLU and divide by each map's max, values in [0, 1];
            False -> the raw ReLU'd maps (e.g. to compare scales).
        score: ``"logit"`` (default, the pre-softmax y^c of the paper) or
            ``"probability"`` (after the softmax; only to show why not).
        return_classes: also return the class ids used, (N,) or (N, K).
        batch_size: images per forward pass (memory bound).
        max_batch: Score-CAM masked images per forward pass (memory bound).
        progress: show a tqdm bar over batches.
    Returns:
        heatmaps float32 (N, h, w) or (N, K, h, w) (no N axis for one
        (H, W, C) image); with ``return_classes``, ``(heatmaps, class_ids)``.
    Raises:
        ValueError / TypeError for a bad layer (listing valid ones), bad class
        ids, bad image shapes, unknown method, or CAM on a model without a
        GAP + Dense head.
    Warns:
        UserWarning when a map is zero everywhere (returned as zeros).
    Used by: notebook 04_gradcam, helpers.widgets.cam.
    """
    import tensorflow as tf

    method = str(method).lower().replace("-", "").replace("_", "").replace(" ", "")
    method = {"gradcampp": "gradcam++", "gradcamplusplus": "gradcam++", "score": "scorecam"}.get(method, method)
    if method not in METHODS:
        raise ValueError(
            f"unknown method {method!r}; choose one of {METHODS} "
            "(guided backpropagation: helpers.cam.guided_backprop / guided_grad_cam)."
        )
    if score not in ("logit", "probability"):
        raise ValueError(f"score must be 'logit' (pre-softmax, the default) or 'probability', got {score!r}.")
    from .inputs import check_int

    batch_size, max_batch = check_int(batch_size, "batch_size", 1), check_int(max_batch, "max_batch", 1)
    card = model
    model, preprocess, layer = _unpack_card(model, preprocess, layer)
    classes = _named_classes(card, classes)
    if layer is None:
        layer = default_layer(model)
    core = _core(model, layer)
    raw, single = _check_images(images, core.input_shape, preprocess is not None)
    cls, squeeze = _parse_classes(classes, len(raw), core.num_classes)
    if method == "cam" and score != "logit":
        raise ValueError("method='cam' uses the Dense weights, i.e. the logit; score='probability' does not apply.")

    chunks = range(0, len(raw), int(batch_size))
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc=f"{method} maps", unit="batch")
    maps, ids = [], []
    cam_w = None
    for s in chunks:
        part = raw[s:s + int(batch_size)]
        x = preprocess(part) if preprocess is not None else part
        x = tf.convert_to_tensor(x, tf.float32)
        c = tf.constant(cls[s:s + int(batch_size)])
        if method in ("gradcam", "gradcam++", "counterfactual"):
            m, _, r = core.maps(x, c, method, score == "probability")
            maps.append(np.asarray(m, np.float64))
            ids.append(np.asarray(r))
            continue
        with _quiet_tracing():
            A, logits, r = core.forward(x, c)
        A, logits, r = np.asarray(A, np.float64), np.asarray(logits, np.float64), np.asarray(r)
        if method == "cam":
            if cam_w is None:
                cam_w = _cam_weights(core, model)
            W, b = cam_w
            pred = A.mean(axis=(1, 2)) @ W + b
            if not np.allclose(pred, logits, rtol=1e-3, atol=1e-3 * (np.abs(logits).max() + 1.0)):
                raise ValueError(
                    f"method='cam': the scores of {model.name!r} are not GlobalAveragePooling(layer "
                    f"{layer!r}) @ Dense (something else sits between them). Use method='gradcam'."
                )
            m = np.einsum("nhwc,nkc->nkhw", A, np.transpose(W[:, r], (1, 2, 0)))
        else:  # scorecam
            m = _scorecam_chunk(core, part, A.astype(np.float32), r, preprocess, int(max_batch))
        maps.append(m)
        ids.append(r)
    maps = np.concatenate(maps).astype(np.float32)
    ids = np.concatenate(ids)
    if normalize:
        maps = normalize_maps(maps, ids, what=f"{method} map")
    else:
        if not np.all(np.isfinite(maps)):
            raise ValueError(f"the {method} map contains NaN or infinite values.")
        maps = np.maximum(maps, 0.0)
    if squeeze:
        maps, ids = maps[:, 0], ids[:, 0]
    if single:
        maps, ids = maps[0], ids[0]
    return (maps, ids) if return_classes else maps


# ------------------------------------------- guided backpropagation ----

def _guided_relu(forward=None, threshold=0.0, max_value=None):
    """A ReLU-family unit whose backward pass follows the guided rule (Springenberg et al. 2015).

    Forward: ``forward(x)``, the unit's own function unchanged (default
    ``tf.nn.relu``; a ReLU6 keeps its cap, a thresholded ReLU its threshold).
    Backward: the incoming gradient dy passes only where the unit's local
    derivative is non-zero (threshold < x < max_value: the linear region) AND
    dy > 0; everywhere else 0.
    """
    import tensorflow as tf

    forward = tf.nn.relu if forward is None else forward

    @tf.custom_gradient
    def guided_relu(x):
        y = forward(x)

        def grad(dy):
            keep = (x > threshold) & (dy > 0)
            if max_value is not None:
                keep = keep & (x < max_value)
            return tf.where(keep, dy, tf.zeros_like(dy))

        return y, grad

    guided_relu.__name__ = "guided_relu"
    return guided_relu


_GUIDED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _activation_kind(fn):
    """Classify an activation function for guided backpropagation.

    Returns ``("relu", (threshold, max_value))`` for relu / relu6 (Keras,
    keras.ops or tf.nn; a string such as ``"relu6"`` is stored by Keras as the
    function), ``("pass", None)`` for linear / softmax / None, ``("sigmoid",
    None)`` for a sigmoid and ``("other", name)`` for anything else.
    """
    keras = _keras()
    import tensorflow as tf

    if fn is None:
        return "pass", None

    def among(*fns):
        return any(fn is f for f in fns)

    name = getattr(fn, "__name__", type(fn).__name__)
    from_library = str(getattr(fn, "__module__", "")).split(".")[0] in ("keras", "tensorflow")
    if among(keras.activations.relu, keras.ops.relu, tf.nn.relu) or (from_library and name == "relu"):
        return "relu", (0.0, None)
    if among(keras.activations.relu6, keras.ops.relu6, tf.nn.relu6) or (from_library and name == "relu6"):
        return "relu", (0.0, 6.0)
    if among(keras.activations.linear, keras.activations.softmax, keras.ops.softmax, tf.nn.softmax) or (
            from_library and name in ("linear", "softmax")):
        return "pass", None
    if among(keras.activations.sigmoid, keras.ops.sigmoid, tf.nn.sigmoid) or (from_library and name == "sigmoid"):
        return "sigmoid", None
    return "other", name


def _output_layer(model):
    """The layer that produces ``model``'s (first) output, looking inside nested models."""
    keras = _keras()
    lay = model
    while isinstance(lay, keras.Model):
        try:
            lay = lay.outputs[0]._keras_history.operation
        except (AttributeError, IndexError, TypeError, ValueError):
            return None
    return lay


def _guided_model(model):
    """Clone of logits_model(model) whose ReLU-family units use the guided gradient; same weights.

    Guided: ``keras.layers.ReLU`` (any max_value / threshold, negative_slope 0),
    ``LeakyReLU(negative_slope=0)`` and every ``activation`` that is relu or
    relu6 (Activation layers, Conv2D / Dense ``activation=``).  Left as they
    are: linear, softmax, and a sigmoid on the output layer (it only rescales
    each class score's gradient by a positive factor).  Any other nonlinearity
    (leaky ReLU, PReLU, ELU, GELU, swish, tanh, a hidden sigmoid, ...) raises a
    ValueError: the guided rule is defined for ReLU units only.
    """
    if model in _GUIDED:
        return _GUIDED[model]
    keras = _keras()
    import tensorflow as tf

    src = _logits_model(model)
    out_layer = _output_layer(src)
    pairs, unguidable = [], []
    n_relu = [0]

    def relu_forward(threshold, max_value):
        # exactly what keras.layers.ReLU.call computes (negative_slope 0)
        return lambda x: keras.activations.relu(x, negative_slope=0.0, max_value=max_value, threshold=threshold)

    def clone(lay):
        new = lay.__class__.from_config(lay.get_config())
        if isinstance(lay, keras.layers.ReLU):
            cfg = lay.get_config()
            slope, th, mv = cfg.get("negative_slope") or 0.0, cfg.get("threshold") or 0.0, cfg.get("max_value")
            if slope:
                unguidable.append((lay.name, f"ReLU(negative_slope={slope}) (a leaky ReLU)"))
            else:
                g = _guided_relu(relu_forward(th, mv), threshold=th, max_value=mv)
                new = keras.layers.Activation(g, name=lay.name, dtype=lay.dtype_policy)
                n_relu[0] += 1
        elif isinstance(lay, keras.layers.LeakyReLU):
            slope = lay.get_config().get("negative_slope")
            if slope:
                unguidable.append((lay.name, f"LeakyReLU(negative_slope={slope})"))
            else:
                g = _guided_relu(lambda x: keras.activations.leaky_relu(x, negative_slope=0.0))
                new = keras.layers.Activation(g, name=lay.name, dtype=lay.dtype_policy)
                n_relu[0] += 1
        elif isinstance(lay, (keras.layers.PReLU, keras.layers.ELU)):
            unguidable.append((lay.name, type(lay).__name__))
        elif not isinstance(lay, keras.Model):
            for attr in ("activation", "recurrent_activation"):
                fn = getattr(lay, attr, None)
                if fn is None or not callable(fn):
                    continue
                kind, info = _activation_kind(fn)
                if kind == "relu":
                    try:
                        setattr(new, attr, _guided_relu(fn, threshold=info[0], max_value=info[1]))
                    except AttributeError:  # e.g. a recurrent cell's activation
                        unguidable.append((lay.name, f"{attr}={fn.__name__} inside {type(lay).__name__}"))
                    else:
                        n_relu[0] += 1
                elif kind == "other" or (kind == "sigmoid" and (lay is not out_layer or attr != "activation")):
                    unguidable.append((lay.name, f"{attr}={getattr(fn, '__name__', fn)}"))
        pairs.append((lay, new))
        return new

    guided = keras.models.clone_model(src, clone_function=clone, recursive=True)
    if unguidable:
        listed = "; ".join(f"layer {name!r}: {what}" for name, what in unguidable[:5])
        more = f" (and {len(unguidable) - 5} more)" if len(unguidable) > 5 else ""
        raise ValueError(
            f"cannot compute guided backpropagation for {model.name!r}: {listed}{more}. Guided "
            f"backpropagation is defined for ReLU-family units (ReLU, ReLU6, capped or thresholded "
            f"ReLU); it has no rule for this activation. Use helpers.cam.grad_cam (any "
            f"differentiable model) or the plain gradient of the score (tf.GradientTape) instead."
        )
    for old, new in pairs:
        if old.weights:
            new.set_weights(old.get_weights())
    probe = np.random.default_rng(0).uniform(0, 1, (1,) + tuple(src.inputs[0].shape[1:])).astype(np.float32)
    if not np.allclose(np.asarray(guided(probe, training=False)), np.asarray(src(probe, training=False)),
                       rtol=1e-4, atol=1e-4):
        raise RuntimeError("internal: the guided clone does not reproduce the model's scores.")
    if n_relu[0] == 0:
        warnings.warn(f"{model.name!r} has no ReLU to guide: guided backprop equals the plain gradient.",
                      UserWarning, stacklevel=3)

    def grads(raw, cls, preprocess):
        with tf.GradientTape() as tape:
            tape.watch(raw)
            x = preprocess(raw) if preprocess is not None else raw
            logits = guided(x, training=False)
            order = tf.argsort(logits, axis=1, direction="DESCENDING", stable=True)
            ranked = tf.gather(order, tf.maximum(-cls - 1, 0), batch_dims=1)
            resolved = tf.where(cls < 0, ranked, cls)
            sel = tf.gather(logits, resolved, batch_dims=1)
        return tape.batch_jacobian(sel, raw), resolved  # (N, K, H, W, C)

    compiled = {}
    x_spec = tf.TensorSpec((None,) + tuple(src.inputs[0].shape[1:]), tf.float32)
    c_spec = tf.TensorSpec((None, None), tf.int32)

    def run(raw, cls, preprocess):
        """Compiled once per preprocess function (fixed signature: no retracing)."""
        key = id(preprocess)
        if key not in compiled:
            fn = tf.function(lambda r, c: grads(r, c, preprocess), input_signature=[x_spec, c_spec])
            compiled[key] = (preprocess, fn)  # keep preprocess alive so its id stays unique
        with _quiet_tracing():
            return compiled[key][1](raw, cls)

    _GUIDED[model] = (guided, run)
    return _GUIDED[model]


def guided_backprop(model, images, classes=None, *, preprocess=None, return_classes=False, batch_size=16):
    """Guided backpropagation: d y^c / d image through ReLUs that pass only positive gradients.

    Every ReLU-family unit is guided: ReLU, ReLU6 (``keras.layers.ReLU(max_value=6)``,
    ``"relu6"``), any capped or thresholded ``keras.layers.ReLU``.  The forward
    pass is the model's own; backwards a unit passes dy only inside its
    linear region (threshold < x < max_value) and only where dy > 0.

    Args:
        model, images, classes, preprocess: as in :func:`grad_cam` (a card works).
        batch_size: images per backward pass (each pass differentiates the
            whole network for every class asked: lower it for VGG16 and top-5).
    Returns:
        float32 (N, H, W, C) or (N, K, H, W, C) signed gradients with respect to
        the raw images (before preprocessing); see :func:`saliency_image` to
        display.  With ``return_classes``: ``(grads, class_ids)``.
    Raises:
        ValueError: the model has a nonlinearity the guided rule does not cover
        (leaky ReLU, PReLU, ELU, GELU, swish, tanh, a hidden sigmoid, ...);
        linear, softmax and a sigmoid output layer are fine.
    Used by: notebook 04 ("other methods").
    """
    import tensorflow as tf

    from .inputs import check_int

    batch_size = check_int(batch_size, "batch_size", 1)
    card = model
    model, preprocess, _ = _unpack_card(model, preprocess, None)
    classes = _named_classes(card, classes)
    guided, grads = _guided_model(model)
    raw, single = _check_images(images, tuple(guided.inputs[0].shape[1:]), preprocess is not None)
    num_classes = int(guided.outputs[0].shape[-1])
    cls, squeeze = _parse_classes(classes, len(raw), num_classes)
    outs, ids = [], []
    for s in range(0, len(raw), int(batch_size)):
        g, r = grads(tf.convert_to_tensor(raw[s:s + batch_size]), tf.constant(cls[s:s + batch_size]), preprocess)
        # (one batched backward pass through the whole network per chunk and class)
        outs.append(np.asarray(g, np.float32))
        ids.append(np.asarray(r))
    out, ids = np.concatenate(outs), np.concatenate(ids)
    if squeeze:
        out, ids = out[:, 0], ids[:, 0]
    if single:
        out, ids = out[0], ids[0]
    return (out, ids) if return_classes else out


def resize_heatmap(heatmap, size):
    """Bilinear resize of a 2-D map to ``size`` = (H, W) with Pillow (float, no 8-bit rounding).

    Args:
        heatmap: (h, w) float array.  size: (H, W).
    Returns:
        (H, W) float32.
    Used by: overlay, heatmap_box, pointing_game, guided_grad_cam.
    """
    from PIL import Image

    hm = np.asarray(heatmap, dtype=np.float32)
    if hm.ndim != 2:
        raise ValueError(f"heatmap must be 2-D (h, w), got shape {hm.shape}.")
    H, W = int(size[0]), int(size[1])
    if H < 1 or W < 1:
        raise ValueError(f"size must be (H, W) with positive values, got {size}.")
    if hm.shape == (H, W):
        return hm.copy()
    return np.asarray(Image.fromarray(hm, mode="F").resize((W, H), Image.BILINEAR), dtype=np.float32)


def guided_grad_cam(model, images, classes=None, layer=None, *, preprocess=None, return_classes=False):
    """Guided Grad-CAM: guided backpropagation times the Grad-CAM map upsampled to the image.

    Args:
        as :func:`grad_cam`.
    Returns:
        float32 (N, H, W, C) or (N, K, H, W, C) (signed; :func:`saliency_image`
        to display, :func:`saliency_heatmap` for a 2-D map).
    Used by: notebook 04.
    """
    card = model
    model, preprocess, layer = _unpack_card(model, preprocess, layer)
    classes = _named_classes(card, classes)
    arr, single = _check_images(images, tuple(model.inputs[0].shape[1:]), preprocess is not None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a zero Grad-CAM map is fine here: the product is 0
        cams, ids = grad_cam(model, arr, classes, layer, preprocess=preprocess, return_classes=True)
    squeeze = cams.ndim == 3
    ids = np.asarray(ids).reshape(len(arr), -1)
    cams = cams.reshape((len(arr), ids.shape[1]) + cams.shape[-2:])
    gb = guided_backprop(model, arr, ids, preprocess=preprocess)  # (N, K, H, W, C)
    H, W = gb.shape[-3:-1]
    up = np.stack([resize_heatmap(m, (H, W)) for m in cams.reshape((-1,) + cams.shape[-2:])])
    out = gb * up.reshape(gb.shape[:-1] + (1,))
    if squeeze:
        out, ids = out[:, 0], ids[:, 0]
    if single:
        out, ids = out[0], ids[0]
    return (out, ids) if return_classes else out


def saliency_image(grads, percentile=99.0):
    """A signed gradient image (H, W, C) -> uint8 picture: 0 grey, bright/dark = +/-.

    Returns:
        (H, W, C) uint8 (or (..., H, W, C) for stacked inputs).
    """
    g = np.asarray(grads, dtype=np.float32)
    scale = np.percentile(np.abs(g), percentile, axis=(-3, -2, -1), keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    return np.clip(127.5 + 127.5 * g / scale, 0, 255).astype(np.uint8)


def saliency_heatmap(grads):
    """Signed gradients (..., H, W, C) -> heatmap (..., H, W) in [0, 1]: max |g| over channels.

    All-zero inputs give zeros (no division by zero).  Used by notebook 04's
    pointing game for guided methods.
    """
    g = np.abs(np.asarray(grads, dtype=np.float32)).max(axis=-1)
    peak = g.max(axis=(-2, -1), keepdims=True)
    return np.where(peak > 0, g / np.where(peak > 0, peak, 1.0), 0.0).astype(np.float32)


# ------------------------------------------------------------- display ----

def _check_heatmap(heatmap) -> np.ndarray:
    """One (h, w) finite heatmap as float32, or a clear ValueError."""
    hm = np.asarray(heatmap, dtype=np.float32)
    if hm.ndim != 2:
        raise ValueError(f"heatmap must be (h, w), got shape {hm.shape}; pick one map, e.g. heatmaps[0].")
    if hm.size == 0:
        raise ValueError(f"heatmap is empty (shape {hm.shape}); give a map with at least one cell.")
    if not np.all(np.isfinite(hm)):
        raise ValueError("heatmap contains NaN or infinite values.")
    return hm


def overlay(image, heatmap, alpha: float = 0.4, cmap: str = "jet", ramp: bool = False):
    """Superimpose a heatmap on an image (the book's listing 5.44, without OpenCV).

    Args:
        image: (H, W, 3) float 0..255 or uint8 (a gray (H, W) image works too).
        heatmap: (h, w) values in [0, 1]; resized to (H, W) bilinearly.
        alpha: heatmap weight in [0, 1] (0.4 as in the book); with ``ramp``, the
            weight of the hottest pixels.
        cmap: matplotlib colormap name ('jet' as in the book; 'inferno' is
            perceptually uniform: its brightness grows with the value).
        ramp: False: the book's blend, every pixel mixed with weight ``alpha``;
            True: each pixel's weight is ``alpha * heat``, so cold regions show
            the image unchanged and only the evidence is coloured (readable on
            any background, used by :func:`show_cams`).
    Returns:
        (H, W, 3) uint8 = (1 - a) * image + a * colormap(heatmap), with
        a = alpha, or a = alpha * heatmap (per pixel) with ``ramp``.
    Used by: notebook 04, the explorer widget.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    if img.ndim != 3 or img.shape[-1] not in (1, 3):
        raise ValueError(f"image must be (H, W, 3), got shape {img.shape}.")
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    from .inputs import check_cmap, check_images, check_number

    img = check_images(img, name="image")[0][0]          # 0..255, finite (a 0..1 image gets the hint)
    alpha = check_number(alpha, "alpha", 0.0, 1.0)
    hm = _check_heatmap(heatmap)
    hm = np.clip(resize_heatmap(hm, img.shape[:2]), 0.0, 1.0)
    colormap = check_cmap(cmap)
    colour = colormap(hm)[..., :3] * 255.0
    a = float(alpha) * hm[..., None] if ramp else float(alpha)
    out = (1.0 - a) * img + a * colour
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


# -------------------------------------------------------- localisation ----

def _largest_component(mask, connectivity=8):
    """Largest connected True region of a 2-D mask, by run-length union-find.

    Returns:
        list of (row, start, stop) runs of that region (stop exclusive), or [].
    """
    runs = []
    for y in range(mask.shape[0]):
        row = np.concatenate(([0], mask[y].astype(np.int8), [0]))
        d = np.diff(row)
        for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
            runs.append((y, int(s), int(e)))
    if not runs:
        return []
    parent = list(range(len(runs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reach = 1 if connectivity == 8 else 0
    prev_start, start = 0, 0
    for idx, (y, s, e) in enumerate(runs):
        if idx and runs[idx - 1][0] != y:
            prev_start, start = start, idx
        if y == 0:
            continue
        for j in range(prev_start, start):
            py, ps, pe = runs[j]
            if py != y - 1:
                continue
            if ps < e + reach and s < pe + reach:
                a, b = find(idx), find(j)
                if a != b:
                    parent[a] = b
    sizes: dict = {}
    for idx, (y, s, e) in enumerate(runs):
        r = find(idx)
        sizes[r] = sizes.get(r, 0) + (e - s)
    best = max(sizes, key=lambda r: (sizes[r], -r))
    return [run for idx, run in enumerate(runs) if find(idx) == best]


def heatmap_box(heatmap, threshold: float = 0.15, size=None, connectivity: int = 8):
    """Localisation box of the Grad-CAM paper: threshold at ``threshold`` x max, largest connected region.

    Args:
        heatmap: (h, w) float map (e.g. one Grad-CAM map).
        threshold: fraction of the map's maximum (0.15 in the paper).
        size: None -> box in heatmap cells; (H, W) -> the map is first resized
            bilinearly to the image and the box is in image pixels.
        connectivity: 8 (default) or 4 neighbours.
    Returns:
        (x0, y0, x1, y1) ints, x1/y1 exclusive (width = x1 - x0); None when
        the map has no positive value (nothing to localise).
    Used by: notebook 04 (box drawn, box IoU).
    """
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8.")
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold is a fraction of the max, in [0, 1]; got {threshold}.")
    hm = _check_heatmap(heatmap)
    if size is not None:
        hm = resize_heatmap(hm, size)
    peak = float(hm.max())
    if peak <= 0:
        return None
    runs = _largest_component(hm >= float(threshold) * peak, connectivity)
    ys = [y for y, _, _ in runs]
    return (min(s for _, s, _ in runs), min(ys), max(e for _, _, e in runs), max(ys) + 1)


def box_iou(a, b) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1), x1/y1 exclusive; 0.0 if either is None."""
    if a is None or b is None:
        return 0.0
    ax0, ay0, ax1, ay1 = (float(v) for v in a)
    bx0, by0, bx1, by1 = (float(v) for v in b)
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = max(0.0, ax1 - ax0) * max(0.0, ay1 - ay0) + max(0.0, bx1 - bx0) * max(0.0, by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def _check_boxes(boxes, n, size=None, name="boxes"):
    """(n, 4) finite boxes (x0, y0, x1, y1) with x0 < x1, y0 < y1, as float64; or a clear ValueError."""
    try:
        bx = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers (x0, y0, x1, y1) per image, got {type(boxes).__name__}.") from None
    if bx.shape != (n, 4):
        raise ValueError(f"{name} must be (N, 4) = ({n}, 4) boxes (x0, y0, x1, y1), got shape {bx.shape}.")
    if not np.all(np.isfinite(bx)):
        raise ValueError(f"{name} contain NaN or infinite values (row {int(np.argwhere(~np.isfinite(bx))[0, 0])}).")
    bad = np.flatnonzero((bx[:, 2] <= bx[:, 0]) | (bx[:, 3] <= bx[:, 1]))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] = {bx[bad[0]].tolist()} is empty or inverted: boxes are (x0, y0, x1, y1) "
                         "with x0 < x1 and y0 < y1 (x1, y1 exclusive).")
    return bx


def _check_map_batch(heatmaps, name="heatmaps"):
    """(N, h, w) finite maps with N >= 1, as float32."""
    try:
        hms = np.asarray(heatmaps, dtype=np.float32)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an (N, h, w) array of numbers, got {type(heatmaps).__name__}.") from None
    if hms.ndim != 3:
        raise ValueError(f"{name} must be (N, h, w), got shape {hms.shape}.")
    if len(hms) == 0 or hms.shape[1] == 0 or hms.shape[2] == 0:
        raise ValueError(f"{name} is empty (shape {hms.shape}); give at least one map.")
    if not np.all(np.isfinite(hms)):
        raise ValueError(f"{name} contain NaN or infinite values.")
    return hms


def _peak(hm):
    y, x = np.unravel_index(int(np.argmax(hm)), hm.shape)
    return x, y


def pointing_game(heatmaps, boxes, size, tolerance: int = 0, return_hits: bool = False):
    """Pointing game (Zhang et al. 2016): is each heatmap's peak inside its object's box?

    Args:
        heatmaps: (N, h, w) maps.
        boxes: (N, 4) true boxes (x0, y0, x1, y1) in image pixels, x1/y1 exclusive.
        size: (H, W) image size; each map is resized bilinearly to it first.
        tolerance: pixels the peak may lie outside the box (the original
            game allows 15 px at 224 px; default 0 = strict).
        return_hits: also return the (N,) bool hits.
    Returns:
        fraction of hits in [0, 1] (a map that is zero everywhere is a miss);
        with ``return_hits``: ``(fraction, hits)``.
    Used by: notebook 04, bench/bench_gradcam.py.
    """
    from .inputs import check_number, check_size

    hms = _check_map_batch(heatmaps)
    bx = _check_boxes(boxes, len(hms))
    size = check_size(size, "size")
    tolerance = check_number(tolerance, "tolerance", 0)
    hits = np.zeros(len(hms), bool)
    for i, hm in enumerate(hms):
        up = resize_heatmap(hm, size)
        if not np.isfinite(up).all() or up.max() <= 0:
            continue
        x, y = _peak(up)
        x0, y0, x1, y1 = bx[i]
        hits[i] = (x0 - tolerance <= x < x1 + tolerance) and (y0 - tolerance <= y < y1 + tolerance)
    frac = float(hits.mean())
    return (frac, hits) if return_hits else frac


def localization_scores(heatmaps, boxes, size, threshold: float = 0.15, tolerance: int = 0):
    """Pointing game and box IoU of a set of maps against true boxes.

    Args:
        heatmaps: (N, h, w); boxes: (N, 4) (x0, y0, x1, y1) pixels; size: (H, W).
        tolerance: pointing-game pixels (see :func:`pointing_game`; 0 = strict).
    Returns:
        dict with "pointing" (fraction of peaks inside the box), "iou" (mean IoU
        of :func:`heatmap_box` with the true box), "iou>=0.5" (fraction).
    Used by: notebook 04 (table per method), bench/bench_gradcam.py.
    """
    point = pointing_game(heatmaps, boxes, size, tolerance)
    ious = np.array([box_iou(heatmap_box(h, threshold, size=size), b) for h, b in zip(heatmaps, boxes)])
    return {"pointing": point, "iou": float(ious.mean()), "iou>=0.5": float((ious >= 0.5).mean())}


#: Rows of :func:`localization_table`: the map methods plus the two guided ones.
LOCALIZATION_METHODS = METHODS + ("guided_backprop", "guided_gradcam")


def localization_table(model, images, labels, boxes, methods=LOCALIZATION_METHODS, layer=None, *,
                       preprocess=None, limits=None, threshold=0.15, batch_size=64, progress=False):
    """Pointing game and box IoU of each method on images with known boxes (the true class's map).

    Args:
        model: model card or keras.Model; images (N, H, W, 3) 0..255;
        labels: (N,) true class ids (the map is taken for the true class);
        boxes: (N, 4) true boxes (x0, y0, x1, y1), x1/y1 exclusive.
        methods: names from :data:`LOCALIZATION_METHODS`.
        limits: dict method -> max images (e.g. ``{"scorecam": 100}``: Score-CAM
            costs one forward pass per channel and image); others use all N.
        threshold: box threshold (fraction of the max).
    Returns:
        list of dict rows: method, n, pointing, iou, iou>=0.5, seconds; the
        first row is the "centre" baseline (peak assumed at the image centre,
        box = the whole image).
    Used by: notebook 04 (table per method), bench/bench_gradcam.py.
    """
    import time

    model, preprocess, layer = _unpack_card(model, preprocess, layer)
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int64)
    boxes = np.asarray(boxes, dtype=np.float64)
    if not (len(images) == len(labels) == len(boxes)):
        raise ValueError(f"got {len(images)} images, {len(labels)} labels and {len(boxes)} boxes; need one each.")
    unknown = [m for m in methods if m not in LOCALIZATION_METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; choose from {LOCALIZATION_METHODS}.")
    limits = dict(limits or {})
    size = images.shape[1:3]
    H, W = size
    centre = np.zeros((len(images), H, W), np.float32)
    centre[:, H // 2, W // 2] = 1.0
    full = np.tile([0, 0, W, H], (len(images), 1))
    rows = [{"method": "centre (baseline)", "n": len(images), "pointing": pointing_game(centre, boxes, size),
             "iou": float(np.mean([box_iou(f, b) for f, b in zip(full, boxes)])),
             "iou>=0.5": float(np.mean([box_iou(f, b) >= 0.5 for f, b in zip(full, boxes)])), "seconds": 0.0}]
    for method in methods:
        n = min(len(images), int(limits.get(method, len(images))))
        x, y, b = images[:n], labels[:n, None], boxes[:n]
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a zero map simply scores as a miss
            if method == "guided_backprop":
                maps = saliency_heatmap(guided_backprop(model, x, y, preprocess=preprocess)[:, 0])
            elif method == "guided_gradcam":
                maps = saliency_heatmap(guided_grad_cam(model, x, y, layer, preprocess=preprocess)[:, 0])
            else:
                maps = grad_cam(model, x, y, layer, method, preprocess=preprocess, batch_size=batch_size,
                                progress=progress)[:, 0]
        seconds = time.perf_counter() - t0
        row = localization_scores(maps, b, size, threshold)
        rows.append({"method": method, "n": n, **row, "seconds": seconds})
    return rows


def format_table(rows) -> str:
    """Rows of :func:`localization_table` as a fixed-width text table."""
    lines = [f"{'method':<18} {'n':>5} {'pointing':>9} {'box IoU':>8} {'IoU>=0.5':>9} {'seconds':>8}"]
    for r in rows:
        lines.append(f"{r['method']:<18} {r['n']:>5d} {r['pointing']:>9.3f} {r['iou']:>8.3f} "
                     f"{r['iou>=0.5']:>9.3f} {r['seconds']:>8.1f}")
    return "\n".join(lines)


def _draw_box(ax, box, colour):
    """A box (x0, y0, x1, y1) in image pixels: a coloured line on a black outline (visible on light and dark)."""
    from matplotlib import patheffects
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = box
    rect = Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec=colour, lw=1.8)
    rect.set_path_effects([patheffects.Stroke(linewidth=4.0, foreground="black"), patheffects.Normal()])
    ax.add_patch(rect)


def show_cams(images, heatmaps, titles=None, boxes=None, true_boxes=None, alpha=0.75, ncols=None, size=2.2,
              cmap="inferno", note=None, colorbar=False):
    """Static figure: a grid of overlays (a widget's printable twin).

    Args:
        images: (N, H, W, 3) 0..255 (or one image reused for every map).
        heatmaps: (N, h, w) maps in [0, 1].
        titles: N strings; boxes / true_boxes: N boxes (x0, y0, x1, y1) in
            image pixels drawn in white / green on a black outline (None
            entries skipped).
        alpha, cmap: the overlay's opacity at the hottest pixels and its
            colormap (:func:`overlay` with ``ramp=True``: cold regions show the
            image, hot ones the colour; 'inferno' grows brighter with the value).
        note: one line printed under the figure (e.g. how the maps are scaled).
        colorbar: add a colour bar (0 = no evidence, 1 = the scale's maximum).
    Returns:
        matplotlib Figure.
    Used by: notebook 04.
    """
    import matplotlib.pyplot as plt

    hms = np.asarray(heatmaps, dtype=np.float32)
    imgs = np.asarray(images, dtype=np.float32)
    if imgs.ndim == 3:
        imgs = np.repeat(imgs[None], len(hms), axis=0)
    if len(imgs) != len(hms):
        raise ValueError(f"got {len(imgs)} images for {len(hms)} heatmaps.")
    n = len(hms)
    ncols = ncols or min(n, 6)
    nrows = -(-n // ncols)
    extra = 0.3 * bool(note) + 0.5 * bool(colorbar)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + extra), squeeze=False,
                             layout="constrained")
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(overlay(imgs[i], hms[i], alpha=alpha, cmap=cmap, ramp=True))
        for group, colour in ((boxes, "white"), (true_boxes, "lime")):
            if group is not None and group[i] is not None:
                _draw_box(ax, group[i], colour)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if colorbar:
        from matplotlib import cm, colors

        bar = fig.colorbar(cm.ScalarMappable(colors.Normalize(0, 1), cmap), ax=axes, orientation="horizontal",
                           shrink=0.35, aspect=40, pad=0.02)
        bar.set_ticks([0, 0.5, 1])
        bar.ax.tick_params(labelsize=8)
    if note:
        fig.supxlabel(note, fontsize=9)
    return fig


def show_methods(images, maps_by_method, saliency_by_method=None, alpha=0.75, size=1.9, cmap="inferno",
                 row_titles=None):
    """Static figure comparing methods: one row per image, one column per method.

    Args:
        images: (N, H, W, 3) 0..255.
        maps_by_method: dict name -> (N, h, w) heatmaps in [0, 1] (shown as
            overlays, :func:`overlay` with ``ramp=True``, opacity ``alpha`` at the
            hottest pixels, colormap ``cmap``).
        saliency_by_method: optional dict name -> (N, H, W, 3) signed gradients
            (guided backprop, Guided Grad-CAM; shown with :func:`saliency_image`).
        row_titles: optional N strings, written left of each row.
    Returns:
        matplotlib Figure.
    Used by: notebook 04 ("other methods side by side").
    """
    import matplotlib.pyplot as plt

    imgs = np.asarray(images, dtype=np.float32)
    sal = dict(saliency_by_method or {})
    cols = ["image"] + list(maps_by_method) + list(sal)
    if row_titles is not None and len(row_titles) != len(imgs):
        raise ValueError(f"got {len(row_titles)} row titles for {len(imgs)} images.")
    fig, axes = plt.subplots(len(imgs), len(cols), figsize=(size * len(cols), size * len(imgs)), squeeze=False)
    for i, img in enumerate(imgs):
        for j, name in enumerate(cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if name == "image":
                ax.imshow(np.clip(img, 0, 255).astype(np.uint8))
                if row_titles is not None:
                    ax.set_ylabel(str(row_titles[i]), fontsize=9)
            elif name in maps_by_method:
                ax.imshow(overlay(img, np.asarray(maps_by_method[name])[i], alpha=alpha, cmap=cmap, ramp=True))
            else:
                ax.imshow(saliency_image(np.asarray(sal[name])[i]))
            if i == 0:
                ax.set_title(name, fontsize=9)
    fig.tight_layout()
    return fig


def mass_in_box(heatmap, box, size) -> float:
    """Share of a map's evidence that lies inside a box, after upsampling the map to the image.

    Args:
        heatmap: (h, w) map, values >= 0 (normalised or raw).
        box: (x0, y0, x1, y1) in image pixels, x1 and y1 exclusive (as ``heatmap_box``).
        size: (H, W) of the image.
    Returns:
        float in [0, 1]: sum of the upsampled map inside the box / its sum over the
        image; 0.0 for a map that is zero everywhere (no evidence anywhere).
    Raises:
        ValueError for a map with negative, NaN or infinite values.
    Used by: notebook 04 ("Debugging a mistake").
    """
    hm = _check_heatmap(heatmap)
    if hm.min() < 0:
        raise ValueError("heatmap has negative values: pass a map after the ReLU (grad_cam returns one).")
    up = np.clip(resize_heatmap(hm, tuple(size)[:2]), 0.0, None)
    total = float(up.sum())
    if total <= 0:
        return 0.0
    x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    return float(up[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)].sum() / total)
