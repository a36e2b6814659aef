"""Which model the course runs on: :func:`load_model` (``"auto"``, a name or ``COURSE_MODEL``), one card per model.

``auto`` takes VGG16 when its weights are present or can be downloaded and it fits the kernel's
memory (:func:`helpers.models.memory.memory_limit`), else EfficientNet-Lite0, with one printed line
saying why. Cards are cached (``_CACHE``): a second call returns the same object. Tests replace
VGG16's card with a stand-in by patching ``_vgg16_card`` here, ``helpers.models.choose``.
Used by every convnet notebook (00-04).
"""
from __future__ import annotations

import os

from .card import ModelCard, ModelUnavailableError
from .memory import memory_limit
from .shipped import _efficientnet_card, _shapesnet_card
from .vgg16 import _vgg16_card

__all__ = ["load_model", "MODEL_NAMES", "VGG16_PEAK_BYTES"]

MODEL_NAMES = ("auto", "vgg16", "efficientnet_lite0", "shapesnet")

#: VGG16's measured kernel peak over the notebooks (`make vgg16-memory`, README: 3587 MiB = 3.8 GB in
#: notebook 04, whose sanity checks randomise a copy of the network), plus headroom: ``auto``
#: does not choose VGG16 where the kernel may use less (Binder's 2 GB, a hub's per-user limit).
VGG16_PEAK_BYTES = 4.5e9


def _vgg16_too_big() -> str | None:
    """None if VGG16 fits the memory limit; else the one-line reason ``auto`` prints."""
    limit, source = memory_limit()
    if limit is None or limit >= VGG16_PEAK_BYTES:
        return None
    return (f"auto: using EfficientNet-Lite0 (offline ImageNet model) because this kernel may use "
            f"{limit / 1e9:.1f} GB ({source}) and VGG16 needs about {VGG16_PEAK_BYTES / 1e9:.1f} GB; "
            "set COURSE_MODEL=vgg16 to use VGG16 anyway.")


_CACHE: dict = {}


def _lower_first(sentence: str) -> str:
    """Lower-case a sentence's first letter to continue another sentence, unless the
    first word is a name ("VGG16's", "COURSE_VGG16_WEIGHTS=...", "ImageNet")."""
    word = sentence.split(" ", 1)[0]
    if word[:1].isupper() and not any(c.isupper() or c.isdigit() for c in word[1:]):
        return sentence[0].lower() + sentence[1:]
    return sentence


def load_model(name: str | None = None, verbose: bool = True) -> ModelCard:
    """Load the course model and its card.

    Args:
        name: "vgg16", "efficientnet_lite0", "shapesnet" or "auto"; None
            reads ``COURSE_MODEL`` (default "auto": VGG16 when its weights
            are cached or can be downloaded, otherwise EfficientNet-Lite0).
        verbose: print one line saying which model is used and why.

    Returns:
        ModelCard (cached: a second call returns the same object).

    Raises:
        ValueError for an unknown name; ModelUnavailableError when VGG16 is
        asked for explicitly but its weights cannot be had (offline);
        FileNotFoundError / helpers.efficientnet.WeightsFileError when the
        shipped EfficientNet-Lite0 weights file is missing or corrupt.
    """
    raw = name if name is not None else os.environ.get("COURSE_MODEL", "auto")
    key = str(raw).strip().lower()
    if key not in MODEL_NAMES:
        src = "COURSE_MODEL" if name is None else "name"
        raise ValueError(f"{src}={raw!r} is not a course model; choose one of {MODEL_NAMES}.")
    if key == "auto":
        if "auto" in _CACHE:
            return _CACHE["auto"]
        card, reason = None, _vgg16_too_big()       # a reason not to use VGG16, or None
        if reason is None:
            try:
                card = _CACHE.get("vgg16") or _vgg16_card("auto: VGG16 ImageNet weights found or downloaded")
            except ModelUnavailableError as exc:
                first = str(exc).splitlines()[0]
                reason = (
                    f"auto: using EfficientNet-Lite0 (offline ImageNet model) because {_lower_first(first)} "
                    "To use VGG16 get its weights (see README, 'Offline use'); "
                    "set COURSE_MODEL=efficientnet_lite0 to choose EfficientNet-Lite0 explicitly."
                )
        if card is None:
            card = _CACHE.get("efficientnet_lite0") or _efficientnet_card(reason)
            card.reason = reason
        _CACHE["auto"] = _CACHE[card.name] = card
        if verbose:
            print(f"Model: {card.name} ({card.reason})")
        return card
    if key not in _CACHE:
        builder = {"vgg16": _vgg16_card, "efficientnet_lite0": _efficientnet_card,
                   "shapesnet": _shapesnet_card}[key]
        _CACHE[key] = builder(f"asked for {key!r}")
    card = _CACHE[key]
    if verbose:
        print(f"Model: {card.name} ({card.reason})")
    return card
