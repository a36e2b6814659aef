"""The 1000 ImageNet classes, offline, in Keras's format and order.

The class list ships in ``data/imagenet_class_index.json`` in exactly the
format Keras downloads (``{"0": ["n01440764", "tench"], ...}``: index ->
[WordNet id, name with underscores]), so nothing here touches the network.
Index 386 is African_elephant, 130 flamingo, 736 pool_table (the lecture's
"billiard table"), 779 school_bus.

Used by 00_start_here and 01_vgg16_activations (top-k predictions),
03_deepvis (choosing classes by name), 04_gradcam, the class pickers in
``helpers.widgets`` and the VGG16 model card in ``helpers.models``.
"""
from __future__ import annotations

import difflib
import functools
import json
import numbers
import os
import re

import numpy as np

from . import DATA_DIR
from .inputs import check_int

__all__ = [
    "CLASS_INDEX_PATH",
    "NUM_CLASSES",
    "class_names",
    "class_index",
    "class_wnids",
    "decode_predictions",
    "class_id",
    "search_classes",
]

CLASS_INDEX_PATH = os.path.join(DATA_DIR, "imagenet_class_index.json")
NUM_CLASSES = 1000

# Other WordNet lemmas of a synset, for names the lecture uses that are not
# the first lemma stored in Keras's file (normalised key -> index).
_ALIASES = {
    "billiardtable": 736,  # n03982430 "pool table, billiard table, snooker table"
    "snookertable": 736,
}


@functools.lru_cache(maxsize=1)
def _load_index() -> tuple[tuple[str, str], ...]:
    """Read and check the json once: tuple index -> (wnid, name)."""
    try:
        with open(CLASS_INDEX_PATH, encoding="utf-8") as handle:
            raw = json.load(handle)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"The ImageNet class list {CLASS_INDEX_PATH} is missing; the "
            f"repository's data folder is incomplete. Restore it with "
            f"`git checkout -- data/imagenet_class_index.json`."
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{CLASS_INDEX_PATH} is not valid JSON ({exc}); restore it with "
            f"`git checkout -- data/imagenet_class_index.json`."
        ) from exc
    expected_keys = {str(i) for i in range(NUM_CLASSES)}
    if not isinstance(raw, dict) or set(raw) != expected_keys:
        raise ValueError(
            f"{CLASS_INDEX_PATH} must map the keys '0'..'999' to [wnid, name] "
            f"(Keras's format); restore it with git."
        )
    entries = []
    for i in range(NUM_CLASSES):
        entry = raw[str(i)]
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(s, str) for s in entry)):
            raise ValueError(f"{CLASS_INDEX_PATH}: entry {i} is {entry!r}, expected [wnid, name].")
        entries.append((entry[0], entry[1]))
    return tuple(entries)


def _normalise(text: str) -> str:
    """Case-insensitive key that ignores spaces, underscores and punctuation."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def class_names() -> list[str]:
    """The 1000 ImageNet class names in Keras's order.

    Returns:
        list of 1000 str, Keras's names with underscores (e.g.
        ``class_names()[386] == "African_elephant"``).  A new list each call.

    Used by 00_start_here, 01_vgg16_activations and ``helpers.models``
    (the VGG16 card's ``class_names``).
    """
    return [name for _, name in _load_index()]


def class_wnids() -> list[str]:
    """The 1000 WordNet ids (e.g. ``"n02504458"`` for 386) in Keras's order."""
    return [wnid for wnid, _ in _load_index()]


def class_index() -> dict[str, list[str]]:
    """The class index in Keras's own format.

    Returns:
        dict ``{"0": ["n01440764", "tench"], ..., "999": [...]}`` (str keys,
        [WordNet id, name] values), exactly what Keras's
        ``imagenet_utils`` loads from ``imagenet_class_index.json``.
        A new copy each call.
    """
    return {str(i): [wnid, name] for i, (wnid, name) in enumerate(_load_index())}


def decode_predictions(preds, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Top-k ImageNet classes of a batch of predictions, like Keras, offline.

    Args:
        preds: array-like (numpy or tensor) of shape (N, 1000): one row of
            1000 class scores (usually softmax probabilities) per image.
        top: how many classes to return per image, 1..1000.

    Returns:
        list of N lists of ``top`` tuples ``(wnid, name, score)`` sorted by
        score, highest first (Keras's format; score is a Python float).
        Equal scores keep the lower class index first.

    Raises:
        ValueError: ``preds`` is not (N, 1000) (the message shows the shape
            and what to do), holds NaN/inf, or ``top`` is out of range.
        TypeError: non-numeric ``preds`` or non-integer ``top``.

    Used by 00_start_here (the book's listing 5.41 call, offline).
    """
    top = check_int(top, "top", 1, NUM_CLASSES)
    try:
        scores = np.asarray(preds)
    except Exception as exc:
        raise TypeError(f"preds must be an array of shape (N, 1000); got {type(preds).__name__}.") from exc
    if scores.dtype == np.bool_ or scores.dtype.kind not in "uif":
        raise TypeError(f"preds must hold numbers (class scores); got dtype {scores.dtype}.")
    shape = tuple(scores.shape)
    if scores.ndim == 1 and shape[0] == NUM_CLASSES:
        raise ValueError(
            f"decode_predictions expects a batch of shape (N, 1000); got one "
            f"vector of shape {shape}. Use decode_predictions(preds[None]) "
            f"(or model.predict on a batch, e.g. to_batch(image))."
        )
    if scores.ndim != 2 or shape[1] != NUM_CLASSES:
        hint = ""
        if scores.ndim == 2 and shape[1] != NUM_CLASSES:
            hint = (f" These are scores for {shape[1]} classes, not ImageNet's 1000: "
                    f"for another model (e.g. ShapesNet) use card.class_names.")
        elif scores.ndim == 4:
            hint = " This looks like a feature map or an image, not model predictions."
        raise ValueError(
            f"decode_predictions expects predictions of shape (N, 1000) (one row "
            f"of ImageNet class scores per image); got shape {shape}.{hint}"
        )
    if shape[0] == 0:
        raise ValueError("decode_predictions got an empty batch (shape (0, 1000)).")
    scores = scores.astype(np.float64) if scores.dtype.kind != "f" else scores
    if not np.all(np.isfinite(scores)):
        bad_rows = sorted({int(r) for r in np.argwhere(~np.isfinite(scores))[:, 0]})
        raise ValueError(
            f"preds contains NaN or infinite scores (rows {bad_rows[:10]}); the "
            f"model's input or weights are broken (e.g. NaN pixels)."
        )
    index = _load_index()
    results = []
    for row in scores:
        order = np.argsort(-row, kind="stable")[:top]
        results.append([(index[i][0], index[i][1], float(row[i])) for i in order])
    return results


@functools.lru_cache(maxsize=1)
def _lookup_table() -> dict[str, list[int]]:
    table: dict[str, list[int]] = {}
    for i, (_, name) in enumerate(_load_index()):
        table.setdefault(_normalise(name), []).append(i)
    return table


def class_id(name) -> int:
    """Index (0..999) of an ImageNet class given by name.

    Args:
        name: a class name, matched case-insensitively and ignoring spaces,
            underscores and punctuation ("pool table", "Pool_Table",
            "african elephant"); a few other WordNet names the lecture uses
            ("billiard table" -> 736); a WordNet id ("n02504458"); or an int
            index (checked and returned).  A name that exists with two
            spellings of case ("Cardigan" the corgi 264, "cardigan" the
            sweater 474) is resolved by exact case.

    Returns:
        int index into the model's 1000 outputs.

    Raises:
        ValueError: unknown name (the message lists close matches and
            suggests ``search_classes``), a name shared by several classes
            ("crane", "maillot": the message lists their indices), or an
            index outside 0..999.
        TypeError: ``name`` is neither str nor int.

    Used by 03_deepvis, 04_gradcam and the class pickers in helpers.widgets.
    """
    index = _load_index()
    if isinstance(name, numbers.Integral) and not isinstance(name, bool):
        if not 0 <= int(name) < NUM_CLASSES:
            raise ValueError(f"ImageNet class indices are 0..999; got {name}.")
        return int(name)
    if not isinstance(name, str):
        raise TypeError(f"class_id expects a class name (str) or an index (int); got {type(name).__name__}.")
    text = name.strip()
    exact = [i for i, (_, n) in enumerate(index) if n == text.replace(" ", "_")]
    if len(exact) == 1:
        return exact[0]
    wnid_hits = [i for i, (w, _) in enumerate(index) if w == text.lower()]
    if wnid_hits:
        return wnid_hits[0]
    key = _normalise(text)
    hits = exact or _lookup_table().get(key, [])
    if not hits and key in _ALIASES:
        return _ALIASES[key]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        listed = ", ".join(f"{i} ({index[i][1]}, {index[i][0]})" for i in hits)
        raise ValueError(
            f"{name!r} names {len(hits)} ImageNet classes: {listed}. Pass the "
            f"index (e.g. class_id({hits[0]})) or the WordNet id instead."
        )
    if not key:
        raise ValueError(f"class_id got an empty name {name!r}; give a class name such as 'school bus'.")
    suggestions = _close_matches(text, key)
    listed = ", ".join(f"{n} ({i})" for i, n in suggestions[:6]) or "none"
    raise ValueError(
        f"No ImageNet class named {name!r}. Close matches: {listed}. Use "
        f"search_classes('part of a name') to search the 1000 names."
    )


def _close_matches(text: str, key: str) -> list[tuple[int, str]]:
    """Classes whose name (or a word of it, or an alias) is close to text."""
    index = _load_index()
    query_words = [_normalise(w) for w in re.split(r"[\s_\-']+", text) if _normalise(w)]
    scored = []
    for i, (_, name) in enumerate(index):
        norm = _normalise(name)
        score = difflib.SequenceMatcher(None, key, norm).ratio()
        if key in norm:
            score = max(score, 0.8)
        for word in re.split(r"[\s_\-']+", name):
            for q in query_words:
                score = max(score, 0.95 * difflib.SequenceMatcher(None, q, _normalise(word)).ratio())
        scored.append((score, i))
    for alias, i in _ALIASES.items():
        scored.append((difflib.SequenceMatcher(None, key, alias).ratio(), i))
    scored.sort(key=lambda t: (-t[0], t[1]))
    out = []
    for score, i in scored:
        if score < 0.7 or len(out) == 6:
            break
        if (i, index[i][1]) not in out:
            out.append((i, index[i][1]))
    return out


def search_classes(text: str) -> list[tuple[int, str]]:
    """ImageNet classes whose name contains ``text``.

    Args:
        text: part of a name, matched case-insensitively and ignoring spaces,
            underscores and punctuation ("table" finds pool_table,
            dining_table, ...).  An empty string returns all 1000 classes.

    Returns:
        list of ``(index, name)`` in index order.

    Used by the class-picker widgets (helpers.widgets) and 03_deepvis.
    """
    if not isinstance(text, str):
        raise TypeError(f"search_classes: text must be a str (part of a class name); got {type(text).__name__}.")
    key = _normalise(text)
    return [(i, name) for i, (_, name) in enumerate(_load_index()) if key in _normalise(name)]
