"""A fixed context window cannot work: the best accuracy from the last k bits.

Notebook 05's window table: exactly over all 2**n strings, and by a
lookup table counted on random strings and scored on held-out ones.
"""
from __future__ import annotations

import numpy as np

from ..inputs import check_int
from .parity import random_bits


def window_accuracy_exact(n: int, k: int) -> float:
    """Best possible accuracy of any predictor that sees only the last k bits.

    Counts exactly over all 2**n strings of length n (each equally likely):
    for each pattern of the last k bits the best guess is the more frequent
    parity, so the accuracy is sum over patterns of max(count) / 2**n.
    Theory: 0.5 whenever k < n (the unseen bits flip the parity half the
    time), 1.0 when k >= n.
    Args: n string length (1..24, enumeration), k window size (>= 0).
    Returns: float in [0.5, 1]. Used by notebook 05 (the window table).
    """
    n = check_int(n, "n", 1)
    if n > 24:
        raise ValueError(f"n={n} is too long to enumerate 2**n strings; use n <= 24 "
                         "(for k < n the answer is 0.5 at any n)")
    k = min(check_int(k, "window size k", 0), n)
    codes = np.arange(2 ** n, dtype=np.int64)
    par = np.zeros_like(codes)
    for i in range(n):
        par ^= (codes >> i) & 1
    last_k = codes & ((1 << k) - 1)        # the k least significant bits = the last k bits
    counts = np.bincount(last_k * 2 + par, minlength=2 ** (k + 1)).reshape(-1, 2)
    return float(counts.max(axis=1).sum() / 2 ** n)


def window_accuracy_empirical(train_bits, k: int, test_bits=None) -> float:
    """Accuracy of the best last-k-bits lookup table learned by counting.

    Learns, from train_bits, the majority whole-string parity for every
    pattern of the last k bits (unseen patterns guess 0), then scores it on
    test_bits (held-out strings; default: the training strings themselves,
    which is optimistic).
    Args: train_bits (N, n) and test_bits (M, n) arrays of 0/1, N >= 1 and
        M >= 1 strings; k >= 0.
    Returns: float accuracy in [0, 1]. Used by notebook 05 (the window table).
    Raises: ValueError for a set of zero strings (an accuracy of nothing is
        undefined, and a table learned from nothing only guesses 0): the
        message names the empty argument.
    """
    train = np.asarray(train_bits)
    test = train if test_bits is None else np.asarray(test_bits)
    for name, arr in (("train_bits", train), ("test_bits", test)):
        if arr.ndim != 2 or not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must be a 2-D array (N, n) of 0/1, got shape {arr.shape}")
        if len(arr) == 0:
            raise ValueError(f"{name} holds zero strings (shape {arr.shape}): the accuracy needs at least one "
                             "string to learn from and one to score; e.g. random_bits(1000, n).")
    k = min(check_int(k, "window size k", 0), train.shape[1], test.shape[1])
    weights = 1 << np.arange(k)[::-1]

    def codes(arr):
        return (arr[:, arr.shape[1] - k:] * weights).sum(axis=1) if k else np.zeros(len(arr), np.int64)

    par_train = train.sum(axis=1) % 2
    counts = np.bincount(codes(train) * 2 + par_train, minlength=2 ** (k + 1)).reshape(-1, 2)
    table = (counts[:, 1] > counts[:, 0]).astype(np.int64)
    return float((table[codes(test)] == test.sum(axis=1) % 2).mean())


def window_table(ks=(0, 1, 2, 4, 8, 12, 16, 19, 20), n: int = 20, n_train: int = 20000,
                 n_test: int = 20000, seed: int = 0):
    """Rows (k, exact best accuracy, held-out accuracy of a counted table) for strings of length n.

    Returns: list of (k, exact, empirical) tuples. Used by notebook 05.
    """
    n = check_int(n, "n", 1)
    ks = [check_int(k, f"ks[{i}] (a window size, 0..n)", 0, n) for i, k in enumerate(ks)]
    train = random_bits(n_train, n, seed=seed)
    test = random_bits(n_test, n, seed=seed + 1)
    return [(k, window_accuracy_exact(n, k), window_accuracy_empirical(train, k, test)) for k in ks]
