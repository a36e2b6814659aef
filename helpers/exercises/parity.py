"""Exercises of notebook 05 (why RNNs): the parity of a bit string, seen through a window or step by step."""
from __future__ import annotations

import itertools

import numpy as np

from ._core import Mistake, _as_float, _call, _reject_non_finite, _Wrong, exercise, reject_known


@exercise("5.1", "A 3-bit window", "easy", solve="answer = window_3_of_10()")
def check_window_3_of_10(answer):
    """Exercise 5.1: the best possible accuracy of a 3-bit window on the parity of 10-bit strings.

    Args: answer: a fraction in [0, 1].
    Returns: True / False / None (prints the verdict). Used by notebook 05.
    """
    got = _as_float(answer, "a fraction between 0 and 1")
    # the truth by brute force over all 2**10 strings (another way than helpers.rnn's bit tricks)
    counts = {}
    for bits in itertools.product((0, 1), repeat=10):
        key = bits[-3:]
        counts.setdefault(key, [0, 0])[sum(bits) % 2] += 1
    truth = sum(max(c) for c in counts.values()) / 2 ** 10
    if abs(got - truth) < 1e-9:
        return "a coin flip: the 7 unseen bits make both answers equally likely for every window."
    reject_known(got, [
        Mistake(lambda g: abs(g - 100 * truth) < 1e-6, "that is a percentage.", "give a fraction: 50% is 0.5."),
        Mistake(lambda g: abs(g - 1.0) < 1e-9, "1.0 would need the window to see every bit; it sees 3 of 10.",
                "pair every string with the one whose first bit differs: same last 3 bits, opposite parity."),
    ])
    raise _Wrong(f"{got:g} is not the best possible accuracy.",
                 "pair every string with the one whose first bit differs: they share the window but have "
                 "opposite parities. What can any rule that sees only the window do then?")


def _parity_loop(bits):
    out, count = [], 0
    for b in bits:
        count += int(b)
        out.append(count % 2)
    return out


@exercise("5.2", "Running parity", "medium")
def check_running_parity(fn):
    """Exercise 5.2: ``running_parity(bits)`` -> (T,) 0/1 array, p_t = (x_1 + ... + x_t) mod 2.

    Args: fn: the student's function, bits a 1-D numpy array of 0/1 ints.
    Returns: True / False / None (prints the verdict). Used by notebook 05.
    """
    rng = np.random.default_rng(2)
    cases = [np.array([int(ch) for ch in s]) for s in ("1000010101", "100011000000000000", "1", "0", "11")]
    cases += [np.array(bits) for n in (2, 3, 5) for bits in itertools.product((0, 1), repeat=n)]
    cases.append(rng.integers(0, 2, size=300))
    for bits in cases:
        out = _call(fn, bits, what="running_parity(bits)")
        want = _parity_loop(bits)
        s = "".join(map(str, bits.tolist())) if len(bits) <= 20 else f"a {len(bits)}-bit string"
        if isinstance(out, str):
            raise _Wrong(f"on {s} it returned the string {out!r:.30}.",
                         "return numbers 0/1, one per bit (1 = odd so far).")
        try:
            got = np.asarray(out)
        except Exception:
            raise _Wrong(f"on {s} it returned {type(out).__name__}, not an array.") from None
        if got.ndim == 0:
            raise _Wrong(f"on {s} it returned one number ({got.item()}).",
                         "return the parity after *every* bit: an array as long as the string.")
        if got.dtype.kind not in "biuf":
            raise _Wrong(f"on {s} it returned {got.tolist()[:10]}: not numbers 0/1.")
        if got.dtype.kind == "f":
            _reject_non_finite(got, f"on {s} the result", "return 0/1 numbers, one per bit.")
        got = got.ravel()
        if len(got) != len(bits):
            raise _Wrong(f"on {s} ({len(bits)} bits) it returned {len(got)} values.",
                         "one value per bit: p_1 ... p_T.")
        if np.array_equal(got, want):
            continue
        reject_known(got, [
            Mistake(np.cumsum(bits), f"on {s} it returned the running count of 1s {got.tolist()[:12]}.",
                    "take it modulo 2 (% 2): parity is odd (1) or even (0)."),
            Mistake(1 - np.asarray(want), f"on {s} it returned 1 for even and 0 for odd.",
                    "1 means an odd number of 1s so far."),
            Mistake(np.concatenate([[0], want[:-1]]),
                    f"on {s} it is shifted by one step: {got.tolist()[:12]} vs {want[:12]}.",
                    "p_t includes x_t itself: p_1 = x_1."),
        ], same=np.array_equal)
        raise _Wrong(f"on {s} it returned {got.tolist()[:20]}, expected {want[:20]}.",
                     "keep a count (or a bit) and update it at every 1; or np.cumsum(bits) % 2.")
    return "matches the running parity on every string up to 5 bits, the lecture's examples and 300 random bits."


def _window_truth(n, k):
    from ..rnn import window_accuracy_exact

    return window_accuracy_exact(n, k)


@exercise("5.3", "The window table by brute force", "harder")
def check_window_accuracy(fn):
    """Exercise 5.3: ``window_accuracy(n, k)`` -> best accuracy of a last-k-bits lookup table, by enumeration.

    Args: fn: the student's function, ints n >= 1 and 0 <= k <= n -> float.
    Returns: True / False / None (prints the verdict). Used by notebook 05.
    """
    pairs = [(4, 2), (4, 0), (4, 3), (4, 4), (6, 5), (6, 6), (3, 1), (1, 1), (1, 0)]
    got_all = {}
    for n, k in pairs:
        out = _call(fn, n, k, what=f"window_accuracy({n}, {k})")
        got_all[(n, k)] = _as_float(out, "a fraction between 0 and 1", name=f"window_accuracy({n}, {k})")
    want = {p: _window_truth(*p) for p in pairs}
    wrong = [p for p in pairs if abs(got_all[p] - want[p]) > 1e-9]
    if not wrong:
        return "0.5 for every window shorter than the string, 1.0 when it sees all the bits."
    table = ", ".join(f"({n}, {k}) -> {got_all[(n, k)]:g} (expected {want[(n, k)]:g})" for n, k in wrong[:4])
    reject_known(got_all, [
        Mistake(lambda g: any(v > 1.0 + 1e-9 for v in g.values()), f"some results are above 1: {table}.",
                "divide the number of right answers by the number of strings (2**n)."),
        Mistake(lambda g: (4, 0) in wrong and abs(g[(4, 0)] - 1.0) < 1e-9 and len(wrong) <= 2,
                f"with k = 0 it scores 1.0: {table}.",
                "careful: bits[-0:] is the *whole* string in Python, not an empty window; "
                "use bits[len(bits) - k:]."),
        Mistake(lambda g: all(abs(g[(n, n - 1)] - 1.0) < 1e-9 for n in (4, 6)),
                f"with k = n - 1 it already scores 1.0: {table}.",
                "the window seems to see one bit too many: the last k bits are bits[n - k:]."),
        Mistake(lambda g: all(abs(g[(n, n)] - 0.5) < 1e-9 for n in (4, 6)), f"with k = n it scores only 0.5: {table}.",
                "the window seems to see one bit too few: with k = n it sees the whole string, "
                "so the best table is always right (1.0)."),
    ])
    raise _Wrong(f"{table}.",
                 "for every pattern of the last k bits count the odd and even strings; the best guess "
                 "gets max(odd, even) right; sum over patterns and divide by 2**n.")
