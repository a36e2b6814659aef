"""The model card: one object that knows which model is in use and what the notebooks need from it.

:class:`ModelCard` (model, input size, preprocess / deprocess, class names, layers, sample images,
demo classes, ``predict`` / ``top_k`` / ``class_id``) and :class:`ModelUnavailableError`. The cards
themselves are built by :mod:`.vgg16` and :mod:`.shipped`; :func:`helpers.models.load_model` chooses.
Used by every convnet notebook (00-04).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["ModelCard", "ModelUnavailableError", "PREDICT_BATCH"]

#: Images per forward pass in :meth:`ModelCard.predict`.
PREDICT_BATCH = 64


class ModelUnavailableError(RuntimeError):
    """The requested model cannot be loaded here (e.g. VGG16 weights offline)."""


@dataclass
class ModelCard:
    """A model plus what the notebooks need to know about it.

    Attributes:
        model: keras.Model taking (N, H, W, 3) *preprocessed* images and
            returning (N, classes) softmax probabilities.
        name: "vgg16", "efficientnet_lite0" or "shapesnet".
        input_size: (H, W) the model expects.
        preprocess: function images (N, H, W, 3) 0..255 -> model input; works
            on numpy arrays and on TensorFlow tensors (so it can sit inside a
            gradient tape).
        deprocess: function model input -> uint8 images 0..255 (numpy).
        class_names: list of the class names, index = class id.
        last_conv_layer: name of the last convolutional feature map layer
            (Grad-CAM's default layer).
        demo_classes: class ids the lessons use (DeepVis targets).
        reason: one line saying why this model was chosen.
        feature_layers: the feature maps the lessons walk through, from the
            input to ``last_conv_layer``: every convolution of the VGG-style
            networks, one map per stage of EfficientNet-Lite0 (notebook 01).
        filter_layers: the convolutions whose filter patterns notebook 02
            draws, one per block (VGG-style: each block's first conv).
    """

    model: object
    name: str
    input_size: tuple
    preprocess: Callable
    deprocess: Callable
    class_names: list
    last_conv_layer: str
    demo_classes: list
    reason: str = ""
    _samples: Callable = field(default=None, repr=False)
    feature_layers: list = field(default=None)
    filter_layers: list = field(default=None)

    def __post_init__(self):
        import keras

        convs = [layer.name for layer in self.model.layers if isinstance(layer, keras.layers.Conv2D)]
        if self.feature_layers is None:     # VGG-style: every convolution, in order
            self.feature_layers = convs
        if self.filter_layers is None:      # VGG-style: the first convolution of every block
            self.filter_layers = [name for name in convs if name.endswith("_conv1")]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def sample_images(self) -> dict:
        """dict name -> (H, W, 3) float32 0..255 image at ``input_size``."""
        return self._samples()

    def predict(self, images) -> np.ndarray:
        """Probabilities (N, classes) for images (N, H, W, 3) or one (H, W, 3) in 0..255.

        The images are checked first (:func:`helpers.inputs.check_images`): a
        0..1 image, an already preprocessed one, a wrong size or an empty
        batch get a message saying what to do, not a wrong answer. The images
        go through the network :data:`PREDICT_BATCH` at a time (memory).
        """
        from ..inputs import check_images

        images, _ = check_images(images, size=self.input_size)
        # compiled passes (~20 ms, not ~150 ms eager) of PREDICT_BATCH images: 500 ShapesNet images in one
        # pass held ~290 MB of layer outputs at once (notebook 04)
        return np.concatenate([np.asarray(self.model.predict_on_batch(self.preprocess(images[i:i + PREDICT_BATCH])))
                               for i in range(0, len(images), PREDICT_BATCH)])

    def top_k(self, images, k: int = 3) -> list:
        """Top-k predictions per image: [[(class_id, name, probability), ...], ...]; k in 1..num_classes."""
        from ..inputs import check_int

        k = check_int(k, "k", 1, self.num_classes)
        probs = self.predict(images)
        order = np.argsort(-probs, axis=1)[:, :k]
        return [[(int(c), self.class_names[c], float(p[c])) for c in row] for p, row in zip(probs, order)]

    def class_id(self, name) -> int:
        """Class id of a class name (case and spaces/underscores ignored); an id is checked and returned."""
        from ..inputs import class_index

        return class_index(self, name, name="name")
