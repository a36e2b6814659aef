"""Real photos with boxes of the ImageNet objects in them, for the pointing game on a real network.

Used by notebook 04 (section 11, a real mistake; section 12, "Can we trust the map?") and
``tools/trust_table.py``.

ShapesNet's held-out shapes come with true boxes; photos need someone to draw
them.  ``data/images/boxes.json`` holds boxes drawn by eye on the course's
photos (and on Grace Hopper's portrait, which ships with matplotlib): eight
objects of seven ImageNet classes in five photos, three photos with two
objects each (the astronaut's space shuttle model and helmet; the coffee and
its cup; Hopper's uniform and bow tie).

On a photo with one object, a map that follows the image's edges points at
the object as well as a map that explains the class does.  So the set also
has **mosaics**: four of the photos in a 2 x 2 grid, each object a target
with its box moved into its tile.  A map that does not depend on the class
can be right for only one of the objects of a mosaic; the centre of a mosaic
is in one tile of four.
"""
from __future__ import annotations

import json
import os

import numpy as np

from . import DATA_DIR
from .images import load_image
from .inputs import check_int

__all__ = ["BOXES_FILE", "photo_objects", "annotated_photos", "mistakes", "photo_in_every_tile"]

#: The boxes, drawn by eye (sources of the photos: ``data/LICENSES``).
BOXES_FILE = os.path.join(DATA_DIR, "images", "boxes.json")

_MAX_MOSAICS = 20


def _photo_path(key: str) -> str:
    if key.startswith("matplotlib:"):
        import matplotlib.cbook

        return str(matplotlib.cbook.get_sample_data(key.split(":", 1)[1], asfileobj=False))
    return os.path.join(DATA_DIR, "images", key)


def photo_objects() -> list:
    """The annotated photos.

    Returns:
        list of (name, path, width, height, objects) per photo, in a fixed
        order; ``objects`` is a list of (ImageNet class name, (x0, y0, x1, y1))
        in the photo's own pixels (x1, y1 exclusive).
    Raises:
        FileNotFoundError: if a photo or ``boxes.json`` is missing.
    """
    from PIL import Image

    if not os.path.isfile(BOXES_FILE):
        raise FileNotFoundError(f"{BOXES_FILE} is missing; restore it with `git checkout -- data/images`.")
    with open(BOXES_FILE, encoding="utf-8") as f:
        table = json.load(f)
    out = []
    for key, objects in table.items():
        if key.startswith("_"):
            continue
        path = _photo_path(key)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"annotated photo {key!r} is missing: {path} does not exist.")
        with Image.open(path) as im:
            width, height = im.size
        name = os.path.splitext(key.split(":")[-1])[0]
        out.append((name, path, width, height, [(c, tuple(float(v) for v in b)) for c, b in objects]))
    return out


def _mosaic_layouts(n_photos: int):
    """Four photos per mosaic: leave one photo out, then rotate the four through the tiles."""
    for rotation in range(4):
        for left_out in range(n_photos):
            others = [i for i in range(n_photos) if i != left_out]
            yield others[rotation:] + others[:rotation]


def annotated_photos(size: int = 224, mosaics: int = _MAX_MOSAICS) -> dict:
    """The annotated photos and 2 x 2 mosaics of them, one entry per (picture, object).

    A picture with k objects appears k times, once per object: the map of each
    object's class is judged against that object's box.

    Args:
        size: side of the square pictures in pixels (even, >= 32); the photos
            are resized to it as :func:`helpers.images.load_image` does (the
            whole photo, aspect ratio not kept), a mosaic's tiles to size / 2.
        mosaics: how many mosaics, 0 .. 20.  The first five leave out each
            photo once, so every photo is in four of them; all 20 put every
            photo in every tile.
    Returns:
        dict with
        "images": (N, size, size, 3) float32 in 0..255,
        "classes": N ImageNet class names (``card.class_id`` turns them into ids),
        "boxes": (N, 4) float64 (x0, y0, x1, y1) in the pictures' pixels,
        "tiles": (N, 4) the tile of the object's photo in a mosaic (the
        whole picture for a photo): the box of the grid pointing game,
        "titles": N short descriptions ("astronaut: space_shuttle",
        "mosaic 3: coffee (top right) espresso"),
        "mosaic": (N,) bool, True for an entry of a mosaic.
    Used by: notebook 04 (section 12), tools/trust_table.py.
    """
    size = check_int(size, "size", 32, 4096)
    if size % 2:
        raise ValueError(f"size must be even (a mosaic's tiles are size / 2), got {size}.")
    mosaics = check_int(mosaics, "mosaics", 0, _MAX_MOSAICS)
    photos = photo_objects()
    images, classes, boxes, tiles_of, titles, is_mosaic = [], [], [], [], [], []
    for name, path, width, height, objects in photos:
        picture = load_image(path, size=size)
        for cls, (x0, y0, x1, y1) in objects:
            sx, sy = size / width, size / height
            images.append(picture)
            classes.append(cls)
            boxes.append((x0 * sx, y0 * sy, x1 * sx, y1 * sy))
            tiles_of.append((0, 0, size, size))
            titles.append(f"{name}: {cls}")
            is_mosaic.append(False)
    tile = size // 2
    tiles = [load_image(path, size=tile) for _, path, _, _, _ in photos]
    corners = ((0, 0, "top left"), (tile, 0, "top right"), (0, tile, "bottom left"), (tile, tile, "bottom right"))
    for k, layout in enumerate(list(_mosaic_layouts(len(photos)))[:mosaics]):
        picture = np.zeros((size, size, 3), np.float32)
        for i, (ox, oy, _) in zip(layout, corners):
            picture[oy:oy + tile, ox:ox + tile] = tiles[i]
        for i, (ox, oy, where) in zip(layout, corners):
            name, _, width, height, objects = photos[i]
            sx, sy = tile / width, tile / height
            for cls, (x0, y0, x1, y1) in objects:
                images.append(picture)
                classes.append(cls)
                boxes.append((ox + x0 * sx, oy + y0 * sy, ox + x1 * sx, oy + y1 * sy))
                tiles_of.append((ox, oy, ox + tile, oy + tile))
                titles.append(f"mosaic {k}: {name} ({where}) {cls}")
                is_mosaic.append(True)
    return {"images": np.stack(images).astype(np.float32), "classes": classes,
            "boxes": np.asarray(boxes, np.float64), "tiles": np.asarray(tiles_of, np.float64), "titles": titles, "mosaic": np.asarray(is_mosaic)}


def mistakes(card, size: int | None = None) -> list:
    """The network's real mistakes on the annotated photos: one entry per (photo, true object) of
    every photo whose most likely class is none of the classes annotated in it.

    Args:
        card: a model card of an ImageNet network (``card.num_classes == 1000``); another card
            (ShapesNet) has no mistakes to find here and gives [].
        size: picture side in pixels; None: ``card.input_size[0]``.
    Returns:
        list of dicts, in the order of :func:`photo_objects`, with "name" (the photo), "image"
        ((size, size, 3) float32 0..255), "said" / "true" (class ids: the network's top class, the
        annotated object's class), "p_said" / "p_true" (their probabilities), "box" ((x0, y0, x1, y1)
        of the true object in the picture's pixels).
    Used by: notebook 04 (section 11, a real mistake debugged with Grad-CAM).
    """
    if getattr(card, "num_classes", None) != 1000:
        return []
    objs = annotated_photos(size or card.input_size[0], mosaics=0)
    probs = np.asarray(card.predict(objs["images"]))
    found = []
    for k, (image, cls, box, title) in enumerate(zip(objs["images"], objs["classes"], objs["boxes"], objs["titles"])):
        name = title.split(":")[0]
        annotated = {card.class_id(c) for c, t in zip(objs["classes"], objs["titles"]) if t.split(":")[0] == name}
        said, true = int(probs[k].argmax()), card.class_id(cls)
        if said not in annotated:
            found.append({"name": name, "image": image, "said": said, "true": true, "p_said": float(probs[k, said]),
                          "p_true": float(probs[k, true]), "box": tuple(float(v) for v in box)})
    return found


def photo_in_every_tile(photo: str = "chelsea", size: int = 224) -> dict:
    """Four 2 x 2 mosaics of the annotated photos with ``photo`` in a different tile in each: several
    pictures that contain the same object, for the maps of one class across images.

    Args:
        photo: an annotated photo's name (file name without extension, e.g. "chelsea", "rocket").
        size: side of the mosaics in pixels (even).
    Returns:
        dict with "images" (4, size, size, 3) float32 0..255, "tiles" (4, 4) the photo's tile
        (x0, y0, x1, y1) in each mosaic, "where" the 4 tile names ("top left", "top right",
        "bottom left", "bottom right", in the order the mosaics come).
    Raises:
        ValueError: for a name that is not an annotated photo.
    Used by: notebook 04 (section 5).
    """
    objs = annotated_photos(size, mosaics=_MAX_MOSAICS)
    images, tiles, where = [], [], []
    for image, tile, title, is_mosaic in zip(objs["images"], objs["tiles"], objs["titles"], objs["mosaic"]):
        if is_mosaic and f": {photo} (" in title:
            place = title.split(f": {photo} (")[1].split(")")[0]
            if place not in where:
                images.append(image)
                tiles.append(tile)
                where.append(place)
    if not images:
        known = sorted({t.split(": ")[0] for t, m in zip(objs["titles"], objs["mosaic"]) if not m})
        raise ValueError(f"{photo!r} is not an annotated photo; choose one of {known}.")
    return {"images": np.stack(images), "tiles": np.asarray(tiles, dtype=np.float64), "where": where}
