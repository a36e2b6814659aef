"""Can we trust the map? The table of notebook 04 on many images and on the real network.

For each method: pointing game, box IoU, pointing game on a fully randomised
copy of the network, mean Spearman correlation between the maps of the trained
and the randomised network, deletion and insertion AUC (``helpers.trust``),
plus the cascading randomisation test per stage.

* ``--model shapesnet``: held-out ShapesNet images (``shapes.HELDOUT_SEED``),
  true class and true box of each.
* ``--model efficientnet_lite0``: the annotated photos of ``helpers.photos``
  (eight objects with boxes drawn by eye in five photos; the map of each
  object's true class), then the grid pointing game on 2 x 2 mosaics of the
  photos (``--mosaics``, default all 20: 128 objects), where the box is the
  tile of the object's photo: a map that ignores the class finds the right
  tile one time in four.

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
from helpers import cam, photos, shapes, trust  # noqa: E402
from helpers.models import load_model  # noqa: E402

METHODS = cam.TABLE_METHODS  # the registry's list (helpers.cam.methods), not a copy


def _centre_pointing(x, boxes):
    """Pointing game of a map that always peaks at the image centre."""
    H, W = x.shape[1:3]
    centre = np.zeros((len(x), H, W), np.float32)
    centre[:, H // 2, W // 2] = 1.0
    return cam.pointing_game(centre, boxes, (H, W))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="shapesnet", choices=("shapesnet", "efficientnet_lite0"))
    ap.add_argument("--n", type=int, default=300, help="held-out ShapesNet images")
    ap.add_argument("--slow-n", "--scorecam-n", type=int, default=None,
                    help=f"images for the slow methods {cam.SLOW_METHODS} (one pass per channel; default: all)")
    ap.add_argument("--steps", type=int, default=16, help="deletion / insertion steps")
    ap.add_argument("--cascade-n", type=int, default=100, help="images for the per-stage cascade")
    ap.add_argument("--mosaics", type=int, default=20, help="2 x 2 photo mosaics (efficientnet_lite0)")
    ap.add_argument("--slow-mosaic-n", "--scorecam-mosaic-n", type=int, default=16,
                    help=f"mosaic objects for the slow methods {cam.SLOW_METHODS}")
    ap.add_argument("--fill", default="mean", choices=trust.FILLS,
                    help="deleted pixels: the image's mean colour, or ROAD's noisy linear imputation")
    args = ap.parse_args(argv)

    card = load_model(args.model, verbose=False)
    if args.model == "shapesnet":
        x, y, boxes = shapes.make_shapes(args.n, seed=shapes.HELDOUT_SEED)
    else:
        data = photos.annotated_photos(card.input_size[0], mosaics=args.mosaics)
        labels = np.array([card.class_id(c) for c in data["classes"]])
        single = ~data["mosaic"]
        x, y, boxes = data["images"][single], labels[single], data["boxes"][single]
        probs = card.predict(x)
        print("photos (true class: probability, rank):", "; ".join(
            f"{t} {p[c]:.1%} #{int((p > p[c]).sum()) + 1}" for t, p, c in zip(np.array(data["titles"])[single], probs, y)))
    limits = dict.fromkeys(cam.SLOW_METHODS, args.slow_n) if args.slow_n else None
    t0 = time.perf_counter()
    rows = trust.trust_table(card, x, y, boxes, METHODS, limits=limits, steps=args.steps, fill=args.fill)
    print(f"\n{card.name}: {len(x)} images, {args.steps} deletion / insertion steps, fill {args.fill} "
          f"({time.perf_counter() - t0:.0f} s)")
    print(trust.format_trust_table(rows))
    print(f"centre (baseline) pointing: {_centre_pointing(x, boxes):.3f}" if boxes is not None else "")
    if args.model != "shapesnet" and data["mosaic"].any():
        grid = data["mosaic"]
        xm, ym, tiles = data["images"][grid], labels[grid], data["tiles"][grid]
        t0 = time.perf_counter()
        rows = trust.trust_table(card, xm, ym, tiles, METHODS, limits=dict.fromkeys(cam.SLOW_METHODS, args.slow_mosaic_n),
                                 faithfulness=False)
        print(f"\ngrid pointing game: {grid.sum()} objects in {args.mosaics} mosaics, box = the tile of the "
              f"object's photo (chance: peak 0.25, in box 0.25; {time.perf_counter() - t0:.0f} s)")
        print(trust.format_trust_table(rows))
        print(f"centre (baseline) pointing: {_centre_pointing(xm, tiles):.3f}")

    n = min(len(x), args.cascade_n)
    t0 = time.perf_counter()
    cheap = tuple(m for m in METHODS if m not in cam.SLOW_METHODS)
    res = trust.randomization_test(card, x[:n], y[:n], cheap)
    print(f"\ncascading randomisation, {n} images ({time.perf_counter() - t0:.0f} s): mean Spearman / SSIM "
          "with the trained map after randomising from the output down to each stage")
    print(f"{'stage':<10}" + "".join(f"{m:>26}" for m in res["spearman"]))
    for i, stage in enumerate(res["stages"]):
        print(f"{stage:<10}" + "".join(f"{res['spearman'][m][i].mean():>17.3f} / {res['ssim'][m][i].mean():.3f}"
                                       for m in res["spearman"]))


if __name__ == "__main__":
    main()
