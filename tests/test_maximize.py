"""Tests of helpers.maximize (the gradient-ascent engine) and its widget.

References are computed another way: hand-built conv layers with known
kernels (oriented edges, a colour edge, an all-zero "dead" kernel), numpy
re-implementations of the blur and the percentile clipping, hand algebra
for the L2 decay and the deprocessing.
"""
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from helpers import maximize  # noqa: E402
from helpers.activations import layer_input_model  # noqa: E402
from helpers.maximize import GREY  # noqa: E402
from helpers.models import load_model  # noqa: E402


def edge_kernels():
    """3x3x3 kernels: 0 horizontal edge, 1 vertical edge, 2 red-vs-cyan, 3 all zero (dead)."""
    k = np.zeros((3, 3, 3, 4), np.float32)
    k[0, :, :, 0] = -1
    k[1:, :, :, 0] = 1
    k[:, 0, :, 1] = -1
    k[:, 1:, :, 1] = 1
    k[:, :, 0, 2] = 1
    k[:, :, 1:, 2] = -1
    return k


def conv_model(size, kernels, activation="relu", name="conv"):
    """Input 0..255 -> Rescaling to [-1, 1] -> one Conv2D (no bias) with the given kernels."""
    inp = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="rescale")(inp)
    conv = keras.layers.Conv2D(kernels.shape[-1], 3, activation=activation, use_bias=False, name=name)
    model = keras.Model(inp, conv(x))
    conv.set_weights([kernels])
    return model


@pytest.fixture(scope="module")
def edge_model():
    return conv_model(16, edge_kernels())


def best_patch_cosine(image, kernel):
    """Cosine between ``kernel`` and the patch of ``image`` (centred on grey) that responds most to it."""
    x = np.asarray(image, np.float64) - GREY
    kh, kw = kernel.shape[:2]
    patches = np.stack([x[a:a + kh, b:b + kw].ravel()
                        for a in range(x.shape[0] - kh + 1) for b in range(x.shape[1] - kw + 1)])
    k = kernel.ravel()
    best = patches[np.argmax(patches @ k)]
    return float(best @ k / (np.linalg.norm(best) * np.linalg.norm(k) + 1e-12))


# ----------------------------------------------------------- correctness ----

def test_first_step_follows_the_kernel_of_each_requested_filter():
    # A linear conv on a 3x3 image has one output: its gradient w.r.t. the
    # image IS the kernel, so one step moves each image along its own filter.
    rng = np.random.default_rng(1)
    kernels = rng.normal(size=(3, 3, 3, 5)).astype(np.float32)
    model = conv_model(3, kernels, activation=None)
    filters = [3, 0, 4]
    init = maximize.initial_images(filters, (3, 3), seed=0)
    result = maximize.maximize_filters(model, "conv", filters, steps=1, lr=2.0, progress=False)
    for i, f in enumerate(filters):
        delta = (result.images[i] - init[i]).ravel()
        k = kernels[..., f].ravel()
        cos = delta @ k / (np.linalg.norm(delta) * np.linalg.norm(k))
        assert cos > 0.999, (f, cos)
        # lr is the RMS pixel change of the step
        assert np.sqrt(np.mean(delta ** 2)) == pytest.approx(2.0, rel=1e-3)


def test_patterns_contain_their_kernel(edge_model):
    k = edge_kernels()
    result = maximize.maximize_filters(edge_model, "conv", [0, 1, 2], steps=40, progress=False)
    cos = np.array([[best_patch_cosine(result.images[i], k[..., j]) for j in range(3)] for i in range(3)])
    assert np.all(np.diag(cos) >= 0.9), cos
    # image i matches its own kernel clearly better than the other two
    off = cos[~np.eye(3, dtype=bool)].reshape(3, 2)
    assert np.all(np.diag(cos)[:, None] - off >= 0.2), cos


def test_objective_rises_by_a_large_factor(edge_model):
    result = maximize.maximize_filters(edge_model, "conv", [0, 1, 2], steps=30, progress=False)
    assert result.history.shape == (30, 3)
    assert np.all(result.history[0] > 0)
    assert np.all(result.final >= 10 * result.history[0]), (result.history[0], result.final)
    assert np.all(np.diff(result.history, axis=0).mean(axis=0) > 0)


def test_dead_filter_is_grey_with_a_warning_and_no_nan(edge_model):
    with pytest.warns(RuntimeWarning, match=r"filters \[3\] of layer 'conv'"):
        images = maximize.visualize_filters(edge_model, "conv", [0, 3], steps=5, progress=False)
    assert images.dtype == np.uint8 and images.shape == (2, 16, 16, 3)
    assert np.all(images[1] == 128)
    assert images[0].std() > 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = maximize.maximize_filters(edge_model, "conv", [3], steps=5, progress=False)
    assert result.dead.tolist() == [True]
    assert np.all(np.isfinite(result.images)) and np.all(np.isfinite(result.history))


def test_a_preprocess_that_makes_nan_is_named_not_called_a_dead_filter():
    # log of a negative number: every pixel of the network's input is NaN. ShapesNet's BatchNorm and
    # pooling turn that into finite outputs with a zero gradient, which looked like "never fired".
    sn = load_model("shapesnet", verbose=False)
    nan_pre = lambda x: tf.math.log(x - 300.0)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "never fired" / "zero gradient" warning either
        with pytest.raises(ValueError, match=r"preprocess returned NaN or infinite values .* targets \[0, 1\]"):
            maximize.maximize_filters(sn.model, sn.filter_layers[1], [0, 1], steps=2, progress=False,
                                      preprocess=nan_pre)
        with pytest.raises(ValueError, match=r"preprocess returned NaN .* targets \[2\]"):
            maximize.maximize_classes(sn.model, [2], steps=2, progress=False, preprocess=nan_pre)
        with pytest.raises(ValueError, match=r"preprocess returned NaN .* targets \[0\]"):
            maximize.maximize_filters(sn.model, sn.filter_layers[0], [0], steps=2, progress=False,
                                      preprocess=nan_pre, parameterization="fourier")
    # a preprocess that is NaN for one image only names that image's target
    one_bad = lambda x: x * tf.where(tf.range(tf.shape(x)[0]) == 1, np.nan, 1.0)[:, None, None, None]  # noqa: E731
    with pytest.raises(ValueError, match=r"targets \[5\]:"):
        maximize.maximize_filters(sn.model, sn.filter_layers[1], [4, 5, 6], steps=1, progress=False,
                                  preprocess=one_bad)


def test_same_seed_same_image_other_seed_other_image(edge_model):
    kw = dict(steps=8, progress=False, jitter=1)
    a = maximize.visualize_filters(edge_model, "conv", [0, 1], seed=3, **kw)
    b = maximize.visualize_filters(edge_model, "conv", [0, 1], seed=3, **kw)
    c = maximize.visualize_filters(edge_model, "conv", [0, 1], seed=4, **kw)
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 5


def test_one_filter_alone_equals_the_same_filter_in_a_batch(edge_model):
    batch = maximize.maximize_filters(edge_model, "conv", [0, 1, 2], steps=10, progress=False)
    alone = maximize.maximize_filters(edge_model, "conv", [1], steps=10, progress=False)
    assert np.abs(batch.images[1] - alone.images[0]).max() < 1e-2


@pytest.mark.parametrize("conv_kwargs", [
    dict(strides=2, padding="same", activation="tanh"),         # single-channel (trimmed) path
    dict(strides=1, padding="valid", activation="relu"),
    dict(dilation_rate=2, padding="same", activation="relu"),   # not trimmable: full layer + gather
])
def test_objective_equals_the_keras_layer_output(conv_kwargs):
    # the engine's objective for image i = mean of channel targets[i] of the real layer output
    keras.utils.set_random_seed(3)
    inp = keras.Input((11, 11, 3))
    first = keras.layers.Conv2D(5, 3, name="first", **conv_kwargs)
    second = keras.layers.Conv2D(7, 3, name="second", **conv_kwargs)
    x = first(keras.layers.Rescaling(1 / 127.5, offset=-1)(inp))
    model = keras.Model(inp, second(x))
    for bias in (first, second):
        bias.bias.assign(np.random.default_rng(0).normal(size=bias.bias.shape).astype(np.float32))
    for layer, filters in (("first", [4, 0, 2]), ("second", [6, 1, 1, 3])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = maximize.maximize_filters(model, layer, filters, steps=3, progress=False)
        ref = keras.Model(model.input, model.get_layer(layer).output)(result.images).numpy()
        expected = ref.mean(axis=(1, 2))[np.arange(len(filters)), filters]
        np.testing.assert_allclose(result.final, expected, rtol=1e-4, atol=1e-5)


def test_objective_when_the_conv_reads_the_model_input():
    keras.utils.set_random_seed(4)
    inp = keras.Input((9, 9, 3))
    model = keras.Model(inp, keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c")(inp))
    assert layer_input_model(model, "c") is None  # nothing to run before the conv
    result = maximize.maximize_filters(model, "c", [5, 2], steps=3, progress=False, lr=1.0)
    ref = model(result.images).numpy().mean(axis=(1, 2))[[0, 1], [5, 2]]
    np.testing.assert_allclose(result.final, ref, rtol=1e-4, atol=1e-4)


def test_64_filters_compile_one_trace():
    kernels = np.random.default_rng(0).normal(size=(3, 3, 3, 64)).astype(np.float32)
    model = conv_model(8, kernels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a random filter may be dead on its start image
        maximize.visualize_filters(model, "conv", range(64), steps=3, progress=False)
        maximize.visualize_filters(model, "conv", list(range(64))[::-1], steps=3, progress=False, seed=1)
        # strength changes are tensors: same active regularisers, no new trace
        maximize.visualize_filters(model, "conv", range(64), steps=2, progress=False, l2_decay=0.1)
        maximize.visualize_filters(model, "conv", range(64), steps=2, progress=False, l2_decay=0.2)
    engine = maximize.get_engine(model, "conv", "channel", None, size=(8, 8))
    assert engine.loop_function().experimental_get_tracing_count() == 1
    decay_flags = maximize.regularizers(l2_decay=0.1).flags
    assert engine.loop_function(decay_flags).experimental_get_tracing_count() == 1
    # blur widths up to sigma 1 share one loop; jitter sizes and seeds are tensors too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sigma, jitter, seed in [(0.5, 1, 0), (0.7, 2, 1), (1.0, 1, 2)]:
            maximize.visualize_filters(model, "conv", range(64), steps=5, progress=False, seed=seed,
                                       blur_sigma=sigma, blur_every=2, jitter=jitter)
    blur_flags = maximize.regularizers(blur_sigma=1.0, blur_every=2, jitter=1).flags
    assert engine.loop_function(blur_flags).experimental_get_tracing_count() == 1


def test_chunked_batches_equal_one_batch_and_share_one_trace():
    kernels = np.random.default_rng(5).normal(size=(3, 3, 3, 50)).astype(np.float32)
    model = conv_model(8, kernels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chunked = maximize.maximize_filters(model, "conv", range(50), steps=4, progress=False, batch_size=16)
        whole = maximize.maximize_filters(model, "conv", range(50), steps=4, progress=False, batch_size=None)
    # 50 filters in chunks of at most 16 -> 4 chunks of 13 (the last padded): one trace for the chunks
    traces = maximize.get_engine(model, "conv", "channel", None, size=(8, 8)).loop_function()
    assert traces.experimental_get_tracing_count() == 2  # shape 13 (chunks) + shape 50 (whole)
    assert chunked.images.shape == whole.images.shape == (50, 8, 8, 3)
    assert chunked.history.shape == (4, 50) and chunked.targets.tolist() == list(range(50))
    np.testing.assert_allclose(chunked.images, whole.images, atol=1e-2)
    np.testing.assert_array_equal(chunked.dead, whole.dead)
    with pytest.raises(ValueError, match="batch_size"):
        maximize.maximize_filters(model, "conv", [0], steps=1, progress=False, batch_size=0)


# ----------------------------------------------------------------- errors ----

def test_unknown_layer_lists_the_conv_layers(edge_model):
    with pytest.raises(ValueError, match=r"no layer named 'conv9'.*conv"):
        maximize.visualize_filters(edge_model, "conv9", [0], steps=1, progress=False)
    with pytest.raises(ValueError, match=r"not a convolution layer; valid conv layers: conv"):
        maximize.visualize_filters(edge_model, "rescale", [0], steps=1, progress=False)
    with pytest.raises(TypeError, match="layer name"):
        maximize.visualize_filters(edge_model, 0, [0], steps=1, progress=False)


def test_bad_filters_and_regularisers_are_named(edge_model):
    with pytest.raises(ValueError, match=r"\[4\] out of range.*valid 0..3"):
        maximize.visualize_filters(edge_model, "conv", [0, 4], steps=1, progress=False)
    with pytest.raises(ValueError, match="empty"):
        maximize.visualize_filters(edge_model, "conv", [], steps=1, progress=False)
    with pytest.raises(TypeError, match="integers"):
        maximize.visualize_filters(edge_model, "conv", [0.5], steps=1, progress=False)
    with pytest.raises(ValueError, match="unknown regulariser preset"):
        maximize.visualize_filters(edge_model, "conv", [0], steps=1, progress=False, preset="sharp")
    with pytest.raises(ValueError, match=r"unknown regulariser\(s\) \['blurr'\]"):
        maximize.visualize_filters(edge_model, "conv", [0], steps=1, progress=False, blurr=1)
    for bad, error, words in [(dict(steps=-1), ValueError, "steps must be at least 0, got -1"),
                              (dict(steps=2.5), TypeError, "steps must be an integer, got float 2.5"),
                              (dict(steps=True), TypeError, "steps must be an integer, got bool"),
                              (dict(seed=-1), ValueError, "seed must be at least 0, got -1"),
                              (dict(seed=1.5), TypeError, "seed must be an integer, got float 1.5"),
                              (dict(lr=0.0), ValueError, "lr .* positive"),
                              (dict(lr=float("nan")), ValueError, "lr .* positive"),
                              (dict(callback_every=0), ValueError, "callback_every must be at least 1, got 0")]:
        with pytest.raises(error, match=words):
            maximize.visualize_filters(edge_model, "conv", [0], progress=False, **{"steps": 1, **bad})
    with pytest.raises(ValueError, match=r"blur_sigma=3 blurs 9 pixels each way, too wide for 8x8 images: "
                                         r"use blur_sigma <= 2.33"):
        maximize.visualize_filters(edge_model, "conv", [0], steps=2, progress=False, size=8,
                                   blur_sigma=3.0, blur_every=1)
    with pytest.raises(ValueError, match="blur needs both"):
        maximize.regularizers(blur_sigma=1.0)
    with pytest.raises(ValueError, match="norm_pct"):
        maximize.regularizers(norm_pct=150)


# ----------------------------------------------------------- regularisers ----

def test_presets_are_the_published_values():
    """The one place that states every preset's values (the other tests use the names).

    yosinski1..4: Yosinski et al. 2015, Table 1 (decay, blur width and
    period, norm and contribution percentiles); robust: Lucid's standard
    transforms (Olah et al. 2017: pad 12, jitter 8, zoom 0.9..1.1, +-10
    degrees); strong: the same border, the moves doubled (data/gallery/README.md).
    """
    columns = ("l2_decay", "blur_sigma", "blur_every", "norm_pct", "contrib_pct", "jitter", "tv", "scale", "rotate", "pad")
    published = {  # one row per preset, in the columns above
        "none":      (0,    0,   0, 0,  0,  0,  0,   0,   0,  0),   # noqa: E241
        "yosinski1": (0,    0.5, 4, 50, 0,  0,  0,   0,   0,  0),   # noqa: E241
        "yosinski2": (0.3,  0,   0, 20, 0,  0,  0,   0,   0,  0),   # noqa: E241
        "yosinski3": (1e-4, 1.0, 4, 0,  0,  0,  0,   0,   0,  0),   # noqa: E241
        "yosinski4": (0,    0.5, 4, 0,  90, 0,  0,   0,   0,  0),   # noqa: E241
        "filters":   (0,    0.7, 4, 0,  0,  1,  0,   0,   0,  0),   # noqa: E241
        "smooth":    (1e-3, 1.0, 4, 0,  0,  2,  0.2, 0,   0,  0),   # noqa: E241
        "robust":    (0,    0,   0, 0,  0,  8,  0,   0.1, 10, 12),  # noqa: E241
        "strong":    (0,    0,   0, 0,  0,  16, 0,   0.2, 20, 12),  # noqa: E241
    }
    assert sorted(maximize.PRESETS) == sorted(published)
    for name, row in published.items():
        assert tuple(getattr(maximize.PRESETS[name], c) for c in columns) == row, name
    R = maximize.Regularizers
    assert maximize.regularizers("yosinski3", jitter=2) == R(l2_decay=1e-4, blur_sigma=1.0, blur_every=4, jitter=2)
    assert maximize.regularizers().describe() == "none"
    assert R(jitter=8, scale=0.1, rotate=10, pad=12).describe() == "jitter=8, scale=0.1, rotate=10, pad=12"
    assert R(l2_decay=1e-4, blur_sigma=1.0, blur_every=4, tv=0.5).describe() == "l2_decay=0.0001, blur 1 every 4, tv=0.5"


def test_l2_decay_shrinks_towards_grey_by_hand():
    # A dead filter has zero gradient: one step is then exactly the decay.
    model = conv_model(6, edge_kernels())
    init = maximize.initial_images([3], (6, 6), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = maximize.maximize_filters(model, "conv", [3], steps=1, l2_decay=0.25, progress=False)
    np.testing.assert_allclose(result.images[0] - GREY, 0.75 * (init[0] - GREY), rtol=1e-5, atol=1e-4)


def _numpy_blur(x, sigma):
    radius = max(1, int(np.ceil(3 * sigma)))
    t = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k /= k.sum()
    z = np.pad(x - GREY, ((radius, radius), (radius, radius), (0, 0)), mode="reflect")
    z = np.apply_along_axis(lambda v: np.convolve(v, k, mode="valid"), 0, z)
    z = np.apply_along_axis(lambda v: np.convolve(v, k, mode="valid"), 1, z)
    return z + GREY


def test_blur_matches_a_numpy_gaussian():
    x = np.random.default_rng(0).uniform(0, 255, (2, 12, 10, 3)).astype(np.float32)
    kernel = maximize.regularize.blur_kernel(1.0)
    got = maximize.regularize.blur_graph(tf.constant(x), tf.constant(kernel)).numpy()
    for i in range(2):
        np.testing.assert_allclose(got[i], _numpy_blur(x[i], 1.0), atol=1e-3)
    assert got.std() < 0.6 * x.std()


def test_narrow_blur_is_padded_to_a_shared_length_without_changing_it():
    x = np.random.default_rng(1).uniform(0, 255, (1, 9, 11, 3)).astype(np.float32)
    kernel = maximize.regularize.blur_kernel(0.5)
    assert kernel.size == 7 and abs(kernel.sum() - 1) < 1e-6  # radius 2, one zero tap each side
    np.testing.assert_allclose(maximize.regularize.blur_graph(tf.constant(x), tf.constant(kernel)).numpy()[0], _numpy_blur(x[0], 0.5),
                               atol=1e-3)


def test_tv_gradient_matches_the_tape():
    rng = np.random.default_rng(2)
    x = tf.constant(rng.integers(0, 6, (2, 7, 5, 3)).astype(np.float32))  # ties: sign(0) = 0 both ways
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(tf.image.total_variation(x))
    np.testing.assert_allclose(maximize.regularize.tv_gradient(x).numpy(), tape.gradient(total, x).numpy(), atol=1e-6)


def test_result_does_not_depend_on_how_the_steps_are_cut():
    # run() cuts the steps into compiled blocks by timing; jitter and blur follow the step index
    model = conv_model(8, np.random.default_rng(3).normal(size=(3, 3, 3, 4)).astype(np.float32))
    regs = maximize.regularizers("smooth", blur_every=3)
    engine = maximize.get_engine(model, "conv", "channel", None, size=(8, 8))
    init = maximize.initial_images([0, 1, 2, 3], (8, 8), seed=4)
    one = engine.run(init, [0, 1, 2, 3], steps=11, regs=regs, seed=4, progress=False)
    frames = []
    cut = engine.run(init, [0, 1, 2, 3], steps=11, regs=regs, seed=4, progress=False,
                     callback=lambda step, images: frames.append(step), callback_every=2)
    assert frames == [2, 4, 6, 8, 10, 11]
    np.testing.assert_allclose(cut.images, one.images, atol=1e-4)
    np.testing.assert_allclose(cut.history, one.history, atol=1e-4)
    assert one.history.shape == (11, 4)


def test_percentile_clipping_matches_numpy():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2, 8, 8, 3)).astype(np.float32)
    score = np.linalg.norm(z, axis=-1)
    got = maximize.regularize.grey_below_percentile(tf.constant(z), tf.constant(score), tf.constant(50.0)).numpy()
    for i in range(2):
        order = np.sort(score[i].ravel())
        threshold = order[int(np.floor(0.5 * (order.size - 1)))]
        expected = z[i] * (score[i] >= threshold)[..., None]
        np.testing.assert_allclose(got[i], expected)
        assert (np.abs(got[i]).sum(-1) == 0).sum() == 31  # 31 of 64 pixels below the median
    same = maximize.regularize.grey_below_percentile(tf.constant(z), tf.constant(score), tf.constant(0.0)).numpy()
    np.testing.assert_array_equal(same, z)


def test_regularisers_smooth_and_sparsify_patterns(edge_model):
    def high_freq(img):
        x = img.astype(np.float64)
        return np.mean(np.diff(x, axis=0) ** 2) + np.mean(np.diff(x, axis=1) ** 2)

    plain = maximize.maximize_filters(edge_model, "conv", [0, 1], steps=20, progress=False, jitter=0)
    smooth = maximize.maximize_filters(edge_model, "conv", [0, 1], steps=20, progress=False,
                                       blur_sigma=1.0, blur_every=2, tv=0.5)
    for i in range(2):
        assert high_freq(smooth.images[i]) < 0.7 * high_freq(plain.images[i])
    sparse = maximize.maximize_filters(edge_model, "conv", [0, 1], steps=20, progress=False, norm_pct=50)
    grey = np.all(sparse.images == GREY, axis=-1).mean(axis=(1, 2))
    assert np.all(grey >= 0.45), grey
    contrib = maximize.maximize_filters(edge_model, "conv", [0, 1], steps=20, progress=False, contrib_pct=90)
    assert np.all(np.all(contrib.images == GREY, axis=-1).mean(axis=(1, 2)) >= 0.5)


def test_deprocess_by_hand():
    x = np.full((3, 4, 4, 3), 200.0)
    x[1, :2] = 0.0  # half 0, half 200: standardised to -1 / +1
    out = maximize.deprocess_images(x, dead=[False, False, True])
    assert np.all(out[0] == 128)  # constant image -> grey, no division by zero
    assert set(np.unique(out[1]).tolist()) == {round(255 * 0.35), round(255 * 0.65)}
    assert np.all(out[2] == 128)


# -------------------------------------------------------------- VGG16 path ----

@pytest.fixture(scope="module")
def vgg16():
    return keras.applications.VGG16(weights=None)


def test_vgg16_filters_at_a_small_size(vgg16):
    from helpers.models import vgg16_preprocess

    out = maximize.visualize_filters(vgg16, "block1_conv1", [0, 5, 63], steps=2, size=32,
                                     preprocess=vgg16_preprocess, progress=False)
    assert out.shape == (3, 32, 32, 3) and out.dtype == np.uint8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        deep = maximize.maximize_filters(vgg16, "block3_conv1", [1, 2], steps=2, size=32,
                                         preprocess=vgg16_preprocess, progress=False)
    assert deep.images.shape == (2, 32, 32, 3) and np.all(np.isfinite(deep.images))
    with pytest.raises(ValueError, match="block5_conv3"):
        maximize.visualize_filters(vgg16, "block6_conv1", [0], steps=1, progress=False)
    with pytest.raises(ValueError, match=r"class scores for 224x224 images"):
        maximize.visualize_classes(vgg16, [130], steps=1, size=64, progress=False)


# ---------------------------------------------------------------- classes ----

def test_class_visualisation_raises_each_class_score():
    rng = np.random.default_rng(0)
    inp = keras.Input((12, 12, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inp)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="c1")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(3, name="logits")(x)
    model = keras.Model(inp, keras.layers.Activation("softmax", name="predictions")(x))
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    classes = [2, 0]
    result = maximize.maximize_classes(model, classes, steps=30, preset=None, progress=False)
    logits = keras.Model(model.input, model.get_layer("logits").output)
    start = logits(maximize.initial_images(classes, (12, 12))).numpy()
    end = logits(result.images).numpy()
    for i, c in enumerate(classes):
        assert end[i, c] > start[i, c] + 1.0
        assert end[i, c] == pytest.approx(result.final[i], rel=1e-4)
    images = maximize.visualize_classes(model, classes, steps=5, progress=False)
    assert images.shape == (2, 12, 12, 3) and images.dtype == np.uint8
    with pytest.raises(ValueError, match=r"classes \[3\] out of range"):
        maximize.visualize_classes(model, [3], steps=1, progress=False)


# ----------------------------------------------------------------- widget ----

def test_filter_explorer_reacts_to_its_controls(edge_model):
    from helpers.widgets.filters import filter_explorer

    w = filter_explorer(edge_model, steps=5)
    assert w.layer_picker.options == ("conv",)
    assert w.filter_slider.max == 3
    first = w.pattern_view.value
    w.filter_slider.value = 1
    assert w.pattern_view.value != first
    assert "filter 1" in w.info.value
    w.steps_slider.value = 10
    assert "10 steps" in w.info.value
    w.toggles["blur"].value = True
    assert "blur" in w.info.value
    w.filter_slider.value = 3  # the dead one
    assert "never fired" in w.info.value
    w.filter_slider.value = 0
    pixel_view = w.pattern_view.value
    w.param_picker.value = "fourier"
    assert "Fourier spectrum" in w.info.value and "rotate=10" in w.info.value and "blur" not in w.info.value
    assert w.pattern_view.value != pixel_view
    assert w.toggles["blur"].disabled and not w.toggles["jitter"].disabled
    w.param_picker.value = "pixel"
    assert w.pattern_view.value == pixel_view and not w.toggles["blur"].disabled  # from the cache


# ------------------------------------------- pixel path unchanged, by hand ----

def _hand_pixel_ascent(model, init, targets, steps, lr, decay=0.0, jitter=0, seed=0, blur=None):
    """The course's original pixel update, recomputed step by step in numpy (gradients by a plain tape).

    Per step: optional roll by the step's jitter shift (drawn as the engine
    draws it from (seed, step)), objective = mean of channel t of the model
    output, x <- clip(grey + (1 - decay)(x + lr g / rms(g) - grey)), then
    every ``blur[1]`` steps a numpy Gaussian blur of width ``blur[0]``.
    """
    x = np.array(init, np.float64)
    for i in range(steps):
        if jitter:
            shift = tf.random.stateless_uniform([2], seed=tf.constant([seed, i]), minval=-jitter,
                                                maxval=jitter + 1, dtype=tf.int32).numpy()
        else:
            shift = np.zeros(2, int)
        xt = tf.constant(x, tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = model(tf.roll(xt, shift, axis=[1, 2]))
            total = tf.reduce_sum([tf.reduce_mean(out[b, ..., t]) for b, t in enumerate(targets)])
        g = tape.gradient(total, xt).numpy().astype(np.float64)
        rms = np.sqrt(np.mean(g ** 2, axis=(1, 2, 3), keepdims=True))
        z = (x + lr * g / (rms + 1e-12) - GREY) * (1.0 - decay)
        x = np.clip(z + GREY, 0, 255)
        if blur and (i + 1) % blur[1] == 0:
            x = np.stack([_numpy_blur(im, blur[0]) for im in x])
    return x


@pytest.mark.parametrize("options", [{}, {"jitter": 2}, {"l2_decay": 0.1}, {"blur_sigma": 1.0, "blur_every": 2},
                                     {"jitter": 1, "blur_sigma": 0.7, "blur_every": 2}])
def test_pixel_parameterisation_reproduces_the_original_update_by_hand(options):
    model = conv_model(10, np.random.default_rng(7).normal(size=(3, 3, 3, 5)).astype(np.float32))
    targets = [0, 3, 4]
    init = maximize.initial_images(targets, (10, 10), seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = maximize.maximize_filters(model, "conv", targets, steps=4, seed=2, progress=False,
                                        parameterization="pixel", **options)
    blur = (options["blur_sigma"], options["blur_every"]) if "blur_every" in options else None
    ref = _hand_pixel_ascent(model, init, targets, 4, 4.0, decay=options.get("l2_decay", 0.0),
                             jitter=options.get("jitter", 0), seed=2, blur=blur)
    np.testing.assert_allclose(got.images, ref, atol=2e-3)
    assert got.parameterization == "pixel"
    # the defaults of the new arguments are the old behaviour: no preset, lr 4, pixels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old_call = maximize.maximize_filters(model, "conv", targets, steps=4, seed=2, progress=False, lr=4.0,
                                             preset=None, **options)
    np.testing.assert_array_equal(old_call.images, got.images)


# ------------------------------------------------ Fourier parameterisation ----

@pytest.mark.parametrize("ky, kx", [(0, 0), (2, 3), (5, 1), (0, 4)])
def test_one_fourier_coefficient_gives_the_expected_cosine(ky, kx):
    h, w = 12, 16
    p = np.zeros((1, 3, h, w // 2 + 1, 2), np.float32)
    a, b = 0.3, -0.2
    p[0, 1, ky, kx] = (a, b)                                 # channel 1 only
    got = maximize.param.spectrum_to_linear(tf.constant(p), (h, w), decay_power=1.0).numpy()[0]  # Lucid's 1/f
    yy, xx = np.mgrid[0:h, 0:w]
    theta = 2 * np.pi * (ky * yy / h + kx * xx / w)
    f = np.hypot(ky / h if ky <= h // 2 else (ky - h) / h, kx / w)
    amp = np.sqrt(h * w) / max(f, 1 / max(h, w))             # the 1/f scaling, by hand
    # irfft2 of one coefficient: its conjugate partner doubles it, except on the DC / Nyquist columns
    twice = 1.0 if kx in (0, w // 2) else 2.0
    expected = amp * twice * (a * np.cos(theta) - b * np.sin(theta)) / (h * w) / 4.0
    if kx in (0, w // 2) and ky in (0, h // 2):
        expected = amp * a * np.cos(theta) / (h * w) / 4.0  # a self-conjugate bin keeps only its real part
    np.testing.assert_allclose(got[..., 1], expected, atol=1e-6)
    np.testing.assert_allclose(got[..., [0, 2]], 0.0, atol=1e-7)


def test_steeper_fourier_scale_is_a_power_of_frequency_with_lucids_rms():
    h, w = 10, 14
    lucid, steep = maximize.fourier_scale((h, w), 1.0), maximize.fourier_scale((h, w), 1.5)
    f = np.maximum(np.hypot(np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(w)[None, :]), 1 / max(h, w))
    np.testing.assert_allclose(lucid, np.sqrt(h * w) / f, rtol=1e-6)     # Lucid's scale, exactly
    ratio = steep * f ** 1.5                                              # constant if steep ~ f^-1.5
    np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-5)
    np.testing.assert_allclose(np.sqrt(np.mean(steep.astype(np.float64) ** 2)),
                               np.sqrt(np.mean(lucid.astype(np.float64) ** 2)), rtol=1e-5)
    assert maximize.fourier_scale((h, w)).shape == (h, w // 2 + 1)
    with pytest.raises(ValueError, match="decay_power"):
        maximize.fourier_scale((h, w), -1)


def test_colour_decorrelation_matrix_and_its_inverse():
    m = maximize.color_matrix().astype(np.float64)
    np.testing.assert_allclose(m @ np.linalg.inv(m), np.eye(3), atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(m, axis=0).max(), 1.0, atol=1e-6)
    # first column: the brightness direction (all three channels the same sign, nearly equal)
    assert (m[:, 0] > 0).all() and m[:, 0].max() / m[:, 0].min() < 1.1
    # a flat (DC-only) decorrelated colour d becomes 255 sigmoid(M d) in every pixel
    h, w = 6, 8
    p = np.zeros((1, 3, h, w // 2 + 1, 2), np.float32)
    d_dc = np.array([0.5, -1.0, 2.0])
    p[0, :, 0, 0, 0] = d_dc
    d = d_dc * np.sqrt(h * w) * max(h, w) / (h * w) / 4.0    # the DC bin's value after scale, irfft, /4
    expected = 255.0 / (1.0 + np.exp(-(m @ d)))
    got = maximize.fourier_images(p, decay_power=1.0)
    assert got.shape == (1, h, w, 3)
    np.testing.assert_allclose(got[0], np.broadcast_to(expected, (h, w, 3)), rtol=1e-5)
    plain = maximize.fourier_images(p, decorrelate=False, decay_power=1.0)
    np.testing.assert_allclose(plain[0, 0, 0], 255.0 / (1.0 + np.exp(-d)), rtol=1e-5)


def test_zoom_and_rotation_transform_by_hand():
    x = np.random.default_rng(0).uniform(0, 255, (2, 9, 9, 3)).astype(np.float32)
    flags = maximize.regularize.norm_flags(maximize.regularizers(scale=0.1, rotate=10).flags)
    seed, step = tf.constant(3), tf.constant(5)
    # no zoom, no rotation: the identity
    same = maximize.transforms.warp_matrix(seed, step, 0.0, 0.0, 9, 9)
    np.testing.assert_allclose(maximize.transforms.transform_graph(tf.constant(x), flags, None, same).numpy(), x, atol=1e-3)
    # a quarter turn is numpy's rot90 (one way or the other); a zoom by 2 keeps the centre pixel
    quarter = maximize.transforms.warp_from(1.0, 90.0, 9, 9)
    got = maximize.transforms.transform_graph(tf.constant(x), flags, None, quarter).numpy()
    assert min(np.abs(got - np.rot90(x, k, axes=(1, 2))).max() for k in (1, 3)) < 1e-2
    zoomed = maximize.transforms.transform_graph(tf.constant(x), flags, None, maximize.transforms.warp_from(2.0, 0.0, 9, 9)).numpy()
    np.testing.assert_allclose(zoomed[:, 4, 4], x[:, 4, 4], atol=1e-3)
    np.testing.assert_allclose(zoomed[:, 4, 6], x[:, 4, 5], atol=1e-3)   # 2 px from the centre reads 1 px
    # the random draws: zoom in 1 +- 0.1, angle in +-10 degrees, different at every step, same for a seed
    drawn = []
    for i in range(40):
        m = maximize.transforms.warp_matrix(seed, tf.constant(i), 0.1, 10.0, 9, 9).numpy()[0]
        drawn.append((1 / np.hypot(m[0], m[1]), np.degrees(np.arctan2(m[1], m[0]))))
    drawn = np.array(drawn)
    assert (np.abs(drawn[:, 0] - 1) <= 0.1 + 1e-6).all() and (np.abs(drawn[:, 1]) <= 10 + 1e-4).all()
    assert drawn[:, 0].std() > 0.03 and drawn[:, 1].std() > 3
    again = maximize.transforms.warp_matrix(seed, tf.constant(7), 0.1, 10.0, 9, 9).numpy()[0]
    np.testing.assert_allclose(1 / np.hypot(again[0], again[1]), drawn[7, 0], rtol=1e-6)
    # the pad: a grey border of the asked width around the unchanged image
    padded = maximize.transforms.transform_graph(tf.constant(x), maximize.regularize.norm_flags((False,) * 8 + (2,)))
    assert padded.shape == (2, 13, 13, 3)
    np.testing.assert_allclose(padded.numpy()[:, 2:-2, 2:-2], x, atol=1e-4)
    assert (padded.numpy()[:, :2] == GREY).all()


def test_first_fourier_step_is_adams_sign_step():
    model = conv_model(8, np.random.default_rng(1).normal(size=(3, 3, 3, 4)).astype(np.float32))
    targets = [1, 2]
    start = maximize.initial_spectra(targets, (8, 8), seed=0)
    result = maximize.maximize_filters(model, "conv", targets, steps=1, seed=0, progress=False,
                                       parameterization="fourier", preset=None, lr=0.05)
    p = tf.constant(start)
    with tf.GradientTape() as tape:
        tape.watch(p)
        images = maximize.param.fourier_to_image(p, (8, 8))
        out = model(images)
        total = tf.reduce_sum([tf.reduce_mean(out[b, ..., t]) for b, t in enumerate(targets)])
    g = tape.gradient(total, p).numpy()
    # Adam's first step with bias correction: m_hat = g, v_hat = g^2 -> lr * g / (|g| + eps)
    p1 = start + 0.05 * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(result.images, maximize.fourier_images(p1), atol=1e-3)
    np.testing.assert_allclose(result.history[0], [out[b, ..., t].numpy().mean() for b, t in enumerate(targets)],
                               rtol=1e-4)


def test_fourier_ascent_is_deterministic_and_batch_independent():
    model = conv_model(12, np.random.default_rng(2).normal(size=(3, 3, 3, 6)).astype(np.float32))
    kw = dict(steps=6, progress=False, parameterization="fourier", scale=0.1, rotate=10, jitter=2, pad=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = maximize.maximize_filters(model, "conv", [0, 3, 5], seed=4, **kw)
        b = maximize.maximize_filters(model, "conv", [0, 3, 5], seed=4, **kw)
        c = maximize.maximize_filters(model, "conv", [0, 3, 5], seed=5, **kw)
        alone = maximize.maximize_filters(model, "conv", [3], seed=4, **kw)
    np.testing.assert_array_equal(a.images, b.images)
    assert np.abs(a.images - c.images).mean() > 1.0
    np.testing.assert_allclose(alone.images[0], a.images[1], atol=1e-3)
    assert a.parameterization == "fourier" and a.images.shape == (3, 12, 12, 3)
    assert np.isfinite(a.images).all() and (a.images >= 0).all() and (a.images <= 255).all()
    assert (a.final > a.history[0]).all(), (a.history[0], a.final)
    shown = maximize.viewable(a)
    np.testing.assert_array_equal(shown, np.rint(a.images).astype(np.uint8))  # sigmoid images: only rounded


def test_one_trace_per_set_of_active_options():
    model = conv_model(8, np.random.default_rng(3).normal(size=(3, 3, 3, 8)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # strengths, seeds, learning rates and the number of filters in a chunk of equal size change: one trace
        for jitter, scale, rotate, seed, lr in [(1, 0.05, 5, 0, 0.05), (3, 0.2, 15, 1, 0.1), (2, 0.1, 30, 2, 0.02)]:
            maximize.maximize_filters(model, "conv", range(8), steps=3, seed=seed, lr=lr, progress=False,
                                      parameterization="fourier", preset=None, jitter=jitter, scale=scale,
                                      rotate=rotate)
            maximize.maximize_filters(model, "conv", list(range(8))[::-1], steps=2, seed=seed, progress=False,
                                      parameterization="pixel", jitter=jitter, scale=scale, rotate=rotate)
        maximize.maximize_filters(model, "conv", range(8), steps=2, progress=False, parameterization="fourier",
                                  preset=None)
    engine = maximize.get_engine(model, "conv", "channel", None, size=(8, 8))
    moving = maximize.regularizers(jitter=1, scale=0.1, rotate=1).flags
    assert engine.fourier_loop_function(moving, (8, 8)).experimental_get_tracing_count() == 1
    assert engine.loop_function(moving).experimental_get_tracing_count() == 1
    assert engine.fourier_loop_function(maximize.Regularizers().flags, (8, 8)).experimental_get_tracing_count() == 1
    fourier_loops = [k for k in engine._loops if isinstance(k, tuple) and k and k[0] == "fourier"]
    assert len(fourier_loops) == 2  # two sets of active options, two loops


def test_fourier_refuses_pixel_regularisers_and_unknown_parameterisations(edge_model):
    with pytest.raises(ValueError, match=r"pixel regularisers \['l2_decay', 'blur_sigma'\].*robust"):
        maximize.maximize_classes(edge_model, [0], steps=1, progress=False, parameterization="fourier",
                                  preset="yosinski3")
    with pytest.raises(ValueError, match="parameterization must be one of"):
        maximize.maximize_filters(edge_model, "conv", [0], steps=1, progress=False, parameterization="fft")
    with pytest.raises(ValueError, match=r"scale=0.9 is outside"):
        maximize.regularizers(scale=0.9)
    with pytest.raises(TypeError, match=r"regulariser pad \(a whole number of pixels/steps\) must be an integer, got float 1.5"):
        maximize.regularizers(pad=1.5)
    with pytest.raises(ValueError, match=r"regulariser jitter .* must be between 0 and 1000, got 1001"):
        maximize.regularizers(jitter=1001)


def test_fourier_classes_default_to_the_strong_moves_and_filters_to_lucids(edge_model):
    """``preset="auto"`` with the spectrum: twice Lucid's moves for classes (the gallery's recipe), Lucid's for filters."""
    assert maximize.regularizers("strong").pad == maximize.regularizers("robust").pad   # the same cost per step
    kw = dict(steps=3, progress=False, parameterization="fourier")
    sn = load_model("shapesnet", verbose=False)
    auto = maximize.maximize_classes(sn.model, [0, 1], **kw)
    strong = maximize.maximize_classes(sn.model, [0, 1], preset="strong", **kw)
    robust = maximize.maximize_classes(sn.model, [0, 1], preset="robust", **kw)
    np.testing.assert_array_equal(auto.images, strong.images)
    assert np.abs(auto.images - robust.images).max() > 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto_f = maximize.maximize_filters(edge_model, "conv", [0], **kw)
        robust_f = maximize.maximize_filters(edge_model, "conv", [0], preset="robust", **kw)
    np.testing.assert_array_equal(auto_f.images, robust_f.images)
