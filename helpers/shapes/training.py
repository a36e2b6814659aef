"""Training ShapesNet (``python -m helpers.shapes train``, ``make shapesnet``) and the picture check.

``train`` trains the BatchNorm model within a wall-clock budget, folds
BatchNorm into the convs, saves ``data/models/shapesnet.keras`` and writes
its training card ``data/models/shapesnet.md``; ``save_grid`` draws a grid
of held-out shapes with the model's predictions (``python -m helpers.shapes
grid``).  Not used by a notebook.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np

from ..inputs import check_int, check_number
from .data import HELDOUT_SEED, HELDOUT_SIZE, IMAGE_SIZE, TRAIN_SEED, _generate, make_shapes
from .model import MODEL_PATH, build_shapesnet, fold_batchnorm, load_shapesnet
from .render import CLASS_NAMES

_T_IMPORT = time.monotonic()  # the training budget counts from here when run as a command

# Shipped training settings (the defaults of ``python -m helpers.shapes train``).
DEFAULT_EPOCHS = 6
DEFAULT_N_TRAIN = 14000
DEFAULT_BATCH_SIZE = 64
DEFAULT_LR = 2e-3
DEFAULT_MAX_MINUTES = 8.5


def _augment(x):
    """Random flips and 90-degree rotations (all 8 symmetries of the square), per image."""
    import tensorflow as tf

    n = tf.shape(x)[0]
    flags = tf.random.uniform((n, 3)) < 0.5
    x = tf.where(flags[:, 0, None, None, None], tf.transpose(x, [0, 2, 1, 3]), x)
    x = tf.where(flags[:, 1, None, None, None], tf.reverse(x, axis=[1]), x)
    x = tf.where(flags[:, 2, None, None, None], tf.reverse(x, axis=[2]), x)
    return x

def _make_budget_callback(total_steps, base_lr, train_budget_s):
    import keras

    class _CosineWithDeadline(keras.callbacks.Callback):
        """Cosine learning-rate decay over max(step fraction, wall-clock fraction); stops at 100 %.

        With time to spare this is a plain cosine schedule over the fixed
        number of epochs.  When the machine is slow, the schedule is squeezed
        so that the rate still reaches ~0 when the wall-clock budget runs out,
        and training stops there (recorded in the training card).
        """

        def __init__(self):
            super().__init__()
            self.step = 0
            self.stopped_by_budget = False
            self.t0 = None

        def on_train_begin(self, logs=None):
            self.t0 = time.monotonic()

        def _progress(self):
            return max(self.step / total_steps, (time.monotonic() - self.t0) / train_budget_s)

        def on_train_batch_begin(self, batch, logs=None):
            frac = min(self._progress(), 1.0)
            self.model.optimizer.learning_rate.assign(base_lr * 0.5 * (1.0 + math.cos(math.pi * frac)))

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.step < total_steps and self._progress() >= 1.0:
                self.stopped_by_budget = True
                self.model.stop_training = True

    return _CosineWithDeadline()

def train(epochs=DEFAULT_EPOCHS, n_train=DEFAULT_N_TRAIN, seed=TRAIN_SEED, out=MODEL_PATH,
          max_minutes=DEFAULT_MAX_MINUTES, batch_size=DEFAULT_BATCH_SIZE, lr=DEFAULT_LR, command=None,
          verbose=2, t_start=None):
    """Train ShapesNet from scratch and write the model file and its training card.

    Generates ``n_train`` images with ``make_shapes(n_train, seed)``, trains
    the BatchNorm model (Adam, cosine learning-rate decay, random flips and
    90-degree rotations) for ``epochs`` epochs or until the wall-clock budget
    ``max_minutes`` (counted from ``t_start``, default the start of this call;
    the command passes the time helpers.shapes was imported) minus ~30 s for
    evaluation and saving runs out (the cosine schedule is then squeezed so
    the rate still decays to ~0), folds BatchNorm into the convs, saves the
    BatchNorm-free model without optimizer state to ``out`` and a markdown
    card next to it (``.md``) with the held-out accuracy on
    ``make_shapes(2000, HELDOUT_SEED)``.

    Returns:
        dict of what the card records (accuracy, times, epochs run, ...).

    Used by: ``python -m helpers.shapes train`` / ``make shapesnet``.
    """
    t_start = time.monotonic() if t_start is None else t_start
    epochs = check_int(epochs, "epochs", 1)
    n_train = check_int(n_train, "n_train", 100)
    batch_size = check_int(batch_size, "batch_size", 1)
    seed = check_int(seed, "seed", 0)
    if seed == HELDOUT_SEED:
        raise ValueError(f"seed {HELDOUT_SEED} is reserved for the held-out evaluation; choose another")
    max_minutes = check_number(max_minutes, "max_minutes", 1.0, strict_minimum=True)
    lr = check_number(lr, "lr", 0.0, strict_minimum=True)
    out = os.fspath(out)
    if not out.endswith(".keras"):
        raise ValueError(f"out must be a .keras file, got {out!r}")
    out_dir = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(out_dir):
        raise FileNotFoundError(f"output folder {out_dir} does not exist; create it first")

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    t0 = time.monotonic()
    x_train, y_train, _, _ = _generate(n_train, seed, IMAGE_SIZE, True, None, np.uint8, False)
    gen_s = time.monotonic() - t0
    print(f"generated {n_train} training images (seed {seed}) in {gen_s:.1f} s", flush=True)

    ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
          .shuffle(n_train, seed=seed, reshuffle_each_iteration=True)
          .batch(batch_size)
          .map(lambda x, y: (_augment(tf.cast(x, tf.float32)), y), num_parallel_calls=tf.data.AUTOTUNE)
          .prefetch(tf.data.AUTOTUNE))
    steps_per_epoch = (n_train + batch_size - 1) // batch_size
    total_steps = epochs * steps_per_epoch

    model = build_shapesnet(batchnorm=True)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"], jit_compile=False)  # XLA was 4x slower on this CPU
    reserve_s = 30.0
    train_budget_s = max_minutes * 60.0 - (time.monotonic() - t_start) - reserve_s
    if train_budget_s < 30:
        raise ValueError(f"max_minutes={max_minutes} leaves no time to train after generating the data")
    budget = _make_budget_callback(total_steps, lr, train_budget_s)
    t0 = time.monotonic()
    history = model.fit(ds, epochs=epochs, callbacks=[budget], verbose=verbose, shuffle=False)
    train_s = time.monotonic() - t0
    epochs_run = budget.step / steps_per_epoch

    plain = fold_batchnorm(model)
    x_val, y_val, _ = make_shapes(HELDOUT_SIZE, seed=HELDOUT_SEED)
    p_plain = plain.predict(x_val, batch_size=250, verbose=0)
    p_bn = model.predict(x_val, batch_size=250, verbose=0)
    fold_diff = float(np.abs(p_plain - p_bn).max())
    pred = p_plain.argmax(1)
    acc = float((pred == y_val).mean())
    per_class = {CLASS_NAMES[c]: float((pred[y_val == c] == c).mean()) for c in range(len(CLASS_NAMES))}
    plain.save(out)
    size_mb = os.path.getsize(out) / 1e6
    wall_s = time.monotonic() - t_start

    info = dict(
        seed=seed, n_train=n_train, epochs=epochs, epochs_run=epochs_run, steps=budget.step,
        total_steps=total_steps, stopped_by_budget=budget.stopped_by_budget, batch_size=batch_size, lr=lr,
        max_minutes=max_minutes, heldout_seed=HELDOUT_SEED, heldout_size=HELDOUT_SIZE, accuracy=acc,
        per_class=per_class, fold_diff=fold_diff, gen_s=gen_s, train_s=train_s, wall_s=wall_s,
        size_mb=size_mb, final_train_accuracy=float(history.history["accuracy"][-1]),
        final_train_loss=float(history.history["loss"][-1]),
        command=command or f"python -m helpers.shapes train --epochs {epochs} --n-train {n_train} --seed {seed}",
        tf_version=tf.__version__, keras_version=keras.__version__, numpy_version=np.__version__,
        python_version=platform.python_version(), machine=f"{platform.machine()}, {os.cpu_count()} CPU cores",
        out=out,
    )
    card = os.path.splitext(out)[0] + ".md"
    with open(card, "w", encoding="utf-8") as fh:
        fh.write(_card_text(info))
    print(f"held-out accuracy {acc:.4f} on {HELDOUT_SIZE} images (seed {HELDOUT_SEED}); "
          f"wall time {wall_s:.0f} s; {out} ({size_mb:.2f} MB); card {card}", flush=True)
    return info

def _card_text(i):
    stop = (f"yes: the wall-clock budget ran out after {i['steps']} of {i['total_steps']} steps "
            f"({i['epochs_run']:.2f} of {i['epochs']} epochs; the cosine schedule was squeezed to end there)"
            if i["stopped_by_budget"] else f"no ({i['steps']} of {i['total_steps']} steps, all {i['epochs']} epochs)")
    per_class = ", ".join(f"{k} {v:.3f}" for k, v in i["per_class"].items())
    return f"""# ShapesNet training card

The course's offline model: a small VGG-style convnet trained from scratch on
synthetic shapes (`helpers.shapes.make_shapes`). Written by the training
command; the shipped `shapesnet.keras` is its output.

| | |
|---|---|
| Command | `{i['command']}` |
| Classes | {", ".join(CLASS_NAMES)} |
| Architecture | 64x64x3 input (0..255), Rescaling to [-1, 1], 4 blocks of two 3x3 convs (16-32-64-128, names block1_conv1 ... block4_conv2, ReLU), max pool after blocks 1-3 (last map 8x8), GAP, Dense(6) `logits`, softmax `predictions` |
| Training | with BatchNorm (momentum 0.9) after each conv, Adam lr {i['lr']:g} with cosine decay, batch {i['batch_size']}, random flips + 90-degree rotations |
| Export | BatchNorm folded into the conv kernels and biases; saved without optimizer state; max abs difference of the probabilities BN vs folded model on the held-out images: {i['fold_diff']:.2e} |
| Training data | {i['n_train']} images, `make_shapes({i['n_train']}, seed={i['seed']})` |
| Epochs | {i['epochs']} planned, {i['epochs_run']:.2f} run |
| Stopped by the {i['max_minutes']:g}-minute budget | {stop} |
| Final training loss / accuracy (augmented) | {i['final_train_loss']:.4f} / {i['final_train_accuracy']:.4f} |
| **Held-out accuracy** | **{i['accuracy']:.4f}** on {i['heldout_size']} images, `make_shapes({i['heldout_size']}, seed={i['heldout_seed']})` (a seed never used in training) |
| Per-class held-out accuracy | {per_class} |
| Wall time | {i['wall_s']:.0f} s total (data generation {i['gen_s']:.1f} s, training {i['train_s']:.0f} s) |
| File size | {i['size_mb']:.2f} MB |
| Versions | TensorFlow {i['tf_version']}, Keras {i['keras_version']}, NumPy {i['numpy_version']}, Python {i['python_version']} |
| Machine | {i['machine']} |
"""

def save_grid(path, n=24, seed=HELDOUT_SEED + 1, model=None):
    """Save a 4x6 grid of ``make_shapes`` images titled with predicted (and true) classes.

    Args:
        path: PNG file to write (folder created if needed).
        n: images (24 for a 4x6 grid).
        seed: data seed.
        model: classifier; default the shipped ShapesNet.

    Returns:
        (predicted labels (n,), true labels (n,)).

    Used by: the picture check of ``python -m helpers.shapes grid``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = load_shapesnet() if model is None else model
    images, labels, boxes = make_shapes(n, seed=seed)
    pred = model.predict(images, verbose=0).argmax(1)
    cols = 6
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.8, rows * 2.0))
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i].astype(np.uint8), interpolation="nearest")
        x0, y0, x1, y1 = boxes[i]
        ax.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec="yellow", lw=0.8))
        ok = pred[i] == labels[i]
        ax.set_title(CLASS_NAMES[pred[i]] + ("" if ok else f" (true {CLASS_NAMES[labels[i]]})"),
                     fontsize=9, color="black" if ok else "red")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return pred, labels

def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m helpers.shapes",
                                     description="ShapesNet: train the course's offline model, or draw a sample grid.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train ShapesNet from scratch and write the model and its card")
    t.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    t.add_argument("--n-train", type=int, default=DEFAULT_N_TRAIN)
    t.add_argument("--seed", type=int, default=TRAIN_SEED)
    t.add_argument("--out", default=MODEL_PATH, help="output .keras file (the card is written next to it as .md)")
    t.add_argument("--max-minutes", type=float, default=DEFAULT_MAX_MINUTES,
                   help="wall-clock budget; training stops early (and says so in the card) to fit it")
    t.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    t.add_argument("--lr", type=float, default=DEFAULT_LR)
    g = sub.add_parser("grid", help="save a 4x6 grid of shapes with the model's predictions")
    g.add_argument("--out", default=os.path.join("build", "shapes_grid.png"))
    g.add_argument("--seed", type=int, default=HELDOUT_SEED + 1)
    args = parser.parse_args(argv)
    if args.cmd == "train":
        out = args.out
        shown = os.path.relpath(out) if os.path.isabs(out) else out
        command = (f"python -m helpers.shapes train --epochs {args.epochs} --n-train {args.n_train} "
                   f"--seed {args.seed} --out {shown} --max-minutes {args.max_minutes:g} "
                   f"--batch-size {args.batch_size} --lr {args.lr:g}")
        train(epochs=args.epochs, n_train=args.n_train, seed=args.seed, out=out, max_minutes=args.max_minutes,
              batch_size=args.batch_size, lr=args.lr, command=command, t_start=_T_IMPORT)
    else:
        pred, labels = save_grid(args.out, seed=args.seed)
        print(f"wrote {args.out}: {int((pred == labels).sum())}/{len(labels)} correct")
    return 0
