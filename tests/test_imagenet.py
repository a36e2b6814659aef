"""Tests for helpers.imagenet: the offline ImageNet class list and decoding.

References are independent of the code under test: WordNet ids and names of
well-known classes, hand-built prediction vectors, and Keras's own
decode_predictions run on our json file (its download replaced by our path).
"""
import inspect
import json
import re

import numpy as np
import pytest

from helpers import imagenet


KNOWN = {  # index -> (WordNet id, Keras name): facts from the ILSVRC-2012 list
    0: ("n01440764", "tench"),
    130: ("n02007558", "flamingo"),
    386: ("n02504458", "African_elephant"),
    736: ("n03982430", "pool_table"),
    779: ("n04146614", "school_bus"),
    999: ("n15075141", "toilet_tissue"),
}


# ---------------------------------------------------------------- class list
def test_known_classes_by_index():
    names = imagenet.class_names()
    wnids = imagenet.class_wnids()
    for i, (wnid, name) in KNOWN.items():
        assert names[i] == name
        assert wnids[i] == wnid


def test_thousand_entries_unique_wnids_and_keras_layout():
    names, wnids = imagenet.class_names(), imagenet.class_wnids()
    assert len(names) == len(wnids) == 1000
    assert len(set(wnids)) == 1000
    assert all(re.fullmatch(r"n\d{8}", w) for w in wnids)
    assert all(" " not in n and n for n in names)  # Keras uses underscores
    index = imagenet.class_index()
    assert list(index) == [str(i) for i in range(1000)]
    assert index["386"] == ["n02504458", "African_elephant"]
    with open(imagenet.CLASS_INDEX_PATH, encoding="utf-8") as f:
        assert index == json.load(f)


def test_returned_lists_are_copies():
    names = imagenet.class_names()
    names[386] = "changed"
    index = imagenet.class_index()
    index["386"][1] = "changed"
    assert imagenet.class_names()[386] == "African_elephant"
    assert imagenet.class_index()["386"][1] == "African_elephant"


def test_file_is_byte_identical_to_keras_download():
    """Our json has the md5 that Keras checks when it downloads the file."""
    from keras.src.applications import imagenet_utils
    from keras.src.utils import file_utils

    source = inspect.getsource(imagenet_utils.decode_predictions)
    keras_hash = re.search(r'file_hash="([0-9a-f]{32})"', source).group(1)
    assert file_utils.validate_file(imagenet.CLASS_INDEX_PATH, keras_hash)


# -------------------------------------------------------- decode_predictions
def test_decode_hand_built_ordered_predictions():
    preds = np.zeros((2, 1000), dtype=np.float32)
    preds[0, [386, 130, 736, 779, 0]] = [0.5, 0.2, 0.15, 0.1, 0.05]
    preds[1, 779] = 1.0  # one-hot
    out = imagenet.decode_predictions(preds, top=4)
    assert out[0] == [
        ("n02504458", "African_elephant", pytest.approx(0.5)),
        ("n02007558", "flamingo", pytest.approx(0.2)),
        ("n03982430", "pool_table", pytest.approx(0.15)),
        ("n04146614", "school_bus", pytest.approx(0.1)),
    ]
    # one-hot: the hot class, then ties at 0 in index order (documented)
    one_hot = imagenet.decode_predictions(preds[1:], top=3)[0]
    assert [t[:2] for t in one_hot] == [("n04146614", "school_bus"), ("n01440764", "tench"),
                                       ("n01443537", "goldfish")]
    assert [t[2] for t in one_hot] == [1.0, 0.0, 0.0]
    assert all(type(t[2]) is float for row in out for t in row)


def test_decode_default_top_and_tensor_input():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    preds = rng.random((3, 1000)).astype(np.float32)
    out = imagenet.decode_predictions(tf.constant(preds))
    assert len(out) == 3 and all(len(row) == 5 for row in out)
    for row, p in zip(out, preds):
        expected = sorted(range(1000), key=lambda i: -p[i])[:5]  # plain Python sort
        assert [imagenet.class_wnids()[i] for i in expected] == [t[0] for t in row]
        assert [float(p[i]) for i in expected] == [t[2] for t in row]


def test_matches_keras_decode_predictions_offline(monkeypatch):
    """Keras's decode_predictions, its download pointed at our file, agrees."""
    import keras
    from keras.src.applications import imagenet_utils
    from keras.src.utils import file_utils

    requested = []

    def local_get_file(fname, origin=None, **kwargs):
        requested.append((fname, kwargs.get("file_hash")))
        return imagenet.CLASS_INDEX_PATH

    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(file_utils, "get_file", local_get_file)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 1000)).astype(np.float32) * 3
    preds = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for top in (1, 5, 20):
        theirs = keras.applications.imagenet_utils.decode_predictions(preds, top=top)
        ours = imagenet.decode_predictions(preds, top=top)
        assert ours == [[(w, n, float(s)) for (w, n, s) in row] for row in theirs]
    assert requested and requested[0][0] == "imagenet_class_index.json"


@pytest.mark.parametrize(
    "preds, match",
    [
        (np.zeros(1000), r"got one vector of shape \(1000,\).*preds\[None\]"),
        (np.zeros((2, 6)), r"shape \(2, 6\).*6 classes.*card.class_names"),
        (np.zeros((1, 7, 7, 512)), r"shape \(1, 7, 7, 512\).*feature map"),
        (np.zeros((0, 1000)), r"empty batch"),
        (np.full((2, 1000), np.nan), r"NaN or infinite.*rows \[0, 1\]"),
    ],
)
def test_decode_bad_shapes_and_values(preds, match):
    with pytest.raises(ValueError, match=match):
        imagenet.decode_predictions(preds)


def test_decode_bad_top_and_dtype():
    preds = np.zeros((1, 1000))
    with pytest.raises(ValueError, match="top must be between 1 and 1000, got 0"):
        imagenet.decode_predictions(preds, top=0)
    with pytest.raises(ValueError, match="top must be between 1 and 1000, got 1001"):
        imagenet.decode_predictions(preds, top=1001)
    with pytest.raises(TypeError, match="top must be an integer, got float 2.5"):
        imagenet.decode_predictions(preds, top=2.5)
    with pytest.raises(TypeError, match="top must be an integer, got bool True"):
        imagenet.decode_predictions(preds, top=True)
    with pytest.raises(TypeError, match="dtype <U"):
        imagenet.decode_predictions(np.full((1, 1000), "a"))


# ------------------------------------------------------- class_id / search
@pytest.mark.parametrize(
    "name, expected",
    [
        ("pool_table", 736), ("pool table", 736), ("Pool_Table", 736), ("POOL TABLE", 736),
        ("billiard table", 736), ("african elephant", 386), ("flamingo", 130),
        ("school bus", 779), ("jack o lantern", 607), ("n02504458", 386), (779, 779),
        ("Cardigan", 264), ("cardigan", 474),  # corgi vs sweater: exact case decides
    ],
)
def test_class_id(name, expected):
    assert imagenet.class_id(name) == expected


@pytest.mark.parametrize(
    "name, exc, match",
    [
        ("elefant", ValueError, r"No ImageNet class named 'elefant'.*African_elephant \(386\).*search_classes"),
        ("school buss", ValueError, r"school_bus \(779\)"),
        ("crane", ValueError, r"names 2 ImageNet classes: 134 .*517 "),
        ("CARDIGAN", ValueError, r"264 .*474 "),
        ("", ValueError, "empty name"),
        (1000, ValueError, r"0\.\.999"),
        (3.0, TypeError, "str.*or an index"),
    ],
)
def test_class_id_errors(name, exc, match):
    with pytest.raises(exc, match=match):
        imagenet.class_id(name)


def test_search_classes():
    hits = imagenet.search_classes("Table")
    assert (736, "pool_table") in hits and (532, "dining_table") in hits
    assert all("table" in n.lower() for _, n in hits)
    assert imagenet.search_classes("school bus") == [(779, "school_bus")]
    assert imagenet.search_classes("") == list(enumerate(imagenet.class_names()))
    assert imagenet.search_classes("zzzz") == []
    # independent count: names containing "dog" by a plain loop over the file
    with open(imagenet.CLASS_INDEX_PATH, encoding="utf-8") as f:
        raw = json.load(f)
    expected = [int(k) for k, (_, n) in raw.items() if "dog" in n.lower()]
    assert [i for i, _ in imagenet.search_classes("dog")] == sorted(expected)
