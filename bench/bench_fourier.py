"""Benchmark and acceptance run: pixel vs Fourier parameterisation on the offline ImageNet network.

Run: ``python bench/bench_fourier.py`` (or ``make bench``). EfficientNet-Lite0
(offline, ``helpers.models.load_model("efficientnet_lite0")``), the lecture's
classes (flamingo 130, pool table 736, school bus 779) at 224 px, the same
number of steps (default 256) and the same start seed for four runs
(:data:`helpers.deepvis.PARAMETERIZATION_RUNS`):

* pixels, no regulariser (plain gradient ascent, normalised steps of 4 grey levels);
* pixels + the DeepVis preset ``yosinski3`` (decay 1e-4, blur 1.0 every 4 steps);
* Fourier + decorrelated colour + sigmoid, Adam (lr 0.05), preset ``robust``
  (grey border 12, jitter 8, zoom 0.9..1.1, rotation +-10 degrees);
* the same with preset ``strong`` (jitter 16, zoom 0.8..1.2, rotation +-20
  degrees): the class pictures' default and the gallery's recipe.

For each picture, from the saved uint8 image: the network's probability of
the intended class, and the high-frequency energy (share of spectral
energy above a quarter of the Nyquist radius,
:func:`helpers.maximize.high_frequency_share`). Checks the issue's goals
(p >= 0.9 for the Fourier pictures; their high-frequency energy at most
half of plain pixel ascent; the earlier bound of 1.5x the blurred DeepVis preset is dropped)
and measures the cost of one step of each run (the engine's compiled
loops timed directly, compilation excluded, in interleaved rounds; goal:
Fourier step <= 1.3x the pixel step). Writes the pictures to
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


def loop_call(card, size, parameterization, preset, steps):
    """A callable running the engine's compiled loop for ``steps`` steps on the lecture classes (traced here)."""
    reg = maximize.regularizers(preset)
    classes = list(card.demo_classes)
    engine = maximize.get_engine(card.model, None, "logit", card.preprocess,
                                 size=(size + 2 * reg.pad, size + 2 * reg.pad))
    start = (maximize.initial_spectra if parameterization == "fourier" else maximize.initial_images)(
        classes, (size, size))
    return engine.loop_call(start, classes, steps, regs=reg, parameterization=parameterization,
                            size=(size, size))  # traced here


def step_costs(card, size, repeats, steps):
    """Seconds per step (3 classes, one batch) of each run: the compiled loops timed directly, interleaved.

    Returns (fastest per run, median over rounds of each run's time / the pixel-yosinski3 time of the same round).
    """
    runs = {"pixel, none": ("pixel", None), "pixel, yosinski3": ("pixel", "yosinski3"),
            "pixel, robust": ("pixel", "robust"), "fourier, robust": ("fourier", "robust"),
            "fourier, strong": ("fourier", "strong"), "fourier, none": ("fourier", None)}
    calls = {k: loop_call(card, size, *v, steps) for k, v in runs.items()}
    times = {k: [] for k in runs}
    for r in range(repeats):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for k in order:
            start = time.perf_counter()
            calls[k]()
            times[k].append((time.perf_counter() - start) / steps)
    best = {k: min(v) for k, v in times.items()}
    reference = {"fourier, robust": "pixel, robust", "fourier, none": "pixel, none", "fourier, strong": "fourier, robust"}
    paired = {k: float(np.median(np.divide(v, times[reference.get(k, "pixel, yosinski3")])))
              for k, v in times.items()}
    return best, paired, times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=6, help="alternating rounds of the step-cost measurement")
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
        print(f"four runs of {args.steps} steps: {time.perf_counter() - start:.0f} s")
        shown, prob, high = {}, {}, {}
        for label, res in results.items():
            shown[label] = maximize.viewable(res)
            p = card.predict(shown[label].astype(np.float32))       # the saved uint8 pictures
            prob[label] = p[np.arange(len(classes)), classes]
            high[label] = maximize.high_frequency_share(shown[label])
            top = [card.class_names[k] for k in p.argmax(axis=1)]
            print(f"{label:36s} p(class) " + "  ".join(f"{n} {v:.3f}" for n, v in zip(names, prob[label]))
                  + "   HF share " + "  ".join(f"{v:.3f}" for v in high[label]) + f"   top-1 {top}")
        plain, blur, four, strong = list(results)
        # The goal is the picture: the only smoothness target kept is "below half of plain pixel ascent"
        # (an earlier bound of 1.5x the blurred preset pushed towards pale, blurred pictures).
        checks = {
            "Fourier p >= 0.9 for every class (both presets)": bool((prob[four] >= 0.9).all()
                                                                    and (prob[strong] >= 0.9).all()),
            "Fourier HF < 0.5 x plain pixels (each class, both presets)": bool(
                (high[four] < 0.5 * high[plain]).all() and (high[strong] < 0.5 * high[plain]).all()),
        }
        print("HF ratios Fourier robust / plain: " + ", ".join(f"{v:.2f}" for v in high[four] / high[plain])
              + "; Fourier strong / plain: " + ", ".join(f"{v:.2f}" for v in high[strong] / high[plain]))
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

    cost, paired, times = step_costs(card, args.size, args.repeats, args.cost_steps)
    print(f"seconds per step, 3 classes as one batch at {args.size} px (compiled loop, {args.cost_steps} steps per "
          f"call, fastest of {args.repeats} interleaved rounds):")
    for k, v in cost.items():
        print(f"  {k:18s} {v:.3f} s   (rounds: " + ", ".join(f"{t:.3f}" for t in times[k]) + ")")
    print(f"Fourier step / pixel step (fastest): {cost['fourier, robust'] / cost['pixel, yosinski3']:.2f}x vs "
          f"yosinski3, {cost['fourier, robust'] / cost['pixel, robust']:.2f}x vs pixels with the same "
          f"transformations, {cost['fourier, none'] / cost['pixel, none']:.2f}x with no transformation "
          f"(goal <= 1.3x)")
    print(f"median of paired rounds: fourier robust / pixel robust {paired['fourier, robust']:.2f}x, "
          f"fourier none / pixel none {paired['fourier, none']:.2f}x, "
          f"pixel robust / pixel yosinski3 {paired['pixel, robust']:.2f}x, "
          f"fourier strong / fourier robust {paired['fourier, strong']:.2f}x (goal <= 1.0x: the new recipe costs "
          f"no more per class and step)")


if __name__ == "__main__":
    main()
