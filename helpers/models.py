"""Which model the course runs on, and everything a notebook needs to know about it.

Three models share one code path (see README, "Offline use"):

* ``"vgg16"``: VGG16 with ImageNet weights, the lecture's model. Keras downloads
  its weights (528 MB) on first use into ``~/.keras/models``; a file you already
  have can be given with the ``COURSE_VGG16_WEIGHTS`` environment variable.
* ``"efficientnet_lite0"``: EfficientNet-Lite0, an ImageNet network small
  enough to ship (``helpers.efficientnet``, float16 weights in
  ``data/models``, Apache-2.0), so real photos work offline.
* ``"shapesnet"``: a small VGG-style network trained by this project on
  synthetic shapes (``helpers.shapes``); shipped in ``data/models``, so it
  works offline; the model with ground truth (known object boxes).
* ``"auto"`` (the default, also read from ``COURSE_MODEL``): VGG16 when its
  weights are present or can be downloaded and its memory fits the kernel's
  limit (:func:`memory_limit`: Binder's 2 GB, a hub's per-user limit),
  otherwise EfficientNet-Lite0, with one printed line saying why.

Nothing but this module knows which model is in use: notebooks ask the
returned :class:`ModelCard` for the input size, preprocessing, class names,
last conv layer, sample images and demo classes.

Used by every convnet notebook (00-04).
"""
from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlparse

import numpy as np

from . import DATA_DIR  # noqa: F401  (also sets TF_CPP_MIN_LOG_LEVEL)
from .layers import logits_model  # noqa: F401  (re-exported: the pre-softmax model lives in helpers.layers)

__all__ = [
    "ModelCard",
    "ModelUnavailableError",
    "load_model",
    "logits_model",
    "vgg16_weights_path",
    "memory_limit",
    "vgg16_unfilled",
    "load_weights_h5",
    "save_weights_h5",
    "VGG16_URL",
    "VGG16_FILE",
]

MODEL_NAMES = ("auto", "vgg16", "efficientnet_lite0", "shapesnet")

VGG16_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
VGG16_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
    "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
)
VGG16_MD5 = "64373286793e3c8b2b4e3219cbf3544b"
VGG16_SIZE_MB = 528
# ImageNet's caffe means (BGR) used by keras.applications.vgg16.preprocess_input.
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)

#: VGG16's measured kernel peak over the notebooks (`make vgg16-memory`, README: 6419 MiB = 6.7 GB in
#: notebook 04, whose sanity checks hold randomised copies of the network), plus headroom: ``auto``
#: does not choose VGG16 where the kernel may use less (Binder's 2 GB, a hub's per-user limit).
VGG16_PEAK_BYTES = 7.0e9

#: Where the kernel's memory limit is read (cgroup v2, then v1); tests point these at fake files.
CGROUP_ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"


def memory_limit() -> tuple[float | None, str]:
    """The memory this process may use, and where that limit comes from.

    Reads ``MEM_LIMIT`` (bytes; JupyterHub's spawners and Binder set it for the
    user's server), the cgroup v2 ``memory.max`` of this process's cgroup, and
    the cgroup v1 ``memory.limit_in_bytes``; the smallest one found wins.
    "max" and v1's "unlimited" values (around 2**63) count as no limit.

    Returns:
        (bytes, source) such as (2.0e9, "MEM_LIMIT"); (None, "") when no
        limit is set. Used by ``load_model("auto")`` (notebook 00 shows it).
    """
    found = []
    raw = os.environ.get("MEM_LIMIT", "").strip()
    if raw:
        try:
            found.append((float(raw), "MEM_LIMIT"))
        except ValueError:
            pass     # a hub that writes "2G" would be unusual; ignore what is not a number of bytes
    v2, v1 = "", ""
    try:
        with open(PROC_CGROUP, encoding="utf-8") as fh:
            for line in fh:
                number, controllers, path = line.rstrip("\n").split(":", 2)
                if number == "0" and not controllers:
                    v2 = path
                elif "memory" in controllers.split(","):
                    v1 = path
    except (OSError, ValueError):
        pass
    candidates = [(os.path.join(CGROUP_ROOT, v2.lstrip("/"), "memory.max"), "cgroup memory.max"),
                  (os.path.join(CGROUP_ROOT, "memory.max"), "cgroup memory.max"),
                  (os.path.join(CGROUP_ROOT, "memory", v1.lstrip("/"), "memory.limit_in_bytes"),
                   "cgroup memory.limit_in_bytes"),
                  (os.path.join(CGROUP_ROOT, "memory", "memory.limit_in_bytes"), "cgroup memory.limit_in_bytes")]
    for path, source in candidates:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2 ** 60:
            found.append((float(text), source))
    if not found:
        return None, ""
    return min(found)


def _vgg16_too_big() -> str | None:
    """None if VGG16 fits the memory limit; else the one-line reason ``auto`` prints."""
    limit, source = memory_limit()
    if limit is None or limit >= VGG16_PEAK_BYTES:
        return None
    return (f"auto: using EfficientNet-Lite0 (offline ImageNet model) because this kernel may use "
            f"{limit / 1e9:.1f} GB ({source}) and VGG16 needs about {VGG16_PEAK_BYTES / 1e9:.1f} GB; "
            "set COURSE_MODEL=vgg16 to use VGG16 anyway.")


#: Seconds the reachability check waits before declaring the network absent.
NETWORK_TIMEOUT = 4.0


class ModelUnavailableError(RuntimeError):
    """The requested model cannot be loaded here (e.g. VGG16 weights offline)."""


@dataclass
class ModelCard:
    """A model plus what the notebooks need to know about it.

    Attributes:
        model: keras.Model taking (N, H, W, 3) *preprocessed* images and
            returning (N, classes) softmax probabilities.
        name: "vgg16", "efficientnet_lite0" or "shapesnet".
        input_size: (H, W) the model expects.
        preprocess: function images (N, H, W, 3) 0..255 -> model input; works
            on numpy arrays and on TensorFlow tensors (so it can sit inside a
            gradient tape).
        deprocess: function model input -> uint8 images 0..255 (numpy).
        class_names: list of the class names, index = class id.
        last_conv_layer: name of the last convolutional feature map layer
            (Grad-CAM's default layer).
        demo_classes: class ids the lessons use (DeepVis targets).
        reason: one line saying why this model was chosen.
        feature_layers: the feature maps the lessons walk through, from the
            input to ``last_conv_layer``: every convolution of the VGG-style
            networks, one map per stage of EfficientNet-Lite0 (notebook 01).
        filter_layers: the convolutions whose filter patterns notebook 02
            draws, one per block (VGG-style: each block's first conv).
    """

    model: object
    name: str
    input_size: tuple
    preprocess: Callable
    deprocess: Callable
    class_names: list
    last_conv_layer: str
    demo_classes: list
    reason: str = ""
    _samples: Callable = field(default=None, repr=False)
    feature_layers: list = field(default=None)
    filter_layers: list = field(default=None)

    def __post_init__(self):
        import keras

        convs = [layer.name for layer in self.model.layers if isinstance(layer, keras.layers.Conv2D)]
        if self.feature_layers is None:     # VGG-style: every convolution, in order
            self.feature_layers = convs
        if self.filter_layers is None:      # VGG-style: the first convolution of every block
            self.filter_layers = [name for name in convs if name.endswith("_conv1")]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def sample_images(self) -> dict:
        """dict name -> (H, W, 3) float32 0..255 image at ``input_size``."""
        return self._samples()

    def predict(self, images) -> np.ndarray:
        """Probabilities (N, classes) for images (N, H, W, 3) or one (H, W, 3) in 0..255.

        The images are checked first (:func:`helpers.inputs.check_images`): a
        0..1 image, an already preprocessed one, a wrong size or an empty
        batch get a message saying what to do, not a wrong answer.
        """
        from .inputs import check_images

        images, _ = check_images(images, size=self.input_size)
        return np.asarray(self.model.predict_on_batch(self.preprocess(images)))   # compiled: ~20 ms, not ~150 ms eager

    def top_k(self, images, k: int = 3) -> list:
        """Top-k predictions per image: [[(class_id, name, probability), ...], ...]; k in 1..num_classes."""
        from .inputs import check_int

        k = check_int(k, "k", 1, self.num_classes)
        probs = self.predict(images)
        order = np.argsort(-probs, axis=1)[:, :k]
        return [[(int(c), self.class_names[c], float(p[c])) for c in row] for p, row in zip(probs, order)]

    def class_id(self, name) -> int:
        """Class id of a class name (case and spaces/underscores ignored); an id is checked and returned."""
        from .inputs import class_index

        return class_index(self, name, name="name")


# ---------------------------------------------------------------- VGG16 ----

def _keras_models_dir() -> str:
    from keras.src.backend import config as _cfg

    return os.path.join(os.path.expanduser(_cfg.keras_home()), "models")


def _network_reachable(url: str, timeout: float = NETWORK_TIMEOUT) -> tuple[bool, str]:
    """Can we open a TCP connection to the host of ``url``? (ok, reason)."""
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return True, ""
    except OSError as exc:  # DNS failure, refused, timeout, blocked
        return False, f"{type(exc).__name__}: {exc}"


def _shown_path(path: str) -> str:
    """``path`` as a student should read it: the home folder written ``~`` (no machine's user name)."""
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home not in ("", "/") and path.startswith(home + os.sep) else path


def _offline_message(reason: str, detail: str = "") -> str:
    """The error for missing VGG16 weights: a first line without technical detail (``auto`` prints
    only that line), then the file, URL, where to put it, and ``detail`` (the network error)."""
    target = _shown_path(os.path.join(_keras_models_dir(), VGG16_FILE))
    return (
        f"VGG16's ImageNet weights are not available here and could not be downloaded ({reason}).\n"
        + (f"  cause: {detail}\n" if detail else "") +
        f"  file:  {VGG16_FILE} ({VGG16_SIZE_MB} MB, md5 {VGG16_MD5})\n"
        f"  URL:   {VGG16_URL}\n"
        f"  put it at {target}\n"
        "  (or anywhere, and set COURSE_VGG16_WEIGHTS=/path/to/that/file).\n"
        "Without VGG16 the course runs offline on EfficientNet-Lite0, an ImageNet network shipped in "
        "data/models: set COURSE_MODEL=efficientnet_lite0 (or load_model('efficientnet_lite0')); "
        "on synthetic shapes: COURSE_MODEL=shapesnet."
    )


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_GOOD_FILES: set = set()      # (path, size, mtime) of weights files whose md5 was checked


def _check_weights_file(path: str, source: str, md5: str | None = None) -> None:
    """Refuse a weights file that cannot be VGG16's, before VGG16 is built; never changes the file.

    Checks that it is not empty, that it starts with the HDF5 signature (a captive portal's HTML
    page does not), and, where the file must be Keras's own download, its md5 (a truncated file or
    another model's file fails it; checked once per file and modification time).

    Raises:
        ModelUnavailableError whose first line says what is wrong (``auto`` prints only that line)
        and whose next lines name the file, where it came from, and what to do.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(1024)
    problem = None
    if size == 0:
        problem = "is empty (0 bytes): an interrupted download?"
    elif not head.startswith(HDF5_SIGNATURE):
        html = any(tag in head.lower() for tag in (b"<html", b"<!doctype", b"<head"))
        problem = ("is an HTML page, not weights (a network login page or an error page was saved?)" if html
                   else "is not an HDF5 weights file")
    elif md5 is not None and (path, size, os.path.getmtime(path)) not in _GOOD_FILES:
        import hashlib

        digest = hashlib.md5()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
        if digest.hexdigest() != md5:
            problem = (f"is not the complete file: md5 {digest.hexdigest()}, expected {md5} "
                       f"({size / 2**20:.0f} MB of {VGG16_SIZE_MB} MB; a truncated download or another model's file?)")
        else:
            _GOOD_FILES.add((path, size, os.path.getmtime(path)))
    if problem:
        todo = ("point COURSE_VGG16_WEIGHTS at a good copy of the file, or unset it" if source == "COURSE_VGG16_WEIGHTS"
                else "delete it (the course never changes Keras's cache) and download again, or copy a good one there")
        raise ModelUnavailableError(
            f"the VGG16 weights file from {source} {problem}\n"
            f"  file:  {path}\n"
            f"  what to do: {todo}.\n"
            f"  expected: {VGG16_FILE} ({VGG16_SIZE_MB} MB, md5 {VGG16_MD5}) from {VGG16_URL}"
        )


def vgg16_weights_path(download: bool = True) -> str:
    """Path of VGG16's ImageNet weights (with the classifier), fetching them if needed.

    Looks, in order, at ``COURSE_VGG16_WEIGHTS``, at Keras's cache
    (``~/.keras/models``), then (if ``download``) downloads with Keras's
    progress bar and md5 check. Raises :class:`ModelUnavailableError` within
    a few seconds when offline, naming the file, its URL and where to put it.
    """
    env = os.environ.get("COURSE_VGG16_WEIGHTS")
    if env:
        if not os.path.isfile(env):
            raise ModelUnavailableError(
                f"COURSE_VGG16_WEIGHTS={env!r} is not a file. Point it at {VGG16_FILE} "
                f"(download: {VGG16_URL}) or unset it."
            )
        _check_weights_file(env, "COURSE_VGG16_WEIGHTS")   # any VGG16 weights (e.g. random ones): no md5
        return env
    cached = os.path.join(_keras_models_dir(), VGG16_FILE)
    if os.path.isfile(cached):
        _check_weights_file(cached, "Keras's cache", md5=VGG16_MD5)
        return cached
    if not download:
        raise ModelUnavailableError(_offline_message("not in Keras's cache and download=False"))
    ok, why = _network_reachable(VGG16_URL)
    if not ok:
        raise ModelUnavailableError(_offline_message("no network", why))
    from keras.utils import get_file

    try:
        return get_file(VGG16_FILE, VGG16_URL, cache_subdir="models", file_hash=VGG16_MD5)
    except Exception as exc:  # keras raises a bare Exception on fetch failure
        raise ModelUnavailableError(_offline_message("download failed", str(exc))) from None


def _vgg16_preprocess(images):
    """RGB 0..255 -> BGR minus ImageNet means (caffe mode); numpy or tensor."""
    if isinstance(images, np.ndarray) or np.isscalar(images) or isinstance(images, (list, tuple)):
        x = np.asarray(images, dtype=np.float32)
        return x[..., ::-1] - _CAFFE_MEAN_BGR
    import tensorflow as tf

    x = tf.cast(images, tf.float32)
    return tf.reverse(x, axis=[-1]) - tf.constant(_CAFFE_MEAN_BGR)


def _vgg16_deprocess(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32) + _CAFFE_MEAN_BGR
    return np.clip(x[..., ::-1], 0, 255).round().astype(np.uint8)


def _vgg16_samples() -> dict:
    from .images import load_image, sample_image_paths

    return {name: load_image(path, size=(224, 224)) for name, path in sample_image_paths().items()}


def vgg16_unfilled():
    """VGG16's architecture with every variable zero-filled, for :func:`load_weights_h5` to fill.

    ``keras.applications.VGG16(weights=None)`` draws 138 M random numbers first, and the
    allocator keeps about 0.8 GB of that work; the ImageNet weights overwrite every variable
    anyway (load_weights_h5 checks that it fills them all). Returns a keras.Model (224x224x3 ->
    1000 softmax). Used by the VGG16 model card (notebooks 00-04 with COURSE_MODEL=vgg16).
    """
    import keras

    zeros = {name: keras.initializers.Zeros for name in ("glorot_uniform", "GlorotUniform")}
    with keras.saving.custom_object_scope(zeros):
        return keras.applications.VGG16(weights=None)


def _h5_names(group, key: str) -> list[str]:
    """A list attribute of an HDF5 group, also when Keras split a long one into key0, key1, ..."""
    if key in group.attrs:
        values = list(group.attrs[key])
    else:
        values, i = [], 0
        while f"{key}{i}" in group.attrs:
            values += list(group.attrs[f"{key}{i}"])
            i += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def load_weights_h5(model, path: str, rows: int = 1024) -> None:
    """Fill ``model``'s variables from a Keras HDF5 weights file (the ImageNet files' layout), a few rows at a time.

    The layout of ``vgg16_weights_tf_dim_ordering_tf_kernels.h5``: the root lists ``layer_names``;
    each layer's group lists its ``weight_names`` in the order of ``layer.weights``. Layers with
    weights are matched in order, as Keras's own loader does. Each array is copied ``rows`` rows
    at a time, so that loading VGG16 never holds a second copy of its 411 MB fc1 kernel
    (Keras's loader reads every array whole: about 1.2 GB more at the peak).

    Args:
        model: keras.Model whose variables are to be filled (e.g. :func:`vgg16_unfilled`).
        path: the .h5 file. A file in another layout (Keras 3's ``.weights.h5``) is handed to
            ``model.load_weights``.
    Raises:
        ValueError naming the layer when the file's layers or shapes do not fit the model.
    """
    import h5py

    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        if not _h5_names(group, "layer_names"):
            f.close()
            model.load_weights(path)
            return
        stored = [name for name in _h5_names(group, "layer_names") if _h5_names(group[name], "weight_names")]
        layers = [layer for layer in model.layers if layer.weights]
        if len(stored) != len(layers):
            raise ValueError(f"{path} holds weights for {len(stored)} layers; the model has {len(layers)}.")
        for layer, name in zip(layers, stored):
            names = _h5_names(group[name], "weight_names")
            if len(names) != len(layer.weights):
                raise ValueError(f"layer {layer.name}: {len(names)} arrays in the file, {len(layer.weights)} in the model.")
            for variable, weight in zip(layer.weights, names):
                data = group[name][weight]
                if tuple(data.shape) != tuple(variable.shape):
                    raise ValueError(f"layer {layer.name}: the file's {weight} is {tuple(data.shape)}, "
                                     f"the model's {variable.path} is {tuple(variable.shape)}.")
                target = getattr(variable, "value", variable)
                for start in range(0, max(data.shape[0], 1), rows):
                    if data.ndim == 0:
                        target.assign(data[()])
                    else:
                        target[start:start + rows].assign(data[start:start + rows])


def save_weights_h5(model, path: str) -> None:
    """Write ``model``'s weights in the layout :func:`load_weights_h5` reads (that of Keras's ImageNet files).

    Used by ``make vgg16-memory`` (random VGG16 weights that load exactly as the real file does)
    and by the tests.
    """
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode("utf8") for layer in model.layers]
        for layer in model.layers:
            g = f.create_group(layer.name)
            names = [f"{layer.name}/{v.name}_{i}:0" for i, v in enumerate(layer.weights)]
            g.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for name, variable in zip(names, layer.weights):
                g.create_dataset(name, data=np.asarray(variable.numpy()))


def _vgg16_card(reason: str) -> ModelCard:
    path = vgg16_weights_path(download=True)
    import keras

    from .imagenet import class_names

    model = vgg16_unfilled()
    try:
        load_weights_h5(model, path)
    except Exception as exc:     # an HDF5 file of another model: name the file, not h5py's internals
        source = "COURSE_VGG16_WEIGHTS" if path == os.environ.get("COURSE_VGG16_WEIGHTS") else "Keras's cache"
        raise ModelUnavailableError(
            f"the VGG16 weights file from {source} does not fit VGG16 (truncated, or another model's weights?)\n"
            f"  file:  {path}\n"
            f"  cause: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}\n"
            f"  expected: {VGG16_FILE} ({VGG16_SIZE_MB} MB, md5 {VGG16_MD5}) from {VGG16_URL}"
        ) from None
    return ModelCard(
        model=model,
        name="vgg16",
        input_size=(224, 224),
        preprocess=_vgg16_preprocess,
        deprocess=_vgg16_deprocess,
        class_names=class_names(),
        last_conv_layer="block5_conv3",
        demo_classes=[130, 736, 779],  # flamingo, pool (billiard) table, school bus
        reason=reason,
        _samples=_vgg16_samples,
    )


# ---------------------------------------------------- EfficientNet-Lite0 ----

def _efficientnet_card(reason: str) -> ModelCard:
    from . import efficientnet
    from .imagenet import class_names

    model = efficientnet.load_efficientnet_lite0()
    return ModelCard(
        model=model,
        name="efficientnet_lite0",
        input_size=efficientnet.INPUT_SIZE,
        preprocess=efficientnet.preprocess,
        deprocess=efficientnet.deprocess,
        class_names=class_names(),
        last_conv_layer=efficientnet.LAST_CONV_LAYER,
        demo_classes=[130, 736, 779],  # flamingo, pool (billiard) table, school bus
        reason=reason,
        _samples=_vgg16_samples,  # the same 224-px photos
        feature_layers=list(efficientnet.FEATURE_LAYERS),
        filter_layers=list(efficientnet.FILTER_LAYERS),
    )


# ------------------------------------------------------------- ShapesNet ----

def _identity_preprocess(images):
    if isinstance(images, (np.ndarray, list, tuple)):
        return np.asarray(images, dtype=np.float32)
    import tensorflow as tf

    return tf.cast(images, tf.float32)


def _clip_deprocess(x) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.float32), 0, 255).round().astype(np.uint8)


def _shapesnet_card(reason: str) -> ModelCard:
    from . import shapes

    model = shapes.load_shapesnet()
    return ModelCard(
        model=model,
        name="shapesnet",
        input_size=(shapes.IMAGE_SIZE, shapes.IMAGE_SIZE),
        preprocess=_identity_preprocess,
        deprocess=_clip_deprocess,
        class_names=list(shapes.CLASS_NAMES),
        last_conv_layer=shapes.LAST_CONV_LAYER,
        demo_classes=list(range(len(shapes.CLASS_NAMES))),
        reason=reason,
        _samples=shapes.sample_images,
    )


_CACHE: dict = {}


def _lower_first(sentence: str) -> str:
    """Lower-case a sentence's first letter to continue another sentence, unless the
    first word is a name ("VGG16's", "COURSE_VGG16_WEIGHTS=...", "ImageNet")."""
    word = sentence.split(" ", 1)[0]
    if word[:1].isupper() and not any(c.isupper() or c.isdigit() for c in word[1:]):
        return sentence[0].lower() + sentence[1:]
    return sentence


def load_model(name: str | None = None, verbose: bool = True) -> ModelCard:
    """Load the course model and its card.

    Args:
        name: "vgg16", "efficientnet_lite0", "shapesnet" or "auto"; None
            reads ``COURSE_MODEL`` (default "auto": VGG16 when its weights
            are cached or can be downloaded, otherwise EfficientNet-Lite0).
        verbose: print one line saying which model is used and why.

    Returns:
        ModelCard (cached: a second call returns the same object).

    Raises:
        ValueError for an unknown name; ModelUnavailableError when VGG16 is
        asked for explicitly but its weights cannot be had (offline);
        FileNotFoundError / helpers.efficientnet.WeightsFileError when the
        shipped EfficientNet-Lite0 weights file is missing or corrupt.
    """
    raw = name if name is not None else os.environ.get("COURSE_MODEL", "auto")
    key = str(raw).strip().lower()
    if key not in MODEL_NAMES:
        src = "COURSE_MODEL" if name is None else "name"
        raise ValueError(f"{src}={raw!r} is not a course model; choose one of {MODEL_NAMES}.")
    if key == "auto":
        if "auto" in _CACHE:
            return _CACHE["auto"]
        card, reason = None, _vgg16_too_big()       # a reason not to use VGG16, or None
        if reason is None:
            try:
                card = _CACHE.get("vgg16") or _vgg16_card("auto: VGG16 ImageNet weights found or downloaded")
            except ModelUnavailableError as exc:
                first = str(exc).splitlines()[0]
                reason = (
                    f"auto: using EfficientNet-Lite0 (offline ImageNet model) because {_lower_first(first)} "
                    "To use VGG16 get its weights (see README, 'Offline use'); "
                    "set COURSE_MODEL=efficientnet_lite0 to choose EfficientNet-Lite0 explicitly."
                )
        if card is None:
            card = _CACHE.get("efficientnet_lite0") or _efficientnet_card(reason)
            card.reason = reason
        _CACHE["auto"] = _CACHE[card.name] = card
        if verbose:
            print(f"Model: {card.name} ({card.reason})")
        return card
    if key not in _CACHE:
        builder = {"vgg16": _vgg16_card, "efficientnet_lite0": _efficientnet_card,
                   "shapesnet": _shapesnet_card}[key]
        _CACHE[key] = builder(f"asked for {key!r}")
    card = _CACHE[key]
    if verbose:
        print(f"Model: {card.name} ({card.reason})")
    return card

