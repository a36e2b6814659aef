"""Benchmark and acceptance run: pixel vs Fourier parameterisation on the offline ImageNet network.

Run: ``python bench/bench_fourier.py`` (or ``make bench``). EfficientNet-Lite0
(offline, ``helpers.models.load_model("efficientnet_lite0")``), the lecture's
classes (flamingo 130, pool table 736, school bus 779) at 224 px, the same
number of steps (default 256) and the same start seed for three runs
(:data:`helpers.deepvis.PARAMETERIZATION_RUNS`):

* pixels, no regulariser (plain gradient ascent, normalised steps of 4 grey levels);
* pixels + the DeepVis preset ``yosinski3`` (decay 1e-4, blur 1.0 every 4 steps);
* Fourier + decorrelated colour + sigmoid, Adam (lr 0.05), preset ``robust``
  (grey border 12, jitter 8, zoom 0.9..1.1, rotation +-10 degrees).

For each picture, from the saved uint8 image: the network's probability of
the intended class, and the high-frequency energy (share of spectral
energy above a quarter of the Nyquist radius,
:func:`helpers.deepvis.radial_highpass_share`). Checks the issue's goals
(p >= 0.9 for the Fourier pictures; their high-frequency energy at most
half of plain pixel ascent and at most 1.5x the blurred DeepVis preset)
and measures the cost of one step of each run (compilation excluded,
:func:`helpers.deepvis.seconds_per_step`, repeated in alternating order;
goal: Fourier step <= 1.3x the pixel step). Writes the pictures to
``build/bench/fourier_classes.png``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import helpers  # noqa: E402,F401  (quiet TensorFlow)
from helpers import deepvis, maximize  # noqa: E402
from helpers.models import load_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def step_costs(card, size, repeats, steps):
    """Seconds per step (3 classes, one batch) of each run, min over alternating rounds."""
    runs = {"pixel, none": dict(parameterization="pixel", preset=None),
            "pixel, yosinski3": dict(parameterization="pixel", preset="yosinski3"),
            "pixel, robust": dict(parameterization="pixel", preset="robust"),
            "fourier, robust": dict(parameterization="fourier", preset="robust"),
            "fourier, none": dict(parameterization="fourier", preset=None)}
    best = {k: float("inf") for k in runs}
    for r in range(repeats):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for k in order:
            s = deepvis.seconds_per_step(card.model, card.demo_classes, size=size, preprocess=card.preprocess,
                                         steps=steps, repeats=1, **runs[k])
            best[k] = min(best[k], s)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=4, help="alternating rounds of the step-cost measurement")
    parser.add_argument("--cost-steps", type=int, default=8, help="steps per step-cost measurement")
    parser.add_argument("--skip-pictures", action="store_true")
    args = parser.parse_args(argv)
    card = load_model("efficientnet_lite0", verbose=False)
    classes = list(card.demo_classes)
    names = [card.class_names[c] for c in classes]
    print(f"EfficientNet-Lite0, classes {dict(zip(classes, names))}, {args.size} px, {args.steps} steps, "
          f"{os.cpu_count()} CPUs")

    if not args.skip_pictures:
        start = time.perf_counter()
        results = deepvis.compare_parameterizations(card.model, classes, steps=args.steps, size=args.size,
                                                    preprocess=card.preprocess, progress=False)
        print(f"three runs of {args.steps} steps: {time.perf_counter() - start:.0f} s")
        shown, prob, high = {}, {}, {}
        for label, res in results.items():
            shown[label] = maximize.viewable(res)
            p = card.predict(shown[label].astype(np.float32))       # the saved uint8 pictures
            prob[label] = p[np.arange(len(classes)), classes]
            high[label] = deepvis.radial_highpass_share(shown[label])
            top = [card.class_names[k] for k in p.argmax(axis=1)]
            print(f"{label:36s} p(class) " + "  ".join(f"{n} {v:.3f}" for n, v in zip(names, prob[label]))
                  + "   HF share " + "  ".join(f"{v:.3f}" for v in high[label]) + f"   top-1 {top}")
        plain, blur, four = list(results)
        checks = {
            "Fourier p >= 0.9 for every class": bool((prob[four] >= 0.9).all()),
            "Fourier HF <= 0.5 x plain pixels (each class)": bool((high[four] <= 0.5 * high[plain]).all()),
            "Fourier HF <= 1.5 x yosinski3 (each class)": bool((high[four] <= 1.5 * high[blur]).all()),
        }
        print("HF ratios Fourier / plain: " + ", ".join(f"{v:.2f}" for v in high[four] / high[plain])
              + "; Fourier / yosinski3: " + ", ".join(f"{v:.2f}" for v in high[four] / high[blur]))
        for k, ok in checks.items():
            print(f"  {'PASS' if ok else 'FAIL'}  {k}")
        import matplotlib
        matplotlib.use("Agg")
        out = os.path.join(ROOT, "build", "bench")
        os.makedirs(out, exist_ok=True)
        notes = {k: "p " + ", ".join(f"{v:.2f}" for v in prob[k]) + "\nHF " + ", ".join(f"{v:.2f}" for v in high[k])
                 for k in results}
        fig = deepvis.rows_figure(shown, names, notes=notes, tile_inches=3.0, fontsize=10)
        fig.savefig(os.path.join(out, "fourier_classes.png"), dpi=80)
        np.savez_compressed(os.path.join(out, "fourier_classes.npz"), **{k.split(",")[0].split(" ")[0] + str(i): v
                                                                         for i, (k, v) in enumerate(shown.items())})
        print(f"pictures: {os.path.relpath(os.path.join(out, 'fourier_classes.png'), ROOT)}")

    cost = step_costs(card, args.size, args.repeats, args.cost_steps)
    print("seconds per step, 3 classes as one batch (fastest of alternating rounds):")
    for k, v in cost.items():
        print(f"  {k:18s} {v:.3f} s")
    print(f"Fourier step / pixel step: {cost['fourier, robust'] / cost['pixel, yosinski3']:.2f}x vs yosinski3, "
          f"{cost['fourier, robust'] / cost['pixel, robust']:.2f}x vs pixels with the same transformations, "
          f"{cost['fourier, none'] / cost['pixel, none']:.2f}x with no transformation (goal <= 1.3x)")


if __name__ == "__main__":
    main()
