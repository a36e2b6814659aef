"""Tests of helpers.plotting: safe channel normalisation, mosaics, kernel patches, figures."""
import io

import numpy as np
import pytest

from helpers import plotting


def test_normalize_channels_by_hand_and_constant_channels_blank():
    a = np.zeros((2, 2, 3))
    a[..., 0] = [[0, 1], [2, 4]]     # -> [[0, .25], [.5, 1]]
    a[..., 1] = 0.0                  # dead channel
    a[..., 2] = 7.5                  # constant, non-zero
    scaled, constant = plotting.normalize_channels(a)
    np.testing.assert_allclose(scaled[0], [[0, 0.25], [0.5, 1]])
    assert constant.tolist() == [False, True, True]
    assert np.all(scaled[1:] == 0) and np.all(np.isfinite(scaled))


def test_channel_mosaic_of_a_constant_channel_is_finite_and_blank():
    a = np.random.default_rng(0).uniform(size=(5, 5, 3))
    a[..., 1] = 0.0
    img, constant = plotting.channel_mosaic(a, ncols=3, pad=1)
    assert img.shape == (5, 17, 3) and np.all(np.isfinite(img))
    assert constant.tolist() == [False, True, False]
    tile = img[:, 6:11]  # second tile: columns 6..10
    assert np.all(tile == np.array(plotting.BLANK, np.float32))
    from matplotlib import colormaps

    first = img[:, 0:5]
    lo = np.unravel_index(np.argmin(a[..., 0]), (5, 5))
    hi = np.unravel_index(np.argmax(a[..., 0]), (5, 5))
    np.testing.assert_allclose(first[lo], colormaps["viridis"](0.0)[:3], atol=1e-6)
    np.testing.assert_allclose(first[hi], colormaps["viridis"](1.0)[:3], atol=1e-6)
    assert np.all(img[:, 5] == 1.0)  # white separator


def test_mosaic_layout():
    tiles = np.arange(5)[:, None, None] * np.ones((5, 2, 3))
    m = plotting.mosaic(tiles, ncols=2, pad=1, pad_value=-1)
    assert m.shape == (3 * 3 - 1, 2 * 4 - 1)
    assert m[0, 0] == 0 and m[0, 4] == 1 and m[3, 0] == 2 and m[6, 4] == -1 and m[2, 0] == -1
    assert m[6, 0] == 4
    with pytest.raises(ValueError):
        plotting.mosaic(np.zeros((0, 2, 2)))


def test_kernel_tiles_by_hand():
    k = np.zeros((1, 2, 3, 2))
    k[0, 0, 0, 0] = 0.5     # peak positive -> 255
    k[0, 1, 2, 0] = -0.25   # half the peak, negative -> 64
    tiles = plotting.kernel_tiles(k)
    assert tiles.shape == (2, 1, 2, 3) and tiles.dtype == np.uint8
    assert tiles[0, 0, 0].tolist() == [255, 128, 128]
    assert tiles[0, 0, 1].tolist() == [128, 128, 64]
    assert np.all(tiles[1] == 128)  # all-zero kernel: grey, no division by zero
    with pytest.raises(ValueError, match="kh, kw, 3, F"):
        plotting.kernel_tiles(np.zeros((3, 3, 16, 8)))


def test_figures_and_png():
    import matplotlib

    matplotlib.use("Agg")
    act = np.random.default_rng(0).uniform(size=(4, 4, 20))
    act[..., 3] = 0
    fig = plotting.channel_grid(act, ncols=8, title="block1_conv1")
    assert "block1_conv1: 20 channels, 1 blank" in fig.axes[0].get_title(loc="left")
    fig2 = plotting.activation_grids({"a": act[None], "b": act[None, :2, :2, :5]}, max_channels=8, ncols=8)
    assert len(fig2.axes) == 2
    imgs = np.random.default_rng(1).uniform(0, 255, (3, 6, 6, 3))
    fig3 = plotting.image_grid(imgs, titles=["x", "y", "z"], ncols=2)
    assert [ax.get_title() for ax in fig3.axes[:3]] == ["x", "y", "z"]
    with pytest.raises(ValueError, match="titles"):
        plotting.image_grid(imgs, titles=["x"])
    from PIL import Image

    png = plotting.png_bytes(imgs[0], scale=3)
    assert Image.open(io.BytesIO(png)).size == (18, 18)
    with pytest.raises(ValueError, match="NaN"):
        plotting.to_uint8(np.full((2, 2, 3), np.nan))
    import matplotlib.pyplot as plt

    plt.close("all")


def test_channel_figure_titles():
    import matplotlib

    matplotlib.use("Agg")
    image = np.random.default_rng(0).uniform(0, 255, (8, 8, 3))
    act = np.random.default_rng(1).uniform(size=(4, 4, 6))
    act[..., 2] = 0
    fig = plotting.channel_figure(image, act, 2, top=[5, 1], title="c1")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["input", "c1, channel 2 (all zero)", "most active: 5, 1"]
    with pytest.raises(ValueError, match="out of range"):
        plotting.channel_figure(image, act, 6)
    import matplotlib.pyplot as plt

    plt.close("all")


# ---- the five sequence shapes (notebook 05) -----------------------------------------------------

def test_sequence_shapes_figure_draws_each_shape_with_its_example():
    import matplotlib
    from matplotlib.image import AxesImage
    from matplotlib.patches import FancyBboxPatch

    from helpers.plotting.sequences import SEQUENCE_EXAMPLES, _IN, _OUT, _STATE, sequence_shapes_figure

    matplotlib.use("Agg")
    fig, steps = sequence_shapes_figure()
    try:
        assert tuple(fig.get_size_inches() * fig.dpi) == (1280, 640)          # sized for a 1280x720 slide
        axes = fig.axes
        assert [a.get_title(loc="left").split("\n")[0] for a in axes] == [
            "one-to-one", "one-to-many", "many-to-one", "many-to-many", "many-to-many, synced"]
        colours = {matplotlib.colors.to_hex(c): k for k, c in (("in", _IN), ("state", _STATE), ("out", _OUT))}
        for ax, (kind, ex) in zip(axes, SEQUENCE_EXAMPLES.items()):
            boxes = [colours[matplotlib.colors.to_hex(p.get_facecolor())] for p in ax.patches
                     if isinstance(p, FancyBboxPatch)]
            photos = sum(isinstance(im, AxesImage) and im.get_array().shape[-1] == 3 for im in ax.images)
            n_in = sum(t != "<image>" for t in ex["inputs"])
            assert boxes.count("in") == n_in and photos == len(ex["inputs"]) - n_in, (kind, boxes, photos)
            assert boxes.count("out") == len(ex["outputs"]), (kind, boxes)
            assert boxes.count("state") == steps[kind], (kind, boxes)
            texts = [t.get_text() for t in ax.texts]
            assert all(w in texts for w in ex["outputs"] + [w for w in ex["inputs"] if w != "<image>"]), (kind, texts)
        # one state per step: encoder + decoder steps for translation, one per bit when synced
        assert steps == {"one_to_one": 1, "one_to_many": 6, "many_to_one": 6, "many_to_many": 4 + 3,
                         "many_to_many_synced": 4}
        bits = [int(b) for b in SEQUENCE_EXAMPLES["many_to_many_synced"]["inputs"]]
        parity = [str(sum(bits[:t + 1]) % 2) for t in range(len(bits))]           # counted by hand: 1 1 0 1
        assert SEQUENCE_EXAMPLES["many_to_many_synced"]["outputs"] == parity == ["1", "1", "0", "1"]
        assert len(SEQUENCE_EXAMPLES["many_to_many"]["outputs"]) != len(SEQUENCE_EXAMPLES["many_to_many"]["inputs"])
        # the Persian sentence is drawn (shaped, right to left) where Pillow has raqm
        from PIL import features
        script = [im for im in axes[3].images if im.get_array().shape[-1] == 4]
        assert len(script) == (1 if features.check("raqm") else 0)
        others = " ".join(t.get_text() for t in fig.texts)
        assert "-> negative" in others and "-> neutral" in others
    finally:
        import matplotlib.pyplot as plt
        plt.close(fig)


def test_sequence_shapes_figure_takes_a_photo_and_refuses_a_wrong_shape():
    import matplotlib.pyplot as plt

    from helpers.plotting import sequence_shapes_figure

    photo = np.zeros((10, 20, 3), np.float32)
    photo[..., 0] = 300.0                                                     # clipped to 255
    fig, _ = sequence_shapes_figure(photo)
    drawn = fig.axes[0].images[0].get_array()
    assert drawn.dtype == np.uint8 and drawn.shape == (10, 20, 3) and drawn[..., 0].min() == 255
    plt.close(fig)
    with pytest.raises(ValueError, match=r"image must be \(H, W, 3\), got shape \(10, 20\)"):
        sequence_shapes_figure(np.zeros((10, 20)))
