"""Reference solutions, notebook 01 (intermediate activations). Not imported by the notebooks."""


def layer_shape(card):
    """Exercise 1.1: shape (h, w, C) of block2_conv1's output for one image."""
    import numpy as np
    from helpers.activations import get_activations

    image = np.zeros((1, *card.input_size, 3), np.float32)
    acts = get_activations(card.model, image, ["block2_conv1"], preprocess=card.preprocess)
    return acts["block2_conv1"].shape[1:]          # drop the batch axis


def blue_channel(card):
    """Exercise 1.2: the first-layer channel with the largest mean activation on pure blue."""
    import numpy as np
    from helpers.activations import conv_layer_names, get_activations

    layer = conv_layer_names(card.model)[0]
    blue = np.zeros((*card.input_size, 3), np.float32)
    blue[..., 2] = 255                              # RGB, 0..255: card.preprocess does the rest
    act = get_activations(card.model, blue[None], [layer], preprocess=card.preprocess)[layer][0]
    return int(np.argmax(act.mean(axis=(0, 1))))


def strongest_channels(act, k):
    """Exercise 1.3: indices of the k channels with the largest mean activation, strongest first."""
    import numpy as np

    means = np.asarray(act).mean(axis=(0, 1))       # one mean per channel
    return np.argsort(-means)[:k]
