"""Exercises of notebook 04 (Grad-CAM): channel weights, the map, why before the softmax, the runner-up class."""
from __future__ import annotations

import numpy as np

from ._core import Mistake, _as_array, _card, _close, _NotAttempted, _Wrong, exercise, reject_known


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
    from ..inputs import check_images, class_index, require_card
    from ..layers import feature_layer

    card = require_card(card, where="gradcam_data")
    if image is None:
        image = next(iter(card.sample_images().values()))
    batch, single = check_images(image, name="image", size=card.input_size)
    if not single:
        raise ValueError(f"image must be one image (H, W, 3), got a batch of shape {batch.shape}; pass images[i].")
    image = batch[0]
    if class_id is not None:
        class_id = class_index(card, class_id)
    layer = layer or card.last_conv_layer
    feature_layer(card.model, layer)        # a clear error for an unknown layer or one without a feature map
    A, grads, scores = _feature_grads(card, image, class_id, layer, after_softmax=False)
    if class_id is None:
        class_id = int(np.argmax(scores))
    return dict(image=image, class_id=int(class_id), layer=layer, A=A, grads=grads)


def _feature_grads(card, image, class_id, layer, after_softmax=False):
    """(A (h, w, k), dscore/dA (h, w, k), scores (classes,)); class None = the top-1."""
    import tensorflow as tf

    from ..layers import feature_layer, feature_score_model, logits_model

    model = card.model
    # the course's one feature-map-plus-scores model (helpers.layers), on the pre-softmax model unless asked
    grad_model = feature_score_model(model if after_softmax else logits_model(model), feature_layer(model, layer))
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


@exercise("4.1", "The channel weights", "easy", solve="answer = gradcam_weights(ex_data)")
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
    reject_known(got.shape, [
        Mistake((1, k), f"shape {got.shape} has a batch axis.", f"one weight per channel: shape ({k},)."),
        Mistake((h, w), f"shape {got.shape}: you averaged over the channels.",
                f"average over the positions i, j (axes 0 and 1): one weight per channel, shape ({k},)."),
    ])
    if got.shape != (k,):
        raise _Wrong(f"shape {got.shape}, expected ({k},): one weight per channel of A (h, w, k) = {G.shape}.")
    if _close(got, want, rtol=1e-4):
        return f"{k} weights, one per channel; the largest is channel {int(np.argmax(want))}."
    reject_known(got, [
        Mistake(G.sum(axis=(0, 1)), "those are the sums of the gradients.",
                f"the weight is the *mean*: divide by Z = h * w = {h * w}."),
        Mistake(A.mean(axis=(0, 1)), "those are the means of the activations A.",
                "average the gradients dy^c/dA, not the activations."),
        Mistake(np.abs(G).mean(axis=(0, 1)), "those are means of |gradient|.",
                "keep the sign: a negative weight means the channel speaks against the class."),
        Mistake(np.maximum(G, 0).mean(axis=(0, 1)), "those are means of the positive gradients only.",
                "keep the sign; the ReLU comes later, on the weighted sum."),
        Mistake(G.max(axis=(0, 1)), "those are the maxima of the gradients.", "take the mean over positions."),
        Mistake((A * G).mean(axis=(0, 1)), "those weight the gradients by A.", "average the gradients alone."),
    ], same=lambda a, b: _close(a, b, rtol=1e-4))
    raise _Wrong("the weights differ from the spatial means of the gradients.",
                 "w = grads.mean(axis=(0, 1)) for grads of shape (h, w, k).")


@exercise("4.2", "The map", "medium", solve="answer = gradcam_map(ex_data)")
def check_gradcam_map(answer, data, card=None):
    """Exercise 4.2: the Grad-CAM map ReLU(sum_k w_k A^k) / max, checked against helpers.cam.grad_cam.

    Args: answer: (h, w) array in [0, 1]; data: dict of :func:`gradcam_data`; card: the model card.
    Returns: True / False / None (prints the verdict). Used by notebook 04.
    """
    import warnings

    from .. import cam

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
    reject_known(got, [
        Mistake(raw / max(raw.max(), 1e-12), "it has negative values: the ReLU is missing.",
                "keep only the positive evidence: np.maximum(..., 0) *before* dividing by the maximum."),
        Mistake(raw, "it is the weighted sum without ReLU and normalisation.",
                "apply np.maximum(..., 0), then divide by the maximum."),
        Mistake(pos, "it is not normalised (its maximum is not 1).", "divide by the map's maximum."),
        Mistake((raw - raw.min()) / span if span > 0 else raw, "it is min-max scaled without the ReLU.",
                "apply the ReLU first; negative evidence becomes 0, not a low positive value."),
        Mistake(lambda g: g.min() < -1e-6 or g.max() > 1 + 1e-6,
                f"values go from {got.min():.3g} to {got.max():.3g}, not within [0, 1].",
                "ReLU, then divide by the maximum."),
    ], same=lambda a, b: _close(a, b, rtol=1e-3, atol=1e-3))
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


@exercise("4.3", "Why before the softmax?", "medium", solve="answer = before_softmax()")
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


@exercise("4.4", "The runner-up class", "harder", solve="answer = runner_up_weights(card, ex_data['image'])")
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
    reject_known(got, [
        Mistake(G_prob.mean(axis=(0, 1)), "those are the weights of the *probability* (after the softmax).",
                "differentiate the score before the softmax: use logits_model(model) (exercise 4.3 says why)."),
        Mistake(G_first.mean(axis=(0, 1)), f"those are the weights of the top class ({card.class_names[first]!r}).",
                "the runner-up is the class with the second largest score: np.argsort(-scores)[1]."),
        Mistake(G_first_prob.mean(axis=(0, 1)), "those are the top class's weights, after the softmax.",
                "runner-up class (np.argsort(-scores)[1]) and the score before the softmax (logits_model)."),
        Mistake(G.sum(axis=(0, 1)), "those are sums of the gradients.", "take the mean over positions."),
        Mistake(A.mean(axis=(0, 1)), "those are means of the activations.", "average the gradients, not A."),
    ], same=lambda a, b: _close(a, b, rtol=2e-3))
    raise _Wrong("the weights differ from the spatial means of dy^c/dA for the runner-up class.",
                 "copy section 2's tape: grad_model -> A, scores; y_c = scores[:, c] with c the second best; "
                 "tape.gradient(y_c, A)[0].numpy().mean(axis=(0, 1)).")
