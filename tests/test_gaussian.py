"""helpers.gaussian: the one Gaussian kernel (SSIM, insertion's blur, the ascent's blur) against hand computation."""
import math

import numpy as np
import pytest

from helpers.gaussian import gaussian_kernel, separable_filter
from helpers.maximize.regularize import MIN_KERNEL, blur_kernel


def test_kernel_for_sigma_one_matches_the_hand_computation():
    # radius 1: weights e^-1/2, 1, e^-1/2 over their sum 1 + 2 e^-1/2 = 2.2130613
    e = math.exp(-0.5)
    np.testing.assert_allclose(gaussian_kernel(1.0, 1), [e / (1 + 2 * e), 1 / (1 + 2 * e), e / (1 + 2 * e)], rtol=1e-12)
    np.testing.assert_allclose(gaussian_kernel(1.0, 1), [0.2740686, 0.4518628, 0.2740686], atol=1e-7)
    # radius 2 adds e^-2 at both ends: sum 1 + 2 (0.6065307 + 0.1353353) = 2.4837319
    np.testing.assert_allclose(gaussian_kernel(1.0, 2), [0.0544887, 0.2442013, 0.4026199, 0.2442013, 0.0544887],
                               atol=1e-7)


@pytest.mark.parametrize("sigma, radius", [(0.5, 1), (1.5, 5), (3.0, 9), (14.0, 42)])
def test_kernel_sums_to_one_is_symmetric_and_peaks_in_the_middle(sigma, radius):
    k = gaussian_kernel(sigma, radius)
    assert k.shape == (2 * radius + 1,)
    assert abs(k.sum() - 1.0) < 1e-12
    np.testing.assert_array_equal(k, k[::-1])
    assert k.argmax() == radius and np.all(np.diff(k[:radius + 1]) > 0)


def test_min_taps_pads_with_zeros_and_the_ascent_kernel_keeps_its_numbers():
    k = gaussian_kernel(0.5, 1, min_taps=7)
    np.testing.assert_array_equal(k[[0, 1, -2, -1]], 0.0)
    np.testing.assert_array_equal(k[2:5], gaussian_kernel(0.5, 1))
    # the ascent's rule: radius ceil(3 sigma) (0.7 -> 3 taps each side), float32, >= 7 taps
    t = np.arange(-3, 4)
    ref = np.exp(-t ** 2 / (2 * 0.7 ** 2))
    np.testing.assert_allclose(blur_kernel(0.7), ref / ref.sum(), rtol=1e-6)
    assert blur_kernel(0.7).dtype == np.float32 and blur_kernel(0.3).size == MIN_KERNEL


def test_separable_filter_matches_a_direct_two_dimensional_sum_with_mirrored_borders():
    x = np.random.default_rng(0).random((2, 6, 5))
    k = gaussian_kernel(1.0, 2)
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)), mode="symmetric")
    ref = np.zeros_like(x)
    for dy in range(5):
        for dx in range(5):
            ref += k[dy] * k[dx] * padded[:, dy:dy + 6, dx:dx + 5]
    np.testing.assert_allclose(separable_filter(x, k), ref, atol=1e-12)
    with pytest.raises(ValueError, match="too small"):
        separable_filter(np.zeros((2, 2)), k)


@pytest.mark.parametrize("sigma, radius", [(0.0, 1), (-1.0, 1), (float("nan"), 1), ("1", 1), (1.0, -1), (1.0, 1.5)])
def test_bad_sigma_or_radius_is_named(sigma, radius):
    with pytest.raises((ValueError, TypeError), match="sigma|radius"):
        gaussian_kernel(sigma, radius)
