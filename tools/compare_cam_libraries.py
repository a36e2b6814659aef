"""Our Grad-CAM, Grad-CAM++ and Score-CAM against pytorch-grad-cam and tf-keras-vis (maintainers only).

Not part of the course, not run in CI, not a dependency: it needs torch,
``grad-cam`` (pytorch-grad-cam) and ``tf-keras-vis`` next to the course's own
packages, and stops with the missing package's name and its pip command.
Install them in a scratch virtual environment, not in the course's .venv:

    python3.11 -m venv /tmp/camcmp && . /tmp/camcmp/bin/activate
    pip install -e .                          # the course (TensorFlow, Keras)
    pip install torch torchvision grad-cam tf-keras-vis
    python tools/compare_cam_libraries.py [--n 100]         # ShapesNet, ~4 min
    python tools/compare_cam_libraries.py --model efficientnet_lite0   # 25-40 min

(torch and torchvision must come from the same build: pytorch-grad-cam
imports torchvision at import time, and a CPU torch beside PyPI's CUDA
torchvision fails with "operator torchvision::nms does not exist".)

What it does:

1. Ports the Keras model to an equivalent ``torch.nn.Module`` (conv kernels
   HWIO -> OIHW, depthwise kernels, Dense transposed, TensorFlow's 'same'
   padding, BatchNorm as its inference affine map, GAP as a mean over H, W;
   no softmax: it returns the logits) and prints the largest logit
   difference.  ShapesNet: ``make_shapes(n, seed=shapes.HELDOUT_SEED)``, the
   true class; EfficientNet-Lite0: the 4 sample photos, the top-1 class.
2. At ``cam.default_layer`` (ShapesNet: the post-ReLU ``block4_conv2``,
   8 x 8 x 128) computes ``helpers.cam.grad_cam`` for Grad-CAM, Grad-CAM++,
   Score-CAM (``COMPARED``, from the registry); pytorch-grad-cam's GradCAM, GradCAMPlusPlus, ScoreCAM on the
   port (``ClassifierOutputTarget``: the logit; the port takes pixels, its
   preprocessing inside, so ScoreCAM masks pixels as ours does; where the
   card has a preprocessing step, ScoreCAM again on a port taking the
   normalised input, the usual torch set-up); tf-keras-vis's Gradcam,
   GradcamPlusPlus, Scorecam on the Keras model with ``ReplaceToLinear`` (the
   logit; Scorecam applies its own softmax, so its score is the probability),
   and Scorecam without ``ReplaceToLinear``, as tf-keras-vis's docstring
   recommends for Scorecam.
3. Per image, Pearson r and Spearman rho between our map and the library's at
   the feature-map resolution (both after the ReLU, before resizing; scaling
   changes neither), whether the argmax cell agrees ("peak"), and "r px":
   the library's final output (resized to the input, min-max scaled) against
   ours resized and scaled by the library's own function.
4. Re-implements each library's formula as a small change to ours (numpy,
   from the Keras model's activations, gradients and logits) and prints its
   r with the library's map (1.0000 when the change explains the gap) and
   with ours.

The differences, in the libraries' source (grad-cam 1.5.7, tf-keras-vis 0.8.7):

* pytorch-grad-cam ScoreCAM (score_cam.py): line 56 ``weights =
  torch.nn.Softmax(dim=-1)(scores)``, a softmax over the channels of the
  masked images' logits (ours: the class probability of each masked image,
  a softmax over the classes); line 24 ``UpsamplingBilinear2d`` (aligned
  corners; ours: tf.image.resize, half-pixel centres); line 37 ``+ 1e-8``;
  line 39 masks ``input_tensor``, i.e. whatever the model takes.
* pytorch-grad-cam GradCAMPlusPlus (grad_cam_plusplus.py): line 26
  ``eps = 0.000001`` in the denominator of line 27; line 31 zeroes alpha where
  g == 0.  With a GAP + Dense head g is constant in each channel (printed:
  spread 0), so this only changes a per-channel factor.
* tf-keras-vis GradcamPlusPlus (gradcam_plus_plus.py): lines 122-127 divide
  the alphas by their spatial sum (on a GAP + Dense head: Grad-CAM with the
  negative channel weights dropped).
* tf-keras-vis Scorecam (scorecam.py): line 125 ``zoom(..., order=1,
  mode='nearest')`` (aligned corners); line 137 ``+ K.epsilon()``; line 150
  masks the seed input (the model input); line 165 ``score(K.softmax(p))``:
  on a model that ends in a softmax (no ReplaceToLinear) that is a softmax of
  the probabilities.
* Grad-CAM: no difference (r = 1.0000).

Measured on this course's 2-core CPU machine, output verbatim:

    $ python tools/compare_cam_libraries.py --n 100
    versions: tensorflow-cpu 2.21.0, keras 3.15.1, torch 2.13.0+cpu, torchvision 0.28.0, grad-cam 1.5.7, tf-keras-vis 0.8.7, numpy 2.4.6, scipy 1.17.1, opencv-python-headless 5.0.0.93
    port: 100 held-out ShapesNet images (seed 12345), true class; layer 'block4_conv2' (8, 8, 128)
      max |logit Keras - logit torch| = 4.29e-06 (|logits| up to 11.5); same argmax: 1.00; Keras argmax = target class: 0.98

    100 held-out ShapesNet images (seed 12345), true class; layer block4_conv2 (8, 8, 128).
    Per image: Pearson r and Spearman rho between our map and the library's at the feature-map
    resolution (after the ReLU, before resizing); peak = same argmax cell; r px = the library's
    output (resized to the input, min-max scaled) vs ours resized and scaled by its own function.
    our method vs library                             r mean   r min rho mean  peak    r px
    ---------------------------------------------------------------------------------------
    Grad-CAM vs pytorch-grad-cam GradCAM              1.0000  1.0000   1.0000  1.00  1.0000
    Grad-CAM vs tf-keras-vis Gradcam                  1.0000  1.0000   1.0000  1.00  1.0000
    Grad-CAM++ vs pytorch-grad-cam GradCAMPlusPlus    0.9999  0.9995   0.9994  0.98  0.9999
    Grad-CAM++ vs tf-keras-vis GradcamPlusPlus        1.0000  0.9997   0.9998  0.98  1.0000
    Score-CAM vs pytorch-grad-cam ScoreCAM            0.9893  0.9118   0.9866  0.73  0.9906
    Score-CAM vs tf-keras-vis Scorecam                0.9989  0.9855   0.9979  0.90  0.9989
      the same without ReplaceToLinear                0.9932  0.7229   0.9903  0.78

    Reproductions: the library's formula as a small change to ours (numpy, from the Keras model's
    activations, gradients and logits); Pearson r mean / min with the library's map and with ours.
      Grad-CAM: w = mean of g  [lib: pytorch-grad-cam]                             lib 1.0000 / 1.0000   ours 1.0000 / 1.0000
      Grad-CAM++ as ours (no eps)  [lib: pytorch-grad-cam]                         lib 0.9999 / 0.9995   ours 1.0000 / 1.0000
      Grad-CAM++ with + 1e-6 in the denominator  [lib: pytorch-grad-cam]           lib 1.0000 / 1.0000   ours 0.9999 / 0.9995
      Grad-CAM++ with alphas / their spatial sum  [lib: tf-keras-vis]              lib 1.0000 / 1.0000   ours 1.0000 / 0.9997
        (g = dy^c/dA at block4_conv2: |g| median 2.1e-03, max 5.7e-03, so g^2 4e-06 .. 3e-05 vs eps 1e-6; largest spatial spread of g in a channel 0.0e+00)
      Score-CAM as ours: probability, half-pixel masks  [lib: ours]                lib 1.0000 / 1.0000   ours 1.0000 / 1.0000
      softmax over channels of y^c, masks as ours  [pytorch-grad-cam]              lib 0.9969 / 0.9637   ours 0.9907 / 0.9278
      probability, masks align-corners + 1e-8  [pytorch-grad-cam]                  lib 0.9913 / 0.9316   ours 0.9989 / 0.9855
      softmax over channels, masks align-corners + 1e-8  [pytorch-grad-cam]        lib 1.0000 / 1.0000   ours 0.9893 / 0.9118
      probability, masks align-corners + 1e-7  [tf-keras-vis]                      lib 1.0000 / 1.0000   ours 0.9989 / 0.9855
      softmax of the probabilities, the same masks  [tkv, no ReplaceToLinear]      lib 1.0000 / 1.0000   ours 0.9932 / 0.7229

    216 s

    $ python tools/compare_cam_libraries.py --model efficientnet_lite0
    versions: tensorflow-cpu 2.21.0, keras 3.15.1, torch 2.13.0+cpu, torchvision 0.28.0, grad-cam 1.5.7, tf-keras-vis 0.8.7, numpy 2.4.6, scipy 1.17.1, opencv-python-headless 5.0.0.93
    port: efficientnet_lite0: the 4 sample photos ['astronaut', 'cat', 'coffee', 'rocket'], top-1 class; layer 'top_activation' (7, 7, 1280)
      max |logit Keras - logit torch| = 5.86e-06 (|logits| up to 10.5); same argmax: 1.00; Keras argmax = target class: 1.00

    efficientnet_lite0: the 4 sample photos ['astronaut', 'cat', 'coffee', 'rocket'], top-1 class; layer top_activation (7, 7, 1280).
    Per image: Pearson r and Spearman rho between our map and the library's at the feature-map
    resolution (after the ReLU, before resizing); peak = same argmax cell; r px = the library's
    output (resized to the input, min-max scaled) vs ours resized and scaled by its own function.
    our method vs library                             r mean   r min rho mean  peak    r px
    ---------------------------------------------------------------------------------------
    Grad-CAM vs pytorch-grad-cam GradCAM              1.0000  1.0000   1.0000  1.00  1.0000
    Grad-CAM vs tf-keras-vis Gradcam                  1.0000  1.0000   1.0000  1.00  1.0000
    Grad-CAM++ vs pytorch-grad-cam GradCAMPlusPlus    0.9997  0.9993   0.9985  1.00  0.9997
    Grad-CAM++ vs tf-keras-vis GradcamPlusPlus        0.9999  0.9998   0.9993  1.00  0.9999
    Score-CAM vs pytorch-grad-cam ScoreCAM            0.9810  0.9643   0.9751  0.50  0.9820
      the same, port without the preprocessing        0.9299  0.8454   0.9339  0.50  0.9281
    Score-CAM vs tf-keras-vis Scorecam                0.9146  0.8155   0.9229  0.50  0.8948
      the same without ReplaceToLinear                0.8405  0.5080   0.8444  0.50

    Reproductions: the library's formula as a small change to ours (numpy, from the Keras model's
    activations, gradients and logits); Pearson r mean / min with the library's map and with ours.
      Grad-CAM: w = mean of g  [lib: pytorch-grad-cam]                             lib 1.0000 / 1.0000   ours 1.0000 / 1.0000
      Grad-CAM++ as ours (no eps)  [lib: pytorch-grad-cam]                         lib 0.9997 / 0.9993   ours 1.0000 / 1.0000
      Grad-CAM++ with + 1e-6 in the denominator  [lib: pytorch-grad-cam]           lib 1.0000 / 1.0000   ours 0.9997 / 0.9993
      Grad-CAM++ with alphas / their spatial sum  [lib: tf-keras-vis]              lib 1.0000 / 1.0000   ours 0.9999 / 0.9998
        (g = dy^c/dA at top_activation: |g| median 9.0e-04, max 5.8e-03, so g^2 8e-07 .. 3e-05 vs eps 1e-6; largest spatial spread of g in a channel 0.0e+00)
      Score-CAM as ours: probability, half-pixel masks  [lib: ours]                lib 1.0000 / 1.0000   ours 1.0000 / 1.0000
      softmax over channels of y^c, masks as ours  [pytorch-grad-cam]              lib 0.9860 / 0.9652   ours 0.9821 / 0.9630
      probability, masks align-corners + 1e-8  [pytorch-grad-cam]                  lib 0.9789 / 0.9402   ours 0.9862 / 0.9709
      softmax over channels, masks align-corners + 1e-8  [pytorch-grad-cam]        lib 1.0000 / 1.0000   ours 0.9810 / 0.9643
      the same, masking the normalised input  [pytorch-grad-cam, no preproc.]      lib 1.0000 / 1.0000   ours 0.9299 / 0.8454
      probability, masking the normalised input  [pytorch-grad-cam, no preproc.]   lib 0.9919 / 0.9862   ours 0.9146 / 0.8155
      probability, masks align-corners + 1e-7, normalised input  [tf-keras-vis]    lib 1.0000 / 1.0000   ours 0.9146 / 0.8155
      softmax of the probabilities, the same masks  [tkv, no ReplaceToLinear]      lib 1.0000 / 1.0000   ours 0.8405 / 0.5080

    1500 s
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
from helpers.cam import REGISTRY  # noqa: E402  (no TensorFlow at import)

#: The methods compared: the class names in pytorch-grad-cam and tf-keras-vis, keyed by the
#: method's title in our registry (helpers.cam.methods); our names come from the registry.
LIBRARY_CLASSES = {"Grad-CAM": ("GradCAM", "Gradcam"), "Grad-CAM++": ("GradCAMPlusPlus", "GradcamPlusPlus"),
                   "Score-CAM": ("ScoreCAM", "Scorecam")}
_OURS = {m.title: name for name, m in REGISTRY.items()}
GRADCAM, GRADCAM_PP, SCORECAM = COMPARED = tuple(_OURS[t] for t in LIBRARY_CLASSES)

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

def _same_pad(x, k, s):
    """TensorFlow's 'same' padding: total = max((ceil(n / s) - 1) * s + k - n, 0), the odd pixel after."""
    import math

    import torch.nn.functional as F

    h, w = x.shape[2], x.shape[3]
    ph = max((math.ceil(h / s[0]) - 1) * s[0] + k[0] - h, 0)
    pw = max((math.ceil(w / s[1]) - 1) * s[1] + k[1] - w, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


def _port_layer(lay, last):
    """One Keras layer -> an nn.Module computing the same function on NCHW tensors (None: identity)."""
    import keras
    import torch
    import torch.nn.functional as F
    from torch import nn

    def t(a):
        return torch.from_numpy(np.asarray(a, np.float32).copy())

    def activation(name):
        if name == "relu":
            return torch.relu
        if name == "linear":
            return lambda x: x
        raise ValueError(f"{lay.name}: activation {name!r} is not ported")

    class Op(nn.Module):
        def __init__(self, fn, **tensors):
            super().__init__()
            self.fn = fn
            for key, value in tensors.items():      # parameters (requiring grad, as in any torch model):
                setattr(self, key, nn.Parameter(value))   # pytorch-grad-cam reads the device from them

        def forward(self, *xs):
            return self.fn(self, *xs)

    if isinstance(lay, (keras.layers.Dropout,)):
        return None
    if isinstance(lay, keras.layers.Rescaling):
        scale, offset = float(lay.scale), float(lay.offset)
        return Op(lambda m, x: x * scale + offset)
    if isinstance(lay, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
        if lay.dilation_rate != (1, 1) or lay.data_format != "channels_last":
            raise ValueError(f"{lay.name}: dilation / channels_first not ported")
        k = np.asarray(lay.kernel)
        if isinstance(lay, keras.layers.DepthwiseConv2D):    # (kh, kw, C, mult) -> (C * mult, 1, kh, kw)
            weight, groups = np.transpose(k, (2, 3, 0, 1)).reshape(-1, 1, *k.shape[:2]), k.shape[2]
        else:                                                # HWIO -> OIHW
            weight, groups = np.transpose(k, (3, 2, 0, 1)), 1
        bias = t(lay.bias) if lay.use_bias else torch.zeros(weight.shape[0])
        act, ks, st, same = activation(lay.activation.__name__), lay.kernel_size, lay.strides, lay.padding == "same"

        def conv(m, x):
            x = _same_pad(x, ks, st) if same else x
            return act(F.conv2d(x, m.weight, m.bias, stride=st, groups=groups))
        return Op(conv, weight=t(weight), bias=bias)
    if isinstance(lay, keras.layers.BatchNormalization):      # inference: an affine map per channel
        C = lay.moving_mean.shape[0]
        gamma = np.asarray(lay.gamma) if lay.scale else np.ones(C)
        beta = np.asarray(lay.beta) if lay.center else np.zeros(C)
        scale = gamma / np.sqrt(np.asarray(lay.moving_variance, np.float64) + lay.epsilon)
        shift = beta - np.asarray(lay.moving_mean, np.float64) * scale
        return Op(lambda m, x: x * m.scale[None, :, None, None] + m.shift[None, :, None, None],
                  scale=t(scale), shift=t(shift))
    if isinstance(lay, keras.layers.ReLU):
        if float(lay.negative_slope) != 0.0 or float(lay.threshold) != 0.0:
            raise ValueError(f"{lay.name}: leaky / thresholded ReLU not ported")
        top = None if lay.max_value is None else float(lay.max_value)
        return Op(lambda m, x: torch.clamp(x, min=0.0, max=top))
    if isinstance(lay, keras.layers.Activation):
        name = lay.activation.__name__
        if name == "softmax":
            if not last:
                raise ValueError("a softmax before the last layer is not ported")
            return None                                      # the port returns the logits
        fn = activation(name)
        return Op(lambda m, x: fn(x))
    if isinstance(lay, keras.layers.Add):
        return Op(lambda m, *xs: sum(xs))
    if isinstance(lay, keras.layers.MaxPooling2D):
        if lay.padding != "valid":
            raise ValueError(f"{lay.name}: only 'valid' max pooling is ported")
        pool = nn.MaxPool2d(lay.pool_size, lay.strides)
        return Op(lambda m, x: pool(x))
    if isinstance(lay, keras.layers.GlobalAveragePooling2D):  # a mean over H, W: no channel order to fix
        return Op(lambda m, x: x.mean(dim=(2, 3)))
    if isinstance(lay, keras.layers.Dense):
        return Op(lambda m, x: F.linear(x, m.weight, m.bias), weight=t(np.asarray(lay.kernel).T), bias=t(lay.bias))
    raise ValueError(f"layer {lay.name} ({type(lay).__name__}) is not ported")


def torch_port(keras_model, input_affine=None):
    """An equivalent torch module of a functional Keras convnet, returning the logits.

    Walks the Keras graph (every layer called once): Conv2D / DepthwiseConv2D
    (kernels HWIO -> OIHW, depthwise (kh, kw, C, 1) -> (C, 1, kh, kw),
    TensorFlow's asymmetric 'same' padding), BatchNormalization (inference
    affine), ReLU / ReLU6, Add, MaxPooling2D, GlobalAveragePooling2D (a mean
    over H, W, so channels-first vs channels-last needs no reordering),
    Dense (kernel transposed), Rescaling; Dropout is the identity and the
    final softmax is dropped.  Each Keras layer becomes one submodule, so a
    hook on ``named[layer]`` sees exactly that layer's output.

    Args:
        keras_model: the Keras model (input NHWC).
        input_affine: optional (a, b): the module first computes a * x + b
            (the card's preprocessing, when it is affine), so it takes pixels.
    Returns:
        (module: (N, C, H, W) float32 -> (N, classes) logits, {layer name: submodule}).
    """
    import keras
    from torch import nn

    steps, named = [], {}
    last = keras_model.layers[-1]
    for lay in keras_model.layers:
        if isinstance(lay, keras.layers.InputLayer):
            continue
        if len(lay._inbound_nodes) != 1:
            raise ValueError(f"layer {lay.name} is called {len(lay._inbound_nodes)} times: not ported")
        node = lay._inbound_nodes[0]
        module = _port_layer(lay, lay is last)
        steps.append((lay.name, [id(x) for x in node.input_tensors], id(node.output_tensors[0])))
        named[lay.name] = module if module is not None else nn.Identity()
    in_id, out_id = id(keras_model.inputs[0]), id(keras_model.outputs[0])

    class Port(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict(named)

        def forward(self, x):
            if input_affine is not None:
                x = x * input_affine[0] + input_affine[1]
            values = {in_id: x}
            for name, ins, out in steps:
                values[out] = self.layers[name](*[values[i] for i in ins])
            return values[out_id]

    return Port().eval(), named


def affine_of(preprocess):
    """(a, b) with preprocess(x) == a * x + b, or None if the card's preprocessing is not affine."""
    probe = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    b = np.asarray(preprocess(np.zeros_like(probe)), np.float64)
    a = np.asarray(preprocess(np.ones_like(probe)), np.float64) - b
    if np.ptp(a) > 1e-6 or np.ptp(b) > 1e-6:
        return None
    a, b = float(a.flat[0]), float(b.flat[0])
    ok = np.allclose(preprocess(probe), a * probe + b, atol=1e-4)
    return (a, b) if ok else None


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
    head = f"{'our method vs library':48s} {'r mean':>7s} {'r min':>7s} {'rho mean':>8s} {'peak':>5s} {'r px':>7s}"
    print(head)
    print("-" * len(head))
    for x in rows:
        r64 = "" if x["r64"] is None else f"{x['r64']:.4f}"
        extra = f"  ({x['nan']} constant maps left out)" if x["nan"] else ""
        print(f"{x['name']:48s} {x['r_mean']:7.4f} {x['r_min']:7.4f} {x['rho']:8.4f} {x['peak']:5.2f} {r64:>7s}{extra}")


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


def pytorch_grad_cam_maps(port, target, x, labels, methods=COMPARED, chunk=10,
                          batch_size=128):
    """{method: (raw ReLU'd (N, h, w) maps, final (N, H, W) outputs)} from pytorch-grad-cam.

    x: (N, H, W, C) what the port takes; labels: (N,) the target class (ClassifierOutputTarget: the logit)."""
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    classes = {_OURS[t]: getattr(pytorch_grad_cam, pt) for t, (pt, _) in LIBRARY_CLASSES.items()}
    out = {}
    for key in methods:
        obj = classes[key](model=port, target_layers=[target])
        obj.batch_size = batch_size   # ScoreCAM's masked images per forward pass (default 16)
        rec = _Recorder(obj)
        finals = []
        for s in range(0, len(x), chunk):
            targets = [ClassifierOutputTarget(int(c)) for c in labels[s:s + chunk]]
            with contextlib.redirect_stderr(io.StringIO()):   # ScoreCAM's tqdm bars
                finals.append(obj(input_tensor=nchw(x[s:s + chunk]), targets=targets))
        obj.activations_and_grads.release()
        out[key] = (np.maximum(np.concatenate(rec.maps), 0.0), np.concatenate(finals))
    return out


def tf_keras_vis_maps(model, layer, x, labels, chunk=100, batch_size=128):
    """{method: (raw ReLU'd (N, h, w), final (N, H, W) or None)} from tf-keras-vis on the Keras model.

    With ReplaceToLinear (the score is the logit; Scorecam takes its own softmax over the classes,
    so its score is the probability), and Scorecam once more without it (the model's softmax, then
    Scorecam's: a softmax of the probabilities), as tf-keras-vis's docstring recommends for Scorecam."""
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.scorecam import Scorecam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    out = {}
    tkv = {"Gradcam": Gradcam, "GradcamPlusPlus": GradcamPlusPlus, "Scorecam": Scorecam}
    runs = tuple((_OURS[t], tkv[tk], True) for t, (_, tk) in LIBRARY_CLASSES.items()) + (
        ("scorecam, softmax model", Scorecam, False),)
    for key, cls, linear in runs:
        vis = cls(model, model_modifier=ReplaceToLinear() if linear else None, clone=True)
        kw = dict(penultimate_layer=layer, seek_penultimate_conv_layer=False)
        if cls is Scorecam:
            kw["batch_size"] = batch_size
        raws, finals = [], []
        for s in range(0, len(x), chunk):
            score = CategoricalScore([int(c) for c in labels[s:s + chunk]])
            with contextlib.redirect_stdout(io.StringIO()):   # Keras predict's progress bar
                raws.append(np.asarray(vis(score, x[s:s + chunk], expand_cam=False, normalize_cam=False, **kw),
                                       np.float64).reshape(-1, *model.get_layer(layer).output.shape[1:3]))
                if linear:
                    finals.append(np.asarray(vis(score, x[s:s + chunk], **kw), np.float64).reshape(
                        -1, *x.shape[1:3]))
        out[key] = (np.concatenate(raws), np.concatenate(finals) if finals else None)
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


def masked_logits(logits_fn, base, A, align_corners, eps, chunk=128):
    """Logits (k, classes) of ``base`` (H, W, C) masked by each upsampled, min-max scaled channel of A (h, w, k).

    base: the raw image (ours; logits_fn then preprocesses) or the preprocessed model input
    (pytorch-grad-cam and tf-keras-vis mask the tensor they are given).
    eps=0: a channel with max == min gives a zero mask (ours); eps > 0: (u - min) / (max - min + eps)
    (pytorch-grad-cam: 1e-8; tf-keras-vis: keras epsilon 1e-7)."""
    up = resize_bilinear(A.astype(np.float64), base.shape[:2], align_corners)
    lo, hi = up.min(axis=(0, 1)), up.max(axis=(0, 1))
    span = hi - lo
    if eps:
        masks = (up - lo) / (span + eps)
    else:
        masks = np.where(span > 0, (up - lo) / np.where(span > 0, span, 1.0), 0.0)
    masks = np.moveaxis(masks, -1, 0)[..., None]
    return np.concatenate([logits_fn((base[None] * masks[s:s + chunk]).astype(np.float32))
                           for s in range(0, len(masks), chunk)])


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


def load_images(card, n):
    """(images (N, H, W, 3) 0..255, target classes (N,), description)."""
    from helpers import shapes

    if card.name == "shapesnet":
        images, labels, _ = shapes.make_shapes(n, seed=shapes.HELDOUT_SEED)
        return (np.asarray(images, np.float32), np.asarray(labels, np.int64),
                f"{n} held-out ShapesNet images (seed {shapes.HELDOUT_SEED}), true class")
    photos = card.sample_images()
    images = np.stack([photos[k] for k in sorted(photos)]).astype(np.float32)
    labels = card.predict(images).argmax(axis=1)
    return images, labels, f"{card.name}: the {len(images)} sample photos {sorted(photos)}, top-1 class"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="shapesnet", choices=("shapesnet", "efficientnet_lite0"),
                    help="the network (default shapesnet; efficientnet_lite0 uses its 4 sample photos)")
    ap.add_argument("--n", type=int, default=100, help="held-out ShapesNet images (default 100)")
    args = ap.parse_args(argv)
    if args.n < 2:
        ap.error("--n must be at least 2")

    require_libraries()
    import keras
    import tensorflow as tf
    import torch

    from helpers import cam
    from helpers.models import load_model, logits_model

    torch.set_grad_enabled(True)
    # tf-keras-vis's Scorecam calls predict with a list of one array.
    warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")
    t0 = time.perf_counter()
    print("versions:", versions())
    card = load_model(args.model, verbose=False)
    model = card.model
    layer = cam.default_layer(card)
    images, labels, desc = load_images(card, args.n)
    x = np.asarray(card.preprocess(images), np.float32)
    big = args.model != "shapesnet"
    fmap = tuple(model.get_layer(layer).output.shape[1:])

    # 1. the port: one taking pixels (the card's affine preprocessing inside), one taking the model input
    affine = affine_of(card.preprocess)
    if affine is None:
        sys.exit(f"{card.name}'s preprocessing is not affine: the port cannot take pixels.")
    identity = affine == (1.0, 0.0)
    port_px, named_px = torch_port(model, None if identity else affine)
    logits_k = np.asarray(logits_model(model).predict(x, verbose=0), np.float64)
    with torch.no_grad():
        logits_t = port_px(nchw(images)).numpy().astype(np.float64)
    diff = float(np.abs(logits_k - logits_t).max())
    print(f"port: {desc}; layer {layer!r} {fmap}")
    print(f"  max |logit Keras - logit torch| = {diff:.2e} (|logits| up to {np.abs(logits_k).max():.1f}); "
          f"same argmax: {np.mean(logits_k.argmax(1) == logits_t.argmax(1)):.2f}; "
          f"Keras argmax = target class: {np.mean(logits_k.argmax(1) == labels):.2f}")
    if diff > 1e-3:
        sys.exit("the torch port does not match the Keras model (difference above 1e-3): not comparing maps.")

    # 2. the maps at the feature-map resolution, after the ReLU, not normalised
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = {m: np.asarray(cam.grad_cam(card, images, labels, method=m, normalize=False,
                                           max_batch=64), np.float64)
                for m in COMPARED}
    chunk, batch = (1, 64) if big else (10, 128)
    pt = pytorch_grad_cam_maps(port_px, named_px[layer], images, labels, chunk=chunk, batch_size=batch)
    if not identity:   # the usual torch set-up: normalisation outside the model, so ScoreCAM masks the normalised input
        port_in, named_in = torch_port(model)
        pt["scorecam, normalised input"] = pytorch_grad_cam_maps(port_in, named_in[layer], x, labels, (SCORECAM,),
                                                                 chunk=chunk, batch_size=batch)[SCORECAM]
    tk = tf_keras_vis_maps(model, layer, x, labels, chunk=1 if big else 100, batch_size=batch)

    from pytorch_grad_cam.utils.image import scale_cam_image
    from scipy.ndimage import zoom
    from tf_keras_vis.utils import normalize as tkv_normalize

    size = images.shape[1:3]

    def big_pt(m):        # ours resized and scaled as pytorch-grad-cam does (cv2 bilinear, min-max twice)
        return scale_cam_image(scale_cam_image(m.astype(np.float32), size[::-1]))

    def big_tk(m):        # ours resized and scaled as tf-keras-vis does (scipy zoom order 1, min-max)
        return tkv_normalize(zoom(m, (1.0,) + tuple(t / s for s, t in zip(m.shape[1:], size)), order=1))

    rows = []
    for ours_name, (pt_name, tk_name) in LIBRARY_CLASSES.items():
        m = _OURS[ours_name]
        rows.append(row(f"{ours_name} vs pytorch-grad-cam {pt_name}", ours[m], pt[m][0], big_pt(ours[m]), pt[m][1]))
        if m == SCORECAM and not identity:   # the one compared method that masks the input
            rows.append(row("  the same, port without the preprocessing", ours[m],
                            *pt["scorecam, normalised input"][:1], big_pt(ours[m]), pt["scorecam, normalised input"][1]))
        rows.append(row(f"{ours_name} vs tf-keras-vis {tk_name}", ours[m], tk[m][0], big_tk(ours[m]), tk[m][1]))
    rows.append(row("  the same without ReplaceToLinear", ours[SCORECAM], tk["scorecam, softmax model"][0]))
    print()
    print(f"{desc}; layer {layer} {fmap}.")
    print("Per image: Pearson r and Spearman rho between our map and the library's at the feature-map")
    print("resolution (after the ReLU, before resizing); peak = same argmax cell; r px = the library's")
    print("output (resized to the input, min-max scaled) vs ours resized and scaled by its own function.")
    print_table(rows)

    # 4. reproductions from the Keras model's activations and gradients
    split = keras.Model(model.inputs, [model.get_layer(layer).output, logits_model(model).outputs[0]])
    with tf.GradientTape() as tape:
        A_t, lg = split(tf.constant(x), training=False)
        sel = tf.gather(lg, tf.constant(labels), batch_dims=1)
    g = tape.gradient(sel, A_t).numpy().astype(np.float64)
    A = A_t.numpy().astype(np.float64)
    logit_model = logits_model(model)
    compiled = tf.function(lambda b: logit_model(b, training=False))

    def logits_of_input(batch):
        return np.asarray(compiled(tf.constant(batch)), np.float64)

    def logits_of_pixels(batch):
        return logits_of_input(np.asarray(card.preprocess(batch), np.float32))

    print()
    print("Reproductions: the library's formula as a small change to ours (numpy, from the Keras model's")
    print("activations, gradients and logits); Pearson r mean / min with the library's map and with ours.")

    def show(method, what, mine, lib):
        r_lib = compare(mine, lib)[0]
        r_our = compare(mine, ours[method])[0]
        print(f"  {what:76s} lib {np.nanmean(r_lib):.4f} / {np.nanmin(r_lib):.4f}   "
              f"ours {np.nanmean(r_our):.4f} / {np.nanmin(r_our):.4f}")

    gc = np.maximum(np.einsum("nhwk,nk->nhw", A, g.mean(axis=(1, 2))), 0.0)
    show(GRADCAM, "Grad-CAM: w = mean of g  [lib: pytorch-grad-cam]", gc, pt[GRADCAM][0])
    show(GRADCAM_PP, "Grad-CAM++ as ours (no eps)  [lib: pytorch-grad-cam]", gradcampp_variant(A, g),
         pt[GRADCAM_PP][0])
    show(GRADCAM_PP, "Grad-CAM++ with + 1e-6 in the denominator  [lib: pytorch-grad-cam]",
         gradcampp_variant(A, g, eps=1e-6, zero_where="g"), pt[GRADCAM_PP][0])
    show(GRADCAM_PP, "Grad-CAM++ with alphas / their spatial sum  [lib: tf-keras-vis]",
         gradcampp_variant(A, g, normalise_alpha=True), tk[GRADCAM_PP][0])
    gmag = np.abs(g[g != 0])
    varies = float(np.max(np.ptp(g, axis=(1, 2))))
    print(f"    (g = dy^c/dA at {layer}: |g| median {np.median(gmag):.1e}, max {gmag.max():.1e}, so g^2 "
          f"{np.median(gmag) ** 2:.0e} .. {gmag.max() ** 2:.0e} vs eps 1e-6; largest spatial spread of g in a "
          f"channel {varies:.1e})")

    def scores(on_pixels, align, eps):
        base = images if on_pixels else x
        fn = logits_of_pixels if on_pixels else logits_of_input
        return [masked_logits(fn, base[i], A[i], align, eps) for i in range(len(images))]

    def sc(sets, weighting):
        return scorecam_variant(sets, A, labels, weighting)

    ours_sets = scores(True, False, 0.0)
    pt_sets = scores(True, True, 1e-8)
    show(SCORECAM, "Score-CAM as ours: probability, half-pixel masks  [lib: ours]", sc(ours_sets, "probability"),
         ours[SCORECAM])
    show(SCORECAM, "softmax over channels of y^c, masks as ours  [pytorch-grad-cam]",
         sc(ours_sets, "channel softmax"), pt[SCORECAM][0])
    show(SCORECAM, "probability, masks align-corners + 1e-8  [pytorch-grad-cam]", sc(pt_sets, "probability"),
         pt[SCORECAM][0])
    show(SCORECAM, "softmax over channels, masks align-corners + 1e-8  [pytorch-grad-cam]",
         sc(pt_sets, "channel softmax"), pt[SCORECAM][0])
    if not identity:
        in_sets = scores(False, True, 1e-8)
        show(SCORECAM, "the same, masking the normalised input  [pytorch-grad-cam, no preproc.]",
             sc(in_sets, "channel softmax"), pt["scorecam, normalised input"][0])
        show(SCORECAM, "probability, masking the normalised input  [pytorch-grad-cam, no preproc.]",
             sc(in_sets, "probability"), pt["scorecam, normalised input"][0])
    tk_sets = scores(identity, True, 1e-7)
    where = "" if identity else ", normalised input"
    show(SCORECAM, f"probability, masks align-corners + 1e-7{where}  [tf-keras-vis]", sc(tk_sets, "probability"),
         tk[SCORECAM][0])
    show(SCORECAM, f"softmax of the probabilities, the same masks  [tkv, no ReplaceToLinear]",
         sc(tk_sets, "double softmax"), tk["scorecam, softmax model"][0])
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
