"""Recurrent networks on the parity task, from scratch (numpy) and in Keras.

Used by notebooks 05_rnn_motivation and 06_rnn_unrolling.

The running example is the lecture's: "output YES if the number of 1s is odd".
A bit string ``x_1 ... x_T`` has *running parity* ``p_t = (x_1 + ... + x_t) mod 2``
and the answer for the whole string is ``p_T`` (1 = YES, odd number of ones).

Conventions (the same as ``keras.layers.SimpleRNN``, so weights can be copied
between the two): row vectors, ``a_t = x_t @ W_xh + h_{t-1} @ W_hh + b`` and
``h_t = activation(a_t)``, with ``W_xh`` of shape (n_in, units), ``W_hh`` of
shape (units, units) and ``b`` of shape (units,).

Padded batches use ``PAD_VALUE`` (-1, never a bit) at the steps after the end
of a string, with a boolean mask (N, T) that is True on real steps.
"""
from __future__ import annotations

import time
import weakref

import numpy as np

import keras  # importing helpers.rnn runs helpers/__init__.py first (TensorFlow log level)

PAD_VALUE = -1.0

# The lecture's two examples (slide "Motivation"): string -> answer.
LECTURE_EXAMPLES = {"1000010101": "No", "100011000000000000": "Yes"}


# ---------------------------------------------------------------------------
# Bits and parity
# ---------------------------------------------------------------------------

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
    _check_positive_int(n, "n")
    _check_positive_int(length, "length")
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
    T = longest if max_len is None else int(max_len)
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
    _check_positive_int(n, "n")
    _check_positive_int(min_len, "min_len")
    max_len = min_len if max_len is None else max_len
    _check_positive_int(max_len, "max_len")
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


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


# ---------------------------------------------------------------------------
# A fixed context window cannot work (notebook 05)
# ---------------------------------------------------------------------------

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
    _check_positive_int(n, "n")
    if n > 24:
        raise ValueError(f"n={n} is too long to enumerate 2**n strings; use n <= 24 "
                         "(for k < n the answer is 0.5 at any n)")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"window size k must be an integer >= 0, got {k!r}")
    k = min(int(k), n)
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
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"window size k must be an integer >= 0, got {k!r}")
    k = min(int(k), train.shape[1], test.shape[1])
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
    _check_positive_int(n, "n")
    bad = [k for k in ks if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n]
    if bad:
        raise ValueError(f"ks must be window sizes 0..n = 0..{n}, got {bad}")
    train = random_bits(n_train, n, seed=seed)
    test = random_bits(n_test, n, seed=seed + 1)
    return [(k, window_accuracy_exact(n, k), window_accuracy_empirical(train, k, test)) for k in ks]


# ---------------------------------------------------------------------------
# A feedforward net has no memory (notebook 05)
# ---------------------------------------------------------------------------

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


def all_bit_strings(n: int) -> np.ndarray:
    """Every bit string of length n, in counting order (row i is i written in binary).

    Args: n, 1..24 (2**24 rows is the largest table this course needs).
    Returns: (2**n, n) int8 array of 0/1. Used by notebook 05 (the exhaustive
    check of the hand-built MLP) and tests.
    """
    _check_positive_int(n, "n")
    if n > 24:
        raise ValueError(f"n={n} would give 2**{n} strings; enumerate at most n = 24 bits")
    codes = np.arange(2 ** n, dtype=np.int64)[:, None]
    return ((codes >> np.arange(n - 1, -1, -1)) & 1).astype(np.int8)


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
    _check_positive_int(n_bits, "n_bits")
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


# ---------------------------------------------------------------------------
# The five input/output shapes (notebook 05)
# ---------------------------------------------------------------------------

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
    if isinstance(vocab, bool) or not isinstance(vocab, (int, np.integer)) or vocab < 2:
        raise ValueError(f"vocab must be an integer >= 2 (ids 1..vocab-1), got {vocab!r}")
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


# ---------------------------------------------------------------------------
# A trained GRU (notebooks 05 and 06)
# ---------------------------------------------------------------------------

def build_parity_gru(units: int = 16) -> keras.Model:
    """Masking -> GRU(units, return_sequences) -> Dense(1, sigmoid).

    Input (batch, T, 1) bits with PAD_VALUE after each string's end (any T);
    output (batch, T, 1) P(running parity is odd) at every step.
    Used by notebooks 05 and 06.
    """
    _check_positive_int(units, "units")
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
    _check_positive_int(length, "length")
    _check_positive_int(n, "n")
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
    if H.ndim != 2 or not 1 <= k <= min(H.shape):
        raise ValueError(f"H must be (M, units) with k <= min(M, units); got shape {H.shape}, k={k}")
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


# ---------------------------------------------------------------------------
# The recurrence from scratch (notebook 06)
# ---------------------------------------------------------------------------

def rnn_step(h_prev, x_t, W_xh, W_hh, b, activation=np.tanh):
    """One application of f_W: h_t = activation(x_t @ W_xh + h_prev @ W_hh + b).

    Args: h_prev (units,), x_t (n_in,), W_xh (n_in, units), W_hh (units, units), b (units,).
    Returns: (units,) float64. Used by notebook 06 (the nested call).
    """
    x_t, h_prev = np.atleast_1d(np.asarray(x_t, float)), np.asarray(h_prev, float)
    _check_rnn_args(x_t[None], h_prev, W_xh, W_hh, b)
    return activation(np.asarray(x_t, float) @ W_xh + np.asarray(h_prev, float) @ W_hh + b)


def _check_rnn_args(xs, h0, W_xh, W_hh, b):
    xs = np.asarray(xs, dtype=np.float64)
    W_xh, W_hh = np.asarray(W_xh, np.float64), np.asarray(W_hh, np.float64)
    b, h0 = np.asarray(b, np.float64), np.asarray(h0, np.float64)
    if W_xh.ndim != 2:
        raise ValueError(f"W_xh must be 2-D (n_in, units), got shape {W_xh.shape}")
    n_in, units = W_xh.shape
    if xs.ndim == 1 and n_in == 1:
        xs = xs[:, None]
    if xs.ndim != 2 or xs.shape[1] != n_in:
        raise ValueError(f"xs must have shape (T, n_in) = (T, {n_in}) to match W_xh {W_xh.shape}, "
                         f"got {xs.shape}")
    if len(xs) == 0:
        raise ValueError("xs is empty: it has no time steps (T = 0)")
    if not np.all(np.isfinite(xs)):
        raise ValueError("xs contains NaN or infinite values")
    for name, arr, shape in (("W_hh", W_hh, (units, units)), ("b", b, (units,)), ("h0", h0, (units,))):
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (units = {units} from W_xh), got {arr.shape}")
    return xs, h0, W_xh, W_hh, b


def rnn_forward(xs, h0, W_xh, W_hh, b, activation=np.tanh):
    """Run the recurrence over a whole sequence: the unrolled loop.

    h_t = activation(x_t @ W_xh + h_{t-1} @ W_hh + b) for t = 1..T, the same
    weights at every step (Keras SimpleRNN's convention).
    Args: xs (T, n_in) (or (T,) when n_in = 1), h0 (units,), W_xh (n_in, units),
        W_hh (units, units), b (units,); activation: elementwise numpy function.
    Returns: (T, units) float64, the hidden states h_1..h_T.
    Used by notebook 06 and the time-step widget.
    """
    xs, h, W_xh, W_hh, b = _check_rnn_args(xs, h0, W_xh, W_hh, b)
    hs = np.empty((len(xs), len(b)))
    for t, x_t in enumerate(xs):
        h = activation(x_t @ W_xh + h @ W_hh + b)
        hs[t] = h
    return hs


def nested_expression(t: int) -> str:
    """The unrolled formula for h_t as text, e.g. t=3 ->
    "h_3 = f_W(f_W(f_W(h_0, x_1), x_2), x_3) = g^(3)(x_1, x_2, x_3)".

    Used by notebook 06 and its time-step widget.
    """
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
        raise ValueError(f"t must be an integer >= 0, got {t!r}")
    if t == 0:
        return "h_0 (the initial state)"
    expr = "h_0"
    for s in range(1, t + 1):
        expr = f"f_W({expr}, x_{s})"
    xs = ", ".join(f"x_{s}" for s in range(1, t + 1)) if t <= 4 else f"x_1, ..., x_{t}"
    return f"h_{t} = {expr} = g^({t})({xs})"


def init_rnn_weights(n_in: int, units: int, scale: float = 0.5, seed: int = 0):
    """Random float64 weights (W_xh (n_in, units), W_hh (units, units), b (units,)).

    Entries are normal with std scale / sqrt(fan-in). Used by notebook 06.
    """
    _check_positive_int(n_in, "n_in")
    _check_positive_int(units, "units")
    rng = np.random.default_rng(seed)
    return (rng.normal(0, scale / np.sqrt(n_in), (n_in, units)),
            rng.normal(0, scale / np.sqrt(units), (units, units)),
            rng.normal(0, 0.1, units))


def linear(a):
    """The identity, for a linear RNN: rnn_forward(..., activation=linear)."""
    return np.asarray(a, dtype=float)


# activation name -> (function, derivative written in terms of the output h = f(a))
_BPTT_ACTIVATIONS = {
    "tanh": (np.tanh, lambda h: 1.0 - h ** 2),       # tanh'(a) = 1 - tanh(a)^2
    "linear": (linear, np.ones_like),
}


def _check_activation_name(activation):
    if activation not in _BPTT_ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_BPTT_ACTIVATIONS)} (a name, not a "
                         f"function), got {activation!r}")
    return _BPTT_ACTIVATIONS[activation]


def rnn_bptt(xs, h0, W_xh, W_hh, b, dL_dhs, activation: str = "tanh"):
    """Backpropagation through time for a tanh (or linear) RNN.

    Args: the rnn_forward arguments, and dL_dhs (T, units): the gradient of
        the loss with respect to each h_t *directly* (e.g. h_t - y_t for a
        squared error on every step; zeros except the last row for a loss on
        h_T only); activation: "tanh" (rnn_forward's default) or "linear"
        (h_t = a_t, no squashing: the regime where gradients can explode).
    Returns: dict with "W_xh", "W_hh", "b", "h0" (gradients, same shapes as
        the parameters) and "dh" (T, units): the total gradient dL/dh_t,
        direct plus what flows back from later steps.
    Used by notebook 06 (gradient check, vanishing and exploding gradients,
    clipping).
    """
    f, df = _check_activation_name(activation)
    xs, h0, W_xh, W_hh, b = _check_rnn_args(xs, h0, W_xh, W_hh, b)
    hs = rnn_forward(xs, h0, W_xh, W_hh, b, activation=f)
    dL_dhs = np.asarray(dL_dhs, float)
    if dL_dhs.shape != hs.shape:
        raise ValueError(f"dL_dhs must have shape {hs.shape} (T, units), got {dL_dhs.shape}")
    grads = {"W_xh": np.zeros_like(W_xh), "W_hh": np.zeros_like(W_hh), "b": np.zeros_like(b)}
    dh_total = np.zeros_like(hs)
    carry = np.zeros_like(b)                      # dL/dh_t arriving from step t+1
    for t in range(len(xs) - 1, -1, -1):
        dh = dL_dhs[t] + carry
        dh_total[t] = dh
        da = dh * df(hs[t])
        h_prev = hs[t - 1] if t > 0 else h0
        grads["W_xh"] += np.outer(xs[t], da)
        grads["W_hh"] += np.outer(h_prev, da)
        grads["b"] += da
        carry = da @ W_hh.T
    grads["h0"] = carry
    grads["dh"] = dh_total
    return grads


def numerical_gradient(f, x, eps: float = 1e-5):
    """Central-difference gradient of a scalar function f at the float64 array x.

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each entry i; x is
    modified in place during the loop and restored. Returns: array like x.
    Used by notebook 06 and tests (the reference for rnn_bptt).
    """
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments returning the loss (it reads x), got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numerical_gradient needs a float64 numpy array (float32 is too coarse)")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """||a - b|| / max(||a|| + ||b||, 1e-300): 0 for equal arrays, 1 for opposite ones."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape to compare them, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def gradient_check(T: int = 6, n_in: int = 2, units: int = 4, seed: int = 0, eps: float = 1e-5):
    """Compare rnn_bptt with central differences on a random tanh RNN.

    Loss L = 0.5 * sum_t ||h_t - y_t||^2 with random targets y_t.
    Returns: dict parameter name -> relative_error(bptt, numerical), for
    W_xh, W_hh, b and h0. Used by notebook 06 (and tests).
    """
    rng = np.random.default_rng(seed)
    W_xh, W_hh, b = init_rnn_weights(n_in, units, scale=1.0, seed=seed)
    xs, h0 = rng.normal(size=(T, n_in)), rng.normal(0, 0.5, units)
    ys = rng.uniform(-1, 1, (T, units))
    params = {"W_xh": W_xh, "W_hh": W_hh, "b": b, "h0": h0}

    def loss():
        hs = rnn_forward(xs, params["h0"], params["W_xh"], params["W_hh"], params["b"])
        return 0.5 * np.sum((hs - ys) ** 2)

    hs = rnn_forward(xs, h0, W_xh, W_hh, b)
    grads = rnn_bptt(xs, h0, W_xh, W_hh, b, hs - ys)
    return {k: relative_error(grads[k], numerical_gradient(loss, v, eps)) for k, v in params.items()}


def gradient_norms_over_time(T: int = 50, units: int = 16, scales=(0.5, 1.0, 2.0), seed: int = 0,
                             activation: str = "tanh"):
    """How much of a loss on h_T reaches earlier steps: ||dL/dh_t|| for t = 1..T.

    For each recurrent-weight scale (init_rnn_weights: W_hh entries with std
    scale / sqrt(units), so its spectral radius is about `scale`), a random
    RNN is run on T standard-normal inputs and the loss L = sum(h_T) is
    back-propagated with rnn_bptt. With "tanh" each step back multiplies by
    diag(1 - h_t^2) W_hh^T: saturated units (|h| near 1) shrink the gradient
    even when W_hh alone would not. With "linear" it is W_hh^T alone, so the
    norm shrinks or grows roughly like scale^(T - t).
    Returns: dict scale -> (T,) norms. Used by notebook 06 (vanishing and
    exploding gradients).
    """
    _check_activation_name(activation)
    _check_positive_int(T, "T")
    _check_positive_int(units, "units")
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(T, 1))
    out = {}
    for s in scales:
        W_xh, W_hh, b = init_rnn_weights(1, units, scale=s, seed=seed)
        dL = np.zeros((T, units))
        dL[-1] = 1.0
        out[s] = np.linalg.norm(rnn_bptt(xs, np.zeros(units), W_xh, W_hh, b, dL, activation)["dh"],
                                axis=1)
    return out


def saturation(T: int = 50, units: int = 16, scales=(0.5, 1.0, 2.0), seed: int = 0):
    """How saturated the tanh units of gradient_norms_over_time's RNNs are.

    Same RNNs and inputs as gradient_norms_over_time(T, units, scales, seed).
    Returns: dict scale -> dict(mean_slope = mean of tanh'(a_t) = 1 - h_t^2
    over all steps and units (1 = linear, 0 = flat), frac_saturated =
    fraction of |h_t| > 0.9, radius = spectral radius of W_hh).
    Used by notebook 06 (why scales 1.0 and 2.0 vanish too).
    """
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(T, 1))
    out = {}
    for s in scales:
        W_xh, W_hh, b = init_rnn_weights(1, units, scale=s, seed=seed)
        hs = rnn_forward(xs, np.zeros(units), W_xh, W_hh, b)
        out[s] = dict(mean_slope=float((1 - hs ** 2).mean()), frac_saturated=float((np.abs(hs) > 0.9).mean()),
                      radius=float(np.abs(np.linalg.eigvals(W_hh)).max()))
    return out


def last_state_loss(params, xs, y, activation: str = "tanh"):
    """Loss L = 0.5 ||h_T - y||^2 on the last state of an RNN started at h_0 = 0, and its gradient.

    Args: params dict with W_xh (n_in, units), W_hh (units, units), b (units,);
        xs (T, n_in); y (units,); activation "tanh" or "linear".
    Returns: (L float, grads dict W_xh, W_hh, b) by rnn_bptt. Numbers too
        large for float64 come out as inf without a warning.
    Used by notebook 06 (gradient clipping).
    """
    f, _ = _check_activation_name(activation)
    h0 = np.zeros(np.shape(params["b"]))
    with np.errstate(over="ignore", invalid="ignore"):
        hs = rnn_forward(xs, h0, params["W_xh"], params["W_hh"], params["b"], activation=f)
        dL = np.zeros_like(hs)
        dL[-1] = hs[-1] - np.asarray(y, float)
        loss = float(0.5 * np.sum(dL[-1] ** 2))
        g = rnn_bptt(xs, h0, params["W_xh"], params["W_hh"], params["b"], dL, activation)
    return loss, {k: g[k] for k in ("W_xh", "W_hh", "b")}


def clip_by_global_norm(grads, max_norm: float):
    """Gradient clipping by the global norm (Pascanu et al. 2013; tf.clip_by_global_norm).

    The global norm is sqrt(sum of the squares of every entry of every
    gradient). If it exceeds max_norm, every gradient is multiplied by
    max_norm / norm (same direction, length max_norm); otherwise nothing
    changes. Keras optimizers do this with global_clipnorm=max_norm.
    Args: grads dict name -> array; max_norm > 0.
    Returns: (clipped dict (new arrays), the global norm before clipping).
    Used by notebook 06.
    """
    if isinstance(max_norm, bool) or not np.isscalar(max_norm) or not np.isfinite(max_norm) or max_norm <= 0:
        raise ValueError(f"max_norm must be a positive number, got {max_norm!r}")
    norm = float(np.sqrt(sum(np.sum(np.square(np.asarray(g, float))) for g in grads.values())))
    if not np.isfinite(norm):
        raise ValueError("the gradient contains inf or NaN, so it has no direction to keep; "
                         "clipping cannot repair it: lower the learning rate or clip earlier")
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: np.asarray(g, float) * factor for k, g in grads.items()}, norm


def exploding_example(T: int = 20, units: int = 8, scale: float = 1.1, seed: int = 0):
    """A linear RNN whose last-state loss has an exploding gradient (notebook 06, clipping).

    Returns: (params dict W_xh (1, units), W_hh, b from init_rnn_weights(1,
    units, scale, seed), xs (T, 1) standard-normal inputs, y (units,) a
    standard-normal target), to use with last_state_loss(..., "linear").
    """
    W_xh, W_hh, b = init_rnn_weights(1, units, scale=scale, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return dict(W_xh=W_xh, W_hh=W_hh, b=b), rng.normal(size=(T, 1)), rng.normal(size=units)


# ---------------------------------------------------------------------------
# A hand-built RNN that computes parity exactly (notebook 06)
# ---------------------------------------------------------------------------

def relu(a):
    """Elementwise max(a, 0) (numpy), for rnn_forward(..., activation=relu)."""
    return np.maximum(a, 0.0)


def handbuilt_parity_weights():
    """Hand-set weights of a 2-unit ReLU RNN whose read-out is the running parity.

    With p = p_{t-1} the previous parity and x = x_t the new bit,
        h1 = relu(x + p),   h2 = relu(x + p - 1),   p_t = h1 - 2 h2 = XOR(p, x),
    and p_{t-1} = h1_{t-1} - 2 h2_{t-1} is itself linear in the previous state,
    so a_t = x W_xh + h_{t-1} W_hh + b with
        W_xh = [[1, 1]], W_hh = [[1, 1], [-2, -2]], b = [0, -1],
    and the read-out y_t = h_t W_hy + b_y with W_hy = [[1], [-2]], b_y = [0].
    Start from h_0 = (0, 0) (parity 0). Every value is a small integer, so
    float32 is exact at any length.
    Returns: dict W_xh (1, 2), W_hh (2, 2), b (2,), W_hy (2, 1), b_y (1,), float64.
    Used by notebook 06, the time-step widget and handbuilt_parity_rnn.
    """
    return dict(W_xh=np.array([[1.0, 1.0]]), W_hh=np.array([[1.0, 1.0], [-2.0, -2.0]]),
                b=np.array([0.0, -1.0]), W_hy=np.array([[1.0], [-2.0]]), b_y=np.array([0.0]))


def handbuilt_parity_rnn() -> keras.Model:
    """Keras model: bits (batch, T, 1) -> running parity (batch, T, 1), exact.

    SimpleRNN(2, activation="relu", return_sequences=True) + Dense(1) (linear),
    weights from handbuilt_parity_weights(); nothing is trained.
    Used by notebook 06.
    """
    w = handbuilt_parity_weights()
    bits = keras.Input((None, 1), name="bits")
    rnn = keras.layers.SimpleRNN(2, activation="relu", return_sequences=True, name="rnn")
    readout = keras.layers.Dense(1, name="parity")
    model = keras.Model(bits, readout(rnn(bits)), name="handbuilt_parity_rnn")
    rnn.set_weights([w["W_xh"], w["W_hh"], w["b"]])
    readout.set_weights([w["W_hy"], w["b_y"]])
    return model


def handbuilt_parity_table(bits):
    """Step-by-step trace of the hand-built RNN (numpy) on one bit string.

    Returns: list of rows (t, x_t, h1_t, h2_t, parity_t) for t = 1..T, with
    integer values. Used by notebook 06 (the table of h_t per bit) and the
    time-step widget.
    """
    x = parse_bits(bits)
    w = handbuilt_parity_weights()
    hs = rnn_forward(x, np.zeros(2), w["W_xh"], w["W_hh"], w["b"], activation=relu)
    ys = hs @ w["W_hy"][:, 0] + w["b_y"][0]
    return [(t + 1, int(x[t]), int(hs[t, 0]), int(hs[t, 1]), int(ys[t])) for t in range(len(x))]


# ---------------------------------------------------------------------------
# numpy vs Keras (notebook 06)
# ---------------------------------------------------------------------------

def keras_simple_rnn(W_xh, W_hh, b, activation: str = "tanh", return_sequences: bool = True,
                     return_state: bool = False, masking: bool = False,
                     dtype: str = "float64") -> keras.Model:
    """A keras.layers.SimpleRNN model holding the given weights.

    Input (batch, T, n_in) in `dtype` (with masking=True a Masking(PAD_VALUE)
    layer comes first); output as SimpleRNN gives it: (batch, T, units) with
    return_sequences, else (batch, units); with return_state a list
    [output, final state (batch, units)]. dtype="float64" makes the
    comparison with rnn_forward exact up to rounding (~1e-16).
    Used by notebook 06.
    """
    _check_rnn_args(np.zeros((1, np.shape(W_xh)[0] if np.ndim(W_xh) == 2 else 1)), np.zeros(np.shape(b)[-1:] or (1,)),
                    W_xh, W_hh, b)
    try:
        keras.activations.get(activation)
    except ValueError:
        raise ValueError(f"activation={activation!r} is not a Keras activation; use e.g. 'tanh', 'relu' or 'linear'") from None
    W_xh = np.asarray(W_xh)
    inp = keras.Input((None, W_xh.shape[0]), dtype=dtype, name="xs")
    h = keras.layers.Masking(PAD_VALUE, dtype=dtype)(inp) if masking else inp
    layer = keras.layers.SimpleRNN(W_xh.shape[1], activation=activation, return_sequences=return_sequences,
                                   return_state=return_state, dtype=dtype, name="simple_rnn")
    out = layer(h)
    model = keras.Model(inp, out)
    layer.set_weights([W_xh, np.asarray(W_hh), np.asarray(b)])
    return model


# ---------------------------------------------------------------------------
# Drawings (notebooks 05 and 06)
# ---------------------------------------------------------------------------

def _box(ax, xy, text, color, w=0.8, h=0.5, fontsize=11, alpha=1.0):
    import matplotlib.patches as mpatches
    x, y = xy
    ax.add_patch(mpatches.FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                         fc=color, ec="black", lw=1, alpha=alpha))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, alpha=max(alpha, 0.4))


def _arrow(ax, start, end, color="black", alpha=1.0, **kw):
    import matplotlib.patches as mpatches
    ax.add_patch(mpatches.FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                          color=color, alpha=alpha, lw=1.3, **kw))


def draw_rnn_cycle(ax=None):
    """The folded RNN: x_t -> f_W -> h_t, with a loop feeding h_{t-1} back into f_W.

    Returns: the matplotlib Axes. Used by notebook 06.
    """
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.2))
    _box(ax, (0, 0), "$x_t$", "#cfe8ff")
    _box(ax, (0, 1.2), "$f_W$", "#ffe2b3")
    _box(ax, (0, 2.4), "$h_t$", "#d6f5d6")
    _arrow(ax, (0, 0.3), (0, 0.9))
    _arrow(ax, (0, 1.5), (0, 2.1))
    _arrow(ax, (0.45, 2.4), (0.45, 1.3), connectionstyle="arc3,rad=-1.2", color="tab:red")
    ax.text(1.75, 1.85, "$h_{t-1}$\n(delay)", color="tab:red", fontsize=10, ha="center")
    ax.set_xlim(-1, 2.4)
    ax.set_ylim(-0.5, 2.9)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("an RNN: a graph with a cycle", fontsize=10)
    return ax


def draw_unrolled(T: int = 3, upto: int | None = None, xs=None, hs=None, ax=None):
    """The unrolled graph h_0 -> f_W -> h_1 -> ... -> h_T, every box the same f_W.

    Args:
        T: number of steps drawn (1..12).
        upto: highlight the computation up to step upto (0..T); later steps
            are faded. None highlights everything.
        xs: optional (T,) values written under x_t; hs: optional (T, units)
            hidden states written above h_t (rounded to 2 decimals).
    Returns: the matplotlib Axes. Used by notebook 06 and its time-step widget.
    """
    import matplotlib.pyplot as plt
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or not 1 <= T <= 12:
        raise ValueError(f"T must be an integer from 1 to 12 (a readable drawing), got {T!r}")
    current = upto
    upto = T if upto is None else int(upto)
    if not 0 <= upto <= T:
        raise ValueError(f"upto must be between 0 and T={T}, got {upto}")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * T + 1.5, 3.2))
    _box(ax, (0, 2.4), "$h_0$", "#d6f5d6", w=0.6)
    for t in range(1, T + 1):
        on = t <= upto
        a = 1.0 if on else 0.25
        _box(ax, (1.3 * t, 0), f"$x_{{{t}}}$" + (f"={xs[t - 1]:g}" if xs is not None else ""),
             "#cfe8ff", w=0.9, alpha=a)
        _box(ax, (1.3 * t, 1.2), "$f_W$", "#ffb347" if t == current else "#ffe2b3", alpha=a)
        _box(ax, (1.3 * t, 2.4), f"$h_{{{t}}}$", "#d6f5d6", w=0.6, alpha=a)
        _arrow(ax, (1.3 * t, 0.3), (1.3 * t, 0.9), alpha=a)
        _arrow(ax, (1.3 * t, 1.5), (1.3 * t, 2.1), alpha=a)
        _arrow(ax, (1.3 * (t - 1) + 0.3, 2.3), (1.3 * t - 0.45, 1.3), color="tab:red", alpha=a)
        if hs is not None and on:
            vals = ", ".join(f"{v:.2g}" for v in np.atleast_1d(hs[t - 1])[:3])
            ax.text(1.3 * t, 2.85, f"({vals})", ha="center", fontsize=8, alpha=a)
    ax.text(1.3 * (T + 1) / 2, -0.75, "the same weights W in every $f_W$ box", ha="center", fontsize=9)
    ax.set_xlim(-0.6, 1.3 * T + 0.7)
    ax.set_ylim(-1.0, 3.1)
    ax.axis("off")
    title = "unrolled over time" if upto == T else f"unrolled: computed up to t = {upto}"
    ax.set_title(title, fontsize=10)
    return ax


def plot_running_parity(bits, probs=None, ax=None, label="model P(odd)"):
    """Bits, their running parity (steps) and optionally a model's P(odd) per step.

    Args: bits as accepted by parse_bits; probs (T,) or None.
    Returns: the matplotlib Axes. Used by notebooks 05 and 06.
    """
    import matplotlib.pyplot as plt
    x = parse_bits(bits)
    t = np.arange(1, len(x) + 1)
    if probs is not None:
        probs = np.asarray(probs, dtype=float)
        if probs.shape != x.shape:
            raise ValueError(f"probs must have one value per bit: shape ({len(x)},), got {probs.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.6))
    ax.step(t, running_parity(x), where="mid", color="black", lw=2, label="running parity (truth)")
    ax.scatter(t[x == 1], np.full((x == 1).sum(), -0.15), marker="|", color="tab:blue", s=60,
               label="a 1 in the string")
    if probs is not None:
        ax.plot(t, probs, "o-", ms=3, color="tab:orange", label=label)
    ax.set_ylim(-0.3, 1.7)
    ax.set_yticks([0, 0.5, 1])
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # t counts bits: no 2.5
    ax.set_xlabel("t (bits read so far)")
    ax.legend(loc="upper right", fontsize=8, ncol=3)
    return ax
