"""Exercises with automatic feedback for the lesson notebooks 01-06.

Every lesson notebook ends with a section "Exercises": for each exercise a
statement, a starter cell (``answer = None`` or a function stub that returns
None) and a check cell calling ``exercises.check_<name>(answer, ...)``.

A check **prints** one verdict and returns it:

* ``None`` - "not attempted yet" (the answer is still None, or the stub still
  returns None);
* ``True`` - "correct";
* ``False`` - "not yet": what is wrong, and a hint pointing at the idea.

A check never raises, whatever the answer (so an unsolved notebook still runs
from top to bottom, and a wrong answer lets the student keep going); errors
raised by the student's own function are reported as part of the verdict.
The truth is always computed here, from the model in use (VGG16 or
ShapesNet), not stored.

``results()`` gives the verdict of every check run so far in this process
(``tools/run_solutions.py`` - ``make solutions`` - uses it to show that each
exercise can be solved in its notebook). The reference solutions live in
``solutions/`` and are never imported by the notebooks.

Exercises (name: notebook):

* 01 ``layer_shape``, ``blue_channel``, ``strongest_channels``
* 02 ``kernel_size``, ``vertical_edge``, ``conv_response``
* 03 ``l2_decay``, ``decay_half_life``, ``total_variation``
* 04 ``gradcam_weights``, ``gradcam_map``, ``before_softmax``, ``runner_up_weights``
* 05 ``window_3_of_10``, ``running_parity``, ``window_accuracy``
* 06 ``rnn_params``, ``h2_by_hand``, ``threshold_parity``
"""
from __future__ import annotations

import functools
import itertools
import traceback

import numpy as np

from . import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)

#: name -> (number shown to the student, notebook prefix)
EXERCISES = {
    "layer_shape": ("1.1", "01"),
    "blue_channel": ("1.2", "01"),
    "strongest_channels": ("1.3", "01"),
    "kernel_size": ("2.1", "02"),
    "vertical_edge": ("2.2", "02"),
    "conv_response": ("2.3", "02"),
    "l2_decay": ("3.1", "03"),
    "decay_half_life": ("3.2", "03"),
    "total_variation": ("3.3", "03"),
    "gradcam_weights": ("4.1", "04"),
    "gradcam_map": ("4.2", "04"),
    "before_softmax": ("4.3", "04"),
    "runner_up_weights": ("4.4", "04"),
    "window_3_of_10": ("5.1", "05"),
    "running_parity": ("5.2", "05"),
    "window_accuracy": ("5.3", "05"),
    "rnn_params": ("6.1", "06"),
    "h2_by_hand": ("6.2", "06"),
    "threshold_parity": ("6.3", "06"),
}

CORRECT, NOT_ATTEMPTED, WRONG = "correct", "not attempted yet", "not yet"

__all__ = ["EXERCISES", "results", "reset_results", "gradcam_data", "SOFTMAX_CHOICES"] + [
    f"check_{name}" for name in EXERCISES
]

_RESULTS: dict = {}


def results() -> dict:
    """Verdicts of the checks run so far in this process: name -> "correct" / "not attempted yet" / "not yet"."""
    return dict(_RESULTS)


def reset_results() -> None:
    """Forget the verdicts recorded so far (tests use it)."""
    _RESULTS.clear()


class _NotAttempted(Exception):
    """The answer is still the starter's None."""


class _Wrong(Exception):
    """A wrong answer: ``what`` is wrong, ``hint`` points at the right idea."""

    def __init__(self, what: str, hint: str = ""):
        super().__init__(what)
        self.what, self.hint = what, hint


def _label(name: str) -> str:
    return f"Exercise {EXERCISES[name][0]} ({name})"


def _exercise(name):
    """Turn a check body into a check: print the verdict, record it, return True/False/None, never raise."""

    def wrap(body):
        @functools.wraps(body)
        def check(*args, **kwargs):
            try:
                note = body(*args, **kwargs)
            except _NotAttempted as exc:
                detail = str(exc) or "the answer is still None: replace None with your answer and run again."
                print(f"{_label(name)}: {NOT_ATTEMPTED} - {detail}")
                _RESULTS[name] = NOT_ATTEMPTED
                return None
            except _Wrong as exc:
                print(f"{_label(name)}: {WRONG} - {exc.what}")
                if exc.hint:
                    print(f"    Hint: {exc.hint}")
                _RESULTS[name] = WRONG
                return False
            except Exception as exc:  # a bug in this check must not stop the notebook either
                print(f"{_label(name)}: {WRONG} - the check could not be run ({type(exc).__name__}: {exc}).")
                print("    Please tell your teaching assistant; the rest of the notebook still works.")
                _RESULTS[name] = WRONG
                return False
            print(f"{_label(name)}: {CORRECT}" + (f" - {note}" if note else "."))
            _RESULTS[name] = CORRECT
            return True

        check.exercise = name
        return check

    return wrap


def _call(fn, *args, what: str = "your function"):
    """Call the student's function; a None result means "not attempted", an exception becomes a verdict."""
    if fn is None:
        raise _NotAttempted()
    if not callable(fn):
        raise _Wrong(f"the answer should be a function (def ...), got {type(fn).__name__} {fn!r:.60}.",
                     "define the function in the starter cell and pass its name to the check, without ().")
    try:
        out = fn(*args)
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (line {tb[-1].lineno}: {tb[-1].line})" if len(tb) > 1 and tb[-1].line else ""
        raise _Wrong(f"{what} raised {type(exc).__name__}: {exc}{where}",
                     "run it on a small example in a cell of your own and read the error.") from None
    if out is None:
        raise _NotAttempted(f"{what} returns None: write its body (and don't forget `return`).")
    return out


def _as_int(answer, what="an integer"):
    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, (bool, np.bool_)):
        raise _Wrong(f"the answer should be {what}, got {answer!r}.")
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, (int, np.integer)):
        return int(answer)
    if isinstance(answer, (float, np.floating)) and float(answer).is_integer():
        return int(answer)
    raise _Wrong(f"the answer should be {what}, got {type(answer).__name__} {answer!r:.60}.",
                 "np.argmax(...) gives an index; int(...) turns a numpy number into a Python int.")


def _as_float(answer, what="a number"):
    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)):
        raise _Wrong(f"the answer should be {what}, got {type(answer).__name__} {answer!r:.60}.")
    value = float(answer)
    if not np.isfinite(value):
        raise _Wrong(f"the answer is {value}, not a finite number.")
    return value


def _as_array(answer, what="an array", shape=None, hint=""):
    if answer is None:
        raise _NotAttempted()
    try:
        arr = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"the answer should be {what} of numbers, got {type(answer).__name__}.") from None
    if shape is not None and arr.shape != tuple(shape):
        raise _Wrong(f"the answer has shape {arr.shape}, expected {tuple(shape)}.", hint)
    if not np.all(np.isfinite(arr)):
        raise _Wrong("the answer contains NaN or infinite values.", "look for a division by zero.")
    return arr


def _close(a, b, rtol=1e-4, atol=None) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-12)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol if atol is not None else rtol * scale))


def _card(card):
    if card is not None:
        return card
    from .models import load_model

    return load_model(verbose=False)


# ============================================================== 01 ====

@_exercise("layer_shape")
def check_layer_shape(answer, card=None):
    """Exercise 1.1: the shape (h, w, C) of ``block2_conv1``'s output for one image.

    Args: answer: tuple of three ints; card: the model card (default: the course model).
    Returns: True / False / None (prints the verdict). Used by notebook 01.
    """
    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, str):
        raise _Wrong(f"the answer should be a tuple of three integers (h, w, C), got the string {answer!r:.40}.")
    card = _card(card)
    model = card.model
    shape = tuple(int(v) for v in model.get_layer("block2_conv1").output.shape[1:])
    first = tuple(int(v) for v in model.get_layer("block1_conv1").output.shape[1:])
    try:
        got = tuple(int(v) for v in (answer.shape if hasattr(answer, "shape") and np.ndim(answer) > 1 else answer))
    except (TypeError, ValueError):
        raise _Wrong(f"the answer should be a tuple of three integers (h, w, C), got {answer!r:.60}.") from None
    if got == shape:
        return f"{shape[0]}x{shape[1]} positions, {shape[2]} channels."
    if len(got) == 4 and got[1:] == shape:
        raise _Wrong(f"{got} includes the batch axis N in front.",
                     "give the shape for one image: acts[name].shape[1:] drops the batch axis.")
    if len(got) != 3:
        raise _Wrong(f"the answer has {len(got)} numbers; give three: (height, width, channels).")
    if got == (shape[2], shape[0], shape[1]):
        raise _Wrong(f"{got} puts the channels first.", "Keras stores feature maps channels last: (h, w, C).")
    if got[:2] == first[:2]:
        raise _Wrong(f"height and width {got[:2]} are those of block 1.",
                     "block1_pool sits between block1 and block2: each pooling halves height and width.")
    if got[2] == first[2]:
        raise _Wrong(f"{got[2]} channels is what block1_conv1 has.",
                     "a conv layer outputs one channel per filter: count the filters of block2_conv1.")
    raise _Wrong(f"{got} is not the shape of block2_conv1's output.",
                 "compute it: get_activations(model, images[:1], ['block2_conv1'], preprocess=card.preprocess), "
                 "then look at .shape.")


def _first_conv(model) -> str:
    from .activations import conv_layer_names

    return conv_layer_names(model)[0]


def _mean_activation(card, image, layer, preprocess=True, stat="mean"):
    from .activations import get_activations

    act = get_activations(card.model, image[None], [layer], preprocess=card.preprocess if preprocess else None)[layer][0]
    return act.mean(axis=(0, 1)) if stat == "mean" else act.max(axis=(0, 1))


@_exercise("blue_channel")
def check_blue_channel(answer, card=None):
    """Exercise 1.2: the channel of the first conv layer with the largest mean activation on a pure blue image.

    Args: answer: int channel index; card: the model card.
    Returns: True / False / None (prints the verdict). Used by notebook 01.
    """
    if answer is None:
        raise _NotAttempted()
    card = _card(card)
    layer = _first_conv(card.model)
    h, w = card.input_size

    def flat(rgb, scale=255.0):
        img = np.zeros((h, w, 3), np.float32)
        img[...] = np.asarray(rgb, np.float32) * scale
        return img

    means = _mean_activation(card, flat((0, 0, 1)), layer)
    truth = int(np.argmax(means))
    got = _as_int(answer, "a channel index (an int)")
    n = len(means)
    if got == truth:
        return f"channel {truth} of {layer} (mean activation {means[truth]:.3g})."
    if not 0 <= got < n:
        raise _Wrong(f"{layer} has {n} channels (0..{n - 1}); {got} is not one of them.")
    candidates = [
        (int(np.argmax(_mean_activation(card, flat((1, 0, 0)), layer))),
         "that is the answer for a pure *red* image (255 in the first position of the colour axis).",
         "images are RGB before preprocessing: blue is image[..., 2] = 255 (card.preprocess takes care of "
         "VGG16's BGR order; don't flip the colours yourself)."),
        (int(np.argmax(_mean_activation(card, flat((0, 0, 1), 1.0), layer))),
         "that is the answer for a blue image with values 0..1.",
         "pixel values are 0..255 before preprocessing: blue is (0, 0, 255)."),
        (int(np.argmax(_mean_activation(card, flat((0, 0, 1)), layer, preprocess=False))),
         "that is the answer without preprocessing.",
         "pass preprocess=card.preprocess to get_activations, the model expects preprocessed images."),
        (int(np.argmax(_mean_activation(card, flat((0, 0, 1)), layer, stat="max"))),
         "that channel has the largest *maximum*, not the largest mean.",
         "average each channel over all positions: act.mean(axis=(0, 1)) for one image (h, w, C)."),
        (int(np.argmin(means)), "that is the channel with the *smallest* mean activation.",
         "np.argmax, not np.argmin."),
    ]
    for value, what, hint in candidates:
        if got == value:
            raise _Wrong(what, hint)
    raise _Wrong(f"channel {got} is not the one with the largest mean activation on pure blue "
                 f"(its mean is {means[got]:.3g}, the largest is {means.max():.3g}).",
                 f"image = np.zeros((*card.input_size, 3)); image[..., 2] = 255; get the activations of "
                 f"{layer!r} with preprocess=card.preprocess; average over positions; take the argmax.")


@_exercise("strongest_channels")
def check_strongest_channels(fn):
    """Exercise 1.3: a function ``strongest_channels(act, k)`` -> the k channels with the largest mean, strongest first.

    Args: fn: the student's function, act (h, w, C) -> k ints.
    Returns: True / False / None (prints the verdict). Used by notebook 01.
    """
    rng = np.random.default_rng(11)
    cases = []
    for (h, w, c), k in (((5, 6, 10), 3), ((4, 4, 7), 1), ((3, 5, 6), 6), ((6, 6, 12), 4)):
        act = np.maximum(rng.normal(size=(h, w, c)), 0) * rng.uniform(0.5, 3.0, size=c)
        cases.append((act.astype(np.float32), k))
    # mean and max disagree: a channel with one bright pixel and one that is moderately on everywhere
    spiky = np.zeros((4, 4, 5), np.float32)
    spiky[..., 1] = 1.0
    spiky[0, 0, 2] = 10.0
    spiky[..., 3] = 0.3
    spiky[..., 4] = 0.2
    spiky[1, 1, 4] = 5.0
    cases.append((spiky, 2))

    def reference(act, k):
        means = [(float(np.sum(act[:, :, ch])) / (act.shape[0] * act.shape[1]), ch) for ch in range(act.shape[2])]
        means.sort(key=lambda t: -t[0])
        return [ch for _, ch in means[:k]]

    for act, k in cases:
        out = _call(fn, act.copy(), k, what="strongest_channels(act, k)")
        try:
            got = np.asarray(out).ravel()
        except Exception:
            raise _Wrong(f"strongest_channels returned {type(out).__name__}, not a list of channel indices.") from None
        want = reference(act, k)
        if got.dtype.kind == "f" and not np.all(np.mod(got, 1) == 0):
            raise _Wrong(f"for k={k} it returned {np.round(got, 3).tolist()}: values, not channel indices.",
                         "np.argsort gives the indices that sort the means.")
        if len(got) != k:
            raise _Wrong(f"for k={k} it returned {len(got)} indices ({got.tolist()[:8]}...).",
                         "return exactly k channel indices (slice the sorted order with [:k]).")
        got = [int(v) for v in got]
        if got == want:
            continue
        means = act.mean(axis=(0, 1))
        if got == [int(i) for i in np.argsort(means)[:k]] or got == list(reversed(want)):
            raise _Wrong(f"for k={k} it returned {got}: the weakest channels or the wrong order.",
                         "strongest first: sort by decreasing mean, e.g. np.argsort(-means)[:k].")
        if sorted(got) == sorted(want):
            raise _Wrong(f"for k={k} it returned the right channels {got} but not strongest first ({want}).",
                         "sort by decreasing mean activation.")
        if got == [int(i) for i in np.argsort(-act.max(axis=(0, 1)))[:k]]:
            raise _Wrong(f"on a map where one channel has a single bright pixel it returned {got}: "
                         "that ranks channels by their maximum.",
                         "rank by the mean over all positions: act.mean(axis=(0, 1)).")
        if max(got) >= act.shape[2]:
            raise _Wrong(f"for a map with {act.shape[2]} channels it returned index {max(got)}.",
                         "average over the positions (axes 0 and 1) and keep the channel axis (axis 2).")
        raise _Wrong(f"for an (h, w, C) = {act.shape} map and k={k} it returned {got}, expected {want}.",
                     "means = act.mean(axis=(0, 1)) has one value per channel; sort it, strongest first.")
    return "it ranks channels by their mean activation, as the explorer does."


# ============================================================== 02 ====

@_exercise("kernel_size")
def check_kernel_size(answer, card=None):
    """Exercise 2.1: the number of weights (bias excluded) of ONE filter of ``block2_conv1``.

    Args: answer: int; card: the model card.
    Returns: True / False / None (prints the verdict). Used by notebook 02.
    """
    if answer is None:
        raise _NotAttempted()
    card = _card(card)
    kernel = card.model.get_layer("block2_conv1").get_weights()[0]   # (kh, kw, C_in, C_out)
    kh, kw, cin, cout = kernel.shape
    truth = kh * kw * cin
    got = _as_int(answer)
    if got == truth:
        return (f"{kh}x{kw}x{cin} = {truth} numbers: one 'picture' with {cin} colour channels, "
                "which is why deeper kernels cannot be drawn as RGB patches.")
    if got == kh * kw * 3:
        raise _Wrong(f"{got} = {kh}x{kw}x3 counts RGB inputs.",
                     f"block2_conv1 does not see pixels: its input is the previous layer's output, "
                     f"with one channel per filter of that layer.")
    if got == truth + 1:
        raise _Wrong(f"{got} counts the bias too.", "the question asks for the kernel weights only.")
    if got in (truth * cout, (truth + 1) * cout):
        raise _Wrong(f"{got} is the whole layer ({cout} filters).", "count one filter only.")
    if got == kh * kw:
        raise _Wrong(f"{got} = {kh}x{kw} counts one input channel only.",
                     "each filter spans all the input channels.")
    raise _Wrong(f"{got} is not the size of one block2_conv1 filter.",
                 "model.get_layer('block2_conv1').get_weights()[0].shape is (height, width, inputs, filters).")


def _vertical_edge_scores(kernels, template=None):
    grey = kernels.sum(axis=2)   # (3, 3, F)
    if template is None:
        template = np.tile([-1.0, 0.0, 1.0], (3, 1))
    dots = np.einsum("ijf,ij->f", grey, template)
    norms = np.linalg.norm(grey.reshape(-1, grey.shape[-1]), axis=0) * np.linalg.norm(template)
    return dots, np.where(norms > 0, dots / np.where(norms > 0, norms, 1.0), 0.0)


@_exercise("vertical_edge")
def check_vertical_edge(answer, card=None):
    """Exercise 2.2: which first-layer kernel is most like a dark-to-bright vertical edge (largest cosine).

    Args: answer: int filter index; card: the model card.
    Returns: True / False / None (prints the verdict). Used by notebook 02.
    """
    if answer is None:
        raise _NotAttempted()
    card = _card(card)
    kernels = card.model.get_layer(_first_conv(card.model)).get_weights()[0].astype(np.float64)
    n = kernels.shape[-1]
    # the truth, with explicit loops (another way than the vectorised candidates below)
    template = [[-1.0, 0.0, 1.0]] * 3
    best, truth = -np.inf, None
    for f in range(n):
        g = [[sum(kernels[i, j, c, f] for c in range(kernels.shape[2])) for j in range(3)] for i in range(3)]
        dot = sum(g[i][j] * template[i][j] for i in range(3) for j in range(3))
        norm = np.sqrt(sum(g[i][j] ** 2 for i in range(3) for j in range(3))) * np.sqrt(6.0)
        cos = dot / norm if norm > 0 else 0.0
        if cos > best:
            best, truth = cos, f
    got = _as_int(answer, "a filter index (an int)")
    if got == truth:
        return f"filter {truth}, cosine {best:.2f} with the vertical-edge template."
    if not 0 <= got < n:
        raise _Wrong(f"the first layer has {n} filters (0..{n - 1}); {got} is not one of them.")
    dots, cos = _vertical_edge_scores(kernels)
    _, cos_h = _vertical_edge_scores(kernels, np.tile([-1.0, 0.0, 1.0], (3, 1)).T)
    one_colour = kernels[:, :, :1]
    _, cos_c0 = _vertical_edge_scores(one_colour)
    candidates = [
        (int(np.argmax(cos_h)), "that kernel is most like a *horizontal* edge (dark above, bright below).",
         "kernels[i, j] is row i, column j: a vertical edge changes from left to right, along j."),
        (int(np.argmax(np.abs(cos))), "that kernel has the largest |cosine|: it may be a bright-to-dark edge.",
         "keep the sign: the largest cosine, not the largest absolute value."),
        (int(np.argmin(cos)), "that kernel is the opposite edge (bright left, dark right).",
         "np.argmax, not np.argmin."),
        (int(np.argmax(dots)), "that kernel has the largest dot product, but not the largest cosine.",
         "divide by the norms (of the kernel and of the template): otherwise large kernels always win."),
        (int(np.argmax(cos_c0)), "that is the answer for the first colour channel only.",
         "sum each kernel over its colours first: kernels.sum(axis=2) has shape (3, 3, filters)."),
    ]
    for value, what, hint in candidates:
        if got == value:
            raise _Wrong(what, hint)
    raise _Wrong(f"filter {got} has cosine {cos[got]:.2f} with the template; another one has {best:.2f}.",
                 "grey = kernels.sum(axis=2); cosine of each grey[:, :, f] with [[-1, 0, 1]] * 3; argmax.")


def _conv_reference(x, kernel, bias):
    """ReLU(cross-correlation + bias), valid positions, computed by a Keras Conv2D layer."""
    import keras

    layer = keras.layers.Conv2D(1, kernel.shape[:2], padding="valid", activation="relu", dtype="float64")
    layer.build((None, None, None, kernel.shape[2]))
    layer.set_weights([kernel[..., None].astype(np.float64), np.array([bias], np.float64)])
    return np.asarray(layer(x[None].astype(np.float64)))[0, :, :, 0]


@_exercise("conv_response")
def check_conv_response(fn, card=None):
    """Exercise 2.3: a numpy ``conv_response(x, kernel, bias)`` equal to what one Conv2D filter + ReLU computes.

    Args: fn: the student's function, x (H, W, 3), kernel (3, 3, 3), bias float -> (H-2, W-2);
        card: the model card (its first-layer kernels are among the test kernels).
    Returns: True / False / None (prints the verdict). Used by notebook 02.
    """
    rng = np.random.default_rng(5)
    cases = []
    x = rng.normal(size=(7, 9, 3))
    k = rng.normal(size=(3, 3, 3))
    cases.append((x, k, 0.3))
    cases.append((rng.normal(size=(6, 5, 3)), rng.normal(size=(3, 3, 3)), -0.5))
    if card is not None:
        kernels, biases = card.model.get_layer(_first_conv(card.model)).get_weights()
        cases.append((rng.uniform(-1, 1, size=(8, 8, 3)), kernels[..., 0].astype(np.float64), float(biases[0])))
    for x, kernel, bias in cases:
        out = _call(fn, x.copy(), kernel.copy(), bias, what="conv_response(x, kernel, bias)")
        want = _conv_reference(x, kernel, bias)
        try:
            got = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise _Wrong(f"conv_response returned {type(out).__name__}, not an array.") from None
        if got.shape != want.shape:
            if got.shape == x.shape[:2]:
                raise _Wrong(f"for x of shape {x.shape} it returned {got.shape}: one value per pixel.",
                             "keep only the positions where the 3x3 window fits inside x: (H-2, W-2).")
            if got.size == want.size:
                got = got.reshape(want.shape) if got.ndim != 2 else got
                if got.shape != want.shape:
                    raise _Wrong(f"for x of shape {x.shape} it returned shape {got.shape}, expected {want.shape}.",
                                 "rows first: out[r, c] uses x[r:r+3, c:c+3].")
            else:
                raise _Wrong(f"for x of shape {x.shape} it returned shape {got.shape}, expected {want.shape}.",
                             "out[r, c] = relu(sum(x[r:r+3, c:c+3, :] * kernel) + bias) for every r, c that fits.")
        if _close(got, want, rtol=1e-6):
            continue
        flipped = _conv_reference(x, kernel[::-1, ::-1], bias)
        transposed = _conv_reference(x, np.transpose(kernel, (1, 0, 2)), bias)
        pre = _conv_reference(x, kernel, bias + 1e6) - 1e6      # no ReLU: shift so nothing is clipped
        no_bias = _conv_reference(x, kernel, 0.0)
        if _close(got, flipped, rtol=1e-6):
            raise _Wrong("it matches a *flipped* kernel: you computed a textbook convolution.",
                         "Keras's Conv2D does not flip the kernel (a cross-correlation): "
                         "multiply x[r+i, c+j] by kernel[i, j].")
        if _close(got, transposed, rtol=1e-6):
            raise _Wrong("it matches the kernel with rows and columns swapped.",
                         "kernel[i, j] multiplies x[r+i, c+j]: i runs down the rows, j along the columns.")
        if _close(got, pre, rtol=1e-6):
            raise _Wrong("it has negative values: the ReLU is missing.",
                         "the layer outputs relu(...) = np.maximum(..., 0).")
        if _close(got, no_bias, rtol=1e-6):
            raise _Wrong("it matches the response without the bias.", "add the bias before the ReLU.")
        r, c = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
        raise _Wrong(f"for x of shape {x.shape}, out[{r}, {c}] is {got[r, c]:.4g}, expected {want[r, c]:.4g}.",
                     "out[r, c] = max(0, np.sum(x[r:r+3, c:c+3, :] * kernel) + bias).")
    return "your loop computes exactly what a Conv2D filter with ReLU does (Keras, valid padding)."


# ============================================================== 03 ====

@_exercise("l2_decay")
def check_l2_decay(fn):
    """Exercise 3.1: ``l2_decay(x, decay)`` -> x * (1 - decay), x an image relative to grey; x left unchanged.

    Args: fn: the student's function.
    Returns: True / False / None (prints the verdict). Used by notebook 03.
    """
    rng = np.random.default_rng(3)
    for shape, decay in (((4, 5, 3), 0.3), ((2, 6, 6, 3), 1e-4), ((3, 3, 3), 0.0), ((2, 2, 3), 1.0)):
        x = rng.normal(scale=40.0, size=shape)
        before = x.copy()
        out = _call(fn, x, decay, what="l2_decay(x, decay)")
        if not np.array_equal(x, before):
            raise _Wrong("it changed x in place.",
                         "return a new array (x * (1 - decay)) and leave x as it was: x *= ... overwrites it.")
        try:
            got = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise _Wrong(f"l2_decay returned {type(out).__name__}, not an array.") from None
        want = before - decay * before          # the fraction `decay` of x removed
        if got.shape != want.shape:
            raise _Wrong(f"for x of shape {shape} it returned shape {got.shape}.",
                         "work elementwise: the result has the shape of x.")
        if _close(got, want, rtol=1e-9, atol=1e-9):
            continue
        if _close(got, before * decay, rtol=1e-9, atol=1e-9):
            raise _Wrong(f"with decay={decay} it returned decay * x.",
                         "decay is the fraction that is *removed*: what remains is (1 - decay) * x.")
        if _close(got, before - decay, rtol=1e-9, atol=1e-9):
            raise _Wrong(f"with decay={decay} it subtracted decay from every pixel.",
                         "the decay is multiplicative: every pixel shrinks towards grey by the same fraction.")
        raise _Wrong(f"with decay={decay} the result differs from x * (1 - decay) "
                     f"(largest difference {np.abs(got - want).max():.3g}).",
                     "one line: return x * (1 - decay).")
    return "applied after every ascent step, it pulls the image towards grey (the paper's theta_decay)."


@_exercise("decay_half_life")
def check_decay_half_life(answer):
    """Exercise 3.2: the engine's regularisers, preset "yosinski3" with the decay that halves contrast in 100 steps.

    Args: answer: a helpers.maximize.Regularizers (from ``regularizers(...)``).
    Returns: True / False / None (prints the verdict). Used by notebook 03.
    """
    from .maximize import PRESETS, Regularizers

    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, (int, float, np.floating)) and not isinstance(answer, bool):
        raise _Wrong(f"the answer is the number {answer}; plug it into the engine instead.",
                     "answer = regularizers('yosinski3', l2_decay=YOUR_VALUE) (from helpers.maximize).")
    if not isinstance(answer, Regularizers):
        raise _Wrong(f"the answer should be the engine's Regularizers, got {type(answer).__name__}.",
                     "answer = regularizers('yosinski3', l2_decay=YOUR_VALUE) (from helpers.maximize).")
    target = 1.0 - 0.5 ** (1.0 / 100.0)
    d = float(answer.l2_decay)
    base = PRESETS["yosinski3"]
    if abs(d - target) > 0.01 * target:
        kept = (1.0 - d) ** 100
        if abs(d - 0.005) < 1e-9:
            raise _Wrong("0.005 = 0.5 / 100 assumes the decay adds up; it compounds.",
                         f"after 100 steps (1 - d)**100 remains: solve (1 - d)**100 = 0.5 (now {kept:.3f}).")
        if abs(d - 0.5) < 1e-9:
            raise _Wrong("l2_decay=0.5 halves the image at every step, not over 100 steps.",
                         "solve (1 - d)**100 = 0.5 for d.")
        raise _Wrong(f"with l2_decay={d:g}, (1 - d)**100 = {kept:.3f} of the contrast remains, not 0.5.",
                     "solve (1 - d)**100 = 0.5: d = 1 - 0.5**(1/100). Apply your l2_decay 100 times to check.")
    if (answer.blur_sigma, answer.blur_every) != (base.blur_sigma, base.blur_every):
        raise _Wrong(f"the decay is right, but the blur is {answer.describe()!r}.",
                     "start from the preset: regularizers('yosinski3', l2_decay=...) keeps its blur "
                     "(1.0 every 4 steps).")
    others = ("norm_pct", "contrib_pct", "jitter", "tv")
    if any(getattr(answer, k) != getattr(base, k) for k in others):
        raise _Wrong(f"the decay is right, but other regularisers differ from the preset: {answer.describe()}.",
                     "only override l2_decay.")
    return f"l2_decay={d:.5f}: (1 - d)**100 = {(1 - d) ** 100:.3f}. Try it: visualize_classes(..., preset=answer)."


def _tv_reference(img):
    import tensorflow as tf

    return float(tf.image.total_variation(tf.constant(img, tf.float64)))


@_exercise("total_variation")
def check_total_variation(fn):
    """Exercise 3.3: ``total_variation(img)`` of an (H, W, 3) image, checked against tf.image.total_variation.

    Args: fn: the student's function, (H, W, 3) -> float.
    Returns: True / False / None (prints the verdict). Used by notebook 03.
    """
    rng = np.random.default_rng(7)
    images = [rng.uniform(0, 255, size=(5, 7, 3)), rng.normal(size=(6, 4, 3)),
              np.tile(np.arange(6.0)[:, None, None], (1, 5, 3))]   # a ramp down the rows only
    for img in images:
        out = _call(fn, img.copy(), what="total_variation(img)")
        got = _as_float(out, "a number")
        want = _tv_reference(img)
        if abs(got - want) <= 1e-6 * max(1.0, abs(want)):
            continue
        dv, dh = np.diff(img, axis=0), np.diff(img, axis=1)
        variants = [
            ((dv ** 2).sum() + (dh ** 2).sum(), "it squares the differences.",
             "total variation sums the *absolute* differences (an L1 measure)."),
            (np.abs(dv).sum(), "it counts only the differences between vertical neighbours (rows).",
             "add the differences along the columns: np.diff(img, axis=1)."),
            (np.abs(dh).sum(), "it counts only the differences between horizontal neighbours (columns).",
             "add the differences along the rows: np.diff(img, axis=0)."),
            (np.abs(dv).mean() + np.abs(dh).mean(), "it averages the differences.",
             "sum them (tf.image.total_variation is a sum)."),
            (np.abs(img - np.roll(img, 1, 0)).sum() + np.abs(img - np.roll(img, 1, 1)).sum(),
             "it compares the last row with the first (np.roll wraps around).",
             "use slicing or np.diff: img[1:] - img[:-1] has no wrap-around."),
            (np.abs(np.diff(img, axis=2)).sum() + np.abs(dv).sum(), "it takes differences across the colour axis.",
             "the neighbours are pixels: axes 0 (rows) and 1 (columns), every colour channel on its own."),
        ]
        for value, what, hint in variants:
            if abs(got - value) <= 1e-6 * max(1.0, abs(value)):
                raise _Wrong(what, hint)
        raise _Wrong(f"for an image of shape {img.shape} it returned {got:.6g}, expected {want:.6g}.",
                     "sum |img[1:] - img[:-1]| + sum |img[:, 1:] - img[:, :-1]| over all pixels and colours.")
    return "it equals tf.image.total_variation: large for noise, small for smooth images."


# ============================================================== 04 ====

def gradcam_data(card, image=None, class_id=None, layer=None) -> dict:
    """Activations A and gradients dy^c/dA of the last conv layer, for the Grad-CAM exercises.

    Computed like notebook 04's section 2 (a GradientTape on the score before
    the softmax).

    Args:
        card: the model card (VGG16 or ShapesNet).
        image: (H, W, 3) 0..255; default the card's first sample image.
        class_id: default the top-1 class of the image.
        layer: default ``card.last_conv_layer``.
    Returns:
        dict image (H, W, 3), class_id int, layer str, A (h, w, k) and
        grads (h, w, k) float32 numpy arrays.
    Used by: notebook 04 (exercises 4.1, 4.2, 4.4).
    """
    if image is None:
        image = next(iter(card.sample_images().values()))
    image = np.asarray(image, np.float32)
    if image.shape != (*card.input_size, 3):
        raise ValueError(f"image must have shape {(*card.input_size, 3)} (the model's input), got {image.shape}")
    layer = layer or card.last_conv_layer
    A, grads, scores = _feature_grads(card, image, class_id, layer, after_softmax=False)
    if class_id is None:
        class_id = int(np.argmax(scores))
    return dict(image=image, class_id=int(class_id), layer=layer, A=A, grads=grads)


def _feature_grads(card, image, class_id, layer, after_softmax=False):
    """(A (h, w, k), dscore/dA (h, w, k), scores (classes,)); class None = the top-1."""
    import keras
    import tensorflow as tf

    from .models import logits_model

    model = card.model
    head = model.output if after_softmax else logits_model(model).output
    grad_model = keras.Model(model.input, [model.get_layer(layer).output, head])
    x = tf.convert_to_tensor(card.preprocess(np.asarray(image, np.float32)[None]), tf.float32)
    with tf.GradientTape() as tape:
        A, scores = grad_model(x, training=False)
        c = int(tf.argmax(scores[0])) if class_id is None else int(class_id)
        y = scores[:, c]
    g = tape.gradient(y, A)
    return np.asarray(A[0]), np.asarray(g[0]), np.asarray(scores[0])


def _data_arrays(data):
    if not isinstance(data, dict) or "A" not in data or "grads" not in data:
        raise ValueError("pass the dict from exercises.gradcam_data(card) as the second argument")
    return np.asarray(data["A"], np.float64), np.asarray(data["grads"], np.float64)


@_exercise("gradcam_weights")
def check_gradcam_weights(answer, data):
    """Exercise 4.1: Grad-CAM channel weights w_k = spatial mean of dy^c/dA^k, from given A and gradients.

    Args: answer: (k,) array; data: the dict of :func:`gradcam_data`.
    Returns: True / False / None (prints the verdict). Used by notebook 04.
    """
    if answer is None:
        raise _NotAttempted()
    A, G = _data_arrays(data)
    h, w, k = G.shape
    want = np.array([sum(G[i, j, ch] for i in range(h) for j in range(w)) / (h * w) for ch in range(k)])
    got = _as_array(answer, "an array")
    if got.shape == (1, k):
        raise _Wrong(f"shape {got.shape} has a batch axis.", f"one weight per channel: shape ({k},).")
    if got.shape == (h, w):
        raise _Wrong(f"shape {got.shape}: you averaged over the channels.",
                     f"average over the positions i, j (axes 0 and 1): one weight per channel, shape ({k},).")
    if got.shape != (k,):
        raise _Wrong(f"shape {got.shape}, expected ({k},): one weight per channel of A (h, w, k) = {G.shape}.")
    if _close(got, want, rtol=1e-4):
        return f"{k} weights, one per channel; the largest is channel {int(np.argmax(want))}."
    variants = [
        (G.sum(axis=(0, 1)), "those are the sums of the gradients.",
         f"the weight is the *mean*: divide by Z = h * w = {h * w}."),
        (A.mean(axis=(0, 1)), "those are the means of the activations A.",
         "average the gradients dy^c/dA, not the activations."),
        (np.abs(G).mean(axis=(0, 1)), "those are means of |gradient|.",
         "keep the sign: a negative weight means the channel speaks against the class."),
        (np.maximum(G, 0).mean(axis=(0, 1)), "those are means of the positive gradients only.",
         "keep the sign; the ReLU comes later, on the weighted sum."),
        (G.max(axis=(0, 1)), "those are the maxima of the gradients.", "take the mean over positions."),
        ((A * G).mean(axis=(0, 1)), "those weight the gradients by A.", "average the gradients alone."),
    ]
    for value, what, hint in variants:
        if _close(got, value, rtol=1e-4):
            raise _Wrong(what, hint)
    raise _Wrong("the weights differ from the spatial means of the gradients.",
                 "w = grads.mean(axis=(0, 1)) for grads of shape (h, w, k).")


@_exercise("gradcam_map")
def check_gradcam_map(answer, data, card=None):
    """Exercise 4.2: the Grad-CAM map ReLU(sum_k w_k A^k) / max, checked against helpers.cam.grad_cam.

    Args: answer: (h, w) array in [0, 1]; data: dict of :func:`gradcam_data`; card: the model card.
    Returns: True / False / None (prints the verdict). Used by notebook 04.
    """
    import warnings

    from . import cam

    if answer is None:
        raise _NotAttempted()
    A, G = _data_arrays(data)
    h, w, k = A.shape
    got = _as_array(answer, "an array")
    if got.shape == (1, h, w):
        raise _Wrong(f"shape {got.shape} has a batch axis.", f"give the map of one image, shape ({h}, {w}).")
    if got.shape != (h, w):
        raise _Wrong(f"shape {got.shape}, expected ({h}, {w}) (the feature map's height and width).",
                     "sum over the channel axis: (A * weights).sum(axis=-1).")
    card = _card(card)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = cam.grad_cam(card, data["image"], classes=int(data["class_id"]), layer=data.get("layer"))
    want = np.asarray(want, np.float64)
    if _close(got, want, rtol=1e-3, atol=1e-3):
        return "the same map as cam.grad_cam (values in [0, 1])."
    weights = G.mean(axis=(0, 1))
    raw = (A * weights).sum(axis=-1)
    pos = np.maximum(raw, 0)
    span = raw.max() - raw.min()
    variants = [
        (raw / max(raw.max(), 1e-12), "it has negative values: the ReLU is missing.",
         "keep only the positive evidence: np.maximum(..., 0) *before* dividing by the maximum."),
        (raw, "it is the weighted sum without ReLU and normalisation.",
         "apply np.maximum(..., 0), then divide by the maximum."),
        (pos, "it is not normalised (its maximum is not 1).", "divide by the map's maximum."),
        ((raw - raw.min()) / span if span > 0 else raw, "it is min-max scaled without the ReLU.",
         "apply the ReLU first; negative evidence becomes 0, not a low positive value."),
    ]
    for value, what, hint in variants:
        if _close(got, value, rtol=1e-3, atol=1e-3):
            raise _Wrong(what, hint)
    if got.min() < -1e-6 or got.max() > 1 + 1e-6:
        raise _Wrong(f"values go from {got.min():.3g} to {got.max():.3g}, not within [0, 1].",
                     "ReLU, then divide by the maximum.")
    raise _Wrong("the map differs from Grad-CAM's.",
                 "weights = grads.mean(axis=(0, 1)); heat = np.maximum((A * weights).sum(axis=-1), 0); "
                 "heat / heat.max().")


#: The choices of exercise 4.3.
SOFTMAX_CHOICES = {
    "a": "The softmax is not differentiable, so there is no gradient after it.",
    "b": "The gradient of the probability p_c is p_c (dy^c/dA - sum_j p_j dy^j/dA): it vanishes when the "
         "network is confident and mixes in the other classes.",
    "c": "The score before the softmax is always positive, so the ReLU of the map keeps everything.",
    "d": "It is cheaper: the gradient of the probability needs one backward pass per class.",
}

_SOFTMAX_HINTS = {
    "a": "the softmax is smooth (exp and a division): it has a gradient everywhere. What does the "
         "gradient look like when p_c is close to 1?",
    "c": "a score before the softmax can be negative (it is any real number). Think about what happens "
         "to dp_c/dA when p_c is close to 1.",
    "d": "both cost one backward pass. Look at the formula of dp_c/dA in section 7: what is left when "
         "p_c is close to 1?",
}


@_exercise("before_softmax")
def check_before_softmax(answer):
    """Exercise 4.3 (multiple choice): why Grad-CAM takes the score before the softmax.

    Args: answer: one letter, "a".."d" (see :data:`SOFTMAX_CHOICES`).
    Returns: True / False / None (prints the verdict). Used by notebook 04.
    """
    if answer is None:
        raise _NotAttempted()
    if not isinstance(answer, str) or answer.strip().strip("()").lower() not in SOFTMAX_CHOICES:
        raise _Wrong(f"answer with one letter among {sorted(SOFTMAX_CHOICES)}, got {answer!r:.40}.")
    letter = answer.strip().strip("()").lower()
    if letter == "b":
        return "after the softmax a confident prediction leaves almost no gradient (section 7 measured it)."
    raise _Wrong(f"({letter}) is not the reason.", _SOFTMAX_HINTS[letter])


@_exercise("runner_up_weights")
def check_runner_up_weights(answer, card=None, image=None):
    """Exercise 4.4: Grad-CAM weights for the image's SECOND most likely class, gradients computed by the student.

    Args: answer: (k,) array; card: the model card; image: the (H, W, 3) image (default: first sample).
    Returns: True / False / None (prints the verdict). Used by notebook 04.
    """
    if answer is None:
        raise _NotAttempted()
    card = _card(card)
    if image is None:
        image = next(iter(card.sample_images().values()))
    layer = card.last_conv_layer
    probs = card.predict(image)[0]
    first, second = (int(c) for c in np.argsort(-probs)[:2])
    A, G, _ = _feature_grads(card, image, second, layer)
    k = A.shape[-1]
    want = G.mean(axis=(0, 1))
    got = _as_array(answer, "an array")
    if got.shape == (1, k):
        raise _Wrong(f"shape {got.shape} has a batch axis.", f"give one weight per channel: shape ({k},).")
    if got.shape != (k,):
        raise _Wrong(f"shape {got.shape}, expected ({k},): one weight per channel of {layer!r}.",
                     "average the gradient over the positions: axes (0, 1) of one image's (h, w, k).")
    if _close(got, want, rtol=2e-3):
        return (f"class {card.class_names[second]!r} (runner-up, p = {probs[second]:.3g}); "
                "notice how different its weights are from the top class's.")
    _, G_prob, _ = _feature_grads(card, image, second, layer, after_softmax=True)
    _, G_first, _ = _feature_grads(card, image, first, layer)
    _, G_first_prob, _ = _feature_grads(card, image, first, layer, after_softmax=True)
    variants = [
        (G_prob.mean(axis=(0, 1)), "those are the weights of the *probability* (after the softmax).",
         "differentiate the score before the softmax: use logits_model(model) (exercise 4.3 says why)."),
        (G_first.mean(axis=(0, 1)), f"those are the weights of the top class ({card.class_names[first]!r}).",
         "the runner-up is the class with the second largest score: np.argsort(-scores)[1]."),
        (G_first_prob.mean(axis=(0, 1)), "those are the top class's weights, after the softmax.",
         "runner-up class (np.argsort(-scores)[1]) and the score before the softmax (logits_model)."),
        (G.sum(axis=(0, 1)), "those are sums of the gradients.", "take the mean over positions."),
        (A.mean(axis=(0, 1)), "those are means of the activations.", "average the gradients, not A."),
    ]
    for value, what, hint in variants:
        if _close(got, value, rtol=2e-3):
            raise _Wrong(what, hint)
    raise _Wrong("the weights differ from the spatial means of dy^c/dA for the runner-up class.",
                 "copy section 2's tape: grad_model -> A, scores; y_c = scores[:, c] with c the second best; "
                 "tape.gradient(y_c, A)[0].numpy().mean(axis=(0, 1)).")


# ============================================================== 05 ====

@_exercise("window_3_of_10")
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
    if abs(got - 100 * truth) < 1e-6:
        raise _Wrong("that is a percentage.", "give a fraction: 50% is 0.5.")
    if abs(got - 1.0) < 1e-9:
        raise _Wrong("1.0 would need the window to see every bit; it sees 3 of 10.",
                     "pair every string with the one whose first bit differs: same last 3 bits, opposite parity.")
    raise _Wrong(f"{got:g} is not the best possible accuracy.",
                 "pair every string with the one whose first bit differs: they share the window but have "
                 "opposite parities. What can any rule that sees only the window do then?")


def _parity_loop(bits):
    out, count = [], 0
    for b in bits:
        count += int(b)
        out.append(count % 2)
    return out


@_exercise("running_parity")
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
        out = _call(fn, bits.copy(), what="running_parity(bits)")
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
        got = got.ravel()
        if len(got) != len(bits):
            raise _Wrong(f"on {s} ({len(bits)} bits) it returned {len(got)} values.",
                         "one value per bit: p_1 ... p_T.")
        if np.array_equal(got, want):
            continue
        cum = np.cumsum(bits)
        if np.array_equal(got, cum):
            raise _Wrong(f"on {s} it returned the running count of 1s {got.tolist()[:12]}.",
                         "take it modulo 2 (% 2): parity is odd (1) or even (0).")
        if np.array_equal(got, 1 - np.asarray(want)):
            raise _Wrong(f"on {s} it returned 1 for even and 0 for odd.", "1 means an odd number of 1s so far.")
        if np.array_equal(got, np.concatenate([[0], want[:-1]])):
            raise _Wrong(f"on {s} it is shifted by one step: {got.tolist()[:12]} vs {want[:12]}.",
                         "p_t includes x_t itself: p_1 = x_1.")
        raise _Wrong(f"on {s} it returned {got.tolist()[:20]}, expected {want[:20]}.",
                     "keep a count (or a bit) and update it at every 1; or np.cumsum(bits) % 2.")
    return "matches the running parity on every string up to 5 bits, the lecture's examples and 300 random bits."


def _window_truth(n, k):
    from .rnn import window_accuracy_exact

    return window_accuracy_exact(n, k)


@_exercise("window_accuracy")
def check_window_accuracy(fn):
    """Exercise 5.3: ``window_accuracy(n, k)`` -> best accuracy of a last-k-bits lookup table, by enumeration.

    Args: fn: the student's function, ints n >= 1 and 0 <= k <= n -> float.
    Returns: True / False / None (prints the verdict). Used by notebook 05.
    """
    pairs = [(4, 2), (4, 0), (4, 3), (4, 4), (6, 5), (6, 6), (3, 1), (1, 1), (1, 0)]
    got_all = {}
    for n, k in pairs:
        out = _call(fn, n, k, what=f"window_accuracy({n}, {k})")
        got_all[(n, k)] = _as_float(out, "a fraction between 0 and 1")
    want = {p: _window_truth(*p) for p in pairs}
    wrong = [p for p in pairs if abs(got_all[p] - want[p]) > 1e-9]
    if not wrong:
        return "0.5 for every window shorter than the string, 1.0 when it sees all the bits."
    table = ", ".join(f"({n}, {k}) -> {got_all[(n, k)]:g} (expected {want[(n, k)]:g})" for n, k in wrong[:4])
    if any(v > 1.0 + 1e-9 for v in got_all.values()):
        raise _Wrong(f"some results are above 1: {table}.",
                     "divide the number of right answers by the number of strings (2**n).")
    if (4, 0) in wrong and abs(got_all[(4, 0)] - 1.0) < 1e-9 and len(wrong) <= 2:
        raise _Wrong(f"with k = 0 it scores 1.0: {table}.",
                     "careful: bits[-0:] is the *whole* string in Python, not an empty window; "
                     "use bits[len(bits) - k:].")
    if all(abs(got_all[(n, n - 1)] - 1.0) < 1e-9 for n in (4, 6)):
        raise _Wrong(f"with k = n - 1 it already scores 1.0: {table}.",
                     "the window seems to see one bit too many: the last k bits are bits[n - k:].")
    if all(abs(got_all[(n, n)] - 0.5) < 1e-9 for n in (4, 6)):
        raise _Wrong(f"with k = n it scores only 0.5: {table}.",
                     "the window seems to see one bit too few: with k = n it sees the whole string, "
                     "so the best table is always right (1.0).")
    raise _Wrong(f"{table}.",
                 "for every pattern of the last k bits count the odd and even strings; the best guess "
                 "gets max(odd, even) right; sum over patterns and divide by 2**n.")


# ============================================================== 06 ====

@_exercise("rnn_params")
def check_rnn_params(answer):
    """Exercise 6.1: the number of parameters of SimpleRNN(8 units) on 3 inputs per step.

    Args: answer: int.
    Returns: True / False / None (prints the verdict). Used by notebook 06.
    """
    import keras

    got = _as_int(answer)
    n_in, units = 3, 8
    layer = keras.layers.SimpleRNN(units)
    layer.build((None, None, n_in))
    truth = int(layer.count_params())
    if got == truth:
        return f"W_xh {n_in}x{units} + W_hh {units}x{units} + b {units} = {truth}, for any length."
    if got in (truth * 10, truth * 10_000):
        raise _Wrong(f"{got} grows with the length.",
                     "the weights are shared: the same W_xh, W_hh and b are used at every step, so the count does not depend on T.")
    if got == n_in * units + units * units:
        raise _Wrong(f"{got} forgets the bias.", f"b has one number per unit ({units}).")
    if got == n_in * units + units:
        raise _Wrong(f"{got} forgets the recurrent weights.",
                     f"h_(t-1) enters through W_hh, a {units}x{units} matrix.")
    if got == n_in * units:
        raise _Wrong(f"{got} counts only W_xh.", f"add W_hh ({units}x{units}) and b ({units}).")
    raise _Wrong(f"{got} is not the parameter count.",
                 "h_t = tanh(x_t W_xh + h_(t-1) W_hh + b): count the numbers in W_xh, W_hh and b.")


H2_WEIGHTS = dict(W_xh=0.5, W_hh=-1.0, b=0.1, h0=0.0, xs=(1.0, 2.0))


@_exercise("h2_by_hand")
def check_h2_by_hand(answer):
    """Exercise 6.2: h_2 of a 1-unit tanh RNN with the weights in :data:`H2_WEIGHTS`.

    Args: answer: float.
    Returns: True / False / None (prints the verdict). Used by notebook 06.
    """
    from .rnn import rnn_forward

    got = _as_float(answer)
    p = H2_WEIGHTS
    xs = np.array(p["xs"])[:, None]
    hs = rnn_forward(xs, np.array([p["h0"]]), np.array([[p["W_xh"]]]), np.array([[p["W_hh"]]]),
                     np.array([p["b"]]))
    truth = float(hs[-1, 0])
    x1, x2, wx, wh, b = p["xs"][0], p["xs"][1], p["W_xh"], p["W_hh"], p["b"]
    if abs(got - truth) < 1e-3:
        return f"h_1 = tanh(0.6) = {hs[0, 0]:.4f}, h_2 = tanh(1.0 - h_1 + 0.1) = {truth:.4f}."
    variants = [
        (float(hs[0, 0]), "that is h_1.", "apply f_W once more, with x_2 and h_1."),
        (np.tanh(x2 * wx + wh * (x1 * wx + b) + b), "you used h_1 without the tanh.",
         "h_1 = tanh(x_1 W_xh + h_0 W_hh + b) is itself squashed."),
        (np.tanh(x2 * wx + b), "you left out the recurrent term.", "h_2 depends on h_1 through W_hh: + h_1 * W_hh."),
        (np.tanh(x2 * wx + wh * np.tanh(x1 * wx)), "you forgot the bias b.", "add b = 0.1 at both steps."),
        (x2 * wx + wh * (x1 * wx + b) + b, "no tanh at all.", "h_t = tanh(...), at both steps."),
        (np.tanh(x2 * wh + np.tanh(x1 * wx + b) * wx + b), "you swapped W_xh and W_hh.",
         "the input x_t is multiplied by W_xh, the previous state by W_hh."),
    ]
    for value, what, hint in variants:
        if abs(got - value) < 1e-3:
            raise _Wrong(f"{got:.4f}: {what}", hint)
    raise _Wrong(f"{got:.4f} is not h_2.",
                 "h_1 = tanh(1 * 0.5 + 0 * (-1.0) + 0.1); h_2 = tanh(2 * 0.5 + h_1 * (-1.0) + 0.1).")


def _threshold(z):
    return (np.asarray(z) > 0).astype(np.float64)


@_exercise("threshold_parity")
def check_threshold_parity(answer):
    """Exercise 6.3: a threshold-unit RNN (hand-set weights) whose linear read-out is the running parity.

    h_t = step(x_t W_xh + h_(t-1) W_hh + b) with step(z) = 1 if z > 0 else 0,
    h_0 = 0, read-out y_t = h_t W_hy + b_y. Tested on every string of up to 8
    bits and on a random string of 1,000 bits (exact equality).

    Args: answer: dict with W_xh (1, units), W_hh (units, units), b (units,), W_hy (units,) or
        (units, 1), optional b_y (number).
    Returns: True / False / None (prints the verdict). Used by notebook 06.
    """
    if answer is None:
        raise _NotAttempted()
    if not isinstance(answer, dict):
        raise _Wrong(f"the answer should be a dict of weights, got {type(answer).__name__}.",
                     "answer = dict(W_xh=W_xh, W_hh=W_hh, b=b, W_hy=W_hy, b_y=b_y)")
    missing = [k for k in ("W_xh", "W_hh", "b", "W_hy") if k not in answer]
    if missing:
        raise _Wrong(f"the dict has no {missing}.", "answer = dict(W_xh=W_xh, W_hh=W_hh, b=b, W_hy=W_hy, b_y=b_y)")
    if any(answer[k] is None for k in ("W_xh", "W_hh", "b", "W_hy")):
        raise _NotAttempted("some weights are still None: fill in W_xh, W_hh, b and W_hy.")
    try:
        W_xh = np.asarray(answer["W_xh"], np.float64).reshape(1, -1)
        units = W_xh.shape[1]
        W_hh = np.asarray(answer["W_hh"], np.float64)
        b = np.asarray(answer["b"], np.float64).reshape(-1)
        W_hy = np.asarray(answer["W_hy"], np.float64).reshape(-1)
        b_y = answer.get("b_y")
        b_y = 0.0 if b_y is None else float(np.asarray(b_y, np.float64).reshape(-1)[0])
    except (TypeError, ValueError) as exc:
        raise _Wrong(f"the weights are not numeric arrays ({exc}).") from None
    if W_hh.shape != (units, units) or b.shape != (units,) or W_hy.shape != (units,):
        raise _Wrong(f"shapes W_xh {W_xh.shape}, W_hh {W_hh.shape}, b {b.shape}, W_hy {W_hy.shape} do not fit "
                     f"{units} units.", f"with {units} units: W_xh (1, {units}), W_hh ({units}, {units}), "
                     f"b ({units},), W_hy ({units},).")
    strings = [np.array(s) for n in range(1, 9) for s in itertools.product((0, 1), repeat=n)]
    strings.append(np.random.default_rng(1000).integers(0, 2, size=1000))
    for bits in strings:          # short strings first: the smallest counterexample is reported
        h = np.zeros(units)
        count = 0
        for t, x in enumerate(bits):
            h = _threshold(x * W_xh[0] + h @ W_hh + b)
            y = float(h @ W_hy + b_y)
            count += int(x)
            if abs(y - count % 2) > 1e-9:
                s = "".join(map(str, bits[:t + 1].tolist()))
                where = f"after the bits {s}" if len(s) <= 20 else f"at step {t + 1} of the 1,000-bit string"
                what = (f"{where} the read-out is {y:g} (state h = {h.tolist()}), "
                        f"but the parity is {count % 2}.")
                if abs(y + 1) < 1e-9 and W_hy.shape == (2,) and np.allclose(W_hy, [1, -2]):
                    raise _Wrong(what, "with 0/1 threshold units the AND unit counts once: XOR = OR - AND, "
                                       "so W_hy = (1, -1), and p_(t-1) = h1 - h2 feeds back through W_hh.")
                raise _Wrong(what, "use two units: h1 = OR (fires when p_(t-1) + x_t >= 1) and h2 = AND "
                                   "(fires when p_(t-1) + x_t >= 2); parity p_t = h1 - h2. Write "
                                   "p_(t-1) = h1 - h2 of the previous state to read off W_hh; the thresholds "
                                   "(between 0 and 1, between 1 and 2) give b.")
    return "exact on every string of up to 8 bits and on 1,000 random bits; 0/1 states cannot drift."
