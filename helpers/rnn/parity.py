"""Bit strings and their parity: the data of notebooks 05 and 06.

The running example is the lecture's: "output YES if the number of 1s is odd".
A bit string ``x_1 ... x_T`` has *running parity* ``p_t = (x_1 + ... + x_t) mod 2``
and the answer for the whole string is ``p_T`` (1 = YES, odd number of ones).

Padded batches use ``PAD_VALUE`` (-1, never a bit) at the steps after the end
of a string, with a boolean mask (N, T) that is True on real steps.

Used by notebooks 05_rnn_motivation and 06_rnn_unrolling, and by every other
module of :mod:`helpers.rnn`.
"""
from __future__ import annotations

import numpy as np

from ..inputs import check_int

PAD_VALUE = -1.0

# The lecture's two examples (slide "Motivation"): string -> answer.
LECTURE_EXAMPLES = {"1000010101": "No", "100011000000000000": "Yes"}


def parse_bits(bits) -> np.ndarray:
    """Turn a bit string into an array of 0/1 integers.

    Args:
        bits: a str of the characters '0' and '1' (spaces and '_' are ignored,
            so "1000 0101" works), or a 1-D list/tuple/array of 0 and 1.
    Returns:
        (T,) int64 array of 0/1, T >= 1.
    Raises:
        TypeError for other types, ValueError for an empty string, another
        character, a value other than 0/1, or an array that is not 1-D.
    Used by notebook 05 (the lecture examples, the widget) and most helpers here.
    """
    if isinstance(bits, str):
        text = bits.replace(" ", "").replace("_", "")
        if not text:
            raise ValueError("empty bit string: type at least one 0 or 1, e.g. '1011'")
        for i, ch in enumerate(text):
            if ch not in "01":
                raise ValueError(
                    f"a bit string may contain only the characters 0 and 1, "
                    f"but {bits!r} has {ch!r} at position {i}; remove it and try again")
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - ord("0")
    if isinstance(bits, (list, tuple, np.ndarray)):
        arr = np.asarray(bits)
        if arr.ndim != 1:
            raise ValueError(f"expected a 1-D sequence of bits, got an array of shape {arr.shape}; "
                             "pass one string at a time (or use parity_batch for batches)")
        if arr.size == 0:
            raise ValueError("empty bit sequence: give at least one 0 or 1")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"bits must be numbers 0/1, got dtype {arr.dtype}")
        bad = ~np.isin(arr, (0, 1))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"bits must be 0 or 1, but position {i} holds {arr[i]!r}")
        return arr.astype(np.int64)
    raise TypeError(f"bits must be a str like '1011' or a list/array of 0/1, got {type(bits).__name__}")


def running_parity(bits) -> np.ndarray:
    """Running parity p_t = (x_1 + ... + x_t) mod 2 of one bit string.

    Args: bits as accepted by parse_bits. Returns: (T,) int64 of 0/1.
    Computed with an XOR scan (tests compare it to np.cumsum(bits) % 2).
    Used by notebooks 05 and 06.
    """
    return np.bitwise_xor.accumulate(parse_bits(bits))


def parity_answer(bits) -> str:
    """The lecture's answer for a whole string: "Yes" if the number of 1s is odd, else "No".

    Used by notebook 05 (the lecture examples).
    """
    return "Yes" if running_parity(bits)[-1] == 1 else "No"


def random_bits(n: int, length: int, seed: int = 0) -> np.ndarray:
    """n uniform random bit strings of one length.

    Returns: (n, length) int64 array of 0/1. Used by notebooks 05 and 06.
    """
    n, length = check_int(n, "n", 1), check_int(length, "length", 1)
    return np.random.default_rng(seed).integers(0, 2, size=(n, length)).astype(np.int64)


def pad_bits(sequences, pad_value: float = PAD_VALUE, max_len: int | None = None):
    """Pad bit strings of different lengths into one batch.

    Args:
        sequences: list of bit strings (each as accepted by parse_bits).
        pad_value: value written after the end of each string (default -1,
            which a Keras Masking layer can recognise; 0 would be a real bit).
        max_len: pad to this length (default: the longest string).
    Returns:
        x (N, T, 1) float32 (bits, pad_value after the end) and
        mask (N, T) bool (True on real steps).
    Used by notebook 06 (masking) and parity_batch.
    """
    if isinstance(sequences, str):
        raise TypeError(f"sequences must be a list of bit strings; for one string write pad_bits([{sequences!r}]) "
                        "(a string alone would be read as one-bit strings).")
    seqs = [parse_bits(s) for s in sequences]
    if not seqs:
        raise ValueError("sequences is empty: pad_bits needs at least one bit string")
    longest = max(len(s) for s in seqs)
    T = longest if max_len is None else check_int(max_len, "max_len", 1)
    if T < longest:
        raise ValueError(f"max_len={max_len} is shorter than the longest string ({longest} bits)")
    x = np.full((len(seqs), T, 1), pad_value, dtype=np.float32)
    mask = np.zeros((len(seqs), T), dtype=bool)
    for i, s in enumerate(seqs):
        x[i, : len(s), 0] = s
        mask[i, : len(s)] = True
    return x, mask


def parity_batch(n: int, min_len: int, max_len: int | None = None, seed: int = 0,
                 pad_value: float = PAD_VALUE):
    """A padded, masked batch of random bit strings with their running parity.

    Lengths are drawn uniformly from min_len..max_len (inclusive); with
    max_len=None every string has length min_len.
    Returns:
        x (n, T, 1) float32 bits, pad_value after each string's end,
        y (n, T, 1) float32 running parity (0 on padded steps),
        mask (n, T) bool, True on real steps; T = max_len (or min_len).
    Used by notebooks 05 and 06 (GRU training) and tests.
    """
    n, min_len = check_int(n, "n", 1), check_int(min_len, "min_len", 1)
    max_len = min_len if max_len is None else check_int(max_len, "max_len", 1)
    if max_len < min_len:
        raise ValueError(f"max_len ({max_len}) must be >= min_len ({min_len})")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n)
    bits = rng.integers(0, 2, size=(n, max_len))
    mask = np.arange(max_len)[None, :] < lengths[:, None]
    bits = np.where(mask, bits, 0)
    x = np.where(mask, bits, pad_value).astype(np.float32)[..., None]
    y = (np.bitwise_xor.accumulate(bits, axis=1) * mask).astype(np.float32)[..., None]
    return x, y, mask

def all_bit_strings(n: int) -> np.ndarray:
    """Every bit string of length n, in counting order (row i is i written in binary).

    Args: n, 1..24 (2**24 rows is the largest table this course needs).
    Returns: (2**n, n) int8 array of 0/1. Used by notebook 05 (the exhaustive
    check of the hand-built MLP) and tests.
    """
    n = check_int(n, "n", 1)
    if n > 24:
        raise ValueError(f"n={n} would give 2**{n} strings; enumerate at most n = 24 bits")
    codes = np.arange(2 ** n, dtype=np.int64)[:, None]
    return ((codes >> np.arange(n - 1, -1, -1)) & 1).astype(np.int8)
