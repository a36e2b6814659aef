"""Exercises of notebook 01 (intermediate activations): feature-map shapes and channel means."""
from __future__ import annotations

import numpy as np

from ._core import (Mistake, _as_int, _call, _card, _first_conv, _integer, _NotAttempted, _NotInteger,
                    _reject_non_finite, _Wrong, exercise, reject_known)


@exercise("1.1", "The shape of a feature map", "easy", solve="answer = layer_shape(card)")
def check_layer_shape(answer, card=None):
    """Exercise 1.1: the shape (h, w, C) of the output of ``card.filter_layers[1]`` for one image.

    The second block's convolution: ``block2_conv1`` on VGG16 and ShapesNet.

    Args: answer: tuple of three ints; card: the model card (default: the course model).
    Returns: True / False / None (prints the verdict). Used by notebook 01.
    """
    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, str):
        raise _Wrong(f"the answer should be a tuple of three integers (h, w, C), got the string {answer!r:.40}.")
    card = _card(card)
    model = card.model
    name, name1 = card.filter_layers[1], card.filter_layers[0]      # block2_conv1, block1_conv1 (VGG-style)
    shape = tuple(int(v) for v in model.get_layer(name).output.shape[1:])
    first = tuple(int(v) for v in model.get_layer(name1).output.shape[1:])
    halves = ("block1_pool sits between block1 and block2: each pooling halves height and width."
              if name == "block2_conv1" else
              f"between {name1} and {name} the network downsamples (stride-2 convolutions): each halves height "
              "and width.")
    try:
        items = tuple(answer.shape if hasattr(answer, "shape") and np.ndim(answer) > 1 else answer)
        got = tuple(_integer(v) for v in items)
    except _NotInteger as exc:
        if exc.kind == "type" and not isinstance(exc.value, (str, bytes)):
            raise _Wrong(f"the answer should be a tuple of three integers (h, w, C), got {answer!r:.60}.") from None
        raise _Wrong(f"the shape must be integers (h, w, C): {exc}.",
                     "a feature map has a whole number of rows, columns and channels: read them off "
                     "acts[name].shape[1:] (ints), don't compute them with / or type them as decimals.") from None
    except (TypeError, ValueError):
        raise _Wrong(f"the answer should be a tuple of three integers (h, w, C), got {answer!r:.60}.") from None
    if got == shape:
        return f"{shape[0]}x{shape[1]} positions, {shape[2]} channels."
    reject_known(got, [
        Mistake(lambda g: len(g) == 4 and g[1:] == shape, f"{got} includes the batch axis N in front.",
                "give the shape for one image: acts[name].shape[1:] drops the batch axis."),
        Mistake(lambda g: len(g) != 3, f"the answer has {len(got)} numbers; give three: (height, width, channels)."),
        Mistake((shape[2], shape[0], shape[1]), f"{got} puts the channels first.",
                "Keras stores feature maps channels last: (h, w, C)."),
        Mistake(lambda g: g[:2] == first[:2], f"height and width {got[:2]} are those of block 1.",
                halves),
        Mistake(lambda g: g[2] == first[2], f"{first[2]} channels is what {name1} has.",
                f"a conv layer outputs one channel per filter: count the filters of {name}."),
    ])
    raise _Wrong(f"{got} is not the shape of {name}'s output.",
                 f"compute it: get_activations(model, images[:1], ['{name}'], preprocess=card.preprocess), "
                 "then look at .shape.")


def _mean_activation(card, image, layer, preprocess=True, stat="mean"):
    from ..activations import get_activations

    act = get_activations(card.model, image[None], [layer], preprocess=card.preprocess if preprocess else None)[layer][0]
    return act.mean(axis=(0, 1)) if stat == "mean" else act.max(axis=(0, 1))


@exercise("1.2", "Which channel likes blue?", "medium", solve="answer = blue_channel(card)")
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

    def top(*args, **kwargs):
        return int(np.argmax(_mean_activation(card, *args, **kwargs)))

    means = _mean_activation(card, flat((0, 0, 1)), layer)
    truth = int(np.argmax(means))
    got = _as_int(answer, "a channel index (an int)")
    n = len(means)
    if got == truth:
        return f"channel {truth} of {layer} (mean activation {means[truth]:.3g})."
    if not 0 <= got < n:
        raise _Wrong(f"{layer} has {n} channels (0..{n - 1}); {got} is not one of them.")
    reject_known(got, [
        Mistake(top(flat((1, 0, 0)), layer),
                "that is the answer for a pure *red* image (255 in the first position of the colour axis).",
                "images are RGB before preprocessing: blue is image[..., 2] = 255 (card.preprocess takes care of "
                "VGG16's BGR order; don't flip the colours yourself)."),
        Mistake(top(flat((0, 0, 1), 1.0), layer), "that is the answer for a blue image with values 0..1.",
                "pixel values are 0..255 before preprocessing: blue is (0, 0, 255)."),
        Mistake(top(flat((0, 0, 1)), layer, preprocess=False), "that is the answer without preprocessing.",
                "pass preprocess=card.preprocess to get_activations, the model expects preprocessed images."),
        Mistake(top(flat((0, 0, 1)), layer, stat="max"),
                "that channel has the largest *maximum*, not the largest mean.",
                "average each channel over all positions: act.mean(axis=(0, 1)) for one image (h, w, C)."),
        Mistake(int(np.argmin(means)), "that is the channel with the *smallest* mean activation.",
                "np.argmax, not np.argmin."),
    ])
    raise _Wrong(f"channel {got} is not the one with the largest mean activation on pure blue "
                 f"(its mean is {means[got]:.3g}, the largest is {means.max():.3g}).",
                 f"image = np.zeros((*card.input_size, 3)); image[..., 2] = 255; get the activations of "
                 f"{layer!r} with preprocess=card.preprocess; average over positions; take the argmax.")


@exercise("1.3", "The explorer's ranking", "harder")
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
        out = _call(fn, act, k, what="strongest_channels(act, k)")
        try:
            got = np.asarray(out).ravel()
        except Exception:
            raise _Wrong(f"strongest_channels returned {type(out).__name__}, not a list of channel indices.") from None
        want = reference(act, k)
        if got.dtype.kind not in "iuf":
            raise _Wrong(f"for k={k} it returned {got.tolist()[:8]}: not channel indices (integers).",
                         "np.argsort gives the indices that sort the means.")
        _reject_non_finite(got, f"for k={k} the result")
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
        reject_known(got, [
            Mistake(lambda g: g == [int(i) for i in np.argsort(means)[:k]] or g == list(reversed(want)),
                    f"for k={k} it returned {got}: the weakest channels or the wrong order.",
                    "strongest first: sort by decreasing mean, e.g. np.argsort(-means)[:k]."),
            Mistake(lambda g: sorted(g) == sorted(want),
                    f"for k={k} it returned the right channels {got} but not strongest first ({want}).",
                    "sort by decreasing mean activation."),
            Mistake([int(i) for i in np.argsort(-act.max(axis=(0, 1)))[:k]],
                    f"on a map where one channel has a single bright pixel it returned {got}: "
                    "that ranks channels by their maximum.",
                    "rank by the mean over all positions: act.mean(axis=(0, 1))."),
            Mistake(lambda g: max(g) >= act.shape[2],
                    f"for a map with {act.shape[2]} channels it returned index {max(got)}.",
                    "average over the positions (axes 0 and 1) and keep the channel axis (axis 2)."),
        ])
        raise _Wrong(f"for an (h, w, C) = {act.shape} map and k={k} it returned {got}, expected {want}.",
                     "means = act.mean(axis=(0, 1)) has one value per channel; sort it, strongest first.")
    return "it ranks channels by their mean activation, as the explorer does."
