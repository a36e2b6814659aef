"""The pre-rendered gallery (helpers.gallery): made by the course's own code, from the settings it stores."""
import json
import os

import numpy as np
import pytest

from helpers import gallery
from helpers.models import load_model


@pytest.fixture(scope="module")
def lite0():
    return load_model("efficientnet_lite0", verbose=False)


def _agreement(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    corr = np.corrcoef((a - a.mean()).ravel(), (b - b.mean()).ravel())[0, 1]
    return float(np.abs(a - b).mean()), float(corr)


def test_the_shipped_gallery_has_the_lecture_classes_and_ten_more(lite0):
    entries = gallery.load(lite0, "class")
    assert entries is not None, "data/gallery/efficientnet_lite0 is missing: run `make gallery`"
    targets = [e["target"] for e in entries]
    assert set(lite0.demo_classes) <= set(targets) and len(targets) >= 13
    for e in entries:
        assert e["image"].shape == (224, 224, 3) and e["image"].dtype == np.uint8
        assert e["steps"] >= 256 and e["model"] == "efficientnet_lite0"


def test_a_gallery_tile_re_renders_its_stored_start(lite0):
    """The first picture of the batch, re-rendered alone for the stored check steps, is the stored start."""
    first = next(e for e in gallery.load(lite0, "class") if e["batch_index"] == 0)
    got, stored = gallery.rerender_start(lite0, first)
    mean_diff, corr = _agreement(got, stored)
    assert mean_diff < 1.0 and corr > 0.99, (mean_diff, corr)
    # The check can fail: the start of another seed is another picture.
    other, _ = gallery.rerender_start(lite0, dict(first, seed=first["seed"] + 1))
    mean_other, corr_other = _agreement(other, stored)
    assert mean_other > 3.0 and corr_other < 0.5, (mean_other, corr_other)


def test_the_stored_probabilities_are_the_networks_on_the_stored_pictures(lite0):
    entries = gallery.load(lite0, "class")
    probs = lite0.predict(np.stack([e["image"] for e in entries]).astype(np.float32))
    for e, p in zip(entries, probs):
        assert abs(p[e["target"]] - e["p"]) < 1e-3, e["name"]
        assert lite0.class_names[int(p.argmax())] == e["top1"], e["name"]


def test_render_load_and_rerender_round_trip_on_a_small_network(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "GALLERY_DIR", str(tmp_path))
    sn = load_model("shapesnet", verbose=False)
    assert gallery.load(sn) is None                       # nothing rendered yet
    steps = gallery.CHECK_STEPS + 2
    written = gallery.render_classes(sn, [2, 0], steps=steps, progress=False)
    assert [e["target"] for e in written] == [2, 0]
    index = json.loads((tmp_path / "shapesnet" / "gallery.json").read_text())
    assert [e["target"] for e in index["classes"]] == [0, 2]          # sorted by class
    loaded = gallery.load(sn)
    assert all(os.path.exists(tmp_path / "shapesnet" / e["start"]) for e in loaded)
    first = next(e for e in loaded if e["batch_index"] == 0)
    got, stored = gallery.rerender_start(sn, first)
    assert _agreement(got, stored)[0] < 1.0
    assert gallery.load(sn, "filter") is None
    written = gallery.render_filters(sn, "block1_conv1", [3], steps=steps, progress=False)
    assert gallery.load(sn, "filter")[0]["layer"] == "block1_conv1" and written[0]["target"] == 3


def test_bad_arguments_get_clear_errors(lite0):
    with pytest.raises(ValueError, match="kind must be"):
        gallery.load(lite0, "classes")
    entry = gallery.load(lite0, "class")[0]
    sn = load_model("shapesnet", verbose=False)
    with pytest.raises(ValueError, match="rendered on 'efficientnet_lite0'"):
        gallery.rerender_start(sn, entry)


def test_the_shipped_gallery_was_made_with_the_current_recipe(lite0):
    """Change the recipe (a preset's strengths, the spectrum's decay, the steps) and this fails until `make gallery`."""
    import dataclasses

    from helpers import maximize

    for kind in ("class", "filter"):
        recipe = gallery.RECIPE[kind]
        for e in gallery.load(lite0, kind):
            assert e["steps"] == gallery.RECIPE["steps"] and e["check_steps"] == gallery.CHECK_STEPS, e["file"]
            assert e["parameterization"] == recipe["parameterization"] and e["decay_power"] == recipe["decay_power"]
            assert e["regularizers"] == dataclasses.asdict(maximize.regularizers(recipe["preset"])), e["file"]
            assert e["lr"] == maximize.PARAMETERIZATIONS[recipe["parameterization"]], e["file"]
