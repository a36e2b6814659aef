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

The package, one module per idea: :mod:`.load` (the loaders above, the
``size`` argument, resizing, stacking), :mod:`.decode` (paths, file objects
and PIL images to a fully decoded PIL image, with a message for each problem
a student meets), :mod:`.convert` (PIL images and arrays to (H, W, 3) float32
0..255: the choices above), :mod:`.samples` (the sample photos),
:mod:`.errors` (:class:`ImageLoadError`). Every public name is importable from
``helpers.images`` itself.
"""
from __future__ import annotations

from .errors import ImageLoadError
from .load import as_batch, load_image, load_images, to_batch
from .samples import SAMPLE_IMAGES_DIR, sample_image_paths

__all__ = [
    "ImageLoadError",
    "load_image",
    "load_images",
    "to_batch",
    "as_batch",
    "sample_image_paths",
    "SAMPLE_IMAGES_DIR",
]
