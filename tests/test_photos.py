"""helpers.photos: annotated photos and 2 x 2 mosaics with boxes (notebook 04, tools/trust_table.py)."""
import json
import os
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from helpers import imagenet, photos

BOXES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "images", "boxes.json")


def _table():
    with open(BOXES, encoding="utf-8") as f:
        return {k: v for k, v in json.load(f).items() if not k.startswith("_")}


def test_every_box_is_inside_its_photo_and_names_an_imagenet_class():
    names = set(imagenet.class_names())
    for name, path, width, height, objects in photos.photo_objects():
        with Image.open(path) as im:
            assert im.size == (width, height)
        assert objects, f"{name} has no objects"
        for cls, (x0, y0, x1, y1) in objects:
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (name, cls)
            assert cls in names, cls


def test_single_photos_scale_the_boxes_back_to_the_drawn_ones():
    d = photos.annotated_photos(224, mosaics=0)
    table = _table()
    drawn = [(cls, box) for objects in table.values() for cls, box in objects]
    assert len(d["images"]) == len(drawn) == 8 and not d["mosaic"].any()
    sizes = {}
    for key in table:                                       # the file's size, read here with Pillow
        path = next(p[1] for p in photos.photo_objects() if p[1].endswith(key.split(":")[-1]))
        with Image.open(path) as im:
            sizes.update({cls: im.size for cls, _ in table[key]})
    for cls, box, got in zip(d["classes"], d["boxes"], [b for _, b in drawn]):
        width, height = sizes[cls]
        back = box * np.array([width, height, width, height]) / 224.0       # undo the resize
        np.testing.assert_allclose(back, got, atol=1e-9)
    np.testing.assert_array_equal(d["tiles"], np.tile([0, 0, 224, 224], (8, 1)))


def test_a_mosaic_tile_is_its_photo_at_half_size_and_holds_the_box():
    d = photos.annotated_photos(64, mosaics=20)
    paths = {p[0]: p[1] for p in photos.photo_objects()}
    from helpers.images import load_image

    for i in np.flatnonzero(d["mosaic"])[:: 7]:
        x0, y0, x1, y1 = d["tiles"][i].astype(int)
        assert x1 - x0 == 32 and y1 - y0 == 32 and x0 in (0, 32) and y0 in (0, 32)
        name = d["titles"][i].split(": ")[1].split(" (")[0]
        np.testing.assert_array_equal(d["images"][i][y0:y1, x0:x1], load_image(paths[name], size=32))
        b = d["boxes"][i]
        assert x0 <= b[0] < b[2] <= x1 and y0 <= b[1] < b[3] <= y1, d["titles"][i]


def test_twenty_mosaics_put_every_photo_in_every_tile_four_times():
    d = photos.annotated_photos(32, mosaics=20)
    seen = Counter()
    for title, is_m in zip(d["titles"], d["mosaic"]):
        if is_m:
            mosaic, rest = title.split(": ", 1)
            seen[(mosaic, rest.split(" (")[0], rest.split("(")[1].split(")")[0])] += 1
    per_place = Counter((photo, place) for (_, photo, place) in seen)
    assert len(per_place) == 5 * 4 and set(per_place.values()) == {4}
    assert sum(d["mosaic"]) == 16 * 8                  # each photo in 16 mosaics, 8 objects in all
    assert d["images"].dtype == np.float32 and 0 <= d["images"].min() and d["images"].max() <= 255


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="size must be even"):
        photos.annotated_photos(65)
    with pytest.raises(ValueError, match="mosaics"):
        photos.annotated_photos(64, mosaics=21)
    with pytest.raises((TypeError, ValueError), match="size"):
        photos.annotated_photos("big")


def test_a_missing_boxes_file_says_how_to_restore_it(monkeypatch, tmp_path):
    monkeypatch.setattr(photos, "BOXES_FILE", str(tmp_path / "boxes.json"))
    with pytest.raises(FileNotFoundError, match="git checkout"):
        photos.photo_objects()


class _FakeCard:
    """An ImageNet-sized card whose top class per photo is set by hand (brightness tells the photos apart)."""

    num_classes, input_size = 1000, (64, 64)

    def __init__(self, top_by_photo):
        self.top_by_photo = top_by_photo
        self.objs = photos.annotated_photos(64, mosaics=0)

    def class_id(self, name):
        return imagenet.class_names().index(name)

    def predict(self, images):
        probs = np.full((len(images), 1000), 0.1 / 999, np.float32)
        for i, image in enumerate(images):
            k = next(k for k, im in enumerate(self.objs["images"]) if np.array_equal(im, image))
            name = self.objs["titles"][k].split(":")[0]
            probs[i, self.class_id(self.top_by_photo.get(name, self.objs["classes"][k]))] = 0.9
        return probs


def test_mistakes_are_the_photos_whose_top_class_is_none_of_their_objects():
    card = _FakeCard({"astronaut": "bobsled", "coffee": "cup", "rocket": "drilling_platform"})
    found = photos.mistakes(card)
    # the astronaut (two objects) and the rocket are wrong; coffee's "cup" is one of its own objects: right
    assert [(m["name"], card.class_id("bobsled") == m["said"] or card.class_id("drilling_platform") == m["said"])
            for m in found] == [("astronaut", True), ("astronaut", True), ("rocket", True)]
    names = imagenet.class_names()
    assert [names[m["true"]] for m in found] == ["space_shuttle", "crash_helmet", "missile"]
    table = json.load(open(photos.BOXES_FILE))
    w, h = Image.open(os.path.join(os.path.dirname(photos.BOXES_FILE), "rocket.jpg")).size
    x0, y0, x1, y1 = table["rocket.jpg"][0][1]
    np.testing.assert_allclose(found[2]["box"], (x0 * 64 / w, y0 * 64 / h, x1 * 64 / w, y1 * 64 / h))
    assert found[2]["p_said"] == pytest.approx(0.9) and found[2]["p_true"] == pytest.approx(0.1 / 999)
    assert found[2]["image"].shape == (64, 64, 3)


def test_mistakes_on_a_card_without_imagenet_classes_is_empty():
    class Shapes:
        num_classes, input_size = 6, (64, 64)
    assert photos.mistakes(Shapes()) == []


def test_photo_in_every_tile_puts_the_photo_at_half_size_in_each_of_the_four_tiles():
    got = photos.photo_in_every_tile("chelsea", size=64)
    assert got["images"].shape == (4, 64, 64, 3) and sorted(got["where"]) == [
        "bottom left", "bottom right", "top left", "top right"]
    from helpers.images import load_image
    small = load_image(os.path.join(os.path.dirname(photos.BOXES_FILE), "chelsea.png"), size=32)
    corners = {"top left": (0, 0), "top right": (32, 0), "bottom left": (0, 32), "bottom right": (32, 32)}
    for image, tile, where in zip(got["images"], got["tiles"], got["where"]):
        x0, y0 = corners[where]
        assert tuple(tile) == (x0, y0, x0 + 32, y0 + 32)
        np.testing.assert_array_equal(image[y0:y0 + 32, x0:x0 + 32], small)    # the photo itself, in its tile
        others = [image[y:y + 32, x:x + 32] for x, y in corners.values() if (x, y) != (x0, y0)]
        assert not any(np.array_equal(o, small) for o in others)
    with pytest.raises(ValueError, match="'dog' is not an annotated photo; choose one of"):
        photos.photo_in_every_tile("dog", size=64)
