"""Reference solutions, notebook 01 (intermediate activations). Not imported by the notebooks."""


def layer_shape(card):
    """Exercise 1.1: shape (h, w, C) of the second block's conv layer (block2_conv1 on VGG16) for one image."""
    import numpy as np
    from helpers.activations import get_activations

    image = np.zeros((1, *card.input_size, 3), np.float32)
    layer = card.filter_layers[1]                  # block2_conv1 on VGG16 and ShapesNet
    acts = get_activations(card.model, image, [layer], preprocess=card.preprocess)
    return acts[layer].shape[1:]          # drop the batch axis


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
