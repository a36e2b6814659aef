"""Tests for helpers/rnn.py and helpers/widgets/rnn.py (notebooks 05 and 06).

References are computed another way: hand computation on tiny cases, Keras's
own SimpleRNN, central differences, np.cumsum(bits) % 2, brute-force
enumeration with itertools.
"""
import itertools

import numpy as np
import pytest

from helpers import rnn


# --------------------------------------------------------------------- bits

def test_parse_bits_accepts_strings_lists_arrays():
    assert rnn.parse_bits("1011").tolist() == [1, 0, 1, 1]
    assert rnn.parse_bits("10 11").tolist() == [1, 0, 1, 1]
    assert rnn.parse_bits([0, 1, 1]).tolist() == [0, 1, 1]
    assert rnn.parse_bits(np.array([1.0, 0.0])).tolist() == [1, 0]


@pytest.mark.parametrize("bad, exc, words", [
    ("10a1", ValueError, ["'a'", "position 2", "0 and 1"]),
    ("", ValueError, ["empty"]),
    ("1012", ValueError, ["'2'"]),
    ([0, 2, 1], ValueError, ["0 or 1", "position 1"]),
    (np.zeros((2, 3)), ValueError, ["1-D"]),
    (1011, TypeError, ["str"]),
])
def test_parse_bits_bad_input_has_clear_message(bad, exc, words):
    with pytest.raises(exc) as info:
        rnn.parse_bits(bad)
    for w in words:
        assert w in str(info.value)


def test_running_parity_matches_cumsum_and_lecture_examples():
    bits = rnn.random_bits(5, 300, seed=3)
    for row in bits:
        assert np.array_equal(rnn.running_parity(row), np.cumsum(row) % 2)
    # counted by hand: 1000010101 has four 1s (even), 100011000000000000 has three (odd)
    assert rnn.parity_answer("1000010101") == "No"
    assert rnn.parity_answer("100011000000000000") == "Yes"
    assert all(rnn.parity_answer(s) == a for s, a in rnn.LECTURE_EXAMPLES.items())


def test_parity_batch_shapes_masks_and_targets():
    x, y, mask = rnn.parity_batch(200, 3, 11, seed=1)
    assert x.shape == y.shape == (200, 11, 1) and mask.shape == (200, 11)
    assert x.dtype == np.float32 and mask.dtype == bool
    lengths = mask.sum(1)
    assert lengths.min() >= 3 and lengths.max() <= 11 and len(set(lengths)) > 5
    # mask is a prefix: True then False
    assert np.array_equal(mask, np.arange(11)[None] < lengths[:, None])
    assert np.all(x[~mask] == rnn.PAD_VALUE) and np.isin(x[mask], (0, 1)).all()
    for i in range(200):
        real = x[i, : lengths[i], 0]
        assert np.array_equal(y[i, : lengths[i], 0], np.cumsum(real) % 2)
        assert np.all(y[i, lengths[i]:, 0] == 0)
    x2, _, m2 = rnn.parity_batch(4, 7)
    assert x2.shape == (4, 7, 1) and m2.all()


def test_parity_batch_and_pad_bits_errors():
    with pytest.raises(ValueError, match="max_len"):
        rnn.parity_batch(4, 10, 5)
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        rnn.parity_batch(0, 3)
    with pytest.raises(TypeError, match="max_len must be an integer, got float 5.5"):
        rnn.parity_batch(4, 3, 5.5)
    # an integral float is taken as the integer (helpers.inputs.check_int): the same batch as with ints
    for a, b in zip(rnn.parity_batch(np.int64(4), 3.0, 5, seed=2), rnn.parity_batch(4, 3, 5, seed=2)):
        np.testing.assert_array_equal(a, b)
    x, mask = rnn.pad_bits(["1", "101", "11"])
    assert x.shape == (3, 3, 1)
    assert mask.tolist() == [[True, False, False], [True, True, True], [True, True, False]]
    assert x[:, :, 0].tolist() == [[1, -1, -1], [1, 0, 1], [1, 1, -1]]
    with pytest.raises(ValueError, match="shorter than the longest"):
        rnn.pad_bits(["101"], max_len=2)


# --------------------------------------------------------------- windows

def _brute_force_window(n, k):
    counts = {}
    for s in itertools.product((0, 1), repeat=n):
        key = s[max(n - k, 0):] if k else ()
        c = counts.setdefault(key, [0, 0])
        c[sum(s) % 2] += 1
    return sum(max(c) for c in counts.values()) / 2 ** n


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6])
def test_window_accuracy_exact_matches_brute_force(n):
    for k in range(0, n + 2):
        exact = rnn.window_accuracy_exact(n, k)
        assert exact == pytest.approx(_brute_force_window(n, k), abs=1e-12)
        assert exact == (1.0 if k >= n else 0.5)


def test_window_accuracy_empirical():
    n = 6
    everything = np.array(list(itertools.product((0, 1), repeat=n)))
    for k in range(n + 1):   # in-sample on all 2**n strings = the exact best
        assert rnn.window_accuracy_empirical(everything, k) == pytest.approx(
            _brute_force_window(n, k))
    # strings whose first n-1 bits have even parity: the last bit decides, a 1-bit window is perfect
    even_prefix = everything[everything[:, :-1].sum(1) % 2 == 0]
    assert rnn.window_accuracy_empirical(even_prefix, 1) == 1.0
    assert rnn.window_accuracy_empirical(even_prefix, 0) == 0.5
    rows = rnn.window_table(ks=(2, 20), n=20, n_train=4000, n_test=4000)
    assert rows[0][1] == 0.5 and abs(rows[0][2] - 0.5) < 0.04 and rows[1][1] == 1.0
    with pytest.raises(ValueError, match="too long"):
        rnn.window_accuracy_exact(30, 3)


def test_window_accuracy_of_zero_strings_is_refused_not_nan():
    some = np.array([[0, 1, 1], [1, 1, 1]])
    none = np.zeros((0, 3), int)
    with pytest.raises(ValueError, match="test_bits holds zero strings"):
        rnn.window_accuracy_empirical(some, 1, none)
    with pytest.raises(ValueError, match="train_bits holds zero strings"):
        rnn.window_accuracy_empirical(none, 1, some)
    with pytest.raises(ValueError, match="train_bits holds zero strings"):
        rnn.window_accuracy_empirical(none, 1)


# ------------------------------------------------------------ numpy RNN

def test_rnn_forward_hand_computed():
    # 1 unit: h1 = tanh(w x1 + b), h2 = tanh(w x2 + u h1 + b), h0 = 0
    w, u, b = 0.7, -1.3, 0.2
    xs = np.array([[1.0], [0.5]])
    h1 = np.tanh(w * 1.0 + b)
    h2 = np.tanh(w * 0.5 + u * h1 + b)
    hs = rnn.rnn_forward(xs, np.zeros(1), [[w]], [[u]], [b])
    assert hs.shape == (2, 1)
    assert np.allclose(hs[:, 0], [h1, h2], atol=1e-15)


def test_nested_call_equals_loop():
    W_xh, W_hh, b = rnn.init_rnn_weights(2, 3, seed=4)
    xs = np.random.default_rng(0).normal(size=(3, 2))
    h0 = np.zeros(3)
    f = lambda h, x: rnn.rnn_step(h, x, W_xh, W_hh, b)
    assert np.allclose(f(f(f(h0, xs[0]), xs[1]), xs[2]), rnn.rnn_forward(xs, h0, W_xh, W_hh, b)[-1],
                       atol=1e-15)
    assert rnn.nested_expression(3) == "h_3 = f_W(f_W(f_W(h_0, x_1), x_2), x_3) = g^(3)(x_1, x_2, x_3)"


def test_rnn_forward_shape_errors():
    W_xh, W_hh, b = rnn.init_rnn_weights(2, 3)
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        rnn.rnn_forward(np.zeros((5, 3)), np.zeros(3), W_xh, W_hh, b)
    with pytest.raises(ValueError, match="h0"):
        rnn.rnn_forward(np.zeros((5, 2)), np.zeros(4), W_xh, W_hh, b)
    with pytest.raises(ValueError, match="W_hh"):
        rnn.rnn_forward(np.zeros((5, 2)), np.zeros(3), W_xh, np.zeros((3, 2)), b)


def test_numpy_rnn_equals_keras_simple_rnn():
    W_xh, W_hh, b = rnn.init_rnn_weights(2, 5, scale=1.0, seed=7)
    xs = np.random.default_rng(1).normal(size=(30, 2))
    ours = rnn.rnn_forward(xs, np.zeros(5), W_xh, W_hh, b)
    keras64 = np.asarray(rnn.keras_simple_rnn(W_xh, W_hh, b)(xs[None]))[0]
    assert np.abs(ours - keras64).max() <= 1e-12
    keras32 = np.asarray(rnn.keras_simple_rnn(W_xh, W_hh, b, dtype="float32")(xs[None].astype("float32")))[0]
    assert np.abs(ours - keras32).max() <= 1e-5          # float32 rounding only
    # return_state: the final state is the last row; masking: padding does not change it
    seq, state = rnn.keras_simple_rnn(W_xh, W_hh, b, return_state=True)(xs[None])
    assert np.allclose(np.asarray(state)[0], ours[-1], atol=1e-12)
    short = rnn.rnn_forward(xs[:12], np.zeros(5), W_xh, W_hh, b)
    padded = np.full((1, 30, 2), rnn.PAD_VALUE)
    padded[0, :12] = xs[:12]
    last = np.asarray(rnn.keras_simple_rnn(W_xh, W_hh, b, return_sequences=False, masking=True)(padded))[0]
    assert np.allclose(last, short[-1], atol=1e-12)


def test_bptt_matches_central_differences():
    rng = np.random.default_rng(5)
    W_xh, W_hh, b = rnn.init_rnn_weights(3, 4, scale=1.0, seed=5)
    xs, h0, ys = rng.normal(size=(7, 3)), rng.normal(0, 0.5, 4), rng.normal(size=(7, 4))
    params = dict(W_xh=W_xh, W_hh=W_hh, b=b, h0=h0)

    def loss():   # a loss written independently of gradient_check: mean-free weighted squares
        hs = rnn.rnn_forward(xs, params["h0"], params["W_xh"], params["W_hh"], params["b"])
        return np.sum(np.arange(1, 8)[:, None] * (hs - ys) ** 2)

    hs = rnn.rnn_forward(xs, h0, W_xh, W_hh, b)
    grads = rnn.rnn_bptt(xs, h0, W_xh, W_hh, b, 2 * np.arange(1, 8)[:, None] * (hs - ys))
    for name, p in params.items():
        num = rnn.numerical_gradient(loss, p)
        assert rnn.relative_error(grads[name], num) <= 1e-6, name
    assert max(rnn.gradient_check().values()) <= 1e-6
    # the check can fail: a BPTT that forgets the recurrent path is far off
    truncated = rnn.rnn_bptt(xs, h0, W_xh, np.zeros_like(W_hh), b, hs - ys)["W_xh"]
    assert rnn.relative_error(truncated, grads["W_xh"]) > 1e-2


def test_vanishing_gradients_shrink_with_small_recurrent_weights():
    norms = rnn.gradient_norms_over_time(T=40, scales=(0.5,))[0.5]
    assert norms.shape == (40,)
    assert norms[0] < 1e-6 * norms[-1]


def test_bptt_and_numerical_gradient_errors():
    W_xh, W_hh, b = rnn.init_rnn_weights(1, 2)
    with pytest.raises(ValueError, match="dL_dhs"):
        rnn.rnn_bptt(np.zeros((4, 1)), np.zeros(2), W_xh, W_hh, b, np.zeros((3, 2)))
    with pytest.raises(TypeError, match="float64"):
        rnn.numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


# ---------------------------------------------------------- hand-built RNN

def test_handbuilt_table_hand_computed():
    # h1 = relu(x + p), h2 = relu(x + p - 1), parity = h1 - 2 h2, by hand for 1011
    assert rnn.handbuilt_parity_table("1011") == [
        (1, 1, 1, 0, 1), (2, 0, 1, 0, 1), (3, 1, 2, 1, 0), (4, 1, 1, 0, 1)]


@pytest.mark.parametrize("length", [1, 2, 17, 1000, 10000])
def test_handbuilt_keras_rnn_is_exact(length):
    model = rnn.handbuilt_parity_rnn()
    assert model.count_params() == 2 + 4 + 2 + 2 + 1
    bits = rnn.random_bits(3, length, seed=length)
    out = rnn.run_sequence_model(model, bits[..., None].astype("float32"))[..., 0]
    assert out.shape == (3, length)
    assert np.array_equal(out, np.cumsum(bits, axis=1) % 2)   # exact, not approximate


def test_parity_accuracy_and_predict_parity_on_an_exact_model():
    model = rnn.handbuilt_parity_rnn()
    acc = rnn.parity_accuracy(model, 50, n=64)
    assert acc == dict(final=1.0, per_step=1.0)
    assert rnn.predict_parity(model, "0110").tolist() == [0, 1, 0, 0]
    with pytest.raises(ValueError, match="batch, T, 1"):
        rnn.run_sequence_model(model, np.zeros((3, 4)))


# ------------------------------------------------------- Keras builders

def test_shape_models_have_the_lecture_shapes():
    rows = {r["kind"]: r for r in rnn.shape_demo(vocab=50)}
    assert rows["one_to_one"]["output"] == (1, 10)
    assert rows["one_to_many"]["inputs"] == [(1, 32)] and rows["one_to_many"]["output"] == (1, 8, 50)
    assert rows["many_to_one"]["output"] == (1, 3)
    assert rows["many_to_many"]["inputs"] == [(1, 13), (1, 16)]
    assert rows["many_to_many"]["output"] == (1, 16, 50)
    # many-to-one takes reviews of any length with the same weights
    m = rnn.build_shape_model("many_to_one")
    assert m(np.ones((2, 4), "int32")).shape == m(np.ones((2, 9), "int32")).shape == (2, 3)
    with pytest.raises(ValueError, match="unknown kind"):
        rnn.build_shape_model("two_to_one")


def test_mlp_rejects_other_lengths_clearly():
    mlp = rnn.build_parity_mlp(20, hidden=4)
    p = rnn.predict_fixed_length(mlp, "1" * 20)
    assert 0.0 <= p <= 1.0
    with pytest.raises(ValueError) as info:
        rnn.predict_fixed_length(mlp, "1" * 21)
    assert "exactly 20 inputs" in str(info.value) and "21 bits" in str(info.value)
    assert "changes the answer" in str(info.value)


def test_gru_builder_and_short_training_run():
    model, info = rnn.train_parity_gru(units=4, n=64, epochs=2, batch_size=32)
    assert len(info["loss"]) == 2 and np.isfinite(info["loss"]).all()
    assert model.output_shape == (None, None, 1)
    H = rnn.gru_hidden_states(model, rnn.random_bits(3, 9))
    assert H.shape == (3, 9, 4)
    assert rnn.gru_hidden_states(model, "101").shape == (1, 3, 4)


def test_linear_probe_and_first_pc_on_known_data():
    rng = np.random.default_rng(0)
    direction = np.array([3.0, 4.0, 0.0]) / 5
    H = rng.normal(0, 0.05, (400, 3)) + rng.normal(0, 2.0, (400, 1)) * direction
    comps, mean, ratios = rnn.principal_components(H, k=2)
    assert comps.shape == (2, 3) and abs(comps[0] @ direction) > 0.999 and ratios[0] > 0.99
    y = (H @ direction > 0).astype(int)
    z = (H - mean) @ comps[0]
    assert rnn.threshold_accuracy(z[:200], y[:200], z[200:], y[200:]) > 0.95
    assert rnn.threshold_accuracy(-z[:200], y[:200], -z[200:], y[200:]) > 0.95   # either sign
    probe = rnn.linear_probe(H[:200], y[:200], H[200:], y[200:])
    assert probe["test_acc"] > 0.95 and probe["w"].shape == (3,)


def test_drawings_validate_and_return_axes():
    import matplotlib
    matplotlib.use("Agg")
    ax = rnn.draw_unrolled(3, upto=2, xs=[1, 0, 1], hs=np.ones((3, 2)))
    assert ax.get_title() == "unrolled: computed up to t = 2"
    assert rnn.draw_rnn_cycle().get_title().startswith("an RNN")
    with pytest.raises(ValueError, match="between 1 and 12, got 40"):
        rnn.draw_unrolled(40)
    with pytest.raises(ValueError, match="upto"):
        rnn.draw_unrolled(3, upto=5)


# ------------------------------------------------------------- widgets

def test_parity_explorer_reacts_to_typed_strings():
    from helpers.widgets.rnn import parity_explorer
    w = parity_explorer(model=rnn.handbuilt_parity_rnn(), bits="1000010101")
    text, report = w.children
    assert "4 ones" in report.value and "answer is <b>No</b>" in report.value
    assert "The model says <b>No</b>" in report.value and "right" in report.value
    text.value = "100011000000000000"
    assert "3 ones" in report.value and "answer is <b>Yes</b>" in report.value
    assert "The model says <b>Yes</b>" in report.value
    text.value = "10x1"
    assert "Cannot use this input" in report.value and "&#x27;x&#x27;" in report.value
    text.value = ""
    assert "empty" in report.value


def test_timestep_explorer_reacts_to_slider_and_bits():
    from helpers.widgets.rnn import timestep_explorer
    w = timestep_explorer("1011")
    text, slider, report, image = w.children
    assert slider.max == 4 and slider.value == 4
    assert "h_4 = (1, 0)" in report.value and len(image.value) > 1000
    before = image.value
    slider.value = 3
    assert "h_3 = f_W(f_W(f_W(h_0, x_1), x_2), x_3)" in report.value
    assert "h_3 = (2, 1), read-out y_3 = 0" in report.value     # hand computed (see the table test)
    assert image.value != before
    text.value = "11"
    assert slider.max == 2 and slider.value == 2
    text.value = "1" * 13
    assert "at most 12 steps" in report.value and image.value == b""
    text.value = "1021"
    assert "Cannot use this input" in report.value


# ------------------------------------------- a feedforward net and parity (notebook 05)

@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12])
def test_handbuilt_mlp_computes_parity_of_every_n_bit_string(n):
    model = rnn.handbuilt_parity_mlp(n)
    every = np.array(list(itertools.product((0, 1), repeat=n)), dtype="float32")   # all 2**n strings
    out = np.asarray(model(every))[:, 0]
    truth = np.array([sum(s) % 2 for s in itertools.product((0, 1), repeat=n)])
    assert np.array_equal(out, truth)                    # exactly 0 or 1, not approximately
    # n hidden ReLUs reading all n bits (n*n + n), a read-out of n weights + 1 bias, counted by hand
    assert model.count_params() == n * n + n + n + 1


def test_handbuilt_mlp_weights_by_hand_for_three_bits():
    # s = x1 + x2 + x3; parity(s) = relu(s) - 2 relu(s - 1) + 2 relu(s - 2) on s = 0..3
    w = rnn.parity_mlp_weights(3)
    assert w["W1"].tolist() == [[1, 1, 1]] * 3 and w["b1"].tolist() == [0, -1, -2]
    assert w["W2"][:, 0].tolist() == [1, -2, 2] and w["b2"].tolist() == [0]
    with pytest.raises(ValueError, match="n_bits must be at least 1, got 0"):
        rnn.parity_mlp_weights(0)


def test_all_bit_strings_is_every_string_once():
    for n in (1, 4, 7):
        assert rnn.all_bit_strings(n).tolist() == [list(s) for s in itertools.product((0, 1), repeat=n)]
    with pytest.raises(ValueError, match="at most n = 24"):
        rnn.all_bit_strings(30)


def test_fixed_length_mlp_pads_shorter_strings_and_refuses_longer_ones():
    mlp = rnn.handbuilt_parity_mlp(20)
    for s in ("1", "11", "10110", "1" * 19, "1" * 20):
        assert rnn.predict_fixed_length(mlp, s, pad_with_zeros=True) == s.count("1") % 2
    with pytest.raises(ValueError) as info:
        rnn.predict_fixed_length(mlp, "101")
    assert "3 bits" in str(info.value) and "pad_with_zeros=True" in str(info.value)
    with pytest.raises(ValueError) as info:
        rnn.predict_fixed_length(mlp, "1" * 21, pad_with_zeros=True)
    assert "exactly 20 inputs" in str(info.value) and "cannot be fed in" in str(info.value)


def test_five_shapes_include_the_synced_parity_model():
    rows = rnn.shape_demo()
    assert [r["kind"] for r in rows] == ["one_to_one", "one_to_many", "many_to_one", "many_to_many",
                                         "many_to_many_synced"]
    synced = rows[-1]
    assert synced["inputs"] == [(1, 18, 1)] and synced["output"] == (1, 18, 1)   # one output per bit
    # GRU(16) on 1 input, Keras's reset_after form: 3 gates x (16 x (1 + 16) weights + 2 x 16 biases),
    # then Dense(1): 16 + 1; counted by hand, and the same as the parity GRU of section 5
    assert synced["params"] == 3 * (16 * 17 + 2 * 16) + 17 == rnn.build_parity_gru(16).count_params()


# --------------------------------------- vanishing, exploding, clipping (notebook 06)

def test_linear_bptt_matches_central_differences_and_matrix_powers():
    rng = np.random.default_rng(2)
    W_xh, W_hh, b = rnn.init_rnn_weights(2, 3, scale=1.3, seed=2)
    xs, h0, ys = rng.normal(size=(6, 2)), rng.normal(size=3), rng.normal(size=(6, 3))
    params = dict(W_xh=W_xh, W_hh=W_hh, b=b, h0=h0)

    def loss():
        hs = rnn.rnn_forward(xs, params["h0"], params["W_xh"], params["W_hh"], params["b"],
                             activation=lambda a: a)
        return 0.5 * np.sum((hs - ys) ** 2)

    hs = rnn.rnn_forward(xs, h0, W_xh, W_hh, b, activation=rnn.linear)
    grads = rnn.rnn_bptt(xs, h0, W_xh, W_hh, b, hs - ys, activation="linear")
    for name, p in params.items():
        assert rnn.relative_error(grads[name], rnn.numerical_gradient(loss, p)) <= 1e-7, name
    # a loss on h_T only: in a linear RNN dL/dh_t = g (W_hh^T)^(T-t), a matrix power
    g = rng.normal(size=3)
    dL = np.zeros((6, 3))
    dL[-1] = g
    dh = rnn.rnn_bptt(xs, h0, W_xh, W_hh, b, dL, activation="linear")["dh"]
    for t in range(6):
        assert np.allclose(dh[t], g @ np.linalg.matrix_power(W_hh.T, 5 - t), atol=1e-12)
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn.rnn_bptt(xs, h0, W_xh, W_hh, b, dL, activation=np.tanh)


def test_tanh_gradients_vanish_at_every_scale_and_linear_ones_explode():
    tanh = rnn.gradient_norms_over_time(T=50, scales=(0.5, 1.0, 2.0))
    for scale in (0.5, 1.0, 2.0):       # saturation shrinks the gradient even at scale 1 and 2
        assert tanh[scale][0] < 1e-2 * tanh[scale][-1], scale
    lin = rnn.gradient_norms_over_time(T=50, scales=(0.5, 2.0), activation="linear")
    assert lin[0.5][0] < 1e-6 * lin[0.5][-1]
    assert lin[2.0][0] > 1e6 * lin[2.0][-1]
    sat = rnn.saturation(T=50, scales=(0.5, 2.0, 50.0))
    # the larger the recurrent weights, the flatter the tanh: at scale 50 nearly every unit is saturated
    assert sat[0.5]["mean_slope"] > sat[2.0]["mean_slope"] > sat[50.0]["mean_slope"]
    assert sat[50.0]["frac_saturated"] > 0.9 and sat[0.5]["frac_saturated"] < 0.1
    assert abs(sat[2.0]["radius"] - 2.0) < 0.5


def test_clip_by_global_norm_hand_computed():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}          # global norm sqrt(9 + 16) = 5
    clipped, norm = rnn.clip_by_global_norm(grads, 1.0)
    assert norm == 5.0
    assert clipped["a"].tolist() == pytest.approx([0.6, 0.0]) and clipped["b"].shape == (1, 1) and clipped["b"][0, 0] == pytest.approx(0.8)
    same, _ = rnn.clip_by_global_norm(grads, 10.0)                       # below the limit: unchanged
    assert same["a"].tolist() == [3.0, 0.0] and same["b"].tolist() == [[4.0]]
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="max_norm"):
            rnn.clip_by_global_norm(grads, bad)
    with pytest.raises(ValueError, match="inf or NaN"):
        rnn.clip_by_global_norm({"a": np.array([np.inf, 1.0])}, 1.0)


def test_clip_by_global_norm_equals_tensorflows():
    import tensorflow as tf
    rng = np.random.default_rng(0)
    grads = {"x": rng.normal(size=(3, 4)) * 100, "y": rng.normal(size=5)}
    ours, norm = rnn.clip_by_global_norm(grads, 2.5)
    theirs, tf_norm = tf.clip_by_global_norm([tf.constant(grads["x"]), tf.constant(grads["y"])], 2.5)
    assert norm == pytest.approx(float(tf_norm), rel=1e-12)
    assert np.allclose(ours["x"], theirs[0].numpy()) and np.allclose(ours["y"], theirs[1].numpy())


def test_last_state_loss_gradient_and_the_clipping_example():
    params, xs, y = rnn.exploding_example()
    for act, f in (("linear", lambda a: a), ("tanh", np.tanh)):
        def loss():
            h = rnn.rnn_forward(xs, np.zeros(8), params["W_xh"], params["W_hh"], params["b"], activation=f)[-1]
            return 0.5 * np.sum((h - y) ** 2)
        L, g = rnn.last_state_loss(params, xs, y, act)
        assert L == pytest.approx(loss())
        assert rnn.relative_error(g["W_hh"], rnn.numerical_gradient(loss, params["W_hh"])) <= 1e-6, act
    # the notebook's claim: one raw step of size 0.1 blows the loss up, the clipped step lowers it
    L0, g = rnn.last_state_loss(params, xs, y, "linear")
    clipped, norm = rnn.clip_by_global_norm(g, 1.0)
    assert norm > 1e3
    raw = rnn.last_state_loss({k: params[k] - 0.1 * g[k] for k in params}, xs, y, "linear")[0]
    small = rnn.last_state_loss({k: params[k] - 0.1 * clipped[k] for k in params}, xs, y, "linear")[0]
    assert raw > 1e6 * L0 and small < L0


def test_plot_running_parity_ticks_only_whole_bit_counts():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = rnn.plot_running_parity("100011000000000000")
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    plt.close(ax.figure)
    assert len(ticks) >= 3 and all(float(t).is_integer() for t in ticks), ticks
