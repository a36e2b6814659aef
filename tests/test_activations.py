"""Tests of helpers.activations and the activation explorer widget.

References: each layer's output computed by its own separately built Keras
sub-model (or by hand in numpy), never by get_activations itself.
"""
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import activations  # noqa: E402


@pytest.fixture(scope="module")
def small_model():
    """16x16 input -> conv(4, relu) -> pool -> conv(6, relu) -> GAP -> Dense(3) -> softmax, seeded."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 16, 3))
    x = keras.layers.Rescaling(1 / 255.0, name="rescale")(inp)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(x)
    x = keras.layers.MaxPooling2D(name="p1")(x)
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="c2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    return keras.Model(inp, out)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(0, 255, (5, 16, 16, 3)).astype(np.float32)


def reference(model, layer, images):
    sub = keras.Model(model.input, model.get_layer(layer).output)
    return np.asarray(sub(images))


def test_get_activations_equals_separate_submodels(small_model, images):
    names = ["c2", "c1", "p1", "gap"]
    acts = activations.get_activations(small_model, images, names, batch_size=2)
    assert list(acts) == names
    for name in names:
        np.testing.assert_allclose(acts[name], reference(small_model, name, images), rtol=1e-5, atol=1e-6)
    assert acts["c1"].shape == (5, 16, 16, 4) and acts["c2"].shape == (5, 8, 8, 6)


def test_first_conv_by_hand(small_model, images):
    # c1 computed in numpy from its weights: relu(sum over 3x3x3 of padded patch * kernel + bias)
    kernel, bias = small_model.get_layer("c1").get_weights()
    x = np.pad(images[0] / 255.0, ((1, 1), (1, 1), (0, 0)))
    expected = np.zeros((16, 16, 4))
    for i in range(16):
        for j in range(16):
            expected[i, j] = np.tensordot(x[i:i + 3, j:j + 3], kernel, axes=3) + bias
    got = activations.get_activations(small_model, images[:1], ["c1"])["c1"][0]
    np.testing.assert_allclose(got, np.maximum(expected, 0), atol=1e-5)


def test_one_extractor_cached_for_a_layer_list(small_model, images):
    a = activations.layer_model(small_model, ["c1", "c2"])
    assert activations.layer_model(small_model, ["c1", "c2"]) is a
    assert len(a.outputs) == 2
    # only the layers needed: the sub-model for c1 has no pooling / second conv
    names = [layer.name for layer in activations.layer_model(small_model, "c1").layers]
    assert "c2" not in names and "p1" not in names


def test_preprocess_is_applied(small_model, images):
    halve = lambda x: x * 0.5  # noqa: E731
    got = activations.get_activations(small_model, images, ["c1"], preprocess=halve)["c1"]
    np.testing.assert_allclose(got, reference(small_model, "c1", images * 0.5), rtol=1e-5, atol=1e-6)


def test_other_image_size_and_nested_model(small_model):
    # a base network nested inside a bigger model (transfer learning) and a size it was not built for
    keras.utils.set_random_seed(1)
    base_in = keras.Input((None, None, 3))
    base_out = keras.layers.Conv2D(3, 3, activation="relu", name="inner_conv")(base_in)
    base = keras.Model(base_in, base_out, name="base")
    outer_in = keras.Input((12, 12, 3))
    x = base(outer_in)
    outer = keras.Model(outer_in, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(x)))
    imgs = np.random.default_rng(2).uniform(0, 255, (2, 20, 20, 3)).astype(np.float32)
    got = activations.get_activations(outer, imgs, ["inner_conv"])["inner_conv"]
    np.testing.assert_allclose(got, np.asarray(base(imgs)), rtol=1e-5, atol=1e-5)
    # fixed 16x16 model asked about 24x24 images: conv layers still work
    big = np.random.default_rng(3).uniform(0, 255, (1, 24, 24, 3)).astype(np.float32)
    assert activations.get_activations(small_model, big, ["c2"])["c2"].shape == (1, 12, 12, 6)


def test_errors_are_clear(small_model, images):
    with pytest.raises(ValueError, match=r"no layer named 'c3'.*c1.*c2"):
        activations.get_activations(small_model, images, ["c1", "c3"])
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        activations.get_activations(small_model, images[..., :2], ["c1"])
    with pytest.raises(ValueError, match="NaN"):
        activations.get_activations(small_model, np.full((1, 16, 16, 3), np.nan), ["c1"])
    with pytest.raises(ValueError, match="empty"):
        activations.layer_model(small_model, [])
    assert activations.conv_layer_names(small_model) == ["c1", "c2"]
    assert activations.feature_layer_names(small_model) == ["rescale", "c1", "p1", "c2"]


def test_zero_channels_and_top_channels_by_hand():
    a = np.zeros((2, 2, 4))
    a[..., 1] = [[1, 0], [0, 0]]   # mean 0.25
    a[..., 2] = 2.0                # mean 2
    a[..., 3] = [[0, 3], [3, 0]]   # mean 1.5
    assert activations.zero_channels(a).tolist() == [True, False, False, False]
    assert activations.zero_channel_fraction(a) == 0.25
    assert activations.top_channels(a, 3).tolist() == [2, 3, 1]
    assert activations.top_channels(a, 10).tolist() == [2, 3, 1, 0]
    batch = np.stack([a, np.roll(a, 1, axis=-1)])  # channel 0 fires in the second image
    assert activations.zero_channels(batch).tolist() == [False, False, False, False]
    with pytest.raises(ValueError):
        activations.zero_channels(np.zeros(5))


def test_activation_explorer_reacts_to_its_controls(small_model, images):
    from helpers.widgets.activations import activation_explorer

    w = activation_explorer(small_model, {"a": images[0], "b": images[1]}, layers=["c1", "c2"], top_k=3)
    assert w.channel_slider.max == 3
    before = (w.channel_view.value, w.info.value)
    w.channel_slider.value = 2
    assert w.channel_view.value != before[0] and "channel 2" in w.info.value
    w.layer_picker.value = "c2"
    assert w.channel_slider.max == 5
    ref = reference(small_model, "c2", images[:1])[0]
    expected_top = np.argsort(-ref.mean(axis=(0, 1)), kind="stable")[:3]
    assert "Most active channels: " + ", ".join(map(str, expected_top)) in w.info.value
    n_zero = int((ref.max(axis=(0, 1)) == 0).sum())
    assert f"All-zero channels in this layer: {n_zero} of 6" in w.info.value
    old_input = w.input_view.value
    w.image_picker.value = "b"
    assert w.input_view.value != old_input and "on b" in w.info.value


def test_input_similarity_by_hand():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (8, 8, 3))
    grey = image.mean(-1)
    # a channel that is the grey image itself (and a constant channel, which must not give NaN)
    act = np.stack([grey * 0.1 + 3, np.zeros((8, 8))], axis=-1)
    assert activations.input_similarity(act, image) == pytest.approx(1.0)
    # a 4x4 map enlarged 2x: correlation with the 2x2 block means of the image
    coarse = grey.reshape(4, 2, 4, 2).mean(axis=(1, 3))
    up = np.repeat(np.repeat(coarse, 2, 0), 2, 1).ravel()
    expected = abs(np.corrcoef(up, grey.ravel())[0, 1])
    got = activations.input_similarity(-coarse[..., None], image)
    assert got == pytest.approx(expected) and got < 0.95
    assert activations.input_similarity(np.zeros((4, 4, 2)), image) == 0.0


def test_top_channel_overlap_by_hand():
    a = np.zeros((3, 1, 1, 4))
    a[0, 0, 0] = [4, 3, 0, 0]   # top-2 {0, 1}
    a[1, 0, 0] = [4, 0, 3, 0]   # top-2 {0, 2}
    a[2, 0, 0] = [0, 0, 3, 4]   # top-2 {2, 3}
    # pairs: {0,1}&{0,2} = 1/3, {0,1}&{2,3} = 0, {0,2}&{2,3} = 1/3
    assert activations.top_channel_overlap(a, k=2) == pytest.approx(2 / 9)
    assert activations.top_channel_overlap(np.repeat(a[:1], 3, axis=0), k=2) == 1.0
    with pytest.raises(ValueError, match="at least 2"):
        activations.top_channel_overlap(a[:1])


def test_input_similarity_equals_enlarging_every_channel_and_correlating():
    """The block-sum computation against the definition: nearest-neighbour enlargement + np.corrcoef."""
    rng = np.random.default_rng(4)
    for (h, w, c), (H, W) in (((3, 5, 4), (17, 23)), ((7, 7, 6), (224, 224)), ((1, 2, 3), (9, 8))):
        act = rng.normal(size=(h, w, c))
        act[..., 0] = 2.0                                   # a constant channel counts as 0
        image = rng.uniform(0, 255, size=(H, W, 3))
        grey = image.mean(axis=-1).ravel()
        up = act[(np.arange(H) * h) // H][:, (np.arange(W) * w) // W]
        want = max([0.0] + [abs(np.corrcoef(up[..., k].ravel(), grey)[0, 1]) for k in range(1, c)])
        assert activations.input_similarity(act, image) == pytest.approx(want, abs=1e-9)


# ---------------------------------------------- filters seen on photos (notebook 02) ----

@pytest.fixture(scope="module")
def colour_model():
    """8x8 input -> Conv2D(3, 2x2, stride 2, valid, linear, no bias) "c" -> GAP -> Dense(2).

    Hand-set kernels: channel 0 sums the red of each 2x2 block, channel 1 the
    green, channel 2 the blue minus the red. Map position (i, j) is exactly
    pixels 2i..2i+1, 2j..2j+1: stride 2, centre ((i + 0.5) * 2, (j + 0.5) * 2).
    """
    inp = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(3, 2, strides=2, use_bias=False, name="c")
    x = conv(inp)
    out = keras.layers.Dense(2, name="logits")(keras.layers.GlobalAveragePooling2D(name="gap")(x))
    kernel = np.zeros((2, 2, 3, 3), np.float32)
    kernel[:, :, 0, 0] = 1.0
    kernel[:, :, 1, 1] = 1.0
    kernel[:, :, 2, 2], kernel[:, :, 0, 2] = 1.0, -1.0
    conv.set_weights([kernel])
    return keras.Model(inp, out)


def _blocks(spots):
    """(N, 8, 8, 3) zeros with 2x2 blocks: spots[n] = list of (row block, col block, colour, value)."""
    images = np.zeros((len(spots), 8, 8, 3), np.float32)
    for n, spot in enumerate(spots):
        for i, j, colour, value in spot:
            images[n, 2 * i:2 * i + 2, 2 * j:2 * j + 2, colour] = value
    return images


def test_strongest_channels_by_hand():
    a = np.zeros((2, 2, 2, 4))
    a[0, ..., 1] = 2.0          # channel 1: mean over both images 1.0
    a[1, 0, 0, 3] = 12.0        # channel 3: one peak, mean 12 / 8 = 1.5
    a[:, :, :, 2] = 0.5         # channel 2: 0.5 everywhere
    assert activations.strongest_channels(a, k=3, by="mean").tolist() == [3, 1, 2]
    assert activations.strongest_channels(a, k=10, by="mean").tolist() == [3, 1, 2, 0]
    assert activations.strongest_channels(np.zeros((1, 1, 1, 3)), k=2, by="mean").tolist() == [0, 1]   # ties
    # contrast: mean over images of (image's peak - channel mean) / channel std
    # channel 1: values 2 (4x) and 0 (4x): mean 1, std 1, peaks 2 and 0 -> (1 + -1) / 2 = 0
    # channel 3: one 12 among eight: mean 1.5, std sqrt(7 * 1.5**2 + 10.5**2) / sqrt(8) = sqrt(15.75),
    #            peaks 0 and 12 -> ((0 - 1.5) + (12 - 1.5)) / 2 / sqrt(15.75) = 4.5 / 3.97 = 1.13
    # channels 0 and 2: constant -> 0
    assert activations.strongest_channels(a, k=4).tolist() == [3, 0, 1, 2]
    b = a.copy()
    b[..., 0] = a[..., 3] * 0.5  # channel 0: channel 3 at half the scale (exact in floats)
    assert activations.strongest_channels(b, k=2).tolist() == [0, 3]   # the scale does not matter: tie, lower first
    assert activations.strongest_channels(a, k=4, among=[1, 2]).tolist() == [1, 2]
    assert activations.strongest_channels(a, k=1, among=np.array([False, True, True, False])).tolist() == [1]
    with pytest.raises(ValueError, match=r"\(N, h, w, C\)"):
        activations.strongest_channels(a[0])
    with pytest.raises(ValueError, match="contrast"):
        activations.strongest_channels(a, by="max")
    with pytest.raises(ValueError, match="no channel"):
        activations.strongest_channels(a, among=np.zeros(4, bool))
    with pytest.raises(ValueError, match="0..3"):
        activations.strongest_channels(a, among=[4])


def test_dataset_examples_crop_where_the_channel_peaks(colour_model):
    # red blocks: image 0 at block (2, 1) worth 100 per pixel, image 1 at block (0, 3) worth 200, image 2 has none
    images = _blocks([[(2, 1, 0, 100.0)], [(0, 3, 0, 200.0), (3, 0, 1, 50.0)], [(1, 1, 1, 255.0)]])
    ex = activations.dataset_examples(colour_model, images, "c", 0, k=2, crop=3)
    assert ex["image"].tolist() == [1, 0]                           # the strongest red first
    np.testing.assert_allclose(ex["value"], [800.0, 400.0])          # 4 pixels x value
    assert ex["position"].tolist() == [[0, 3], [2, 1]]
    # centre of (2, 1): pixel (5, 3), 3-pixel window rows 4..6, columns 2..4; (0, 3): centre (1, 7),
    # rows 0..2 and columns 6..8, shifted inwards to 5..7
    assert ex["box"].tolist() == [[5, 0, 8, 3], [2, 4, 5, 7]]
    np.testing.assert_array_equal(ex["crops"][1], images[0, 4:7, 2:5])
    np.testing.assert_array_equal(ex["crops"][0], images[1, 0:3, 5:8])
    assert ex["crops"].shape == (2, 3, 3, 3) and ex["crop"] == 3 and ex["stride"] == (2.0, 2.0)


def test_dataset_examples_for_several_channels_and_precomputed_maps(colour_model):
    images = _blocks([[(2, 1, 0, 100.0), (3, 3, 2, 90.0)], [(1, 2, 1, 30.0)]])
    maps = activations.get_activations(colour_model, images, ["c"])["c"]
    ex = activations.dataset_examples(colour_model, images, "c", [1, 2], k=5, crop=4, activation=maps)
    assert ex["crops"].shape == (2, 2, 4, 4, 3)                     # k clipped to the 2 images
    assert ex["image"][0].tolist() == [1, 0] and ex["position"][0, 0].tolist() == [1, 2]
    # blue minus red: peaks at block (3, 3) of image 0 (360), image 1 is all zero: its first position (0, 0)
    assert ex["image"][1].tolist() == [0, 1] and ex["position"][1].tolist() == [[3, 3], [0, 0]]
    np.testing.assert_allclose(ex["value"][1], [360.0, 0.0])
    assert ex["box"][1].tolist() == [[4, 4, 8, 8], [0, 0, 4, 4]]    # centres (7, 7) and (1, 1), kept inside
    big = activations.dataset_examples(colour_model, images, "c", 0, k=1, crop=20)
    assert big["crop"] == 8 and big["box"].tolist() == [[0, 0, 8, 8]]


def test_dataset_examples_and_receptive_field_refuse_bad_input(colour_model):
    images = _blocks([[(0, 0, 0, 10.0)]])
    with pytest.raises(ValueError, match="no layer named .nope.*Valid layers: c"):
        activations.dataset_examples(colour_model, images, "nope", 0, crop=2)
    with pytest.raises(ValueError, match="out of range.*3 channels"):
        activations.dataset_examples(colour_model, images, "c", 3, crop=2)
    with pytest.raises(ValueError, match="empty"):
        activations.dataset_examples(colour_model, images[:0], "c", 0, crop=2)
    with pytest.raises(ValueError, match="empty"):
        activations.dataset_examples(colour_model, images, "c", [], crop=2)
    with pytest.raises(TypeError, match=r"each channel \(a channel index\) must be an integer, got float 0.5"):
        activations.dataset_examples(colour_model, images, "c", [0.5], crop=2)
    with pytest.raises(ValueError, match="feature map"):
        activations.dataset_examples(colour_model, images, "logits", 0, crop=2)
    with pytest.raises(ValueError, match="crop"):
        activations.dataset_examples(colour_model, images, "c", 0, crop=0)
    with pytest.raises(ValueError, match="maps of the 1 images"):
        activations.dataset_examples(colour_model, images, "c", 0, crop=2, activation=np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="no layer named .nope.*Valid layers: c"):
        activations.receptive_field(colour_model, "nope", images)
    with pytest.raises(ValueError, match="share"):
        activations.receptive_field(colour_model, "c", images, share=0)


def _linear_stack(strides, kernels, size=16):
    keras.utils.set_random_seed(3)
    inp = keras.Input((size, size, 3))
    x = inp
    for i, (s, k) in enumerate(zip(strides, kernels)):
        x = keras.layers.Conv2D(4, k, strides=s, padding="same", name=f"l{i}")(x)   # linear: no dead units
    return keras.Model(inp, x)


def test_receptive_field_with_share_one_is_the_theoretical_field():
    images = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)).astype(np.float32)
    # r = 1 + sum (k - 1) * (product of the strides before): 3x3 -> 3; two 3x3 -> 5;
    # 3x3 stride 2 then 3x3 -> 3 + 2 * 2 = 7; 1x1 -> 1
    for strides, kernels, want in (((1,), (3,), 3), ((1, 1), (3, 3), 5), ((2, 1), (3, 3), 7), ((1,), (1,), 1)):
        model = _linear_stack(strides, kernels)
        last = f"l{len(strides) - 1}"
        assert activations.receptive_field(model, last, images, share=1.0) == want, (strides, kernels)
        assert activations.receptive_field(model, last, images, share=0.5) <= want
    assert activations.receptive_field(_linear_stack((1,) * 8, (3,) * 8), "l7", images, share=1.0) == 16   # clipped


def test_zoomed_views_by_hand():
    image = np.zeros((1, 4, 6, 3), np.float32)
    image[0, :2, :3] = 10.0                    # top-left quarter
    image[0, 2:, 3:] = 200.0                   # bottom-right quarter
    views, source, labels = activations.zoomed_views({"a": image[0], "b": image[0] + 1}, zoom=2)
    assert views.shape == (10, 4, 6, 3) and source.tolist() == [0] * 5 + [1] * 5
    assert labels == ["a"] + ["a x2"] * 4 + ["b"] + ["b x2"] * 4
    np.testing.assert_array_equal(views[0], image[0])
    np.testing.assert_allclose(views[1], 10.0)             # each tile enlarged to the full size
    np.testing.assert_allclose(views[2], 0.0)
    np.testing.assert_allclose(views[4], 200.0)
    np.testing.assert_allclose(views[9], 201.0)
    same, src, labels = activations.zoomed_views(image, zoom=1)
    np.testing.assert_array_equal(same, image)
    assert src.tolist() == [0] and labels == ["image 0"]
    with pytest.raises(ValueError, match="1 names for 2 images"):
        activations.zoomed_views(np.concatenate([image, image]), names=["x"])
    with pytest.raises(ValueError, match="cannot be cut"):
        activations.zoomed_views(image, zoom=5)
