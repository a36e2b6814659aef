"""Benchmark: the ascent engine's speed against this machine's measured float32 peak.

Run: ``python bench/bench_peak.py`` (or ``make bench``). Offline; VGG16 with
random weights (``weights=None``: same layers and cost as the ImageNet
model) and the bundled EfficientNet-Lite0.

In one process, interleaved (so that a shared, busy machine slows all
measurements alike):

* **peaks**: a 4096 x 4096 float32 matmul and a 3x3 convolution 128 -> 256
  channels (batch 16, 64 x 64) through TensorFlow, in GFLOP/s (2 FLOPs per
  multiply-add), and the memory bandwidth of a large elementwise op
  (a sum over 256 MB: read bandwidth, GB/s);
* **ascent steps**: the engine's compiled loop (no regulariser) for a batch
  of filters of VGG16 at 128 px (``block1_conv1`` ... ``block5_conv1``) and
  for the three lecture classes of EfficientNet-Lite0 at 224 px.

FLOPs of an ascent step are counted from the layers' shapes: forward plus
the gradient with respect to the layer's input, 2 x 2 FLOPs per
multiply-add, no weight gradients; the target convolution counts only its
selected channel (the engine computes only that one). Each step is reported
as achieved GFLOP/s and as a fraction of the convolution peak. For
EfficientNet-Lite0 a roofline per kind of layer: each kind's FLOPs and
bytes (inputs and outputs read/written once forward and once backward;
oneDNN's fusion and the caches make the real traffic lower), its
arithmetic intensity against the machine's balance (conv peak /
bandwidth), and the time each kind needs at least at the measured peaks.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import helpers  # noqa: E402,F401  (quiet TensorFlow)
from helpers import maximize  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


# ------------------------------------------------------------- counting ----

def _shape(t):
    return [int(v) for v in t.shape[1:]]


def layer_macs(layer) -> tuple[int, str]:
    """Multiply-adds of one image through ``layer`` (from its output shape), and its kind."""
    out = _shape(layer.output)
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kh, kw = layer.kernel_size
        return int(np.prod(out)) * kh * kw, "depthwise"
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        cin = int(layer.input.shape[-1])
        return int(np.prod(out)) * kh * kw * cin // layer.groups, "conv"
    if isinstance(layer, keras.layers.Dense):
        return int(layer.input.shape[-1]) * int(layer.units), "dense"
    return 0, "other"


def _floats_in(layer) -> int:
    inputs = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
    return sum(int(np.prod(_shape(t))) for t in inputs)


def step_flops(model, last: str, single_channel: bool) -> dict:
    """FLOPs of one ascent step for one image: forward + input gradient of every layer up to ``last``.

    Returns dict with ``flops``, the share of multiply-adds per kind
    (conv, depthwise, dense), ``activations`` (floats output by the layers
    up to ``last``) and per kind ``bytes``: float32 bytes each kind's layers
    read and write (input + output, forward and backward: 2 x), and
    ``kind_flops``. "other" are the elementwise layers (batch norm,
    activations, additions): bytes, no multiply-adds counted.
    """
    macs, kinds, acts, nbytes = 0, {}, 0, {}
    for layer in model.layers:
        m, kind = layer_macs(layer)
        if layer.name == last and single_channel:
            m //= int(layer.output.shape[-1])
        macs += m
        kinds[kind] = kinds.get(kind, 0) + m
        if not isinstance(layer, keras.layers.InputLayer):
            out = int(np.prod(_shape(layer.output)))
            acts += out
            nbytes[kind] = nbytes.get(kind, 0) + 2 * 4 * (out + _floats_in(layer))
        if layer.name == last:
            break
    return {"flops": 4 * macs, "kinds": {k: v / max(macs, 1) for k, v in kinds.items() if v},
            "kind_flops": {k: 4 * v for k, v in kinds.items()}, "bytes": nbytes, "activations": acts}


# -------------------------------------------------------------- timing ----

def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times))


def peak_functions():
    a = tf.random.normal([4096, 4096])
    b = tf.random.normal([4096, 4096])
    x = tf.random.normal([16, 64, 64, 128])
    k = tf.random.normal([3, 3, 128, 256]) * 0.05
    big = tf.random.normal([64 * 1024 * 1024])   # 256 MB: far beyond the caches
    matmul = tf.function(lambda: tf.matmul(a, b), autograph=False)
    conv = tf.function(lambda: tf.nn.conv2d(x, k, 1, "SAME"), autograph=False)
    stream = tf.function(lambda: tf.reduce_sum(big), autograph=False)  # reads every byte once, writes nothing
    return {
        "matmul 4096": (lambda: matmul().numpy()[0, 0], 2 * 4096 ** 3, "flop"),
        "conv 3x3 128->256": (lambda: conv().numpy()[0, 0, 0, 0], 2 * 16 * 64 * 64 * 256 * 9 * 128, "flop"),
        "memory read (sum of 256 MB)": (lambda: stream().numpy(), 4 * big.shape[0], "byte"),
    }


def ascent_function(model, layer, objective, preprocess, batch, size, steps, targets):
    """The engine's compiled loop (no regulariser) for ``steps`` steps on one batch; returns a callable."""
    engine = maximize.get_engine(model, layer, objective, preprocess, size=(size, size))
    return engine.loop_call(maximize.initial_images(targets, (size, size)), targets, steps)  # traced here


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="VGG16 image size")
    parser.add_argument("--batch", type=int, default=16, help="VGG16 filters per batch")
    parser.add_argument("--steps", type=int, default=4, help="steps per timed call")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--layers", default="block1_conv1,block2_conv1,block3_conv1,block4_conv1,block5_conv1")
    args = parser.parse_args(argv)
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPUs; steps: forward + input gradient, "
          "4 FLOPs per multiply-add")
    from helpers.models import vgg16_preprocess, load_model

    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(args.size, args.size, 3))
    card = load_model("efficientnet_lite0", verbose=False)
    from helpers.models import logits_model

    effnet_logits = logits_model(card.model)
    jobs = {}
    for layer in args.layers.split(","):
        fl = step_flops(vgg, layer, single_channel=True)
        targets = list(range(args.batch))
        fn = ascent_function(vgg, layer, "channel", vgg16_preprocess, args.batch, args.size, args.steps, targets)
        jobs[f"VGG16 {layer} ({args.batch} x {args.size} px)"] = (fn, fl, args.batch)
    eff = step_flops(effnet_logits, effnet_logits.layers[-1].name, single_channel=False)
    classes = list(card.demo_classes)
    fn = ascent_function(card.model, None, "logit", card.preprocess, len(classes), 224, args.steps, classes)
    jobs[f"EfficientNet-Lite0 logits ({len(classes)} x 224 px)"] = (fn, eff, len(classes))
    peaks = peak_functions()
    for fn, _, _ in peaks.values():
        fn()  # warm-up
    rounds = {k: [] for k in list(peaks) + list(jobs)}
    for r in range(args.repeats):  # interleaved: a busy phase of the machine hits every measurement
        for k, (fn, _, _) in peaks.items():
            rounds[k].append(best_of(fn, 1)[0])
        for k, (fn, _, _) in jobs.items():
            rounds[k].append(best_of(fn, 1)[0])
    rate = {}
    print("\nmeasured peaks (fastest of %d; median in brackets)" % args.repeats)
    for k, (_, amount, unit) in peaks.items():
        best, med = min(rounds[k]), float(np.median(rounds[k]))
        rate[k] = amount / best / 1e9
        print(f"  {k:28s} {rate[k]:7.1f} G{unit}/s  ({amount / med / 1e9:.1f})")
    conv_peak, bandwidth = rate["conv 3x3 128->256"], rate["memory read (sum of 256 MB)"]
    print(f"  machine balance: {conv_peak / bandwidth:.1f} FLOPs per byte (conv peak / bandwidth)")
    print(f"\n{'ascent step':46s} {'GFLOP/step':>10s} {'s/step':>8s} {'GFLOP/s':>8s} {'of conv peak':>12s} "
          f"{'of matmul':>9s}")
    for k, (_, fl, batch) in jobs.items():
        per_step = min(rounds[k]) / args.steps
        med = float(np.median(rounds[k])) / args.steps
        gflop = fl["flops"] * batch / 1e9
        achieved = gflop / per_step
        print(f"{k:46s} {gflop:10.2f} {per_step:8.3f} {achieved:8.1f} {achieved / conv_peak:12.2f} "
              f"{achieved / rate['matmul 4096']:9.2f}   (median {gflop / med:.1f} GFLOP/s)")
    k = next(k for k in jobs if k.startswith("EfficientNet"))
    fl, batch = jobs[k][1], jobs[k][2]
    per_step = min(rounds[k]) / args.steps
    print(f"\nEfficientNet-Lite0: {fl['flops'] / 4 / 1e6:.0f} M multiply-adds per image ("
          + ", ".join(f"{kind} {share:.1%}" for kind, share in fl["kinds"].items())
          + f"); {fl['activations'] / 1e6:.1f} M activation floats per image")
    print("  roofline per kind of layer (forward + input gradient; bytes = inputs + outputs read/written once "
          "each way, no cache reuse, no fusion):")
    total = 0.0
    for kind in ("conv", "depthwise", "dense", "other"):
        flops, nbytes = fl["kind_flops"].get(kind, 0) * batch, fl["bytes"].get(kind, 0) * batch
        if not nbytes:
            continue
        t_compute, t_memory = flops / (conv_peak * 1e9), nbytes / (bandwidth * 1e9)
        total += max(t_compute, t_memory)
        intensity = flops / nbytes
        print(f"    {kind:9s} {flops / 1e9:6.2f} GFLOP  {nbytes / 1e6:7.1f} MB  intensity {intensity:5.1f} FLOP/B "
              f"({'memory' if intensity < conv_peak / bandwidth else 'compute'}-bound)  "
              f"time >= {max(t_compute, t_memory):.3f} s")
    print(f"  roofline estimate {total:.3f} s per step, measured {per_step:.3f} s")


if __name__ == "__main__":
    main()
