"""Turning a decoded PIL image or an array into the course's format: (H, W, 3) float32 RGB 0..255.

The choices (transparency onto white, 16-bit and float files, 0..1 float arrays refused, CMYK) are
listed in :mod:`helpers.images`. Used through :func:`helpers.images.load_image` and
:func:`helpers.images.to_batch` (notebooks 00, 01, 04).
"""
from __future__ import annotations

import numbers

import numpy as np
from PIL import Image

from .errors import ImageLoadError

# Pillow modes holding 16-bit grayscale samples (scaled 0..65535 -> 0..255).
_MODES_16BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def _is_array_like(x) -> bool:
    if isinstance(x, (numbers.Number, np.generic, str, bytes)):
        return False
    return isinstance(x, np.ndarray) or hasattr(x, "__array__")


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
