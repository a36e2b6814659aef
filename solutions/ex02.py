"""Reference solutions, notebook 02 (convnet filters). Not imported by the notebooks."""


def kernel_size(card):
    """Exercise 2.1: number of weights of ONE filter of the second block's conv layer (bias excluded)."""
    kh, kw, c_in, _ = card.model.get_layer(card.filter_layers[1]).get_weights()[0].shape
    return kh * kw * c_in


def vertical_edge(card):
    """Exercise 2.2: first-layer kernel with the largest cosine to a dark-left / bright-right edge."""
    import numpy as np
    from helpers.activations import conv_layer_names

    kernels = card.model.get_layer(conv_layer_names(card.model)[0]).get_weights()[0]   # (3, 3, 3, F)
    grey = kernels.sum(axis=2).reshape(9, -1)                                          # (9, F)
    template = np.tile([-1.0, 0.0, 1.0], (3, 1)).ravel()                               # columns change
    norm = np.linalg.norm(template) * np.linalg.norm(grey, axis=0)
    cosine = np.where(norm > 0, template @ grey / np.where(norm > 0, norm, 1.0), 0.0)  # all-zero kernel: 0
    return int(np.argmax(cosine))


def conv_response(x, kernel, bias):
    """Exercise 2.3: ReLU(cross-correlation of x with kernel + bias) at the valid positions."""
    import numpy as np

    H, W, _ = x.shape
    kh, kw, _ = kernel.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = np.sum(x[r:r + kh, c:c + kw, :] * kernel) + bias
    return np.maximum(out, 0.0)
