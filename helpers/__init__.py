"""Helpers for the course notebooks (what convnets learn, why RNNs exist).

Importing the package quietens TensorFlow's start-up log lines so that
students do not see them in every notebook: it sets ``TF_CPP_MIN_LOG_LEVEL``
(set it yourself before importing to override) and, inside a Jupyter kernel,
imports TensorFlow once with the process's stderr muted, because TF 2.21
prints its oneDNN notices from C++ before its log level applies. Python
errors raised by that import are still shown. Import ``helpers`` before
``tensorflow`` in a notebook's setup cell for this to work.
"""
import importlib.resources
import importlib.util
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _data_dir() -> str:
    """The course's data folder: ``helpers/data`` in an installed wheel (package
    data, found through importlib.resources), else ``data/`` beside ``helpers/``
    in a checkout of the repository (editable install, or run from its root)."""
    packaged = importlib.resources.files(__name__) / "data"
    if packaged.is_dir():
        return os.fspath(packaged)
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


#: Models, sample photos with their boxes, the ImageNet class index, the gallery, licences.
DATA_DIR = _data_dir()

if importlib.util.find_spec("tensorflow") is None:
    raise ImportError(
        "The course needs TensorFlow 2.20 or newer, which is not installed in this Python environment. "
        "Install it with the course: pip install 'course-helpers[tensorflow]' "
        "(or `make lab` in the repository)."
    )

__all__ = ["DATA_DIR"]


def _import_tensorflow_quietly() -> None:
    """Import tensorflow and keras with file descriptor 2 pointed at /dev/null."""
    if "tensorflow" in sys.modules:
        return
    try:
        sys.stderr.flush()
        saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no real stderr (rare embedded set-ups): import normally
        return
    os.dup2(null, 2)
    try:
        import keras  # noqa: F401
        import tensorflow as tf

        # A bool transpose in a compiled graph (Keras's RNN masking does one)
        # prints a one-time oneDNN notice "supports DT_BOOL only on AVX-512";
        # trigger it here, muted, instead of in the middle of a lesson.
        tf.function(lambda m: tf.transpose(m, (1, 0, 2)))(tf.zeros((4, 3, 2), tf.bool))
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


if "ipykernel" in sys.modules and os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2") != "0":
    _import_tensorflow_quietly()
