"""Reference solutions, notebook 05 (why RNNs). Not imported by the notebooks."""


def window_3_of_10():
    """Exercise 5.1: pair each string with the one whose first bit differs: same last 3 bits,
    opposite parity. So for every window pattern half the strings are odd: 50% at best."""
    return 0.5


def running_parity(bits):
    """Exercise 5.2: p_t = (x_1 + ... + x_t) mod 2 for t = 1..T."""
    import numpy as np

    return np.cumsum(bits) % 2


def window_accuracy(n, k):
    """Exercise 5.3: best accuracy of a lookup table on the last k bits, over all 2**n strings."""
    import itertools

    counts = {}
    for bits in itertools.product((0, 1), repeat=n):
        window = bits[n - k:]                       # not bits[-k:]: that is everything when k == 0
        counts.setdefault(window, [0, 0])[sum(bits) % 2] += 1
    return sum(max(c) for c in counts.values()) / 2 ** n
