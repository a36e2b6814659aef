"""The loaders: one image, several images, a batch; the size argument, resizing and stacking.

:func:`load_image` dispatches a source (path, file object, PIL image, array) to :mod:`.decode` and
:mod:`.convert`, then resizes; :func:`load_images` and :func:`to_batch` stack images of one size;
:func:`as_batch` is the light check for arrays already in memory.
Used by notebooks 00_start_here, 01_vgg16_activations, 04_gradcam and ``helpers.models``.
"""
from __future__ import annotations

import numbers
import os
from collections.abc import Mapping

import numpy as np
from PIL import Image

from .convert import _array_to_rgb, _is_array_like, _pil_to_rgb
from .decode import _decode_pil, _display_name, _open_fileobj, _open_path
from .errors import ImageLoadError, _prefix_errors, _short_repr

__all__ = ["load_image", "load_images", "as_batch", "to_batch"]


def load_image(source, size=None) -> np.ndarray:
    """Load one image as a (H, W, 3) float32 RGB array with values 0..255.

    Args:
        source: one of
            - a path (``str`` or ``pathlib.Path``) to a JPEG, PNG, GIF (first
              frame), BMP, WebP or TIFF file;
            - a binary file object (e.g. ``io.BytesIO``) holding such a file;
            - a PIL image;
            - an array (numpy, or anything ``np.asarray`` accepts, e.g. a
              TensorFlow tensor) of shape (H, W), (H, W, 1), (H, W, 3) or
              (H, W, 4): uint8 0..255, uint16 0..65535 (scaled to 0..255),
              other integers 0..255, or float 0..255 (finite).
        size: ``None`` (keep the size), an int ``s`` (resize to s x s) or
            ``(height, width)``.  Resizing stretches to exactly that size with
            Pillow's bilinear filter, like Keras's ``load_img(target_size)``.

    Returns:
        ``images``-style array of shape (H, W, 3) (or ``size``), dtype
        float32, values in 0..255, RGB; always a new array (never a view of
        ``source``).  See the module docstring for how transparency, 16-bit,
        float, CMYK and EXIF orientation are handled.

    Raises:
        FileNotFoundError: the path does not exist (the message says where
            the sample images are).
        IsADirectoryError: the path is a folder.
        PermissionError: the file cannot be read.
        TypeError: ``source`` or ``size`` has an unsupported type, or the
            array has an unsupported dtype (bool, complex, str, object).
        ImageLoadError (a ValueError): empty, truncated, corrupt or non-image
            file; array with a wrong shape, NaN/inf, values outside 0..255
            or a 0..1 float range; invalid ``size``.

    Used by 00_start_here, 01_vgg16_activations, 04_gradcam and
    ``helpers.models``.
    """
    target = _check_size(size)
    rgb = _to_rgb_float(source)
    if target is not None:
        rgb = _resize(rgb, target)
    return rgb


def load_images(sources, size=None) -> np.ndarray:
    """Load several images into one (N, H, W, 3) float32 batch (0..255).

    Args:
        sources: an iterable of anything ``load_image`` accepts (paths,
            arrays, PIL images); a dict (e.g. ``sample_image_paths()``) uses
            its values in order; a single path is treated as a list of one.
        size: as in ``load_image``.  Needed when the images have different
            sizes, since a batch holds images of one size.

    Returns:
        ``images`` array (N, H, W, 3), float32, values 0..255.

    Raises:
        The errors of ``load_image``, with the position in ``sources``
        prepended to the message; ``ImageLoadError`` if ``sources`` is empty
        or the images have different sizes and ``size`` is None.

    Used by 01_vgg16_activations, 04_gradcam and ``helpers.models``.
    """
    target = _check_size(size)
    items = _as_source_list(sources, "load_images")
    loaded = []
    for i, item in enumerate(items):
        with _prefix_errors(f"sources[{i}]"):
            loaded.append(load_image(item, target))
    return _stack(loaded)


def as_batch(images) -> np.ndarray:
    """A light check for arrays already in memory: one image or a batch -> (N, H, W, 3) float32.

    Unlike :func:`to_batch` it does not check the value range (gradient-ascent
    images may leave 0..255), only the shape and that every value is finite.

    Args:
        images: array-like (N, H, W, 3) or one image (H, W, 3).
    Returns:
        (N, H, W, 3) float32 array (a view when no conversion is needed).
    Raises:
        ValueError naming the shape, or the presence of NaN / inf.
    Used by: ModelCard.predict, helpers.activations, helpers.deepvis (notebooks 00-04).
    """
    x = np.asarray(images, dtype=np.float32)
    given = x.shape
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(
            f"images must have shape (N, H, W, 3) (or one image (H, W, 3)), got {given}; "
            "load photos with helpers.images.load_image(path, size=card.input_size)."
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or infinite values; give finite pixel values in 0..255.")
    return x


def to_batch(images_or_image) -> np.ndarray:
    """Turn one image or several images into an (N, H, W, 3) float32 batch.

    Args:
        images_or_image: one image (anything ``load_image`` accepts, e.g. an
            (H, W, 3) array or a path), an (N, H, W, C) array with C in
            1, 3, 4 (a batch), or a list/tuple of images of the same size.

    Returns:
        ``images`` array (N, H, W, 3), float32, values 0..255; N = 1 for a
        single image.  Always a new array.

    Raises:
        The errors of ``load_image`` for each image; ``ImageLoadError`` if
        the list is empty or the images have different sizes (hint: use
        ``load_images(sources, size=...)``).

    Used by the notebooks (00_start_here, 01_vgg16_activations, 04_gradcam)
    before calling a model: ``model(card.preprocess(to_batch(image)))``.
    """
    x = images_or_image
    if isinstance(x, (list, tuple)):
        if len(x) == 0:
            raise ImageLoadError("to_batch got an empty list: give at least one image.")
        loaded = []
        for i, item in enumerate(x):
            with _prefix_errors(f"images[{i}]"):
                loaded.append(load_image(item))
        return _stack(loaded)
    if _is_array_like(x):
        arr = np.asarray(x)
        if arr.ndim == 4:
            return _array_to_rgb(arr, "the array", batch=True)
    return load_image(x)[np.newaxis]


def _to_rgb_float(source) -> np.ndarray:
    if isinstance(source, (str, os.PathLike)):
        return _pil_to_rgb(_open_path(source), _display_name(source))
    if isinstance(source, Image.Image):
        return _pil_to_rgb(_decode_pil(source, "the PIL image"), "the PIL image")
    if isinstance(source, (bytes, bytearray)):
        raise TypeError(
            "load_image got raw bytes. For the contents of an image file use "
            "load_image(io.BytesIO(data)); for a path use a str or pathlib.Path."
        )
    if isinstance(source, (list, tuple)):
        raise TypeError(
            f"load_image takes one image but got a {type(source).__name__} of "
            f"{len(source)} items. Use load_images(list_of_paths, size=...) or "
            f"to_batch(list_of_arrays) for several images, or np.asarray(...) "
            f"if this is the pixel data of one image."
        )
    if hasattr(source, "read"):
        name = f"file object {getattr(source, 'name', type(source).__name__)!r}"
        return _pil_to_rgb(_open_fileobj(source, name), name)
    if _is_array_like(source):
        return _array_to_rgb(np.asarray(source), "the array", batch=False)
    raise TypeError(
        f"load_image cannot read an object of type {type(source).__name__} ({_short_repr(source)}). "
        f"Give a file path (str or pathlib.Path), a numpy array of shape "
        f"(H, W, 3) with values 0..255, or a PIL image."
    )


def _check_size(size):
    if size is None:
        return None
    if isinstance(size, bool):
        raise TypeError(f"size must be None, an int or (height, width); got {size!r}.")
    if isinstance(size, numbers.Integral):
        dims = (int(size), int(size))
    elif isinstance(size, (tuple, list, np.ndarray)) and len(size) == 2 and all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size
    ):
        dims = (int(size[0]), int(size[1]))
    else:
        raise TypeError(
            f"size must be None, an int (square side) or (height, width) ints; "
            f"got {_short_repr(size)}."
        )
    if dims[0] <= 0 or dims[1] <= 0:
        raise ImageLoadError(f"size must be positive; got {size!r} (height, width).")
    return dims


def _resize(rgb: np.ndarray, target) -> np.ndarray:
    height, width = target
    if rgb.shape[:2] == (height, width):
        return rgb
    channels = []
    for c in range(3):
        plane = Image.fromarray(np.ascontiguousarray(rgb[..., c], dtype=np.float32))  # mode "F"
        resized = plane.resize((width, height), resample=Image.Resampling.BILINEAR)
        channels.append(np.asarray(resized, dtype=np.float32))
    out = np.stack(channels, axis=-1)
    return np.clip(out, 0.0, 255.0, out=out)


def _stack(loaded) -> np.ndarray:
    if not loaded:
        raise ImageLoadError("No images given: pass at least one.")
    shapes = [img.shape[:2] for img in loaded]
    if len(set(shapes)) > 1:
        listed = ", ".join(str(s) for s in shapes[:6]) + (" ..." if len(shapes) > 6 else "")
        raise ImageLoadError(
            f"The images have different sizes (height, width): {listed}. A batch "
            f"needs one size: use load_images(sources, size=(224, 224)) or resize "
            f"each with load_image(image, size=...)."
        )
    return np.stack(loaded).astype(np.float32, copy=False)


def _as_source_list(sources, caller: str) -> list:
    if isinstance(sources, (str, os.PathLike)):
        return [sources]
    if isinstance(sources, Mapping):
        return list(sources.values())
    if isinstance(sources, np.ndarray) and sources.ndim == 4:
        return list(sources)
    try:
        return list(sources)
    except TypeError:
        raise TypeError(
            f"{caller} expects a list of images (paths, arrays or PIL images); "
            f"got a {type(sources).__name__}. For one image use load_image."
        ) from None
