"""Pre-rendered feature-visualisation pictures: long runs a notebook cannot afford, made by the course's own code.

A readable class picture needs about 512 ascent steps at 224 px: several
minutes on a 2-core CPU, more than a lesson can wait. ``make gallery``
renders them once with :data:`RECIPE` (the best recipe the course measured,
see :mod:`helpers.maximize`) and stores, per network, in
``data/gallery/<model>/``:

* one PNG per class (``classes/<id>_<name>.png``) and per filter
  (``filters/<layer>_<channel>.png``), uint8, exactly what the ascent gave;
* for each, the picture after the first :data:`CHECK_STEPS` steps
  (``start/...png``), so a test can re-render the start from the stored
  settings and check the gallery was made by this code;
* ``gallery.json``: the recipe, the seed, steps and size of every picture,
  and what was measured on the saved uint8 picture (the probability the
  network gives the class, the high-frequency share).

Notebooks 02 and 03 show a gallery picture beside the student's own short
run (:func:`load`), for the network in use; :func:`load` returns None when
that network has no gallery (VGG16 before its gallery was rendered where its
weights could be downloaded), and the notebook says so.

Run: ``python -m helpers.gallery [--model efficientnet_lite0] [--steps 512]``
(``make gallery``).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time

import numpy as np

from . import DATA_DIR
from . import maximize

__all__ = ["RECIPE", "CHECK_STEPS", "GALLERY_DIR", "gallery_dir", "render_classes", "render_filters",
           "filter_choice", "load", "rerender_start", "LECTURE_EXTRA_CLASSES"]

GALLERY_DIR = os.path.join(DATA_DIR, "gallery")

#: The recipe of the gallery: steps, seed, and per kind the keyword arguments of
#: ``maximize_classes`` / ``maximize_filters``.
RECIPE = {"steps": 512, "seed": 0,
          "class": {"parameterization": "fourier", "preset": "strong", "decay_power": maximize.CLASS_FOURIER_DECAY},
          "filter": {"parameterization": "fourier", "preset": "robust", "decay_power": maximize.FOURIER_DECAY}}

#: Steps re-rendered by the reproducibility test (the stored ``start`` pictures).
CHECK_STEPS = 8

#: Ten distinctive ImageNet classes beside the lecture's three (animals, vehicles, objects).
LECTURE_EXTRA_CLASSES = [1, 9, 84, 94, 107, 323, 340, 555, 849, 949, 951]


def gallery_dir(model_name: str) -> str:
    """``data/gallery/<model_name>``."""
    return os.path.join(GALLERY_DIR, model_name)


def _save_png(path, image):
    from PIL import Image

    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.asarray(image, np.uint8)).save(path, optimize=True)


def _read_png(path):
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), np.uint8)


def _run(card, kind, targets, steps, seed, size, layer=None, progress=True):
    """(final uint8, start uint8 after CHECK_STEPS, AscentResult) for one batch of targets."""
    snaps = {}

    def keep(step, images):
        if step == min(CHECK_STEPS, steps):
            snaps["start"] = images

    kw = dict(steps=steps, seed=seed, size=size, preprocess=card.preprocess, progress=progress,
              callback=keep, callback_every=CHECK_STEPS, **RECIPE[kind])
    if kind == "class":
        res = maximize.maximize_classes(card, list(targets), **kw)
    else:
        res = maximize.maximize_filters(card, layer, list(targets), **kw)
    start = maximize.viewable(dataclasses.replace(res, images=snaps["start"]))
    return maximize.viewable(res), start, res


def _settings(card, kind, steps, seed, size):
    recipe = RECIPE[kind]
    return {"model": card.name, "steps": int(steps), "seed": int(seed), "size": list(size),
            "parameterization": recipe["parameterization"], "preset": recipe["preset"],
            "regularizers": dataclasses.asdict(maximize.regularizers(recipe["preset"])),
            "decay_power": recipe["decay_power"], "lr": maximize.PARAMETERIZATIONS[recipe["parameterization"]],
            "check_steps": CHECK_STEPS}


def _index(card):
    path = os.path.join(gallery_dir(card.name), "gallery.json")
    if os.path.exists(path):
        with open(path) as fh:
            return json.load(fh)
    return {"model": card.name, "classes": [], "filters": []}


def _write_index(card, index):
    path = os.path.join(gallery_dir(card.name), "gallery.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(index, fh, indent=1)
        fh.write("\n")


def render_classes(card, classes, steps: int = RECIPE["steps"], seed: int = RECIPE["seed"], progress=True) -> list:
    """Render class pictures with :data:`RECIPE` into the gallery of ``card``'s network.

    Args:
        card: model card of an ImageNet network.
        classes: list of class ids.
        steps, seed: of the ascent.
    Returns:
        list of the entries written to ``gallery.json`` (one dict per class).
    Used by: ``make gallery``.
    """
    from .maximize import high_frequency_share

    size = tuple(card.input_size)
    t0 = time.perf_counter()
    final, start, res = _run(card, "class", classes, steps, seed, size, progress=progress)
    seconds = time.perf_counter() - t0
    probs = card.predict(final.astype(np.float32))
    hf = high_frequency_share(final)
    entries, root = [], gallery_dir(card.name)
    for i, c in enumerate(classes):
        name = card.class_names[c]
        rel = f"classes/{c:04d}_{name}.png"
        _save_png(os.path.join(root, rel), final[i])
        _save_png(os.path.join(root, "start", rel), start[i])
        entries.append({"kind": "class", "target": int(c), "name": name, "file": rel, "start": f"start/{rel}",
                        **_settings(card, "class", steps, seed, size),
                        "p": round(float(probs[i, c]), 4), "top1": card.class_names[int(probs[i].argmax())],
                        "hf": round(float(hf[i]), 4), "batch_index": i,
                        "seconds_per_class_step": round(seconds / len(classes) / max(steps, 1), 4)})
    index = _index(card)
    index["classes"] = [e for e in index["classes"] if e["target"] not in set(classes)] + entries
    index["classes"].sort(key=lambda e: e["target"])
    _write_index(card, index)
    return entries


def render_filters(card, layer: str, channels, steps: int = RECIPE["steps"], seed: int = RECIPE["seed"],
                   size=None, progress=True) -> list:
    """Render filter patterns of ``layer`` with :data:`RECIPE` into the gallery (see :func:`render_classes`).

    Args:
        card: model card.
        layer: convolution (or activation) layer name.
        channels: list of channel ids (e.g. those that respond most to the sample photos).
        size: (H, W), default the network's input size.
    Returns:
        list of the entries written (one per channel).
    Used by: ``make gallery``.
    """
    from .maximize import high_frequency_share

    size = tuple(size or card.input_size)
    final, start, res = _run(card, "filter", channels, steps, seed, size, layer=layer, progress=progress)
    hf = high_frequency_share(final)
    entries, root = [], gallery_dir(card.name)
    for i, ch in enumerate(channels):
        rel = f"filters/{layer}_{int(ch):04d}.png"
        _save_png(os.path.join(root, rel), final[i])
        _save_png(os.path.join(root, "start", rel), start[i])
        entries.append({"kind": "filter", "layer": layer, "target": int(ch), "file": rel, "start": f"start/{rel}",
                        **_settings(card, "filter", steps, seed, size), "batch_index": i, "activation": round(float(res.final[i]), 4),
                        "hf": round(float(hf[i]), 4)})
    index = _index(card)
    index["filters"] = [e for e in index["filters"] if not (e["layer"] == layer and e["target"] in set(channels))]
    index["filters"] += entries
    _write_index(card, index)
    return entries


def filter_choice(card, k: int = 3, size=None) -> dict:
    """The filters notebook 02 shows: per layer of ``card.filter_layers``, the ``k`` that respond most to the photos.

    The sample photos and their enlarged quarters (``activations.zoomed_views``),
    ranked by ``activations.strongest_channels`` among the filters that respond
    to a grey image at all (an ascent from grey needs a gradient), as notebook
    02's cell does.

    Args:
        card: model card.
        k: filters per layer.
        size: side of the grey image; default that of notebook 02's live
            patterns, ``min(input size, 128)``.
    Returns:
        dict layer name -> list of k channel ids, strongest first.
    Used by: notebook 02 and ``make gallery``.
    """
    from .activations import get_activations, strongest_channels, zoomed_views

    views, _, _ = zoomed_views(card.sample_images())
    layers = list(card.filter_layers)
    acts = get_activations(card.model, views, layers, preprocess=card.preprocess)
    side = int(size or min(card.input_size[0], 128))
    grey = get_activations(card.model, np.full((1, side, side, 3), maximize.GREY, np.float32), layers,
                           preprocess=card.preprocess)
    return {name: strongest_channels(acts[name], k=k, among=grey[name].max(axis=(0, 1, 2)) > 0).tolist()
            for name in layers}


def load(card, kind: str = "class"):
    """The gallery of ``card``'s network: entries of one kind with their pictures, or None if it has none.

    Args:
        card: model card (its ``name`` picks the gallery).
        kind: ``"class"`` or ``"filter"``.
    Returns:
        None, or a list of dicts: the stored settings and measures (see the
        module doc) plus ``image`` (H, W, 3) uint8.
    Used by: notebooks 02 and 03.
    """
    if kind not in ("class", "filter"):
        raise ValueError(f"kind must be 'class' or 'filter', got {kind!r}")
    path = os.path.join(gallery_dir(card.name), "gallery.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        index = json.load(fh)
    entries = index["classes" if kind == "class" else "filters"]
    if not entries:
        return None
    root = gallery_dir(card.name)
    return [{**e, "image": _read_png(os.path.join(root, e["file"]))} for e in entries]


def rerender_start(card, entry) -> tuple[np.ndarray, np.ndarray]:
    """Re-render a gallery entry's first ``check_steps`` steps from its stored settings.

    Args:
        card: model card of the entry's network.
        entry: one dict of :func:`load`.
    Returns:
        (rendered, stored): two (H, W, 3) uint8 pictures that should agree.
    Used by: tests/test_gallery.py.
    """
    if entry["model"] != card.name:
        raise ValueError(f"the entry was rendered on {entry['model']!r}, not on {card.name!r}")
    steps, size = entry["check_steps"], tuple(entry["size"])
    kw = dict(steps=steps, seed=entry["seed"], size=size, preprocess=card.preprocess, progress=False,
              parameterization=entry["parameterization"], preset=maximize.Regularizers(**entry["regularizers"]),
              decay_power=entry["decay_power"], lr=entry["lr"])
    if entry["kind"] == "class":
        res = maximize.maximize_classes(card, [entry["target"]], **kw)
    else:
        res = maximize.maximize_filters(card, entry["layer"], [entry["target"]], **kw)
    return maximize.viewable(res)[0], _read_png(os.path.join(gallery_dir(card.name), entry["start"]))


def main(argv=None):
    """``make gallery``: render the gallery of each network whose weights are here (VGG16 only where they are)."""
    from .models import ModelUnavailableError, load_model

    ap = argparse.ArgumentParser(description="Render the feature-visualisation gallery (data/gallery/).")
    ap.add_argument("--model", action="append", choices=["efficientnet_lite0", "vgg16"],
                    help="network(s) to render (default: both; VGG16 only if its weights can be had)")
    ap.add_argument("--steps", type=int, default=RECIPE["steps"])
    ap.add_argument("--only", choices=["classes", "filters"], default=None)
    args = ap.parse_args(argv)
    for name in args.model or ["efficientnet_lite0", "vgg16"]:
        try:
            card = load_model(name, verbose=False)
        except ModelUnavailableError as exc:
            print(f"{name}: no gallery rendered ({str(exc).splitlines()[0]})")
            continue
        print(f"== {name}: {args.steps} steps into {os.path.relpath(gallery_dir(name))}")
        if args.only in (None, "classes"):
            classes = list(card.demo_classes) + LECTURE_EXTRA_CLASSES
            for e in render_classes(card, classes, steps=args.steps):
                print(f"{e['target']:4d} {e['name']:20s} p {e['p']:.3f}  top-1 {e['top1']:20s} HF {e['hf']:.3f}")
        if args.only in (None, "filters"):
            for layer, channels in filter_choice(card).items():
                entries = render_filters(card, layer, channels, steps=args.steps)
                print(f"{layer}: channels {channels}, HF " + ", ".join(f"{e['hf']:.2f}" for e in entries))


if __name__ == "__main__":
    main()
