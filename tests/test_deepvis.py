"""Tests of helpers.deepvis and helpers.widgets.deepvis (notebook 03, class visualisation).

References are computed another way: central finite differences of a tiny
model's class score and probability; hand-made images with known spectra
(a cosine of known frequency, a checkerboard, white noise); the paper's
Table 1 as published. ShapesNet (64 px, few steps) checks the lesson's
claims: every class synthesised with probability >= 0.9, regularised images
smoother than plain ones, no NaN, same seed -> same image.
"""
import time
import types
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from helpers import deepvis, maximize  # noqa: E402
from helpers.maximize import GREY  # noqa: E402


# ------------------------------------------------------------- tiny models ----

def tiny_model(size=6, classes=3, fused=False, bias=None, seed=0):
    """Input 0..255 -> Rescaling -> Conv2D(4, tanh) -> Flatten -> Dense(classes) -> softmax (fused or separate)."""
    rng = np.random.default_rng(seed)
    inp = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inp)
    x = keras.layers.Conv2D(4, 3, activation="tanh", name="c1")(x)
    x = keras.layers.Flatten()(x)
    if fused:
        out = keras.layers.Dense(classes, activation="softmax", name="predictions")(x)
    else:
        x = keras.layers.Dense(classes, name="logits")(x)
        out = keras.layers.Activation("softmax", name="predictions")(x)
    model = keras.Model(inp, out)
    weights = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()]
    if bias is not None:
        weights[-1] = np.asarray(bias, np.float32)
    model.set_weights(weights)
    return model


def numerical_gradient(f, x, eps=0.5):
    """Central differences of a scalar function f of one (H, W, 3) image, in float64 bookkeeping."""
    g = np.zeros(x.shape, np.float64)
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        g[idx] = (f(up) - f(down)) / (2 * eps)
    return g


def score_fn(model, c):
    """y_c of one (H, W, 3) image, read from the explicitly named "logits" layer (not via logits_model)."""
    logits = keras.Model(model.input, model.get_layer("logits").output)
    return lambda z: float(np.asarray(logits(z[None]))[0, c])


# --------------------------------------------------------------- gradients ----

def test_class_gradients_match_finite_differences():
    model = tiny_model()
    rng = np.random.default_rng(1)
    images = rng.uniform(60, 200, (2, 6, 6, 3)).astype(np.float32)
    classes = [2, 0]
    got = deepvis.class_gradients(model, images, classes)
    for i, c in enumerate(classes):
        num_logit = numerical_gradient(score_fn(model, c), images[i])
        np.testing.assert_allclose(got["grad_logit"][i], num_logit, rtol=2e-2, atol=2e-2 * np.abs(num_logit).max())
        num_prob = numerical_gradient(lambda z: float(np.asarray(model(z[None]))[0, c]), images[i])
        np.testing.assert_allclose(got["grad_prob"][i], num_prob, rtol=2e-2, atol=2e-2 * np.abs(num_prob).max())


def test_logits_are_the_scores_before_the_softmax_for_a_fused_softmax():
    model = tiny_model(fused=True)
    images = np.random.default_rng(2).uniform(0, 255, (1, 6, 6, 3)).astype(np.float32)
    got = deepvis.class_gradients(model, images, 1)
    # the Dense layer's own pre-activation, by hand with numpy
    conv = keras.Model(model.input, model.get_layer("c1").output)
    kernel, bias = model.get_layer("predictions").get_weights()
    by_hand = np.asarray(conv(images)).reshape(1, -1) @ kernel + bias
    np.testing.assert_allclose(got["logits"], by_hand, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got["probs"], np.asarray(model(images)), rtol=1e-5, atol=1e-6)


def test_softmax_weights_sum_to_zero_and_vanish_when_saturated():
    images = np.random.default_rng(3).uniform(60, 200, (1, 6, 6, 3)).astype(np.float32)
    mild = deepvis.class_gradients(tiny_model(), images, 0)
    # d p_0 / d y_j by finite differences of a numpy softmax
    y = mild["logits"][0].astype(np.float64)
    soft = lambda v: np.exp(v - v.max()) / np.exp(v - v.max()).sum()  # noqa: E731
    fd = [(soft(y + 1e-5 * np.eye(3)[j])[0] - soft(y - 1e-5 * np.eye(3)[j])[0]) / 2e-5 for j in range(3)]
    np.testing.assert_allclose(mild["dprob_dlogits"][0], fd, rtol=1e-4, atol=1e-9)
    assert abs(mild["dprob_dlogits"][0].sum()) < 1e-6  # raising every score equally does not change p
    assert (mild["dprob_dlogits"][0, 1:] < 0).all()    # the other classes are pushed down
    saturated = deepvis.class_gradients(tiny_model(bias=[12.0, 0.0, 0.0]), images, 0)
    assert saturated["probs"][0, 0] > 0.999
    rms = lambda g: float(np.sqrt(np.mean(np.square(g))))  # noqa: E731
    assert rms(saturated["grad_prob"]) < 2e-3 * rms(saturated["grad_logit"])


def test_engine_step_follows_the_numerical_class_gradient():
    model = tiny_model()
    classes = [1, 2]
    init = maximize.initial_images(classes, (6, 6), seed=0)
    result = maximize.maximize_classes(model, classes, steps=1, preset=None, lr=1.0, progress=False)
    for i, c in enumerate(classes):
        own = numerical_gradient(score_fn(model, c), init[i])
        step = result.images[i] - init[i]
        expected = own / np.sqrt(np.mean(own ** 2))  # unit-RMS normalised gradient, lr 1
        np.testing.assert_allclose(step, expected, atol=3e-2)
    with pytest.raises(ValueError, match=r"classes \[7\] out of range"):
        deepvis.class_gradients(model, init[:1], [7])
    with pytest.raises(ValueError, match="one class per image"):
        deepvis.class_gradients(model, init, [0, 1, 2])
    with pytest.raises(ValueError, match="NaN"):
        deepvis.class_gradients(model, np.full((1, 6, 6, 3), np.nan), [0])


# ---------------------------------------------------------------- measures ----

def test_paper_table_is_yosinskis_table_1():
    # the presets' values are asserted once, in test_maximize.test_presets_are_the_published_values;
    # here: the table shows those presets and the paper's iteration counts (Table 1: 500, 750, 1000, 1000)
    rows = deepvis.paper_table()
    assert [r["preset"] for r in rows] == ["yosinski1", "yosinski2", "yosinski3", "yosinski4"]
    assert [r["iterations"] for r in rows] == [500, 750, 1000, 1000]
    for r in rows:
        reg = maximize.PRESETS[r["preset"]]
        assert (r["l2_decay"], r["blur_sigma"], r["blur_every"], r["norm_pct"], r["contrib_pct"]) == \
            (reg.l2_decay, reg.blur_sigma, reg.blur_every, reg.norm_pct, reg.contrib_pct)


# -------------------------------------------------------------- ShapesNet ----

@pytest.fixture(scope="module")
def card():
    from helpers.models import load_model

    return load_model("shapesnet", verbose=False)


def test_every_shapesnet_class_is_synthesised_as_itself(card):
    classes = list(range(card.num_classes))
    result = maximize.maximize_classes(card.model, classes, steps=60, preset="yosinski3", progress=False)
    assert np.isfinite(result.images).all() and not result.dead.any()
    probs = card.predict(result.images)
    assert (probs[np.arange(6), classes] >= 0.9).all(), np.round(probs[np.arange(6), classes], 3)


def test_regularised_images_hold_less_high_frequency_energy(card):
    variants = {k: deepvis.COMPARISON[k] for k in ("none", "blur", "total variation", "combination")}
    res = deepvis.compare_regularizers(card.model, list(range(6)), steps=40, variants=variants, progress=False)
    assert list(res) == list(variants)
    high = {k: maximize.high_frequency_share(r.images) for k, r in res.items()}
    for k in ("blur", "combination"):  # the claims of notebook 03, at 40 steps instead of 100
        assert (high[k] < 0.5 * high["none"]).all(), (k, high[k], high["none"])
    assert (high["total variation"] < 0.85 * high["none"]).all(), (high["total variation"], high["none"])
    assert high["total variation"].mean() < 0.7 * high["none"].mean()
    assert all(np.isfinite(r.images).all() for r in res.values())


def test_clipping_leaves_the_requested_share_of_grey_pixels(card):
    res = maximize.maximize_classes(card.model, [0, 4], steps=10, preset=None, norm_pct=30, progress=False)
    # pixels strictly below the (lower) 30th percentile of 4096 norms: floor(0.3 * 4095) = 1228 of them
    assert (maximize.grey_fraction(res.images) >= 1228 / 4096).all()
    plain = maximize.maximize_classes(card.model, [0, 4], steps=10, preset=None, progress=False)
    assert (maximize.grey_fraction(plain.images) < 0.05).all()


def test_same_seed_same_image_other_seed_other_image(card):
    run = lambda seed: maximize.visualize_classes(card.model, [1, 3], steps=12, preset="smooth",  # noqa: E731
                                                  seed=seed, progress=False)                   # (has jitter)
    a, b, c = run(0), run(0), run(1)
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 5


def test_find_class_for_both_kinds_of_model(card):
    assert deepvis.find_class(card, "Ring") == 5
    assert deepvis.find_class(card, 2) == 2
    imagenet_card = types.SimpleNamespace(class_names=[f"c{i}" for i in range(1000)])
    assert deepvis.find_class(imagenet_card, "flamingo") == 130
    assert deepvis.find_class(imagenet_card, "billiard table") == 736
    assert deepvis.find_class(imagenet_card, "school bus") == 779
    with pytest.raises(ValueError, match="out of range"):
        deepvis.find_class(card, 6)
    with pytest.raises(ValueError, match="not a class"):
        deepvis.find_class(card, "hexagon")
    with pytest.raises(TypeError):
        deepvis.find_class(card, 2.5)


def test_seconds_per_step_is_measured(card):
    t = deepvis.seconds_per_step(card.model, [0, 1, 2], steps=2, preset=None)
    assert np.isfinite(t) and t > 0
    with pytest.raises(ValueError, match="at least 1"):
        deepvis.seconds_per_step(card.model, [0], steps=0)
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        deepvis.seconds_per_step(card.model, [0], repeats=0)


def test_seconds_per_step_is_never_zero_on_a_machine_too_busy_to_measure(card, monkeypatch):
    """The long runs timed faster than the short ones (noise): an upper bound from the long runs, not 0."""
    calls = []

    def fake(model, classes, steps, **kw):          # the short runs (2 steps) are slowed down, the long ones not
        calls.append(steps)
        time.sleep(0.3 if steps == 2 else 0.0)

    monkeypatch.setattr(deepvis.maximize, "maximize_classes", fake)
    t = deepvis.seconds_per_step(card.model, [0], steps=2, repeats=2)
    assert calls == [2, 2, 2, 4, 4]                   # warm-up, two short, two long
    assert 0 < t < 0.3 / 4


def test_comparison_figure_has_one_row_per_setting(card):
    import matplotlib.pyplot as plt

    res = deepvis.compare_regularizers(card.model, [0, 1], steps=3, progress=False,
                                       variants={"none": None, "paper row 3": "yosinski3"})
    fig = deepvis.comparison_figure(res, ["circle", "square"])
    assert len(fig.axes) == 4 and "paper row 3" in fig.axes[2].get_ylabel()
    plt.close(fig)
    with pytest.raises(ValueError, match="3 titles for 2 classes"):
        deepvis.comparison_figure(res, ["a", "b", "c"])


# ------------------------------------------------------------------ widget ----

def test_class_explorer_reacts_to_its_controls(card):
    from helpers.widgets.deepvis import class_explorer

    w = class_explorer(card, steps=10, preview_every=5)
    assert w.n_previews == 3  # steps 5, 10 and the final image
    assert "circle" in w.info.value and "probability" in w.info.value
    assert w.toggles["blur"].value and w.toggles["decay"].value and not w.toggles["jitter"].value
    first = w.preview.value
    w.class_picker.value = 5
    assert "ring" in w.info.value and w.preview.value != first
    shown = w.preview.value
    w.toggles["jitter"].value = True
    assert "jitter=2" in w.info.value and w.preview.value != shown
    w.preset_picker.value = "none"
    assert not any(t.value for t in w.toggles.values())
    assert "regularisers: none" in w.info.value
    w.steps_slider.value = 20
    assert "20 steps" in w.info.value and w.progress.max == 20 and w.progress.value == 20
    w.search.value = "ri"
    assert [v for _, v in w.class_picker.options] == [2, 5]
    w.search.value = "hexagon"
    assert "no class matches" in w.info.value and [v for _, v in w.class_picker.options] == [2, 5]


def test_class_explorer_waits_for_the_button_on_big_models(card):
    from helpers.widgets.deepvis import class_explorer

    w = class_explorer(card, steps=5, auto_run=False)
    assert w.preview.value == b"" and "press" in w.info.value
    w.class_picker.value = 3
    assert w.preview.value == b"" and "star" in w.info.value
    w.run_button.click()
    assert w.preview.value != b"" and "probability" in w.info.value


def test_class_search_uses_imagenet_names_for_1000_classes():
    from helpers import imagenet
    from helpers.widgets.deepvis import class_explorer, search_class_names

    model = tiny_model(size=8, classes=1000, fused=True)
    fake = types.SimpleNamespace(model=model, preprocess=lambda x: x, class_names=imagenet.class_names(),
                                 input_size=(8, 8), demo_classes=[130, 736, 779])
    assert (736, "pool_table") in search_class_names(fake, "table")
    assert search_class_names(fake, "billiard table") == [(736, "pool_table")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = class_explorer(fake, steps=2, preview_every=1)
    assert [v for _, v in w.class_picker.options] == [130, 736, 779]
    w.search.value = "school bus"
    assert w.class_picker.value == 779 and "school_bus" in w.info.value


# ------------------------------------------------ parameterisation lesson ----

def test_compare_parameterizations_report_and_figure(card):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = [0, 3]
    results = deepvis.compare_parameterizations(card.model, classes, steps=3, progress=False)
    assert list(results) == list(deepvis.PARAMETERIZATION_RUNS)
    assert [r.parameterization for r in results.values()] == ["pixel", "pixel", "fourier", "fourier"]
    report = deepvis.picture_report(card, results, classes)
    for label, r in report.items():
        assert r["images"].dtype == np.uint8 and r["images"].shape == (2, 64, 64, 3)
        probs = card.predict(r["images"].astype(np.float32))  # recomputed: p of the intended class
        np.testing.assert_allclose(r["p"], probs[[0, 1], classes], rtol=1e-6)
        np.testing.assert_allclose(r["hf"], maximize.high_frequency_share(r["images"]))
    fig = deepvis.report_figure(report, ["circle", "star"])
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert len(fig.axes) == 8 and len(labels) == 4 and all("\np " in s and "\nHF " in s for s in labels)
    assert all(ax.get_title() in ("circle", "star") for ax in fig.axes)
    plt.close(fig)
    with pytest.raises(ValueError, match="same number of images"):
        deepvis.rows_figure({"a": np.zeros((2, 4, 4, 3), np.uint8), "b": np.zeros((1, 4, 4, 3), np.uint8)}, ["x", "y"])


def test_seconds_per_step_for_the_fourier_parameterisation(card):
    s = deepvis.seconds_per_step(card.model, [0, 1], parameterization="fourier", steps=2, repeats=1)
    assert s > 0
