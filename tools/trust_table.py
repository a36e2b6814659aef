"""Can we trust the map? The table of notebook 04 on many images and on the real network.

For each method: pointing game, box IoU, pointing game on a fully randomised
copy of the network, mean Spearman correlation between the maps of the trained
and the randomised network, deletion and insertion AUC (``helpers.trust``),
plus the cascading randomisation test per stage.

* ``--model shapesnet``: held-out ShapesNet images (``shapes.HELDOUT_SEED``),
  true class and true box of each.
* ``--model efficientnet_lite0``: the course's sample photos, the map of the
  model's top-1 class; the photos have no true boxes, so no pointing / IoU.

Run:  python tools/trust_table.py --model shapesnet --n 300
      python tools/trust_table.py --model efficientnet_lite0
      ... --fill linear: removed pixels filled by ROAD's noisy linear imputation, not the mean colour
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import helpers  # noqa: E402,F401  (quietens TensorFlow)
from helpers import shapes, trust  # noqa: E402
from helpers.models import load_model  # noqa: E402

METHODS = ("gradcam", "gradcam++", "scorecam", "guided_backprop", "guided_gradcam")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="shapesnet", choices=("shapesnet", "efficientnet_lite0"))
    ap.add_argument("--n", type=int, default=300, help="held-out ShapesNet images")
    ap.add_argument("--scorecam-n", type=int, default=None, help="images for Score-CAM (default: all)")
    ap.add_argument("--steps", type=int, default=16, help="deletion / insertion steps")
    ap.add_argument("--cascade-n", type=int, default=100, help="images for the per-stage cascade")
    ap.add_argument("--fill", default="mean", choices=trust.FILLS,
                    help="deleted pixels: the image's mean colour, or ROAD's noisy linear imputation")
    args = ap.parse_args(argv)

    card = load_model(args.model, verbose=False)
    if args.model == "shapesnet":
        x, y, boxes = shapes.make_shapes(args.n, seed=shapes.HELDOUT_SEED)
    else:
        samples = card.sample_images()
        x = np.stack(list(samples.values()))
        y = card.predict(x).argmax(axis=1)
        boxes = None
        print("photos:", ", ".join(f"{n} -> {card.class_names[c]}" for n, c in zip(samples, y)))
    limits = {"scorecam": args.scorecam_n} if args.scorecam_n else None
    t0 = time.perf_counter()
    rows = trust.trust_table(card, x, y, boxes, METHODS, limits=limits, steps=args.steps, fill=args.fill)
    print(f"\n{card.name}: {len(x)} images, {args.steps} deletion / insertion steps, fill {args.fill} "
          f"({time.perf_counter() - t0:.0f} s)")
    print(trust.format_trust_table(rows))

    n = min(len(x), args.cascade_n)
    t0 = time.perf_counter()
    res = trust.randomization_test(card, x[:n], y[:n], ("gradcam", "gradcam++", "guided_backprop", "guided_gradcam"))
    print(f"\ncascading randomisation, {n} images ({time.perf_counter() - t0:.0f} s): mean Spearman / SSIM "
          "with the trained map after randomising from the output down to each stage")
    print(f"{'stage':<10}" + "".join(f"{m:>26}" for m in res["spearman"]))
    for i, stage in enumerate(res["stages"]):
        print(f"{stage:<10}" + "".join(f"{res['spearman'][m][i].mean():>17.3f} / {res['ssim'][m][i].mean():.3f}"
                                       for m in res["spearman"]))


if __name__ == "__main__":
    main()
