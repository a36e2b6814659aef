"""Guided backpropagation (Springenberg et al. 2015) and Guided Grad-CAM (Selvaraju et al. 2017).

Both work on a copy of the model's graph whose ReLU-family units pass only
positive gradients (``tf.custom_gradient``), sharing the model's variables;
the user's model is untouched.
The clone is cached with the model's other derived models
(:func:`helpers.layers.cached`; :func:`helpers.layers.forget` drops it).

Used by: notebook 04 ("other methods"), helpers.cam.maps (localisation
table, helpers.trust).
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import layers
from ..inputs import check_int, unpack_built_model
from .core import check_images, resolve_classes, grad_cam, named_classes, parse_classes, quiet_tracing, resize_heatmap

__all__ = ["guided_backprop", "guided_grad_cam", "guided_model", "saliency_image", "saliency_heatmap"]


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


def _activation_kind(fn):
    """Classify an activation function for guided backpropagation.

    Returns ``("relu", (threshold, max_value))`` for relu / relu6 (Keras,
    keras.ops or tf.nn; a string such as ``"relu6"`` is stored by Keras as the
    function), ``("pass", None)`` for linear / softmax / None, ``("sigmoid",
    None)`` for a sigmoid and ``("other", name)`` for anything else.
    """
    import keras

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
    import keras

    lay = model
    while isinstance(lay, keras.Model):
        try:
            lay = lay.outputs[0]._keras_history.operation
        except (AttributeError, IndexError, TypeError, ValueError):
            return None
    return lay


def guided_model(model):
    """Copy of logits_model(model)'s graph whose ReLU-family units use the guided gradient.

    It shares the model's layers and variables (no copy of the weights: a VGG16 costs no second
    528 MB, and weights changed in place are followed); a layer with a fused ReLU runs with a
    guided one swapped in only while the clone computes.

    Guided: ``keras.layers.ReLU`` (any max_value / threshold, negative_slope 0),
    ``LeakyReLU(negative_slope=0)`` and every ``activation`` that is relu or
    relu6 (Activation layers, Conv2D / Dense ``activation=``).  Left as they
    are: linear, softmax, and a sigmoid on the output layer (it only rescales
    each class score's gradient by a positive factor).  Any other nonlinearity
    (leaky ReLU, PReLU, ELU, GELU, swish, tanh, a hidden sigmoid, ...) raises a
    ValueError: the guided rule is defined for ReLU units only.
    """
    return layers.cached(model, ("guided",), lambda: _build_guided(model))


def _build_guided(model):
    import keras

    import tensorflow as tf

    src = layers.logits_model(model)
    out_layer = _output_layer(src)
    unguidable = []
    n_relu = [0]

    def relu_forward(threshold, max_value):
        # exactly what keras.layers.ReLU.call computes (negative_slope 0)
        return lambda x: keras.activations.relu(x, negative_slope=0.0, max_value=max_value, threshold=threshold)

    def clone(lay):
        # Layers are shared with the model (no copy of its weights) except ReLU layers, which
        # become guided Activation layers, and layers with a fused ReLU, run with it swapped.
        new = lay
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
            swaps = {}
            for attr in ("activation", "recurrent_activation"):
                fn = getattr(lay, attr, None)
                if fn is None or not callable(fn):
                    continue
                kind, info = _activation_kind(fn)
                if kind == "relu" and isinstance(lay, keras.layers.RNN):   # its activations live in its cell
                    unguidable.append((lay.name, f"{attr}={fn.__name__} inside {type(lay).__name__}"))
                elif kind == "relu":
                    swaps[attr] = _guided_relu(fn, threshold=info[0], max_value=info[1])
                    n_relu[0] += 1
                elif kind == "other" or (kind == "sigmoid" and (lay is not out_layer or attr != "activation")):
                    unguidable.append((lay.name, f"{attr}={getattr(fn, '__name__', fn)}"))
            if swaps:
                new = layers.sharing_layer(lay, swaps)
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
            resolved = resolve_classes(logits, cls)
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
        with quiet_tracing():
            return compiled[key][1](raw, cls)

    return guided, run


def guided_backprop(model, images, classes=None, *, top=None, preprocess=None, return_classes=False,
                    batch_size=16):
    """Guided backpropagation: d y^c / d image through ReLUs that pass only positive gradients.

    Every ReLU-family unit is guided: ReLU, ReLU6 (``keras.layers.ReLU(max_value=6)``,
    ``"relu6"``), any capped or thresholded ``keras.layers.ReLU``.  The forward
    pass is the model's own; backwards a unit passes dy only inside its
    linear region (threshold < x < max_value) and only where dy > 0.

    Args:
        model, images, classes, top, preprocess: as in :func:`helpers.cam.grad_cam` (a card
            works; one class per image, or top=K / an (N, K) array).
        batch_size: images per backward pass (each pass differentiates the
            whole network for every class asked), at most as many as keep the
            pass's layer outputs under :data:`helpers.layers.PASS_BYTES` (256 MB:
            3 images of EfficientNet-Lite0, 4 of VGG16); the gradients do not depend on it.
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

    batch_size = check_int(batch_size, "batch_size", 1)
    card = model
    model, preprocess, _ = unpack_built_model(model, preprocess, None)
    classes = named_classes(card, classes)
    guided, grads = guided_model(model)
    raw, single = check_images(images, tuple(guided.inputs[0].shape[1:]), preprocess is not None)
    num_classes = int(guided.outputs[0].shape[-1])
    cls, squeeze = parse_classes(classes, len(raw), num_classes, top)
    batch_size = layers.images_per_pass(model, batch_size, per_image=cls.shape[1])
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


def guided_grad_cam(model, images, classes=None, layer=None, *, top=None, preprocess=None,
                    return_classes=False):
    """Guided Grad-CAM: guided backpropagation times the Grad-CAM map upsampled to the image.

    Args:
        as :func:`grad_cam`.
    Returns:
        float32 (N, H, W, C) or (N, K, H, W, C) (signed; :func:`saliency_image`
        to display, :func:`saliency_heatmap` for a 2-D map).
    Used by: notebook 04.
    """
    card = model
    model, preprocess, layer = unpack_built_model(model, preprocess, layer)
    classes = named_classes(card, classes)
    arr, single = check_images(images, tuple(model.inputs[0].shape[1:]), preprocess is not None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a zero Grad-CAM map is fine here: the product is 0
        cams, ids = grad_cam(model, arr, classes, layer, top=top, preprocess=preprocess, return_classes=True)
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

    Args:
        grads: (H, W, C) or (..., H, W, C) signed gradients (guided_backprop, guided_grad_cam).
        percentile: |g| at this percentile maps to white / black (clipped beyond).
    Returns:
        (H, W, C) uint8 (or (..., H, W, C) for stacked inputs).
    Raises:
        ValueError for an empty array, fewer than 3 axes, or NaN / inf.
    Used by: notebook 04, show_methods.
    """
    g = np.asarray(grads, dtype=np.float32)
    if g.ndim < 3 or g.size == 0:
        raise ValueError(f"grads must be a non-empty gradient image (H, W, C) (or a stack (..., H, W, C)), "
                         f"got shape {g.shape}; pass e.g. guided_backprop(card, images)[0].")
    if not np.all(np.isfinite(g)):
        raise ValueError("grads contain NaN or infinite values.")
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
