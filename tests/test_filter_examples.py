"""Tests of the figure of notebook 02's filter patterns beside their photo crops (helpers.plotting)."""
import numpy as np
import pytest

from helpers import plotting


def _axes_images(fig):
    return [(ax, ax.get_images()[0].get_array()) for ax in fig.axes if ax.get_images()]


def test_pattern_examples_figure_puts_each_pattern_before_its_crops():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    patterns = rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)       # e.g. a gallery's pictures
    crops = [rng.uniform(0, 255, (2, c, c, 3)) for c in (3, 3, 40, 40)]    # one crop size per layer
    fig = plotting.pattern_examples_figure(patterns, crops, titles=["a #1", "a #2", "b #7", "b #9"],
                                           crop_titles=[["cat", "cup"]] * 4, per_row=2)
    shown = _axes_images(fig)
    assert len(shown) == 4 * 3                                             # pattern + 2 crops each
    for f in range(4):                                                     # in reading order
        ax, img = shown[3 * f]
        np.testing.assert_array_equal(np.asarray(img), patterns[f])
        assert ax.get_title() == ["a #1", "a #2", "b #7", "b #9"][f]
        for j in range(2):
            ax, img = shown[3 * f + 1 + j]
            np.testing.assert_array_equal(np.asarray(img), plotting.to_uint8(crops[f][j]))
            assert ax.get_title() == ["cat", "cup"][j]
    # two groups per row: the second group of the first row lies right of the first group, same height
    (a, _), (b, _), (c, _) = shown[0], shown[3], shown[6]
    assert b.get_position().x0 > a.get_position().x1 and abs(b.get_position().y0 - a.get_position().y0) < 1e-9
    assert c.get_position().y1 < a.get_position().y0                       # third group: next row
    plt.close(fig)


def test_pattern_examples_figure_refuses_mismatched_input():
    patterns = np.zeros((2, 8, 8, 3), np.uint8)
    crops = np.zeros((2, 3, 5, 5, 3))
    with pytest.raises(ValueError, match="2 sets of crops for 3 patterns"):
        plotting.pattern_examples_figure(np.zeros((3, 8, 8, 3)), crops)
    with pytest.raises(ValueError, match="1 titles for 2 patterns"):
        plotting.pattern_examples_figure(patterns, crops, titles=["x"])
    with pytest.raises(ValueError, match=r"patterns must be a non-empty \(F, H, W, 3\)"):
        plotting.pattern_examples_figure(np.zeros((8, 8, 3)), crops)
    with pytest.raises(ValueError, match=r"crops\[1\]"):
        plotting.pattern_examples_figure(patterns, [crops[0], np.zeros((0, 5, 5, 3))])
