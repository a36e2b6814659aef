"""Exercises of notebook 03 (DeepVis): the regularisers of activation maximisation."""
from __future__ import annotations

import numpy as np

from ._core import Mistake, _as_float, _call, _close, _NotAttempted, _reject_non_finite, _Wrong, exercise, reject_known


#: The notebook applies l2_decay to the image being optimised: it must not change it behind the engine's back.
_IN_PLACE = [Mistake("x", "it changed x in place.",
                     "return a new array (x * (1 - decay)) and leave x as it was: x *= ... overwrites it.")]


@exercise("3.1", "L2 decay as a function", "easy")
def check_l2_decay(fn):
    """Exercise 3.1: ``l2_decay(x, decay)`` -> x * (1 - decay), x an image relative to grey; x left unchanged.

    Args: fn: the student's function.
    Returns: True / False / None (prints the verdict). Used by notebook 03.
    """
    rng = np.random.default_rng(3)
    for shape, decay in (((4, 5, 3), 0.3), ((2, 6, 6, 3), 1e-4), ((3, 3, 3), 0.0), ((2, 2, 3), 1.0)):
        x = rng.normal(scale=40.0, size=shape)
        out = _call(fn, x, decay, what="l2_decay(x, decay)", in_place=_IN_PLACE)
        try:
            got = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise _Wrong(f"l2_decay returned {type(out).__name__}, not an array.") from None
        want = x - decay * x                    # the fraction `decay` of x removed
        if got.shape != want.shape:
            raise _Wrong(f"for x of shape {shape} it returned shape {got.shape}.",
                         "work elementwise: the result has the shape of x.")
        _reject_non_finite(got, f"with decay={decay} the result")
        if _close(got, want, rtol=1e-9, atol=1e-9):
            continue
        reject_known(got, [
            Mistake(x * decay, f"with decay={decay} it returned decay * x.",
                    "decay is the fraction that is *removed*: what remains is (1 - decay) * x."),
            Mistake(x - decay, f"with decay={decay} it subtracted decay from every pixel.",
                    "the decay is multiplicative: every pixel shrinks towards grey by the same fraction."),
        ], same=lambda a, b: _close(a, b, rtol=1e-9, atol=1e-9))
        raise _Wrong(f"with decay={decay} the result differs from x * (1 - decay) "
                     f"(largest difference {np.abs(got - want).max():.3g}).",
                     "one line: return x * (1 - decay).")
    return "applied after every ascent step, it pulls the image towards grey (the paper's theta_decay)."


@exercise("3.2", "Plug the decay into the engine", "medium", solve="answer = decay_half_life()")
def check_decay_half_life(answer):
    """Exercise 3.2: the engine's regularisers, preset "yosinski3" with the decay that halves contrast in 100 steps.

    Args: answer: a helpers.maximize.Regularizers (from ``regularizers(...)``).
    Returns: True / False / None (prints the verdict). Used by notebook 03.
    """
    from ..maximize import PRESETS, Regularizers

    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, (int, float, np.floating)) and not isinstance(answer, bool):
        raise _Wrong(f"the answer is the number {answer}; plug it into the engine instead.",
                     "answer = regularizers('yosinski3', l2_decay=YOUR_VALUE) (from helpers.maximize).")
    if not isinstance(answer, Regularizers):
        raise _Wrong(f"the answer should be the engine's Regularizers, got {type(answer).__name__}.",
                     "answer = regularizers('yosinski3', l2_decay=YOUR_VALUE) (from helpers.maximize).")
    target = 1.0 - 0.5 ** (1.0 / 100.0)
    d = _as_float(answer.l2_decay, "a number", name="its l2_decay")
    base = PRESETS["yosinski3"]
    if abs(d - target) > 0.01 * target:
        kept = (1.0 - d) ** 100
        reject_known(d, [
            Mistake(0.005, "0.005 = 0.5 / 100 assumes the decay adds up; it compounds.",
                    f"after 100 steps (1 - d)**100 remains: solve (1 - d)**100 = 0.5 (now {kept:.3f})."),
            Mistake(0.5, "l2_decay=0.5 halves the image at every step, not over 100 steps.",
                    "solve (1 - d)**100 = 0.5 for d."),
        ], same=lambda a, b: abs(a - b) < 1e-9)
        raise _Wrong(f"with l2_decay={d:g}, (1 - d)**100 = {kept:.3f} of the contrast remains, not 0.5.",
                     "solve (1 - d)**100 = 0.5: d = 1 - 0.5**(1/100). Apply your l2_decay 100 times to check.")
    if (answer.blur_sigma, answer.blur_every) != (base.blur_sigma, base.blur_every):
        raise _Wrong(f"the decay is right, but the blur is {answer.describe()!r}.",
                     "start from the preset: regularizers('yosinski3', l2_decay=...) keeps its blur "
                     "(1.0 every 4 steps).")
    others = ("norm_pct", "contrib_pct", "jitter", "tv")
    if any(getattr(answer, k) != getattr(base, k) for k in others):
        raise _Wrong(f"the decay is right, but other regularisers differ from the preset: {answer.describe()}.",
                     "only override l2_decay.")
    return f"l2_decay={d:.5f}: (1 - d)**100 = {(1 - d) ** 100:.3f}. Try it: visualize_classes(..., preset=answer)."


def _tv_reference(img):
    import tensorflow as tf

    return float(tf.image.total_variation(tf.constant(img, tf.float64)))


@exercise("3.3", "Measure the noise", "harder")
def check_total_variation(fn):
    """Exercise 3.3: ``total_variation(img)`` of an (H, W, 3) image, checked against tf.image.total_variation.

    Args: fn: the student's function, (H, W, 3) -> float.
    Returns: True / False / None (prints the verdict). Used by notebook 03.
    """
    rng = np.random.default_rng(7)
    images = [rng.uniform(0, 255, size=(5, 7, 3)), rng.normal(size=(6, 4, 3)),
              np.tile(np.arange(6.0)[:, None, None], (1, 5, 3))]   # a ramp down the rows only

    def same(got, value):
        return abs(got - value) <= 1e-6 * max(1.0, abs(value))

    for img in images:
        out = _call(fn, img, what="total_variation(img)")
        got = _as_float(out, "a number", name=f"total_variation(img) for an image of shape {img.shape}")
        want = _tv_reference(img)
        if same(got, want):
            continue
        dv, dh = np.diff(img, axis=0), np.diff(img, axis=1)
        reject_known(got, [
            Mistake((dv ** 2).sum() + (dh ** 2).sum(), "it squares the differences.",
                    "total variation sums the *absolute* differences (an L1 measure)."),
            Mistake(np.abs(dv).sum(), "it counts only the differences between vertical neighbours (rows).",
                    "add the differences along the columns: np.diff(img, axis=1)."),
            Mistake(np.abs(dh).sum(), "it counts only the differences between horizontal neighbours (columns).",
                    "add the differences along the rows: np.diff(img, axis=0)."),
            Mistake(np.abs(dv).mean() + np.abs(dh).mean(), "it averages the differences.",
                    "sum them (tf.image.total_variation is a sum)."),
            Mistake(np.abs(img - np.roll(img, 1, 0)).sum() + np.abs(img - np.roll(img, 1, 1)).sum(),
                    "it compares the last row with the first (np.roll wraps around).",
                    "use slicing or np.diff: img[1:] - img[:-1] has no wrap-around."),
            Mistake(np.abs(np.diff(img, axis=2)).sum() + np.abs(dv).sum(),
                    "it takes differences across the colour axis.",
                    "the neighbours are pixels: axes 0 (rows) and 1 (columns), every colour channel on its own."),
        ], same=same)
        raise _Wrong(f"for an image of shape {img.shape} it returned {got:.6g}, expected {want:.6g}.",
                     "sum |img[1:] - img[:-1]| + sum |img[:, 1:] - img[:, :-1]| over all pixels and colours.")
    return "it equals tf.image.total_variation: large for noise, small for smooth images."
