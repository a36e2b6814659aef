"""helpers.cam's figures: the ramped overlay, boxes with an outline, the scale note, mass_in_box."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import cam  # noqa: E402


def test_ramped_overlay_leaves_cold_pixels_alone_and_colours_hot_ones_by_alpha_times_heat():
    img = np.full((2, 2, 3), 100.0, np.float32)
    hm = np.array([[0.0, 0.5], [1.0, 0.25]], np.float32)       # same size: no resizing
    out = cam.overlay(img, hm, alpha=0.8, cmap="inferno", ramp=True)
    inferno = matplotlib.colormaps["inferno"]
    for (y, x), heat in np.ndenumerate(hm):
        a = 0.8 * heat                                          # weight grows with the heat
        want = np.round((1 - a) * 100 + a * np.array(inferno(heat)[:3]) * 255)
        np.testing.assert_array_equal(out[y, x], want.astype(np.uint8), err_msg=f"pixel {(y, x)}")
    assert (out[0, 0] == 100).all()                             # no evidence: the image unchanged
    # without ramp the book's blend is kept: the same weight everywhere
    flat = cam.overlay(img, hm, alpha=0.4, cmap="jet")
    np.testing.assert_array_equal(flat[0, 0], np.round(0.6 * 100 + 0.4 * np.array(
        matplotlib.colormaps["jet"](0.0)[:3]) * 255).astype(np.uint8))


def test_boxes_are_drawn_with_a_dark_outline_under_the_colour():
    from matplotlib import patheffects

    imgs = np.full((2, 16, 16, 3), 200.0, np.float32)
    fig = cam.show_cams(imgs, np.zeros((2, 4, 4)), titles=["a", "b"], boxes=[(2, 2, 8, 8), None],
                        true_boxes=[None, (1, 1, 5, 5)], note="one colour scale", colorbar=True)
    box, true_box = fig.axes[0].patches[0], fig.axes[1].patches[0]
    assert matplotlib.colors.to_hex(box.get_edgecolor()) == "#ffffff"
    assert matplotlib.colors.to_hex(true_box.get_edgecolor()) == "#00ff00"
    for patch in (box, true_box):
        strokes = [e for e in patch.get_path_effects() if isinstance(e, patheffects.Stroke)]
        assert strokes and strokes[0]._gc["foreground"] == "black" and strokes[0]._gc["linewidth"] > patch.get_linewidth()
    assert fig._supxlabel.get_text() == "one colour scale"
    assert len(fig.axes) == 3                                   # two panels and the colour bar
    plt.close(fig)


def test_show_methods_writes_a_title_beside_each_row():
    imgs = np.full((2, 8, 8, 3), 50.0, np.float32)
    fig = cam.show_methods(imgs, {"gradcam": np.zeros((2, 4, 4))}, row_titles=["cat", "cup"])
    assert [fig.axes[0].get_ylabel(), fig.axes[2].get_ylabel()] == ["cat", "cup"]
    plt.close(fig)
    with pytest.raises(ValueError, match="2 images"):
        cam.show_methods(imgs, {"gradcam": np.zeros((2, 4, 4))}, row_titles=["cat"])


def test_mass_in_box_counts_the_evidence_inside_the_box():
    hm = np.zeros((4, 4), np.float32)
    hm[0, 0], hm[3, 3] = 3.0, 1.0                               # same size as the image: no resizing
    assert cam.mass_in_box(hm, (0, 0, 2, 2), (4, 4)) == pytest.approx(0.75)
    assert cam.mass_in_box(hm, (0, 0, 4, 4), (4, 4)) == pytest.approx(1.0)
    assert cam.mass_in_box(hm, (1, 1, 3, 3), (4, 4)) == 0.0
    assert cam.mass_in_box(np.zeros((4, 4)), (0, 0, 2, 2), (4, 4)) == 0.0   # no evidence: 0, not NaN
    # a uniform map upsampled stays uniform: the box's share is its share of the area
    assert cam.mass_in_box(np.ones((2, 2)), (0, 0, 8, 4), (8, 8)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="negative"):
        cam.mass_in_box(-hm, (0, 0, 2, 2), (4, 4))
