"""Backpropagation through time for the numpy RNN of :mod:`.cell`, checked and measured.

The gradient check against central differences, vanishing and exploding
gradients over time, tanh saturation, and clipping by the global norm.
Used by notebook 06.
"""
from __future__ import annotations

import numpy as np

from ..inputs import check_int, check_number
from .cell import _check_rnn_args, init_rnn_weights, linear, rnn_forward


# activation name -> (function, derivative written in terms of the output h = f(a))
_BPTT_ACTIVATIONS = {
    "tanh": (np.tanh, lambda h: 1.0 - h ** 2),       # tanh'(a) = 1 - tanh(a)^2
    "linear": (linear, np.ones_like),
}


def _check_activation_name(activation):
    if activation not in _BPTT_ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_BPTT_ACTIVATIONS)} (a name, not a "
                         f"function), got {activation!r}")
    return _BPTT_ACTIVATIONS[activation]


def rnn_bptt(xs, h0, W_xh, W_hh, b, dL_dhs, activation: str = "tanh"):
    """Backpropagation through time for a tanh (or linear) RNN.

    Args: the rnn_forward arguments, and dL_dhs (T, units): the gradient of
        the loss with respect to each h_t *directly* (e.g. h_t - y_t for a
        squared error on every step; zeros except the last row for a loss on
        h_T only); activation: "tanh" (rnn_forward's default) or "linear"
        (h_t = a_t, no squashing: the regime where gradients can explode).
    Returns: dict with "W_xh", "W_hh", "b", "h0" (gradients, same shapes as
        the parameters) and "dh" (T, units): the total gradient dL/dh_t,
        direct plus what flows back from later steps.
    Used by notebook 06 (gradient check, vanishing and exploding gradients,
    clipping).
    """
    f, df = _check_activation_name(activation)
    xs, h0, W_xh, W_hh, b = _check_rnn_args(xs, h0, W_xh, W_hh, b)
    hs = rnn_forward(xs, h0, W_xh, W_hh, b, activation=f)
    dL_dhs = np.asarray(dL_dhs, float)
    if dL_dhs.shape != hs.shape:
        raise ValueError(f"dL_dhs must have shape {hs.shape} (T, units), got {dL_dhs.shape}")
    grads = {"W_xh": np.zeros_like(W_xh), "W_hh": np.zeros_like(W_hh), "b": np.zeros_like(b)}
    dh_total = np.zeros_like(hs)
    carry = np.zeros_like(b)                      # dL/dh_t arriving from step t+1
    for t in range(len(xs) - 1, -1, -1):
        dh = dL_dhs[t] + carry
        dh_total[t] = dh
        da = dh * df(hs[t])
        h_prev = hs[t - 1] if t > 0 else h0
        grads["W_xh"] += np.outer(xs[t], da)
        grads["W_hh"] += np.outer(h_prev, da)
        grads["b"] += da
        carry = da @ W_hh.T
    grads["h0"] = carry
    grads["dh"] = dh_total
    return grads


def numerical_gradient(f, x, eps: float = 1e-5):
    """Central-difference gradient of a scalar function f at the float64 array x.

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each entry i; x is
    modified in place during the loop and restored. Returns: array like x.
    Used by notebook 06 and tests (the reference for rnn_bptt).
    """
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments returning the loss (it reads x), got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numerical_gradient needs a float64 numpy array (float32 is too coarse)")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """||a - b|| / max(||a|| + ||b||, 1e-300): 0 for equal arrays, 1 for opposite ones."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape to compare them, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def gradient_check(T: int = 6, n_in: int = 2, units: int = 4, seed: int = 0, eps: float = 1e-5):
    """Compare rnn_bptt with central differences on a random tanh RNN.

    Loss L = 0.5 * sum_t ||h_t - y_t||^2 with random targets y_t.
    Returns: dict parameter name -> relative_error(bptt, numerical), for
    W_xh, W_hh, b and h0. Used by notebook 06 (and tests).
    """
    rng = np.random.default_rng(seed)
    W_xh, W_hh, b = init_rnn_weights(n_in, units, scale=1.0, seed=seed)
    xs, h0 = rng.normal(size=(T, n_in)), rng.normal(0, 0.5, units)
    ys = rng.uniform(-1, 1, (T, units))
    params = {"W_xh": W_xh, "W_hh": W_hh, "b": b, "h0": h0}

    def loss():
        hs = rnn_forward(xs, params["h0"], params["W_xh"], params["W_hh"], params["b"])
        return 0.5 * np.sum((hs - ys) ** 2)

    hs = rnn_forward(xs, h0, W_xh, W_hh, b)
    grads = rnn_bptt(xs, h0, W_xh, W_hh, b, hs - ys)
    return {k: relative_error(grads[k], numerical_gradient(loss, v, eps)) for k, v in params.items()}


def gradient_norms_over_time(T: int = 50, units: int = 16, scales=(0.5, 1.0, 2.0), seed: int = 0,
                             activation: str = "tanh"):
    """How much of a loss on h_T reaches earlier steps: ||dL/dh_t|| for t = 1..T.

    For each recurrent-weight scale (init_rnn_weights: W_hh entries with std
    scale / sqrt(units), so its spectral radius is about `scale`), a random
    RNN is run on T standard-normal inputs and the loss L = sum(h_T) is
    back-propagated with rnn_bptt. With "tanh" each step back multiplies by
    diag(1 - h_t^2) W_hh^T: saturated units (|h| near 1) shrink the gradient
    even when W_hh alone would not. With "linear" it is W_hh^T alone, so the
    norm shrinks or grows roughly like scale^(T - t).
    Returns: dict scale -> (T,) norms. Used by notebook 06 (vanishing and
    exploding gradients).
    """
    _check_activation_name(activation)
    T, units = check_int(T, "T", 1), check_int(units, "units", 1)
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(T, 1))
    out = {}
    for s in scales:
        W_xh, W_hh, b = init_rnn_weights(1, units, scale=s, seed=seed)
        dL = np.zeros((T, units))
        dL[-1] = 1.0
        out[s] = np.linalg.norm(rnn_bptt(xs, np.zeros(units), W_xh, W_hh, b, dL, activation)["dh"],
                                axis=1)
    return out


def saturation(T: int = 50, units: int = 16, scales=(0.5, 1.0, 2.0), seed: int = 0):
    """How saturated the tanh units of gradient_norms_over_time's RNNs are.

    Same RNNs and inputs as gradient_norms_over_time(T, units, scales, seed).
    Returns: dict scale -> dict(mean_slope = mean of tanh'(a_t) = 1 - h_t^2
    over all steps and units (1 = linear, 0 = flat), frac_saturated =
    fraction of |h_t| > 0.9, radius = spectral radius of W_hh).
    Used by notebook 06 (why scales 1.0 and 2.0 vanish too).
    """
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(T, 1))
    out = {}
    for s in scales:
        W_xh, W_hh, b = init_rnn_weights(1, units, scale=s, seed=seed)
        hs = rnn_forward(xs, np.zeros(units), W_xh, W_hh, b)
        out[s] = dict(mean_slope=float((1 - hs ** 2).mean()), frac_saturated=float((np.abs(hs) > 0.9).mean()),
                      radius=float(np.abs(np.linalg.eigvals(W_hh)).max()))
    return out


def last_state_loss(params, xs, y, activation: str = "tanh"):
    """Loss L = 0.5 ||h_T - y||^2 on the last state of an RNN started at h_0 = 0, and its gradient.

    Args: params dict with W_xh (n_in, units), W_hh (units, units), b (units,);
        xs (T, n_in); y (units,); activation "tanh" or "linear".
    Returns: (L float, grads dict W_xh, W_hh, b) by rnn_bptt. Numbers too
        large for float64 come out as inf without a warning.
    Used by notebook 06 (gradient clipping).
    """
    f, _ = _check_activation_name(activation)
    h0 = np.zeros(np.shape(params["b"]))
    with np.errstate(over="ignore", invalid="ignore"):
        hs = rnn_forward(xs, h0, params["W_xh"], params["W_hh"], params["b"], activation=f)
        dL = np.zeros_like(hs)
        dL[-1] = hs[-1] - np.asarray(y, float)
        loss = float(0.5 * np.sum(dL[-1] ** 2))
        g = rnn_bptt(xs, h0, params["W_xh"], params["W_hh"], params["b"], dL, activation)
    return loss, {k: g[k] for k in ("W_xh", "W_hh", "b")}


def clip_by_global_norm(grads, max_norm: float):
    """Gradient clipping by the global norm (Pascanu et al. 2013; tf.clip_by_global_norm).

    The global norm is sqrt(sum of the squares of every entry of every
    gradient). If it exceeds max_norm, every gradient is multiplied by
    max_norm / norm (same direction, length max_norm); otherwise nothing
    changes. Keras optimizers do this with global_clipnorm=max_norm.
    Args: grads dict name -> array; max_norm > 0.
    Returns: (clipped dict (new arrays), the global norm before clipping).
    Used by notebook 06.
    """
    max_norm = check_number(max_norm, "max_norm", 0, strict_minimum=True)
    norm = float(np.sqrt(sum(np.sum(np.square(np.asarray(g, float))) for g in grads.values())))
    if not np.isfinite(norm):
        raise ValueError("the gradient contains inf or NaN, so it has no direction to keep; "
                         "clipping cannot repair it: lower the learning rate or clip earlier")
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: np.asarray(g, float) * factor for k, g in grads.items()}, norm


def exploding_example(T: int = 20, units: int = 8, scale: float = 1.1, seed: int = 0):
    """A linear RNN whose last-state loss has an exploding gradient (notebook 06, clipping).

    Returns: (params dict W_xh (1, units), W_hh, b from init_rnn_weights(1,
    units, scale, seed), xs (T, 1) standard-normal inputs, y (units,) a
    standard-normal target), to use with last_state_loss(..., "linear").
    """
    W_xh, W_hh, b = init_rnn_weights(1, units, scale=scale, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return dict(W_xh=W_xh, W_hh=W_hh, b=b), rng.normal(size=(T, 1)), rng.normal(size=units)
