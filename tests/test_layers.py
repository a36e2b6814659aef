"""Tests for helpers.layers (one walk, one lookup, the derived models) and the one class-name lookup."""
import types
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import activations, cam, deepvis, layers, trust  # noqa: E402
from helpers.cam.core import get_core  # noqa: E402
from helpers.inputs import class_index  # noqa: E402


def _nested():
    """Sequential(Input, base(conv c1 -> pool p1 -> conv c2), GAP, Dense softmax 'head')."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inp)
    x = keras.layers.MaxPooling2D(name="p1")(x)
    x = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="c2")(x)
    base = keras.Model(inp, x, name="base")
    return keras.Sequential([keras.Input((8, 8, 3)), base, keras.layers.GlobalAveragePooling2D(name="gap"),
                             keras.layers.Dense(3, activation="softmax", name="head")], name="outer")


def test_one_walk_gives_paths_lists_and_lookups_for_a_nested_model():
    model = _nested()
    assert [("/".join(p), lay.name) for p, _, lay in layers.walk(model)][:2] == [("base", "base"), ("base/c1", "c1")]
    assert layers.feature_layers(model) == ["base/c1", "base/p1", "base/c2"]
    assert layers.conv_layers(model) == ["base/c1", "base/c2"]
    assert activations.conv_layer_names(model) == layers.conv_layers(model)   # the old names, the same list
    path, owner, lay = layers.find_layer(model, "c2")                          # a bare name works when unique
    assert path == ("base", "c2") and owner.name == "base" and lay.name == "c2"
    assert layers.find_layer(model, "base/c2")[2] is lay
    assert layers.default_layer(model) == "base/c2"                            # the last non-pooling 4-D layer
    with pytest.raises(ValueError, match="nested model"):
        layers.feature_layer(model, "base")
    with pytest.raises(ValueError, match="not a 4-D"):
        layers.feature_layer(model, "head")
    with pytest.raises(ValueError, match="Did you mean 'c2'"):
        layers.find_layer(model, "c22")


def test_logits_model_shares_the_fused_dense_so_weights_changed_in_place_are_followed_without_rebuilding():
    model = _nested()
    x = np.random.default_rng(1).uniform(0, 1, (2, 8, 8, 3)).astype(np.float32)
    feats = keras.Model(model.inputs[0], model.get_layer("gap").output)

    def hand_logits():
        W, b = model.get_layer("head").get_weights()
        return feats(x).numpy() @ W + b

    lm = layers.logits_model(model)
    assert layers.logits_model(model) is lm                                   # cached
    np.testing.assert_allclose(lm(x).numpy(), hand_logits(), atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before = cam.grad_cam(model, x, [0, 1], method="gradcam", normalize=False)
        cam.guided_backprop(model, x, [0, 1])                                   # builds the guided clone too
    core = get_core(model, "base/c2")
    trust.randomize_layers(model, ["head", "base/c2"], seed=5)                  # in place, nothing rebuilt
    assert layers.logits_model(model) is lm and get_core(model, "base/c2") is core
    assert {id(v) for v in lm.weights} == {id(v) for v in model.weights}        # the same variables, no copy
    np.testing.assert_allclose(lm(x).numpy(), hand_logits(), atol=1e-5)
    # Grad-CAM after the change equals Grad-CAM of a fresh model with the new weights (no stale cache)
    fresh = _nested()
    fresh.set_weights(model.get_weights())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        after = cam.grad_cam(model, x, [0, 1], method="gradcam", normalize=False)
        np.testing.assert_allclose(after, cam.grad_cam(fresh, x, [0, 1], method="gradcam", normalize=False),
                                   atol=1e-5)
        np.testing.assert_allclose(cam.guided_backprop(model, x, [0, 1]), cam.guided_backprop(fresh, x, [0, 1]),
                                   atol=1e-5)
    assert not np.allclose(before, after)
    assert [f.experimental_get_tracing_count() for f in core._compiled.values()] == [1]   # traced once, before


def test_class_names_resolve_the_same_way_in_every_module():
    """deepvis.find_class, inputs.class_index and cam.grad_cam agree on an ImageNet alias."""
    keras.utils.set_random_seed(2)
    inp = keras.Input((8, 8, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    out = keras.layers.Dense(1000, activation="softmax")(keras.layers.GlobalAveragePooling2D()(h))
    card = types.SimpleNamespace(model=keras.Model(inp, out), preprocess=lambda im: im / 255.0,
                                 class_names=[f"c{i}" for i in range(1000)], last_conv_layer="conv")
    x = np.random.default_rng(3).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    assert deepvis.find_class(card, "billiard table") == 736 == class_index(card, "billiard table")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, ids = cam.grad_cam(card, x, "billiard table", return_classes=True)
        _, ids2 = cam.grad_cam(card, x, ["billiard table", "flamingo"], return_classes=True)
    assert list(ids) == [736, 736] and list(ids2) == [736, 130]
    with pytest.raises(ValueError, match="not a class|close matches|search_classes"):
        cam.grad_cam(card, x, "billiard tabel zzz")


def test_images_per_pass_caps_the_batch_by_the_layer_outputs_and_leaves_the_maps_unchanged(monkeypatch):
    import keras

    from helpers import cam

    inp = keras.Input((8, 8, 3))
    a = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling2D()(a))
    model = keras.Model(inp, out)
    per_image = 4 * (8 * 8 * 4 + 4 + 2)        # bytes of the conv, pooling and dense outputs of one image
    x = np.random.default_rng(0).uniform(0, 255, (7, 8, 8, 3)).astype(np.float32)
    whole = cam.grad_cam(model, x, [0, 1, 0, 1, 0, 1, 0], "conv", normalize=False)
    guided = cam.guided_backprop(model, x, [0, 1, 0, 1, 0, 1, 0])
    monkeypatch.setattr(layers, "PASS_BYTES", 5 * per_image)
    assert layers.images_per_pass(model, 32) == 5 and layers.images_per_pass(model, 3) == 3
    assert layers.images_per_pass(model, 32, per_image=2) == 2
    monkeypatch.setattr(layers, "PASS_BYTES", 2 * per_image - 1)          # 1.99 images: 1 a pass
    assert layers.images_per_pass(model, 32) == 1
    np.testing.assert_allclose(cam.grad_cam(model, x, [0, 1, 0, 1, 0, 1, 0], "conv", normalize=False), whole,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cam.guided_backprop(model, x, [0, 1, 0, 1, 0, 1, 0]), guided, rtol=1e-5, atol=1e-7)
