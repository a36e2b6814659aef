"""The shared core of every map method: the traced pass, the class argument, normalisation, the batch loop.

For a model and a layer the core builds (once, cached per model and layer)

    input -> [A (N, h, w, k) feature map of ``layer``, y (N, classes) scores]

with y the score *before the softmax* (:func:`helpers.layers.logits_model`).
One forward pass gives A; the gradients dy^c/dA of K classes come from one
batched backward pass through the head (``GradientTape.batch_jacobian``).
A gradient method of :mod:`helpers.cam.methods` is traced into that pass
(one trace per method and score); a forward method gets A and the logits.

Used by: notebook 04 (through helpers.cam), helpers.trust, helpers.widgets.cam.
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

from .. import layers
from ..inputs import check_int, class_index, is_card, unpack_built_model
from .methods import DEFAULT_METHOD, METHODS, REGISTRY, ForwardContext, canonical

__all__ = ["Core", "get_core", "quiet_tracing", "parse_classes", "check_images", "named_classes",
           "normalize_maps", "grad_cam",
           "check_heatmap", "resize_heatmap"]


class quiet_tracing:
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


def resolve_classes(logits, cls):
    """Traced: cls (N, K) with >= 0 a class id and -r "the r-th best class" -> class ids (N, K)."""
    import tensorflow as tf

    order = tf.argsort(logits, axis=1, direction="DESCENDING", stable=True)
    ranked = tf.gather(order, tf.maximum(-cls - 1, 0), batch_dims=1)
    return tf.where(cls < 0, ranked, cls)


class Core:
    """Cached per (model, layer path): the feature-plus-score model and its compiled passes."""

    def __init__(self, model, path):
        import tensorflow as tf

        self.logits = layers.logits_model(model)
        # The pre-softmax model shares the layers; find the same layer object in it
        # (a nested model may have been replaced by its pre-softmax copy).
        target = {p: lay for p, _, lay in layers.walk(model, leaves=True)}[path]
        hits = [p for p, _, lay in layers.walk(self.logits, leaves=True) if lay is target]
        if not hits:
            raise ValueError(f"internal: layer {'/'.join(path)!r} not found in the pre-softmax model.")
        self.path = hits[0]
        split = self.split = layers.feature_score_model(self.logits, self.path)
        if len(split.outputs) != 2:
            raise ValueError("class activation maps need a model with one output (the class scores).")
        self.num_classes = int(split.outputs[1].shape[-1])
        self.input_shape = tuple(split.inputs[0].shape[1:])
        self.map_shape = tuple(split.outputs[0].shape[1:])

        def maps(x, cls, fn, prob):
            with tf.GradientTape() as tape:
                A, logits = split(x, training=False)
                resolved = resolve_classes(logits, cls)
                scores = tf.nn.softmax(logits, axis=-1) if prob else logits
                sel = tf.gather(scores, resolved, batch_dims=1)  # (N, K)
            J = tape.batch_jacobian(sel, A)  # one batched backward pass: (N, K, h, w, k)
            return fn(A, J), logits, resolved

        def forward(x, cls):
            A, logits = split(x, training=False)
            return A, logits, resolve_classes(logits, cls)

        # Fixed signatures: one trace per (method, score) whatever the batch size or K.
        x_spec = tf.TensorSpec((None,) + self.input_shape, tf.float32)
        c_spec = tf.TensorSpec((None, None), tf.int32)
        self._maps, self._compiled, self._spec = maps, {}, [x_spec, c_spec]
        self.forward = tf.function(forward, input_signature=[x_spec, c_spec])
        self.probs = layers.probabilities_fn(model, self.input_shape)

    def maps(self, x, cls, method, prob):
        """Compiled (maps (N, K, h, w), logits, resolved classes) for a gradient method name."""
        import tensorflow as tf

        key = (method, bool(prob))
        if key not in self._compiled:
            fn, run = REGISTRY[method].fn, self._maps
            self._compiled[key] = tf.function(lambda x, c: run(x, c, fn, bool(prob)), input_signature=self._spec)
        with quiet_tracing():
            return self._compiled[key](x, cls)


def get_core(model, layer) -> Core:
    """The cached :class:`Core` of a keras.Model at a feature layer (name or path)."""
    path = layers.feature_layer(model, layer)
    return layers.cached(model, ("cam_core", path), lambda: Core(model, path))


# ------------------------------------------------------ argument checks ----

def check_images(images, core_input_shape, pixels):
    """helpers.inputs.check_images at the model's fixed input size and channels (if it has them).

    ``pixels``: the images are 0..255 pixels before preprocessing (a card or a
    ``preprocess`` was given), so the range is checked too.
    Returns: ((N, H, W, C) float32, single) as helpers.inputs.check_images.
    """
    from ..inputs import check_images as check

    want = tuple(core_input_shape)
    size = want[:2] if len(want) == 3 and None not in want[:2] else None
    channels = want[2] if len(want) == 3 else None
    return check(images, size=size, channels=channels, value_range=pixels)


def _is_top(classes):
    return isinstance(classes, str) and classes.strip().lower().replace("-", "").replace("_", "").startswith("top")


def named_classes(card, classes):
    """Class names -> ids (through helpers.inputs.class_index) when a model card was given; else unchanged."""
    if _is_top(classes):
        return classes
    flat = [classes] if isinstance(classes, str) else (
        list(np.ravel(np.asarray(classes, dtype=object))) if isinstance(classes, (list, tuple, np.ndarray)) else [])
    if not flat or not any(isinstance(c, str) for c in flat):
        return classes
    if not is_card(card):
        raise ValueError(f"classes={classes!r} is not understood: use None (top-1), top=K or class ids; "
                         "class names work when you pass the model card (it knows the names) instead of card.model.")
    if isinstance(classes, str):
        return class_index(card, classes, name="classes")
    return np.vectorize(lambda c: class_index(card, c, name="classes"), otypes=[np.int64])(
        np.asarray(classes, dtype=object))


def parse_classes(classes, n_images, num_classes, top=None):
    """The class argument -> ``(cls (N, K) int32, one_per_image)``; in ``cls`` -r means "the r-th best".

    The one meaning of ``classes`` in helpers.cam:

    * None -> the top-1 class of each image; an int (or a name) -> that
      class for every image; a 1-D sequence of N ids -> **one class per
      image** (as ``labels`` in helpers.trust, maximize and deepvis).
      ``one_per_image`` is True: maps are (N, h, w).
    * ``top=K`` (or the string ``"topK"``) -> the K best classes of each
      image; an (N, K) array -> K given classes per image.  Maps are (N, K, h, w).
    """
    if top is not None or _is_top(classes):
        if top is not None and classes is not None:
            raise ValueError(f"give classes or top, not both (got classes={classes!r}, top={top!r}).")
        if top is None:
            key = classes.strip().lower().replace("-", "").replace("_", "")[3:]
            if not (key.isdigit() and int(key) >= 1):
                raise ValueError(f"classes={classes!r} is not understood; use None (top-1), top=K ('top5' works "
                                 "too), a class id, N ids (one per image) or an (N, K) array of ids per image.")
            top = int(key)
        k = check_int(top, "top", 1)
        if k > num_classes:
            raise ValueError(f"top={k} asks for {k} classes but the model has only {num_classes}.")
        return np.tile(-np.arange(1, k + 1, dtype=np.int32), (n_images, 1)), False
    if classes is None:
        return np.full((n_images, 1), -1, np.int32), True
    if isinstance(classes, str):
        raise ValueError(f"classes={classes!r} is not understood; use None (top-1), top=K ('top5' works too), "
                         "a class id, N ids (one per image) or an (N, K) array of ids per image.")
    if isinstance(classes, (bool, np.bool_)):
        raise TypeError("classes must be class ids (int), not a bool.")
    arr = np.asarray(classes)
    if arr.size == 0:
        raise ValueError("classes is empty; give one class id per image (or top=K).")
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"classes must be integer class ids, got {arr.dtype} values {arr.ravel()[:5]}.")
    bad = arr[(arr < 0) | (arr >= num_classes)]
    if bad.size:
        raise ValueError(f"class id {int(bad.ravel()[0])} is out of range: the model has {num_classes} classes "
                         f"(ids 0..{num_classes - 1}).")
    if arr.ndim == 0:
        return np.full((n_images, 1), int(arr), np.int32), True
    if arr.ndim > 2 or len(arr) != n_images:
        raise ValueError(
            f"classes has shape {arr.shape} for {n_images} image(s): give one class per image ({n_images} ids), "
            f"an ({n_images}, K) array for K classes of each image (e.g. np.tile(ids, ({n_images}, 1))), "
            "or top=K for the K best classes of each image.")
    if arr.ndim == 1:
        return arr.astype(np.int32)[:, None], True
    return arr.astype(np.int32), False


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
        desc = [f"image {i}, class {int(class_ids[i, k]) if class_ids is not None else k}" for i, k in pairs[:8]]
        more = f" and {len(pairs) - 8} more" if len(pairs) > 8 else ""
        warnings.warn(
            f"{what} is zero everywhere (no positive evidence) for {'; '.join(desc)}{more}: "
            "returned as zeros instead of dividing by 0. Try another layer or class.",
            UserWarning, stacklevel=3)
    return out


# ------------------------------------------------------- the batch loop ----

def grad_cam(model, images, classes=None, layer: str | None = None, method: str = DEFAULT_METHOD, *,
             top: int | None = None, preprocess: Callable | None = None, normalize: bool = True,
             score: str = "logit", return_classes: bool = False, batch_size: int = 32, max_batch: int = 64,
             progress: bool = False):
    """Class activation maps of ``images`` for ``classes`` at feature layer ``layer``.

    Args:
        model: keras.Model returning class scores (softmax probabilities or
            logits), or a model card (then its ``preprocess`` and
            ``last_conv_layer`` are used).
        images: (N, H, W, C) float 0..255 before preprocessing, or one (H, W, C) image.
        classes: one class per image: None -> each image's top-1 class; an
            int or a class name -> that class for every image; N ids or names
            -> one per image.  Maps (N, h, w).  Several classes per image: an
            (N, K) array, or ``top=K`` -> maps (N, K, h, w).
        layer: feature layer name (nested: ``"base/block5_conv3"`` or the bare
            name); None -> :func:`helpers.layers.default_layer`.
        method: one of :data:`helpers.cam.METHODS`.
        top: the K best classes of each image (``classes="top5"`` is the same as ``top=5``).
        preprocess: images -> model input (e.g. ``card.preprocess``); None = identity.
        normalize: True -> ReLU and divide by each map's max, values in [0, 1];
            False -> the raw ReLU'd maps (e.g. to compare scales).
        score: ``"logit"`` (default, the pre-softmax y^c of the paper) or
            ``"probability"`` (after the softmax; only to show why not).
        return_classes: also return the class ids used, (N,) or (N, K).
        batch_size: images per forward pass (at most as many as keep the
            network's layer outputs under :data:`helpers.layers.PASS_BYTES`,
            256 MB); max_batch: Score-CAM masked images per forward pass (memory bounds).
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
    Used by: notebook 04_gradcam, helpers.cam.maps, helpers.widgets.cam.
    """
    import tensorflow as tf

    method = canonical(method, METHODS)
    if score not in ("logit", "probability"):
        raise ValueError(f"score must be 'logit' (pre-softmax, the default) or 'probability', got {score!r}.")
    batch_size, max_batch = check_int(batch_size, "batch_size", 1), check_int(max_batch, "max_batch", 1)
    card = model
    model, preprocess, layer = unpack_built_model(model, preprocess, layer)
    classes = named_classes(card, classes)
    if layer is None:
        layer = layers.default_layer(model)
    core = get_core(model, layer)
    raw, single = check_images(images, core.input_shape, preprocess is not None)
    cls, squeeze = parse_classes(classes, len(raw), core.num_classes, top)
    kind = REGISTRY[method].kind
    if kind == "forward" and score != "logit":
        raise ValueError(f"method={method!r} uses forward passes only; score='probability' does not apply.")

    batch_size = layers.images_per_pass(model, batch_size)   # the network's activations of a pass stay bounded
    chunks = range(0, len(raw), batch_size)
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc=f"{method} maps", unit="batch")
    maps, ids = [], []
    for s in chunks:
        part = raw[s:s + batch_size]
        x = tf.convert_to_tensor(preprocess(part) if preprocess is not None else part, tf.float32)
        c = tf.constant(cls[s:s + batch_size])
        if kind == "gradient":
            m, _, r = core.maps(x, c, method, score == "probability")
        else:
            with quiet_tracing():
                A, logits, r = core.forward(x, c)
            ctx = ForwardContext(core, model, part, np.asarray(A, np.float64), np.asarray(logits, np.float64),
                                 np.asarray(r), preprocess, max_batch, layer)
            m = REGISTRY[method].fn(ctx)
        maps.append(np.asarray(m, np.float64))
        ids.append(np.asarray(r))
    maps, ids = np.concatenate(maps).astype(np.float32), np.concatenate(ids)
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


# ------------------------------------------------------------ one map ----

def check_heatmap(heatmap) -> np.ndarray:
    """One (h, w) finite heatmap as float32, or a clear ValueError."""
    hm = np.asarray(heatmap, dtype=np.float32)
    if hm.ndim != 2:
        raise ValueError(f"heatmap must be (h, w), got shape {hm.shape}; pick one map, e.g. heatmaps[0].")
    if hm.size == 0:
        raise ValueError(f"heatmap is empty (shape {hm.shape}); give a map with at least one cell.")
    if not np.all(np.isfinite(hm)):
        raise ValueError("heatmap contains NaN or infinite values.")
    return hm


def resize_heatmap(heatmap, size):
    """Bilinear resize of a 2-D map to ``size`` = (H, W) with Pillow (float, no 8-bit rounding).

    Args:
        heatmap: (h, w) float array.  size: (H, W).
    Returns:
        (H, W) float32.
    Used by: overlay, heatmap_box, pointing_game, guided_grad_cam, helpers.trust.
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
