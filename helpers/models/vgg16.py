"""VGG16, the lecture's model: its ImageNet weights file (found, checked, downloaded) and its card.

Where the weights come from, in order: ``COURSE_VGG16_WEIGHTS``, Keras's cache
(``~/.keras/models``), a download (after a reachability check of a few seconds, so that offline
fails fast with a message naming the file, its URL and where to put it). A damaged file (empty,
an HTML page, truncated, another model's) is named, never changed. Tests point
``_keras_models_dir`` at a temporary folder: patch it here, ``helpers.models.vgg16``.
Used by :func:`helpers.models.load_model` (notebooks 00-04 with COURSE_MODEL=vgg16 or auto;
notebook 00 calls :func:`vgg16_weights_path`).
"""
from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import numpy as np

from .card import ModelCard, ModelUnavailableError
from .h5 import load_weights_h5

__all__ = ["vgg16_weights_path", "vgg16_unfilled", "vgg16_preprocess", "vgg16_deprocess", "VGG16_URL", "VGG16_FILE",
           "VGG16_MD5", "VGG16_SIZE_MB", "HDF5_SIGNATURE", "NETWORK_TIMEOUT"]

VGG16_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
VGG16_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
    "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
)
VGG16_MD5 = "64373286793e3c8b2b4e3219cbf3544b"
VGG16_SIZE_MB = 528

# ImageNet's caffe means (BGR) used by keras.applications.vgg16.preprocess_input.
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)

#: Seconds the reachability check waits before declaring the network absent.
NETWORK_TIMEOUT = 4.0


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


def vgg16_preprocess(images):
    """VGG16's preprocessing (``keras.applications.vgg16.preprocess_input``, caffe mode): RGB -> BGR minus
    the ImageNet means.

    Args:
        images: (..., 3) RGB 0..255, a numpy array (or list) or a TensorFlow tensor.
    Returns:
        the same shape, float32, of the same kind (numpy in, numpy out; tensor in, tensor out, so it
        can sit inside a gradient tape). The VGG16 card's ``preprocess``; the benchmarks use it with
        random-weight VGG16s. Used by notebooks 00-04 with COURSE_MODEL=vgg16.
    """
    if isinstance(images, np.ndarray) or np.isscalar(images) or isinstance(images, (list, tuple)):
        x = np.asarray(images, dtype=np.float32)
        return x[..., ::-1] - _CAFFE_MEAN_BGR
    import tensorflow as tf

    x = tf.cast(images, tf.float32)
    return tf.reverse(x, axis=[-1]) - tf.constant(_CAFFE_MEAN_BGR)


def vgg16_deprocess(x) -> np.ndarray:
    """The inverse of :func:`vgg16_preprocess`: (..., 3) BGR minus means -> uint8 RGB 0..255 (clipped, rounded)."""
    x = np.asarray(x, dtype=np.float32) + _CAFFE_MEAN_BGR
    return np.clip(x[..., ::-1], 0, 255).round().astype(np.uint8)


def _vgg16_samples() -> dict:
    from ..images import load_image, sample_image_paths

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


def _vgg16_card(reason: str) -> ModelCard:
    path = vgg16_weights_path(download=True)
    import keras

    from ..imagenet import class_names

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
        preprocess=vgg16_preprocess,
        deprocess=vgg16_deprocess,
        class_names=class_names(),
        last_conv_layer="block5_conv3",
        demo_classes=[130, 736, 779],  # flamingo, pool (billiard) table, school bus
        reason=reason,
        _samples=_vgg16_samples,
    )
