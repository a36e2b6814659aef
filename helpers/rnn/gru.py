"""A trained GRU on the parity task (notebooks 05 and 06): build, train, run, read its states.

The model is Masking -> GRU(units, return_sequences) -> Dense(1, sigmoid):
one P(odd so far) per step, for strings of any length.
"""
from __future__ import annotations

import time
import weakref

import numpy as np

import keras

from ..inputs import check_int
from .parity import PAD_VALUE, parity_batch, parse_bits, random_bits


def build_parity_gru(units: int = 16) -> keras.Model:
    """Masking -> GRU(units, return_sequences) -> Dense(1, sigmoid).

    Input (batch, T, 1) bits with PAD_VALUE after each string's end (any T);
    output (batch, T, 1) P(running parity is odd) at every step.
    Used by notebooks 05 and 06.
    """
    units = check_int(units, "units", 1)
    bits = keras.Input((None, 1), name="bits")
    h = keras.layers.Masking(PAD_VALUE, name="mask")(bits)
    h = keras.layers.GRU(units, return_sequences=True, name="gru")(h)
    out = keras.layers.Dense(1, activation="sigmoid", name="p_odd")(h)
    return keras.Model(bits, out, name="parity_gru")


def train_parity_gru(units: int = 16, lr: float = 1e-2, n: int = 4000, min_len: int = 1,
                     max_len: int = 20, epochs: int = 20, batch_size: int = 64, seed: int = 0,
                     target: str = "every_step"):
    """Train build_parity_gru on strings of lengths min_len..max_len.

    target="every_step": binary cross-entropy on the running parity at every
    real step; target="last_step": only on each string's last step (the
    lecture's single YES/NO answer). Padded steps always get sample weight 0.
    Adam(lr). Resets Keras's global seeds (keras.utils.set_random_seed(seed)).
    Returns: (model, info) with info = dict(seconds, loss (per-epoch list)).
    The reported loss is the weighted sum divided by the number of real
    (unmasked) steps (Keras applies the Masking layer's mask to the loss), so
    with target="last_step" guessing gives ln(2) * strings / real steps
    (ln(2) / 20 = 0.035 for strings of length 20), not ln(2).
    Used by notebooks 05 (the payoff, the fixed-length failure) and 06 (the probe).
    """
    if target not in ("every_step", "last_step"):
        raise ValueError(f"target must be 'every_step' or 'last_step', got {target!r}")
    keras.utils.set_random_seed(seed)
    x, y, mask = parity_batch(n, min_len, max_len, seed=seed)
    weights = mask.astype("float32")
    if target == "last_step":
        weights = np.zeros_like(weights)
        weights[np.arange(n), mask.sum(axis=1) - 1] = 1.0
    model = build_parity_gru(units)
    model.compile(keras.optimizers.Adam(lr), "binary_crossentropy")
    start = time.perf_counter()
    hist = model.fit(x, y, sample_weight=weights, epochs=epochs, batch_size=batch_size, verbose=0)
    return model, dict(seconds=time.perf_counter() - start, loss=[float(v) for v in hist.history["loss"]])


_COMPILED = weakref.WeakKeyDictionary()


def run_sequence_model(model: keras.Model, x) -> np.ndarray:
    """Run a sequence model (input (batch, T, features)) through one compiled graph.

    The graph is traced once per model with the batch size and T left open,
    so calling it on many lengths does not retrace (model.predict would), and
    long sequences do not run step by step in eager mode (slow: ~10 ms a step).
    Args: model with one input (batch, T, features); x array of that shape.
    Returns: the model's output as a numpy array.
    Used by notebooks 05 and 06 (predictions on strings of any length).
    """
    import tensorflow as tf
    fn = _COMPILED.get(model)
    if fn is None:
        spec = tf.TensorSpec((None, None, model.input_shape[-1]), model.inputs[0].dtype)
        fn = tf.function(lambda t: model(t, training=False), input_signature=[spec])
        _COMPILED[model] = fn
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[-1] != model.input_shape[-1]:
        raise ValueError(f"x must be an array (batch, T, {model.input_shape[-1]}), got shape {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x is empty (shape {x.shape}): give at least one sequence of at least one step")
    return fn(tf.constant(x, dtype=model.inputs[0].dtype)).numpy()


def parity_accuracy(model: keras.Model, length: int, n: int = 1000, seed: int = 12345):
    """Accuracy of a per-step parity model on n fresh strings of one length.

    Returns: dict(final = fraction of strings whose last-step answer is
    right (the lecture's question), per_step = fraction of all steps right).
    Used by notebook 05.
    """
    length, n = check_int(length, "length", 1), check_int(n, "n", 1)
    bits = random_bits(n, length, seed=seed + length)
    p = run_sequence_model(model, bits[..., None].astype("float32"))[..., 0]
    truth = np.cumsum(bits, axis=1) % 2
    guess = p > 0.5
    return dict(final=float((guess[:, -1] == truth[:, -1]).mean()), per_step=float((guess == truth).mean()))


def predict_parity(model: keras.Model, bits) -> np.ndarray:
    """P(odd so far) at every step of one bit string, from a per-step model.

    Returns: (T,) float. Used by notebook 05 and its widget.
    """
    x = parse_bits(bits)[None, :, None].astype("float32")
    return run_sequence_model(model, x)[0, :, 0]


def gru_hidden_states(model: keras.Model, bits) -> np.ndarray:
    """Hidden states h_t of the layer named "gru" for a batch of bit strings.

    Args: bits (N, T) array of 0/1 (or one string). Returns: (N, T, units).
    Used by notebook 06 (the probe).
    """
    arr = parse_bits(bits)[None] if isinstance(bits, str) else np.asarray(bits)
    if arr.ndim == 1:
        arr = parse_bits(arr)[None]
    if arr.ndim != 2 or not np.isin(arr, (0, 1)).all():
        raise ValueError(f"bits must be (N, T) of 0/1, got shape {arr.shape}")
    names = [layer.name for layer in model.layers]
    if "gru" not in names:
        raise ValueError(f"model {model.name!r} has no layer named 'gru' (its layers: {names}); "
                         "use a model from build_parity_gru() / train_parity_gru().")
    sub = keras.Model(model.inputs, model.get_layer("gru").output)
    return np.asarray(sub.predict(arr[..., None].astype("float32"), batch_size=len(arr), verbose=0))
