"""Layers and model surgery: one walk over a model's layers, one lookup by name, and the
derived models the other modules differentiate.

* :func:`walk` -- every layer, depth first, nested models (transfer learning)
  expanded; the only layer walk in ``helpers``.
* :func:`find_layer` -- a layer by name (``"outer/inner"`` or a bare name),
  with the valid names and close matches in the error.
* :func:`feature_layers`, :func:`conv_layers`, :func:`default_layer`,
  :func:`feature_layer` -- the layer lists and the layer class activation
  maps use.
* Derived models, built once per model and cached (weakly): :func:`layer_model`
  (input -> some layers' outputs), :func:`layer_input_model` (input -> a
  layer's input), :func:`logits_model` (the score before the softmax),
  :func:`feature_score_model` (input -> [feature map, scores] in one pass,
  also when the layer sits in a nested model).  They share the model's
  variables (:func:`sharing_layer`), so weights changed in place are
  followed; :func:`forget` drops them to free memory.

Used by: helpers.activations (notebooks 01, 02), helpers.maximize (02, 03),
helpers.cam and helpers.trust (04), the widgets and exercises.
"""
from __future__ import annotations

import gc
import math
import weakref

from . import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)

__all__ = [
    "walk",
    "find_layer",
    "is_feature_layer",
    "is_conv_layer",
    "feature_layers",
    "conv_layers",
    "default_layer",
    "feature_layer",
    "fixed_size",
    "flexible_model",
    "layer_model",
    "layer_input_model",
    "logits_model",
    "probabilities_fn",
    "feature_score_model",
    "sharing_layer",
    "cached",
    "forget",
    "PASS_BYTES",
    "images_per_pass",
]

POOLING = ("MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AveragePool2D",
           "GlobalAveragePooling2D", "GlobalMaxPooling2D")

# model -> {key: derived object}; weak, so a dropped model frees what was built from it.
_DERIVED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cached(model, key, build):
    """``build()`` once per (model, key); the one cache of everything derived from a model.

    Args:
        model: keras.Model; key: hashable; build: () -> object.
    Returns:
        the cached object.  :func:`forget` drops every entry of a model.
    """
    per_model = _DERIVED.setdefault(model, {})
    if key not in per_model:
        per_model[key] = build()
    return per_model[key]


def forget(model) -> None:
    """Drop every model derived from ``model`` (and its nested models) so the next call rebuilds it.

    Every derived model shares the model's variables, so weights changed in place need no
    :func:`forget`; it frees memory (a randomised copy's derived models and compiled
    functions, :mod:`helpers.trust`) and is needed after the model's *structure* changed.
    The dropped models are collected at once (``gc.collect``:
    Keras models and compiled functions hold reference cycles, so without it a
    dropped VGG16 clone keeps its 528 MB until Python's collector happens to run).
    """
    dropped = [_DERIVED.pop(model, None)] + [_DERIVED.pop(lay, None) for _, _, lay in walk(model)]
    if any(dropped):
        del dropped
        gc.collect()


#: Memory budget of one batched pass through a network (Grad-CAM's forward pass, guided
#: backpropagation): the layer outputs of the images of a pass stay under it, whatever
#: ``batch_size`` asks (EfficientNet-Lite0 at 224 px: 76 MB of layer outputs per image, so 3
#: images a pass; VGG16 4; ShapesNet at 64 px: 1.1 MB, so ``batch_size`` decides).
PASS_BYTES = 256 * 2 ** 20


def images_per_pass(model, batch_size, per_image=1) -> int:
    """How many images one pass through ``model`` may take: ``batch_size`` capped by :data:`PASS_BYTES`.

    Args:
        model: keras.Model; batch_size: int >= 1 (what the caller asked);
        per_image: how many times each image's layer outputs are held (K classes of a guided pass).
    Returns:
        int in 1..batch_size.  The results never depend on it (each image is computed alone).
    Used by: helpers.cam (grad_cam, guided_backprop; notebook 04).
    """
    def build():
        total = 0
        for _, _, lay in walk(model, leaves=True):
            nodes = getattr(lay, "_inbound_nodes", None) or []
            outs = nodes[0].output_tensors if nodes else []     # the first call (a shared layer has several)
            for o in outs if isinstance(outs, (list, tuple)) else [outs]:
                total += 4 * math.prod(int(d or 1) for d in o.shape[1:])
        return max(total, 1)

    return max(1, min(int(batch_size), PASS_BYTES // (cached(model, ("output_bytes",), build) * max(1, int(per_image)))))


# ------------------------------------------------------------------ walk ----

def walk(model, *, leaves: bool = False, prefix=()):
    """Every layer of ``model``: ``(path, owner, layer)``, depth first, input layers left out.

    Args:
        model: keras.Model.
        leaves: False -> a nested model is yielded itself, then its layers;
            True -> only the layers inside it.
    Yields:
        (path tuple of names, the model that owns the layer, the layer).
    """
    import keras

    for lay in model.layers:
        if isinstance(lay, keras.layers.InputLayer):
            continue
        path = prefix + (lay.name,)
        nested = isinstance(lay, keras.Model)
        if not (nested and leaves):
            yield path, model, lay
        if nested:
            yield from walk(lay, leaves=leaves, prefix=path)


def _output_rank(lay):
    try:
        out = lay.output
    except (AttributeError, ValueError, RuntimeError):
        return None
    if isinstance(out, (list, tuple)):
        return None
    try:
        return len(out.shape)
    except (AttributeError, TypeError):
        return None


def is_feature_layer(lay) -> bool:
    """True for a layer (not a nested model) whose output is a 4-D feature map (N, h, w, k)."""
    import keras

    return not isinstance(lay, keras.Model) and _output_rank(lay) == 4


def is_conv_layer(lay) -> bool:
    """True for a 2-D convolution (Conv2D, SeparableConv2D, DepthwiseConv2D)."""
    import keras

    return isinstance(lay, (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D))


def _model(model):
    """A card or a keras.Model -> the built keras.Model (a clear error for an unbuilt one)."""
    from .inputs import unpack_built_model

    return unpack_built_model(model)[0]


def feature_layers(model) -> list[str]:
    """Names of the layers whose output is a 4-D feature map (N, h, w, k), in model order.

    Args:
        model: keras.Model or model card (nested models are searched).
    Returns:
        list of names; a layer inside a nested model is ``"outer/inner"`` (its
        bare name also works in :func:`find_layer` when it is unique).
    Used by: notebooks 01 and 04 (layer pickers), error messages.
    """
    return ["/".join(p) for p, _, lay in walk(_model(model), leaves=True) if is_feature_layer(lay)]


def conv_layers(model) -> list[str]:
    """Names of the 2-D convolution layers in model order (``"outer/inner"`` inside a nested model).

    Used by: notebooks 01, 02 (``conv_layers(model)[0]``), helpers.maximize.
    """
    return ["/".join(p) for p, _, lay in walk(_model(model), leaves=True) if is_conv_layer(lay)]


def find_layer(model, layer, valid=None, *, name: str = "layer"):
    """A layer by name: ``(path, owner, layer_object)``.

    Args:
        model: a keras.Model (nested models are searched).
        layer: a name; ``"outer/inner"`` for a layer of a nested model (the
            bare ``"inner"`` works too when it is unique).
        valid: names to list in the error (default: every layer's name).
        name: the argument's name, for the message.
    Returns:
        (path tuple of names, the model that owns the layer, the layer).
    Raises:
        TypeError if ``layer`` is not a string; ValueError with the valid
        names (and close matches) if there is no such layer.
    Used by: helpers.activations, helpers.cam, helpers.maximize, the widgets.
    """
    if not isinstance(layer, str):
        raise TypeError(f"{name} must be a layer name (str), got {type(layer).__name__} {layer!r}.")
    entries = list(walk(model))
    wanted = tuple(layer.split("/"))
    hits = [e for e in entries if e[0] == wanted] or [e for e in entries if e[0][-1] == layer]
    if hits:
        return hits[0]
    if valid is None:
        valid = [p[-1] for p, _, _ in entries]
    import difflib

    close = difflib.get_close_matches(layer, list(valid), n=3)
    raise ValueError(
        f"model {model.name!r} has no layer named {layer!r}."
        + (f" Did you mean {close[0]!r}?" if close else "")
        + f" Valid {name}s: {', '.join(valid)}"
    )


def default_layer(model) -> str:
    """The layer class activation maps use when ``layer=None``.

    A model card gives its ``last_conv_layer``.  Otherwise: the last layer with
    a 4-D output that is not a pooling layer (VGG16: ``block5_conv3``, not
    ``block5_pool``; a conv + BatchNorm + ReLU net: the last ReLU activation).

    Returns:
        layer name (``"outer/inner"`` for a nested layer).
    Raises:
        ValueError for a model without any 4-D feature map.
    """
    if hasattr(model, "last_conv_layer") and hasattr(model, "model"):
        return model.last_conv_layer
    model = _model(model)
    cands = [(p, lay) for p, _, lay in walk(model, leaves=True) if is_feature_layer(lay)]
    if not cands:
        raise ValueError(
            f"model {model.name!r} has no layer with a 4-D (N, h, w, k) output, so there is no "
            "feature map for a class activation map; is it a convolutional network?"
        )
    non_pool = [(p, lay) for p, lay in cands if type(lay).__name__ not in POOLING]
    return "/".join((non_pool or cands)[-1][0])


def feature_layer(model, layer) -> tuple:
    """A feature-map layer's path tuple, e.g. ``("base", "block5_conv3")``.

    Raises:
        ValueError (listing :func:`feature_layers`) for an unknown name, a
        nested model, or a layer whose output is not (N, h, w, k).
    """
    valid = feature_layers(model)
    path, _, lay = find_layer(model, layer, valid=valid)
    if isinstance(lay, _keras().Model):
        raise ValueError(f"{layer!r} is a nested model, not a layer; pick one of its layers: {valid}")
    if not is_feature_layer(lay):
        shape = getattr(getattr(lay, "output", None), "shape", "?")
        raise ValueError(
            f"layer {layer!r} outputs shape {shape}, not a 4-D (N, h, w, k) feature map, so it "
            f"has no spatial map to weight. Valid choices: {valid}"
        )
    return path


def _keras():
    import keras

    return keras


# -------------------------------------------------------- derived models ----

def fixed_size(model):
    """(H, W) of the model's input if fixed, else None."""
    shape = model.inputs[0].shape
    if len(shape) == 4 and shape[1] is not None and shape[2] is not None:
        return int(shape[1]), int(shape[2])
    return None


def flexible_model(sub):
    """Re-plug a functional model onto an input of any height and width (same layers, same weights)."""
    keras = _keras()
    channels = sub.inputs[0].shape[-1]
    new_input = keras.Input(shape=(None, None, channels), dtype=sub.inputs[0].dtype)
    structure = [new_input] if isinstance(sub.input, (list, tuple)) else new_input
    return keras.models.clone_model(sub, input_tensors=structure, clone_function=lambda layer: layer)


def layer_model(model, layers, flexible: bool = False):
    """A model from ``model``'s input to the outputs of ``layers`` (cached).

    Only the layers needed to compute the requested outputs are part of it
    (a filter of ``block1_conv1`` never runs block5).

    Args:
        model: a keras.Model (a base model nested inside it is found too; the
            sub-model then starts at the nested model's input).
        layers: a layer name or a list of names (all in the same model or nested model).
        flexible: if True the sub-model accepts images of any height and
            width (fine for conv/pool layers; a Flatten/Dense would fail).
    Returns:
        keras.Model: input (N, H, W, 3); output one tensor for a single name,
        a list for a list of names.
    Raises:
        ValueError naming the valid layers for an unknown name.
    Used by: helpers.activations.get_activations (notebook 01), helpers.maximize (02, 03).
    """
    keras = _keras()
    single = isinstance(layers, str)
    names = [layers] if single else list(layers)
    if not names:
        raise ValueError("layers is empty: give at least one layer name, e.g. conv_layers(model)[0].")

    def build():
        valid = feature_layers(model)
        found = [find_layer(model, n, valid=valid)[1:] for n in names]
        if len({id(owner) for owner, _ in found}) != 1:
            raise ValueError(
                f"layers {names} live in different (nested) models; ask for layers of one model at a time.")
        owner = found[0][0]
        outputs = [lay.output for _, lay in found]
        inputs = owner.inputs[0] if len(owner.inputs) == 1 else owner.inputs
        sub = keras.Model(inputs, outputs[0] if single else outputs, name=f"{owner.name}_features")
        return flexible_model(sub) if flexible else sub

    return cached(model, ("layer_model", tuple(names), single, bool(flexible)), build)


def layer_input_model(model, layer: str, flexible: bool = False):
    """A model from ``model``'s input to the *input* of ``layer`` (cached), or None if that is the model input.

    Used by helpers.maximize to compute only the selected channel of a
    convolution (its kernel is applied by hand), instead of all of them.

    Args:
        model: a keras.Model; layer: name of a layer with one input;
        flexible: accept any image height and width.
    Returns:
        keras.Model or None (the layer reads the model's input directly).
    """
    keras = _keras()

    def build():
        _, owner, lay = find_layer(model, layer, valid=conv_layers(model))
        inputs = owner.inputs[0] if len(owner.inputs) == 1 else owner.inputs
        if lay.input is inputs or any(lay.input is t for t in owner.inputs):
            return None
        sub = keras.Model(inputs, lay.input, name=f"{owner.name}_input_of_{lay.name}")
        return flexible_model(sub) if flexible else sub

    return cached(model, ("layer_input_model", layer, bool(flexible)), build)


def sharing_layer(lay, swaps, name=None):
    """A layer that runs ``lay`` with some attributes swapped, on ``lay``'s own variables (shared, not copied).

    ``swaps``: attribute name -> function (e.g. ``{"activation": linear}``); they are set on
    ``lay`` only while it computes, so the user's model never sees them.  Weights changed in
    place later (:func:`helpers.trust.randomize_layers`) are followed, also by functions
    already traced.

    Args:
        lay: a built keras layer; swaps: dict; name: the new layer's name (default ``lay.name``).
    Returns:
        keras.layers.Layer (built; no variables of its own).
    Used by: :func:`logits_model` (a Dense with a fused softmax), helpers.cam.guided (a fused ReLU).
    """
    keras = _keras()

    class Sharing(keras.layers.Layer):
        def __init__(self):
            super().__init__(name=name or lay.name, dtype=lay.dtype_policy)
            self.inner = lay
            self.built = True

        def call(self, inputs):
            saved = {a: getattr(lay, a) for a in swaps}
            try:
                for a, f in swaps.items():
                    object.__setattr__(lay, a, f)
                return lay.call(inputs)
            finally:
                for a, f in saved.items():
                    object.__setattr__(lay, a, f)

    return Sharing()


def _is_softmax(fn) -> bool:
    return getattr(fn, "__name__", "") == "softmax"


def logits_model(model):
    """A model with the same input whose output is the score *before* the softmax (cached).

    Grad-CAM and class visualisation differentiate the pre-softmax score
    y^c: after the softmax the gradient also pushes the other classes down
    and vanishes when the prediction saturates.

    Handles a final ``Activation("softmax")`` / ``Softmax`` layer (ShapesNet:
    every other layer is shared, the same objects) and a final Dense layer
    with the softmax fused in (VGG16's ``predictions``): that one layer runs
    as ``"<name>_logits"`` with its activation swapped for the identity, on
    the same kernel and bias variables (:func:`sharing_layer`; no copy, so
    weights changed in place are followed without rebuilding anything).
    Also when that last layer sits inside a nested model (a transfer-learning
    head).  A model whose last layer has
    no softmax is returned unchanged.

    Args:
        model: keras.Model whose output is (N, classes).
    Returns:
        keras.Model: inputs as ``model``, output (N, classes) pre-softmax scores.
    Used by: helpers.cam, helpers.maximize, helpers.trust (notebooks 03, 04).
    """
    return cached(model, ("logits",), lambda: _build_logits(model))


def _build_logits(model):
    keras = _keras()
    last = model.layers[-1]
    # The tensor that feeds the last layer *in this model's graph* (a nested
    # model's own `.input` belongs to its inner graph, not to this one).
    history = getattr(model.outputs[0], "_keras_history", None)
    if history is not None and history.operation is last:
        feed = last._inbound_nodes[history.node_index].input_tensors[0]
    else:
        feed = last.input
    if isinstance(last, keras.layers.Activation) and _is_softmax(last.activation):
        out = feed
    elif isinstance(last, keras.layers.Dense) and _is_softmax(last.activation):
        out = sharing_layer(last, {"activation": keras.activations.linear}, name=last.name + "_logits")(feed)
    elif isinstance(last, keras.layers.Softmax):
        out = feed
    elif isinstance(last, keras.Model) and logits_model(last) is not last:
        out = logits_model(last)(feed)  # the softmax sits inside a nested model
    else:
        return model
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, out, name=model.name + "_logits")


def probabilities_fn(model, input_shape=None):
    """Compiled ``x -> softmax(logits_model(model)(x))`` (N, classes), traced once per model (cached).

    The one compiled probability function (Score-CAM's masked images,
    helpers.trust's deletion / insertion curves).  Taking the softmax of the
    pre-softmax scores gives the model's probabilities also for a model with
    no softmax of its own.

    Args:
        model: keras.Model; input_shape: the model input's (H, W, C) (default:
            the model's own input shape).
    Returns:
        a ``tf.function`` with a fixed signature (N, H, W, C) float32.
    """
    import tensorflow as tf

    shape = tuple(model.inputs[0].shape[1:]) if input_shape is None else tuple(input_shape)

    def build():
        lm = logits_model(model)

        def probs(x):
            return tf.nn.softmax(lm(x, training=False), axis=-1)

        return tf.function(probs, input_signature=[tf.TensorSpec((None,) + shape, tf.float32)], autograph=False)

    return cached(model, ("probabilities", shape), build)


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


def feature_score_model(model, path):
    """A model with the inputs of ``model`` and outputs ``[feature map at path, *model.outputs]``.

    ``path`` (from :func:`feature_layer`) descends through nested models:
    ``("base", "block5_conv3")``.  The outer graph is re-traced with the
    nested model swapped for a copy that also returns the feature map
    (shared layers, shared weights), so the feature map and the outputs come
    from ONE pass and no "Graph disconnected" error arises.  Not cached: the
    caller caches (helpers.cam).

    Used by: helpers.cam (notebook 04), helpers.exercises.gradcam.
    """
    keras = _keras()
    path = tuple(path)
    f = _as_functional(model)
    outs = list(f.outputs)
    if len(path) == 1:
        feat = f.get_layer(path[0]).output
        return keras.Model(_single(f.inputs), [feat, *outs], name=f"{model.name}_cam")
    sub = f.get_layer(path[0])
    sub_x = feature_score_model(sub, path[1:])
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
