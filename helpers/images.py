"""Load any image a student has into the course's image format.

The course's image format: a float32 numpy array of shape (H, W, 3), RGB,
values 0..255, *before* any model preprocessing.  A batch is (N, H, W, 3).

Used by every notebook that shows a photo (00_start_here, 01_vgg16_activations,
04_gradcam) and by ``helpers.models`` for the model card's sample images.

Main entry points
-----------------
``load_image(source, size=None)``
    One image from a path, a binary file object, a numpy array (or anything
    ``np.asarray`` understands, such as a TensorFlow tensor) or a PIL image.
``load_images(sources, size=None)`` / ``to_batch(images_or_image)``
    Several images stacked into one (N, H, W, 3) batch.
``sample_image_paths()``
    The photos shipped in ``data/images`` (cat, coffee, astronaut, rocket).

Choices (the same for files, PIL images and arrays)
---------------------------------------------------
- Transparency (RGBA, LA, palette images with a transparent colour, arrays
  of shape (H, W, 4)) is composited onto a **white** background, which is
  what an image viewer or a web page shows.  Keras's ``load_img`` instead
  drops the alpha channel, which can reveal arbitrary colours hidden under
  fully transparent pixels.
- Resizing (``size``) stretches the image to exactly (height, width), as
  Keras's ``load_img(target_size=...)`` does, with Pillow's **bilinear**
  filter (antialiased when shrinking) applied to the float values, so no
  precision is lost to 8-bit rounding.
- 16-bit grayscale files (PNG, TIFF: Pillow modes ``I;16*`` and ``I``) are
  scaled 0..65535 -> 0..255 (65535 -> 255.0, 32768 -> 127.5); uint16 arrays
  likewise.  16-bit *colour* PNGs are reduced by Pillow to their high byte
  (32768 -> 128 instead of 127.5: an error below one grey level).
- 32-bit float files (Pillow mode ``F``, e.g. float TIFFs) conventionally
  hold 0..1: if all their values are within 0..1 they are multiplied by 255;
  values within 0..255 are kept; anything else is an error.
- Float *arrays* must already be on the 0..255 scale.  A float array whose
  values all lie within 0..1 (and is not all zero) is refused with a hint to
  multiply by 255: it almost always is a 0..1 image that would otherwise look
  black to the model.  Pass a genuinely dark 0..255 image as uint8 instead.
  Values at most half a grey level outside 0..255 (rounding) are clipped.
- CMYK (e.g. print JPEGs) is converted with Pillow's formula
  R = (255 - C) * (255 - K) / 255 (Adobe's inverted CMYK JPEGs are handled by
  Pillow); an embedded ICC profile is not applied.
- EXIF orientation (phone photos) is applied with ``ImageOps.exif_transpose``.
- Files are read once, read-only, and never modified.  The whole image is
  decoded, so a truncated file is an error, never a half-grey image; Pillow's
  global ``ImageFile.LOAD_TRUNCATED_IMAGES`` is left as it is (False by
  default; if other code set it to True, truncated JPEGs may load partially).

Errors: every problem raises an exception that subclasses the natural
built-in (``FileNotFoundError``, ``IsADirectoryError``, ``PermissionError``,
``TypeError``, or ``ImageLoadError`` which is a ``ValueError``) with a
message naming the input, the problem and what to do.
"""
from __future__ import annotations

import io
import numbers
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import DATA_DIR

__all__ = [
    "ImageLoadError",
    "load_image",
    "load_images",
    "to_batch",
    "as_batch",
    "sample_image_paths",
    "SAMPLE_IMAGES_DIR",
]

SAMPLE_IMAGES_DIR = os.path.join(DATA_DIR, "images")

# name -> file in data/images (sources and licences in data/LICENSES)
_SAMPLE_FILES = {
    "cat": "chelsea.png",
    "coffee": "coffee.png",
    "astronaut": "astronaut.png",
    "rocket": "rocket.jpg",
}

# Pillow modes holding 16-bit grayscale samples (scaled 0..65535 -> 0..255).
_MODES_16BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


class ImageLoadError(ValueError):
    """An image (file, PIL image or array) could not be turned into an image.

    Subclasses ``ValueError``; the message names the input, the problem and
    what to do about it.
    """


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------
def sample_image_paths() -> dict[str, str]:
    """The course's sample photos.

    Returns:
        dict name -> absolute path (str) of the files in ``data/images``:
        ``"cat"`` (chelsea.png), ``"coffee"``, ``"astronaut"``, ``"rocket"``.
        Sources and licences are in ``data/LICENSES``.

    Raises:
        FileNotFoundError: if a sample file is missing from the repository.

    Used by 00_start_here, 01_vgg16_activations, 04_gradcam and the model
    card (``helpers.models``).
    """
    paths = {}
    for name, filename in _SAMPLE_FILES.items():
        path = os.path.join(SAMPLE_IMAGES_DIR, filename)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"Sample image {name!r} is missing: {path} does not exist. The "
                f"repository's data/images folder is incomplete; restore it "
                f"with `git checkout -- data/images` from the repository root."
            )
        paths[name] = path
    return paths


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


# --------------------------------------------------------------------------
# sources
# --------------------------------------------------------------------------
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


def _is_array_like(x) -> bool:
    if isinstance(x, (numbers.Number, np.generic, str, bytes)):
        return False
    return isinstance(x, np.ndarray) or hasattr(x, "__array__")


def _short_repr(x, limit=60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _display_name(source) -> str:
    return repr(os.fspath(source))


def _sample_hint() -> str:
    names = ", ".join(sorted(_SAMPLE_FILES.values()))
    return (
        f"The course's sample images are in {SAMPLE_IMAGES_DIR} ({names}); "
        f"helpers.images.sample_image_paths() gives their full paths."
    )


def _open_path(source) -> Image.Image:
    raw = os.fspath(source)
    if isinstance(raw, bytes):
        raw = os.fsdecode(raw)
    name = repr(raw)
    if raw.strip() == "":
        raise ImageLoadError("load_image got an empty path ''. " + _sample_hint())
    if raw.startswith(("http://", "https://")):
        raise ImageLoadError(
            f"{name} is a web address: load_image reads local files only "
            f"(the course runs offline). Download the file first, e.g. "
            f"path = keras.utils.get_file('photo.jpg', url), then load_image(path)."
        )
    path = Path(raw).expanduser()
    if not path.exists():
        where = "" if path.is_absolute() else f" (relative paths start from the current folder {os.getcwd()})"
        raise FileNotFoundError(
            f"No such image file: {name}{where}. Check the spelling and the "
            f"folder. {_sample_hint()}"
        )
    if path.is_dir():
        inside = sorted(p.name for p in path.iterdir() if p.is_file())[:3]
        example = f" (it contains e.g. {', '.join(inside)})" if inside else " (it holds no files)"
        raise IsADirectoryError(
            f"{name} is a folder, not an image file{example}. Give the path of "
            f"one file inside it; to load several use "
            f"load_images(sorted(pathlib.Path({raw!r}).glob('*.jpg')), size=...)."
        )
    try:
        with open(path, "rb") as handle:  # read-only; the file is never written
            data = handle.read()
    except PermissionError as exc:
        raise PermissionError(
            f"Cannot read {name}: permission denied. Check the file's permissions "
            f"or copy it to a folder you own."
        ) from exc
    except OSError as exc:
        raise ImageLoadError(f"Cannot read {name}: {exc}. Check the path and the disk.") from exc
    if len(data) == 0:
        raise ImageLoadError(
            f"{name} is empty (0 bytes): the download or copy did not finish. "
            f"Download or copy the image again."
        )
    return _open_bytes(data, name)


def _open_fileobj(fileobj, name) -> Image.Image:
    try:
        data = fileobj.read()
    except Exception as exc:
        raise ImageLoadError(f"Cannot read {name}: {exc}") from exc
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"{name} is a text file object; open the image in binary mode: open(path, 'rb').")
    if len(data) == 0:
        raise ImageLoadError(f"{name} is empty (0 bytes left to read); did you read it already? Rewind with f.seek(0).")
    return _open_bytes(bytes(data), name)


def _open_bytes(data: bytes, name: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise ImageLoadError(
            f"{name} is not an image file Pillow can read ({len(data)} bytes, "
            f"{_describe_start(data)}). Supported: JPEG, PNG, GIF, BMP, WebP, "
            f"TIFF. If it came from the web, it may be an error page saved under "
            f"an image name: download the image itself again."
        ) from exc
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(
            f"{name} is too large for Pillow's safety limit ({exc}). Shrink it "
            f"with an image editor first."
        ) from exc
    except Exception as exc:  # corrupt headers raise assorted errors
        raise ImageLoadError(
            f"{name} is a corrupt image file: Pillow could not read its header "
            f"({type(exc).__name__}: {exc}). Download or copy the image again."
        ) from exc
    file_format = image.format
    decoded = _decode_pil(image, name, size_bytes=len(data))
    if file_format == "PNG" and data.rfind(b"IEND") == -1:
        # Pillow accepts a PNG whose pixels are complete but whose end is cut off
        raise ImageLoadError(
            f"{name} is a truncated PNG file ({len(data)} bytes): it ends before "
            f"the PNG end marker (IEND). Download or copy the image again."
        )
    return decoded


def _describe_start(data: bytes) -> str:
    head = data[:30]
    text = head.decode("utf-8", errors="replace")
    if "\ufffd" in text or not all(c.isprintable() or c in "\r\n\t" for c in text):
        return f"it starts with the bytes {data[:12]!r}"
    lowered = data[:1024].decode("utf-8", errors="replace").lower()
    kind = "an HTML page" if ("<html" in lowered or "<!doctype" in lowered) else "text"
    return f"it looks like {kind}, starting with {text!r}"


def _decode_pil(image: Image.Image, name: str, size_bytes: int | None = None) -> Image.Image:
    """Fully decode (so truncation is detected) and apply EXIF orientation."""
    try:
        image.load()
    except Exception as exc:
        kind = f"{image.format} file" if image.format else "image"
        nbytes = f" ({size_bytes} bytes)" if size_bytes is not None else ""
        raise ImageLoadError(
            f"{name} is a truncated or corrupt {kind}{nbytes}: decoding the "
            f"whole image failed ({type(exc).__name__}: {exc}). Partial images "
            f"are not loaded; download or copy the image again."
        ) from exc
    try:
        rotated = ImageOps.exif_transpose(image)
    except Exception as exc:  # malformed EXIF must not stop a lesson
        warnings.warn(
            f"{name}: its EXIF orientation tag could not be applied ({exc}); "
            f"the image is used as stored.",
            stacklevel=4,
        )
        return image
    return image if rotated is None else rotated


# --------------------------------------------------------------------------
# conversion to (H, W, 3) float32 0..255
# --------------------------------------------------------------------------
def _composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """(..., 4) float 0..255 -> (..., 3) float: alpha-composite onto white."""
    alpha = rgba[..., 3:4] / 255.0
    return rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)


def _pil_to_rgb(image: Image.Image, name: str) -> np.ndarray:
    mode = image.mode
    if mode in _MODES_16BIT:
        values = np.asarray(image).astype(np.float64)
        lo, hi = float(values.min()), float(values.max())
        if lo < 0 or hi > 65535:
            raise ImageLoadError(
                f"{name} is a 32-bit integer image (Pillow mode {mode}) with values "
                f"{lo:g}..{hi:g}, outside the 16-bit range 0..65535 that "
                f"load_image understands. Convert it to an 8-bit image first."
            )
        gray = values * (255.0 / 65535.0)
        rgb = np.repeat(gray[..., np.newaxis], 3, axis=-1)
    elif mode == "F":
        values = np.asarray(image).astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise ImageLoadError(f"{name} is a float image containing NaN or infinite values; it cannot be shown or classified. Fix the file.")
        lo, hi = float(values.min()), float(values.max())
        if lo >= 0 and hi <= 1:
            values = values * 255.0  # float image files conventionally hold 0..1
        elif lo < 0 or hi > 255:
            raise ImageLoadError(
                f"{name} is a float image (Pillow mode F) with values {lo:g}..{hi:g}; "
                f"load_image understands float images in 0..1 or 0..255. Rescale it first."
            )
        rgb = np.repeat(values[..., np.newaxis], 3, axis=-1)
    elif mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA")).astype(np.float64)
        rgb = _composite_on_white(rgba)
    else:
        # RGB, L, 1, P, CMYK, YCbCr, ...: Pillow's converters
        try:
            converted = image.convert("RGB")
        except Exception as exc:
            raise ImageLoadError(
                f"{name} uses the colour mode {mode!r}, which cannot be converted "
                f"to RGB ({exc}). Save it as an RGB JPEG or PNG first."
            ) from exc
        rgb = np.asarray(converted)
    return np.ascontiguousarray(rgb, dtype=np.float32)


def _array_to_rgb(arr: np.ndarray, name: str, batch: bool) -> np.ndarray:
    """Validate an array and return float32 (..., H, W, 3) 0..255 (a copy)."""
    dtype = arr.dtype
    if dtype == np.bool_:
        raise TypeError(
            f"{name} is boolean (a mask?): images need numbers 0..255. Use "
            f"mask.astype(np.uint8) * 255 for a black-and-white image."
        )
    if dtype.kind not in "uif":
        raise TypeError(
            f"{name} has dtype {dtype}; images need uint8 or float values 0..255 "
            f"(e.g. np.asarray(pixels, dtype=np.float32))."
        )
    shape = tuple(arr.shape)
    want = "(N, H, W, C)" if batch else "(H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
    spatial_ndim = 3 if batch else 2
    if arr.ndim == spatial_ndim:
        if batch:
            raise ImageLoadError(f"{name} has shape {shape}, expected {want} with C = 1, 3 or 4.")
        arr = arr[..., np.newaxis]
    elif arr.ndim == spatial_ndim + 1:
        channels = shape[-1]
        if channels not in (1, 3, 4):
            hint = ""
            if not batch and shape[0] in (1, 3, 4) and shape[0] < min(shape[1:]):
                hint = " It looks channels-first (C, H, W): use np.transpose(array, (1, 2, 0))."
            raise ImageLoadError(
                f"{name} has shape {shape}: its last axis has {channels} values per "
                f"pixel, expected 1 (gray), 3 (RGB) or 4 (RGBA); expected shape {want}.{hint}"
            )
    else:
        hint = ""
        if not batch and arr.ndim == 4:
            hint = (" It looks like a batch of images: pass one image (images[0]), or "
                    "use to_batch(images) for a batch.")
        dims = "1 dimension" if arr.ndim == 1 else f"{arr.ndim} dimensions"
        raise ImageLoadError(f"{name} has {dims} {shape}; expected {want}.{hint}")
    if arr.size == 0:
        raise ImageLoadError(f"{name} is empty (shape {shape}): an image needs at least one pixel.")

    if dtype.kind == "f":
        values = arr  # checks on the input's own float type: no large copy
        finite = np.isfinite(values)
        if not finite.all():
            n_nan = int(np.isnan(values).sum())
            n_inf = int((~finite).sum()) - n_nan
            first = tuple(int(i) for i in np.argwhere(~finite)[0][:-1])
            raise ImageLoadError(
                f"{name} contains {n_nan} NaN and {n_inf} infinite values (first at "
                f"index {first}); an image needs finite values 0..255. NaN often "
                f"comes from dividing by zero when normalising (x / x.max() with "
                f"x.max() == 0)."
            )
        lo, hi = float(values.min()), float(values.max())
        if lo < -0.5 or hi > 255.5:
            raise ImageLoadError(
                f"{name} has values from {lo:.4g} to {hi:.4g}, outside 0..255. "
                f"helpers expect images before preprocessing (0..255): this looks "
                f"preprocessed (VGG16's preprocessing gives about -124..152) or "
                f"unscaled; use card.deprocess(x) or rescale to 0..255."
            )
        if 0 < hi <= 1.0 and lo >= 0:
            raise ImageLoadError(
                f"{name} has dtype {dtype} with all values in 0..1 (max {hi:.4g}), "
                f"but helpers expect 0..255. If it is a 0..1 image, pass image * 255. "
                f"(If it really is an almost black 0..255 image, pass it as uint8.)"
            )
        values = np.clip(values, 0.0, 255.0)  # a new array
    elif dtype == np.uint8:
        values = arr
    elif dtype == np.uint16:
        values = arr.astype(np.float64) * (255.0 / 65535.0)  # like 16-bit files
    else:  # other integer types: must already be 0..255
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > 255:
            raise ImageLoadError(
                f"{name} has dtype {dtype} and values {lo}..{hi}, outside 0..255. "
                f"Pass 8-bit values 0..255 (uint16 arrays are read as 0..65535)."
            )
        values = arr
    values = values.astype(np.float32)  # a copy, never a view of the input
    if values.shape[-1] == 1:
        values = np.repeat(values, 3, axis=-1)
    elif values.shape[-1] == 4:
        values = _composite_on_white(values.astype(np.float64)).astype(np.float32)
    return np.ascontiguousarray(values)


# --------------------------------------------------------------------------
# size, resizing, stacking
# --------------------------------------------------------------------------
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


class _prefix_errors:
    """Context manager: prepend where in a list an error happened."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not isinstance(exc, (ImageLoadError, TypeError, OSError)):
            return False
        try:
            new = type(exc)(f"{self.prefix}: {exc}")
        except Exception:
            return False
        raise new from exc
