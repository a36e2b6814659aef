"""Benchmark: filter visualisation, the course engine vs the classic loop.

Run: ``python bench/bench_filters.py`` (or ``make bench``). Offline: VGG16
with random weights (``weights=None``, same architecture and cost as the
ImageNet model), caffe preprocessing inside the graph for every method,
the same start-noise level and the same step length.

Compared side by side in one process:

* **classic**: the book / keras-io recipe, one filter at a time; the filter
  index is a Python int argument of a ``tf.function``, so the step is
  retraced for every filter (written here from the recipe, not imported);
* **engine**: ``helpers.maximize.visualize_filters``: all filters in equal
  batches through one compiled loop (a few calls, one per progress-bar
  update), and only the selected channel of the target convolution computed
  (start images, progress bar, final score, deprocessing included); timed
  plain and with notebook 02's regularisers (``preset="filters"``: Gaussian
  blur every 4 steps and 1-pixel jitter);
* **floor**: the engine's compiled step (no regulariser) called ``steps``
  times per batch from Python, and nothing else - the issue's "one compiled
  batched step x steps";
* **loop**: the engine's compiled loop alone, one call of ``steps`` steps
  per batch, no regulariser, nothing else (for information: what running
  the steps inside the graph saves over the floor);
* **plain batched**: for information, a bare batched step that computes the
  whole target layer and gathers the channel (the "quick trial" of the issue).

Timings: the first run of classic and engine includes their tracing (what
a student experiences); "warm" runs repeat each measurement ``--repeats``
times, interleaved, and report the fastest, and for the engine / floor
ratios also the median of each repetition's ratio (engine run / the floor run
beside it, which cancels slow phases of a shared, noisy machine). Prints seconds, the speed-ups (goal >= 1.5x at
block1_conv1) and the engine / floor ratios (goal <= 1.2x: regularisers and
progress reporting must not cost more than that).

At ``block3_conv1`` (0.5 s per step) the ratios are within the noise of one
process: the same compiled function ran 30 steps in 14.7 s or in 16.3 s
depending on which function the process had traced first (measured with the
engine's loop and step, both orders).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import helpers  # noqa: E402,F401  (quiet TensorFlow)
from helpers import maximize  # noqa: E402
from helpers.models import vgg16_preprocess  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

LR = 4.0       # RMS pixel change per step, for every method
NOISE = 60.0   # start noise half-width, as helpers.maximize.initial_images
tf.get_logger().setLevel("ERROR")  # the classic loop's retracing warnings are the point; we count traces


def make_classic(model, layer, preprocess):
    """The book / keras-io recipe: one filter at a time, index as a Python int (retraces per filter).

    Returns ``run(filters, steps, size) -> (images uint8, traces so far)``; the
    tf.function lives as long as ``run``, so a second run reuses its traces.
    """
    extractor = keras.Model(model.input, model.get_layer(layer).output)

    @tf.function
    def ascent_step(img, filter_index, learning_rate):
        with tf.GradientTape() as tape:
            tape.watch(img)
            activation = extractor(preprocess(img))
            loss = tf.reduce_mean(activation[..., filter_index])
        grads = tape.gradient(loss, img)
        grads = tf.math.l2_normalize(grads)
        return loss, img + learning_rate * grads

    def run(filters, steps, size):
        images = []
        rng = np.random.default_rng(0)
        lr = LR * float(np.sqrt(size * size * 3))  # l2-normalised gradient: same RMS step as the engine
        for f in filters:
            img = tf.constant(127.5 + rng.uniform(-NOISE, NOISE, (1, size, size, 3)), tf.float32)
            for _ in range(steps):
                _, img = ascent_step(img, int(f), lr)  # Python int: one trace per filter
            images.append(maximize.deprocess_images(img.numpy())[0])
        return np.stack(images), ascent_step.experimental_get_tracing_count()

    return run


def plain_batched_step(model, layer, preprocess):
    """A bare batched step computing the whole target layer, then gathering each image's channel."""
    extractor = keras.Model(model.input, model.get_layer(layer).output)

    @tf.function
    def step(x, targets):
        with tf.GradientTape() as tape:
            tape.watch(x)
            act = extractor(preprocess(x))
            score = tf.reduce_mean(tf.gather(act, targets, axis=3, batch_dims=1), axis=[1, 2])
            total = tf.reduce_sum(score)
        g = tape.gradient(total, x)
        g = g / (tf.sqrt(tf.reduce_mean(tf.square(g), axis=[1, 2, 3], keepdims=True)) + 1e-12)
        return tf.clip_by_value(x + LR * g, 0.0, 255.0)

    return step


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_layer(model, layer, n_filters, steps, size, repeats, batch_size):
    filters = list(range(n_filters))
    pre = vgg16_preprocess
    print(f"\n== {layer}: {n_filters} filters, {steps} steps, {size} px, engine batches of "
          f"{min(batch_size, n_filters)} ==", flush=True)

    def engine_run(preset=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # random weights: a few filters never fire
            maximize.visualize_filters(model, layer, filters, steps=steps, size=size, preprocess=pre,
                                       progress=True, batch_size=batch_size, preset=preset)

    classic = make_classic(model, layer, pre)
    cold_classic = timed(lambda: classic(filters, steps, size))
    classic_traces = classic([filters[0]], 1, size)[1]
    cold_engine = timed(engine_run)
    engine_run("filters")  # trace the regularised loop outside the timing
    engine = maximize.get_engine(model, layer, "channel", pre, size=(size, size))
    loop_fn = engine.loop_function()
    engine_traces = loop_fn.experimental_get_tracing_count()

    chunk = min(batch_size, n_filters)
    n_chunks = -(-n_filters // chunk)
    x = tf.constant(maximize.initial_images(filters[:chunk], (size, size)))
    t = tf.constant(filters[:chunk], tf.int32)
    scalars = [tf.constant(v, tf.float32) for v in (LR, 0.0, 0.0, 0.0, 0.0)]
    shift = tf.zeros([2], tf.int32)
    step_fn = engine.step_function()

    def floor_run():  # the engine's own step, nothing else, for every chunk
        for _ in range(n_chunks):
            y = x
            for _ in range(steps):
                y, _, _ = step_fn(y, t, *scalars, shift)
            y.numpy()

    loop_call = engine.loop_call(maximize.initial_images(filters[:chunk], (size, size)), filters[:chunk], steps,
                                 lr=LR)

    def loop_run():  # the engine's compiled loop, one call per chunk, nothing else
        for _ in range(n_chunks):
            loop_call()

    plain = plain_batched_step(model, layer, pre)
    plain(x, t)  # trace outside the timing
    floor_run()

    def plain_run():
        for _ in range(n_chunks):
            y = x
            for _ in range(steps):
                y = plain(y, t)
            y.numpy()

    runs = {"classic": lambda: classic(filters, steps, size), "engine": engine_run,
            "engine+regs": lambda: engine_run("filters"), "floor": floor_run, "loop": loop_run,
            "plain": plain_run}
    warm = {k: [] for k in runs}
    for _ in range(repeats):
        for k, fn in runs.items():
            warm[k].append(timed(fn))
    best = {k: min(v) for k, v in warm.items()}
    med = {k: float(np.median(v)) for k, v in warm.items()}
    assert loop_fn.experimental_get_tracing_count() == engine_traces == 1

    print(f"classic (1 filter at a time): first run {cold_classic:7.2f} s ({classic_traces} traces), "
          f"warm {best['classic']:7.2f} s")
    print(f"engine  (batched):            first run {cold_engine:7.2f} s ({engine_traces} trace),   "
          f"warm {best['engine']:7.2f} s")
    print(f"speed-up classic / engine:    first run {cold_classic / cold_engine:6.2f}x, "
          f"warm {best['classic'] / best['engine']:5.2f}x      (goal >= 1.5x at block1_conv1)")
    print(f"floor (engine step x {steps} x {n_chunks} batch(es)): fastest {best['floor']:.2f} s, "
          f"median {med['floor']:.2f} s")
    for name, label in (("engine", "engine, no regulariser"), ("engine+regs", "engine, blur + jitter ")):
        paired = float(np.median(np.divide(warm[name], warm["floor"])))  # each run / the floor run beside it
        print(f"{label} / floor: fastest {best[name] / best['floor']:.2f}x, median of paired runs "
              f"{paired:.2f}x   (goal <= 1.2x)")
    print(f"engine loop alone ({n_chunks} call(s) of {steps} steps): {best['loop']:.2f} s = "
          f"{best['loop'] / best['floor']:.2f}x the floor (steps inside the graph)")
    print(f"plain batched step (whole layer + gather) x {steps}: {best['plain']:7.2f} s "
          f"({best['plain'] / best['floor']:.1f}x the engine's step)")
    print("warm runs (s): " + "; ".join(f"{k} " + ", ".join(f"{v:.2f}" for v in vals) for k, vals in warm.items()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--filters", type=int, default=64, help="filters at block1_conv1")
    parser.add_argument("--deep-filters", type=int, default=16, help="filters at block3_conv1")
    parser.add_argument("--repeats", type=int, default=5, help="warm repetitions (fastest and median shown)")
    parser.add_argument("--batch-size", type=int, default=32, help="engine batch size")
    args = parser.parse_args(argv)
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs")
    model = keras.applications.VGG16(weights=None, include_top=False)
    # warm up TensorFlow itself so that neither method pays the runtime's first-use costs
    model(tf.zeros((1, 32, 32, 3)))
    bench_layer(model, "block1_conv1", args.filters, args.steps, args.size, args.repeats, args.batch_size)
    bench_layer(model, "block3_conv1", args.deep_filters, args.steps, args.size, args.repeats, args.batch_size)


if __name__ == "__main__":
    main()
