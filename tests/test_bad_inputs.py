"""Bad input a student can give, across the public API: a clear error, raised from helpers.

Each case calls one public function the way a student might get it wrong
and asserts:
* the exception type;
* that the message names the argument and the problem (words given per case);
* that the innermost frame of the traceback is in ``helpers`` (not in
  TensorFlow, Keras, numpy, Pillow or matplotlib);
* that no model weight changed and no input array was modified (the model
  shared by all cases is checksummed before and after each case; image
  arrays given to a case are compared with a copy);
and, once for the whole matrix, that no file under ``data/`` changed.

Property-based tests (Hypothesis, when installed) for the image check and
the exercise checks are at the end.
"""
from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

import helpers
from helpers import activations, cam, imagenet, images as img_mod, models
from helpers import exercises as E

HELPERS_DIR = os.path.dirname(os.path.abspath(helpers.__file__))
DATA_DIR = helpers.DATA_DIR


# ----------------------------------------------------------------- fixtures ----

@pytest.fixture(scope="module")
def ctx():
    import keras

    card = models.load_model("shapesnet", verbose=False)
    samples = card.sample_images()
    img = next(iter(samples.values()))
    tiny = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
                             keras.layers.GlobalAveragePooling2D(name="gap"),
                             keras.layers.Dense(3, activation="softmax", name="out")], name="tiny")
    unbuilt = keras.Sequential([keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D(),
                                keras.layers.Dense(3)], name="unbuilt")
    dense_only = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], name="dense_only")
    return dict(card=card, model=card.model, img=img, imgs=np.stack([img, img]), samples=samples,
                tiny=tiny, unbuilt=unbuilt, dense_only=dense_only)


def _weights_digest(model) -> str:
    h = hashlib.sha1()
    for w in model.weights:
        h.update(np.ascontiguousarray(np.asarray(w)).tobytes())
    return h.hexdigest()


def _data_digest() -> dict:
    out = {}
    for root, _, files in os.walk(DATA_DIR):
        for f in files:
            p = os.path.join(root, f)
            st = os.stat(p)
            out[p] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture(scope="module", autouse=True)
def _data_unchanged():
    before = _data_digest()
    yield
    assert _data_digest() == before, "a bad-input case changed a file under data/"


# -------------------------------------------------------------------- cases ----

CASES: list = []


def case(name, exc, *words):
    """Register ``fn(ctx)`` as a bad-input case expecting ``exc`` and all ``words`` in the message."""
    def wrap(fn):
        CASES.append(pytest.param(fn, exc, words, id=name))
        return fn
    return wrap


def add(name, exc, words, fn):
    CASES.append(pytest.param(fn, exc, tuple(words), id=name))


# --- images: the one image check, through every door -------------------------------------------
_PREDICT_DOORS = {
    "predict": lambda c, x: c["card"].predict(x),
    "top_k": lambda c, x: c["card"].top_k(x),
    "grad_cam": lambda c, x: cam.grad_cam(c["card"], x),
    "guided_backprop": lambda c, x: cam.guided_backprop(c["card"], x),
    "guided_grad_cam": lambda c, x: cam.guided_grad_cam(c["card"], x),
    "get_activations": lambda c, x: activations.get_activations(c["card"], x, ["block1_conv1"]),
    "activation_explorer": lambda c, x: __import__("helpers.widgets.activations", fromlist=["x"]).activation_explorer(c["card"], x),
    "cam_explorer": lambda c, x: __import__("helpers.widgets.cam", fromlist=["x"]).cam_explorer(c["card"], x),
}
_BAD_IMAGES = {
    "zero_to_one": (lambda c: c["img"] / 255.0, ValueError, ("images", "0..1", "255")),
    "preprocessed": (lambda c: c["img"] / 127.5 - 1.0 - 0.7, ValueError, ("images", "preprocess")),
    "above_255": (lambda c: c["img"] * 4.0 + 10, ValueError, ("images", "0..255")),
    "nan": (lambda c: np.where(np.arange(64)[None, :, None] == 3, np.nan, c["img"]), ValueError, ("images", "nan")),
    "inf": (lambda c: np.full_like(c["img"], np.inf), ValueError, ("images", "infinite")),
    "empty_batch": (lambda c: np.zeros((0, 64, 64, 3), np.float32), ValueError, ("images", "empty")),
    "grayscale": (lambda c: c["img"][..., :1], ValueError, ("images", "channels", "grayscale")),
    "rgba": (lambda c: np.concatenate([c["img"], np.full((64, 64, 1), 255.0)], -1), ValueError, ("images", "rgba")),
    "wrong_size": (lambda c: np.zeros((32, 32, 3), np.float32), ValueError, ("32x32", "64x64")),
    "rank_2": (lambda c: c["img"][..., 0], ValueError, ("images", "shape")),
    "path_string": (lambda c: "cat.jpg", TypeError, ("images", "load_image")),
    "strings": (lambda c: np.full((64, 64, 3), "a"), TypeError, ("images", "numbers")),
    "ragged_list": (lambda c: [c["img"], c["img"][:32]], TypeError, ("images", "sizes")),
    "none": (lambda c: None, TypeError, ("images",)),
}
for door, call in _PREDICT_DOORS.items():
    for bad, (make, exc, words) in _BAD_IMAGES.items():
        if door in ("activation_explorer",) and bad in ("wrong_size",):
            continue          # the activation explorer takes any size (the network is fully convolutional)
        if door == "get_activations" and bad == "wrong_size":
            continue
        add(f"{door}-{bad}", exc, words, lambda c, call=call, make=make: call(c, make(c)))

# --- card or model -------------------------------------------------------------------------------
add("grad_cam-path-as-model", TypeError, ("model", "load_model"), lambda c: cam.grad_cam("vgg16", c["img"]))
add("grad_cam-class-as-model", TypeError, ("model", "class"), lambda c: cam.grad_cam(dict, c["img"]))
add("get_activations-none-model", TypeError, ("model",), lambda c: activations.get_activations(None, c["img"], "block1_conv1"))
add("grad_cam-unbuilt-model", ValueError, ("not built", "input"), lambda c: cam.grad_cam(c["unbuilt"], np.zeros((8, 8, 3))))
add("feature_layers-unbuilt", ValueError, ("not built",), lambda c: cam.feature_layers(c["unbuilt"]))
add("grad_cam-dense-model", ValueError, ("4-d",), lambda c: cam.grad_cam(c["dense_only"], np.zeros((1, 4))))
add("gradcam_data-bare-model", TypeError, ("card", "load_model"), lambda c: E.gradcam_data(c["model"]))
add("gradcam_data-string", TypeError, ("card",), lambda c: E.gradcam_data("shapesnet"))
add("grad_cam-preprocess-not-callable", TypeError, ("preprocess", "function"),
    lambda c: cam.grad_cam(c["model"], c["img"], preprocess="caffe"))

# --- classes -------------------------------------------------------------------------------------
for name, classes, exc, words in (
    ("id-too-big", 99, ValueError, ("class id 99", "0..5")),
    ("negative", -1, ValueError, ("out of range",)),
    ("float", 1.5, TypeError, ("integer",)),
    ("bool", True, TypeError, ("bool",)),
    ("empty-list", [], ValueError, ("empty",)),
    ("unknown-name", "zebra", ValueError, ("zebra", "class")),
    ("misspelt-name", "circel", ValueError, ("circel", "circle")),
    ("top0", "top0", ValueError, ("top0",)),
    ("top99", "top99", ValueError, ("99", "classes")),
    ("2d-wrong-rows", np.zeros((3, 2), int), ValueError, ("rows", "N=1")),
    ("3d", np.zeros((1, 1, 1), int), ValueError, ("classes", "shape")),
):
    add(f"grad_cam-classes-{name}", exc, words, lambda c, classes=classes: cam.grad_cam(c["card"], c["img"], classes))
add("guided_backprop-classes-too-big", ValueError, ("out of range",), lambda c: cam.guided_backprop(c["card"], c["img"], 6))
add("gradcam_data-class-99", ValueError, ("class_id=99", "0..5"), lambda c: E.gradcam_data(c["card"], class_id=99))
add("gradcam_data-class-name-unknown", ValueError, ("class_id", "zebra"), lambda c: E.gradcam_data(c["card"], class_id="zebra"))
add("card.class_id-unknown", ValueError, ("zebra", "class"), lambda c: c["card"].class_id("zebra"))
add("card.class_id-out-of-range", ValueError, ("out of range",), lambda c: c["card"].class_id(17))
add("imagenet.class_id-unknown", ValueError, ("zebbra",), lambda c: imagenet.class_id("zebbra"))

# --- layers --------------------------------------------------------------------------------------
add("grad_cam-layer-unknown", ValueError, ("no layer named", "block9_conv1", "valid"),
    lambda c: cam.grad_cam(c["card"], c["img"], layer="block9_conv1"))
add("grad_cam-layer-int", TypeError, ("layer", "str"), lambda c: cam.grad_cam(c["card"], c["img"], layer=3))
add("grad_cam-layer-dense", ValueError, ("4-d", "valid"), lambda c: cam.grad_cam(c["card"], c["img"], layer="logits"))
add("get_activations-layer-unknown", ValueError, ("no layer named", "did you mean"),
    lambda c: activations.get_activations(c["card"], c["img"], ["block1_conv"]))
add("get_activations-layers-int", TypeError, ("layers",), lambda c: activations.get_activations(c["card"], c["img"], 3))
add("get_activations-layers-empty", ValueError, ("layers", "empty"), lambda c: activations.get_activations(c["card"], c["img"], []))
add("layer_model-unknown", ValueError, ("no layer named",), lambda c: activations.layer_model(c["model"], "nope"))
add("find_layer-int", TypeError, ("layer",), lambda c: activations.find_layer(c["model"], 5))
add("activation_explorer-layer-unknown", ValueError, ("layers", "nope"),
    lambda c: __import__("helpers.widgets.activations", fromlist=["x"]).activation_explorer(c["card"], c["samples"], layers=["nope"]))
add("activation_explorer-layer-dense", ValueError, ("feature map", "logits"),
    lambda c: __import__("helpers.widgets.activations", fromlist=["x"]).activation_explorer(c["card"], c["samples"], layers=["logits"]))
add("cam_explorer-layer-unknown", ValueError, ("layers", "nope"),
    lambda c: __import__("helpers.widgets.cam", fromlist=["x"]).cam_explorer(c["card"], c["samples"], layers=["nope"]))

# --- numbers: sizes, counts, options ------------------------------------------------------------
add("top_k-k-zero", ValueError, ("k", "between 1"), lambda c: c["card"].top_k(c["img"], k=0))
add("top_k-k-negative", ValueError, ("k",), lambda c: c["card"].top_k(c["img"], k=-2))
add("top_k-k-too-big", ValueError, ("k", "6"), lambda c: c["card"].top_k(c["img"], k=7))
add("top_k-k-string", TypeError, ("k", "integer"), lambda c: c["card"].top_k(c["img"], k="3"))
add("grad_cam-batch_size-string", TypeError, ("batch_size",), lambda c: cam.grad_cam(c["card"], c["img"], batch_size="a"))
add("grad_cam-batch_size-zero", ValueError, ("batch_size", "at least 1"), lambda c: cam.grad_cam(c["card"], c["img"], batch_size=0))
add("grad_cam-max_batch-zero", ValueError, ("max_batch",), lambda c: cam.grad_cam(c["card"], c["img"], max_batch=0))
add("grad_cam-method-unknown", ValueError, ("method", "gradcam"), lambda c: cam.grad_cam(c["card"], c["img"], method="lime"))
add("grad_cam-score-unknown", ValueError, ("score", "logit"), lambda c: cam.grad_cam(c["card"], c["img"], score="prob"))
add("guided_backprop-batch_size-zero", ValueError, ("batch_size",), lambda c: cam.guided_backprop(c["card"], c["img"], batch_size=0))
add("get_activations-batch_size-string", TypeError, ("batch_size",), lambda c: activations.get_activations(c["card"], c["img"], "block1_conv1", batch_size="a"))
add("get_activations-batch_size-zero", ValueError, ("batch_size",), lambda c: activations.get_activations(c["card"], c["img"], "block1_conv1", batch_size=0))
add("get_activations-1x1-image", ValueError, ("1x1", "too small"), lambda c: activations.get_activations(c["card"], np.zeros((1, 1, 3)), ["block4_conv1"]))
add("activation_explorer-cmap", ValueError, ("cmap", "nope", "viridis"),
    lambda c: __import__("helpers.widgets.activations", fromlist=["x"]).activation_explorer(c["card"], c["samples"], cmap="nope"))
add("activation_explorer-top_k-zero", ValueError, ("top_k",),
    lambda c: __import__("helpers.widgets.activations", fromlist=["x"]).activation_explorer(c["card"], c["samples"], top_k=0))
add("activation_explorer-empty-dict", ValueError, ("empty",),
    lambda c: __import__("helpers.widgets.activations", fromlist=["x"]).activation_explorer(c["card"], {}))
add("cam_explorer-alpha", ValueError, ("alpha",),
    lambda c: __import__("helpers.widgets.cam", fromlist=["x"]).cam_explorer(c["card"], c["samples"], alpha=2))
add("cam_explorer-method", ValueError, ("methods", "lime"),
    lambda c: __import__("helpers.widgets.cam", fromlist=["x"]).cam_explorer(c["card"], c["samples"], methods=("lime",)))
add("cam_explorer-top_k", ValueError, ("top_k",),
    lambda c: __import__("helpers.widgets.cam", fromlist=["x"]).cam_explorer(c["card"], c["samples"], top_k=0))

# --- maps, boxes, overlays -----------------------------------------------------------------------
_box = np.array([[10, 10, 30, 30]])
add("pointing_game-nan-box", ValueError, ("boxes", "nan"), lambda c: cam.pointing_game(np.ones((1, 4, 4)), [[np.nan, 0, 5, 5]], (64, 64)))
add("pointing_game-inverted-box", ValueError, ("boxes[0]", "inverted", "x0 < x1"), lambda c: cam.pointing_game(np.ones((1, 4, 4)), [[30, 10, 10, 30]], (64, 64)))
add("pointing_game-empty", ValueError, ("heatmaps", "empty"), lambda c: cam.pointing_game(np.zeros((0, 4, 4)), np.zeros((0, 4)), (64, 64)))
add("pointing_game-nan-map", ValueError, ("heatmaps", "nan"), lambda c: cam.pointing_game(np.full((1, 4, 4), np.nan), _box, (64, 64)))
add("pointing_game-boxes-shape", ValueError, ("boxes", "(1, 4)"), lambda c: cam.pointing_game(np.ones((1, 4, 4)), [1, 2, 3, 4], (64, 64)))
add("pointing_game-size-string", TypeError, ("size",), lambda c: cam.pointing_game(np.ones((1, 4, 4)), _box, "64"))
add("pointing_game-tolerance-negative", ValueError, ("tolerance",), lambda c: cam.pointing_game(np.ones((1, 4, 4)), _box, (64, 64), tolerance=-1))
add("pointing_game-2d-map", ValueError, ("heatmaps", "(n, h, w)"), lambda c: cam.pointing_game(np.ones((4, 4)), _box, (64, 64)))
add("overlay-empty-heatmap", ValueError, ("heatmap", "empty"), lambda c: cam.overlay(c["img"], np.zeros((0, 0))))
add("overlay-nan-heatmap", ValueError, ("heatmap", "nan"), lambda c: cam.overlay(c["img"], np.full((4, 4), np.nan)))
add("overlay-3d-heatmap", ValueError, ("heatmap", "(h, w)"), lambda c: cam.overlay(c["img"], np.ones((1, 4, 4))))
add("heatmap_box-threshold", ValueError, ("threshold",), lambda c: cam.heatmap_box(np.ones((4, 4)), threshold=2))
add("heatmap_box-connectivity", ValueError, ("connectivity",), lambda c: cam.heatmap_box(np.ones((4, 4)), connectivity=6))
add("heatmap_box-nan", ValueError, ("heatmap", "nan"), lambda c: cam.heatmap_box(np.full((4, 4), np.nan)))
add("resize_heatmap-3d", ValueError, ("heatmap", "2-d"), lambda c: cam.resize_heatmap(np.ones((2, 4, 4)), (8, 8)))
add("resize_heatmap-size-zero", ValueError, ("size",), lambda c: cam.resize_heatmap(np.ones((4, 4)), (0, 8)))
add("normalize_maps-nan", ValueError, ("nan",), lambda c: cam.normalize_maps(np.full((1, 4, 4), np.nan)))

# --- activations maths ---------------------------------------------------------------------------
add("input_similarity-nan-image", ValueError, ("image", "nan"), lambda c: activations.input_similarity(np.ones((4, 4, 2)), np.full((8, 8, 3), np.nan)))
add("input_similarity-nan-activation", ValueError, ("activation", "nan"), lambda c: activations.input_similarity(np.full((4, 4, 2), np.nan), c["img"]))
add("input_similarity-batch-image", ValueError, ("image", "one image"), lambda c: activations.input_similarity(np.ones((4, 4, 2)), c["imgs"]))
add("input_similarity-0to1-image", ValueError, ("image", "0..1"), lambda c: activations.input_similarity(np.ones((4, 4, 2)), c["img"] / 255))
add("zero_channels-rank2", ValueError, ("activation", "shape"), lambda c: activations.zero_channels(np.ones((4, 4))))
add("zero_channels-empty", ValueError, ("activation", "empty"), lambda c: activations.zero_channels(np.ones((0, 4, 4))))
add("top_channels-k-zero", ValueError, ("k",), lambda c: activations.top_channels(np.ones((4, 4, 3)), k=0))
add("top_channels-k-string", TypeError, ("k",), lambda c: activations.top_channels(np.ones((4, 4, 3)), k="2"))
add("top_channels-nan", ValueError, ("activation", "nan"), lambda c: activations.top_channels(np.full((4, 4, 3), np.nan)))
add("top_channel_overlap-one-image", ValueError, ("activations", "at least 2"), lambda c: activations.top_channel_overlap(np.ones((1, 4, 4, 3))))

# --- models and images ---------------------------------------------------------------------------
add("load_model-unknown", ValueError, ("vgg19", "shapesnet"), lambda c: models.load_model("vgg19"))
add("load_image-missing-file", (FileNotFoundError, img_mod.ImageLoadError), ("no_such_file.png",), lambda c: img_mod.load_image("no_such_file.png"))
add("load_image-size-int-negative", ValueError, ("size",), lambda c: img_mod.load_image(c["img"], size=-3))
add("load_image-0to1-array", ValueError, ("0..1", "255"), lambda c: img_mod.load_image(c["img"] / 255.0))
add("load_images-empty", ValueError, ("no images",), lambda c: img_mod.load_images([]))
add("decode_predictions-wrong-width", ValueError, ("1000",), lambda c: imagenet.decode_predictions(np.ones((1, 6))))

# --- exercises' inputs (the checks themselves never raise: see test_exercises) --------------------
add("gradcam_data-image-wrong-size", ValueError, ("image", "64x64"), lambda c: E.gradcam_data(c["card"], image=np.zeros((32, 32, 3))))
add("gradcam_data-image-0to1", ValueError, ("image", "0..1"), lambda c: E.gradcam_data(c["card"], image=c["img"] / 255))
add("gradcam_data-image-batch", ValueError, ("image", "one image"), lambda c: E.gradcam_data(c["card"], image=c["imgs"]))
add("gradcam_data-layer-unknown", ValueError, ("no layer named",), lambda c: E.gradcam_data(c["card"], layer="nope"))


# ------------------------------------------------------------------ the test ----

def _innermost_frame(excinfo) -> str:
    tb = excinfo.tb
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename


@pytest.mark.parametrize("fn, exc, words", CASES)
def test_bad_input_gets_a_clear_error_from_helpers(ctx, fn, exc, words):
    weights_before = _weights_digest(ctx["model"])
    img_before = ctx["img"].copy()
    with pytest.raises(exc) as excinfo:
        fn(ctx)
    message = str(excinfo.value).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"message lacks {missing}: {excinfo.value}"
    where = _innermost_frame(excinfo)
    assert where.startswith(HELPERS_DIR), f"raised from {where}, not from helpers: {excinfo.value!r}"
    assert _weights_digest(ctx["model"]) == weights_before, "a bad-input case changed the model's weights"
    np.testing.assert_array_equal(ctx["img"], img_before, err_msg="a bad-input case modified the caller's image")


def test_the_matrix_is_large():
    assert len(CASES) >= 150, f"only {len(CASES)} bad-input cases"
