"""Exercises of notebook 06 (unrolling an RNN): parameter count, two steps by hand, parity from threshold units."""
from __future__ import annotations

import itertools

import numpy as np

from ._core import Mistake, _as_float, _as_int, _NotAttempted, _reject_non_finite, _Wrong, exercise, reject_known


@exercise("6.1", "Count the parameters", "easy", solve="answer = rnn_params()")
def check_rnn_params(answer):
    """Exercise 6.1: the number of parameters of SimpleRNN(8 units) on 3 inputs per step.

    Args: answer: int.
    Returns: True / False / None (prints the verdict). Used by notebook 06.
    """
    import keras

    got = _as_int(answer)
    n_in, units = 3, 8
    layer = keras.layers.SimpleRNN(units)
    layer.build((None, None, n_in))
    truth = int(layer.count_params())
    if got == truth:
        return f"W_xh {n_in}x{units} + W_hh {units}x{units} + b {units} = {truth}, for any length."
    reject_known(got, [
        Mistake(lambda g: g in (truth * 10, truth * 10_000), f"{got} grows with the length.",
                "the weights are shared: the same W_xh, W_hh and b are used at every step, so the count does not "
                "depend on T."),
        Mistake(n_in * units + units * units, f"{got} forgets the bias.", f"b has one number per unit ({units})."),
        Mistake(n_in * units + units, f"{got} forgets the recurrent weights.",
                f"h_(t-1) enters through W_hh, a {units}x{units} matrix."),
        Mistake(n_in * units, f"{got} counts only W_xh.", f"add W_hh ({units}x{units}) and b ({units})."),
    ])
    raise _Wrong(f"{got} is not the parameter count.",
                 "h_t = tanh(x_t W_xh + h_(t-1) W_hh + b): count the numbers in W_xh, W_hh and b.")


H2_WEIGHTS = dict(W_xh=0.5, W_hh=-1.0, b=0.1, h0=0.0, xs=(1.0, 2.0))


@exercise("6.2", "Unroll two steps by hand", "medium", solve="answer = h2_by_hand()")
def check_h2_by_hand(answer):
    """Exercise 6.2: h_2 of a 1-unit tanh RNN with the weights in :data:`H2_WEIGHTS`.

    Args: answer: float.
    Returns: True / False / None (prints the verdict). Used by notebook 06.
    """
    from ..rnn import rnn_forward

    got = _as_float(answer)
    p = H2_WEIGHTS
    xs = np.array(p["xs"])[:, None]
    hs = rnn_forward(xs, np.array([p["h0"]]), np.array([[p["W_xh"]]]), np.array([[p["W_hh"]]]),
                     np.array([p["b"]]))
    truth = float(hs[-1, 0])
    x1, x2, wx, wh, b = p["xs"][0], p["xs"][1], p["W_xh"], p["W_hh"], p["b"]
    if abs(got - truth) < 1e-3:
        return f"h_1 = tanh(0.6) = {hs[0, 0]:.4f}, h_2 = tanh(1.0 - h_1 + 0.1) = {truth:.4f}."
    reject_known(got, [
        Mistake(float(hs[0, 0]), f"{got:.4f}: that is h_1.", "apply f_W once more, with x_2 and h_1."),
        Mistake(np.tanh(x2 * wx + wh * (x1 * wx + b) + b), f"{got:.4f}: you used h_1 without the tanh.",
                "h_1 = tanh(x_1 W_xh + h_0 W_hh + b) is itself squashed."),
        Mistake(np.tanh(x2 * wx + b), f"{got:.4f}: you left out the recurrent term.",
                "h_2 depends on h_1 through W_hh: + h_1 * W_hh."),
        Mistake(np.tanh(x2 * wx + wh * np.tanh(x1 * wx)), f"{got:.4f}: you forgot the bias b.",
                "add b = 0.1 at both steps."),
        Mistake(x2 * wx + wh * (x1 * wx + b) + b, f"{got:.4f}: no tanh at all.", "h_t = tanh(...), at both steps."),
        Mistake(np.tanh(x2 * wh + np.tanh(x1 * wx + b) * wx + b), f"{got:.4f}: you swapped W_xh and W_hh.",
                "the input x_t is multiplied by W_xh, the previous state by W_hh."),
    ], same=lambda a, b: abs(a - b) < 1e-3)
    raise _Wrong(f"{got:.4f} is not h_2.",
                 "h_1 = tanh(1 * 0.5 + 0 * (-1.0) + 0.1); h_2 = tanh(2 * 0.5 + h_1 * (-1.0) + 0.1).")


def _threshold(z):
    return (np.asarray(z) > 0).astype(np.float64)


@exercise("6.3", "A parity RNN with threshold units", "harder", solve="answer = threshold_parity()")
def check_threshold_parity(answer):
    """Exercise 6.3: a threshold-unit RNN (hand-set weights) whose linear read-out is the running parity.

    h_t = step(x_t W_xh + h_(t-1) W_hh + b) with step(z) = 1 if z > 0 else 0,
    h_0 = 0, read-out y_t = h_t W_hy + b_y. Tested on every string of up to 8
    bits and on a random string of 1,000 bits (exact equality).

    Args: answer: dict with W_xh (1, units), W_hh (units, units), b (units,), W_hy (units,) or
        (units, 1), optional b_y (number).
    Returns: True / False / None (prints the verdict). Used by notebook 06.
    """
    if answer is None:
        raise _NotAttempted()
    if not isinstance(answer, dict):
        raise _Wrong(f"the answer should be a dict of weights, got {type(answer).__name__}.",
                     "answer = dict(W_xh=W_xh, W_hh=W_hh, b=b, W_hy=W_hy, b_y=b_y)")
    missing = [k for k in ("W_xh", "W_hh", "b", "W_hy") if k not in answer]
    if missing:
        raise _Wrong(f"the dict has no {missing}.", "answer = dict(W_xh=W_xh, W_hh=W_hh, b=b, W_hy=W_hy, b_y=b_y)")
    if any(answer[k] is None for k in ("W_xh", "W_hh", "b", "W_hy")):
        raise _NotAttempted("some weights are still None: fill in W_xh, W_hh, b and W_hy.")
    try:
        W_xh = np.asarray(answer["W_xh"], np.float64).reshape(1, -1)
        units = W_xh.shape[1]
        W_hh = np.asarray(answer["W_hh"], np.float64)
        b = np.asarray(answer["b"], np.float64).reshape(-1)
        W_hy = np.asarray(answer["W_hy"], np.float64).reshape(-1)
        b_y = answer.get("b_y")
        b_y = 0.0 if b_y is None else float(np.asarray(b_y, np.float64).reshape(-1)[0])
    except (TypeError, ValueError, IndexError) as exc:
        raise _Wrong(f"the weights are not numeric arrays ({exc}).") from None
    for name, value in (("W_xh", W_xh), ("W_hh", W_hh), ("b", b), ("W_hy", W_hy), ("b_y", b_y)):
        _reject_non_finite(value, name, "every weight must be a finite number: a NaN read-out compares false with "
                                        "everything, so it would prove nothing. Threshold units need only small "
                                        "numbers such as 0, 1, -1, 2, -2.")
    if W_hh.shape != (units, units) or b.shape != (units,) or W_hy.shape != (units,):
        raise _Wrong(f"shapes W_xh {W_xh.shape}, W_hh {W_hh.shape}, b {b.shape}, W_hy {W_hy.shape} do not fit "
                     f"{units} units.", f"with {units} units: W_xh (1, {units}), W_hh ({units}, {units}), "
                     f"b ({units},), W_hy ({units},).")
    strings = [np.array(s) for n in range(1, 9) for s in itertools.product((0, 1), repeat=n)]
    strings.append(np.random.default_rng(1000).integers(0, 2, size=1000))
    for bits in strings:          # short strings first: the smallest counterexample is reported
        h = np.zeros(units)
        count = 0
        for t, x in enumerate(bits):
            h = _threshold(x * W_xh[0] + h @ W_hh + b)
            y = float(h @ W_hy + b_y)
            count += int(x)
            if not abs(y - count % 2) <= 1e-9:         # also a NaN or infinite read-out (overflow)
                s = "".join(map(str, bits[:t + 1].tolist()))
                where = f"after the bits {s}" if len(s) <= 20 else f"at step {t + 1} of the 1,000-bit string"
                what = (f"{where} the read-out is {y:g} (state h = {h.tolist()}), "
                        f"but the parity is {count % 2}.")
                reject_known(y, [
                    Mistake(lambda v: abs(v + 1) < 1e-9 and W_hy.shape == (2,) and np.allclose(W_hy, [1, -2]), what,
                            "with 0/1 threshold units the AND unit counts once: XOR = OR - AND, "
                            "so W_hy = (1, -1), and p_(t-1) = h1 - h2 feeds back through W_hh."),
                ])
                raise _Wrong(what, "use two units: h1 = OR (fires when p_(t-1) + x_t >= 1) and h2 = AND "
                                   "(fires when p_(t-1) + x_t >= 2); parity p_t = h1 - h2. Write "
                                   "p_(t-1) = h1 - h2 of the previous state to read off W_hh; the thresholds "
                                   "(between 0 and 1, between 1 and 2) give b.")
    return "exact on every string of up to 8 bits and on 1,000 random bits; 0/1 states cannot drift."
