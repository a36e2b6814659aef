"""Objectives: what image ``i`` of a batch maximises, one number per image.

* ``"channel"``: the mean over positions of channel ``targets[i]`` of a layer
  (filters, notebook 02); for a plain Conv2D only that channel is computed
  (:func:`single_channel_objective`);
* ``"logit"``: the class score *before* the softmax (DeepVis, notebook 03).

An objective is ``objective(outputs, targets) -> (B,)`` in TensorFlow ops;
the target is picked with ``tf.gather``, so no Python int reaches the
compiled loop. Used by :mod:`helpers.maximize.engine`.
"""
from __future__ import annotations

__all__ = ["OBJECTIVES", "channel_objective", "logit_objective", "trimmable", "single_channel_objective"]


def channel_objective(outputs, targets):
    """Mean over positions of channel targets[i] of outputs[i]: (B, h, w, C), (B,) -> (B,)."""
    import tensorflow as tf

    picked = tf.gather(outputs, targets, axis=outputs.shape.rank - 1, batch_dims=1)
    if picked.shape.rank > 1:
        picked = tf.reduce_mean(picked, axis=list(range(1, picked.shape.rank)))
    return picked


def logit_objective(outputs, targets):
    """Score of class targets[i] for image i: (B, K), (B,) -> (B,)."""
    import tensorflow as tf

    return tf.gather(outputs, targets, axis=1, batch_dims=1)


OBJECTIVES = {"channel": channel_objective, "logit": logit_objective}


def trimmable(layer) -> bool:
    """Can the selected channel of this layer be computed on its own (see single_channel_objective)?"""
    import keras

    return (type(layer) is keras.layers.Conv2D and layer.groups == 1 and layer.data_format == "channels_last"
            and tuple(layer.dilation_rate) == (1, 1) and layer.strides[0] == layer.strides[1]
            and len(layer.kernel.shape) == 4)


def single_channel_objective(layer):
    """Objective for a Conv2D that computes only channel targets[i] for image i.

    The layer's input (B, h, w, Cin) is laid side by side as one image with
    B*Cin channels and convolved depthwise with each image's own kernel
    ``kernel[..., targets[i]]``; summing over Cin gives the chosen channel's
    pre-activation, then bias and the layer's activation. Equal to the full
    layer followed by a gather, but the target layer costs 1/C of the work
    (block1_conv1 of VGG16: about 10x faster per step).
    """
    import tensorflow as tf

    kernel, bias, activation = layer.kernel, layer.bias if layer.use_bias else None, layer.activation
    stride, padding = int(layer.strides[0]), layer.padding.upper()
    kh, kw, cin = (int(v) for v in layer.kernel.shape[:3])

    def objective(inputs, targets):
        k = tf.gather(tf.convert_to_tensor(kernel), targets, axis=3)          # (kh, kw, Cin, B)
        shape = tf.shape(inputs)
        b, h, w = shape[0], shape[1], shape[2]
        x = tf.reshape(tf.transpose(inputs, [1, 2, 0, 3]), [1, h, w, b * cin])
        k = tf.reshape(tf.transpose(k, [0, 1, 3, 2]), [kh, kw, b * cin, 1])
        y = tf.nn.depthwise_conv2d(x, k, strides=[1, stride, stride, 1], padding=padding)
        out = tf.shape(y)
        y = tf.reduce_sum(tf.reshape(y, [out[1], out[2], b, cin]), axis=-1)  # (h', w', B)
        if bias is not None:
            y = y + tf.gather(tf.convert_to_tensor(bias), targets)
        return tf.reduce_mean(activation(y), axis=[0, 1])

    return objective
