"""Reading parity out of hidden states: a linear probe, principal components, a threshold.

Used by notebook 06 (the probe of the trained GRU's states).
"""
from __future__ import annotations

import numpy as np

from ..inputs import check_int


def linear_probe(H_train, y_train, H_test, y_test):
    """Least-squares linear read-out y ~ H w + c, thresholded at 0.5.

    Args: H_* (M, units) hidden states, y_* (M,) 0/1 targets.
    Returns: dict(w (units,), c, train_acc, test_acc). Used by notebook 06.
    """
    H_train, y_train = _check_xy(H_train, y_train, "H_train", "y_train", 2)
    H_test, y_test = _check_xy(H_test, y_test, "H_test", "y_test", 2)
    if H_train.shape[1] != H_test.shape[1]:
        raise ValueError(f"H_train and H_test must have the same number of units, got {H_train.shape} and {H_test.shape}")
    A = np.c_[H_train, np.ones(len(H_train))]
    coef, *_ = np.linalg.lstsq(A, np.asarray(y_train, float), rcond=None)
    w, c = coef[:-1], coef[-1]

    def acc(H, y):
        return float((((H @ w + c) > 0.5) == np.asarray(y)).mean())

    return dict(w=w, c=float(c), train_acc=acc(H_train, y_train), test_acc=acc(H_test, y_test))


def principal_components(H, k: int = 2):
    """Top-k principal components of a cloud of hidden states.

    Args: H (M, units). Returns: (components (k, units), mean (units,),
    explained variance ratios (k,)). Project with (H - mean) @ components.T.
    Used by notebook 06.
    """
    H = np.asarray(H, float)
    if H.ndim != 2:
        raise ValueError(f"H must be a 2-D array (M, units) of hidden states, got shape {H.shape}")
    k = check_int(k, "k (principal components)", 1, min(H.shape))
    mean = H.mean(axis=0)
    _, s, vt = np.linalg.svd(H - mean, full_matrices=False)
    return vt[:k], mean, s[:k] ** 2 / (s ** 2).sum()


def _check_xy(X, y, x_name, y_name, ndim, need_both=True):
    """Finite (M, ...) inputs with M 0/1 targets; ``need_both``: both classes present (a read-out needs them)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != ndim or len(X) == 0:
        raise ValueError(f"{x_name} must be a non-empty {'(M, units)' if ndim == 2 else '(M,)'} array, got shape {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"{y_name} must have one 0/1 target per row of {x_name}: shape ({len(X)},), got {y.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{x_name} contains NaN or infinite values")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"{y_name} must hold 0/1 targets")
    if need_both and len(np.unique(y)) < 2:
        raise ValueError(f"{y_name} holds only the class {int(y[0])}: a read-out needs examples of both parities")
    return X, y


def threshold_accuracy(z_train, y_train, z_test, y_test) -> float:
    """Accuracy of one number per state as a parity read-out.

    The threshold is the midpoint between the two class means of z_train
    (the side of class 1 is learned too); scored on z_test.
    Args: z_* (M,) projections, y_* (M,) 0/1. Used by notebook 06 (PC1 read-out).
    """
    z_train, y_train = _check_xy(z_train, y_train, "z_train", "y_train", 1)
    z_test, y_test = _check_xy(z_test, y_test, "z_test", "y_test", 1, need_both=False)
    y_train = y_train.astype(bool)
    m1, m0 = z_train[y_train].mean(), z_train[~y_train].mean()
    guess = (np.asarray(z_test) > (m0 + m1) / 2) if m1 > m0 else (np.asarray(z_test) < (m0 + m1) / 2)
    return float((guess == np.asarray(y_test).astype(bool)).mean())
