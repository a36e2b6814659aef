"""Reference solutions, notebook 06 (unrolling). Not imported by the notebooks."""


def rnn_params():
    """Exercise 6.1: W_xh (3 x 8) + W_hh (8 x 8) + b (8), whatever the length."""
    n_in, units = 3, 8
    return n_in * units + units * units + units


def h2_by_hand():
    """Exercise 6.2: two steps of h_t = tanh(x_t W_xh + h_(t-1) W_hh + b)."""
    import math

    W_xh, W_hh, b, h0 = 0.5, -1.0, 0.1, 0.0
    h1 = math.tanh(1.0 * W_xh + h0 * W_hh + b)
    return math.tanh(2.0 * W_xh + h1 * W_hh + b)


def threshold_parity():
    """Exercise 6.3: h1 = OR(p, x), h2 = AND(p, x) with step units; parity p = h1 - h2 = XOR.

    a1 = x + p - 0.5 > 0 iff x + p >= 1;  a2 = x + p - 1.5 > 0 iff x + p >= 2;
    p_(t-1) = h1 - h2 of the previous state, so W_hh rows are (1, 1) and (-1, -1).
    """
    import numpy as np

    return dict(W_xh=np.array([[1.0, 1.0]]), W_hh=np.array([[1.0, 1.0], [-1.0, -1.0]]),
                b=np.array([-0.5, -1.5]), W_hy=np.array([1.0, -1.0]), b_y=0.0)
