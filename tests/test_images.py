"""Tests for helpers.images: loading any image a student has.

Every input of the matrix below is generated inside the test (Pillow, raw
bytes, numpy) with pixel colours chosen by hand, so the expected values are
known without calling load_image.  Run this file directly to print the
matrix "input -> result or exact error":

    .venv/bin/python tests/test_images.py
"""
import io
import os
import struct
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

import helpers
from helpers import images as hi
from helpers.images import ImageLoadError

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)


# ------------------------------------------------------------------ builders
def quadrants(h, w, colours):
    """uint8 (h, w, 3): four quadrants TL, TR, BL, BR in the given colours."""
    arr = np.zeros((h, w, 3), np.uint8)
    arr[: h // 2, : w // 2] = colours[0]
    arr[: h // 2, w // 2:] = colours[1]
    arr[h // 2:, : w // 2] = colours[2]
    arr[h // 2:, w // 2:] = colours[3]
    return arr


QUAD = quadrants(16, 24, [RED, GREEN, BLUE, WHITE])
RNG_IMAGE = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)


def save(tmp, name, image, **kw):
    path = tmp / name
    image.save(path, **kw)
    return path


def png_16bit(path, arr, colour_type):
    """Write a 16-bit PNG by hand (Pillow cannot write 16-bit colour)."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                     + chunk(b"IEND", b""))
    return path


def write(tmp, name, data):
    path = tmp / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def make_gif(tmp):
    first = Image.fromarray(quadrants(8, 8, [RED, GREEN, GREEN, RED])).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    second = Image.new("RGB", (8, 8), BLUE).convert("P")
    return save(tmp, "anim.gif", first, save_all=True, append_images=[second], duration=100)


def make_palette_transparent(tmp):
    im = Image.new("P", (4, 2))
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)  # index 0 black, 1 red
    im.putdata([0, 1, 0, 1, 1, 1, 0, 0])
    return save(tmp, "palette.png", im, transparency=0)  # index 0 transparent


def make_rgba(tmp):
    arr = np.array([[[200, 100, 50, 128], [0, 0, 0, 0], [10, 20, 30, 255]]], np.uint8)
    return save(tmp, "rgba.png", Image.fromarray(arr))  # mode RGBA


def make_la(tmp):
    arr = np.array([[[100, 255], [100, 0], [40, 51]]], np.uint8)
    return save(tmp, "la.png", Image.frombytes("LA", (3, 1), arr.tobytes()))


def make_cmyk(tmp):
    px = np.zeros((16, 16, 4), np.uint8)
    px[:8, :8] = (0, 255, 255, 0)    # red
    px[:8, 8:] = (255, 255, 0, 0)    # blue
    px[8:, :8] = (0, 0, 0, 255)      # black
    px[8:, 8:] = (0, 0, 0, 0)        # white (no ink)
    im = Image.frombytes("CMYK", (16, 16), px.tobytes())
    return save(tmp, "cmyk.jpg", im, quality=95)


def make_exif6(tmp):
    """Stored 24 wide x 16 high, red 8x8 marker at the stored top-left."""
    arr = np.full((16, 24, 3), 128, np.uint8)
    arr[:8, :8] = RED
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    return save(tmp, "exif6.jpg", Image.fromarray(arr), exif=exif, quality=95, subsampling=0)


def make_truncated(tmp, name, fmt, keep):
    full = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(full, fmt)
    data = full.getvalue()
    path = tmp / name
    path.write_bytes(data[: keep(len(data))])
    return path


def make_float_tiff(tmp):
    return save(tmp, "float.tif", Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32)))


# ------------------------------------------------------------------ checks
def close(actual, expected, tol):
    return np.abs(np.asarray(actual, float) - np.asarray(expected, float)).max() <= tol


def composite(rgb, a):  # alpha over white, by hand
    return [c * a / 255 + 255 * (1 - a / 255) for c in rgb]


class Ok:
    def __init__(self, shape, check, note):
        self.shape, self.check, self.note = shape, check, note


class Err:
    def __init__(self, exc, *fragments):
        self.exc, self.fragments = exc, fragments


GRAY16 = np.array([[0, 32768, 65535, 1000]], np.uint16)

# (id, what the input is, builder(tmp) -> source, expectation)
CASES = [
    ("jpeg", "RGB JPEG, 4 coloured quadrants", lambda t: save(t, "q.jpg", Image.fromarray(QUAD), quality=95, subsampling=0),
     Ok((16, 24, 3), lambda a: close(a[3, 3], RED, 12) and close(a[12, 20], WHITE, 12), "TL red, BR white (+-12)")),
    ("png", "RGB PNG, random pixels", lambda t: save(t, "r.png", Image.fromarray(RNG_IMAGE)),
     Ok((12, 10, 3), lambda a: np.array_equal(a, RNG_IMAGE), "equal to the drawn pixels")),
    ("gif", "2-frame GIF (frame 1 red/green, frame 2 blue)", make_gif,
     Ok((8, 8, 3), lambda a: close(a[0, 0], RED, 0) and close(a[0, 7], GREEN, 0), "first frame, exact")),
    ("bmp", "BMP, random pixels", lambda t: save(t, "r.bmp", Image.fromarray(RNG_IMAGE)),
     Ok((12, 10, 3), lambda a: np.array_equal(a, RNG_IMAGE), "exact")),
    ("webp", "lossless WebP, random pixels", lambda t: save(t, "r.webp", Image.fromarray(RNG_IMAGE), lossless=True),
     Ok((12, 10, 3), lambda a: np.array_equal(a, RNG_IMAGE), "exact")),
    ("tiff", "TIFF, random pixels", lambda t: save(t, "r.tif", Image.fromarray(RNG_IMAGE)),
     Ok((12, 10, 3), lambda a: np.array_equal(a, RNG_IMAGE), "exact")),
    ("gray", "grayscale PNG (mode L) 0, 77, 255", lambda t: save(t, "g.png", Image.fromarray(np.array([[0, 77, 255]], np.uint8))),
     Ok((1, 3, 3), lambda a: close(a[0], [[0] * 3, [77] * 3, [255] * 3], 0), "gray copied to R, G, B")),
    ("bilevel", "1-bit PNG (mode 1)", lambda t: save(t, "b.png", Image.fromarray(np.array([[0, 255]], np.uint8)).convert("1")),
     Ok((1, 2, 3), lambda a: close(a[0], [BLACK, WHITE], 0), "black, white")),
    ("rgba", "RGBA PNG: half-transparent, transparent, opaque", make_rgba,
     Ok((1, 3, 3), lambda a: close(a[0], [composite((200, 100, 50), 128), WHITE, (10, 20, 30)], 1e-3),
        "composited on white")),
    ("palette", "palette PNG, index 0 transparent", make_palette_transparent,
     Ok((2, 4, 3), lambda a: close(a[0, :2], [WHITE, RED], 0), "transparent -> white")),
    ("la", "gray+alpha PNG (LA)", make_la,
     Ok((1, 3, 3), lambda a: close(a[0], [[100] * 3, WHITE, composite((40, 40, 40), 51)], 1e-3), "composited on white")),
    ("png16", "16-bit gray PNG 0, 32768, 65535, 1000", lambda t: save(t, "g16.png", Image.fromarray(GRAY16)),
     Ok((1, 4, 3), lambda a: close(a[0, :, 0], [0, 127.50195, 255, 3.8911], 1e-3), "scaled by 255/65535")),
    ("tiff16", "16-bit gray TIFF, same values", lambda t: save(t, "g16.tif", Image.fromarray(GRAY16)),
     Ok((1, 4, 3), lambda a: close(a[0, :, 0], [0, 127.50195, 255, 3.8911], 1e-3), "scaled by 255/65535")),
    ("png16rgb", "16-bit RGB PNG (65535, 32768, 256)", lambda t: png_16bit(t / "c16.png", np.full((2, 2, 3), [65535, 32768, 256], np.uint16), 2),
     Ok((2, 2, 3), lambda a: close(a[0, 0], [255, 127.5, 1.0], 1.0), "within 1 level (Pillow keeps the high byte)")),
    ("float_tiff", "32-bit float TIFF 0, 0.5, 1", make_float_tiff,
     Ok((1, 3, 3), lambda a: close(a[0, :, 0], [0, 127.5, 255], 1e-4), "0..1 scaled to 0..255")),
    ("cmyk", "CMYK JPEG: red, blue, black, white quadrants", make_cmyk,
     Ok((16, 16, 3), lambda a: close([a[3, 3], a[3, 12], a[12, 3], a[12, 12]], [RED, BLUE, BLACK, WHITE], 6),
        "intended colours (+-6)")),
    ("exif6", "JPEG 24x16, EXIF orientation 6, red marker top-left as stored", make_exif6,
     Ok((24, 16, 3), lambda a: close(a[1:7, 9:15], np.broadcast_to(RED, (6, 6, 3)), 30) and close(a[1:7, 1:7], 128, 30),
        "rotated to 16 wide x 24 high, marker top-right")),
    ("missing", "path that does not exist", lambda t: t / "no_such_photo.jpg",
     Err(FileNotFoundError, "No such image file", "no_such_photo.jpg", "sample images are in", "data/images")),
    ("directory", "a folder", lambda t: t,
     Err(IsADirectoryError, "is a folder, not an image file", "load_images")),
    ("empty", "0-byte .jpg", lambda t: write(t, "empty.jpg", b""),
     Err(ImageLoadError, "empty.jpg", "is empty (0 bytes)", "again")),
    ("trunc_jpeg", "JPEG cut to half its bytes", lambda t: make_truncated(t, "half.jpg", "JPEG", lambda n: n // 2),
     Err(ImageLoadError, "half.jpg", "truncated or corrupt JPEG file", "again")),
    ("trunc_jpeg_end", "JPEG missing its last 2 bytes", lambda t: make_truncated(t, "end.jpg", "JPEG", lambda n: n - 2),
     Err(ImageLoadError, "end.jpg", "truncated or corrupt JPEG file")),
    ("trunc_png", "PNG cut to half its bytes", lambda t: make_truncated(t, "half.png", "PNG", lambda n: n // 2),
     Err(ImageLoadError, "half.png", "truncated or corrupt PNG file")),
    ("trunc_png_end", "PNG missing its IEND chunk", lambda t: make_truncated(t, "end.png", "PNG", lambda n: n - 12),
     Err(ImageLoadError, "end.png", "truncated PNG file", "IEND")),
    ("text_jpg", "text file named .jpg", lambda t: write(t, "notes.jpg", "hello, not an image\n"),
     Err(ImageLoadError, "notes.jpg", "is not an image file", "looks like text", "hello")),
    ("html_png", "HTML page saved as .png", lambda t: write(t, "page.png", "<!DOCTYPE html><html>404</html>"),
     Err(ImageLoadError, "page.png", "looks like an HTML page")),
    ("url", "http URL string", lambda t: "https://example.com/cat.jpg",
     Err(ImageLoadError, "web address", "local files only")),
    ("nan", "float array with a NaN", lambda t: np.where(np.arange(12).reshape(2, 2, 3) == 4, np.nan, 10.0),
     Err(ImageLoadError, "1 NaN and 0 infinite", "index (0, 1)")),
    ("inf", "float array with +inf", lambda t: np.full((2, 2, 3), np.inf),
     Err(ImageLoadError, "0 NaN and 12 infinite")),
    ("shape5", "array (4, 4, 5)", lambda t: np.zeros((4, 4, 5), np.uint8),
     Err(ImageLoadError, "shape (4, 4, 5)", "expected 1 (gray), 3 (RGB) or 4 (RGBA)")),
    ("chw", "channels-first array (3, 8, 8)", lambda t: np.zeros((3, 8, 8), np.uint8),
     Err(ImageLoadError, "channels-first", "np.transpose")),
    ("batch", "batch array (2, 8, 8, 3)", lambda t: np.zeros((2, 8, 8, 3), np.uint8),
     Err(ImageLoadError, "4 dimensions", "to_batch")),
    ("1d", "1-D array", lambda t: np.zeros(10, np.uint8),
     Err(ImageLoadError, "1 dimension (10,)")),
    ("empty_array", "array (0, 4, 3)", lambda t: np.zeros((0, 4, 3), np.float32),
     Err(ImageLoadError, "is empty (shape (0, 4, 3))")),
    ("unit_float", "float array in 0..1", lambda t: np.full((4, 4, 3), 0.6, np.float32),
     Err(ImageLoadError, "all values in 0..1", "image * 255")),
    ("preprocessed", "float array -123.7..151.1 (VGG16-preprocessed)", lambda t: np.array([[[-123.7, 0.0, 151.1]]]),
     Err(ImageLoadError, "outside 0..255", "deprocess")),
    ("int300", "int64 array with 300", lambda t: np.array([[[0, 300, 5]]]),
     Err(ImageLoadError, "dtype int64 and values 0..300, outside 0..255")),
    ("bool", "boolean mask array", lambda t: np.ones((4, 4), bool),
     Err(TypeError, "boolean", "astype(np.uint8)")),
    ("str_array", "array of strings", lambda t: np.array([["a", "b"]]),
     Err(TypeError, "dtype <U1")),
    ("int", "the int 42", lambda t: 42,
     Err(TypeError, "cannot read an object of type int (42)", "file path")),
    ("list", "a list of two paths", lambda t: ["a.jpg", "b.jpg"],
     Err(TypeError, "takes one image", "load_images")),
]


def _snapshot(source):
    """What must not change on disk: bytes + mtime of a file, a folder's listing, absence."""
    if not isinstance(source, (str, os.PathLike)) or str(source).startswith("http"):
        return None
    path = Path(source)
    if path.is_dir():
        return ("dir", sorted(p.name for p in path.iterdir()))
    if path.exists():
        st = path.stat()
        return ("file", path.read_bytes(), st.st_mtime_ns, st.st_mode)
    return ("missing",)


def run_case(tmp, build, expect):
    source = build(tmp)
    before = _snapshot(source)
    if isinstance(expect, Ok):
        out = hi.load_image(source)
        assert out.dtype == np.float32 and out.shape == expect.shape, out.shape
        assert out.min() >= 0 and out.max() <= 255
        assert expect.check(out), out[:2, :4]
        result = out
    else:
        with pytest.raises(expect.exc) as info:
            hi.load_image(source)
        message = str(info.value)
        for fragment in expect.fragments:
            assert fragment in message, (fragment, message)
        result = info.value
    assert _snapshot(source) == before  # the file (or folder) was not touched
    return result


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_image_matrix(tmp_path, case):
    _, _, build, expect = case
    run_case(tmp_path, build, expect)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # global Pillow state untouched


def test_matrix_is_big_enough():
    kinds = {c[0] for c in CASES}
    assert len(CASES) >= 14
    assert {"jpeg", "png", "gif", "bmp", "webp", "tiff", "gray", "rgba", "palette", "png16", "cmyk", "exif6",
            "missing", "directory", "empty", "trunc_jpeg", "text_jpg", "nan", "shape5", "unit_float"} <= kinds


def test_error_types_subclass_builtins():
    assert issubclass(ImageLoadError, ValueError)
    with pytest.raises(OSError):  # FileNotFoundError is an OSError
        hi.load_image("/nonexistent/dir/x.png")


# ------------------------------------------------------------- other sources
def test_sample_images():
    paths = hi.sample_image_paths()
    assert list(paths) == ["cat", "coffee", "astronaut", "rocket"]
    assert Path(paths["cat"]).name == "chelsea.png"
    assert all(p.startswith(os.path.join(helpers.DATA_DIR, "images")) for p in paths.values())
    known = {"cat": (300, 451), "coffee": (400, 600), "astronaut": (512, 512), "rocket": (427, 640)}
    for name, path in paths.items():
        image = hi.load_image(path)
        assert image.shape == known[name] + (3,) and image.dtype == np.float32
        assert 0 <= image.min() and image.max() <= 255 and image.std() > 10  # a real photo


def test_arrays_pil_fileobj_and_tensor():
    gray = np.array([[0, 128], [255, 7]], np.uint8)
    expected = np.repeat(gray[..., None], 3, axis=-1).astype(np.float32)
    assert np.array_equal(hi.load_image(gray), expected)
    assert np.array_equal(hi.load_image(gray[..., None]), expected)
    assert np.array_equal(hi.load_image(RNG_IMAGE), RNG_IMAGE)
    assert np.array_equal(hi.load_image(RNG_IMAGE.astype(np.float64)), RNG_IMAGE)
    assert np.array_equal(hi.load_image(Image.fromarray(RNG_IMAGE)), RNG_IMAGE)
    buf = io.BytesIO()
    Image.fromarray(RNG_IMAGE).save(buf, "PNG")
    buf.seek(0)
    assert np.array_equal(hi.load_image(buf), RNG_IMAGE)
    rgba = np.array([[[200, 100, 50, 128], [9, 9, 9, 0]]], np.float32)
    assert close(hi.load_image(rgba)[0], [composite((200, 100, 50), 128), WHITE], 1e-3)
    assert close(hi.load_image(np.array([[[65535, 32768, 0]]], np.uint16))[0, 0], [255, 127.50195, 0], 1e-3)
    assert np.array_equal(hi.load_image(np.zeros((2, 2, 3))), np.zeros((2, 2, 3)))  # black canvas allowed
    import tensorflow as tf

    assert np.array_equal(hi.load_image(tf.constant(RNG_IMAGE)), RNG_IMAGE)


def test_input_array_not_modified_and_not_shared():
    src = np.full((4, 4, 3), 100.0, np.float32)
    out = hi.load_image(src)
    out[:] = 0
    assert (src == 100).all() and not np.shares_memory(src, out)


# --------------------------------------------------------------------- size
def test_resize_shapes_and_bilinear_values():
    assert hi.load_image(RNG_IMAGE, size=7).shape == (7, 7, 3)
    assert hi.load_image(RNG_IMAGE, size=(5, 9)).shape == (5, 9, 3)  # (height, width)
    assert np.allclose(hi.load_image(np.full((6, 9, 3), 42, np.uint8), size=(13, 4)), 42, atol=1e-3)
    # Halving with Pillow's antialiased bilinear filter: a triangle of radius 2
    # input pixels around each output centre (input x = 1, 3, 5, 7), so the
    # weights of input pixels at distance 0.5 and 1.5 are 0.75 and 0.25,
    # renormalised where the triangle leaves the image:
    #   out0 = (0.75*0 + 0.75*10 + 0.25*20) / 1.75 = 50/7
    #   out1 = (0.25*10 + 0.75*20 + 0.75*30 + 0.25*40) / 2 = 25, out2 = 45
    #   out3 = (0.25*50 + 0.75*60 + 0.75*70) / 1.75 = 440/7
    row = np.array([0, 10, 20, 30, 40, 50, 60, 70], np.float32)
    ramp = np.repeat(np.tile(row, (2, 1))[..., None], 3, axis=-1)
    assert np.allclose(hi.load_image(ramp, size=(2, 4))[0, :, 0], [50 / 7, 25, 45, 440 / 7], atol=1e-3)


def test_resize_matches_keras_load_img(tmp_path):
    """Same pixels as keras.utils.load_img(target_size, 'bilinear') up to its uint8 rounding."""
    import keras

    arr = np.random.default_rng(3).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    path = save(tmp_path, "k.png", Image.fromarray(arr))
    ours = hi.load_image(path, size=(17, 23))
    theirs = np.asarray(keras.utils.load_img(path, target_size=(17, 23), interpolation="bilinear"), np.float32)
    assert ours.shape == theirs.shape == (17, 23, 3)
    assert np.abs(ours - theirs).max() <= 1.0


@pytest.mark.parametrize("size, exc", [(0, ImageLoadError), ((-1, 4), ImageLoadError), ((1, 2, 3), TypeError),
                                       ("224", TypeError), (True, TypeError), (2.5, TypeError)])
def test_bad_size(size, exc):
    with pytest.raises(exc, match="size"):
        hi.load_image(RNG_IMAGE, size=size)


# ----------------------------------------------------------- batches
def test_to_batch():
    one = hi.to_batch(RNG_IMAGE)
    assert one.shape == (1, 12, 10, 3) and one.dtype == np.float32 and np.array_equal(one[0], RNG_IMAGE)
    two = hi.to_batch([RNG_IMAGE, RNG_IMAGE[::-1]])
    assert two.shape == (2, 12, 10, 3) and np.array_equal(two[1], RNG_IMAGE[::-1])
    four_d = np.stack([RNG_IMAGE] * 3).astype(np.float32)
    out = hi.to_batch(four_d)
    assert out.shape == (3, 12, 10, 3) and not np.shares_memory(out, four_d)
    with pytest.raises(ImageLoadError, match=r"different sizes.*\(12, 10\), \(5, 5\).*size="):
        hi.to_batch([RNG_IMAGE, np.zeros((5, 5, 3), np.uint8)])
    with pytest.raises(ImageLoadError, match="empty list"):
        hi.to_batch([])
    with pytest.raises(ImageLoadError, match=r"images\[1\]: .*all values in 0..1"):
        hi.to_batch([RNG_IMAGE, np.full((12, 10, 3), 0.5)])
    with pytest.raises(ImageLoadError, match="NaN"):
        hi.to_batch(np.full((2, 4, 4, 3), np.nan))


def test_load_images(tmp_path):
    paths = hi.sample_image_paths()
    batch = hi.load_images(paths, size=(32, 48))
    assert batch.shape == (4, 32, 48, 3) and batch.dtype == np.float32
    assert np.allclose(batch[0], hi.load_image(paths["cat"], size=(32, 48)))
    with pytest.raises(ImageLoadError, match="different sizes"):
        hi.load_images(paths)
    with pytest.raises(FileNotFoundError, match=r"sources\[1\]: No such image file.*missing.png"):
        hi.load_images([paths["cat"], tmp_path / "missing.png"], size=8)
    assert hi.load_images(paths["rocket"]).shape == (1, 427, 640, 3)


# ------------------------------------------------------ printed matrix
_DIFF = lambda a: f"max |loaded - drawn| = {np.abs(a - RNG_IMAGE).max():g}"  # noqa: E731
PROBES = {  # what the printed table shows of a loaded image
    "jpeg": lambda a: f"TL {a[3, 3]}, BR {a[12, 20]}",
    "png": _DIFF, "bmp": _DIFF, "webp": _DIFF, "tiff": _DIFF,
    "gif": lambda a: f"[0,0] {a[0, 0]}, [0,7] {a[0, 7]}",
    "gray": lambda a: f"R=G=B: {a[0, :, 0]}", "bilevel": lambda a: f"R=G=B: {a[0, :, 0]}",
    "rgba": lambda a: f"pixels {np.round(a[0], 2).tolist()}", "palette": lambda a: f"row 0: {a[0, :2].tolist()}",
    "la": lambda a: f"R=G=B: {a[0, :, 0]}", "png16": lambda a: f"R=G=B: {a[0, :, 0]}",
    "tiff16": lambda a: f"R=G=B: {a[0, :, 0]}", "png16rgb": lambda a: f"pixel {a[0, 0]}",
    "float_tiff": lambda a: f"R=G=B: {a[0, :, 0]}",
    "cmyk": lambda a: f"quadrants {[a[3, 3].tolist(), a[3, 12].tolist(), a[12, 3].tolist(), a[12, 12].tolist()]}",
    "exif6": lambda a: f"top-right {a[3, 12]}, top-left {a[3, 3]}",
}
def print_matrix():
    """Print "input -> result or exact error" for every case of CASES."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for key, what, build, expect in CASES:
            sub = tmp / key
            sub.mkdir()
            try:
                result = run_case(sub, build, expect)
                status = "as expected"
            except BaseException as exc:  # a failing case is printed, not hidden
                result, status = exc, "UNEXPECTED"
            if isinstance(result, np.ndarray):
                with np.printoptions(precision=2, suppress=True):
                    text = f"OK {result.shape} float32: {PROBES[key](result)} ({expect.note})"
            else:
                text = f"{type(result).__name__}: {result}".replace(str(sub), "<tmp>")
            print(f"| {key} | {what} | {text} | {status} |")


if __name__ == "__main__":
    print_matrix()
    sys.exit(0)


def test_as_batch_checks_shape_and_finiteness_only():
    import numpy as np
    import pytest

    from helpers.images import as_batch

    one = np.full((4, 5, 3), 300.0)  # out of 0..255 is allowed (ascent images)
    assert as_batch(one).shape == (1, 4, 5, 3) and as_batch(one).dtype == np.float32
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\).*\(4, 5, 4\)"):
        as_batch(np.zeros((4, 5, 4)))
    bad = np.zeros((2, 4, 5, 3))
    bad[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        as_batch(bad)
