"""The arguments a student passes, checked in one place.

Every public function of ``helpers`` that takes images, a model, a class or a
layer checks it here, so a mistake gets the same clear message everywhere:
it names the argument, says what was wrong and what to do, and is raised
from ``helpers`` (not from inside TensorFlow, numpy or matplotlib).

* :func:`check_images` -- one image (H, W, 3) or a batch (N, H, W, 3) of
  pixel values 0..255 *before* preprocessing; refuses empty batches, NaN,
  wrong shapes, and values that look like a 0..1 image or an already
  preprocessed one, with a hint for each.
* :func:`unpack_model` -- a :class:`helpers.models.ModelCard` or a
  ``keras.Model`` wherever a model is expected (the card also supplies the
  preprocessing and its last conv layer).
* :func:`require_card` -- where the card itself is needed (class names,
  sample images), a clear error for a bare ``keras.Model``.
* :func:`class_index` -- a class given by id or by name.
* :func:`check_int`, :func:`check_number`, :func:`check_size`,
  :func:`check_cmap` -- scalar options.

Finding a layer and model surgery (pre-softmax model, feature-map-plus-scores
model) live in :mod:`helpers.layers`.

Used by: helpers.models, helpers.activations, helpers.cam, helpers.widgets,
helpers.exercises (every convnet notebook, 00-04).
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_images",
    "named_images",
    "unpack_model",
    "unpack_built_model",
    "require_card",
    "is_card",
    "class_index",
    "check_int",
    "check_number",
    "check_size",
    "check_cmap",
]

#: Values this far outside 0..255 are taken as rounding (resizing, float maths), not as a mistake.
RANGE_SLACK = 0.5

_LOAD_HINT = "load photos with helpers.images.load_image(path, size=card.input_size)"


def is_card(obj) -> bool:
    """True for a model card (``helpers.models.load_model()``), duck-typed."""
    return all(hasattr(obj, a) for a in ("model", "preprocess", "class_names"))


def _is_keras_model(obj) -> bool:
    import keras

    return isinstance(obj, keras.Model)


def unpack_model(model, preprocess=None, layer=None, *, name: str = "model"):
    """A model card or a ``keras.Model`` -> ``(keras_model, preprocess, layer)``.

    Args:
        model: a card from ``helpers.models.load_model()`` or a ``keras.Model``.
        preprocess: the caller's preprocessing; for a card, ``None`` means the
            card's own.
        layer: the caller's layer; for a card, ``None`` means its last conv layer.
        name: the argument's name, for the message.
    Returns:
        (keras.Model, preprocess or None, layer or None).
    Raises:
        TypeError naming ``name`` for anything else (a path, a class, a string).
    """
    if is_card(model):
        return model.model, (preprocess if preprocess is not None else model.preprocess), \
            (layer if layer is not None else getattr(model, "last_conv_layer", None))
    if _is_keras_model(model):
        return model, preprocess, layer
    hint = ""
    if isinstance(model, str):
        hint = f" To load a model by name use helpers.models.load_model({model!r})."
    elif isinstance(model, type):
        hint = " It is a class: build the model first (call it), or use helpers.models.load_model()."
    raise TypeError(
        f"{name} must be a model card (helpers.models.load_model()) or a keras.Model, "
        f"got {type(model).__name__}.{hint}"
    )


def unpack_built_model(model, preprocess=None, layer=None):
    """:func:`unpack_model` for functions that differentiate the model: it must be built and
    ``preprocess`` callable.

    Returns:
        (keras.Model, preprocess or None, layer or None).
    Raises:
        ValueError for a model without an input shape; TypeError for a
        ``preprocess`` that is not a function.
    Used by: helpers.cam, helpers.trust (notebook 04).
    """
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


def require_card(card, *, where: str, name: str = "card"):
    """``card`` itself, or a TypeError saying that ``where`` needs the card, not a bare model."""
    if is_card(card):
        return card
    if _is_keras_model(card):
        raise TypeError(
            f"{where} needs the model card (it uses the class names and preprocessing), got the "
            f"keras.Model {card.name!r}; pass card = helpers.models.load_model() instead of card.model."
        )
    raise TypeError(f"{name} must be a model card from helpers.models.load_model(), got {type(card).__name__}.")


def check_images(images, *, name: str = "images", size=None, value_range: bool = True,
                 allow_empty: bool = False, channels: int | None = 3):
    """One image or a batch of RGB images, checked; the caller's array is never changed.

    Args:
        images: (H, W, 3) or (N, H, W, 3), numbers 0..255 before any
            preprocessing (numpy, list or tensor; uint8 or float).
        name: the argument's name, for messages.
        size: (H, W) the model needs, or None for any size.
        value_range: check that values lie in 0..255 (with a hint for 0..1
            images and for already preprocessed ones); gradient-ascent
            images, which may leave the range, pass False.
        allow_empty: accept N = 0.
        channels: the channel count required (3 = RGB), or None for any
            (a custom model's own input, e.g. a one-channel test model).
    Returns:
        (batch, single): batch is a new (N, H, W, 3) float32 array, single is
        True when one (H, W, 3) image was given.
    Raises:
        TypeError for non-numeric input; ValueError naming the problem.
    Used by: ModelCard.predict/top_k, get_activations, grad_cam and its
    siblings, overlay, the explorers (notebooks 00-04).
    """
    if hasattr(images, "numpy") and not isinstance(images, np.ndarray):   # a tf.Tensor
        images = images.numpy()
    if isinstance(images, (str, bytes)) or images is None or isinstance(images, dict):
        kind = "a path" if isinstance(images, str) else type(images).__name__
        raise TypeError(f"{name} must be an array of pixel values, got {kind}; {_LOAD_HINT}.")
    try:
        raw = np.asarray(images) if not isinstance(images, np.ndarray) else images
        if raw.dtype == object:
            raw = np.asarray(images, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be an array of numbers; got a ragged or non-numeric "
            f"{type(images).__name__} (images of different sizes? {_LOAD_HINT})."
        ) from None
    if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)):
        raise TypeError(f"{name} must hold numbers (uint8 or float pixel values 0..255), got dtype {raw.dtype}.")
    single = raw.ndim == 3
    shape = raw.shape
    if raw.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (N, H, W, 3) or (H, W, 3), got {shape}; {_LOAD_HINT}.")
    if channels is not None and shape[-1] != channels:
        what = {1: "grayscale", 4: "RGBA", 2: "grayscale + alpha"}.get(shape[-1])
        if what is None and shape[-3] in (1, 3, 4):
            what = "channels first? the course uses channels last"
        raise ValueError(
            f"{name} must have {channels} colour channels last, (N, H, W, {channels}), got {shape}"
            + (f" ({what})" if what else "")
            + f"; helpers.images.to_batch converts grayscale and RGBA, {_LOAD_HINT}."
        )
    batch = raw[None] if single else raw
    if batch.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is an empty batch (N = 0); give at least one image.")
    if batch.shape[1] < 1 or batch.shape[2] < 1:
        raise ValueError(f"{name} has no pixels (shape {shape}).")
    batch = np.array(batch, dtype=np.float32)      # always a copy: the caller's array is never changed
    if batch.size and not np.all(np.isfinite(batch)):
        bad = int(np.sum(~np.isfinite(batch)))
        raise ValueError(f"{name}: {bad} values are NaN or infinite; give finite pixel values 0..255.")
    if value_range and batch.size:
        lo, hi = float(batch.min()), float(batch.max())
        if lo < -RANGE_SLACK or hi > 255 + RANGE_SLACK:
            looks = ""
            if lo < -RANGE_SLACK and hi < 200:
                looks = (" They look preprocessed (card.preprocess output, or -1..1): pass the raw "
                         "0..255 images, the function preprocesses them itself.")
            raise ValueError(
                f"{name} must hold pixel values 0..255 before preprocessing; got values from "
                f"{lo:.4g} to {hi:.4g}.{looks or ' Clip them with np.clip(images, 0, 255) if they are pixel values.'}"
            )
        if hi <= 1.0 and hi > 0 and np.issubdtype(raw.dtype, np.floating) and np.any(batch != np.round(batch)):
            raise ValueError(
                f"{name}: the values look like a 0..1 image (largest value {hi:.3g}); the course uses pixel values "
                "0..255: multiply by 255 (images * 255)."
            )
    if size is not None:
        want = tuple(int(s) for s in size)
        if tuple(batch.shape[1:3]) != want:
            raise ValueError(
                f"the model expects {want[0]}x{want[1]} images, {name} are {batch.shape[1]}x{batch.shape[2]}; "
                f"resize them: {_LOAD_HINT}."
            )
    return batch, single


def named_images(images, *, name: str = "images", size=None) -> dict:
    """Images for an explorer: a dict name -> (H, W, 3) or an array (N, H, W, 3) -> dict of checked images.

    Args:
        images: e.g. ``card.sample_images()``, or an array of one or more images 0..255.
        size: (H, W) every image must have (the model's input size), or None.
    Returns:
        dict str -> (H, W, 3) float32 copies ("image 0", "image 1"... for an array).
    Raises:
        ValueError for an empty dict, a batch inside the dict, or any problem
        :func:`check_images` finds (the message names the image).
    Used by: the explorers of notebooks 01 and 04.
    """
    if isinstance(images, dict):
        if not images:
            raise ValueError(f"{name} is an empty dict; pass e.g. card.sample_images().")
        out = {}
        for k, v in images.items():
            arr, single = check_images(v, name=f"{name}[{k!r}]", size=size)
            if not single:
                raise ValueError(f"{name}[{k!r}] must be one image (H, W, 3), got shape {arr.shape}.")
            out[str(k)] = arr[0]
        return out
    arr, _ = check_images(images, name=name, size=size)
    return {f"image {i}": a for i, a in enumerate(arr)}


def _shown(value, limit: int = 60) -> str:
    """``value`` as a student would type it: a numpy scalar as its plain number, a long repr cut."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python int, or a TypeError / ValueError naming ``name`` and the allowed range.

    The one integer check of ``helpers`` (counts, sizes, seeds, indices, steps).
    Accepts Python and numpy integers and floats with an integral value (3.0);
    refuses bools (``True`` is not a count), strings, NaN, inf and
    non-integral numbers with a TypeError ("n must be an integer, got float
    2.5."), and a value outside ``minimum..maximum`` (either bound optional,
    both inclusive) with a ValueError naming the range and the value ("n must
    be at least 1, got 0.", "T must be between 1 and 12, got 40.").  ``name``
    may carry a hint: ``check_int(k, "window size k", 0)``.  The result is a
    Python int, so ``2 ** n`` cannot overflow as a numpy int64 would.

    Used by every module of helpers that takes an integer argument (all notebooks).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {_shown(value)}.")
    if isinstance(value, numbers.Integral):
        out = int(value)
    else:
        if not np.isfinite(value) or float(value) != int(value):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__} {_shown(value)}.")
        out = int(value)
    if (minimum is not None and out < minimum) or (maximum is not None and out > maximum):
        if maximum is None:
            allowed = f"at least {minimum}"
        elif minimum is None:
            allowed = f"at most {maximum}"
        else:
            allowed = f"between {minimum} and {maximum}"
        raise ValueError(f"{name} must be {allowed}, got {out}.")
    return out


def check_number(value, name: str, minimum: float | None = None, maximum: float | None = None,
                 strict_minimum: bool = False) -> float:
    """``value`` as a finite float within the bounds, or an error naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}.")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be a finite number, got {out}.")
    low_bad = minimum is not None and (out <= minimum if strict_minimum else out < minimum)
    if low_bad or (maximum is not None and out > maximum):
        lo = "" if minimum is None else (f"> {minimum}" if strict_minimum else f">= {minimum}")
        hi = "" if maximum is None else f"<= {maximum}"
        raise ValueError(f"{name} must be {' and '.join(s for s in (lo, hi) if s)}, got {out}.")
    return out


def check_size(size, name: str = "size", minimum: int = 1) -> tuple[int, int]:
    """An image size: an int (square) or a pair (H, W) of ints >= ``minimum``."""
    if isinstance(size, (tuple, list, np.ndarray)):
        if len(size) != 2:
            raise ValueError(f"{name} must be one int or a pair (height, width), got {size!r}.")
        return (check_int(size[0], f"{name}[0]", minimum), check_int(size[1], f"{name}[1]", minimum))
    n = check_int(size, name, minimum)
    return n, n


def check_cmap(cmap, name: str = "cmap"):
    """A matplotlib colour map by name (or a Colormap); the error lists a few valid names."""
    import matplotlib

    if isinstance(cmap, matplotlib.colors.Colormap):
        return cmap
    if not isinstance(cmap, str):
        raise TypeError(f"{name} must be a colour map name such as 'viridis', got {type(cmap).__name__}.")
    try:
        return matplotlib.colormaps[cmap]
    except KeyError:
        raise ValueError(
            f"{name}={cmap!r} is not a matplotlib colour map; try 'viridis', 'magma', 'gray' or 'jet'."
        ) from None


def class_index(classes_of, cls, *, name: str = "class_id") -> int:
    """A class given by id or by name -> its id: the one class-name lookup of ``helpers``.

    ``card.class_id``, ``deepvis.find_class``, ``cam.grad_cam`` and
    ``maximize`` all resolve names here, so they agree.  A 1000-class model
    (ImageNet) goes through :func:`helpers.imagenet.class_id` (WordNet ids and
    aliases such as "billiard table"); other models match their class names.

    Args:
        classes_of: a model card, or the list of class names.
        cls: an int id, or a class name (case, spaces and underscores ignored).
        name: the argument's name, for the message.
    Returns:
        int id in 0..num_classes-1.
    Raises:
        TypeError / ValueError naming ``name``, the valid range, and close names.
    """
    names = list(classes_of.class_names if is_card(classes_of) else classes_of)
    if isinstance(cls, str) and len(names) == 1000:
        from . import imagenet      # ImageNet: WordNet ids and the lecture's aliases ("billiard table")

        try:
            return imagenet.class_id(cls)
        except ValueError as exc:
            raise ValueError(f"{name}={cls!r}: {exc}") from None
    if isinstance(cls, str):
        key = cls.strip().lower().replace(" ", "_")
        for i, n in enumerate(names):
            if n.lower().replace(" ", "_") == key:
                return i
        import difflib

        close = difflib.get_close_matches(key, [n.lower() for n in names], n=5)
        raise ValueError(f"{name}={cls!r} is not a class name of this model."
                         + (f" Did you mean one of {close}?" if close else f" The classes are {names[:10]}..."))
    out = check_int(cls, name)
    if not 0 <= out < len(names):
        raise ValueError(f"{name}={out} is out of range: the model has {len(names)} classes (ids 0..{len(names) - 1}).")
    return out
