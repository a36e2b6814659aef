"""Reading an image source into a fully decoded PIL image: paths, binary file objects, PIL images.

Each problem a student meets (a web address, a missing file, a folder, no permission, an empty or
HTML file saved under an image name, a truncated PNG or JPEG, a malformed EXIF tag) gets its own
message; EXIF orientation is applied. Turning the PIL image into numbers is :mod:`.convert`.
Used through :func:`helpers.images.load_image` (notebooks 00, 01, 04).
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageLoadError
from .samples import _sample_hint


def _display_name(source) -> str:
    return repr(os.fspath(source))


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
