"""The cascading model-parameter randomisation test (Adebayo et al. 2018, "Sanity Checks for Saliency Maps").

Used by notebook 04 and tools/trust_table.py.
"""
from __future__ import annotations

import gc

import numpy as np

from ..cam.methods import RANDOMIZATION_METHODS
from ..inputs import unpack_built_model
from ..layers import forget, walk
from .maps import TRUST_METHODS, explanation_maps, per_image_arguments
from .similarity import rank_correlation, ssim

__all__ = ["cascade_stages", "randomize_layers", "randomized_copy", "randomization_test"]


def _weighted_layers(model):
    """(path name, layer) of every layer with weights, in model order (nested models expanded)."""
    return [("/".join(p), lay) for p, _, lay in walk(model, leaves=True) if lay.weights]


def cascade_stages(model) -> list:
    """Stages of the cascading randomisation, top of the network first.

    Layers with weights are grouped by their name up to the first ``_``
    (``block4_conv1`` and ``block4_conv2`` form stage ``block4``; EfficientNet's
    ``block6d_expand_conv`` ... ``block6d_project_bn`` form ``block6d``).

    Returns:
        list of (stage name, [layer names]) from the output towards the input.
    Used by: :func:`randomization_test` (notebook 04).
    """
    model, _, _ = unpack_built_model(model, None, None)
    stages: list = []
    for name, _ in reversed(_weighted_layers(model)):
        key = name.split("/")[-1].split("_")[0]
        if stages and stages[-1][0] == key:
            stages[-1][1].append(name)
        else:
            stages.append((key, [name]))
    return stages


def _initializer_for(layer, var_name):
    for attr in (f"{var_name}_initializer", var_name.replace("_kernel", "") + "_initializer"):
        init = getattr(layer, attr, None)
        if init is not None:
            return init
    return None


def randomize_layers(model, layer_names, seed=0):
    """Re-initialise, in place, every weight of the named layers from the layer's own initializers.

    Kernels are drawn from their ``kernel_initializer`` (``depthwise_initializer``
    ...) with a seed derived from ``seed``; biases, BatchNorm's beta / gamma /
    moving mean / variance go back to their initial values (0 / 1 / 0 / 1).  A
    weight without a known initializer gets N(0, 2 / fan_in).

    Args:
        model: keras.Model (changed in place: use a copy, see :func:`randomized_copy`).
        layer_names: names from :func:`cascade_stages` ("outer/inner" for nested layers).
        seed: int.
    Used by: :func:`randomization_test`.
    """
    layers = dict(_weighted_layers(model))
    missing = [n for n in layer_names if n not in layers]
    if missing:
        raise ValueError(f"no layer with weights named {missing}; choose from {list(layers)}.")
    rng = np.random.default_rng(seed)
    for name in layer_names:
        lay = layers[name]
        for var in lay.weights:
            vname = var.path.split("/")[-1]
            shape, dtype = tuple(var.shape), var.dtype
            init = _initializer_for(lay, vname)
            if init is not None:
                cfg = init.get_config()
                if "seed" in cfg:
                    cfg["seed"] = int(rng.integers(2 ** 31 - 1))
                value = np.asarray(init.__class__.from_config(cfg)(shape, dtype=dtype))
            else:
                fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
                value = rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), shape)
            var.assign(value.astype(np.float32))
    # No rebuild: every derived model (pre-softmax, guided) and traced function shares these variables.


def randomized_copy(model, seed=0, stages=None):
    """A copy of ``model`` (the original is never changed), optionally with some stages randomised.

    Args:
        model: keras.Model or model card.
        seed: int; stages: None (no randomisation: a trained copy) or "all"
            (every layer with weights) or a list of stage names of
            :func:`cascade_stages`.
    Returns:
        keras.Model (the card's preprocessing still applies to it).
    Used by: :func:`trust_table` (notebook 04).
    """
    import keras

    model, _, _ = unpack_built_model(model, None, None)
    copy = keras.models.clone_model(model)
    for mine, theirs in zip(copy.weights, model.weights):   # variable by variable: no second copy of all weights
        mine.assign(theirs)
    if stages is not None:
        chosen = cascade_stages(copy)
        if stages != "all":
            unknown = [s for s in stages if s not in dict(chosen)]
            if unknown:
                raise ValueError(f"unknown stages {unknown}; choose from {[s for s, _ in chosen]}.")
            chosen = [(s, names) for s, names in chosen if s in stages]
        randomize_layers(copy, [n for _, names in chosen for n in names], seed=seed)
    return copy


def randomization_test(model, images, classes, methods=RANDOMIZATION_METHODS, layer=None, *,
                       preprocess=None, stages=None, seed=0, batch_size=32):
    """Cascading model-parameter randomisation test (Adebayo et al. 2018, section 3.1).

    A copy of the network is randomised stage by stage from the output down
    (:func:`cascade_stages`); after each stage every method's maps are
    compared with its maps on the trained network, image by image.

    Args:
        model: model card or keras.Model (never modified).
        images: (N, H, W, 3) 0..255; classes: (N,) class per image (kept fixed:
            the map of the same class before and after).
        methods: names of :data:`TRUST_METHODS` (default
            :data:`helpers.cam.RANDOMIZATION_METHODS`: Grad-CAM and guided backpropagation), or functions
            ``f(net, images, classes) -> (N, H, W)`` maps in [0, 1] (named by
            their ``__name__``).
        stages: stage names to stop at (a subset of :func:`cascade_stages`, in
            that order); None -> all.  The randomisation is cumulative.
        seed: int (the same seed gives the same random weights).
    Returns:
        dict with "stages": list of S stage names, "spearman" and "ssim": dict
        method -> (S, N) float arrays (per stage, per image), "maps": dict
        method -> (N, H, W) maps of the trained network.
    Used by: notebook 04, tools/trust_table.py.
    """
    model, preprocess, layer, x, cls = per_image_arguments(model, images, classes, preprocess, layer)
    named = {}
    for m in methods:
        if callable(m):
            named[getattr(m, "__name__", repr(m))] = m
        elif m in TRUST_METHODS:
            named[m] = m
        else:
            raise ValueError(f"unknown method {m!r}; choose from {TRUST_METHODS} (or pass a function).")
    all_stages = cascade_stages(model)
    names = [s for s, _ in all_stages]
    wanted = names if stages is None else list(stages)
    bad = [s for s in wanted if s not in names]
    if bad:
        raise ValueError(f"unknown stages {bad}; choose from {names}.")

    def maps_of(net):
        return {name: np.asarray(m(net, x, cls), np.float64) if callable(m) else
                explanation_maps(net, x, cls, m, layer, preprocess=preprocess, batch_size=batch_size)
                for name, m in named.items()}

    trained = maps_of(model)               # the model's own compiled passes, if it already has them
    copy = randomized_copy(model, seed)    # traced once: randomising in place needs no new trace
    spear = {m: [] for m in named}
    sim = {m: [] for m in named}
    done, rng = [], np.random.default_rng(seed)
    for stage, layer_names in all_stages:
        randomize_layers(copy, layer_names, seed=int(rng.integers(2 ** 31 - 1)))
        if stage not in wanted:
            continue
        done.append(stage)
        now = maps_of(copy)
        for m in named:
            spear[m].append([rank_correlation(a, b) for a, b in zip(trained[m], now[m])])
            sim[m].append([ssim(a, b) for a, b in zip(trained[m], now[m])])
        if len(done) == len(wanted):
            break
    forget(copy)                           # its pre-softmax model, guided clone and compiled functions
    del copy
    gc.collect()
    return {"stages": done,
            "spearman": {m: np.asarray(v, np.float64) for m, v in spear.items()},
            "ssim": {m: np.asarray(v, np.float64) for m, v in sim.items()},
            "maps": trained}
