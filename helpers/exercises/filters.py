"""Exercises of notebook 02 (convnet filters): kernel sizes, an edge detector, one filter by hand."""
from __future__ import annotations

import numpy as np

from ._core import (Mistake, _as_int, _call, _card, _close, _first_conv, _NotAttempted, _reject_non_finite, _Wrong,
                    exercise, reject_known)


@exercise("2.1", "Why deeper kernels are no pictures", "easy", solve="answer = kernel_size(card)")
def check_kernel_size(answer, card=None):
    """Exercise 2.1: the number of weights (bias excluded) of ONE filter of ``card.filter_layers[1]``.

    The second block's convolution: ``block2_conv1`` on VGG16 and ShapesNet.

    Args: answer: int; card: the model card.
    Returns: True / False / None (prints the verdict). Used by notebook 02.
    """
    if answer is None:
        raise _NotAttempted()
    card = _card(card)
    name = card.filter_layers[1]                                    # block2_conv1 on VGG16 / ShapesNet
    kernel = card.model.get_layer(name).get_weights()[0]            # (kh, kw, C_in, C_out)
    kh, kw, cin, cout = kernel.shape
    truth = kh * kw * cin
    got = _as_int(answer)
    if got == truth:
        return (f"{kh}x{kw}x{cin} = {truth} numbers: one 'picture' with {cin} colour channels, "
                "which is why deeper kernels cannot be drawn as RGB patches.")
    reject_known(got, [
        Mistake(kh * kw * 3, f"{got} = {kh}x{kw}x3 counts RGB inputs.",
                f"{name} does not see pixels: its input is the previous layer's output, "
                f"with one channel per filter of that layer."),
        Mistake(truth + 1, f"{got} counts the bias too.", "the question asks for the kernel weights only."),
        Mistake(lambda g: g in (truth * cout, (truth + 1) * cout), f"{got} is the whole layer ({cout} filters).",
                "count one filter only."),
        Mistake(kh * kw, f"{got} = {kh}x{kw} counts one input channel only.",
                "each filter spans all the input channels."),
    ])
    raise _Wrong(f"{got} is not the size of one {name} filter.",
                 f"model.get_layer('{name}').get_weights()[0].shape is (height, width, inputs, filters).")


def _vertical_edge_scores(kernels, template=None):
    grey = kernels.sum(axis=2)   # (3, 3, F)
    if template is None:
        template = np.tile([-1.0, 0.0, 1.0], (3, 1))
    dots = np.einsum("ijf,ij->f", grey, template)
    norms = np.linalg.norm(grey.reshape(-1, grey.shape[-1]), axis=0) * np.linalg.norm(template)
    return dots, np.where(norms > 0, dots / np.where(norms > 0, norms, 1.0), 0.0)


@exercise("2.2", "Find the vertical-edge detector", "medium", solve="answer = vertical_edge(card)")
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
    # the truth, with explicit loops (another way than the vectorised mistakes below)
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
    zero = (kernels ** 2).sum(axis=(0, 1, 2)) == 0          # an all-zero kernel (EfficientNet-Lite0 has one)
    reject_known(got, [
        Mistake(lambda g: bool(zero[g]), "that kernel is all zero: its cosine is 0/0 = NaN, and np.argmax "
                "returns the position of the first NaN.",
                "give all-zero kernels the cosine 0 (np.where(norm > 0, dot / norm, 0)) or leave them out."),
        Mistake(int(np.argmax(cos_h)), "that kernel is most like a *horizontal* edge (dark above, bright below).",
                "kernels[i, j] is row i, column j: a vertical edge changes from left to right, along j."),
        Mistake(int(np.argmax(np.abs(cos))), "that kernel has the largest |cosine|: it may be a bright-to-dark edge.",
                "keep the sign: the largest cosine, not the largest absolute value."),
        Mistake(int(np.argmin(cos)), "that kernel is the opposite edge (bright left, dark right).",
                "np.argmax, not np.argmin."),
        Mistake(int(np.argmax(dots)), "that kernel has the largest dot product, but not the largest cosine.",
                "divide by the norms (of the kernel and of the template): otherwise large kernels always win."),
        Mistake(int(np.argmax(cos_c0)), "that is the answer for the first colour channel only.",
                "sum each kernel over its colours first: kernels.sum(axis=2) has shape (3, 3, filters)."),
    ])
    raise _Wrong(f"filter {got} has cosine {cos[got]:.2f} with the template; another one has {best:.2f}.",
                 "grey = kernels.sum(axis=2); cosine of each grey[:, :, f] with [[-1, 0, 1]] * 3; argmax.")


def _conv_reference(x, kernel, bias):
    """ReLU(cross-correlation + bias), valid positions, computed by a Keras Conv2D layer."""
    import keras

    layer = keras.layers.Conv2D(1, kernel.shape[:2], padding="valid", activation="relu", dtype="float64")
    layer.build((None, None, None, kernel.shape[2]))
    layer.set_weights([kernel[..., None].astype(np.float64), np.array([bias], np.float64)])
    return np.asarray(layer(x[None].astype(np.float64)))[0, :, :, 0]


@exercise("2.3", "A filter by hand", "harder")
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
        weights = card.model.get_layer(_first_conv(card.model)).get_weights()
        bias = float(weights[1][0]) if len(weights) > 1 else 0.0     # EfficientNet's stem has no bias
        cases.append((rng.uniform(-1, 1, size=(8, 8, 3)), weights[0][..., 0].astype(np.float64), bias))
    for x, kernel, bias in cases:
        out = _call(fn, x, kernel, bias, what="conv_response(x, kernel, bias)")
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
        _reject_non_finite(got, f"for x of shape {x.shape} the result",
                           "look for a division by zero, or an array made with np.empty (it holds whatever was in "
                           "memory): start from np.zeros.")
        if _close(got, want, rtol=1e-6):
            continue
        reject_known(got, [
            Mistake(_conv_reference(x, kernel[::-1, ::-1], bias),
                    "it matches a *flipped* kernel: you computed a textbook convolution.",
                    "Keras's Conv2D does not flip the kernel (a cross-correlation): "
                    "multiply x[r+i, c+j] by kernel[i, j]."),
            Mistake(_conv_reference(x, np.transpose(kernel, (1, 0, 2)), bias),
                    "it matches the kernel with rows and columns swapped.",
                    "kernel[i, j] multiplies x[r+i, c+j]: i runs down the rows, j along the columns."),
            Mistake(_conv_reference(x, kernel, bias + 1e6) - 1e6,      # no ReLU: shift so nothing is clipped
                    "it has negative values: the ReLU is missing.",
                    "the layer outputs relu(...) = np.maximum(..., 0)."),
            Mistake(_conv_reference(x, kernel, 0.0), "it matches the response without the bias.",
                    "add the bias before the ReLU."),
        ], same=lambda a, b: _close(a, b, rtol=1e-6))
        r, c = np.unravel_index(np.argmax(np.abs(got - want)), want.shape)
        raise _Wrong(f"for x of shape {x.shape}, out[{r}, {c}] is {got[r, c]:.4g}, expected {want[r, c]:.4g}.",
                     "out[r, c] = max(0, np.sum(x[r:r+3, c:c+3, :] * kernel) + bias).")
    return "your loop computes exactly what a Conv2D filter with ReLU does (Keras, valid padding)."
