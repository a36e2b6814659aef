"""Reading and writing Keras HDF5 weights files (the ImageNet files' layout), a few rows at a time.

:func:`load_weights_h5` fills VGG16 without holding a second copy of its 411 MB fc1 kernel;
:func:`save_weights_h5` writes the same layout (``make vgg16-memory``, the tests).
Used by the VGG16 card (:mod:`.vgg16`, notebooks 00-04 with COURSE_MODEL=vgg16).
"""
from __future__ import annotations

import numpy as np

__all__ = ["load_weights_h5", "save_weights_h5"]


def _h5_names(group, key: str) -> list[str]:
    """A list attribute of an HDF5 group, also when Keras split a long one into key0, key1, ..."""
    if key in group.attrs:
        values = list(group.attrs[key])
    else:
        values, i = [], 0
        while f"{key}{i}" in group.attrs:
            values += list(group.attrs[f"{key}{i}"])
            i += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def load_weights_h5(model, path: str, rows: int = 1024) -> None:
    """Fill ``model``'s variables from a Keras HDF5 weights file (the ImageNet files' layout), a few rows at a time.

    The layout of ``vgg16_weights_tf_dim_ordering_tf_kernels.h5``: the root lists ``layer_names``;
    each layer's group lists its ``weight_names`` in the order of ``layer.weights``. Layers with
    weights are matched in order, as Keras's own loader does. Each array is copied ``rows`` rows
    at a time, so that loading VGG16 never holds a second copy of its 411 MB fc1 kernel
    (Keras's loader reads every array whole: about 1.2 GB more at the peak).

    Args:
        model: keras.Model whose variables are to be filled (e.g. :func:`vgg16_unfilled`).
        path: the .h5 file. A file in another layout (Keras 3's ``.weights.h5``) is handed to
            ``model.load_weights``.
    Raises:
        ValueError naming the layer when the file's layers or shapes do not fit the model.
    """
    import h5py

    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        if not _h5_names(group, "layer_names"):
            f.close()
            model.load_weights(path)
            return
        stored = [name for name in _h5_names(group, "layer_names") if _h5_names(group[name], "weight_names")]
        layers = [layer for layer in model.layers if layer.weights]
        if len(stored) != len(layers):
            raise ValueError(f"{path} holds weights for {len(stored)} layers; the model has {len(layers)}.")
        for layer, name in zip(layers, stored):
            names = _h5_names(group[name], "weight_names")
            if len(names) != len(layer.weights):
                raise ValueError(f"layer {layer.name}: {len(names)} arrays in the file, {len(layer.weights)} in the model.")
            for variable, weight in zip(layer.weights, names):
                data = group[name][weight]
                if tuple(data.shape) != tuple(variable.shape):
                    raise ValueError(f"layer {layer.name}: the file's {weight} is {tuple(data.shape)}, "
                                     f"the model's {variable.path} is {tuple(variable.shape)}.")
                target = getattr(variable, "value", variable)
                for start in range(0, max(data.shape[0], 1), rows):
                    if data.ndim == 0:
                        target.assign(data[()])
                    else:
                        target[start:start + rows].assign(data[start:start + rows])


def save_weights_h5(model, path: str) -> None:
    """Write ``model``'s weights in the layout :func:`load_weights_h5` reads (that of Keras's ImageNet files).

    Used by ``make vgg16-memory`` (random VGG16 weights that load exactly as the real file does)
    and by the tests.
    """
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode("utf8") for layer in model.layers]
        for layer in model.layers:
            g = f.create_group(layer.name)
            names = [f"{layer.name}/{v.name}_{i}:0" for i, v in enumerate(layer.weights)]
            g.attrs["weight_names"] = [n.encode("utf8") for n in names]
            for name, variable in zip(names, layer.weights):
                g.create_dataset(name, data=np.asarray(variable.numpy()))
