"""Tests of helpers.maximize.measures (the roughness, simplicity and sparsity measures of notebooks 02, 03).

References are images with spectra known by hand: cosines of chosen
frequencies, a checkerboard, constant images, white noise (whose expected
share is counted on the frequency grid), and grey pixels placed by hand.
"""
import numpy as np
import pytest

from helpers import deepvis, maximize
from helpers.maximize import GREY, HF_CUTOFF, measures


def rgb(g):
    """(H, W) grey levels -> (1, H, W, 3)."""
    return np.repeat(g[None, ..., None], 3, axis=-1)


def test_the_stated_cut_off_is_a_quarter_of_nyquist():
    assert HF_CUTOFF == 0.25
    yy, xx = np.mgrid[0:32, 0:32]
    # radius 0.125 cycles/px is a quarter of Nyquist (0.5): just inside is low, just outside is high
    low = GREY + 50 * np.cos(2 * np.pi * (3 * xx + 2 * yy) / 32)   # radius sqrt(13)/32 = 0.113 < 0.125
    high = GREY + 50 * np.cos(2 * np.pi * (3 * xx + 3 * yy) / 32)  # radius sqrt(18)/32 = 0.133 > 0.125
    got = maximize.high_frequency_share(np.concatenate([rgb(low), rgb(high), np.full((1, 32, 32, 3), 9.0)]))
    np.testing.assert_allclose(got, [0.0, 1.0, 0.0], atol=1e-9)
    # the cut-off is radial: the same "high" cosine is low for a cut-off of half Nyquist (0.25 cycles/px)
    assert maximize.high_frequency_share(rgb(high), cutoff=0.5)[0] < 1e-9


def test_white_noise_and_a_checkerboard():
    # white noise: the share of the 64 x 64 frequency grid outside the radius (counted here, not pi r^2)
    noise = np.random.default_rng(0).normal(size=(8, 64, 64, 3))
    f = np.hypot(np.fft.fftfreq(64)[:, None], np.fft.fftfreq(64)[None, :])
    outside = (f > 0.125).sum() / (64 * 64 - 1)
    assert abs(maximize.high_frequency_share(noise).mean() - outside) < 0.01
    yy, xx = np.mgrid[0:16, 0:16]
    assert maximize.high_frequency_share(rgb(((yy + xx) % 2) * 255.0))[0] == pytest.approx(1.0)
    # a colour pattern counts in every channel: red-only high frequency is still all high
    red = np.zeros((1, 32, 32, 3))
    red[0, ..., 0] = np.cos(2 * np.pi * 12 * np.mgrid[0:32, 0:32][1] / 32)
    assert maximize.high_frequency_share(red)[0] > 0.999


def test_bad_images_and_cut_offs_are_refused():
    with pytest.raises(ValueError, match="cutoff"):
        maximize.high_frequency_share(np.zeros((1, 8, 8, 3)), cutoff=1.5)
    with pytest.raises(ValueError, match="NaN"):
        maximize.high_frequency_share(np.full((1, 8, 8, 3), np.nan))
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        maximize.high_frequency_share(np.zeros((0, 8, 8, 3)))


def test_one_measure_under_its_old_name():
    assert deepvis.radial_highpass_share is maximize.high_frequency_share is measures.high_frequency_share
    assert deepvis.grey_fraction is maximize.grey_fraction


def test_frequency_concentration_by_hand():
    flat = np.full((1, 16, 16, 3), 200.0)
    yy, xx = np.mgrid[0:16, 0:16]
    stripe = rgb(GREY + 50 * np.cos(2 * np.pi * 3 * xx / 16))
    noise = GREY + np.random.default_rng(0).normal(0, 30, (1, 16, 16, 3))
    grey = np.full((1, 16, 16, 3), GREY)
    got = maximize.frequency_concentration(np.concatenate([flat, stripe, noise, grey]), fraction=0.01)
    assert got[0] == pytest.approx(1.0) and got[1] == pytest.approx(1.0)  # DC only / two frequencies
    assert got[2] < 0.05
    assert got[3] == 1.0


def test_grey_fraction_by_hand():
    x = np.full((2, 4, 5, 3), GREY)
    x[0, 0, :3] = 200          # 3 of 20 pixels coloured
    x[1, :, :, 1] = GREY + 0.4  # within the tolerance: still grey
    np.testing.assert_allclose(maximize.grey_fraction(x), [17 / 20, 1.0])
