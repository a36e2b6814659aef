"""Property-based tests (Hypothesis) of the image check and of the exercise checks.

The image check (helpers.inputs.check_images) against its contract, stated
independently here: any finite 0..255 batch of RGB images passes unchanged
(as float32, the caller's array untouched); anything with NaN/inf, a value
outside 0..255, a 0..1 float image, or the wrong shape is refused with a
ValueError or TypeError -- never another exception, never silently.

The exercise checks: whatever a student answers, a check prints a verdict
and returns True / False / None without raising, and it never calls a
non-finite answer, or a non-integer answer to a question whose answer is a
count, "correct".
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from helpers import exercises as E  # noqa: E402
from helpers.inputs import RANGE_SLACK, check_images  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------- image check ----

small_dims = st.integers(1, 6)


@st.composite
def pixel_batches(draw, low=0.0, high=255.0):
    shape = (draw(st.integers(1, 3)), draw(small_dims), draw(small_dims), 3)
    dtype = draw(st.sampled_from([np.uint8, np.float32, np.float64]))
    if dtype is np.uint8:
        return draw(hnp.arrays(np.uint8, shape))
    arr = draw(hnp.arrays(dtype, shape, elements=st.floats(low, high, allow_nan=False, width=32)))
    # a float batch entirely within 0..1 is the 0..1 mistake, not a 0..255 image: keep one bright pixel
    arr.flat[0] = 200.0
    return arr


@SETTINGS
@given(pixel_batches())
def test_any_0_255_batch_passes_unchanged_and_is_copied(arr):
    before = arr.copy()
    out, single = check_images(arr)
    assert single is False and out.dtype == np.float32 and out.shape == arr.shape
    np.testing.assert_array_equal(out, arr.astype(np.float32))
    out[...] = 0                                     # writing to the result never reaches the caller
    np.testing.assert_array_equal(arr, before)


@SETTINGS
@given(pixel_batches(), st.sampled_from([np.nan, np.inf, -np.inf]), st.data())
def test_a_single_non_finite_value_is_refused(arr, bad, data):
    arr = arr.astype(np.float32)
    arr.flat[data.draw(st.integers(0, arr.size - 1))] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_images(arr)


@SETTINGS
@given(pixel_batches(), st.one_of(st.floats(-1e6, -RANGE_SLACK - 1e-3), st.floats(255 + RANGE_SLACK + 1e-3, 1e6)),
       st.data())
def test_a_single_value_outside_0_255_is_refused(arr, bad, data):
    arr = arr.astype(np.float64)
    arr.flat[data.draw(st.integers(0, arr.size - 1))] = bad
    with pytest.raises(ValueError, match="0..255"):
        check_images(arr)


@SETTINGS
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 3), small_dims, small_dims, st.just(3)),
                  elements=st.floats(0, 1, width=32)))
def test_a_0_1_float_image_is_refused_with_the_hint(arr):
    arr.flat[0] = 0.5                                # at least one non-integral value in 0..1
    with pytest.raises(ValueError, match=r"0\.\.1.*255"):
        check_images(arr)


@SETTINGS
@given(hnp.arrays(st.sampled_from([np.float32, np.int16, np.uint8, np.bool_, np.complex64]),
                  hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=5)))
def test_arbitrary_arrays_pass_or_get_a_clear_error(arr):
    try:
        out, single = check_images(arr)
    except (ValueError, TypeError) as exc:
        assert "images" in str(exc) or "model expects" in str(exc), str(exc)
        return
    assert out.ndim == 4 and out.shape[-1] == 3 and np.all(np.isfinite(out))
    assert out.min() >= -RANGE_SLACK and out.max() <= 255 + RANGE_SLACK


# ---------------------------------------------------------- exercise checks ----

def _solution(key, name):
    spec = importlib.util.spec_from_file_location(f"sol{key}", os.path.join(ROOT, "solutions", f"ex{key}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)()


answers = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.floats(allow_nan=True), max_size=4),
    st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True)),
)


def _verdict(capsys, check, *args):
    result = check(*args)
    out = capsys.readouterr().out
    assert result in (True, False, None), f"a check returned {result!r}"
    return result, out


# checks whose answer is a count (an integer); their reference solutions
COUNT_CHECKS = {"check_rnn_params": ("06", "rnn_params"), "check_window_3_of_10": ("05", "window_3_of_10")}
SCALAR_CHECKS = dict(COUNT_CHECKS, check_h2_by_hand=("06", "h2_by_hand"), check_decay_half_life=("03", "decay_half_life"))


@pytest.mark.parametrize("check_name", sorted(SCALAR_CHECKS))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=answers)
def test_a_scalar_check_never_raises_and_never_grades_a_non_finite_answer_correct(capsys, check_name, answer):
    result, out = _verdict(capsys, getattr(E, check_name), answer)
    if result is True:
        value = np.asarray(answer, dtype=np.float64)
        assert value.size == 1 and np.isfinite(value).all(), f"{answer!r} graded correct"
        if check_name in COUNT_CHECKS:
            assert float(value) == int(value), f"non-integer {answer!r} graded correct for a count"


@pytest.mark.parametrize("check_name", sorted(COUNT_CHECKS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.floats(1e-6, 0.49) | st.floats(-0.49, -1e-6))
def test_a_count_plus_a_fraction_is_never_correct(capsys, check_name, offset):
    right = _solution(*COUNT_CHECKS[check_name])
    result, out = _verdict(capsys, getattr(E, check_name), right + offset)
    assert result is not True, f"{right + offset!r} graded correct (the answer is {right})"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["W_xh", "W_hh", "b", "W_hy", "b_y"]), bad=st.sampled_from([np.nan, np.inf, -np.inf]),
       data=st.data())
def test_threshold_parity_with_a_non_finite_weight_is_never_correct(capsys, key, bad, data):
    weights = {k: np.array(v, dtype=np.float64, copy=True) for k, v in _solution("06", "threshold_parity").items()}
    w = weights[key]
    if w.ndim == 0:
        weights[key] = np.float64(bad)
    else:
        w.flat[data.draw(st.integers(0, w.size - 1))] = bad
    result, out = _verdict(capsys, E.check_threshold_parity, weights)
    assert result is not True, f"{key} containing {bad} graded correct:\n{out}"
