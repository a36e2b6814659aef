"""Reference solutions, notebook 03 (DeepVis). Not imported by the notebooks."""


def l2_decay(x, decay):
    """Exercise 3.1: shrink an image (relative to grey) by the fraction `decay`; x is not modified."""
    return x * (1 - decay)


def decay_half_life():
    """Exercise 3.2: preset yosinski3 with the per-step decay that halves the contrast in 100 steps."""
    from helpers.maximize import regularizers

    decay = 1 - 0.5 ** (1 / 100)          # (1 - decay) ** 100 == 0.5
    return regularizers("yosinski3", l2_decay=decay)


def total_variation(img):
    """Exercise 3.3: sum of absolute differences between vertical and horizontal neighbours."""
    import numpy as np

    return float(np.abs(np.diff(img, axis=0)).sum() + np.abs(np.diff(img, axis=1)).sum())
