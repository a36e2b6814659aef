"""Reference solutions, notebook 04 (Grad-CAM). Not imported by the notebooks."""


def gradcam_weights(ex_data):
    """Exercise 4.1: w_k = mean over positions of dy^c/dA^k."""
    return ex_data["grads"].mean(axis=(0, 1))


def gradcam_map(ex_data):
    """Exercise 4.2: ReLU of the weighted sum of the channels, divided by its maximum."""
    import numpy as np

    A, grads = ex_data["A"], ex_data["grads"]
    weights = grads.mean(axis=(0, 1))
    heat = np.maximum((A * weights).sum(axis=-1), 0)
    return heat / heat.max()


def before_softmax():
    """Exercise 4.3: after the softmax the gradient vanishes for confident predictions (choice b)."""
    return "b"


def runner_up_weights(card, image):
    """Exercise 4.4: Grad-CAM weights of the second most likely class, with a GradientTape."""
    import keras
    import numpy as np
    import tensorflow as tf
    from helpers.models import logits_model

    model = card.model
    grad_model = keras.Model(model.input, [model.get_layer(card.last_conv_layer).output,
                                           logits_model(model).output])
    with tf.GradientTape() as tape:
        A, scores = grad_model(card.preprocess(image[None]))
        c = int(np.argsort(-scores[0].numpy())[1])          # the runner-up class
        y_c = scores[:, c]                                  # its score before the softmax
    grads = tape.gradient(y_c, A)[0].numpy()
    return grads.mean(axis=(0, 1))
