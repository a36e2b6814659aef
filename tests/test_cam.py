"""Tests for helpers.cam (notebook 04) against references computed another way.

The tiny models here have hand-set weights so that the feature map, the
gradients of the scores and every map can be computed in plain numpy.
"""
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")
import tensorflow as tf  # noqa: E402

from helpers import cam  # noqa: E402
from helpers.cam.guided import guided_model  # noqa: E402
from helpers.layers import logits_model  # noqa: E402

RNG = np.random.default_rng(7)


# ------------------------------------------------------------ tiny models ----

def _conv_valid(x, K, b):
    """numpy 'valid' cross-correlation, x (H, W, C), K (3, 3, C, F) -> (H-2, W-2, F)."""
    H, W, _ = x.shape
    out = np.zeros((H - 2, W - 2, K.shape[-1]))
    for i in range(H - 2):
        for j in range(W - 2):
            out[i, j] = np.tensordot(x[i:i + 3, j:j + 3], K, axes=([0, 1, 2], [0, 1, 2])) + b
    return out


@pytest.fixture(scope="module")
def mlp_head():
    """5x5x1 input -> Conv2D(2, 3x3 valid, relu) -> Flatten -> Dense(4, relu) -> Dense(3) -> softmax.

    The ReLU in the head makes dy/dA depend on the image (not a constant as
    with GAP + Dense), so the hand-computed Grad-CAM is a real check.
    """
    rng = np.random.default_rng(1)
    K = rng.normal(size=(3, 3, 1, 2))
    bk = np.array([0.1, -0.05])
    W1 = rng.normal(size=(3 * 3 * 2, 4))
    b1 = np.array([0.2, -0.3, 0.1, 0.0])
    W2 = rng.normal(size=(4, 3))
    b2 = np.array([0.0, 0.1, -0.1])
    inp = keras.Input((5, 5, 1))
    x = keras.layers.Conv2D(2, 3, activation="relu", name="conv")(inp)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(4, activation="relu", name="hidden")(x)
    x = keras.layers.Dense(3, name="logits")(x)
    out = keras.layers.Activation("softmax", name="predictions")(x)
    model = keras.Model(inp, out)
    model.get_layer("conv").set_weights([K, bk])
    model.get_layer("hidden").set_weights([W1, b1])
    model.get_layer("logits").set_weights([W2, b2])
    return model, (K, bk, W1, b1, W2, b2)


def _mlp_reference(x, params, c):
    """Hand computation: feature map A and dy_c/dA for the mlp_head model."""
    K, bk, W1, b1, W2, b2 = params
    z = _conv_valid(x, K, bk)
    A = np.maximum(z, 0)
    z1 = A.reshape(-1) @ W1 + b1
    G = (W1 @ ((z1 > 0) * W2[:, c])).reshape(A.shape)  # chain rule through Flatten, ReLU, Dense
    return A, G, z1


def _normalise(m):
    m = np.maximum(m, 0)
    return m / m.max()


def _gap_dense_model(size=12, classes=6, seed=0, scale=1.0):
    """Conv-ReLU-Conv-ReLU-GAP-Dense(logits)-softmax with seeded weights."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")(inp)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(classes, name="logits")(x)
    out = keras.layers.Activation("softmax", name="predictions")(x)
    model = keras.Model(inp, out)
    if scale != 1.0:
        W, b = model.get_layer("logits").get_weights()
        model.get_layer("logits").set_weights([W * scale, b * scale])
    return model


def _images(n, size=12, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, size, size, 3)).astype(np.float32)


# ------------------------------------------------------- hand-computed maps ----

def test_gradcam_matches_hand_computation(mlp_head):
    model, params = mlp_head
    x = np.random.default_rng(4).normal(size=(3, 5, 5, 1)).astype(np.float32)
    nonzero = 0
    for c in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # some (image, class) maps are legitimately zero
            got = cam.grad_cam(model, x, classes=c, layer="conv")
        for n in range(3):
            A, G, z1 = _mlp_reference(x[n].astype(np.float64), params, c)
            ref = np.maximum((A * G.mean(axis=(0, 1))).sum(-1), 0)
            if ref.max() > 0:
                nonzero += 1
                ref = ref / ref.max()
            np.testing.assert_allclose(got[n], ref, atol=1e-5)
    assert nonzero >= 5  # the comparison is not vacuous
    # the hidden ReLU really switches units off for these inputs, so dy/dA is image dependent
    z1s = np.array([_mlp_reference(x[n].astype(np.float64), params, 0)[2] for n in range(3)])
    assert (z1s > 0).any() and (z1s <= 0).any()


def test_gradcam_top1_is_the_argmax_class(mlp_head):
    model, params = mlp_head
    x = RNG.normal(size=(3, 5, 5, 1)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, ids = cam.grad_cam(model, x, layer="conv", return_classes=True)
    np.testing.assert_array_equal(ids, np.argmax(model.predict(x, verbose=0), axis=1))


def test_gradcam_plus_plus_matches_numpy_closed_form(mlp_head):
    model, params = mlp_head
    x = RNG.normal(size=(2, 5, 5, 1)).astype(np.float32)
    got = cam.grad_cam(model, x, classes=np.tile([0, 1, 2], (2, 1)), layer="conv", method="gradcam++",
                       normalize=False)
    for n in range(2):
        for c in range(3):
            A, G, _ = _mlp_reference(x[n].astype(np.float64), params, c)
            # Chattopadhay et al. 2018, eq. 19 with the exp(score) trick
            denom = 2 * G**2 + A.sum(axis=(0, 1)) * G**3
            alpha = np.divide(G**2, denom, out=np.zeros_like(G), where=denom != 0)
            w = (alpha * np.maximum(G, 0)).sum(axis=(0, 1))
            ref = np.maximum((A * w).sum(-1), 0)
            np.testing.assert_allclose(got[n, c], ref, rtol=1e-4, atol=1e-6)


def test_layercam_matches_numpy_reference(mlp_head):
    """LayerCAM (Jiang et al. 2021, eq. 5-6): ReLU(sum_k ReLU(dy^c/dA^k_ij) A^k_ij), gradients by hand."""
    model, params = mlp_head
    x = np.random.default_rng(5).normal(size=(3, 5, 5, 1)).astype(np.float32)
    ids = np.tile([0, 1, 2], (3, 1))
    got = cam.grad_cam(model, x, ids, layer="conv", method="layercam", normalize=False)
    differs = 0
    for n in range(3):
        for c in range(3):
            A, G, _ = _mlp_reference(x[n].astype(np.float64), params, c)
            ref = np.maximum((np.maximum(G, 0) * A).sum(-1), 0)
            np.testing.assert_allclose(got[n, c], ref, atol=1e-5)
            gradcam = np.maximum((A * G.mean(axis=(0, 1))).sum(-1), 0)
            differs += not np.allclose(ref, gradcam, atol=1e-3)
    assert differs >= 3 and got.max() > 0  # LayerCAM is not Grad-CAM here, and not all zeros
    # the registry entry is what grad_cam ran, and the method is offered everywhere
    assert cam.REGISTRY["layercam"].kind == "gradient" and "layercam" in cam.ALL_METHODS


def test_counterfactual_is_gradcam_of_negated_gradients(mlp_head):
    model, params = mlp_head
    x = RNG.normal(size=(1, 5, 5, 1)).astype(np.float32)
    got = cam.grad_cam(model, x, classes=1, layer="conv", method="counterfactual", normalize=False)
    A, G, _ = _mlp_reference(x[0].astype(np.float64), params, 1)
    np.testing.assert_allclose(got[0], np.maximum((A * -G.mean(axis=(0, 1))).sum(-1), 0), atol=1e-5)


def test_cam_equals_gradcam_up_to_positive_scale_and_hand_cam():
    model = _gap_dense_model()
    x = _images(3)
    raw_cam = cam.grad_cam(model, x, classes="top3", method="cam", normalize=False)
    raw_grad = cam.grad_cam(model, x, classes="top3", method="gradcam", normalize=False)
    # GAP: dy/dA_ij^k = W[k, c] / (h w), so Grad-CAM = CAM / (h w) with h w = 144
    np.testing.assert_allclose(raw_cam, raw_grad * 144, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        cam.grad_cam(model, x, method="cam"), cam.grad_cam(model, x, method="gradcam"), atol=1e-5
    )
    # CAM by hand: feature map from a sub-model, weights from the Dense kernel
    feats = keras.Model(model.input, model.get_layer("c2").output)(x).numpy()
    W = model.get_layer("logits").get_weights()[0]
    _, ids = cam.grad_cam(model, x, method="cam", return_classes=True)
    for n in range(3):
        np.testing.assert_allclose(
            cam.grad_cam(model, x[n:n + 1], method="cam")[0], _normalise(feats[n] @ W[:, ids[n]]), atol=1e-5
        )


def test_cam_refuses_a_model_without_gap_dense_head(mlp_head):
    model, _ = mlp_head
    with pytest.raises(ValueError, match="GlobalAveragePooling2D"):
        cam.grad_cam(model, np.zeros((1, 5, 5, 1), np.float32), layer="conv", method="cam")
    gap = _gap_dense_model()
    with pytest.raises(ValueError, match="GlobalAveragePooling2D|gradcam"):
        cam.grad_cam(gap, _images(1), layer="c1", method="cam")  # c2 sits between c1 and the GAP


# ------------------------------------------------------------- batching ----

def _mlp_model(size=12, classes=6, seed=3):
    """Conv-ReLU-Conv-ReLU-Flatten-Dense(relu)-Dense-softmax: dy/dA differs per class AND image."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")(inp)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c2")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(16, activation="relu")(x)
    out = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inp, out)


def test_batched_topk_equals_single_class_calls():
    model = _mlp_model(classes=6, seed=3)
    x = _images(4, seed=5)
    for method in ("gradcam", "gradcam++", "scorecam"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            maps, ids = cam.grad_cam(model, x, "top4", method=method, return_classes=True)
            assert maps.shape == (4, 4, 12, 12) and ids.shape == (4, 4)
            probs = model.predict(x, verbose=0)
            np.testing.assert_array_equal(ids, np.argsort(-probs, axis=1, kind="stable")[:, :4])
            for k in range(4):
                one = cam.grad_cam(model, x, classes=ids[:, k], method=method)  # one class per image
                np.testing.assert_allclose(maps[:, k], one, atol=1e-5)
    # one class across images: an int == that id given for every image == top=K's column
    a = cam.grad_cam(model, x, classes=2)
    b = cam.grad_cam(model, x, classes=[2] * len(x))
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(cam.grad_cam(model, x, top=4, method=method), maps, atol=1e-6)  # "top4" == top=4


class _CallCounter(keras.layers.Layer):
    """Identity layer counting how many times the forward pass runs."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, x):
        self.count.assign_add(1.0)
        return x


def test_topk_runs_the_convolutional_base_once():
    keras.utils.set_random_seed(0)
    inp = keras.Input((10, 10, 3))
    counter = _CallCounter()
    x = counter(inp)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="c1")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(5, activation="softmax")(x)
    model = keras.Model(inp, out)
    x = _images(3, size=10)
    cam.grad_cam(model, x, "top1")  # warm up (tracing may call the layer)
    before = float(counter.count.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cam.grad_cam(model, x, "top5")
    assert float(counter.count.numpy()) - before == 1.0


# ------------------------------------------------------------ zero maps ----

def test_zero_gradient_and_all_negative_maps_give_zeros_and_a_warning():
    model = _gap_dense_model(classes=3, seed=1)
    W, b = model.get_layer("logits").get_weights()
    W[:, 0] = 0.0                 # class 0: score does not depend on A at all
    W[:, 1] = -np.abs(W[:, 1])    # class 1: every channel (>= 0 after ReLU) lowers the score
    model.get_layer("logits").set_weights([W, b])
    x = _images(2, seed=2)
    for method in ("gradcam", "gradcam++", "cam"):
        with pytest.warns(UserWarning, match="image 0, class 1"):
            maps = cam.grad_cam(model, x, classes=np.tile([0, 1], (2, 1)), method=method)
        assert np.isfinite(maps).all()
        assert np.all(maps == 0.0)


def test_normalize_maps_never_returns_nan():
    maps = np.zeros((2, 1, 3, 3), np.float32)
    maps[1, 0, 1, 1] = 2.0
    with pytest.warns(UserWarning, match="image 0, class 5"):
        out = cam.normalize_maps(maps, class_ids=np.array([[5], [6]]))
    assert np.isfinite(out).all() and out[0].max() == 0 and out[1, 0, 1, 1] == 1.0
    with pytest.raises(ValueError, match="NaN"):
        cam.normalize_maps(np.full((1, 1, 2, 2), np.nan))


def test_score_is_taken_before_the_softmax():
    model = _gap_dense_model(classes=4, seed=4, scale=2000.0)  # softmax saturates at 1.0
    x = _images(1, seed=9)
    probs = model.predict(x, verbose=0)
    assert probs.max() == 1.0  # saturated in float32
    logit_map = cam.grad_cam(model, x, normalize=False)
    assert logit_map.max() > 0
    assert cam.grad_cam(model, x).max() == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob_map = cam.grad_cam(model, x, normalize=False, score="probability")
    assert prob_map.max() <= 1e-6 * logit_map.max()  # after the softmax the gradient vanishes


# ---------------------------------------------------------- nested models ----

def _nested_models():
    keras.utils.set_random_seed(11)
    flat = _gap_dense_model(size=12, classes=5, seed=11)
    c1, c2, dense = (flat.get_layer(n) for n in ("c1", "c2", "logits"))
    b_in = keras.Input((12, 12, 3))
    b_c1 = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")
    b_c2 = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="c2")
    base = keras.Model(b_in, b_c2(b_c1(b_in)), name="base")
    b_c1.set_weights(c1.get_weights())
    b_c2.set_weights(c2.get_weights())
    head_s = keras.layers.Dense(5, activation="softmax", name="predictions")
    seq = keras.Sequential([keras.Input((12, 12, 3)), base, keras.layers.GlobalAveragePooling2D(), head_s])
    head_s.set_weights(dense.get_weights())
    inp = keras.Input((12, 12, 3))
    y = keras.layers.Rescaling(1.0)(inp)
    y = base(y)
    y = keras.layers.GlobalAveragePooling2D()(y)
    head_f = keras.layers.Dense(5, name="logits")
    y = keras.layers.Activation("softmax")(head_f(y))
    func = keras.Model(inp, y)
    head_f.set_weights(dense.get_weights())
    return flat, seq, func


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_nested_transfer_learning_model_equals_flat(kind):
    flat, seq, func = _nested_models()
    nested = seq if kind == "sequential" else func
    x = _images(3, seed=3)
    n_layers, n_out = len(nested.layers), nested(x).numpy()
    for layer in ("c2", "base/c1"):
        for method in ("gradcam", "gradcam++"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = cam.grad_cam(nested, x, "top3", layer=layer, method=method)
                b = cam.grad_cam(flat, x, "top3", layer=layer.split("/")[-1], method=method)
            np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(cam.grad_cam(nested, x, method="cam"), cam.grad_cam(flat, x, method="cam"), atol=1e-5)
    assert cam.default_layer(nested) == "base/c2"
    assert cam.feature_layers(nested)[-2:] == ["base/c1", "base/c2"]
    # the user's model is unchanged
    assert len(nested.layers) == n_layers
    np.testing.assert_allclose(nested(x).numpy(), n_out, atol=1e-6)


def test_twice_nested_model():
    flat, seq, _ = _nested_models()
    outer = keras.Sequential([keras.Input((12, 12, 3)), seq])
    x = _images(2, seed=4)
    np.testing.assert_allclose(
        cam.grad_cam(outer, x, "top2", layer="c1"), cam.grad_cam(flat, x, "top2", layer="c1"), atol=1e-5
    )


# ---------------------------------------------------------- bad arguments ----

def test_bad_layer_names_list_the_valid_ones():
    model = _gap_dense_model()
    x = _images(1)
    with pytest.raises(ValueError, match=r"no layer named 'block5_conv3'.*c1, c2"):
        cam.grad_cam(model, x, layer="block5_conv3")
    with pytest.raises(ValueError, match=r"not a 4-D.*\['c1', 'c2'\]"):
        cam.grad_cam(model, x, layer="gap")
    with pytest.raises(TypeError, match="layer name"):
        cam.grad_cam(model, x, layer=3)


def test_bad_classes_images_and_method_give_clear_errors():
    model = _gap_dense_model(classes=6)
    x = _images(2)
    with pytest.raises(ValueError, match="out of range.*6 classes"):
        cam.grad_cam(model, x, classes=6)
    with pytest.raises(ValueError, match="out of range"):
        cam.grad_cam(model, x, classes=[0, -1])
    with pytest.raises(ValueError, match="only 6"):
        cam.grad_cam(model, x, classes="top7")
    with pytest.raises(ValueError, match="not understood"):
        cam.grad_cam(model, x, classes="best")
    with pytest.raises(TypeError, match="integer"):
        cam.grad_cam(model, x, classes=[1.5])
    with pytest.raises(ValueError, match=r"shape \(3, 1\) for 2 image.*one class per image"):
        cam.grad_cam(model, x, classes=np.zeros((3, 1), int))
    with pytest.raises(ValueError, match=r"shape \(3,\) for 2 image.*top=K"):
        cam.grad_cam(model, x, classes=[0, 1, 2])       # K ids for every image is an (N, K) array now
    with pytest.raises(ValueError, match="not both"):
        cam.grad_cam(model, x, classes=[0, 1], top=2)
    with pytest.raises(ValueError, match="expects 12x12 images, images are 10x10"):
        cam.grad_cam(model, _images(1, size=10))
    with pytest.raises(ValueError, match="NaN"):
        cam.grad_cam(model, np.full((1, 12, 12, 3), np.nan, np.float32))
    with pytest.raises(ValueError, match="unknown method"):
        cam.grad_cam(model, x, method="gradcam+++")
    with pytest.raises(TypeError, match="keras.Model"):
        cam.grad_cam("vgg16", x)
    # one (H, W, C) image gives one (h, w) map
    assert cam.grad_cam(model, x[0]).shape == (12, 12)


# -------------------------------------------------- guided backpropagation ----

def test_guided_backprop_matches_hand_rule_and_leaves_model_alone():
    """Dense-only head after one conv: guided gradient computed by hand in numpy."""
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(3)
    inp = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inp)  # (2, 2, 3)
    x = keras.layers.Flatten()(x)
    out = keras.layers.Dense(2, activation="softmax", name="predictions")(x)
    model = keras.Model(inp, out)
    K, bk = rng.normal(size=(3, 3, 1, 3)), np.array([0.1, -0.1, 0.05])
    W = rng.normal(size=(12, 2))
    model.get_layer("conv").set_weights([K, bk])
    model.get_layer("predictions").set_weights([W, np.zeros(2)])
    img = rng.normal(size=(1, 4, 4, 1)).astype(np.float32)
    before = model.predict(img, verbose=0)
    g = cam.guided_backprop(model, img, classes=0)[0, ..., 0]
    z = _conv_valid(img[0].astype(np.float64), K, bk)
    dA = W[:, 0].reshape(2, 2, 3)
    dz = dA * (z > 0) * (dA > 0)  # guided ReLU: active units AND positive gradient
    ref = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            ref[i:i + 3, j:j + 3] += np.tensordot(K[:, :, 0, :], dz[i, j], axes=([2], [0]))
    np.testing.assert_allclose(g, ref, atol=1e-5)
    assert (dA * (z > 0) < 0).any()  # the guided rule really removed something here
    np.testing.assert_allclose(model.predict(img, verbose=0), before)
    assert model.get_layer("conv").activation is keras.activations.relu


def _bilinear_up(m, H, W):
    """Half-pixel-centre bilinear upsampling (edges clamped), written out in numpy."""
    h, w = m.shape
    ys = np.clip((np.arange(H) + 0.5) * h / H - 0.5, 0, h - 1)
    xs = np.clip((np.arange(W) + 0.5) * w / W - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = m[y0][:, x0] * (1 - fx) + m[y0][:, x1] * fx
    bot = m[y1][:, x0] * (1 - fx) + m[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def test_guided_grad_cam_matches_hand_guided_gradient_times_upsampled_gradcam(mlp_head):
    """Guided Grad-CAM of the mlp_head model, every factor by hand: guided ReLU chain rule through
    Dense-ReLU-Flatten-Conv-ReLU, Grad-CAM from the hand gradients, bilinear upsampling 3x3 -> 5x5."""
    model, params = mlp_head
    K, bk, W1, b1, W2, b2 = params
    x = np.random.default_rng(11).normal(size=(3, 5, 5, 1)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, ids = cam.guided_grad_cam(model, x, top=2, layer="conv", return_classes=True)
    assert got.shape == (3, 2, 5, 5, 1)
    checked = 0
    for n in range(3):
        for k in range(2):
            c = int(ids[n, k])
            xn = x[n].astype(np.float64)
            A, G, z1 = _mlp_reference(xn, params, c)
            gc = np.maximum((A * G.mean(axis=(0, 1))).sum(-1), 0)
            gc = gc / gc.max() if gc.max() > 0 else gc
            # guided backprop by hand: a unit passes the gradient only if active AND the gradient is positive
            g1 = W2[:, c] * (z1 > 0) * (W2[:, c] > 0)
            gA = (W1 @ g1).reshape(A.shape)
            z = _conv_valid(xn, K, bk)
            gz = gA * (z > 0) * (gA > 0)
            gb = np.zeros((5, 5))
            for i in range(3):
                for j in range(3):
                    gb[i:i + 3, j:j + 3] += np.tensordot(K[:, :, 0, :], gz[i, j], axes=([2], [0]))
            ref = gb * _bilinear_up(gc, 5, 5)
            np.testing.assert_allclose(got[n, k, ..., 0], ref, atol=1e-4)
            checked += np.abs(ref).max() > 1e-3
    assert checked >= 3  # not a comparison of zeros
    img = cam.saliency_image(got[0, 0])
    assert img.dtype == np.uint8 and img.shape == (5, 5, 1)
    hm = cam.saliency_heatmap(got[:, 0])
    assert hm.shape == (3, 5, 5) and np.allclose(hm.max(axis=(1, 2))[np.abs(got[:, 0]).max(axis=(1, 2, 3)) > 0], 1.0)


def test_saliency_image_of_an_empty_image_is_a_clear_error():
    for bad in (np.zeros((0, 5, 3)), np.zeros((4, 4)), np.zeros((2, 0, 0, 3))):
        with pytest.raises(ValueError, match="non-empty gradient image"):
            cam.saliency_image(bad)
    with pytest.raises(ValueError, match="NaN"):
        cam.saliency_image(np.full((2, 2, 3), np.nan))



# ReLU-family units other than the plain ReLU: (threshold, max_value) of the first unit.
_CAPPED_UNITS = {
    "ReLU(max_value=6)": (0.0, 6.0),
    "Activation(relu6)": (0.0, 6.0),
    "Conv2D(activation=relu6)": (0.0, 6.0),
    "ReLU(max_value=4, threshold=0.5)": (0.5, 4.0),
    "nested ReLU(max_value=6)": (0.0, 6.0),
}


def _capped_model(kind, seed=5):
    """8x8x3 -> Conv2D(4) + unit -> Conv2D(5, activation=relu6) -> GAP -> Dense(3) -> softmax.

    Weights are large enough that many pre-activations exceed the cap.
    """
    rng = np.random.default_rng(seed)
    params = dict(K1=rng.normal(size=(3, 3, 3, 4)) * 1.5, b1=rng.normal(size=4) * 0.5,
                  K2=rng.normal(size=(3, 3, 4, 5)) * 0.5, b2=rng.normal(size=5) * 0.5,
                  W=rng.normal(size=(5, 3)), b=rng.normal(size=3) * 0.1)
    inp = keras.Input((8, 8, 3))
    if kind == "Conv2D(activation=relu6)":
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu6", name="c1")(inp)
    else:
        x = keras.layers.Conv2D(4, 3, padding="same", name="c1")(inp)
        x = {"ReLU(max_value=6)": lambda: keras.layers.ReLU(max_value=6.0, name="unit1"),
             "nested ReLU(max_value=6)": lambda: keras.layers.ReLU(max_value=6.0, name="unit1"),
             "Activation(relu6)": lambda: keras.layers.Activation("relu6", name="unit1"),
             "ReLU(max_value=4, threshold=0.5)": lambda: keras.layers.ReLU(max_value=4.0, threshold=0.5,
                                                                          name="unit1")}[kind]()(x)
    x = keras.layers.Conv2D(5, 3, padding="same", activation=keras.activations.relu6, name="c2")(x)
    if kind.startswith("nested"):
        base = keras.Model(inp, x, name="base")
        inp = keras.Input((8, 8, 3))
        x = base(inp)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(3, name="logits")(x)
    model = keras.Model(inp, keras.layers.Activation("softmax", name="predictions")(x))
    layers = {lay.name: lay for lay in (model.get_layer("base").layers if kind.startswith("nested") else [])}
    layers.update({lay.name: lay for lay in model.layers})
    layers["c1"].set_weights([params["K1"], params["b1"]])
    layers["c2"].set_weights([params["K2"], params["b2"]])
    layers["logits"].set_weights([params["W"], params["b"]])
    return model, params


def _guided_reference(x, p, unit, c, cap=True):
    """Guided gradient of logit c for _capped_model, by hand: explicit masks, tf.GradientTape
    only for the transposed convolutions (the convolutions are linear in their input)."""
    th, mv = unit
    x = tf.constant(x, tf.float64)

    def conv(a, K, b):
        return tf.nn.conv2d(a, tf.constant(K), 1, "SAME") + b

    def vjp(a, K, b, g):  # g^T d conv(a) / da
        with tf.GradientTape() as tape:
            tape.watch(a)
            out = conv(a, K, b)
        return tape.gradient(out, a, output_gradients=g)

    def linear_region(z, th, mv):  # where the unit's local derivative is 1
        return tf.cast((z > th) & ((z < mv) if cap else True), tf.float64)

    z1 = conv(x, p["K1"], p["b1"])
    a1 = tf.where(z1 > th, tf.clip_by_value(z1, 0.0, mv), 0.0)
    z2 = conv(a1, p["K2"], p["b2"])
    g_a2 = tf.broadcast_to(tf.constant(p["W"][:, c] / 64.0), z2.shape)  # GAP over 8x8, then Dense
    g_z2 = g_a2 * linear_region(z2, 0.0, 6.0) * tf.cast(g_a2 > 0, tf.float64)
    g_a1 = vjp(a1, p["K2"], p["b2"], g_z2)
    g_z1 = g_a1 * linear_region(z1, th, mv) * tf.cast(g_a1 > 0, tf.float64)
    g_x = vjp(x, p["K1"], p["b1"], g_z1)
    return g_x.numpy(), dict(z1=z1.numpy(), g_a1=g_a1.numpy(), z2=z2.numpy(), g_a2=g_a2.numpy())


@pytest.mark.parametrize("kind", list(_CAPPED_UNITS))
def test_guided_backprop_guides_relu6_and_capped_relus(kind):
    """ReLU6 / capped / thresholded ReLUs are guided; the cap is part of the rule.

    Before the fix these units were left unguided and guided_backprop returned
    the plain gradient: the last assertion checks that it differs.
    """
    model, p = _capped_model(kind)
    unit = _CAPPED_UNITS[kind]
    x = np.random.default_rng(11).uniform(-1, 1, (3, 8, 8, 3)).astype(np.float32)
    g = cam.guided_backprop(model, x, [[0, 1, 2]] * 3)  # (3, 3, 8, 8, 3)
    for n in range(3):
        for c in range(3):
            ref, inner = _guided_reference(x[n:n + 1], p, unit, c)
            np.testing.assert_allclose(g[n, c], ref[0], atol=1e-5)
    # the data exercise the cap: units above max_value that a guided plain ReLU would pass
    ref, inner = _guided_reference(x[:1], p, unit, 0)
    assert ((inner["z1"] >= unit[1]) & (inner["g_a1"] > 0)).any()
    assert ((inner["z2"] >= 6.0) & (inner["g_a2"] > 0)).any()
    if unit[0] > 0:  # ... and units between 0 and the threshold
        assert ((inner["z1"] > 0) & (inner["z1"] <= unit[0]) & (inner["g_a1"] > 0)).any()
    uncapped, _ = _guided_reference(x[:1], p, unit, 0, cap=False)
    assert np.abs(uncapped - ref).max() > 1e-2
    # the guided clone computes the same scores as the model (cap and threshold kept)
    guided, _ = guided_model(model)
    logits = keras.Model(model.inputs[0], model.get_layer("predictions").input)
    np.testing.assert_allclose(np.asarray(guided(x)), np.asarray(logits(x)), rtol=1e-5, atol=1e-5)
    # ... and the result is not the plain gradient (what the unguided clone returned)
    xt = tf.constant(x[:1])
    with tf.GradientTape() as tape:
        tape.watch(xt)
        score = logits(xt)[:, 0]
    plain = tape.gradient(score, xt).numpy()[0]
    assert np.abs(plain - g[0, 0]).max() > 1e-2
    # the user's model is untouched
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               tf.nn.softmax(logits(x)).numpy(), rtol=1e-5, atol=1e-6)


def _model_with(unit_or_conv):
    inp = keras.Input((8, 8, 3))
    if isinstance(unit_or_conv, keras.layers.Conv2D):
        x = unit_or_conv(inp)
    else:
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu6", name="c1")(inp)
        x = unit_or_conv(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    return keras.Model(inp, out, name="net")


@pytest.mark.parametrize("make, what", [
    (lambda: keras.layers.LeakyReLU(negative_slope=0.1, name="bad"), "LeakyReLU"),
    (lambda: keras.layers.ReLU(negative_slope=0.1, name="bad"), "leaky ReLU"),
    (lambda: keras.layers.Activation("tanh", name="bad"), "tanh"),
    (lambda: keras.layers.Activation("swish", name="bad"), "silu"),
    (lambda: keras.layers.Activation("gelu", name="bad"), "gelu"),
    (lambda: keras.layers.Activation("sigmoid", name="bad"), "sigmoid"),  # hidden, not the output
    (lambda: keras.layers.ELU(name="bad"), "ELU"),
    (lambda: keras.layers.PReLU(name="bad"), "PReLU"),
    (lambda: keras.layers.Conv2D(4, 3, activation="swish", name="bad"), "silu"),
], ids=["LeakyReLU", "ReLU-negative-slope", "tanh", "swish", "gelu", "hidden-sigmoid", "ELU", "PReLU",
        "Conv2D-swish"])
def test_guided_backprop_refuses_units_it_cannot_guide(make, what):
    model = _model_with(make())
    x = _images(1, size=8)
    for fn in (cam.guided_backprop, cam.guided_grad_cam):
        with pytest.raises(ValueError) as err:
            fn(model, x)
        msg = str(err.value)
        assert "'bad'" in msg and what in msg, msg
        assert "ReLU-family" in msg and "grad_cam" in msg and "plain gradient" in msg, msg


def test_guided_backprop_output_sigmoid_and_models_without_relu():
    """A sigmoid on the output only rescales the guided gradient by s(1-s) > 0;
    a model with no ReLU at all warns and gives the plain gradient."""
    keras.utils.set_random_seed(4)
    x = _images(2, size=8)
    inp = keras.Input((8, 8, 3))
    h = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU(max_value=6.0)(keras.layers.Conv2D(4, 3)(inp)))
    sig = keras.Model(inp, keras.layers.Dense(2, activation="sigmoid", name="out")(h))
    lin = keras.models.clone_model(sig)
    lin.get_layer("out").activation = keras.activations.linear
    lin.set_weights(sig.get_weights())
    s = sig.predict(x, verbose=0)
    g = cam.guided_backprop(sig, x, [[0, 1]] * 2)
    np.testing.assert_allclose(g, (s * (1 - s))[:, :, None, None, None] * cam.guided_backprop(lin, x, [[0, 1]] * 2),
                               rtol=1e-4, atol=1e-7)

    inp = keras.Input((8, 8, 3))
    h = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inp))
    plain_model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(h), name="no_relu")
    with pytest.warns(UserWarning, match="no ReLU"):
        g = cam.guided_backprop(plain_model, x, classes=1)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        score = logits_model(plain_model)(xt)[:, 1]
    np.testing.assert_allclose(g, tape.gradient(score, xt).numpy(), atol=1e-6)


# ---------------------------------------------------------------- VGG16 ----

def test_vgg16_block5_conv3():
    model = keras.applications.VGG16(weights=None)
    img = np.random.default_rng(0).uniform(0, 255, (1, 224, 224, 3)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random weights may give an all-zero map
        maps, ids = cam.grad_cam(model, img, "top2", layer="block5_conv3", return_classes=True)
    assert maps.shape == (1, 2, 14, 14) and ids.shape == (1, 2)
    assert np.isfinite(maps).all() and maps.min() >= 0 and maps.max() <= 1
    assert cam.default_layer(model) == "block5_conv3"


# ------------------------------------------------- overlay and localisation ----

def test_overlay_blends_with_the_matplotlib_colormap():
    import matplotlib

    img = np.full((6, 8, 3), 100.0, np.float32)
    hm = np.full((3, 4), 0.5, np.float32)
    out = cam.overlay(img, hm, alpha=0.4)
    assert out.shape == (6, 8, 3) and out.dtype == np.uint8
    jet = np.array(matplotlib.colormaps["jet"](0.5)[:3]) * 255
    np.testing.assert_array_equal(out[0, 0], np.round(0.6 * 100 + 0.4 * jet).astype(np.uint8))
    np.testing.assert_array_equal(cam.overlay(img, hm, alpha=0.0), img.astype(np.uint8))
    with pytest.raises(ValueError, match="alpha"):
        cam.overlay(img, hm, alpha=1.5)
    with pytest.raises(ValueError, match="heatmap"):
        cam.overlay(img, np.zeros((2, 3, 4)))


def test_heatmap_box_keeps_the_largest_blob():
    hm = np.zeros((10, 10), np.float32)
    hm[1:3, 1:3] = 1.0          # small blob, holds the global max
    hm[5:9, 4:9] = 0.6          # larger blob
    hm[0, 9] = 0.1              # below 15 % of the max: ignored
    assert cam.heatmap_box(hm) == (4, 5, 9, 9)
    # diagonal neighbours join with 8-connectivity, not with 4
    d = np.zeros((4, 4), np.float32)
    d[0, 0] = d[1, 1] = d[2, 2] = 1.0
    d[3, 0] = d[3, 1] = 0.5
    assert cam.heatmap_box(d, connectivity=8) == (0, 0, 3, 4)
    assert cam.heatmap_box(d, connectivity=4) == (0, 3, 2, 4)
    assert cam.heatmap_box(np.zeros((3, 3))) is None


def test_heatmap_box_in_image_pixels():
    hm = np.zeros((8, 8), np.float32)
    hm[2:4, 2:6] = 1.0
    # bilinear x4 with pixel centres at (p + 0.5) / 4 - 0.5 cells: the ramp 0 -> 1
    # crosses 0.15 at 1.15 cells -> first pixel 7; the far ramp at 5.85 -> last pixel 24
    assert cam.heatmap_box(hm, size=(32, 32)) == (7, 7, 25, 17)


def test_box_iou_by_hand():
    assert cam.box_iou((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert cam.box_iou((0, 0, 2, 2), (0, 0, 2, 2)) == 1.0
    assert cam.box_iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
    assert cam.box_iou(None, (0, 0, 1, 1)) == 0.0


def test_pointing_game_by_hand():
    hms = np.zeros((4, 4, 4), np.float32)
    hms[0, 1, 2] = 1.0   # peak cell (row 1, col 2) -> pixels x 8..11, y 4..7 at 16 px
    hms[1, 3, 3] = 1.0   # peak bottom-right
    hms[2, 0, 0] = 1.0   # peak top-left
    boxes = np.array([[8, 4, 12, 8], [0, 0, 8, 8], [0, 0, 4, 4], [0, 0, 16, 16]], float)
    frac, hits = cam.pointing_game(hms, boxes, size=(16, 16), return_hits=True)
    # map 3 is all zero: a miss even though its box covers the whole image
    assert hits.tolist() == [True, False, True, False] and frac == 0.5
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        cam.pointing_game(hms, boxes[:2], size=(16, 16))
    scores = cam.localization_scores(hms[:1], boxes[:1], size=(16, 16))
    assert scores["pointing"] == 1.0 and 0 < scores["iou"] <= 1


# ---------------------------------------------------------------- widget ----

def test_cam_explorer_reacts_to_its_controls():
    from helpers.widgets.cam import cam_explorer

    model = _gap_dense_model(classes=3, seed=6)
    imgs = {"a": _images(1, seed=1)[0] * 255, "b": _images(1, seed=2)[0] * 255}
    w = cam_explorer(model, imgs, class_names=["x", "y", "z"], preprocess=lambda v: v / 255.0, top_k=3)
    c = w.controls
    assert set(c) >= {"image", "class_id", "layer", "method", "alpha"}
    first = w.view.value
    assert len(first) > 0
    c["alpha"].value = 0.9
    assert w.view.value != first
    before = w.view.value
    c["method"].value = "gradcam++"
    assert "gradcam++" in w.info.value
    c["layer"].value = "c1"
    assert w.view.value != before and "c1" in w.info.value
    opts_a = list(c["class_id"].options)
    c["image"].value = "b"
    assert [o[1] for o in c["class_id"].options] != [] and "b" in w.info.value
    assert len(opts_a) == 3
    c["method"].value = "cam"   # not valid at c1: the widget says so instead of raising
    assert "GlobalAveragePooling2D" in w.info.value


# ----------------------------------------------------- tables and figures ----

def test_localization_table_uses_the_true_class_and_limits():
    model = _gap_dense_model(classes=3, seed=8)
    x = _images(6, seed=8)
    labels = np.array([0, 1, 2, 0, 1, 2])
    boxes = np.tile([0, 0, 6, 6], (6, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = cam.localization_table(model, x, labels, boxes, methods=("gradcam", "scorecam"),
                                      limits={"scorecam": 2})
    # expected cells computed another way: on this GAP + Dense model Grad-CAM = CAM = ReLU(A @ W[:, label])
    # at the image's own 12 x 12 resolution (no resize), peak found with numpy
    A = keras.Model(model.inputs[0], model.get_layer("c2").output)(x).numpy()
    W = model.get_layer("logits").get_weights()[0]
    hand = np.maximum(np.einsum("nhwk,kn->nhw", A, W[:, labels]), 0)
    peaks = [np.unravel_index(np.argmax(m), m.shape) for m in hand]
    hits = [m.max() > 0 and 0 <= py < 6 and 0 <= px < 6 for m, (py, px) in zip(hand, peaks)]  # a zero map misses
    assert 0 < sum(hits) < 6 and (hand.max(axis=(1, 2)) == 0).any()  # not vacuous; a zero map among them
    assert [r["method"] for r in rows] == ["centre (baseline)", "gradcam", "scorecam"]
    assert rows[1]["n"] == 6 and rows[2]["n"] == 2
    assert rows[1]["pointing"] == pytest.approx(np.mean(hits))
    # centre (6, 6) lies outside the box [0, 6): baseline misses; whole-image box IoU = 36 / 144
    assert rows[0]["pointing"] == 0.0 and rows[0]["iou"] == pytest.approx(0.25)
    text = cam.format_table(rows)
    assert text.count("\n") == 3 and "scorecam" in text
    with pytest.raises(ValueError, match="one each"):
        cam.localization_table(model, x, labels[:3], boxes)


def test_static_figures_have_one_panel_per_map():
    import matplotlib.pyplot as plt

    imgs = _images(2) * 255
    hms = np.random.default_rng(0).uniform(0, 1, (2, 3, 3))
    fig = cam.show_cams(imgs, hms, titles=["a", "b"], boxes=[(0, 0, 4, 4), None], ncols=2)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert len(fig.axes[0].patches) == 1 and len(fig.axes[1].patches) == 0
    plt.close(fig)
    fig = cam.show_methods(imgs, {"gradcam": hms}, {"guided": np.zeros((2, 12, 12, 3))})
    assert len(fig.axes) == 2 * 3 and fig.axes[1].get_title() == "gradcam"
    plt.close(fig)
