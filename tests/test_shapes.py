"""Tests of helpers.shapes: the synthetic shapes data set and ShapesNet.

References are computed independently of the code under test: boxes from
masks with np.nonzero per image, shape areas from geometry, BatchNorm
folding against the Keras BatchNorm model itself in inference mode, accuracy
against freshly generated labels.
"""
import math
import os

import numpy as np
import pytest

from helpers import shapes
from helpers.shapes import CLASS_NAMES, IMAGE_SIZE, make_shapes, training

TEST_SEED = 777  # never used in training (training uses seed 0, the card 12345)


# ------------------------------------------------------------ data set ----

def test_same_seed_same_arrays_other_seed_differs():
    a = make_shapes(12, seed=5, return_masks=True)
    b = make_shapes(12, seed=5, return_masks=True)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = make_shapes(12, seed=6, return_masks=True)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[2], c[2])


def test_shapes_dtypes_ranges():
    images, labels, boxes, masks = make_shapes(40, seed=1, return_masks=True)
    assert images.shape == (40, 64, 64, 3) and images.dtype == np.float32
    assert labels.shape == (40,) and labels.dtype == np.int64
    assert boxes.shape == (40, 4) and boxes.dtype == np.float32
    assert masks.shape == (40, 64, 64) and masks.dtype == bool
    assert images.min() >= 0 and images.max() <= 255
    np.testing.assert_array_equal(images, np.round(images))  # 8-bit-like values
    assert images.std() > 20  # not a blank picture
    assert set(labels.tolist()) <= set(range(6))
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] <= 64).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    small = make_shapes(5, seed=1, size=32)
    assert small[0].shape == (5, 32, 32, 3) and (small[2] <= 32).all()


def test_boxes_are_the_tight_extent_of_the_masks():
    _, _, boxes, masks = make_shapes(200, seed=3, return_masks=True)
    for box, mask in zip(boxes, masks):
        ys, xs = np.nonzero(mask)
        assert len(xs) > 0
        expected = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]  # pixel-edge coordinates, end exclusive
        np.testing.assert_array_equal(box, expected)
        x0, y0, x1, y1 = box.astype(int)
        assert mask[y0:y1, x0:x1].sum() == mask.sum()  # the box contains the whole mask


def test_masks_have_the_geometry_of_their_class():
    # A disc fills pi/4 of its bounding square; the ring (outer radius 0.9 r,
    # inner 0.46 r) fills pi/4 * (1 - (0.46/0.9)^2).  Rotation does not change either.
    _, labels, boxes, masks = make_shapes(300, seed=4, return_masks=True)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    fill = masks.sum((1, 2)) / (w * h)
    circle, square, ring = labels == 0, labels == 1, labels == 5
    assert np.all(np.abs(w - h)[circle] <= 1)
    assert abs(fill[circle].mean() - math.pi / 4) < 0.03
    assert abs(fill[ring].mean() - math.pi / 4 * (1 - (0.46 / 0.9) ** 2)) < 0.04
    # A square rotated by t fills 1 / (|cos t| + |sin t|)^2 of its box: between 1/2 and 1.
    assert fill[square].min() >= 0.45 and fill[square].max() <= 1.0
    assert fill[circle].mean() > fill[ring].mean() + 0.15


def test_masks_sit_on_the_drawn_object():
    # Clean images: the object's pixels differ in colour from the background outside its box.
    images, _, boxes, masks = make_shapes(30, seed=8, clutter=False, return_masks=True)
    for img, box, mask in zip(images, boxes, masks):
        x0, y0, x1, y1 = box.astype(int)
        outside = np.ones(mask.shape, bool)
        outside[max(0, y0 - 1):y1 + 1, max(0, x0 - 1):x1 + 1] = False
        inner = mask & ~np.logical_xor(mask, np.roll(mask, 1, 0)) & ~np.logical_xor(mask, np.roll(mask, 1, 1))
        fg = np.median(img[inner], axis=0)
        bg = np.median(img[outside], axis=0)
        assert np.linalg.norm(fg - bg) > 40


def test_every_class_appears_and_classes_argument():
    _, labels, _ = make_shapes(300, seed=2)
    counts = np.bincount(labels, minlength=6)
    assert counts.min() >= 25, counts
    _, labels, _ = make_shapes(6, seed=2, classes=[5, 4, 3, 2, 1, 0])
    np.testing.assert_array_equal(labels, [5, 4, 3, 2, 1, 0])


def _nearest_mean_accuracy(train_x, train_y, test_x, test_y):
    means = np.stack([train_x[train_y == c].mean(0) for c in range(6)])
    pred = np.argmin(((test_x[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    return (pred == test_y).mean()


def test_class_is_not_readable_from_a_colour():
    xa, ya, ba = make_shapes(600, seed=21)
    xb, yb, bb = make_shapes(600, seed=22)

    def centre_pixel(x, b):
        cx = ((b[:, 0] + b[:, 2]) // 2).astype(int)
        cy = ((b[:, 1] + b[:, 3]) // 2).astype(int)
        return x[np.arange(len(x)), cy, cx]

    features = {
        "mean colour": (xa.mean((1, 2)), xb.mean((1, 2))),
        "corner pixel (background)": (xa[:, 0, 0], xb[:, 0, 0]),
        "pixel at the box centre": (centre_pixel(xa, ba), centre_pixel(xb, bb)),
    }
    for name, (fa, fb) in features.items():
        acc = _nearest_mean_accuracy(fa, ya, fb, yb)
        assert acc < 0.40, f"{name}: nearest-class-mean accuracy {acc:.2f}"


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(n=0), ValueError, "n must be at least 1, got 0"),
    (dict(n=2.5), TypeError, "n must be an integer, got float 2.5"),
    (dict(n=True), TypeError, "n must be an integer, got bool"),
    (dict(n=3, size=8), ValueError, "size must be between 24 and 512, got 8"),
    (dict(n=3, seed=-1), ValueError, "seed must be at least 0, got -1"),
    (dict(n=3, seed=1.5), TypeError, "seed must be an integer, got float 1.5"),
    (dict(n=3, clutter="yes"), TypeError, "clutter must be True or False"),
    (dict(n=3, classes=[0, 1]), ValueError, r"classes must be 3 integer class ids \(shape \(3,\)\)"),
    (dict(n=2, classes=[0, 6]), ValueError, r"classes must be in 0..5"),
    (dict(n=2, classes=[0.0, 1.0]), ValueError, "integer class ids"),
])
def test_bad_arguments_give_clear_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        make_shapes(**kwargs)


def test_integral_numbers_are_taken_as_integers():
    """numpy integers and floats like 3.0 give the same arrays as Python ints (helpers.inputs.check_int)."""
    a = make_shapes(3, seed=5, size=32)
    b = make_shapes(np.int64(3), seed=np.uint8(5), size=32.0)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


# -------------------------------------------------------------- model ----

def test_architecture_is_vgg_style():
    import keras

    model = shapes.build_shapesnet(batchnorm=False)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.name for c in convs] == [f"block{b}_conv{c}" for b in range(1, 5) for c in (1, 2)]
    assert [c.filters for c in convs] == [16, 16, 32, 32, 64, 64, 128, 128]
    assert all(c.activation.__name__ == "relu" and c.kernel_size == (3, 3) for c in convs)
    assert [layer.name for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)] == [
        "block1_pool", "block2_pool", "block3_pool"]
    assert model.get_layer("block4_conv2").output.shape[1:] == (8, 8, 128)
    assert model.layers[-1].name == "predictions" and model.get_layer("logits").units == 6
    # Parameters counted by hand: 3x3 convs (9 * in * out + out) and the dense layer.
    chans = [3, 16, 16, 32, 32, 64, 64, 128, 128]
    expected = sum(9 * a * b + b for a, b in zip(chans[:-1], chans[1:])) + 128 * 6 + 6
    assert model.count_params() == expected
    bn = shapes.build_shapesnet(batchnorm=True)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in bn.layers) == 8
    assert bn.get_layer("block1_bn1").momentum == 0.9


def test_rescaling_maps_0_255_to_minus1_1():
    model = shapes.build_shapesnet(batchnorm=False, filters=(2,), input_size=8)
    sub = model.get_layer("rescaling")
    np.testing.assert_allclose(np.asarray(sub(np.array([[0.0, 127.5, 255.0]], np.float32))), [[-1, 0, 1]], atol=1e-6)


def test_bad_model_arguments():
    with pytest.raises(ValueError):
        shapes.build_shapesnet(input_size=30)  # not divisible by 8
    with pytest.raises(ValueError):
        shapes.build_shapesnet(filters=())
    with pytest.raises(ValueError):
        shapes.fold_batchnorm(shapes.build_shapesnet(batchnorm=False, filters=(2,), input_size=8))
    with pytest.raises(TypeError):
        shapes.fold_batchnorm("model.keras")


def test_batchnorm_folding_matches_the_batchnorm_model():
    import keras

    rng = np.random.default_rng(0)
    bn_model = shapes.build_shapesnet(batchnorm=True, filters=(3, 4, 5), input_size=16)
    for layer in bn_model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 2.0, c), rng.normal(0, 0.5, c),          # gamma, beta
                               rng.normal(0, 0.5, c), rng.uniform(0.2, 3.0, c)])          # moving mean, var
    dense = bn_model.get_layer("logits")
    dense.set_weights([rng.normal(0, 1, dense.kernel.shape), rng.normal(0, 0.3, dense.bias.shape)])
    folded = shapes.fold_batchnorm(bn_model)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.layers)
    images = make_shapes(16, seed=9, size=32)[0][:, ::2, ::2]  # 16x16 shape images
    # Compare the last post-ReLU maps and the logits, not just softmax outputs.
    taps = lambda m, names: keras.Model(m.input, [m.get_layer(n).output for n in names])  # noqa: E731
    a_map, a_logits = taps(bn_model, ["block3_relu2", "logits"])(images, training=False)
    b_map, b_logits = taps(folded, ["block3_conv2", "logits"])(images)
    scale = float(np.abs(a_map).max())
    assert scale > 0.1  # non-trivial activations
    np.testing.assert_allclose(np.asarray(b_map), np.asarray(a_map), atol=1e-4 * scale)
    logit_scale = max(1.0, float(np.abs(a_logits).max()))
    np.testing.assert_allclose(np.asarray(b_logits), np.asarray(a_logits), atol=1e-4 * logit_scale)
    np.testing.assert_allclose(folded.predict(images, verbose=0), bn_model.predict(images, verbose=0), atol=1e-5)


def test_training_budget_stops_and_decays_the_rate():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1.0), loss="mse")
    x, y = np.zeros((40, 2), np.float32), np.zeros((40, 1), np.float32)
    # Plenty of time: all 10 steps, the rate follows the cosine to ~0.
    cb = training._make_budget_callback(total_steps=10, base_lr=1.0, train_budget_s=1e6)
    model.fit(x, y, batch_size=4, epochs=1, callbacks=[cb], verbose=0)
    assert cb.step == 10 and not cb.stopped_by_budget
    assert float(model.optimizer.learning_rate) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.9)))
    # No time: stops after the first step and says so.
    cb = training._make_budget_callback(total_steps=10, base_lr=1.0, train_budget_s=1e-9)
    model.fit(x, y, batch_size=4, epochs=1, callbacks=[cb], verbose=0)
    assert cb.step == 1 and cb.stopped_by_budget


def test_train_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        shapes.train(seed=shapes.HELDOUT_SEED, out=str(tmp_path / "m.keras"))
    with pytest.raises(ValueError, match=".keras"):
        shapes.train(out=str(tmp_path / "m.h5"))
    with pytest.raises(FileNotFoundError):
        shapes.train(out=str(tmp_path / "missing" / "m.keras"))
    with pytest.raises(ValueError):
        shapes.train(epochs=0, out=str(tmp_path / "m.keras"))


def test_missing_weights_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="make shapesnet"):
        shapes.load_shapesnet(tmp_path / "nothing.keras")


# ----------------------------------------------------- the shipped model ----

@pytest.fixture(scope="module")
def shipped():
    return shapes.load_shapesnet()


def test_shipped_model_holds_every_array_of_the_file(shipped, tmp_path):
    """Architecture built in code + weights read by Keras == the arrays stored in the .keras file,
    read here with zipfile and h5py (any Keras version: a 3.13 cannot deserialize 3.15's configs)."""
    import zipfile

    import h5py

    with zipfile.ZipFile(shapes.MODEL_PATH) as zf:
        zf.extract("model.weights.h5", tmp_path)
    stored = []
    with h5py.File(tmp_path / "model.weights.h5", "r") as f:
        f.visititems(lambda name, obj: stored.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    mine = shipped.get_weights()
    assert len(mine) == len(stored) == 18, (len(mine), len(stored))     # 8 convs and the logits: kernel + bias
    for w in mine:
        matches = [a for a in stored if a.shape == w.shape and np.array_equal(a, w)]
        assert len(matches) == 1, f"an array of shape {w.shape} is not the file's"


def test_a_file_of_another_model_is_named(tmp_path):
    import keras

    inputs = keras.Input((8, 8, 3))
    other = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    other.save(tmp_path / "other.keras")
    with pytest.raises(ValueError, match=r"other\.keras does not hold ShapesNet's weights.*make shapesnet"):
        shapes.load_shapesnet(tmp_path / "other.keras")


def test_shipped_file_is_small_and_bn_free(shipped):
    import keras

    assert os.path.getsize(shapes.MODEL_PATH) <= 5 * 1024 * 1024
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in shipped.layers)
    last = shipped.get_layer(shapes.LAST_CONV_LAYER)
    assert isinstance(last, keras.layers.Conv2D) and last.activation.__name__ == "relu"
    assert last.output.shape[1:] == (8, 8, 128)
    assert shipped.input_shape == (None, IMAGE_SIZE, IMAGE_SIZE, 3)
    assert shipped.layers[-1].name == "predictions"
    assert os.path.isfile(shapes.CARD_PATH)


def test_shipped_model_accuracy_on_fresh_images(shipped):
    images, labels, _ = make_shapes(2000, seed=TEST_SEED)
    probs = shipped.predict(images, batch_size=250, verbose=0)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-4)
    acc = (probs.argmax(1) == labels).mean()
    assert acc >= 0.97, f"held-out accuracy {acc:.4f} < 0.97"


def test_sample_images_are_predicted_correctly(shipped):
    samples = shapes.sample_images()
    assert list(samples) == CLASS_NAMES
    batch = np.stack(list(samples.values()))
    assert batch.shape == (6, 64, 64, 3) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch, np.stack(list(shapes.sample_images().values())))  # deterministic
    pred = shipped.predict(batch, verbose=0).argmax(1)
    assert [CLASS_NAMES[p] for p in pred] == CLASS_NAMES
