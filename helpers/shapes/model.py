"""The ShapesNet network: build it, fold its BatchNorms into the convs, load the shipped weights.

4 VGG-style blocks of two 3x3 convs (16-32-64-128 filters, layer names
``block1_conv1`` ... ``block4_conv2`` as in VGG16), max pooling after blocks
1-3 (the last map is 8x8 for 64 px inputs), global average pooling,
``Dense(6, name="logits")`` and a separate ``Activation("softmax",
name="predictions")``.

Used by: helpers.models.load_model("shapesnet") (every convnet notebook with
``COURSE_MODEL=shapesnet``), notebook 05_rnn_motivation (the same weights at
other input sizes), :mod:`.training`.
"""
from __future__ import annotations

import os

import numpy as np

from .. import DATA_DIR
from ..inputs import check_int
from .data import IMAGE_SIZE
from .render import CLASS_NAMES

LAST_CONV_LAYER = "block4_conv2"
MODEL_PATH = os.path.join(DATA_DIR, "models", "shapesnet.keras")
CARD_PATH = os.path.join(DATA_DIR, "models", "shapesnet.md")
FILTERS = (16, 32, 64, 128)


def build_shapesnet(batchnorm=True, filters=FILTERS, input_size=IMAGE_SIZE, num_classes=len(CLASS_NAMES),
                    bn_momentum=0.9):
    """Build ShapesNet (untrained).

    Architecture: input (input_size, input_size, 3) in 0..255, Rescaling to
    [-1, 1], then one block per entry of ``filters``, each two 3x3 'same'
    convolutions ``blockB_conv1``, ``blockB_conv2`` and a 2x2 max pooling
    ``blockB_pool`` after every block but the last; GlobalAveragePooling2D
    ``gap``, ``Dense(num_classes, name="logits")`` and
    ``Activation("softmax", name="predictions")``.

    With ``batchnorm=False`` every conv has the ReLU fused
    (``Conv2D(..., activation="relu")``), exactly like VGG16: this is the
    shipped model.  With ``batchnorm=True`` (training), each conv has no
    activation and no bias and is followed by ``BatchNormalization``
    (``blockB_bnC``, momentum ``bn_momentum``) and ``Activation("relu")``
    (``blockB_reluC``); ``fold_batchnorm`` turns it into the shipped form.

    Args:
        batchnorm: see above.
        filters: filters per block (default 16, 32, 64, 128).
        input_size: image side; must be divisible by 2 ** (len(filters) - 1).
        num_classes: outputs.
        bn_momentum: BatchNorm momentum (0.9: with Keras's 0.99 a short run
            stayed at chance).

    Returns:
        keras.Model named "shapesnet" (or "shapesnet_bn"), outputs softmax
        probabilities (N, num_classes).

    Used by: ``train``, tests/test_shapes.py.
    """
    import keras
    from keras import layers

    filters = tuple(check_int(f, f"filters[{i}]", 1) for i, f in enumerate(filters))
    if not filters:
        raise ValueError("filters must be a non-empty sequence of positive integers (filters per block), got ()")
    input_size = check_int(input_size, "input_size", 1)
    num_classes = check_int(num_classes, "num_classes", 2)
    if input_size % (2 ** (len(filters) - 1)):
        raise ValueError(f"input_size {input_size} must be divisible by 2**{len(filters) - 1} "
                         f"(one 2x2 pooling after each of the first {len(filters) - 1} blocks)")

    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescaling")(inputs)
    for b, f in enumerate(filters, start=1):
        for c in (1, 2):
            name = f"block{b}_conv{c}"
            if batchnorm:
                x = layers.Conv2D(f, 3, padding="same", use_bias=False, name=name)(x)
                x = layers.BatchNormalization(momentum=bn_momentum, name=f"block{b}_bn{c}")(x)
                x = layers.Activation("relu", name=f"block{b}_relu{c}")(x)
            else:
                x = layers.Conv2D(f, 3, padding="same", activation="relu", name=name)(x)
        if b < len(filters):
            x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(num_classes, name="logits")(x)
    outputs = layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="shapesnet_bn" if batchnorm else "shapesnet")

def fold_batchnorm(bn_model):
    """Fold every BatchNorm of a ``build_shapesnet(batchnorm=True)`` model into its conv.

    For a conv with kernel W (bias b, 0 if none) followed by BatchNorm with
    gamma, beta, moving mean m and variance v (epsilon e), the inference-mode
    output is s * (W*x + b - m) + beta with s = gamma / sqrt(v + e), i.e. a conv
    with kernel W * s (per output channel) and bias s * (b - m) + beta.

    Args:
        bn_model: a model built by ``build_shapesnet(batchnorm=True, ...)``
            (any filters / input size), trained or not.

    Returns:
        keras.Model built by ``build_shapesnet(batchnorm=False, ...)`` with
        the folded weights: same outputs as ``bn_model(x, training=False)``
        up to float rounding.

    Used by: ``train``, tests/test_shapes.py.
    """
    import keras

    if not isinstance(bn_model, keras.Model):
        raise TypeError(f"fold_batchnorm expects a keras.Model, got {type(bn_model).__name__}")
    names = [layer.name for layer in bn_model.layers]
    n_blocks = 0
    while f"block{n_blocks + 1}_conv1" in names:
        n_blocks += 1
    if n_blocks == 0 or f"block1_bn1" not in names:
        raise ValueError("fold_batchnorm expects a model from build_shapesnet(batchnorm=True): "
                         "layers blockB_convC each followed by blockB_bnC")
    filters = [bn_model.get_layer(f"block{b}_conv1").filters for b in range(1, n_blocks + 1)]
    logits = bn_model.get_layer("logits")
    plain = build_shapesnet(batchnorm=False, filters=filters, input_size=bn_model.input_shape[1],
                            num_classes=logits.units)
    for b in range(1, n_blocks + 1):
        for c in (1, 2):
            conv = bn_model.get_layer(f"block{b}_conv{c}")
            bn = bn_model.get_layer(f"block{b}_bn{c}")
            kernel = np.asarray(conv.kernel, dtype=np.float64)
            bias = np.asarray(conv.bias, dtype=np.float64) if conv.use_bias else np.zeros(kernel.shape[-1])
            gamma = np.asarray(bn.gamma, dtype=np.float64) if bn.scale else np.ones(kernel.shape[-1])
            beta = np.asarray(bn.beta, dtype=np.float64) if bn.center else np.zeros(kernel.shape[-1])
            mean = np.asarray(bn.moving_mean, dtype=np.float64)
            var = np.asarray(bn.moving_variance, dtype=np.float64)
            s = gamma / np.sqrt(var + bn.epsilon)
            plain.get_layer(f"block{b}_conv{c}").set_weights(
                [(kernel * s).astype(np.float32), (s * (bias - mean) + beta).astype(np.float32)])
    plain.get_layer("logits").set_weights(logits.get_weights())
    return plain

def load_shapesnet(path=None):
    """Load the shipped ShapesNet (not compiled): its architecture from ``build_shapesnet``, its weights from the file.

    Args:
        path: a .keras file; default ``MODEL_PATH`` (data/models/shapesnet.keras).

    Returns:
        keras.Model: (N, 64, 64, 3) float32 images in 0..255 -> (N, 6) softmax
        probabilities; conv layers block1_conv1 ... block4_conv2 (ReLU fused).

    Raises:
        FileNotFoundError (saying to run ``make shapesnet``) when the file is missing.

    Used by: helpers.models.load_model("shapesnet").
    """
    import keras

    path = MODEL_PATH if path is None else os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"ShapesNet weights not found at {path}. Run `make shapesnet` (or "
            f"`python -m helpers.shapes train`) to train them (<= 10 minutes on a CPU).")
    # The architecture is built here and only the weights are read from the file: a .keras file's
    # layer configs carry the saving Keras's arguments (3.15 writes GlorotUniform(input_axes=...)),
    # which an older Keras (Colab's 3.13) refuses to deserialize.
    model = build_shapesnet(batchnorm=False)
    try:
        model.load_weights(path)
    except Exception as exc:   # another model's file, or a damaged one: say which file and what to do
        raise ValueError(f"{path} does not hold ShapesNet's weights ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0][:200] if str(exc) else ''}). Restore it with "
                         "`git checkout -- data/models/shapesnet.keras` or retrain it with `make shapesnet`.") from None
    return model
