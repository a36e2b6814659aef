"""The trust table: per method, does the map locate the object, explain the network, and is it faithful?

Used by notebook 04 and tools/trust_table.py.
"""
from __future__ import annotations

import gc

import numpy as np

from .. import cam
from ..layers import forget
from .deletion import curve_auc, deletion_insertion
from .maps import explanation_maps, per_image_arguments
from .randomization import randomized_copy
from .similarity import rank_correlation

__all__ = ["trust_table", "format_trust_table"]


def trust_table(model, images, labels, boxes, methods=cam.TABLE_METHODS, layer=None, *, preprocess=None,
                limits=None, steps=16, seed=0, tolerance=0, batch_size=64, fill="mean", faithfulness=True):
    """Per method: does the map locate the object, explain the network, and is it faithful?

    Columns: pointing game and box IoU (``helpers.cam``), both on the trained
    network and the pointing game again on a fully randomised copy; the share
    of the map's mass inside the box (``energy``: the energy-based pointing
    game of Wang et al. 2020, :func:`helpers.cam.mass_in_box`; with a mosaic's
    tile as the box, the grid pointing game of Böhle et al. 2021); the mean
    Spearman correlation between the maps of the trained and the fully
    randomised network (high = the map does not depend on what the network
    learnt); deletion AUC (lower is better) and insertion AUC (higher is better).

    Args:
        model: model card or keras.Model; images (N, H, W, 3); labels (N,) true
            classes (the maps are those of the true class); boxes: (N, 4) true
            boxes (x0, y0, x1, y1), or None (photos without boxes: no pointing,
            IoU).
        methods: :data:`TRUST_METHODS` names.
        limits: dict method -> max images (Score-CAM is slow).
        steps, seed, fill: of :func:`deletion_insertion`; tolerance: pointing-game px.
        faithfulness: False skips deletion and insertion (their columns are None).
    Returns:
        list of dict rows, first "random order" (a random map: the baseline of
        deletion / insertion; its pointing and IoU are those of a random peak),
        then one per method: method, n, pointing, pointing_random_net, iou,
        energy, rand_spearman, deletion_auc, insertion_auc (means over the
        images; missing values are None) and "curves": the mean curves, dict
        "fractions", "deletion", "insertion" of (steps + 1,) arrays (None
        with ``faithfulness=False``).
    Used by: notebook 04, tools/trust_table.py.
    """
    model_, preprocess, layer, x, y = per_image_arguments(model, images, labels, preprocess, layer)
    size = x.shape[1:3]
    limits = dict(limits or {})
    rand_net = randomized_copy(model_, seed, stages="all")
    rng = np.random.default_rng(seed)
    rows = []
    for method in ("random order",) + tuple(methods):
        n = min(len(x), int(limits.get(method, len(x))))
        xs, ys = x[:n], y[:n]
        row = {"method": method, "n": n, "pointing": None, "pointing_random_net": None, "iou": None,
               "energy": None, "rand_spearman": None, "deletion_auc": None, "insertion_auc": None, "curves": None}
        if method == "random order":
            maps = rng.random((n,) + tuple(size)).astype(np.float32)
        else:
            maps = explanation_maps(model_, xs, ys, method, layer, preprocess=preprocess, batch_size=batch_size)
            rmaps = explanation_maps(rand_net, xs, ys, method, layer, preprocess=preprocess, batch_size=batch_size)
            row["rand_spearman"] = float(np.mean([rank_correlation(a, b) for a, b in zip(maps, rmaps)]))
            if boxes is not None:
                row["pointing_random_net"] = cam.pointing_game(rmaps, np.asarray(boxes)[:n], size, tolerance)
        if boxes is not None:
            loc = cam.localization_scores(maps, np.asarray(boxes)[:n], size, tolerance=tolerance)
            row["pointing"], row["iou"] = loc["pointing"], loc["iou"]
            row["energy"] = float(np.mean([cam.mass_in_box(m, bx, size) for m, bx in zip(maps, np.asarray(boxes)[:n])]))
        if not faithfulness:
            rows.append(row)
            continue
        curves = deletion_insertion(model_, xs, ys, maps, preprocess=preprocess, steps=steps, seed=seed,
                                    batch_size=batch_size, fill=fill)
        row["deletion_auc"] = float(curve_auc(curves["deletion"], curves["fractions"]).mean())
        row["insertion_auc"] = float(curve_auc(curves["insertion"], curves["fractions"]).mean())
        row["curves"] = {"fractions": curves["fractions"], "deletion": curves["deletion"].mean(axis=0),
                         "insertion": curves["insertion"].mean(axis=0)}
        rows.append(row)
    forget(rand_net)                       # the random network and what was built from it go now, not at some later gc
    del rand_net
    gc.collect()
    return rows


def format_trust_table(rows) -> str:
    """Rows of :func:`trust_table` as a fixed-width text table ("-" where a value does not apply)."""
    cols = [("pointing", "pointing"), ("pointing_random_net", "pt.rand.net"), ("iou", "box IoU"),
            ("energy", "in box"), ("rand_spearman", "rand.corr"), ("deletion_auc", "deletion"), ("insertion_auc", "insertion")]
    lines = [f"{'method':<16} {'n':>4} " + " ".join(f"{title:>11}" for _, title in cols)]
    for r in rows:
        vals = " ".join(f"{'-':>11}" if r.get(k) is None else f"{r[k]:>11.3f}" for k, _ in cols)
        lines.append(f"{r['method']:<16} {r['n']:>4d} {vals}")
    return "\n".join(lines)
