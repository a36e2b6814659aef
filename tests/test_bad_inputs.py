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
A last test feeds the matrix's check cases that are wrong in each of these
ways and asserts that it fails for each (so a green matrix means something).

Property-based tests (Hypothesis, when installed) of the image check and
the exercise checks are in tests/test_properties.py.
"""
from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

import helpers
from helpers import activations, cam, deepvis, imagenet, images as img_mod, maximize, models, plotting, rnn, shapes
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
                tiny=tiny, unbuilt=unbuilt, dense_only=dense_only,
                gru=rnn.build_parity_gru(4), mlp=rnn.build_parity_mlp(4, 4))


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
    ("2d-wrong-rows", np.zeros((3, 2), int), ValueError, ("shape", "1 image")),
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


# --- recurrent networks (notebooks 05, 06) ------------------------------------------------------
_W = dict(W_xh=np.zeros((2, 3)), W_hh=np.zeros((3, 3)), b=np.zeros(3))
add("pad_bits-one-string", TypeError, ("sequences", "['101']"), lambda c: rnn.pad_bits("101"))
add("pad_bits-empty", ValueError, ("sequences", "empty"), lambda c: rnn.pad_bits([]))
add("pad_bits-bit-2", ValueError, ("0 or 1",), lambda c: rnn.pad_bits([[0, 2, 1]]))
add("parse_bits-letters", ValueError, ("'a'",), lambda c: rnn.parse_bits("10a1"))
add("parse_bits-empty", ValueError, ("empty",), lambda c: rnn.parse_bits(""))
add("running_parity-2", ValueError, ("0 or 1",), lambda c: rnn.running_parity([0, 1, 2]))
add("random_bits-negative", ValueError, ("n must be at least 1", "got -1"), lambda c: rnn.random_bits(-1, 5))
add("random_bits-float", TypeError, ("length must be an integer", "float 2.5"), lambda c: rnn.random_bits(3, 2.5))
add("random_bits-bool", TypeError, ("n must be an integer", "bool"), lambda c: rnn.random_bits(True, 5))
add("parity_batch-min-above-max", ValueError, ("min_len", "max_len"), lambda c: rnn.parity_batch(4, 5, 3))
add("window_accuracy_exact-negative-k", ValueError, ("window size k", "at least 0", "got -1"), lambda c: rnn.window_accuracy_exact(5, -1))
add("rnn_step-shapes", ValueError, ("w_xh", "shape"), lambda c: rnn.rnn_step(np.zeros(3), np.zeros(2), np.zeros((3, 3)), np.zeros((3, 3)), np.zeros(3)))
add("rnn_forward-nan", ValueError, ("xs", "nan"), lambda c: rnn.rnn_forward(np.full((4, 2), np.nan), np.zeros(3), **_W))
add("rnn_forward-empty", ValueError, ("xs", "empty"), lambda c: rnn.rnn_forward(np.zeros((0, 2)), np.zeros(3), **_W))
add("gradient_norms-T0", ValueError, ("t must be at least 1", "got 0"), lambda c: rnn.gradient_norms_over_time(T=0))
add("draw_unrolled-T0", ValueError, ("t (the steps drawn", "between 1 and 12", "got 0"), lambda c: rnn.draw_unrolled(T=0))
add("draw_unrolled-upto", ValueError, ("upto (t=3)", "between 0 and 3", "got 5"), lambda c: rnn.draw_unrolled(T=3, upto=5))
add("nested_expression-negative", ValueError, ("t must be at least 0", "got -1"), lambda c: rnn.nested_expression(-1))
add("parity_answer-digit-2", ValueError, ("'2'",), lambda c: rnn.parity_answer("12"))
add("word_ids-vocab0", ValueError, ("vocab (ids are 1..vocab-1)", "at least 2", "got 0"), lambda c: rnn.word_ids("a b", vocab=0))
add("linear_probe-lengths", ValueError, ("h_train", "y_train"), lambda c: rnn.linear_probe(np.zeros((5, 3)), np.zeros(4), np.zeros((2, 3)), np.zeros(2)))
add("linear_probe-one-class", ValueError, ("y_train", "both"), lambda c: rnn.linear_probe(np.random.rand(5, 3), np.zeros(5), np.random.rand(2, 3), np.zeros(2)))
add("threshold_accuracy-nan", ValueError, ("z_train", "nan"), lambda c: rnn.threshold_accuracy(np.array([np.nan, 1]), np.array([0, 1]), np.array([1.0]), np.array([1])))
add("principal_components-k", ValueError, ("k (principal components)", "between 1 and 3", "got 5"), lambda c: rnn.principal_components(np.zeros((5, 3)), k=5))
add("relative_error-shapes", ValueError, ("shape",), lambda c: rnn.relative_error(np.zeros(3), np.zeros(4)))
add("numerical_gradient-not-callable", TypeError, ("f", "function"), lambda c: rnn.numerical_gradient(3, np.zeros(2)))
add("keras_simple_rnn-shapes", ValueError, ("w_hh", "shape"), lambda c: rnn.keras_simple_rnn(np.zeros((2, 3)), np.zeros((4, 4)), np.zeros(3)))
add("keras_simple_rnn-activation", ValueError, ("activation", "nope"), lambda c: rnn.keras_simple_rnn(np.zeros((2, 3)), np.zeros((3, 3)), np.zeros(3), activation="nope"))
add("init_rnn_weights-units0", ValueError, ("units must be at least 1", "got 0"), lambda c: rnn.init_rnn_weights(2, 0))
add("build_parity_gru-units0", ValueError, ("units must be at least 1", "got 0"), lambda c: rnn.build_parity_gru(0))
add("build_shape_model-kind", ValueError, ("kind", "many"), lambda c: rnn.build_shape_model("many"))
add("window_table-k-above-n", ValueError, ("ks[1] (a window size, 0..n)", "between 0 and 20", "got 25"), lambda c: rnn.window_table(ks=(0, 25), n=20, n_train=10, n_test=10))
add("handbuilt_parity_table-letter", ValueError, ("'x'",), lambda c: rnn.handbuilt_parity_table("10x"))
add("plot_running_parity-probs-length", ValueError, ("probs", "3"), lambda c: rnn.plot_running_parity("101", probs=[0.5]))
add("run_sequence_model-length0", ValueError, ("x", "empty"), lambda c: rnn.run_sequence_model(c["gru"], np.zeros((1, 0, 1))))
add("gru_hidden_states-no-gru", ValueError, ("gru",), lambda c: rnn.gru_hidden_states(c["mlp"], "101"))
add("predict_parity-letters", ValueError, ("'a'",), lambda c: rnn.predict_parity(c["gru"], "10a"))
add("predict_fixed_length-too-long", ValueError, ("7", "4"), lambda c: rnn.predict_fixed_length(c["mlp"], "1010101"))
add("parity_accuracy-length0", ValueError, ("length must be at least 1", "got 0"), lambda c: rnn.parity_accuracy(c["gru"], 0))

# --- gradient ascent (notebooks 02, 03) ---------------------------------------------------------
add("maximize_filters-size-string", TypeError, ("size",), lambda c: maximize.maximize_filters(c["model"], "block1_conv1", [0], steps=2, size="64"))
add("maximize_filters-filter-too-big", ValueError, ("99", "16"), lambda c: maximize.maximize_filters(c["model"], "block1_conv1", [99], steps=2))
add("maximize_filters-batch_size-string", TypeError, ("batch_size",), lambda c: maximize.maximize_filters(c["model"], "block1_conv1", [0], steps=2, batch_size="a"))
add("maximize_filters-batch_size-zero", ValueError, ("batch_size",), lambda c: maximize.maximize_filters(c["model"], "block1_conv1", [0], steps=2, batch_size=0))
add("maximize_filters-layer-unknown", ValueError, ("no layer named",), lambda c: maximize.maximize_filters(c["model"], "nope", [0], steps=2))
add("maximize_classes-unknown-name", ValueError, ("zebra",), lambda c: maximize.maximize_classes(c["card"], "zebra", steps=2))
add("maximize_classes-steps-negative", ValueError, ("steps must be at least 0", "got -1"), lambda c: maximize.maximize_classes(c["model"], [0], steps=-1))
add("regularizers-unknown-preset", ValueError, ("preset", "nope"), lambda c: maximize.regularizers("nope"))
add("regularizers-unknown-key", ValueError, ("blurr", "valid"), lambda c: maximize.regularizers(None, blurr=1))
add("regularizers-negative", ValueError, ("l2_decay",), lambda c: maximize.regularizers(None, l2_decay=-1))
add("deprocess_images-nan", ValueError, ("images", "nan"), lambda c: maximize.deprocess_images(np.full((1, 4, 4, 3), np.nan)))
add("deprocess_images-rank2", ValueError, ("images", "shape"), lambda c: maximize.deprocess_images(np.zeros((4, 4))))
add("initial_images-size-zero", ValueError, ("size",), lambda c: maximize.initial_images([0], size=(0, 4)))
add("maximize_filters-preprocess-nan", ValueError, ("preprocess", "nan", "targets [0]"), lambda c: maximize.maximize_filters(c["model"], "block2_conv1", [0], steps=1, progress=False, preprocess=lambda x: x * float("nan")))
add("window_accuracy_empirical-zero-strings", ValueError, ("test_bits", "zero strings"), lambda c: rnn.window_accuracy_empirical(np.zeros((2, 3), int), 1, np.zeros((0, 3), int)))
add("high_frequency_share-nan", ValueError, ("images", "nan"), lambda c: maximize.high_frequency_share(np.full((1, 8, 8, 3), np.nan)))
add("frequency_concentration-fraction", ValueError, ("fraction",), lambda c: maximize.frequency_concentration(np.zeros((1, 8, 8, 3)), fraction=2))
add("get_engine-objective", ValueError, ("objective",), lambda c: maximize.get_engine(c["model"], "block1_conv1", objective="nope"))
add("find_class-unknown", ValueError, ("zebra",), lambda c: deepvis.find_class(c["card"], "zebra"))
add("class_gradients-nan", ValueError, ("images", "nan"), lambda c: deepvis.class_gradients(c["model"], np.full((1, 64, 64, 3), np.nan), [0]))
add("seconds_per_step-steps0", ValueError, ("steps",), lambda c: deepvis.seconds_per_step(c["model"], [0], steps=0))
add("high_frequency_share-cutoff", ValueError, ("cutoff",), lambda c: maximize.high_frequency_share(np.zeros((1, 8, 8, 3)), cutoff=3))
add("grey_fraction-nan", ValueError, ("images", "nan"), lambda c: maximize.grey_fraction(np.full((1, 8, 8, 3), np.nan)))
add("compare_regularizers-variants", TypeError, ("variants", "nope"), lambda c: deepvis.compare_regularizers(c["model"], [0], steps=2, variants=["nope"]))
add("filter_explorer-layer-unknown", ValueError, ("nope",), lambda c: __import__("helpers.widgets.filters", fromlist=["x"]).filter_explorer(c["card"], layers=["nope"]))
add("class_explorer-bare-model", TypeError, ("card",), lambda c: __import__("helpers.widgets.deepvis", fromlist=["x"]).class_explorer(c["model"]))
add("class_explorer-class-99", ValueError, ("99",), lambda c: __import__("helpers.widgets.deepvis", fromlist=["x"]).class_explorer(c["card"], classes=[99]))
add("class_explorer-preset", ValueError, ("preset", "nope"), lambda c: __import__("helpers.widgets.deepvis", fromlist=["x"]).class_explorer(c["card"], preset="nope"))

# --- plotting ------------------------------------------------------------------------------------
add("mosaic-empty", ValueError, ("tiles", "empty"), lambda c: plotting.mosaic(np.zeros((0, 4, 4))))
add("mosaic-ncols0", ValueError, ("ncols",), lambda c: plotting.mosaic(np.zeros((2, 4, 4)), ncols=0))
add("channel_grid-rank2", ValueError, ("activation", "shape"), lambda c: plotting.channel_grid(np.zeros((4, 4))))
add("channel_grid-cmap", ValueError, ("cmap", "nope"), lambda c: plotting.channel_grid(np.zeros((4, 4, 2)), cmap="nope"))
add("channel_grid-channel-out-of-range", ValueError, ("channels", "5"), lambda c: plotting.channel_grid(np.zeros((4, 4, 2)), channels=[5]))
add("colorize-cmap", ValueError, ("cmap", "nope"), lambda c: plotting.colorize(np.zeros((1, 4, 4)), cmap="nope"))
add("image_grid-titles-length", ValueError, ("titles",), lambda c: plotting.image_grid(np.zeros((2, 4, 4, 3)), titles=["a"]))
add("image_grid-empty", ValueError, ("images", "empty"), lambda c: plotting.image_grid(np.zeros((0, 4, 4, 3))))
add("png_bytes-scale0", ValueError, ("scale",), lambda c: plotting.png_bytes(np.zeros((2, 2, 3)), scale=0))
add("kernel_tiles-rank2", ValueError, ("kernels", "shape"), lambda c: plotting.kernel_tiles(np.zeros((3, 3))))
add("channel_figure-channel", ValueError, ("channel", "5"), lambda c: plotting.channel_figure(c["img"], np.zeros((4, 4, 2)), channel=5))
add("activation_grids-empty", ValueError, ("activations", "empty"), lambda c: plotting.activation_grids({}))

# --- data -----------------------------------------------------------------------------------------
add("make_shapes-n0", ValueError, ("n must be at least 1", "got 0"), lambda c: shapes.make_shapes(0))
add("make_shapes-size-tiny", ValueError, ("size must be between 24 and 512", "got 4"), lambda c: shapes.make_shapes(2, size=4))
add("make_shapes-seed-negative", ValueError, ("seed must be at least 0", "got -1"), lambda c: shapes.make_shapes(2, seed=-1))
add("build_shapesnet-filters-float", TypeError, ("filters[1] must be an integer", "0.5"), lambda c: shapes.build_shapesnet(filters=(4, 0.5)))
add("decode_predictions-top0", ValueError, ("top",), lambda c: imagenet.decode_predictions(np.ones((1, 1000)) / 1000, top=0))
add("decode_predictions-nan", ValueError, ("nan",), lambda c: imagenet.decode_predictions(np.full((1, 1000), np.nan)))
add("search_classes-int", TypeError, ("text",), lambda c: imagenet.search_classes(3))
add("to_batch-empty-list", ValueError, ("empty", "at least one image"), lambda c: img_mod.to_batch([]))
add("load_image-size-string", (TypeError, ValueError), ("size",), lambda c: img_mod.load_image(c["img"], size="64"))
add("load_image-size-triple", (TypeError, ValueError), ("size", "(height, width)"), lambda c: img_mod.load_image(c["img"], size=(64, 64, 3)))


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


def test_the_matrix_check_fails_for_each_kind_of_wrong_result(ctx):
    """Cases that break each promise of the matrix must fail its check (else a green matrix proves nothing)."""
    import keras

    Failed = pytest.fail.Exception  # what pytest.raises raises when nothing was raised
    check = test_bad_input_gets_a_clear_error_from_helpers
    own = dict(ctx, img=ctx["img"].copy(),
               model=keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="scratch"))

    def spoils_the_image(c):
        c["img"][0, 0, 0] += 1.0
        maximize.regularizers("nope")  # then a clear error from helpers

    def changes_the_weights(c):
        c["model"].layers[0].kernel.assign(c["model"].layers[0].kernel + 1.0)
        maximize.regularizers("nope")

    # case -> (fn, expected exception, words, what the check's failure says)
    wrong = {
        "raised outside helpers": (lambda c: np.zeros(3)[5], IndexError, (), "not from helpers"),
        "message lacks the word": (lambda c: maximize.regularizers("nope"), ValueError, ("zebra",), "message lacks"),
        "no error at all": (lambda c: maximize.regularizers(None), ValueError, (), "DID NOT RAISE"),
        "another exception type": (lambda c: maximize.regularizers("nope"), TypeError, (), "unknown regulariser"),
        "modifies the caller's image": (spoils_the_image, ValueError, ("preset",), "modified the caller's image"),
        "changes the model's weights": (changes_the_weights, ValueError, ("preset",), "changed the model's weights"),
    }
    for label, (fn, exc, words, says) in wrong.items():
        with pytest.raises((AssertionError, Failed, ValueError)) as info:
            check(own, fn, exc, words)
        assert says in str(info.value), (label, str(info.value)[:300])
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})  # a repeated id hides a case


# ------------------------------------------------------- the one integer check ----

def test_check_int_takes_integers_of_every_kind_and_refuses_the_rest():
    from helpers.inputs import check_int

    for value, expected in [(3, 3), (np.int64(3), 3), (np.uint8(3), 3), (3.0, 3), (np.float32(-2.0), -2), (10 ** 30, 10 ** 30)]:
        out = check_int(value, "n")
        assert out == expected and type(out) is int, (value, out)
    for value, says in [(True, "n must be an integer, got bool True."), (np.bool_(False), "got bool False."),
                        ("3", "n must be an integer, got str '3'."), (2.5, "n must be an integer, got float 2.5."),
                        (float("nan"), "got float nan."), (float("inf"), "got float inf."), (None, "got NoneType None."),
                        (np.array([3]), "got ndarray")]:
        with pytest.raises(TypeError) as info:
            check_int(value, "n")
        assert says in str(info.value), (value, str(info.value))
    for args, says in [((0, "n", 1), "n must be at least 1, got 0."), ((13, "T", 1, 12), "T must be between 1 and 12, got 13."),
                       ((0, "T", 1, 12), "T must be between 1 and 12, got 0."), ((5, "k", None, 4), "k must be at most 4, got 5.")]:
        with pytest.raises(ValueError) as info:
            check_int(*args)
        assert str(info.value) == says
    assert check_int(1, "n", 1) == 1 and check_int(12, "T", 1, 12) == 12 and check_int(-7, "i") == -7   # bounds inclusive


def test_helpers_has_one_integer_check():
    """No module defines its own integer check: they call helpers.inputs.check_int (issue 26)."""
    import re

    own = []
    for folder, _, files in os.walk(HELPERS_DIR):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
                own += [f"{os.path.relpath(path, HELPERS_DIR)}: def {m}" for m in
                        re.findall(r"^\s*def (_?check_\w*int\w*|_check_positive\w*|_as_int\w*)\(", text, re.M)]
    assert sorted(own) == ["exercises/_core.py: def _as_int", "inputs.py: def check_int"], own
