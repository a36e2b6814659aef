"""Our Grad-CAM, Grad-CAM++ and Score-CAM against pytorch-grad-cam and tf-keras-vis (maintainers only).

Not part of the course, not run in CI, not a dependency: it needs torch,
``grad-cam`` (pytorch-grad-cam) and ``tf-keras-vis`` next to the course's own
packages, and stops with the missing package's name and its pip command.
Install them in a scratch virtual environment, not in the course's .venv:

    python3.11 -m venv /tmp/camcmp && . /tmp/camcmp/bin/activate
    pip install -e .                          # the course (TensorFlow, Keras)
    pip install torch torchvision grad-cam tf-keras-vis
    python tools/compare_cam_libraries.py [--n 100]

(torch and torchvision must come from the same build: pytorch-grad-cam
imports torchvision, and a CPU torch beside a CUDA torchvision fails at
import with "operator torchvision::nms does not exist".)

What it does, on the course's ShapesNet (``load_model("shapesnet")``):

1. Ports the trained Keras weights to an equivalent ``torch.nn.Module``
   (conv kernels HWIO -> OIHW, Dense kernel transposed, same 'same' padding,
   2x2 max pooling, global average pooling, no softmax: the module returns
   the logits) and prints the largest logit difference on the held-out
   images (``make_shapes(n, seed=shapes.HELDOUT_SEED)``).
2. For each image and its true class, at ``cam.default_layer`` (the
   post-ReLU output of ``block4_conv2``, 8 x 8 x 128), computes
   ``helpers.cam.grad_cam`` with "gradcam", "gradcam++", "scorecam";
   pytorch-grad-cam's GradCAM, GradCAMPlusPlus, ScoreCAM on the port
   (``ClassifierOutputTarget`` of the logit); tf-keras-vis's Gradcam,
   GradcamPlusPlus, Scorecam on the Keras model with ``ReplaceToLinear``
   (the score is the logit; for Scorecam, which applies its own softmax, the
   score is then the class probability), and Scorecam once more without
   ``ReplaceToLinear``, as its docstring recommends for Scorecam.
3. Compares each library map with ours at the feature-map resolution
   (8 x 8, both after the ReLU, before any resizing; Pearson, Spearman and the
   argmax are unchanged by the libraries' min-max scaling): mean and min
   Pearson r, mean Spearman rho, and the fraction of images whose peak
   cell agrees.  The column "r 64px" compares the libraries' final output
   (resized to the input, min-max scaled) with ours resized and scaled by the
   library's own function.
4. Explains each difference by re-implementing the library's formula as a
   small change to ours (numpy, from the Keras model's activations and
   gradients) and printing its correlation with the library's map (should be
   ~1) and with ours.

It prints the versions, the port check, the table, then the reproductions.
Score-CAM needs one forward pass per channel and image (128 x n): about a
minute for n = 100 on 2 CPU cores.

Measured on this course's 2-core CPU machine (n = 100), output verbatim:

    (filled in below after the run)
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata as md
import io
import os
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import helpers  # noqa: E402,F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow is imported)

# import name -> (PyPI name, what to type)
REQUIRED = {
    "torch": ("torch", "pip install torch torchvision"),
    "pytorch_grad_cam": ("grad-cam", "pip install grad-cam"),
    "tf_keras_vis": ("tf-keras-vis", "pip install tf-keras-vis"),
}


def require_libraries():
    """Import the three comparison libraries or exit with what to install."""
    for module, (dist, command) in REQUIRED.items():
        try:
            importlib.import_module(module)
        except ImportError as exc:
            sys.exit(f"compare_cam_libraries: the package {dist!r} is missing ({exc}).\n"
                     f"Install it in a scratch environment (not the course's .venv): {command}\n"
                     "See this script's docstring for the full setup.")
        except RuntimeError as exc:  # e.g. a CPU torch beside a CUDA torchvision
            sys.exit(f"compare_cam_libraries: importing {module!r} failed: {exc}\n"
                     "torch and torchvision must come from the same build: "
                     "pip install --force-reinstall torch torchvision (from one index).")


def versions() -> str:
    names = ["tensorflow", "tensorflow-cpu", "keras", "torch", "torchvision", "grad-cam", "tf-keras-vis",
             "numpy", "scipy", "opencv-python-headless", "opencv-python"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            pass
    return ", ".join(found)


# ------------------------------------------------------------ the port ----

def torch_port(keras_model):
    """An equivalent torch module of a ShapesNet-style Keras model (logits out).

    Walks the Keras layers in order: Rescaling -> x * scale + offset; Conv2D
    ('same', stride 1, odd kernel; fused ReLU becomes a separate nn.ReLU named
    after the conv, so a hook on it sees the post-ReLU map); MaxPooling2D;
    GlobalAveragePooling2D (a mean over H, W: channel order does not matter
    after it); Dense; a final softmax Activation is dropped.

    Returns:
        (module taking (N, 3, H, W) float32 pixels 0..255 -> (N, classes)
        logits, {keras layer name: torch submodule whose output is that
        layer's output}).
    """
    import keras
    import torch
    from torch import nn

    ops, named = [], {}
    for lay in keras_model.layers:
        if isinstance(lay, keras.layers.InputLayer):
            continue
        if isinstance(lay, keras.layers.Rescaling):
            ops.append(("rescale", (float(lay.scale), float(lay.offset))))
        elif isinstance(lay, keras.layers.Conv2D):
            if lay.strides != (1, 1) or lay.padding != "same" or lay.kernel_size[0] % 2 != 1:
                raise ValueError(f"{lay.name}: only stride-1 'same' convolutions with odd kernels are ported")
            k = np.asarray(lay.kernel)                      # (kh, kw, in, out)  HWIO
            conv = nn.Conv2d(k.shape[2], k.shape[3], k.shape[:2], padding=k.shape[0] // 2)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(np.transpose(k, (3, 2, 0, 1)).copy()))   # OIHW
                conv.bias.copy_(torch.from_numpy(np.asarray(lay.bias)))
            act = lay.activation.__name__
            if act == "relu":
                relu = nn.ReLU()
                ops += [("conv", conv), ("relu", relu)]
                named[lay.name] = relu
            elif act == "linear":
                ops.append(("conv", conv))
                named[lay.name] = conv
            else:
                raise ValueError(f"{lay.name}: activation {act!r} not ported")
        elif isinstance(lay, keras.layers.MaxPooling2D):
            pool = nn.MaxPool2d(lay.pool_size, lay.strides)
            ops.append(("pool", pool))
            named[lay.name] = pool
        elif isinstance(lay, keras.layers.GlobalAveragePooling2D):
            ops.append(("gap", None))
        elif isinstance(lay, keras.layers.Dense):
            w = np.asarray(lay.kernel)                      # (in, out)
            dense = nn.Linear(w.shape[0], w.shape[1])
            with torch.no_grad():
                dense.weight.copy_(torch.from_numpy(w.T.copy()))
                dense.bias.copy_(torch.from_numpy(np.asarray(lay.bias)))
            ops.append(("dense", dense))
        elif isinstance(lay, keras.layers.Activation) and lay.activation.__name__ == "softmax":
            if lay is not keras_model.layers[-1]:
                raise ValueError("a softmax before the last layer is not ported")
        else:
            raise ValueError(f"layer {lay.name} ({type(lay).__name__}) is not ported")

    class Port(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([m for kind, m in ops if isinstance(m, nn.Module)])
            self.ops = ops

        def forward(self, x):
            for kind, m in self.ops:
                if kind == "rescale":
                    x = x * m[0] + m[1]
                elif kind == "gap":
                    x = x.mean(dim=(2, 3))
                else:
                    x = m(x)
            return x

    return Port().eval(), named


def nchw(images):
    import torch

    return torch.from_numpy(np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2)), dtype=np.float32))


# ------------------------------------------------------------- metrics ----

def compare(ours, theirs):
    """Per-image Pearson r, Spearman rho and peak agreement of (N, h, w) maps; NaN where a map is constant."""
    from scipy.stats import rankdata

    a = ours.reshape(len(ours), -1).astype(np.float64)
    b = theirs.reshape(len(theirs), -1).astype(np.float64)

    def pearson(x, y):
        x = x - x.mean(axis=1, keepdims=True)
        y = y - y.mean(axis=1, keepdims=True)
        den = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (x * y).sum(axis=1) / np.where(den > 0, den, 1.0), np.nan)

    r = pearson(a, b)
    rho = pearson(rankdata(a, axis=1), rankdata(b, axis=1))
    peak = a.argmax(axis=1) == b.argmax(axis=1)
    return r, rho, peak


def row(name, ours, theirs, ours_big=None, theirs_big=None):
    r, rho, peak = compare(ours, theirs)
    big = compare(ours_big, theirs_big)[0] if ours_big is not None else None
    return {"name": name, "r_mean": np.nanmean(r), "r_min": np.nanmin(r), "rho": np.nanmean(rho),
            "peak": peak.mean(), "r64": None if big is None else np.nanmean(big), "nan": int(np.isnan(r).sum())}


def print_table(rows):
    head = f"{'our method vs library':44s} {'r mean':>7s} {'r min':>7s} {'rho mean':>8s} {'peak':>5s} {'r 64px':>7s}"
    print(head)
    print("-" * len(head))
    for x in rows:
        r64 = "" if x["r64"] is None else f"{x['r64']:.4f}"
        extra = f"  ({x['nan']} constant maps left out)" if x["nan"] else ""
        print(f"{x['name']:44s} {x['r_mean']:7.4f} {x['r_min']:7.4f} {x['rho']:8.4f} {x['peak']:5.2f} {r64:>7s}{extra}")


# ------------------------------------------------- the libraries' maps ----

class _Recorder:
    """Wrap a pytorch-grad-cam object's get_cam_image to keep its raw (N, h, w) map, before ReLU and resizing."""

    def __init__(self, cam_obj):
        self.maps = []
        inner = cam_obj.get_cam_image

        def recording(*args, **kwargs):
            out = inner(*args, **kwargs)
            self.maps.append(np.asarray(out, np.float64))
            return out

        cam_obj.get_cam_image = recording


def pytorch_grad_cam_maps(port, target, images, labels, chunk=10):
    """{method: (raw ReLU'd (N, h, w) maps, final (N, H, W) outputs)} from pytorch-grad-cam."""
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    out = {}
    for key, cls in (("gradcam", GradCAM), ("gradcam++", GradCAMPlusPlus), ("scorecam", ScoreCAM)):
        obj = cls(model=port, target_layers=[target])
        obj.batch_size = 128          # ScoreCAM's masked images per forward pass (default 16)
        rec = _Recorder(obj)
        finals = []
        for s in range(0, len(images), chunk):
            targets = [ClassifierOutputTarget(int(c)) for c in labels[s:s + chunk]]
            with contextlib.redirect_stderr(io.StringIO()):   # ScoreCAM's tqdm bars
                finals.append(obj(input_tensor=nchw(images[s:s + chunk]), targets=targets))
        obj.activations_and_grads.release()
        out[key] = (np.maximum(np.concatenate(rec.maps), 0.0), np.concatenate(finals))
    return out


def tf_keras_vis_maps(model, layer, images, labels):
    """{method: (raw ReLU'd (N, h, w), final (N, H, W))} from tf-keras-vis, plus Scorecam without ReplaceToLinear."""
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    score = CategoricalScore([int(c) for c in labels])
    out = {}
    runs = (("gradcam", Gradcam, True), ("gradcam++", GradcamPlusPlus, True), ("scorecam", Scorecam, True),
            ("scorecam, softmax model", Scorecam, False))
    for key, cls, linear in runs:
        vis = cls(model, model_modifier=ReplaceToLinear() if linear else None, clone=True)
        kw = dict(penultimate_layer=layer, seek_penultimate_conv_layer=False)
        if cls is Scorecam:
            kw["batch_size"] = 128
        with contextlib.redirect_stdout(io.StringIO()):       # Keras predict's progress bar
            raw = vis(score, images, expand_cam=False, normalize_cam=False, **kw)
            final = vis(score, images, **kw) if key != "scorecam, softmax model" else None
        out[key] = (np.asarray(raw, np.float64), None if final is None else np.asarray(final, np.float64))
    return out


# ------------------------------------------------- reproductions (numpy) ----

def resize_bilinear(a, size, align_corners):
    """(h, w, k) -> (H, W, k) bilinear.  align_corners=True is torch's UpsamplingBilinear2d and
    scipy.ndimage.zoom(order=1) (corner cells map to corner pixels); False is tf.image.resize
    (half-pixel centres, edges clamped)."""
    h, w = a.shape[:2]
    H, W = size

    def coords(n_out, n_in):
        if align_corners:
            x = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            x = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
        i0 = np.floor(x).astype(int)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, x - i0

    y0, y1, fy = coords(H, h)
    x0, x1, fx = coords(W, w)
    top = a[y0][:, x0] * (1 - fx)[None, :, None] + a[y0][:, x1] * fx[None, :, None]
    bot = a[y1][:, x0] * (1 - fx)[None, :, None] + a[y1][:, x1] * fx[None, :, None]
    return top * (1 - fy)[:, None, None] + bot * fy[:, None, None]


def masked_logits(logits_fn, image, A, align_corners, eps):
    """Logits (k, classes) of the image masked by each upsampled, min-max scaled channel of A (h, w, k).

    eps=0: a channel with max == min gives a zero mask (ours); eps > 0: (u - min) / (max - min + eps)
    (pytorch-grad-cam: 1e-8; tf-keras-vis: keras epsilon 1e-7)."""
    up = resize_bilinear(A.astype(np.float64), image.shape[:2], align_corners)
    lo, hi = up.min(axis=(0, 1)), up.max(axis=(0, 1))
    span = hi - lo
    if eps:
        masks = (up - lo) / (span + eps)
    else:
        masks = np.where(span > 0, (up - lo) / np.where(span > 0, span, 1.0), 0.0)
    masked = image[None].astype(np.float64) * np.moveaxis(masks, -1, 0)[..., None]
    return logits_fn(masked.astype(np.float32))


def softmax(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def scorecam_variant(scores, A, labels, weighting):
    """Score-CAM maps (N, h, w) from per-image masked logits scores[i] (k, classes).

    weighting: "probability" (ours, the authors' code): w_k = softmax over classes of the masked
    image's logits, at class c; "channel softmax" (pytorch-grad-cam): w = softmax over the k
    channels of the masked images' logits y^c; "double softmax": softmax over classes applied to
    the probabilities (tf-keras-vis Scorecam on a model that already ends in a softmax)."""
    maps = []
    for i, s in enumerate(scores):
        c = int(labels[i])
        if weighting == "probability":
            w = softmax(s, axis=1)[:, c]
        elif weighting == "channel softmax":
            w = softmax(s[:, c], axis=0)
        elif weighting == "double softmax":
            w = softmax(softmax(s, axis=1), axis=1)[:, c]
        else:
            raise ValueError(weighting)
        maps.append(np.einsum("hwk,k->hw", A[i], w))
    return np.maximum(np.asarray(maps), 0.0)


def gradcampp_variant(A, g, eps=0.0, normalise_alpha=False, zero_where="denominator"):
    """Grad-CAM++ maps (N, h, w) from activations A and gradients g = dy^c/dA, both (N, h, w, k).

    alpha = g^2 / (2 g^2 + sum_ab A_ab g^3 + eps); w_k = sum_ij alpha_ij ReLU(g_ij).
    Ours: eps = 0, alpha = 0 where the denominator is 0.  pytorch-grad-cam: eps = 1e-6, alpha = 0
    where g == 0.  tf-keras-vis / the authors' code: alphas divided by their spatial sum per channel."""
    g2, g3 = g * g, g * g * g
    S = A.sum(axis=(1, 2), keepdims=True)
    den = 2 * g2 + S * g3 + eps
    if zero_where == "denominator":
        alpha = np.where(den != 0, g2 / np.where(den != 0, den, 1.0), 0.0)
    else:
        alpha = np.where(g != 0, g2 / np.where(den != 0, den, 1.0), 0.0)
    if normalise_alpha:
        tot = alpha.sum(axis=(1, 2), keepdims=True)
        alpha = alpha / np.where(tot == 0, 1.0, tot)
    w = (alpha * np.maximum(g, 0)).sum(axis=(1, 2))             # (N, k)
    return np.maximum(np.einsum("nhwk,nk->nhw", A, w), 0.0)


# ----------------------------------------------------------------- main ----

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100, help="held-out images (default 100)")
    args = ap.parse_args(argv)
    if args.n < 2:
        ap.error("--n must be at least 2")

    require_libraries()
    import keras
    import tensorflow as tf
    import torch

    from helpers import cam, shapes
    from helpers.models import load_model, logits_model

    torch.set_grad_enabled(True)
    # tf-keras-vis's Scorecam calls predict with a list of one array.
    warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")
    t0 = time.perf_counter()
    print("versions:", versions())
    card = load_model("shapesnet", verbose=False)
    model = card.model
    layer = cam.default_layer(card)
    images, labels, _ = shapes.make_shapes(args.n, seed=shapes.HELDOUT_SEED)
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels, np.int64)
    x = card.preprocess(images)

    # 1. the port
    port, named = torch_port(model)
    logits_k = np.asarray(logits_model(model).predict(x, verbose=0), np.float64)
    with torch.no_grad():
        logits_t = port(nchw(x)).numpy().astype(np.float64)
    diff = float(np.abs(logits_k - logits_t).max())
    print(f"port: {args.n} held-out images (seed {shapes.HELDOUT_SEED}), layer {layer!r}; "
          f"max |logit Keras - logit torch| = {diff:.2e} (logits up to {np.abs(logits_k).max():.1f}); "
          f"same argmax: {np.mean(logits_k.argmax(1) == logits_t.argmax(1)):.2f}; "
          f"accuracy {np.mean(logits_k.argmax(1) == labels):.2f}")
    if diff > 1e-3:
        sys.exit("the torch port does not match the Keras model (difference above 1e-3): not comparing maps.")

    # 2. our maps, raw (ReLU'd, not normalised) at the feature-map resolution
    cls = labels[:, None]
    ours = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in ("gradcam", "gradcam++", "scorecam"):
            ours[m] = np.asarray(cam.grad_cam(card, images, cls, method=m, normalize=False)[:, 0], np.float64)

    pt = pytorch_grad_cam_maps(port, named[layer], x, labels)
    tk = tf_keras_vis_maps(model, layer, x, labels)

    from pytorch_grad_cam.utils.image import scale_cam_image
    from scipy.ndimage import zoom
    from tf_keras_vis.utils import normalize as tkv_normalize

    size = images.shape[1:3]

    def big_pt(m):        # ours resized and scaled as pytorch-grad-cam does (cv2 bilinear, min-max twice)
        return scale_cam_image(scale_cam_image(m.astype(np.float32), size[::-1]))

    def big_tk(m):        # ours resized and scaled as tf-keras-vis does (scipy zoom order 1, min-max)
        f = (1.0,) + tuple(t / s for s, t in zip(m.shape[1:], size))
        return tkv_normalize(zoom(m, f, order=1))

    names = {"gradcam": ("Grad-CAM", "GradCAM", "Gradcam"),
             "gradcam++": ("Grad-CAM++", "GradCAMPlusPlus", "GradcamPlusPlus"),
             "scorecam": ("Score-CAM", "ScoreCAM", "Scorecam")}
    rows = []
    for m, (ours_name, pt_name, tk_name) in names.items():
        rows.append(row(f"{ours_name} vs pytorch-grad-cam {pt_name}", ours[m], pt[m][0], big_pt(ours[m]), pt[m][1]))
        rows.append(row(f"{ours_name} vs tf-keras-vis {tk_name}", ours[m], tk[m][0], big_tk(ours[m]), tk[m][1]))
    rows.append(row("Score-CAM vs tf-keras-vis Scorecam, no ReplaceToLinear", ours["scorecam"],
                    tk["scorecam, softmax model"][0]))
    print()
    print(f"{args.n} held-out ShapesNet images, true class, layer {layer} (8 x 8 x 128); per-image Pearson r,")
    print("Spearman rho at 8 x 8 (after ReLU, before resizing); peak = same argmax cell; r 64px = the library's")
    print("final output vs ours resized and scaled by the library's own function")
    print_table(rows)

    # 4. reproductions from the Keras model's activations and gradients
    split = keras.Model(model.inputs, [model.get_layer(layer).output, logits_model(model).outputs[0]])
    with tf.GradientTape() as tape:
        A_t, lg = split(tf.constant(x), training=False)
        sel = tf.gather(lg, tf.constant(labels), batch_dims=1)
    g = tape.gradient(sel, A_t).numpy().astype(np.float64)
    A = A_t.numpy().astype(np.float64)
    logit_model = logits_model(model)

    def logits_fn(batch):
        return np.asarray(logit_model.predict(card.preprocess(batch), batch_size=128, verbose=0), np.float64)

    print()
    print("reproductions: each library's formula as a small change to ours (numpy, from the Keras model);")
    print("mean / min Pearson r at 8 x 8 with the library's map and with ours")

    def show(what, mine, lib):
        r_lib, _, _ = compare(mine, lib)
        r_our, _, _ = compare(mine, ours[what[0]])
        print(f"  {what[1]:74s} lib {np.nanmean(r_lib):.4f} / {np.nanmin(r_lib):.4f}   "
              f"ours {np.nanmean(r_our):.4f} / {np.nanmin(r_our):.4f}")

    gc = np.maximum(np.einsum("nhwk,nk->nhw", A, g.mean(axis=(1, 2))), 0.0)
    show(("gradcam", "Grad-CAM, ours re-done: w = mean(g)  [vs pytorch-grad-cam]"), gc, pt["gradcam"][0])
    gpp = gradcampp_variant(A, g)
    show(("gradcam++", "Grad-CAM++, ours re-done (eps 0)  [vs pytorch-grad-cam]"), gpp, pt["gradcam++"][0])
    show(("gradcam++", "Grad-CAM++ + eps 1e-6 in the denominator  [vs pytorch-grad-cam]"),
         gradcampp_variant(A, g, eps=1e-6, zero_where="g"), pt["gradcam++"][0])
    show(("gradcam++", "Grad-CAM++ with alphas / their spatial sum  [vs tf-keras-vis]"),
         gradcampp_variant(A, g, normalise_alpha=True), tk["gradcam++"][0])
    gmag = np.abs(g[g != 0])
    print(f"  (|dy/dA| at {layer}: median {np.median(gmag):.2e}, max {gmag.max():.2e}, so g^2 is "
          f"{np.median(gmag) ** 2:.1e} .. {gmag.max() ** 2:.1e} against eps = 1e-6)")

    variants = {}
    for align in (False, True):
        for eps in ((0.0,) if not align else (0.0, 1e-8, 1e-7)):
            variants[(align, eps)] = [masked_logits(logits_fn, images[i], A[i], align, eps) for i in range(len(x))]
    sc = lambda key, w: scorecam_variant(variants[key], A, labels, w)  # noqa: E731
    show(("scorecam", "Score-CAM, ours re-done: probability, half-pixel masks  [vs ours]"),
         sc((False, 0.0), "probability"), ours["scorecam"])
    show(("scorecam", "softmax over channels of y^c, half-pixel masks  [vs pytorch-grad-cam]"),
         sc((False, 0.0), "channel softmax"), pt["scorecam"][0])
    show(("scorecam", "probability, align-corners masks  [vs pytorch-grad-cam]"),
         sc((True, 1e-8), "probability"), pt["scorecam"][0])
    show(("scorecam", "softmax over channels, align-corners masks, +1e-8  [vs pytorch-grad-cam]"),
         sc((True, 1e-8), "channel softmax"), pt["scorecam"][0])
    show(("scorecam", "probability, align-corners masks, +1e-7  [vs tf-keras-vis Scorecam]"),
         sc((True, 1e-7), "probability"), tk["scorecam"][0])
    show(("scorecam", "softmax of the probabilities, align-corners, +1e-7  [vs tkv no ReplaceToLinear]"),
         sc((True, 1e-7), "double softmax"), tk["scorecam, softmax model"][0])
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
