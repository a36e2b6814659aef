"""The recurrence from scratch (numpy), a hand-built RNN that computes parity, and Keras's SimpleRNN.

Conventions (the same as ``keras.layers.SimpleRNN``, so weights can be copied
between the two): row vectors, ``a_t = x_t @ W_xh + h_{t-1} @ W_hh + b`` and
``h_t = activation(a_t)``, with ``W_xh`` of shape (n_in, units), ``W_hh`` of
shape (units, units) and ``b`` of shape (units,).

Used by notebook 06 and its time-step widget (``helpers.widgets.rnn``).
"""
from __future__ import annotations

import numpy as np

import keras

from ..inputs import check_int
from .parity import PAD_VALUE, parse_bits


def rnn_step(h_prev, x_t, W_xh, W_hh, b, activation=np.tanh):
    """One application of f_W: h_t = activation(x_t @ W_xh + h_prev @ W_hh + b).

    Args: h_prev (units,), x_t (n_in,), W_xh (n_in, units), W_hh (units, units), b (units,).
    Returns: (units,) float64. Used by notebook 06 (the nested call).
    """
    x_t, h_prev = np.atleast_1d(np.asarray(x_t, float)), np.asarray(h_prev, float)
    _check_rnn_args(x_t[None], h_prev, W_xh, W_hh, b)
    return activation(np.asarray(x_t, float) @ W_xh + np.asarray(h_prev, float) @ W_hh + b)


def _check_rnn_args(xs, h0, W_xh, W_hh, b):
    xs = np.asarray(xs, dtype=np.float64)
    W_xh, W_hh = np.asarray(W_xh, np.float64), np.asarray(W_hh, np.float64)
    b, h0 = np.asarray(b, np.float64), np.asarray(h0, np.float64)
    if W_xh.ndim != 2:
        raise ValueError(f"W_xh must be 2-D (n_in, units), got shape {W_xh.shape}")
    n_in, units = W_xh.shape
    if xs.ndim == 1 and n_in == 1:
        xs = xs[:, None]
    if xs.ndim != 2 or xs.shape[1] != n_in:
        raise ValueError(f"xs must have shape (T, n_in) = (T, {n_in}) to match W_xh {W_xh.shape}, "
                         f"got {xs.shape}")
    if len(xs) == 0:
        raise ValueError("xs is empty: it has no time steps (T = 0)")
    if not np.all(np.isfinite(xs)):
        raise ValueError("xs contains NaN or infinite values")
    for name, arr, shape in (("W_hh", W_hh, (units, units)), ("b", b, (units,)), ("h0", h0, (units,))):
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (units = {units} from W_xh), got {arr.shape}")
    return xs, h0, W_xh, W_hh, b


def rnn_forward(xs, h0, W_xh, W_hh, b, activation=np.tanh):
    """Run the recurrence over a whole sequence: the unrolled loop.

    h_t = activation(x_t @ W_xh + h_{t-1} @ W_hh + b) for t = 1..T, the same
    weights at every step (Keras SimpleRNN's convention).
    Args: xs (T, n_in) (or (T,) when n_in = 1), h0 (units,), W_xh (n_in, units),
        W_hh (units, units), b (units,); activation: elementwise numpy function.
    Returns: (T, units) float64, the hidden states h_1..h_T.
    Used by notebook 06 and the time-step widget.
    """
    xs, h, W_xh, W_hh, b = _check_rnn_args(xs, h0, W_xh, W_hh, b)
    hs = np.empty((len(xs), len(b)))
    for t, x_t in enumerate(xs):
        h = activation(x_t @ W_xh + h @ W_hh + b)
        hs[t] = h
    return hs


def nested_expression(t: int) -> str:
    """The unrolled formula for h_t as text, e.g. t=3 ->
    "h_3 = f_W(f_W(f_W(h_0, x_1), x_2), x_3) = g^(3)(x_1, x_2, x_3)".

    Used by notebook 06 and its time-step widget.
    """
    t = check_int(t, "t", 0)
    if t == 0:
        return "h_0 (the initial state)"
    expr = "h_0"
    for s in range(1, t + 1):
        expr = f"f_W({expr}, x_{s})"
    xs = ", ".join(f"x_{s}" for s in range(1, t + 1)) if t <= 4 else f"x_1, ..., x_{t}"
    return f"h_{t} = {expr} = g^({t})({xs})"


def init_rnn_weights(n_in: int, units: int, scale: float = 0.5, seed: int = 0):
    """Random float64 weights (W_xh (n_in, units), W_hh (units, units), b (units,)).

    Entries are normal with std scale / sqrt(fan-in). Used by notebook 06.
    """
    n_in, units = check_int(n_in, "n_in", 1), check_int(units, "units", 1)
    rng = np.random.default_rng(seed)
    return (rng.normal(0, scale / np.sqrt(n_in), (n_in, units)),
            rng.normal(0, scale / np.sqrt(units), (units, units)),
            rng.normal(0, 0.1, units))


def linear(a):
    """The identity, for a linear RNN: rnn_forward(..., activation=linear)."""
    return np.asarray(a, dtype=float)

def relu(a):
    """Elementwise max(a, 0) (numpy), for rnn_forward(..., activation=relu)."""
    return np.maximum(a, 0.0)


def handbuilt_parity_weights():
    """Hand-set weights of a 2-unit ReLU RNN whose read-out is the running parity.

    With p = p_{t-1} the previous parity and x = x_t the new bit,
        h1 = relu(x + p),   h2 = relu(x + p - 1),   p_t = h1 - 2 h2 = XOR(p, x),
    and p_{t-1} = h1_{t-1} - 2 h2_{t-1} is itself linear in the previous state,
    so a_t = x W_xh + h_{t-1} W_hh + b with
        W_xh = [[1, 1]], W_hh = [[1, 1], [-2, -2]], b = [0, -1],
    and the read-out y_t = h_t W_hy + b_y with W_hy = [[1], [-2]], b_y = [0].
    Start from h_0 = (0, 0) (parity 0). Every value is a small integer, so
    float32 is exact at any length.
    Returns: dict W_xh (1, 2), W_hh (2, 2), b (2,), W_hy (2, 1), b_y (1,), float64.
    Used by notebook 06, the time-step widget and handbuilt_parity_rnn.
    """
    return dict(W_xh=np.array([[1.0, 1.0]]), W_hh=np.array([[1.0, 1.0], [-2.0, -2.0]]),
                b=np.array([0.0, -1.0]), W_hy=np.array([[1.0], [-2.0]]), b_y=np.array([0.0]))


def handbuilt_parity_rnn() -> keras.Model:
    """Keras model: bits (batch, T, 1) -> running parity (batch, T, 1), exact.

    SimpleRNN(2, activation="relu", return_sequences=True) + Dense(1) (linear),
    weights from handbuilt_parity_weights(); nothing is trained.
    Used by notebook 06.
    """
    w = handbuilt_parity_weights()
    bits = keras.Input((None, 1), name="bits")
    rnn = keras.layers.SimpleRNN(2, activation="relu", return_sequences=True, name="rnn")
    readout = keras.layers.Dense(1, name="parity")
    model = keras.Model(bits, readout(rnn(bits)), name="handbuilt_parity_rnn")
    rnn.set_weights([w["W_xh"], w["W_hh"], w["b"]])
    readout.set_weights([w["W_hy"], w["b_y"]])
    return model


def handbuilt_parity_table(bits):
    """Step-by-step trace of the hand-built RNN (numpy) on one bit string.

    Returns: list of rows (t, x_t, h1_t, h2_t, parity_t) for t = 1..T, with
    integer values. Used by notebook 06 (the table of h_t per bit) and the
    time-step widget.
    """
    x = parse_bits(bits)
    w = handbuilt_parity_weights()
    hs = rnn_forward(x, np.zeros(2), w["W_xh"], w["W_hh"], w["b"], activation=relu)
    ys = hs @ w["W_hy"][:, 0] + w["b_y"][0]
    return [(t + 1, int(x[t]), int(hs[t, 0]), int(hs[t, 1]), int(ys[t])) for t in range(len(x))]

def keras_simple_rnn(W_xh, W_hh, b, activation: str = "tanh", return_sequences: bool = True,
                     return_state: bool = False, masking: bool = False,
                     dtype: str = "float64") -> keras.Model:
    """A keras.layers.SimpleRNN model holding the given weights.

    Input (batch, T, n_in) in `dtype` (with masking=True a Masking(PAD_VALUE)
    layer comes first); output as SimpleRNN gives it: (batch, T, units) with
    return_sequences, else (batch, units); with return_state a list
    [output, final state (batch, units)]. dtype="float64" makes the
    comparison with rnn_forward exact up to rounding (~1e-16).
    Used by notebook 06.
    """
    _check_rnn_args(np.zeros((1, np.shape(W_xh)[0] if np.ndim(W_xh) == 2 else 1)), np.zeros(np.shape(b)[-1:] or (1,)),
                    W_xh, W_hh, b)
    try:
        keras.activations.get(activation)
    except ValueError:
        raise ValueError(f"activation={activation!r} is not a Keras activation; use e.g. 'tanh', 'relu' or 'linear'") from None
    W_xh = np.asarray(W_xh)
    inp = keras.Input((None, W_xh.shape[0]), dtype=dtype, name="xs")
    h = keras.layers.Masking(PAD_VALUE, dtype=dtype)(inp) if masking else inp
    layer = keras.layers.SimpleRNN(W_xh.shape[1], activation=activation, return_sequences=return_sequences,
                                   return_state=return_state, dtype=dtype, name="simple_rnn")
    out = layer(h)
    model = keras.Model(inp, out)
    layer.set_weights([W_xh, np.asarray(W_hh), np.asarray(b)])
    return model
