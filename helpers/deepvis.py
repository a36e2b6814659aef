"""DeepVis helpers: class visualisation lessons on top of :mod:`helpers.maximize`.

Notebook 03 synthesises, for each output class, the input image that
maximises the class score (Yosinski et al. 2015, "Understanding Neural
Networks Through Deep Visualization", Deep Learning Workshop, ICML 2015).
The engine (one compiled, batched gradient-ascent step with optional
regularisers) is :func:`helpers.maximize.maximize_classes`; this module adds
what the lesson needs around it:

* :func:`class_gradients`: the gradient of the class score *before* the
  softmax and of the probability *after* it, for the "why logits?" argument;
* :data:`COMPARISON` and :func:`compare_regularizers`: no regularisation,
  each regulariser alone, and the combination, on the same start images;
* :data:`PAPER_RUNS` and :func:`paper_table`: the paper's Table 1 (its four
  hyperparameter sets, named ``yosinski1..4`` in :data:`helpers.maximize.PRESETS`);
* measures: the course's one roughness measure is
  :func:`helpers.maximize.high_frequency_share` (``radial_highpass_share`` here
  is its old name); :func:`helpers.maximize.grey_fraction` (how sparse a
  clipped image is) is re-exported;
* :data:`PARAMETERIZATION_RUNS`, :func:`compare_parameterizations`,
  :func:`picture_report`, :func:`report_figure`: pixels vs the Fourier
  parametrisation on the lecture's classes (measured from the saved uint8
  pictures: probability and :func:`helpers.maximize.high_frequency_share`);
  :func:`rows_figure` draws labelled rows of labelled tiles (notebooks 02, 03);
* :func:`find_class`: a class id from a typed name, for any model card;
* :func:`seconds_per_step`: the measured cost of one ascent step.

Used by notebook 03_deepvis and helpers.widgets.deepvis.
"""
from __future__ import annotations

import time

import numpy as np

from . import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)
from . import maximize
from .maximize import Regularizers, grey_fraction, high_frequency_share

#: The old name of :func:`helpers.maximize.high_frequency_share` (the same function).
radial_highpass_share = high_frequency_share

__all__ = [
    "COMPARISON",
    "COMPARISON_NOTES",
    "PAPER_RUNS",
    "paper_table",
    "class_gradients",
    "compare_regularizers",
    "comparison_figure",
    "grey_fraction",
    "radial_highpass_share",
    "PARAMETERIZATION_RUNS",
    "compare_parameterizations",
    "rows_figure",
    "picture_report",
    "report_figure",
    "find_class",
    "seconds_per_step",
]

#: The side-by-side comparison of notebook 03: label -> Regularizers.
#: Strengths: the paper's values where one regulariser's value is clear from
#: its Table 1 (blur width 1.0 every 4 steps, 20 % small-norm and 90 %
#: small-contribution clipping), a decay of 0.05 per step (the paper's
#: 1e-4 barely acts in 100 steps, its 0.3 leaves only the last few steps'
#: gradients), jitter and total variation as the two common extras; the
#: combination is all four of the paper's regularisers together.
COMPARISON: dict[str, Regularizers] = {
    "none": Regularizers(),
    "L2 decay": Regularizers(l2_decay=0.05),
    "blur": Regularizers(blur_sigma=1.0, blur_every=4),
    "small-norm clip": Regularizers(norm_pct=20),
    "small-contribution clip": Regularizers(contrib_pct=90),
    "jitter": Regularizers(jitter=4),
    "total variation": Regularizers(tv=0.5),
    "combination": Regularizers(l2_decay=0.01, blur_sigma=1.0, blur_every=4, norm_pct=20, contrib_pct=50),
}

#: One sentence per row of :data:`COMPARISON`: what the regulariser does.
COMPARISON_NOTES: dict[str, str] = {
    "none": "plain gradient ascent: every pixel moves wherever the gradient says",
    "L2 decay": "shrinks the image towards grey after each step, so no few extreme pixels dominate",
    "blur": "a Gaussian blur every few steps removes the high spatial frequencies",
    "small-norm clip": "pixels whose colour is closest to grey are set to grey: a sparse image",
    "small-contribution clip": "pixels that add least to the score (|x * gradient|) are set to grey",
    "jitter": "the image is shifted by a few random pixels before each step",
    "total variation": "each step also lowers the differences between neighbouring pixels",
    "combination": "decay, blur and both clippings together",
}

#: Yosinski et al. 2015, Table 1: the four hyperparameter sets (regularisers in
#: :data:`helpers.maximize.PRESETS`), their iteration counts and learning-rate
#: policies as published with the paper's code (deep-visualization-toolbox,
#: doc/running-optimize-image.md). They were tuned for the Caffe reference
#: network (AlexNet-like, 227 px, raw gradients); this course normalises the
#: gradient and adapts steps and learning rate.
PAPER_RUNS: dict[str, dict] = {
    "yosinski1": {"iterations": 500, "learning_rate": "progress policy, at most 100"},
    "yosinski2": {"iterations": 750, "learning_rate": "constant 100"},
    "yosinski3": {"iterations": 1000, "learning_rate": "constant 100"},
    "yosinski4": {"iterations": 1000, "learning_rate": "progress policy, at most 1e8"},
}


def paper_table() -> list[dict]:
    """The paper's Table 1 as rows (for printing in notebook 03).

    Returns:
        list of dicts, one per preset ``yosinski1..4``, with keys ``preset``,
        ``l2_decay``, ``blur_sigma``, ``blur_every``, ``norm_pct``,
        ``contrib_pct`` (from :data:`helpers.maximize.PRESETS`),
        ``iterations`` and ``learning_rate`` (from :data:`PAPER_RUNS`).
    Used by: notebook 03.
    """
    rows = []
    for name, run in PAPER_RUNS.items():
        reg = maximize.PRESETS[name]
        rows.append({"preset": name, "l2_decay": reg.l2_decay, "blur_sigma": reg.blur_sigma,
                     "blur_every": reg.blur_every, "norm_pct": reg.norm_pct, "contrib_pct": reg.contrib_pct,
                     **run})
    return rows


# ------------------------------------------------------------- gradients ----

def _as_images(images) -> np.ndarray:
    from .images import as_batch

    return as_batch(images)


def class_gradients(model, images, classes, preprocess=None) -> dict:
    """Gradients of the class score before and after the softmax, w.r.t. the pixels.

    For image ``i`` and class ``c = classes[i]``, with scores ``y`` (before
    the softmax, :func:`helpers.models.logits_model`) and probabilities
    ``p = softmax(y)``:

    * ``grad_logit``  = d y_c / d image,
    * ``grad_prob``   = d p_c / d image = p_c * (d y_c - sum_j p_j d y_j),
    * ``dprob_dlogits`` = d p_c / d y_j = p_c * (delta_cj - p_j): the weight
      each class score gets in ``grad_prob``; it sums to 0 over j, so half of
      the push goes into lowering the other classes' scores.

    Args:
        model: keras.Model whose output is softmax probabilities (any model
            :func:`helpers.models.logits_model` accepts).
        images: (N, H, W, 3) float32 0..255 (or one (H, W, 3) image).
        classes: int (the same class for every image) or (N,) ints, one per image.
        preprocess: applied to the images inside the tape (e.g. ``card.preprocess``).
    Returns:
        dict with ``logits`` (N, K), ``probs`` (N, K), ``grad_logit`` and
        ``grad_prob`` (N, H, W, 3) float32, ``dprob_dlogits`` (N, K).
    Used by: notebook 03 ("why the score before the softmax").
    """
    import tensorflow as tf

    from .models import logits_model

    from .inputs import unpack_model

    model, preprocess, _ = unpack_model(model, preprocess)
    x = _as_images(images)
    scores_model = logits_model(model)
    n_classes = int(scores_model.outputs[0].shape[-1])
    classes = maximize.check_targets(classes, n_classes, "classes", f"model {model.name!r}")
    if len(classes) == 1 and len(x) > 1:
        classes = np.repeat(classes, len(x))
    if len(classes) != len(x):
        raise ValueError(f"give one class per image: {len(x)} images but {len(classes)} classes")
    t = tf.constant(np.asarray(classes), tf.int32)
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        seen = preprocess(xt) if preprocess is not None else xt
        logits = scores_model(seen, training=False)
        probs = tf.nn.softmax(logits)
        y_c = tf.gather(logits, t, axis=1, batch_dims=1)
        p_c = tf.gather(probs, t, axis=1, batch_dims=1)
    grad_logit = tape.gradient(y_c, xt)
    grad_prob = tape.gradient(p_c, xt)
    del tape
    logits, probs = logits.numpy(), probs.numpy()
    onehot = np.eye(n_classes, dtype=np.float64)[np.asarray(classes)]
    pc = probs[np.arange(len(x)), classes].astype(np.float64)
    dprob = pc[:, None] * (onehot - probs.astype(np.float64))
    return {"logits": logits, "probs": probs, "grad_logit": grad_logit.numpy(), "grad_prob": grad_prob.numpy(),
            "dprob_dlogits": dprob}


# ------------------------------------------------------------ comparison ----

def compare_regularizers(model, classes, steps: int = 100, size=None, seed: int = 0, preprocess=None,
                         lr: float = 4.0, variants=None, progress: bool = True) -> dict:
    """Class visualisation once per regulariser setting, all from the same start images.

    Each setting runs all ``classes`` as one batch
    (:func:`helpers.maximize.maximize_classes`), so differences between rows
    come from the regularisers only.

    Args:
        model: keras.Model whose output is softmax probabilities.
        classes: int or list of class indices.
        steps, size, seed, preprocess, lr: as in :func:`helpers.maximize.visualize_classes`.
        variants: dict label -> Regularizers or preset name (default :data:`COMPARISON`).
        progress: one tqdm.auto bar over the settings.
    Returns:
        dict label -> :class:`helpers.maximize.AscentResult` (``.images``
        (C, H, W, 3) float32 0..255, ``.final`` class scores, ...), in the
        order of ``variants``.
    Used by: notebook 03 (the side-by-side figure).
    """
    from tqdm.auto import tqdm

    variants = COMPARISON if variants is None else variants
    if not isinstance(variants, dict) or not variants:
        raise TypeError(f"variants must be a non-empty dict label -> Regularizers or preset name, got {variants!r}")
    out = {}
    for label, reg in tqdm(list(variants.items()), desc="regularisers", disable=not progress, leave=False):
        out[label] = maximize.maximize_classes(model, classes, steps=steps, size=size, seed=seed,
                                               preprocess=preprocess, lr=lr, preset=reg, progress=False,
                                               batch_size=None)
    return out


def comparison_figure(results: dict, titles, tile_inches: float = 1.2):
    """Draw the output of :func:`compare_regularizers`: one row per setting, one column per class.

    Each row is labelled with its setting and, below, the mean high-frequency
    share (:func:`helpers.maximize.high_frequency_share`, "HF") of its images.

    Args:
        results: dict label -> AscentResult (from :func:`compare_regularizers`).
        titles: one column title per class (e.g. class names).
        tile_inches: size of one image.
    Returns:
        matplotlib Figure.
    Used by: notebook 03.
    """
    import matplotlib.pyplot as plt

    labels = list(results)
    if not labels:
        raise ValueError("results is empty: run compare_regularizers first")
    n = len(results[labels[0]].images)
    titles = list(titles)
    if len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} classes")
    fig, axes = plt.subplots(len(labels), n, figsize=(1.6 + n * tile_inches, len(labels) * tile_inches + 0.4),
                             squeeze=False)
    for r, label in enumerate(labels):
        res = results[label]
        shown = maximize.viewable(res)
        rough = float(np.mean(high_frequency_share(res.images)))
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(shown[c], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(str(titles[c]), fontsize=9)
        axes[r, 0].set_ylabel(f"{label}\nHF {rough:.2f}", fontsize=8, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


#: The three runs of the parameterisation comparison (notebooks 02 and 03):
#: label -> keyword arguments of :func:`helpers.maximize.maximize_classes`.
PARAMETERIZATION_RUNS: dict[str, dict] = {
    "pixels, no regulariser": {"parameterization": "pixel", "preset": None},
    "pixels + DeepVis blur (yosinski3)": {"parameterization": "pixel", "preset": "yosinski3"},
    "Fourier + colour + robust": {"parameterization": "fourier", "preset": "robust"},
    "Fourier + colour + strong moves": {"parameterization": "fourier", "preset": "strong"},
}


def compare_parameterizations(model, classes, steps: int = 128, size=None, seed: int = 0, preprocess=None,
                              runs=None, progress: bool = True) -> dict:
    """Class visualisation once per parameterisation / preset, all classes as one batch per run.

    Args:
        model: keras.Model whose output is softmax probabilities.
        classes: int or list of class indices.
        steps, size, seed, preprocess: as in :func:`helpers.maximize.visualize_classes`
            (the same number of steps for every run).
        runs: dict label -> keyword arguments of
            :func:`helpers.maximize.maximize_classes` (default :data:`PARAMETERIZATION_RUNS`).
        progress: one tqdm.auto bar over the runs.
    Returns:
        dict label -> :class:`helpers.maximize.AscentResult` (draw with
        :func:`helpers.maximize.viewable`), in the order of ``runs``.
    Used by: notebook 03 and bench/bench_fourier.py.
    """
    from tqdm.auto import tqdm

    runs = PARAMETERIZATION_RUNS if runs is None else runs
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs must be a non-empty dict label -> keyword arguments, got {runs!r}")
    out = {}
    for label, kw in tqdm(list(runs.items()), desc="parameterisations", disable=not progress, leave=False):
        out[label] = maximize.maximize_classes(model, classes, steps=steps, size=size, seed=seed,
                                               preprocess=preprocess, progress=False, batch_size=None, **kw)
    return out


def picture_report(card, results: dict, classes) -> dict:
    """What the network and the spectrum say about each run's pictures, measured on the saved uint8 images.

    Args:
        card: model card (``card.predict`` on 0..255 images).
        results: dict label -> AscentResult (e.g. from :func:`compare_parameterizations`).
        classes: the intended class of each picture (same order as the results' images).
    Returns:
        dict label -> dict with ``images`` (C, H, W, 3) uint8 (:func:`helpers.maximize.viewable`),
        ``p`` (C,) the probability of the intended class, ``top`` (C,) the
        predicted class ids, ``hf`` (C,) :func:`helpers.maximize.high_frequency_share`.
    Used by: notebook 03 and bench/bench_fourier.py.
    """
    classes = np.asarray(list(classes), int)
    out = {}
    for label, res in results.items():
        shown = maximize.viewable(res)
        probs = card.predict(shown.astype(np.float32))
        out[label] = {"images": shown, "p": probs[np.arange(len(classes)), classes],
                      "top": probs.argmax(axis=1), "hf": high_frequency_share(shown)}
    return out


def report_figure(report: dict, titles, tile_inches: float = 2.6):
    """:func:`rows_figure` of a :func:`picture_report`: one row per run, its p and HF share under its label.

    Args:
        report: from :func:`picture_report`.
        titles: one title per picture (e.g. class names).
        tile_inches: size of one picture.
    Returns:
        matplotlib Figure.
    Used by: notebook 03.
    """
    notes = {k: "p " + ", ".join(f"{v:.2f}" for v in r["p"]) + "\nHF " + ", ".join(f"{v:.2f}" for v in r["hf"])
             for k, r in report.items()}
    return rows_figure({k: r["images"] for k, r in report.items()}, titles, notes=notes, tile_inches=tile_inches,
                       fontsize=9)


def rows_figure(rows: dict, titles, notes=None, tile_inches: float = 1.8, fontsize: int = 8):
    """Images in labelled rows: one row per setting, a title on every tile.

    Args:
        rows: dict row label -> (N, H, W, 3) uint8 images (same N for every row).
        titles: N tile titles (e.g. ``"block2b #3"`` or a class name), written
            on every row's tiles; or a dict row label -> N titles.
        notes: optional dict row label -> short text printed under the label
            (e.g. a measurement).
        tile_inches: size of one tile.
        fontsize: size of titles and labels.
    Returns:
        matplotlib Figure.
    Used by: notebooks 02 (filters, pixel vs Fourier) and 03 (classes).
    """
    import matplotlib.pyplot as plt

    labels = list(rows)
    if not labels:
        raise ValueError("rows is empty: give at least one row of images")
    n = len(rows[labels[0]])
    if any(len(rows[k]) != n for k in labels):
        raise ValueError(f"every row needs the same number of images, got {[len(rows[k]) for k in labels]}")
    per_row = titles if isinstance(titles, dict) else {k: list(titles) for k in labels}
    if any(len(per_row[k]) != n for k in labels):
        raise ValueError(f"give {n} titles per row")
    notes = notes or {}
    fig, axes = plt.subplots(len(labels), n, figsize=(2.0 + n * tile_inches, len(labels) * (tile_inches + 0.3)),
                             squeeze=False)
    for r, label in enumerate(labels):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(np.asarray(rows[label][c]), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(str(per_row[label][c]), fontsize=fontsize)
        text = label + (f"\n{notes[label]}" if label in notes else "")
        axes[r, 0].set_ylabel(text, fontsize=fontsize + 1, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------- misc ----

def find_class(card, name) -> int:
    """The class id of a typed class name (or an index), for any model card.

    The one lookup, :func:`helpers.inputs.class_index`: VGG16 / EfficientNet
    (1000 ImageNet classes) through :func:`helpers.imagenet.class_id` (case,
    spaces, WordNet ids, and lecture names such as "billiard table"); other
    models match ``card.class_names``.

    Args:
        card: a :class:`helpers.models.ModelCard` (or anything with
            ``class_names`` and, for small models, ``class_id``).
        name: str class name or int index.
    Returns:
        int class id.
    Raises:
        ValueError naming close matches for an unknown name or an index out of range.
    Used by: notebook 03 and helpers.widgets.deepvis.
    """
    from .inputs import class_index, require_card

    if not hasattr(card, "class_names"):          # only the names are needed (a bare model has none)
        card = require_card(card, where="find_class")
    if not isinstance(name, (str, int, np.integer)) or isinstance(name, bool):
        raise TypeError(f"give a class name (str) or index (int), got {type(name).__name__}")
    return class_index(card.class_names, name, name="class")


def seconds_per_step(model, classes, size=None, preprocess=None, preset="auto", steps: int = 4,
                     lr=None, repeats: int = 3, parameterization: str = "pixel") -> float:
    """Measured wall time of one class-visualisation step, compilation excluded.

    Runs :func:`helpers.maximize.maximize_classes` once for ``steps`` (this
    also traces the compiled step: the warm-up), then ``repeats`` times each
    for ``steps`` and for ``2 * steps``, and returns the difference of the
    fastest runs divided by ``steps``: the fixed costs (start, final scoring)
    cancel out, blur steps are counted at their share, and the minimum
    discards runs slowed by other work on the machine. Should the difference
    still not be positive (a machine far too busy to measure), the fastest
    long run divided by its steps is returned: an upper bound, never 0.

    Args:
        model, classes, size, preprocess, preset, lr, parameterization: as in
            :func:`helpers.maximize.visualize_classes` (default preset:
            ``"yosinski3"`` for pixels, ``"robust"`` for Fourier).
        steps: extra steps timed (a multiple of the blur period is fairest).
        repeats: timed runs of each length (at least 1).
    Returns:
        seconds per ascent step for the whole batch of classes (float > 0).
    Used by: notebook 03 (time estimate for the lecture classes on VGG16).
    """
    steps, repeats = int(steps), int(repeats)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    kw = dict(size=size, preprocess=preprocess, preset=preset, lr=lr, progress=False, batch_size=None,
              parameterization=parameterization)
    maximize.maximize_classes(model, classes, steps=steps, **kw)  # warm-up: traces the step

    def fastest(n):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            maximize.maximize_classes(model, classes, steps=n, **kw)
            times.append(time.perf_counter() - start)
        return min(times)

    short, long = fastest(steps), fastest(2 * steps)
    return (long - short) / steps if long > short else long / (2 * steps)
