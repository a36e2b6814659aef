"""ROAD's two orders, with the mean-colour fill and with ROAD's noisy linear imputation.

Per method (and a random order, the baseline), the area under the curve of the
class probability as pixels are removed (``helpers.trust.deletion_insertion``):

* MoRF, most relevant first (= deletion): low is good;
* LeRF, least relevant first: high is good;

each with removed pixels set to the image's mean colour (``fill="mean"``, the
deletion of Petsiuk et al. 2018) and filled by ROAD's noisy linear imputation
(``fill="linear"``, Rong et al. 2022).  The maps are computed once and shared
by both fills; the seconds each fill took (forward passes included) are printed.

* ``--model shapesnet``: held-out ShapesNet images, the map of the true class.
* ``--model efficientnet_lite0``: the course's sample photos, the map of the
  model's top-1 class (with per-photo values).

Run:  python tools/road_table.py --model efficientnet_lite0
      python tools/road_table.py --model shapesnet --n 300 --slow-n 100
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import helpers  # noqa: E402,F401  (quietens TensorFlow)
from helpers import cam, shapes, trust  # noqa: E402
from helpers.models import load_model  # noqa: E402

METHODS = cam.TABLE_METHODS  # the registry's list (helpers.cam.methods), not a copy


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="shapesnet", choices=("shapesnet", "efficientnet_lite0"))
    ap.add_argument("--n", type=int, default=300, help="held-out ShapesNet images")
    ap.add_argument("--slow-n", "--scorecam-n", type=int, default=None,
                    help=f"images for the slow methods {cam.SLOW_METHODS} (one pass per channel; default: all)")
    ap.add_argument("--steps", type=int, default=16, help="removal steps")
    ap.add_argument("--seed", type=int, default=0, help="random order, tie-breaking and imputation noise")
    args = ap.parse_args(argv)

    card = load_model(args.model, verbose=False)
    if args.model == "shapesnet":
        x, y, _ = shapes.make_shapes(args.n, seed=shapes.HELDOUT_SEED)
        names = None
    else:
        samples = card.sample_images()
        x = np.stack(list(samples.values()))
        y = card.predict(x).argmax(axis=1)
        names = list(samples)
        print("photos:", ", ".join(f"{n} -> {card.class_names[c]}" for n, c in zip(samples, y)))
    rng = np.random.default_rng(args.seed)
    results, seconds = {}, {f: 0.0 for f in trust.FILLS}
    for method in ("random order",) + METHODS:
        n = min(len(x), args.slow_n or len(x)) if method in cam.SLOW_METHODS else len(x)
        if method == "random order":
            maps = rng.random((n,) + x.shape[1:3]).astype(np.float32)
        else:
            maps = trust.explanation_maps(card, x[:n], y[:n], method)
        results[method] = {"n": n}
        for fill in trust.FILLS:
            t0 = time.perf_counter()
            c = trust.deletion_insertion(card, x[:n], y[:n], maps, steps=args.steps, modes=("deletion", "lerf"),
                                         seed=args.seed, fill=fill)
            seconds[fill] += time.perf_counter() - t0
            for mode in ("deletion", "lerf"):
                results[method][(mode, fill)] = trust.curve_auc(c[mode], c["fractions"])

    print(f"\n{card.name}: {len(x)} images, {args.steps} steps; mean AUC (MoRF = deletion: low is good; "
          "LeRF: high is good)")
    cols = [("deletion", "mean"), ("deletion", "linear"), ("lerf", "mean"), ("lerf", "linear")]
    print(f"{'method':<16} {'n':>4} " + " ".join(f"{('MoRF' if m == 'deletion' else 'LeRF') + ' ' + f:>12}"
                                             for m, f in cols))
    for method, r in results.items():
        print(f"{method:<16} {r['n']:>4d} " + " ".join(f"{r[c].mean():>12.3f}" for c in cols))
    rand = results["random order"]
    for fill in trust.FILLS:
        worse = [m for m in METHODS if results[m][("deletion", fill)].mean() >= rand[("deletion", fill)].mean()]
        print(f"fill {fill}: methods NOT beating the random order on MoRF (mean AUC): {worse or 'none'}")
    if names is not None:
        print("\nper photo, MoRF AUC (mean fill / linear fill):")
        print(f"{'method':<16} " + " ".join(f"{n:>16}" for n in names))
        for method, r in results.items():
            print(f"{method:<16} " + " ".join(f"{a:>7.3f} / {b:<7.3f}" for a, b in
                                                zip(r[("deletion", "mean")], r[("deletion", "linear")])))
    print("\nseconds (both orders, all rows, forward passes included): "
          + ", ".join(f"fill {f}: {s:.0f}" for f, s in seconds.items()))


if __name__ == "__main__":
    main()
