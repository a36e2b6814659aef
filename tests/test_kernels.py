"""Tests for helpers.kernels (notebook 02): known kernels with known answers."""
import numpy as np
import pytest

from helpers import kernels


def _stack(*ks):
    return np.stack(ks, axis=-1)


def test_a_ramp_at_any_angle_is_a_pure_oriented_edge():
    gx = np.array([[-1.0, 0, 1]] * 3)
    out = []
    for theta in (0.0, 0.4, np.pi / 2, 2.5):
        k = np.cos(theta) * gx + np.sin(theta) * gx.T + 7.0           # plus a flat colour
        out.append(np.repeat(k[:, :, None], 3, axis=2) * [1.0, -2.0, 0.5])
    np.testing.assert_allclose(kernels.oriented_edge_share(_stack(*out)), 1.0)


def test_blob_and_checkerboard_have_no_oriented_edge():
    lap = np.array([[0.0, -1, 0], [-1, 4, -1], [0, -1, 0]])
    checker = np.array([[1.0, -1, 1], [-1, 1, -1], [1, -1, 1]])
    k = _stack(np.repeat(lap[..., None], 3, 2), np.repeat(checker[..., None], 3, 2))
    np.testing.assert_allclose(kernels.oriented_edge_share(k), 0.0, atol=1e-12)


def test_a_step_edge_is_mostly_but_not_only_a_ramp_by_hand():
    # step [[-1,-1,1]]*3: mean -1/3, spatial part rows [-2/3, -2/3, 4/3], energy 3*(4/9+4/9+16/9) = 8
    # projection on Gx/sqrt(6): 3*(-2/3*-1 + 4/3*1)/sqrt(6) = 6/sqrt(6) -> energy 6; on Gy 0; share 6/8
    step = np.array([[-1.0, -1, 1]] * 3)[:, :, None, None]
    assert kernels.oriented_edge_share(step)[0] == pytest.approx(0.75)


def test_flat_and_zero_kernels_score_zero_not_nan():
    k = _stack(np.ones((3, 3, 3)), np.zeros((3, 3, 3)))
    np.testing.assert_array_equal(kernels.oriented_edge_share(k), [0.0, 0.0])


def test_random_kernels_score_a_quarter_on_average():
    # 2 of the 8 spatial degrees of freedom: E[share] = 2/8 for iid Gaussian weights
    assert kernels.random_edge_shares(n=40000).mean() == pytest.approx(0.25, abs=0.005)


def test_bad_kernels_are_named():
    with pytest.raises(ValueError, match=r"\(3, 3, C, F\)"):
        kernels.oriented_edge_share(np.zeros((5, 5, 3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        kernels.oriented_edge_share(np.full((3, 3, 1, 1), np.nan))
