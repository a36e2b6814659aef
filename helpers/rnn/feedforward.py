"""A feedforward net has no memory: the parity MLPs of notebook 05.

A trained MLP memorises its training strings (train ~100 %, test ~50 %);
a hand-built one-hidden-layer ReLU MLP computes n-bit parity exactly, but
only for exactly n bits.
"""
from __future__ import annotations

import time

import numpy as np

import keras  # importing helpers.rnn runs helpers/__init__.py first (TensorFlow log level)

from ..inputs import check_int
from .parity import parse_bits, random_bits


def build_parity_mlp(n_bits: int = 20, hidden: int = 256) -> keras.Model:
    """An MLP that reads exactly n_bits bits: (batch, n_bits) -> P(odd) (batch, 1).

    Used by notebook 05.
    """
    return keras.Sequential([
        keras.Input((n_bits,), name="bits"),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid", name="p_odd"),
    ], name=f"mlp_{n_bits}_bits")


def train_parity_mlp(n_bits: int = 20, n_train: int = 1000, n_test: int = 2000, epochs: int = 60,
                     seed: int = 0):
    """Train build_parity_mlp on n_train random strings; score it on fresh ones.

    Resets Keras's global seeds (keras.utils.set_random_seed(seed)).
    Returns: (model, info) with info = dict(train_acc, test_acc, seconds).
    Used by notebook 05 (train ~100%, test ~50%: memorised, not learned).
    """
    keras.utils.set_random_seed(seed)
    x_train = random_bits(n_train, n_bits, seed=seed + 100)
    x_test = random_bits(n_test, n_bits, seed=seed + 200)
    y_train, y_test = x_train.sum(1) % 2, x_test.sum(1) % 2
    model = build_parity_mlp(n_bits)
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    start = time.perf_counter()
    model.fit(x_train.astype("float32"), y_train.astype("float32"), epochs=epochs, batch_size=100,
              verbose=0)
    seconds = time.perf_counter() - start

    def acc(x, y):
        p = np.asarray(model(x.astype("float32"), training=False))[:, 0]
        return float(((p > 0.5) == y).mean())

    return model, dict(train_acc=acc(x_train, y_train), test_acc=acc(x_test, y_test), seconds=seconds)


def predict_fixed_length(model: keras.Model, bits, pad_with_zeros: bool = False) -> float:
    """The output of a fixed-input model (an MLP) for one bit string.

    Args:
        model: a Keras model with input shape (batch, n).
        bits: as accepted by parse_bits.
        pad_with_zeros: if True, a string shorter than n bits gets 0s in
            front (0s do not change the number of 1s, so the parity is the
            same); a longer string is still refused.
    Returns:
        float, the model's single output (P(odd) for the trained MLP, the
        parity itself for handbuilt_parity_mlp).
    Raises:
        ValueError with a plain explanation when the string does not fit
        the n inputs (instead of Keras's error from inside the first Dense
        layer).
    Used by notebook 05.
    """
    x = parse_bits(bits)
    n = model.input_shape[-1]
    if pad_with_zeros and len(x) < n:
        x = np.concatenate([np.zeros(n - len(x), np.int64), x])
    if len(x) > n:
        raise ValueError(
            f"this feedforward net has exactly {n} inputs, one per bit, but the string has "
            f"{len(x)} bits. A Dense layer's weight matrix has a fixed number of rows, so a "
            f"longer string cannot be fed in: cutting it changes the answer, and a net for "
            f"longer strings needs new, more weights. An RNN reads one bit at a time instead.")
    if len(x) < n:
        raise ValueError(
            f"this feedforward net has exactly {n} inputs, one per bit, but the string has "
            f"{len(x)} bits. Pad it with 0s in front: predict_fixed_length(model, bits, "
            f"pad_with_zeros=True) (0s do not change the number of 1s, so not the parity).")
    return float(model(x[None].astype("float32"), training=False).numpy()[0, 0])

def parity_mlp_weights(n_bits: int):
    """Hand-set weights of a one-hidden-layer ReLU MLP that computes n-bit parity exactly.

    With s = x_1 + ... + x_n (an integer 0..n), parity(s) is the triangle wave
    0, 1, 0, 1, ... at s = 0, 1, 2, ...; on the integers it equals
        relu(s) - 2 relu(s - 1) + 2 relu(s - 2) - ... + 2 (-1)^(n-1) relu(s - (n-1)),
    a piecewise-linear function with a kink at every integer 1..n-1. So n
    hidden ReLUs h_k = relu(s - k), k = 0..n-1 (every one reads all bits with
    weight 1, bias -k) and a linear read-out with weights 1, -2, +2, -2, ...
    give the parity. Every value is an integer <= n^2, exact in float32.
    Args: n_bits >= 1.
    Returns: dict W1 (n, n), b1 (n,), W2 (n, 1), b2 (1,), float64; in total
    n*n + n + n + 1 = (n + 1)**2 numbers.
    Used by handbuilt_parity_mlp (notebook 05).
    """
    n_bits = check_int(n_bits, "n_bits", 1)
    k = np.arange(n_bits)
    coef = np.where(k == 0, 1.0, 2.0 * (-1.0) ** k)
    return dict(W1=np.ones((n_bits, n_bits)), b1=-k.astype(float), W2=coef[:, None], b2=np.zeros(1))


def handbuilt_parity_mlp(n_bits: int = 20) -> keras.Model:
    """Keras MLP: bits (batch, n_bits) -> parity (batch, 1), exactly 0 or 1, nothing trained.

    Dense(n_bits, relu) + Dense(1) (linear) with parity_mlp_weights(n_bits);
    (n_bits + 1)**2 parameters. Used by notebook 05 (a feedforward net *can*
    represent n-bit parity).
    """
    w = parity_mlp_weights(n_bits)
    bits = keras.Input((n_bits,), name="bits")
    hidden = keras.layers.Dense(n_bits, activation="relu", name="relu_s_minus_k")
    readout = keras.layers.Dense(1, name="parity")
    model = keras.Model(bits, readout(hidden(bits)), name=f"handbuilt_parity_mlp_{n_bits}")
    hidden.set_weights([w["W1"], w["b1"]])
    readout.set_weights([w["W2"], w["b2"]])
    return model
