"""Benchmark for helpers.cam (issue: notebook 04).

1. Top-5 Grad-CAM on VGG16(weights=None) at 224 px: one batched call
   (``classes="top5"``: the convolutional base runs once, the head is
   differentiated for the five classes in one batched backward pass) against
   the classic approach, five separate single-class calls (the book's
   listing 5.42 run once per class).  Same process, same image, warm-up
   (tracing) excluded, median of ``--repeats`` alternating runs.
2. Localisation on held-out ShapesNet images (``helpers.shapes.make_shapes``
   with the held-out seed): pointing game and box IoU of every method for the
   true class (skipped with a message if ShapesNet's weights are missing).

Run:  python bench/bench_gradcam.py [--repeats 5] [--n 500] [--scorecam-n 500]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from helpers import cam  # noqa: E402


def bench_topk(repeats: int, k: int = 5) -> dict:
    import keras

    from helpers.models import vgg16_preprocess

    keras.utils.set_random_seed(0)
    model = keras.applications.VGG16(weights=None)
    image = np.random.default_rng(0).uniform(0, 255, (1, 224, 224, 3)).astype(np.float32)
    kw = dict(layer="block5_conv3", preprocess=vgg16_preprocess)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random weights: a map may be zero
        # warm-up: trace both code paths once
        maps, ids = cam.grad_cam(model, image, top=k, return_classes=True, **kw)
        cam.grad_cam(model, image, int(ids[0, 0]), **kw)
        batched, separate = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            maps, ids = cam.grad_cam(model, image, top=k, return_classes=True, **kw)
            batched.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            singles = [cam.grad_cam(model, image, int(c), **kw) for c in ids[0]]
            separate.append(time.perf_counter() - t0)
    diff = max(float(np.abs(maps[0, i] - singles[i][0]).max()) for i in range(k))
    tb, ts = statistics.median(batched), statistics.median(separate)
    return {"batched_s": tb, "separate_s": ts, "single_s": ts / k, "speedup": ts / tb,
            "batched_over_single": tb / (ts / k), "max_abs_diff": diff, "repeats": repeats}


def bench_localization(n: int, scorecam_n: int) -> list | None:
    from helpers import shapes
    from helpers.models import load_model

    if not os.path.isfile(shapes.MODEL_PATH):
        print(f"ShapesNet weights not found at {shapes.MODEL_PATH}: localisation part skipped.")
        return None
    card = load_model("shapesnet", verbose=False)
    images, labels, boxes = shapes.make_shapes(n, seed=shapes.HELDOUT_SEED)
    acc = float((card.predict(images).argmax(1) == labels).mean())
    print(f"ShapesNet accuracy on these {n} held-out images: {acc:.3f}")
    return cam.localization_table(card, images, labels, boxes, limits={"scorecam": scorecam_n})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--n", type=int, default=500, help="held-out ShapesNet images (>= 500 for the report)")
    ap.add_argument("--scorecam-n", type=int, default=500, help="images for Score-CAM (slow: 1 pass per channel)")
    ap.add_argument("--skip-vgg", action="store_true")
    ap.add_argument("--skip-shapes", action="store_true")
    args = ap.parse_args(argv)
    if not args.skip_vgg:
        r = bench_topk(args.repeats)
        print("Top-5 Grad-CAM, VGG16(weights=None), 224x224, block5_conv3, one image "
              f"(median of {r['repeats']}, warm-up excluded)")
        print(f"  batched top-5 call      : {r['batched_s']:.3f} s")
        print(f"  five single-class calls : {r['separate_s']:.3f} s  ({r['single_s']:.3f} s each)")
        print(f"  speed-up                : {r['speedup']:.2f}x  (goal >= 3x)")
        print(f"  batched / one single    : {r['batched_over_single']:.2f}  (goal <= 1.5)")
        print(f"  max |batched - single|  : {r['max_abs_diff']:.2e}")
    if not args.skip_shapes:
        t0 = time.perf_counter()
        rows = bench_localization(args.n, args.scorecam_n)
        if rows is not None:
            print(f"Localisation on held-out ShapesNet images (true class, block4_conv2, box at 15 % of max), "
                  f"{time.perf_counter() - t0:.0f} s total")
            print(cam.format_table(rows))


if __name__ == "__main__":
    main()
