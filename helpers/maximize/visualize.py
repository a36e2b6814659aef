"""The public ascent functions: filter patterns (notebook 02) and class pictures (notebook 03).

:func:`maximize_filters` / :func:`maximize_classes` check their arguments,
pick the parameterisation's defaults (preset, step size), build the start
values, get the cached engine (:func:`helpers.maximize.engine.get_engine`)
and run all targets as one batch (or equal chunks); :func:`visualize_filters`
/ :func:`visualize_classes` return the viewable uint8 pictures.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..inputs import check_int
from ..layers import conv_layers, find_layer, fixed_size, logits_model
from .engine import AscentResult, get_engine, run_batched
from .param import CLASS_FOURIER_DECAY, FOURIER_DECAY, FOURIER_REGS_MESSAGE, PARAMETERIZATIONS, \
    parameterization_for, viewable
from .regularize import regularizers

__all__ = ["maximize_filters", "visualize_filters", "maximize_classes", "visualize_classes", "check_targets"]


def _as_size(size, model, default: int = 128) -> tuple[int, int]:
    from ..inputs import check_size

    if size is None:
        return fixed_size(model) or (default, default)
    if isinstance(size, str):
        raise TypeError(f"size must be an int or a pair (height, width), got the string {size!r}")
    h, w = check_size(size, "size")
    if h < 8 or w < 8:
        raise ValueError(f"size must be at least 8x8 pixels, got {h}x{w}")
    return h, w


def _setup(preset, regs, parameterization, lr, pixel_default, fourier_default="robust"):
    """Check the parameterisation and build (Regularizers, lr) for it (clear errors for bad combinations)."""
    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"parameterization must be one of {sorted(PARAMETERIZATIONS)}, got {parameterization!r}")
    if isinstance(preset, str) and preset == "auto":
        preset = fourier_default if parameterization == "fourier" else pixel_default
    reg = regularizers(preset, **regs)
    if parameterization == "fourier" and reg.pixel_only:
        raise ValueError(FOURIER_REGS_MESSAGE.format(reg.pixel_only))
    lr = PARAMETERIZATIONS[parameterization] if lr is None else lr
    return reg, lr


# ------------------------------------------------------------------ filters ----

def _check_run_args(steps, seed, lr, callback_every):
    """Validate the arguments shared by the maximize_* functions (clear errors, not TensorFlow's).

    Returns (steps, seed, callback_every) as Python ints (3.0 is taken as 3).
    """
    steps, seed = check_int(steps, "steps", 0), check_int(seed, "seed", 0)
    callback_every = check_int(callback_every, "callback_every", 1)
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise TypeError(f"lr must be a number, got {lr!r}")
    if not (math.isfinite(float(lr)) and float(lr) > 0):
        raise ValueError(f"lr (the RMS pixel change per step) must be a positive number, got {lr!r}")
    return steps, seed, callback_every


def check_targets(values, count, what: str, where: str) -> np.ndarray:
    """``values`` (an int or a list of ints) as a (B,) int64 array of indices in ``0..count-1``.

    Raises a TypeError for non-integers, a ValueError naming ``what``, the
    bad values and ``where`` (e.g. "layer 'conv' has 16") for an empty list
    or indices out of range. ``count`` None: no range check.
    Used by: the ascent functions here and helpers.deepvis.class_gradients (notebook 03).
    """
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    try:
        arr = np.asarray(list(values))
    except TypeError:
        raise TypeError(f"{what} must be an int or a list of ints, got {values!r}") from None
    if arr.size == 0:
        raise ValueError(f"{what} is empty: give at least one index")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what} must be integers, got {arr.tolist()!r}")
    if count is not None:
        bad = arr[(arr < 0) | (arr >= count)]
        if bad.size:
            raise ValueError(f"{what} {bad.tolist()} out of range: {where} has {count} (valid 0..{count - 1})")
    return arr.astype(np.int64)


def maximize_filters(model, layer: str, filters, steps: int = 30, size=None, seed: int = 0,
                     preprocess=None, lr=None, preset="auto", progress: bool = True,
                     callback=None, callback_every: int = 10, batch_size=32, parameterization: str = "pixel",
                     decay_power: float = FOURIER_DECAY, **regs) -> AscentResult:
    """Gradient ascent for several filters of one layer, as one batch (see module doc).

    Same arguments as :func:`visualize_filters`; returns the raw
    :class:`AscentResult` (float images, objective history, dead mask).
    """
    from ..inputs import unpack_model

    model, preprocess, _ = unpack_model(model, preprocess)
    reg, lr = _setup(preset, regs, parameterization, lr, None)
    steps, seed, callback_every = _check_run_args(steps, seed, lr, callback_every)
    names = conv_layers(model)
    *_, lay = find_layer(model, layer, valid=names)
    if names and layer not in names:
        raise ValueError(f"{layer!r} is not a convolution layer; valid conv layers: {', '.join(names)}")
    channels = lay.output.shape[-1]
    filters = check_targets(filters, channels, "filters", f"layer {layer!r}")
    h, w = _as_size(size, model)
    engine = get_engine(model, layer, "channel", preprocess, size=(h + 2 * reg.pad, w + 2 * reg.pad))
    init = parameterization_for(parameterization, (h, w), decay_power).start(filters, (h, w), seed)
    result = run_batched(engine, init, filters, batch_size, steps, progress, callback,
                          f"{layer}: {len(filters)} filter{'s' if len(filters) != 1 else ''}", lr=lr, regs=reg, seed=seed,
                          callback_every=callback_every, parameterization=parameterization, size=(h, w),
                          decay_power=decay_power)
    if result.dead.any():
        warnings.warn(
            f"filters {result.targets[result.dead].tolist()} of layer {layer!r} never fired on the start "
            "image (all-zero output, zero gradient): drawn as plain grey.",
            RuntimeWarning, stacklevel=3,
        )
    return result


def visualize_filters(model, layer: str, filters, steps: int = 30, size=None, seed: int = 0,
                      preprocess=None, lr=None, preset="auto", progress: bool = True,
                      callback=None, callback_every: int = 10, batch_size=32, parameterization: str = "pixel",
                      decay_power: float = FOURIER_DECAY, **regs) -> np.ndarray:
    """The input pattern each filter of ``layer`` responds to most, by gradient ascent.

    All filters are optimised together as one batch in one compiled step
    (one trace for any number of filters).

    Args:
        model: a keras.Model (only the part up to ``layer`` is run).
        layer: name of a convolution layer (an unknown name raises a
            ValueError listing the valid ones).
        filters: int or list of filter (channel) indices.
        steps: ascent steps (30 gives clear block1-3 patterns).
        size: int or (H, W); default the model's input size (128 if free).
        seed: seed of the start noise (and jitter): same seed, same image.
        preprocess: applied to the 0..255 images inside the graph, e.g.
            ``card.preprocess`` (default identity).
        lr: step size; default 4.0 for ``"pixel"`` (RMS pixel change per
            step, 0..255 scale), 0.05 for ``"fourier"`` (Adam's step).
        preset: a name in :data:`PRESETS` or a Regularizers; ``"auto"``
            (default) is no regulariser for ``"pixel"``, ``"robust"`` for
            ``"fourier"``.
        progress: tqdm.auto progress bar.
        callback: optional ``callback(step, images)`` called every
            ``callback_every`` steps and at the end, with the float images
            (B, H, W, 3) so far (live previews, snapshots); with a callback
            all filters run as one batch.
        batch_size: filters per batch (equal chunks share one compiled
            trace); None = all at once. Measured on a 2-core CPU, very large
            batches get slower per image (VGG16 block3_conv1 at 128 px:
            36 ms per image-step in batches of 16, 71 ms in one batch of 64)
            and take more memory; 32 is a safe middle.
        parameterization: ``"pixel"`` (the course's original: the pixels
            are the variables) or ``"fourier"`` (Olah et al. 2017: a 1/f
            scaled spectrum in decorrelated colours through a sigmoid,
            Adam steps; see :func:`fourier_images`).
        decay_power: ``"fourier"`` only: the spectrum's scaling 1/f**decay_power
            (:func:`fourier_scale`; Lucid: 1, default :data:`FOURIER_DECAY`).
        **regs: individual regulariser strengths (see :class:`Regularizers`).
    Returns:
        (F, H, W, 3) uint8 images (see :func:`viewable`); a filter
        that never fires gives plain grey and a RuntimeWarning naming it.
    Used by: notebook 02 and helpers.widgets.filters.
    """
    result = maximize_filters(model, layer, filters, steps=steps, size=size, seed=seed,
                              preprocess=preprocess, lr=lr, preset=preset, progress=progress,
                              callback=callback, callback_every=callback_every, batch_size=batch_size,
                              parameterization=parameterization, decay_power=decay_power, **regs)
    return viewable(result)


# ------------------------------------------------------------------ classes ----

def maximize_classes(model, classes, steps: int = 100, size=None, seed: int = 0, preprocess=None,
                     lr=None, preset="auto", progress: bool = True, callback=None,
                     callback_every: int = 10, batch_size=32, parameterization: str = "pixel",
                     decay_power: float = CLASS_FOURIER_DECAY, **regs) -> AscentResult:
    """Gradient ascent on class scores before the softmax, all classes as one batch.

    Same arguments as :func:`visualize_classes`; returns the raw :class:`AscentResult`.
    """
    from ..inputs import class_index, is_card, unpack_model

    if isinstance(classes, str) or (isinstance(classes, (list, tuple)) and any(isinstance(c, str) for c in classes)):
        if not is_card(model):
            raise TypeError(f"classes={classes!r}: class names need the model card (it knows the names); "
                            "pass the card instead of card.model, or give class ids.")
        classes = [class_index(model, c, name="classes") for c in ([classes] if isinstance(classes, str) else classes)]
    model, preprocess, _ = unpack_model(model, preprocess)
    reg, lr = _setup(preset, regs, parameterization, lr, "yosinski3", "strong")
    steps, seed, callback_every = _check_run_args(steps, seed, lr, callback_every)
    n_classes = logits_model(model).outputs[0].shape[-1]
    classes = check_targets(classes, n_classes, "classes", f"model {model.name!r}")
    h, w = _as_size(size, model, default=224)
    engine = get_engine(model, None, "logit", preprocess, size=(h + 2 * reg.pad, w + 2 * reg.pad))
    init = parameterization_for(parameterization, (h, w), decay_power).start(classes, (h, w), seed)
    result = run_batched(engine, init, classes, batch_size, steps, progress, callback,
                          f"{len(classes)} class{'es' if len(classes) != 1 else ''}", lr=lr, regs=reg,
                          seed=seed, callback_every=callback_every, parameterization=parameterization, size=(h, w),
                          decay_power=decay_power)
    if result.dead.any():
        warnings.warn(
            f"classes {result.targets[result.dead].tolist()} had a zero gradient at every step: drawn as plain grey.",
            RuntimeWarning, stacklevel=3,
        )
    return result


def visualize_classes(model, classes, steps: int = 100, size=None, seed: int = 0, preprocess=None,
                      lr=None, preset="auto", progress: bool = True, callback=None,
                      callback_every: int = 10, batch_size=32, parameterization: str = "pixel",
                      decay_power: float = CLASS_FOURIER_DECAY, **regs) -> np.ndarray:
    """The synthetic input that most excites each class score (DeepVis), by gradient ascent.

    The objective is the class score *before* the softmax
    (``helpers.models.logits_model``); all classes are one batch.

    Args:
        model: a keras.Model whose output is softmax probabilities.
        classes: int or list of class indices.
        steps: ascent steps.
        size: int or (H, W); default the model's input size.
        seed: same seed, same image.
        preprocess: e.g. ``card.preprocess`` (applied inside the graph).
        lr: step size; default 4.0 for ``"pixel"`` (RMS pixel change per
            step, 0..255 scale), 0.05 for ``"fourier"`` (Adam's step).
        preset: a name in :data:`PRESETS`, a Regularizers, or None;
            ``"auto"`` (default) is ``"yosinski3"`` (decay 1e-4, blur 1.0
            every 4 steps) for ``"pixel"`` and ``"strong"`` for ``"fourier"`` (the gallery's recipe).
        progress, callback, callback_every: progress bar and live preview.
        batch_size: classes per batch (see :func:`visualize_filters`).
        parameterization: ``"pixel"`` or ``"fourier"`` (see :func:`visualize_filters`).
        decay_power: ``"fourier"`` only: the spectrum's scaling 1/f**decay_power
            (default :data:`CLASS_FOURIER_DECAY`, Lucid's 1/f).
        **regs: individual regulariser strengths (override the preset).
    Returns:
        (C, H, W, 3) uint8 images (see :func:`viewable`).
    Used by: notebook 03.
    """
    result = maximize_classes(model, classes, steps=steps, size=size, seed=seed, preprocess=preprocess,
                              lr=lr, preset=preset, progress=progress, callback=callback,
                              callback_every=callback_every, batch_size=batch_size,
                              parameterization=parameterization, decay_power=decay_power, **regs)
    return viewable(result)


# ---------------------------------------------------------------- measures ----
