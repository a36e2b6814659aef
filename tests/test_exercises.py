"""Exercise checks (helpers/exercises/), their units, the notebooks' exercise cells and solutions (solutions/).

Every check must: say "correct" for the reference solution, "not attempted
yet" for None / the unchanged stub, and for typical wrong answers say
"not yet" with the hint that names the mistake - and never raise. The
truths behind the checks are compared with references computed another way:
a tiny hand-made convnet whose answers are known by construction, the
Dense weights of ShapesNet (Grad-CAM of a GAP + Dense head), Keras itself.
"""
import dataclasses
import glob
import importlib.util
import inspect
import os
import signal
import threading
import time
import types

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf

from helpers import exercises as E
from helpers.exercises import _core
from helpers.exercises._core import Mistake, _Wrong, reject_known
from helpers.models import load_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _solutions(key):
    spec = importlib.util.spec_from_file_location(f"solutions_ex{key}", os.path.join(ROOT, "solutions", f"ex{key}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


S = {key: _solutions(key) for key in ("01", "02", "03", "04", "05", "06")}


@pytest.fixture(scope="module")
def card():
    return load_model("shapesnet", verbose=False)


@pytest.fixture(scope="module")
def data(card):
    return E.gradcam_data(card)


def run(capsys, check, *args):
    """(returned value, printed text) of one check; a check must never raise."""
    result = check(*args)
    return result, capsys.readouterr().out


def assert_correct(capsys, check, *args):
    result, out = run(capsys, check, *args)
    assert result is True and ": correct" in out, out


def assert_not_attempted(capsys, check, *args):
    result, out = run(capsys, check, *args)
    assert result is None and "not attempted yet" in out, out


def assert_wrong(capsys, check, *args, says):
    result, out = run(capsys, check, *args)
    assert result is False and ": not yet" in out and ": correct" not in out, out
    assert says.lower() in out.lower(), f"expected {says!r} in:\n{out}"


def stub(*args):
    return None


# ------------------------------------------------------------ tiny model ----

def tiny_card():
    """A hand-made 8x8 convnet whose answers are known by construction.

    block1_conv1 (4 filters): 0 = bias only, 1 = green centre pixel, 2 = blue centre
    pixel, 3 = grey vertical edge (dark left, bright right), exactly the template.
    block2_conv1 has 5 filters on 4 input channels.
    """
    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="block1_conv1")(inp)
    x = keras.layers.MaxPooling2D(name="block1_pool")(x)
    x = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="block2_conv1")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(3, name="logits")(x)
    model = keras.Model(inp, keras.layers.Activation("softmax", name="predictions")(x))
    k = np.zeros((3, 3, 3, 4), np.float32)
    k[1, 1, 1, 1] = 1.0
    k[1, 1, 2, 2] = 1.0
    k[:, :, :, 3] = np.array([-1.0, 0.0, 1.0])[None, :, None] / 3.0
    model.get_layer("block1_conv1").set_weights([k, np.array([0.1, 0, 0, 0], np.float32)])
    return types.SimpleNamespace(model=model, name="tiny", input_size=(8, 8), preprocess=lambda im: im,
                                 last_conv_layer="block2_conv1", filter_layers=["block1_conv1", "block2_conv1"])


@pytest.fixture(scope="module")
def tiny():
    return tiny_card()


# ---------------------------------------------------------------- registry ----

def test_units_are_numbered_once_and_agree_with_EXERCISES():
    units = E.units()
    assert list(units) == list(E.EXERCISES)
    assert len({u.number for u in units.values()}) == len(units)
    for name, unit in units.items():
        assert unit.name == name and E.EXERCISES[name] == (unit.number, unit.notebook)
        assert unit.check is getattr(E, f"check_{name}") and unit.check.exercise == name
        assert unit.level in ("easy", "medium", "harder") and unit.title
    notebooks = list(dict.fromkeys(u.notebook for u in units.values()))
    assert notebooks == ["01", "02", "03", "04", "05", "06"]
    for key in notebooks:        # numbers run 1..n in each notebook, in registration order
        numbers = [u.number for u in units.values() if u.notebook == key]
        assert numbers == [f"{int(key)}.{i}" for i in range(1, len(numbers) + 1)], key
        assert 2 <= len(numbers) <= 4, key


def test_every_unit_has_a_reference_solution_and_its_solve_line():
    for name, unit in E.units().items():
        assert callable(getattr(S[unit.notebook], name)), f"solutions/ex{unit.notebook}.py lacks {name}"
        params = inspect.signature(unit.check).parameters
        if unit.solve is None:          # function exercises: the check's first argument is the function
            assert next(iter(params)) == "fn", name
        else:                           # value exercises: the solution's value becomes the answer
            assert next(iter(params)) == "answer" and unit.solve.startswith(f"answer = {name}("), name


def _exercise_cells(nb, role):
    """name -> source of the notebook's exercise cells with this role (read from their metadata)."""
    return {c.metadata["exercise"]["name"]: c.source for c in nb.cells
            if "exercise" in c.metadata.get("tags", []) and c.metadata.get("exercise", {}).get("role") == role}


def test_stored_notebooks_have_every_exercise_of_their_units():
    for path in sorted(glob.glob(os.path.join(ROOT, "notebooks", "0[1-6]_*.ipynb"))):
        nb = nbformat.read(path, as_version=4)
        starters = _exercise_cells(nb, "starter")
        if not starters:
            continue
        key = os.path.basename(path)[:2]
        units = [u for u in E.units().values() if u.notebook == key]
        assert list(starters) == [u.name for u in units], path      # all of them, in order
        assert all("None" in source for source in starters.values()), path   # no solutions stored
        statements, checks = _exercise_cells(nb, "statement"), _exercise_cells(nb, "check")
        for unit in units:
            assert statements[unit.name].splitlines()[0] == unit.heading, (path, unit.name)
            assert f"exercises.check_{unit.name}(" in checks[unit.name], (path, unit.name)
        if "before_softmax" in statements:          # the choices the check grades are the ones the student reads
            for letter, text in E.SOFTMAX_CHOICES.items():
                assert f"* **({letter})** {text}" in statements["before_softmax"], (path, letter)


def test_reject_known_raises_the_first_matching_mistake_and_passes_the_rest():
    mistakes = [Mistake(3, "three", "hint 3"), Mistake(lambda g: g > 10, "large"),
                Mistake(lambda g: g % 2 == 0, "even", "hint even"), Mistake(12, "twelve")]
    for got, what, hint in ((3, "three", "hint 3"), (12, "large", ""), (4, "even", "hint even")):
        with pytest.raises(_Wrong) as info:
            reject_known(got, mistakes)
        assert (info.value.what, info.value.hint) == (what, hint)
    assert reject_known(5, mistakes) is None and reject_known(7, []) is None
    with pytest.raises(_Wrong, match="three"):                      # values compared by the given rule
        reject_known(3.0004, mistakes, same=lambda a, b: abs(a - b) < 1e-3)
    assert reject_known(3.0004, mistakes[:1], same=lambda a, b: abs(a - b) < 1e-6) is None


def test_results_records_every_verdict(capsys):
    E.reset_results()
    E.check_window_3_of_10(None)
    E.check_window_3_of_10(0.9)
    E.check_rnn_params(96)
    capsys.readouterr()
    assert E.results() == {"window_3_of_10": "not yet", "rnn_params": "correct"}


# ------------------------------------------------- nothing ever raises ----

def _checks_with_args(card, data):
    """(check, extra args) for every exercise."""
    extra = {"layer_shape": (card,), "blue_channel": (card,), "kernel_size": (card,), "vertical_edge": (card,),
             "conv_response": (card,), "gradcam_weights": (data,), "gradcam_map": (data, card),
             "runner_up_weights": (card, data["image"])}
    return [(getattr(E, f"check_{name}"), extra.get(name, ())) for name in E.EXERCISES]


def test_none_and_stubs_say_not_attempted(capsys, card, data):
    for check, extra in _checks_with_args(card, data):
        assert_not_attempted(capsys, check, None, *extra)
        if check.exercise in ("strongest_channels", "conv_response", "l2_decay", "total_variation",
                              "running_parity", "window_accuracy"):
            assert_not_attempted(capsys, check, stub, *extra)
    starter = dict(W_xh=None, W_hh=None, b=None, W_hy=None, b_y=0.0)     # the unchanged 6.3 starter
    assert_not_attempted(capsys, E.check_threshold_parity, starter)


def test_nonsense_answers_and_crashing_functions_never_raise(capsys, card, data):
    def crash(*args):
        raise ZeroDivisionError("boom")

    for check, extra in _checks_with_args(card, data):
        for bad in ("a string", [1, "x"], {"a": 1}, crash, np.full(3, np.nan)):
            result, out = run(capsys, check, bad, *extra)
            assert result is False and ": not yet" in out, (check.exercise, bad, out)
    assert "ZeroDivisionError: boom" in run(capsys, E.check_running_parity, crash)[1]


# ---------------------------------------------------------------- 01 ----

def test_layer_shape(capsys, tiny, card):
    assert_correct(capsys, E.check_layer_shape, (4, 4, 5), tiny)               # by construction
    assert_correct(capsys, E.check_layer_shape, S["01"].layer_shape(card), card)
    assert_wrong(capsys, E.check_layer_shape, (1, 4, 4, 5), tiny, says="batch axis")
    assert_wrong(capsys, E.check_layer_shape, (5, 4, 4), tiny, says="channels last")
    assert_wrong(capsys, E.check_layer_shape, (8, 8, 5), tiny, says="halves")
    assert_wrong(capsys, E.check_layer_shape, (4, 4, 4), tiny, says="count the filters")


def test_blue_channel(capsys, tiny, card):
    assert_correct(capsys, E.check_blue_channel, 2, tiny)                      # the blue centre-pixel filter
    assert_correct(capsys, E.check_blue_channel, S["01"].blue_channel(card), card)
    assert_wrong(capsys, E.check_blue_channel, 3, tiny, says="red")            # red: only the edge filter fires
    assert_wrong(capsys, E.check_blue_channel, 7, tiny, says="has 4 channels")
    assert_wrong(capsys, E.check_blue_channel, 2.5, tiny, says="channel index")


def test_blue_channel_truth_matches_a_numpy_convolution(capsys, card):
    """ShapesNet: Rescaling then block1_conv1 ('same' zero padding), computed by hand in numpy."""
    model = card.model
    kernel, bias = model.get_layer("block1_conv1").get_weights()
    resc = model.get_layer("rescaling")
    blue = np.zeros((66, 66, 3))
    blue[1:-1, 1:-1] = np.array([0, 0, 255.0]) * resc.scale + resc.offset     # zero padding outside
    out = np.zeros((64, 64, kernel.shape[-1]))
    for i in range(3):
        for j in range(3):
            out += np.einsum("hwc,cf->hwf", blue[i:i + 64, j:j + 64], kernel[i, j])
    means = np.maximum(out + bias, 0).mean(axis=(0, 1))
    assert int(np.argmax(means)) != 0                                          # not the placeholder guess
    assert_correct(capsys, E.check_blue_channel, int(np.argmax(means)), card)
    assert_wrong(capsys, E.check_blue_channel, int(np.argmin(means)), card, says="smallest")


def test_strongest_channels(capsys):
    assert_correct(capsys, E.check_strongest_channels, S["01"].strongest_channels)
    assert_correct(capsys, E.check_strongest_channels, lambda a, k: list(np.argsort(a.mean(axis=(0, 1)))[::-1][:k]))
    assert_wrong(capsys, E.check_strongest_channels, lambda a, k: np.argsort(a.mean(axis=(0, 1)))[:k],
                 says="strongest first")
    assert_wrong(capsys, E.check_strongest_channels, lambda a, k: np.argsort(-a.max(axis=(0, 1)))[:k],
                 says="maximum")
    assert_wrong(capsys, E.check_strongest_channels, lambda a, k: np.sort(a.mean(axis=(0, 1)))[::-1][:k],
                 says="not channel indices")
    assert_wrong(capsys, E.check_strongest_channels, lambda a, k: np.argsort(-a.mean(axis=-1).ravel())[:k],
                 says="")


# ---------------------------------------------------------------- 02 ----

def test_kernel_size(capsys, tiny, card):
    assert_correct(capsys, E.check_kernel_size, 3 * 3 * 4, tiny)
    assert_correct(capsys, E.check_kernel_size, S["02"].kernel_size(card), card)
    assert_wrong(capsys, E.check_kernel_size, 27, tiny, says="RGB")
    assert_wrong(capsys, E.check_kernel_size, 37, tiny, says="bias")
    assert_wrong(capsys, E.check_kernel_size, 36 * 5, tiny, says="whole layer")


def test_vertical_edge(capsys, tiny, card):
    assert_correct(capsys, E.check_vertical_edge, 3, tiny)                     # by construction
    assert_correct(capsys, E.check_vertical_edge, S["02"].vertical_edge(card), card)
    kernels = card.model.get_layer("block1_conv1").get_weights()[0]
    grey = kernels.sum(axis=2).reshape(9, -1)
    horizontal = np.tile([-1.0, 0.0, 1.0], (3, 1)).T.ravel()
    cos_h = horizontal @ grey / np.linalg.norm(grey, axis=0)
    vertical = np.tile([-1.0, 0.0, 1.0], (3, 1)).ravel()
    cos_v = vertical @ grey / np.linalg.norm(grey, axis=0)
    assert int(np.argmax(cos_h)) != int(np.argmax(cos_v))
    assert_wrong(capsys, E.check_vertical_edge, int(np.argmax(cos_h)), card, says="horizontal")
    assert_wrong(capsys, E.check_vertical_edge, int(np.argmin(cos_v)), card, says="argmin")


def test_conv_response(capsys, card):
    sol = S["02"].conv_response
    assert_correct(capsys, E.check_conv_response, sol, card)
    assert_wrong(capsys, E.check_conv_response, lambda x, k, b: sol(x, k[::-1, ::-1], b), card, says="flip")
    assert_wrong(capsys, E.check_conv_response,
                 lambda x, k, b: sol(x, k, b + 1e6) - 1e6, card, says="ReLU")           # forgot the ReLU
    assert_wrong(capsys, E.check_conv_response, lambda x, k, b: sol(x, k, 0.0), card, says="bias")
    assert_wrong(capsys, E.check_conv_response, lambda x, k, b: np.zeros(x.shape[:2]), card, says="window fits")


# ---------------------------------------------------------------- 03 ----

def test_l2_decay(capsys):
    assert_correct(capsys, E.check_l2_decay, S["03"].l2_decay)

    def in_place(x, decay):
        x *= 1 - decay
        return x

    assert_wrong(capsys, E.check_l2_decay, in_place, says="in place")
    assert_wrong(capsys, E.check_l2_decay, lambda x, d: x * d, says="removed")
    assert_wrong(capsys, E.check_l2_decay, lambda x, d: x - d, says="multiplicative")


def test_decay_half_life(capsys):
    from helpers.maximize import regularizers

    answer = S["03"].decay_half_life()
    assert abs((1 - answer.l2_decay) ** 100 - 0.5) < 1e-9
    assert_correct(capsys, E.check_decay_half_life, answer)
    assert_correct(capsys, E.check_decay_half_life, regularizers("yosinski3", l2_decay=0.0069))
    assert_wrong(capsys, E.check_decay_half_life, regularizers("yosinski3", l2_decay=0.005), says="compounds")
    assert_wrong(capsys, E.check_decay_half_life, regularizers(None, l2_decay=answer.l2_decay), says="preset")
    assert_wrong(capsys, E.check_decay_half_life, answer.l2_decay, says="plug it into the engine")


def test_total_variation(capsys):
    assert_correct(capsys, E.check_total_variation, S["03"].total_variation)
    assert_wrong(capsys, E.check_total_variation,
                 lambda im: float((np.diff(im, axis=0) ** 2).sum() + (np.diff(im, axis=1) ** 2).sum()),
                 says="absolute")
    assert_wrong(capsys, E.check_total_variation,
                 lambda im: float(np.abs(im - np.roll(im, 1, 0)).sum() + np.abs(im - np.roll(im, 1, 1)).sum()),
                 says="wraps around")
    assert_wrong(capsys, E.check_total_variation, lambda im: float(np.abs(np.diff(im, axis=0)).sum()),
                 says="only the differences between vertical")


# ---------------------------------------------------------------- 04 ----

def test_gradcam_data_matches_the_dense_weights(card, data):
    """ShapesNet is conv -> GAP -> Dense: dy^c/dA_ij^k = W[k, c] / (h w) at every position."""
    h, w, _ = data["A"].shape
    W = card.model.get_layer("logits").get_weights()[0]
    expected = np.broadcast_to(W[:, data["class_id"]] / (h * w), data["grads"].shape)
    np.testing.assert_allclose(data["grads"], expected, rtol=1e-5, atol=1e-9)
    assert data["class_id"] == int(np.argmax(card.predict(data["image"])[0]))


def test_gradcam_weights(capsys, card, data):
    h, w, _ = data["A"].shape
    W = card.model.get_layer("logits").get_weights()[0]
    assert_correct(capsys, E.check_gradcam_weights, W[:, data["class_id"]] / (h * w), data)
    assert_correct(capsys, E.check_gradcam_weights, S["04"].gradcam_weights(data), data)
    assert_wrong(capsys, E.check_gradcam_weights, data["grads"].sum(axis=(0, 1)), data, says="divide by z")
    assert_wrong(capsys, E.check_gradcam_weights, data["A"].mean(axis=(0, 1)), data, says="not the activations")
    assert_wrong(capsys, E.check_gradcam_weights, data["grads"].mean(axis=-1), data, says="over the channels")
    assert_wrong(capsys, E.check_gradcam_weights, np.abs(data["grads"]).mean(axis=(0, 1)), data, says="sign")


def test_gradcam_map(capsys, card, data):
    A = data["A"]
    W = card.model.get_layer("logits").get_weights()[0][:, data["class_id"]]
    cam_map = np.maximum(A @ W, 0)                      # CAM: same map up to a positive factor
    assert_correct(capsys, E.check_gradcam_map, cam_map / cam_map.max(), data, card)
    assert_correct(capsys, E.check_gradcam_map, S["04"].gradcam_map(data), data, card)
    raw = A @ W
    assert raw.min() < 0                                # so that forgetting the ReLU shows
    assert_wrong(capsys, E.check_gradcam_map, raw / raw.max(), data, card, says="ReLU")
    assert_wrong(capsys, E.check_gradcam_map, cam_map / 64, data, card, says="not normalised")
    assert_wrong(capsys, E.check_gradcam_map, cam_map[None] / cam_map.max(), data, card, says="batch axis")


def test_before_softmax(capsys):
    assert_correct(capsys, E.check_before_softmax, S["04"].before_softmax())
    assert_correct(capsys, E.check_before_softmax, " (B) ")
    assert_wrong(capsys, E.check_before_softmax, "a", says="smooth")
    assert_wrong(capsys, E.check_before_softmax, "c", says="can be negative")
    assert_wrong(capsys, E.check_before_softmax, "e", says="one letter")


def test_runner_up_weights(capsys, card, data):
    image = data["image"]
    probs = card.predict(image)[0]
    first, second = np.argsort(-probs)[:2]
    W = card.model.get_layer("logits").get_weights()[0]
    hw = data["A"].shape[0] * data["A"].shape[1]
    assert_correct(capsys, E.check_runner_up_weights, W[:, second] / hw, card, image)
    assert_correct(capsys, E.check_runner_up_weights, S["04"].runner_up_weights(card, image), card, image)
    # Grad-CAM after the softmax: differentiate the probability instead of the score
    grad_model = keras.Model(card.model.input, [card.model.get_layer(card.last_conv_layer).output, card.model.output])
    with tf.GradientTape() as tape:
        A, p = grad_model(image[None])
        y = p[:, int(second)]
    after = tape.gradient(y, A)[0].numpy().mean(axis=(0, 1))
    assert_wrong(capsys, E.check_runner_up_weights, after, card, image, says="after the softmax")
    assert_wrong(capsys, E.check_runner_up_weights, W[:, first] / hw, card, image, says="top class")
    assert_wrong(capsys, E.check_runner_up_weights, W[:, second], card, image, says="sums")


# ---------------------------------------------------------------- 05 ----

def test_window_3_of_10(capsys):
    assert_correct(capsys, E.check_window_3_of_10, S["05"].window_3_of_10())
    assert_wrong(capsys, E.check_window_3_of_10, 1.0, says="sees 3 of 10")
    assert_wrong(capsys, E.check_window_3_of_10, 0.875, says="first bit differs")
    assert_wrong(capsys, E.check_window_3_of_10, 50, says="percentage")


def test_running_parity(capsys):
    assert_correct(capsys, E.check_running_parity, S["05"].running_parity)
    assert_correct(capsys, E.check_running_parity, lambda b: np.bitwise_xor.accumulate(b))
    assert_wrong(capsys, E.check_running_parity, lambda b: np.cumsum(b), says="modulo 2")
    assert_wrong(capsys, E.check_running_parity, lambda b: np.concatenate([[0], np.cumsum(b)[:-1] % 2]),
                 says="p_1 = x_1")                                       # off by one
    assert_wrong(capsys, E.check_running_parity, lambda b: int(b.sum() % 2), says="every")
    assert_wrong(capsys, E.check_running_parity, lambda b: 1 - np.cumsum(b) % 2, says="odd")


def test_window_accuracy(capsys):
    import itertools

    sol = S["05"].window_accuracy
    assert_correct(capsys, E.check_window_accuracy, sol)

    def table(n, k, window):
        counts = {}
        for bits in itertools.product((0, 1), repeat=n):
            counts.setdefault(window(bits, k), [0, 0])[sum(bits) % 2] += 1
        return sum(max(c) for c in counts.values()) / 2 ** n

    assert_wrong(capsys, E.check_window_accuracy, lambda n, k: table(n, k, lambda b, k: b[-k:]),
                 says="bits[-0:]")                                        # the k = 0 slice trap
    assert_wrong(capsys, E.check_window_accuracy, lambda n, k: table(n, k, lambda b, k: b[max(0, n - k - 1):]),
                 says="one bit too many")                                 # off-by-one windows
    assert_wrong(capsys, E.check_window_accuracy, lambda n, k: table(n, k, lambda b, k: b[n - k + 1:]),
                 says="one bit too few")
    assert_wrong(capsys, E.check_window_accuracy, lambda n, k: table(n, k, lambda b, k: b[n - k:]) * 2 ** n,
                 says="above 1")


# ---------------------------------------------------------------- 06 ----

def test_rnn_params(capsys):
    assert_correct(capsys, E.check_rnn_params, S["06"].rnn_params())
    assert_correct(capsys, E.check_rnn_params, 3 * 8 + 8 * 8 + 8)
    assert_wrong(capsys, E.check_rnn_params, 3 * 8 + 8 * 8, says="bias")
    assert_wrong(capsys, E.check_rnn_params, 3 * 8 + 8, says="recurrent")
    assert_wrong(capsys, E.check_rnn_params, 96 * 10, says="shared")


def test_h2_by_hand(capsys):
    h1 = np.tanh(1 * 0.5 + 0 * -1.0 + 0.1)
    h2 = np.tanh(2 * 0.5 + h1 * -1.0 + 0.1)                    # by hand
    assert_correct(capsys, E.check_h2_by_hand, S["06"].h2_by_hand())
    assert_correct(capsys, E.check_h2_by_hand, round(float(h2), 4))
    assert_wrong(capsys, E.check_h2_by_hand, h1, says="that is h_1")
    assert_wrong(capsys, E.check_h2_by_hand, np.tanh(2 * 0.5 + 0.6 * -1.0 + 0.1), says="without the tanh")
    assert_wrong(capsys, E.check_h2_by_hand, np.tanh(2 * 0.5 + 0.1), says="recurrent term")


def test_threshold_parity(capsys):
    sol = S["06"].threshold_parity()
    assert_correct(capsys, E.check_threshold_parity, sol)
    other = dict(W_xh=[[1, 1]], W_hh=[[1, 1], [-1, -1]], b=[0, -1], W_hy=[[1], [-1]])   # z > 0 thresholds
    assert_correct(capsys, E.check_threshold_parity, other)
    relu_weights = dict(W_xh=[[1, 1]], W_hh=[[1, 1], [-2, -2]], b=[0, -1], W_hy=[1, -2], b_y=0)
    assert_wrong(capsys, E.check_threshold_parity, relu_weights, says="XOR = OR - AND")    # notebook's ReLU net
    no_feedback = dict(sol, W_hh=np.zeros((2, 2)))                                            # no memory
    assert_wrong(capsys, E.check_threshold_parity, no_feedback, says="after the bits 10 the read-out is 0")
    assert_wrong(capsys, E.check_threshold_parity, dict(sol, W_hh=np.eye(3)), says="do not fit")


def test_the_layer_exercises_work_on_efficientnet_lite0_too(capsys):
    """EfficientNet-Lite0 has no block2_conv1: exercises 1.1-2.3 use the card's filter_layers / first conv.

    The truths come from the layers themselves: (56, 56, 24) and 1 x 1 x 144 for the second stage's
    projection, read off the Keras layers here, not from the checks.
    """
    eff = load_model("efficientnet_lite0", verbose=False)
    layer = eff.model.get_layer(eff.filter_layers[1])
    assert tuple(layer.output.shape[1:]) == (56, 56, 24) and layer.get_weights()[0].shape[:3] == (1, 1, 144)
    assert E.check_layer_shape((56, 56, 24), eff) is True
    assert E.check_layer_shape((112, 112, 24), eff) is False and "downsamples" in capsys.readouterr().out
    assert E.check_kernel_size(144, eff) is True
    assert E.check_kernel_size(3, eff) is False and "counts RGB inputs" in capsys.readouterr().out
    for name in ("blue_channel", "vertical_edge"):
        assert getattr(E, f"check_{name}")(getattr(S[E.EXERCISES[name][1]], name)(eff), eff) is True, name
    assert E.check_conv_response(S["02"].conv_response, eff) is True
    dead = int(np.flatnonzero((eff.model.get_layer("stem_conv").get_weights()[0] ** 2).sum(axis=(0, 1, 2)) == 0)[0])
    assert E.check_vertical_edge(dead, eff) is False and "0/0 = NaN" in capsys.readouterr().out


# ------------------------------------ non-finite and non-integer answers ----

VALUE_EXERCISES = [name for name, unit in E.units().items() if unit.solve is not None]
FUNCTION_EXERCISES = [name for name, unit in E.units().items() if unit.solve is None]
NON_FINITE = (np.nan, np.inf, -np.inf)


def _solution(name, card, data):
    """The reference answer of a value exercise, by running its solve line."""
    unit = E.units()[name]
    namespace = {"card": card, "ex_data": data, name: getattr(S[unit.notebook], name)}
    exec(unit.solve, namespace)
    return namespace["answer"]


def _extra(name, card, data):
    return dict((check.exercise, extra) for check, extra in _checks_with_args(card, data))[name]


def test_threshold_parity_refuses_nan_and_inf_weights(capsys):
    one_unit = dict(W_xh=[[1.0]], W_hh=[[0.0]], b=[0.0], W_hy=[np.nan])      # a NaN read-out "never differs"
    assert_wrong(capsys, E.check_threshold_parity, one_unit, says="W_hy contains NaN or infinite values (nan")
    sol = S["06"].threshold_parity()
    for name in ("W_xh", "W_hh", "b", "W_hy"):
        for bad in NON_FINITE:
            weights = dict(sol, **{name: np.array(sol[name], np.float64)})
            weights[name].flat[-1] = bad
            assert_wrong(capsys, E.check_threshold_parity, weights, says=f"{name} contains NaN or infinite values")
    assert_wrong(capsys, E.check_threshold_parity, dict(sol, W_hy=[np.nan, np.nan]), says="W_hy contains")
    assert_wrong(capsys, E.check_threshold_parity, dict(sol, b_y=np.inf), says="b_y is inf, not a finite number")
    huge = dict(sol, W_hy=[1e308, 1e308], b_y=-1e308)                    # finite, but the read-out overflows
    assert_wrong(capsys, E.check_threshold_parity, huge, says="read-out is")
    assert_correct(capsys, E.check_threshold_parity, sol)


def test_layer_shape_must_be_integers(capsys, tiny):
    assert_correct(capsys, E.check_layer_shape, (4, 4, 5), tiny)
    assert_correct(capsys, E.check_layer_shape, (4.0, 4, np.float32(5.0)), tiny)        # exact integers stay fine
    assert_correct(capsys, E.check_layer_shape, np.array([4.0, 4.0, 5.0]), tiny)
    assert_correct(capsys, E.check_layer_shape, tf.TensorShape([4, 4, 5]), tiny)
    for bad, says in (((4, 4, 5.5), "5.5 is not a whole number"), ((4.5, 4, 5), "4.5 is not a whole number"),
                      ([4, 4, 5.000001], "is not a whole number"), (np.array([4.0, 4.0, 5.25]), "5.25 is not"),
                      ((4, 4, np.nan), "nan is not a finite number"), ((4, np.inf, 5), "inf is not a finite"),
                      (("4", "4", "5"), "'4' is a str"), ((True, 4, 5), "True is a bool")):
        assert_wrong(capsys, E.check_layer_shape, bad, tiny, says="the shape must be integers (h, w, C): ")
        assert_wrong(capsys, E.check_layer_shape, bad, tiny, says=says)
    assert_wrong(capsys, E.check_layer_shape, (None, 4, 4, 5), tiny, says="a tuple of three integers")


def test_value_exercises_refuse_nan_and_inf(capsys, card, data):
    for name in VALUE_EXERCISES:
        check, extra = getattr(E, f"check_{name}"), _extra(name, card, data)
        right = _solution(name, card, data)
        for bad in NON_FINITE:
            if name == "layer_shape":
                answer, says = (*right[:2], bad), "the shape must be integers (h, w, C): "
            elif name == "decay_half_life":       # a Regularizers cannot be built with NaN; forced past it
                answer, says = dataclasses.replace(right), "its l2_decay is "
                object.__setattr__(answer, "l2_decay", bad)
            elif name == "threshold_parity":
                answer, says = dict(right, b=[0.5, bad]), "b contains NaN or infinite values"
            elif name == "before_softmax":
                answer, says = bad, "one letter"
            elif np.ndim(right):                 # the Grad-CAM arrays
                answer = np.array(right, np.float64)
                answer.flat[answer.size // 2] = bad
                says = f"the answer contains NaN or infinite values ({bad} at index "
            else:                                 # one number, int or float
                answer, says = bad, "not a finite number"
            for given in ((answer,) if not np.isscalar(answer) else (answer, np.float32(answer), np.array([answer]))):
                result, out = run(capsys, check, given, *extra)
                assert result is False and ": not yet" in out and says in out, (name, given, out)
                if np.isscalar(answer) and name != "before_softmax":
                    assert "Hint: look for a division by zero" in out, (name, out)
        assert_correct(capsys, check, right, *extra)


def test_integer_exercises_refuse_fractions_but_take_exact_floats(capsys, card, data):
    for name in ("kernel_size", "blue_channel", "vertical_edge", "rnn_params"):
        check, extra = getattr(E, f"check_{name}"), _extra(name, card, data)
        right = _solution(name, card, data)
        for bad in (right + 0.5, right + 0.001, right - 0.25, np.float32(right + 0.5), np.array([right + 0.5])):
            assert_wrong(capsys, check, bad, *extra, says="is not a whole number")
        for exact in (float(right), np.float64(right), np.array(right), np.array([float(right)])):
            assert_correct(capsys, check, exact, *extra)
        assert_wrong(capsys, check, np.array([True]), *extra, says="")
    assert_wrong(capsys, E.check_window_3_of_10, 10 ** 400, says="an integer of 401 digits")


def _corrupt(value, rng, integers):
    """A wrong-kind variant of a right answer: NaN / inf somewhere, or a fraction where integers belong."""
    bad = rng.choice([np.nan, np.inf, -np.inf] + ([rng.uniform(0.01, 0.99)] if integers else []))
    if isinstance(value, dict):
        out = {k: np.array(v, np.float64) if v is not None else None for k, v in value.items()}
        key = rng.choice([k for k in ("W_xh", "W_hh", "b", "W_hy") if out[k].size])
        out[key].flat[rng.integers(out[key].size)] = bad
        return out
    if np.ndim(value) == 0:
        number = bad if not np.isfinite(bad) else float(value) + bad
        return [number, np.float64(number), np.array([number]), np.float32(number)][rng.integers(4)]
    arr = np.array(value, np.float64)
    i = rng.integers(arr.size)
    arr.flat[i] = bad if not np.isfinite(bad) else arr.flat[i] + bad
    return [arr, arr.tolist(), tuple(arr.ravel().tolist())][rng.integers(3)] if arr.ndim == 1 else arr


def test_random_wrong_kind_answers_never_pass_and_never_raise(capsys, card, data):
    """Property (a seeded random search; Hypothesis is not installed): NaN, inf or a fraction in a right
    answer - a value, or what a right function returns - is never graded correct, and no check raises."""
    rng = np.random.default_rng(20240601)
    integers = {"layer_shape", "kernel_size", "blue_channel", "vertical_edge", "rnn_params"}
    for name in VALUE_EXERCISES:
        if name in ("decay_half_life", "before_softmax"):
            continue                                           # no numbers to spoil (tested above)
        check, extra = getattr(E, f"check_{name}"), _extra(name, card, data)
        right = _solution(name, card, data)
        for _ in range(6):
            answer = _corrupt(right, rng, name in integers)
            result, out = run(capsys, check, answer, *extra)
            assert result is False and "could not be run" not in out, (name, answer, out)
    for name in FUNCTION_EXERCISES:
        check, extra = getattr(E, f"check_{name}"), _extra(name, card, data)
        sol = getattr(S[E.units()[name].notebook], name)
        for _ in range(4):
            spoil = np.random.default_rng(rng.integers(1 << 30))

            def spoiled(*args, sol=sol, spoil=spoil, name=name):
                return _corrupt(sol(*args), spoil, name in ("strongest_channels", "running_parity"))

            result, out = run(capsys, check, spoiled, *extra)
            assert result is False and "could not be run" not in out, (name, out)


# ---------------------------------------------------- endless loops ----

@pytest.fixture
def short_limit(monkeypatch):
    """TIME_LIMIT = 0.5 s; the SIGALRM handler and timer must be as they were after every check."""
    monkeypatch.setattr(_core, "TIME_LIMIT", 0.5, raising=False)     # raising=False: the tests fail, not error,
    before = signal.getsignal(signal.SIGALRM)                          # on a _core without a limit
    yield 0.5
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def _endless(seconds=5.0, pause=0.0, then=None):
    """A student's endless loop (busy, or sleeping `pause` s a turn); it gives up after `seconds` - raising, or
    returning ``then(*args)`` - so that a check without a time limit fails instead of hanging."""
    give_up = time.monotonic() + seconds

    def endless(*args):
        while True:
            if pause:
                time.sleep(pause)
            if time.monotonic() > give_up:
                if then is None:
                    raise RuntimeError("nothing stopped the endless loop")
                return then(*args)

    return endless


@pytest.mark.parametrize("name", FUNCTION_EXERCISES)
def test_endless_loops_are_stopped_and_the_next_check_works(capsys, short_limit, card, data, name):
    check, extra = getattr(E, f"check_{name}"), _extra(name, card, data)
    started = time.monotonic()
    result, out = run(capsys, check, _endless(), *extra)
    assert time.monotonic() - started < 3.0, out
    assert result is False and ": not yet" in out, out
    assert "your function did not finish within 0.5 s (an endless loop?)" in out and "Hint:" in out, out

    result, out = run(capsys, check, _endless(pause=0.05), *extra)
    assert result is False and "did not finish within 0.5 s" in out, out
    assert_correct(capsys, check, getattr(S[E.units()[name].notebook], name), *extra)      # the kernel goes on


def test_a_function_that_swallows_the_interruption_still_times_out(capsys, short_limit):
    loop = _endless(then=lambda bits: np.cumsum(bits) % 2)

    def stubborn(bits):
        try:
            return loop(bits)
        except BaseException:
            return np.cumsum(bits) % 2                # right, but only after being stopped

    def rewrapped(bits):
        try:
            return loop(bits)
        except BaseException as exc:
            raise ValueError("interrupted") from exc

    assert_wrong(capsys, E.check_running_parity, stubborn, says="did not finish within 0.5 s")
    assert_wrong(capsys, E.check_running_parity, rewrapped, says="did not finish within 0.5 s")


def test_the_time_limit_is_one_budget_per_check(capsys, monkeypatch):
    monkeypatch.setattr(_core, "TIME_LIMIT", 0.5, raising=False)

    def slow(bits):                                  # ~50 calls of 20 ms: 1 s in all, no call alone too slow
        time.sleep(0.02)
        return np.cumsum(bits) % 2

    assert_wrong(capsys, E.check_running_parity, slow, says="the 0.5 s are for all the calls together")
    monkeypatch.setattr(_core, "TIME_LIMIT", 1.8)
    assert_correct(capsys, E.check_running_parity, slow)
    assert_correct(capsys, E.check_running_parity, slow)        # every check starts with a fresh budget
    monkeypatch.setattr(_core, "TIME_LIMIT", None)
    assert_correct(capsys, E.check_running_parity, slow)


def test_an_outer_alarm_is_paused_and_put_back(capsys, short_limit):
    fired = []

    def outer_handler(signum, frame):
        fired.append(signum)

    previous = signal.signal(signal.SIGALRM, outer_handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert_wrong(capsys, E.check_total_variation, _endless(), says="did not finish")
        assert signal.getsignal(signal.SIGALRM) is outer_handler and not fired
        assert 25.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30.0
        signal.setitimer(signal.ITIMER_REAL, 0.05)              # an outer timer due during the check still fires
        assert_correct(capsys, E.check_total_variation, lambda img: (time.sleep(0.1), S["03"].total_variation(img))[1])
        time.sleep(0.01)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_no_time_limit_outside_the_main_thread(capsys, short_limit):
    calls = []

    def slow_once(bits):                    # 0.8 s on its first call: over the limit, but no SIGALRM in a thread
        if not calls:
            time.sleep(0.8)
        calls.append(1)
        return np.cumsum(bits) % 2

    results = []
    worker = threading.Thread(target=lambda: results.append(E.check_running_parity(slow_once)))
    worker.start()
    worker.join(10)
    assert results == [True], capsys.readouterr().out
    capsys.readouterr()


# ------------------------------------------------ inputs changed in place ----

def test_functions_that_change_their_inputs_are_told(capsys, card):
    sols = {name: getattr(S[E.units()[name].notebook], name) for name in FUNCTION_EXERCISES}

    def after(fn, spoil):
        def student(*args):
            out = fn(*args)
            spoil(*args)
            return out
        return student

    def zero(a, *rest):
        a[...] = 0

    def sort_in_place(a, *rest):
        a.sort()

    cases = [
        ("strongest_channels", zero, "act"), ("strongest_channels", sort_in_place, "act"),
        ("conv_response", zero, "x"), ("conv_response", lambda x, k, b: k.__imul__(-1), "kernel"),
        ("total_variation", lambda img: img.__isub__(img.mean()), "img"),
        ("running_parity", sort_in_place, "bits"), ("running_parity", zero, "bits"),
    ]
    for name, spoil, arg in cases:
        check = getattr(E, f"check_{name}")
        assert_wrong(capsys, check, after(sols[name], spoil), says=f"your function changed its input {arg} in place")

    def l2_in_place(x, decay):                        # l2_decay keeps its own words
        x *= 1 - decay
        return x

    result, out = run(capsys, E.check_l2_decay, l2_in_place)
    assert result is False and "not yet - it changed x in place." in out and "its input" not in out, out

    def forgot_return(x, decay):
        x *= 1 - decay

    assert_wrong(capsys, E.check_l2_decay, forgot_return, says="it changed x in place")

    def same_values(bits):                            # writing what was there already changes nothing
        bits[...] = bits.copy()
        return np.cumsum(bits) % 2

    assert_correct(capsys, E.check_running_parity, same_values)
    assert_correct(capsys, E.check_conv_response, sols["conv_response"], card)
