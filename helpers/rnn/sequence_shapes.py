"""The five input/output shapes of sequence models (Karpathy's diagram), as tiny Keras models.

Not run by a notebook: notebook 05 draws the shapes
(``helpers.plotting.sequence_shapes_figure``); these are the same shapes to
try in code, and tests/test_rnn.py runs them.
"""
from __future__ import annotations

import numpy as np

import keras

from ..inputs import check_int
from .gru import build_parity_gru
from .parity import parse_bits


SHAPE_TASKS = {
    "one_to_one": "image classification: one picture -> 'cat'",
    "one_to_many": "image captioning: one picture -> 'a cat is sitting on a tree branch'",
    "many_to_one": "sentiment analysis: a review -> negative / neutral / positive",
    "many_to_many": "translation: an English sentence -> a Persian sentence",
    "many_to_many_synced": "running parity: a bit string -> the answer after every bit",
}

SHAPE_EXAMPLES = {
    "one_to_many": "a cat is sitting on a tree branch",
    "many_to_one": "Brilliant effort guys! Loved Your Work.",
    "many_to_many": "If you face a problem try to find the solution not the reason",
}


def build_shape_model(kind: str, vocab: int = 50, units: int = 16, caption_len: int = 8,
                      n_classes: int = 3) -> keras.Model:
    """A tiny untrained Keras model for one of the five input/output shapes.

    The five are those of Karpathy's diagram ("The Unreasonable Effectiveness
    of Recurrent Neural Networks", 2015); the lecture shows the first four.

    kind:
        "one_to_one"  image (batch, 8, 8, 3) -> class probabilities (batch, 10)
        "one_to_many" image feature vector (batch, 32) -> word probabilities
                      (batch, caption_len, vocab): the image sets the initial
                      state, the RNN emits one word per step
        "many_to_one" word ids (batch, T) -> sentiment probabilities (batch, n_classes)
        "many_to_many" encoder-decoder: [source ids (batch, T_in),
                      target ids (batch, T_out)] -> (batch, T_out, vocab)
        "many_to_many_synced" one output per input step: bits (batch, T, 1)
                      -> (batch, T, 1), the architecture of build_parity_gru
                      (Masking -> GRU(units, return_sequences) -> Dense(1, sigmoid))
    Only the shapes matter (the weights are random). Not run by a notebook: notebook 05 draws the
    shapes (helpers.plotting.sequence_shapes_figure); these are the same shapes to try in code.
    """
    L = keras.layers
    if kind == "one_to_one":
        image = keras.Input((8, 8, 3), name="image")
        out = L.Dense(10, activation="softmax", name="class")(L.Flatten()(image))
        return keras.Model(image, out, name=kind)
    if kind == "one_to_many":
        feats = keras.Input((32,), name="image_features")
        h0 = L.Dense(units, activation="tanh", name="init_state")(feats)
        steps = L.RepeatVector(caption_len)(feats)
        seq = L.SimpleRNN(units, return_sequences=True)(steps, initial_state=h0)
        out = L.Dense(vocab, activation="softmax", name="word")(seq)
        return keras.Model(feats, out, name=kind)
    if kind == "many_to_one":
        words = keras.Input((None,), dtype="int32", name="word_ids")
        h = L.SimpleRNN(units)(L.Embedding(vocab, 8)(words))
        out = L.Dense(n_classes, activation="softmax", name="sentiment")(h)
        return keras.Model(words, out, name=kind)
    if kind == "many_to_many":
        src = keras.Input((None,), dtype="int32", name="source_ids")
        tgt = keras.Input((None,), dtype="int32", name="target_ids")
        _, state = L.SimpleRNN(units, return_state=True, name="encoder")(L.Embedding(vocab, 8)(src))
        seq = L.SimpleRNN(units, return_sequences=True, name="decoder")(
            L.Embedding(vocab, 8)(tgt), initial_state=state)
        out = L.Dense(vocab, activation="softmax", name="word")(seq)
        return keras.Model([src, tgt], out, name=kind)
    if kind == "many_to_many_synced":
        model = build_parity_gru(units)
        model.name = kind
        return model
    raise ValueError(f"unknown kind {kind!r}; choose one of {list(SHAPE_TASKS)}")


SENTIMENT_REVIEWS = {
    "negative": "Totally dissatisfied with the service. Worst customer care ever.",
    "neutral": "Good Job but I will expect a lot more in future.",
    "positive": "Brilliant effort guys! Loved Your Work.",
}


def word_ids(sentence: str, vocab: int = 50) -> np.ndarray:
    """Toy tokenizer: each word -> a stable id in 1..vocab-1 (sum of its character codes).

    Returns: (1, number of words) int32, a batch of one sentence for the
    untrained shape models (build_shape_model).
    """
    if not isinstance(sentence, str) or not sentence.split():
        raise ValueError(f"sentence must be a non-empty string, got {sentence!r}")
    vocab = check_int(vocab, "vocab (ids are 1..vocab-1)", 2)
    return np.array([[sum(map(ord, w.lower())) % (vocab - 1) + 1 for w in sentence.split()]], "int32")


def shape_demo(vocab: int = 50, seed: int = 0):
    """Build the five shape models and run each once on an example input.

    Returns: list of dicts with keys kind, task, inputs (list of shapes),
    output (shape), params, in the order of SHAPE_TASKS. Batch size 1; the
    translation target has 16 steps (the Persian sentence of the lecture has
    16 words); the synced model reads the lecture's 18-bit example.
    Not run by a notebook (notebook 05 draws the shapes instead); tests/test_rnn.py runs it.
    """
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    inputs = {
        "one_to_one": [rng.random((1, 8, 8, 3)).astype("float32")],
        "one_to_many": [rng.random((1, 32)).astype("float32")],
        "many_to_one": [word_ids(SHAPE_EXAMPLES["many_to_one"], vocab)],
        "many_to_many": [word_ids(SHAPE_EXAMPLES["many_to_many"], vocab),
                         rng.integers(1, vocab, size=(1, 16)).astype("int32")],
        "many_to_many_synced": [parse_bits("100011000000000000")[None, :, None].astype("float32")],
    }
    rows = []
    for kind, task in SHAPE_TASKS.items():
        model = build_shape_model(kind, vocab=vocab)
        xs = inputs[kind]
        out = model(xs if len(xs) > 1 else xs[0])
        rows.append(dict(kind=kind, task=task, inputs=[tuple(x.shape) for x in xs],
                         output=tuple(out.shape), params=model.count_params()))
    return rows
