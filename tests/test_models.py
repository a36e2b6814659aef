"""helpers.models: model choice, offline behaviour, VGG16 card, pre-softmax scores."""

import keras
import numpy as np
import pytest

from helpers import models


@pytest.fixture
def empty_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(models.vgg16, "_keras_models_dir", lambda: str(tmp_path / "models"))
    monkeypatch.delenv("COURSE_VGG16_WEIGHTS", raising=False)
    models.choose._CACHE.clear()
    yield tmp_path
    models.choose._CACHE.clear()


def test_vgg16_offline_fails_fast_with_a_clear_message(empty_keras_cache, monkeypatch):
    """Fast by construction, not by a stopwatch: one connection attempt, no download started."""
    import keras

    def no_download(*args, **kwargs):
        raise AssertionError("a download was started although the network is unreachable")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    with pytest.raises(models.ModelUnavailableError) as info:
        models.load_model("vgg16")
    msg = str(info.value)
    assert "(no network)" in msg.splitlines()[0]
    assert models.VGG16_FILE in msg and models.VGG16_URL in msg
    assert str(empty_keras_cache / "models") in msg  # where to put it
    assert "COURSE_MODEL=shapesnet" in msg and "COURSE_VGG16_WEIGHTS" in msg
    assert "COURSE_MODEL=efficientnet_lite0" in msg


def test_env_weights_path_that_does_not_exist(empty_keras_cache, monkeypatch):
    monkeypatch.setenv("COURSE_VGG16_WEIGHTS", str(empty_keras_cache / "nope.h5"))
    with pytest.raises(models.ModelUnavailableError, match="is not a file"):
        models.vgg16_weights_path()


def test_unknown_model_name():
    with pytest.raises(ValueError, match="vgg16"):
        models.load_model("resnet")


def test_auto_offline_falls_back_to_efficientnet_lite0(empty_keras_cache, capsys):
    card = models.load_model("auto")
    out = capsys.readouterr().out
    assert card.name == "efficientnet_lite0"
    assert "EfficientNet-Lite0" in out and "COURSE_MODEL=efficientnet_lite0" in out
    assert "because VGG16's ImageNet weights are not available" in out  # not "vGG16's"
    assert out.count("\n") == 1  # one line, not a traceback
    assert not any(w in out for w in ("Errno", "gaierror", "NetworkBlocked", "cause:")), out   # no error text
    assert models.load_model("auto", verbose=False) is card
    assert models.load_model("efficientnet_lite0", verbose=False) is card  # one model in memory


def test_auto_reason_keeps_the_case_of_names(empty_keras_cache, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_VGG16_WEIGHTS", str(empty_keras_cache / "nope.h5"))
    card = models.load_model("auto")
    out = capsys.readouterr().out
    assert card.name == "efficientnet_lite0"
    assert "because COURSE_VGG16_WEIGHTS=" in out and "is not a file" in out


@pytest.mark.parametrize("sentence, expected", [
    ("The file is gone.", "the file is gone."),
    ("VGG16's weights", "VGG16's weights"),
    ("COURSE_VGG16_WEIGHTS='x' is not a file.", "COURSE_VGG16_WEIGHTS='x' is not a file."),
    ("ImageNet weights", "ImageNet weights"),
    ("A", "a"),
])
def test_lower_first_leaves_names_alone(sentence, expected):
    assert models.choose._lower_first(sentence) == expected


def test_vgg16_card_from_a_weights_file(empty_keras_cache, monkeypatch):
    # A weights file with the real architecture (random weights), given the
    # way a lab machine would: COURSE_VGG16_WEIGHTS.
    ref = keras.applications.VGG16(weights=None)
    path = empty_keras_cache / "vgg16.weights.h5"
    ref.save_weights(path)
    monkeypatch.setenv("COURSE_VGG16_WEIGHTS", str(path))
    card = models.load_model("vgg16", verbose=False)
    assert card.input_size == (224, 224) and card.last_conv_layer == "block5_conv3"
    assert card.class_names[386] == "African_elephant" and card.num_classes == 1000
    assert card.demo_classes == [130, 736, 779]
    x = np.random.default_rng(0).uniform(0, 255, (1, 224, 224, 3)).astype("float32")
    ref_in = keras.applications.vgg16.preprocess_input(x.copy())
    np.testing.assert_allclose(card.model(ref_in), ref(ref_in), rtol=1e-5, atol=1e-7)
    samples = card.sample_images()
    assert len(samples) >= 4
    for img in samples.values():
        assert img.shape == (224, 224, 3) and img.dtype == np.float32
    top = card.top_k(next(iter(samples.values())), k=3)
    assert len(top[0]) == 3 and top[0][0][2] >= top[0][1][2]


def test_vgg16_preprocess_matches_keras_on_numpy_and_tensors():
    import tensorflow as tf

    x = np.random.default_rng(1).uniform(0, 255, (2, 5, 5, 3)).astype("float32")
    expected = keras.applications.vgg16.preprocess_input(x.copy())
    np.testing.assert_allclose(models.vgg16_preprocess(x), expected, atol=1e-4)
    np.testing.assert_allclose(models.vgg16_preprocess(tf.constant(x)).numpy(), expected, atol=1e-4)
    back = models.vgg16_deprocess(expected)
    assert back.dtype == np.uint8
    assert np.abs(back.astype(float) - x).max() <= 0.5 + 1e-3


def _tiny(fused):
    inp = keras.Input((4, 4, 2))
    x = keras.layers.GlobalAveragePooling2D()(inp)
    if fused:
        out = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    else:
        x = keras.layers.Dense(3, name="logits")(x)
        out = keras.layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inp, out)


@pytest.mark.parametrize("fused", [True, False])
def test_logits_model_gives_the_scores_before_the_softmax(fused):
    model = _tiny(fused)
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)][0]
    W = np.arange(6, dtype="float32").reshape(2, 3) - 2.5
    b = np.array([0.5, -1.0, 2.0], dtype="float32")
    dense.set_weights([W, b])
    x = np.random.default_rng(2).normal(size=(3, 4, 4, 2)).astype("float32")
    by_hand = x.mean(axis=(1, 2)) @ W + b  # GAP then dense, no softmax
    scores = np.asarray(models.logits_model(model)(x))
    np.testing.assert_allclose(scores, by_hand, rtol=1e-5, atol=1e-5)
    assert models.logits_model(model) is models.logits_model(model)  # cached


def test_logits_model_of_a_model_without_softmax_is_itself():
    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Dense(2)(inp))
    assert models.logits_model(model) is model


def test_logits_model_reaches_a_softmax_inside_a_nested_model():
    inner = _tiny(fused=True)
    outer = keras.Sequential([keras.Input((4, 4, 2)), keras.Sequential([inner])])
    x = np.random.default_rng(3).normal(size=(2, 4, 4, 2)).astype("float32")
    W, b = inner.get_layer("predictions").get_weights()
    np.testing.assert_allclose(np.asarray(models.logits_model(outer)(x)), x.mean(axis=(1, 2)) @ W + b,
                               rtol=1e-5, atol=1e-5)


def _bad_weight_files(folder):
    """Damaged VGG16 weights files as a lab machine may have them: name -> (bytes, what the error says)."""
    other = folder / "other.weights.h5"
    tiny = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="dense")])
    tiny.save_weights(other)
    return {
        "empty": (b"", "is empty (0 bytes)"),
        "portal": (b"<!DOCTYPE html><html><head><title>Log in to the Wi-Fi</title></head></html>", "HTML page"),
        "text": (b"not found\n", "is not an HDF5 weights file"),
        "truncated": (models.HDF5_SIGNATURE + bytes(5000), "is not the complete file"),
        "other model": (other.read_bytes(), "is not the complete file"),
    }


def test_a_damaged_file_in_keras_cache_is_named_and_auto_falls_back(empty_keras_cache, capsys):
    cache = empty_keras_cache / "models"
    cache.mkdir()
    target = cache / models.VGG16_FILE
    for name, (data, says) in _bad_weight_files(empty_keras_cache).items():
        target.write_bytes(data)
        with pytest.raises(models.ModelUnavailableError) as info:
            models.load_model("vgg16", verbose=False)
        msg = str(info.value)
        assert says in msg.splitlines()[0] and "Keras's cache" in msg.splitlines()[0], (name, msg)
        assert str(target) in msg and "delete it" in msg and models.VGG16_MD5 in msg, name
        models.choose._CACHE.clear()
        card = models.load_model("auto")
        assert card.name == "efficientnet_lite0", name
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and says in out, (name, out)
        assert target.read_bytes() == data, "the course must never change Keras's cache"
        models.choose._CACHE.clear()


def test_a_damaged_file_given_by_course_vgg16_weights_is_named(empty_keras_cache, monkeypatch):
    for name, (data, says) in _bad_weight_files(empty_keras_cache).items():
        path = empty_keras_cache / f"{name.replace(' ', '_')}.h5"
        if not path.exists():
            path.write_bytes(data)
        monkeypatch.setenv("COURSE_VGG16_WEIGHTS", str(path))
        with pytest.raises(models.ModelUnavailableError) as info:
            models.load_model("vgg16", verbose=False)
        msg = str(info.value)
        first = msg.splitlines()[0]
        assert "COURSE_VGG16_WEIGHTS" in first and str(path) in msg, (name, msg)
        if name in ("truncated", "other model"):      # no md5 for a file of one's own: loading tells
            assert "does not fit VGG16" in first, (name, first)
        else:
            assert says in first, (name, first)
        assert "h5py" not in first and "Unable to synchronously" not in first
        assert path.read_bytes() == data
        models.choose._CACHE.clear()


def test_paths_under_the_home_folder_are_shown_with_a_tilde(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert models.vgg16._shown_path(str(tmp_path / ".keras" / "models" / "x.h5")) == "~/.keras/models/x.h5"
    assert models.vgg16._shown_path("/data/x.h5") == "/data/x.h5"
    monkeypatch.setattr(models.vgg16, "_keras_models_dir", lambda: str(tmp_path / ".keras" / "models"))
    msg = models.vgg16._offline_message("no network")
    assert "put it at ~/.keras/models/" + models.VGG16_FILE in msg and str(tmp_path) not in msg


def _fake_cgroup(tmp_path, monkeypatch, *, v2=None, v1=None):
    """A fake /sys/fs/cgroup and /proc/self/cgroup: v2 memory.max and/or v1 memory.limit_in_bytes."""
    root = tmp_path / "cgroup"
    lines = ["0::/user/kernel"]
    if v2 is not None:
        (root / "user" / "kernel").mkdir(parents=True)
        (root / "user" / "kernel" / "memory.max").write_text(f"{v2}\n")
    if v1 is not None:
        (root / "memory" / "hub" / "alice").mkdir(parents=True)
        (root / "memory" / "hub" / "alice" / "memory.limit_in_bytes").write_text(f"{v1}\n")
        lines.insert(0, "4:memory:/hub/alice")
    (tmp_path / "proc_cgroup").write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(models.memory, "CGROUP_ROOT", str(root))
    monkeypatch.setattr(models.memory, "PROC_CGROUP", str(tmp_path / "proc_cgroup"))
    monkeypatch.delenv("MEM_LIMIT", raising=False)


@pytest.mark.parametrize("v2, v1, mem_limit, expected", [
    (None, None, None, (None, "")),
    ("max", None, None, (None, "")),                                   # cgroup v2 without a limit
    (None, "9223372036854771712", None, (None, "")),                   # cgroup v1 without a limit
    ("2147483648", None, None, (2147483648.0, "cgroup memory.max")),   # Binder-like 2 GiB
    (None, "8000000000", None, (8e9, "cgroup memory.limit_in_bytes")),
    ("max", None, "2000000000", (2e9, "MEM_LIMIT")),                   # JupyterHub's spawner variable
    ("1500000000", None, "2000000000", (1.5e9, "cgroup memory.max")),  # the smallest limit wins
    (None, None, "2G", (None, "")),                                    # not a number of bytes: ignored
])
def test_memory_limit_reads_cgroup_v2_v1_and_mem_limit(tmp_path, monkeypatch, v2, v1, mem_limit, expected):
    _fake_cgroup(tmp_path, monkeypatch, v2=v2, v1=v1)
    if mem_limit is not None:
        monkeypatch.setenv("MEM_LIMIT", mem_limit)
    assert models.memory_limit() == expected


def _stand_in_vgg16(monkeypatch, calls):
    """VGG16's card replaced by a stand-in that records the call (the choice is under test, not VGG16)."""
    def card(reason):
        calls.append(reason)
        sn = models.load_model("shapesnet", verbose=False)
        return models.ModelCard(**{**sn.__dict__, "name": "vgg16", "reason": reason})
    monkeypatch.setattr(models.choose, "_vgg16_card", card)


def test_auto_does_not_choose_vgg16_where_it_would_not_fit(empty_keras_cache, tmp_path, monkeypatch, capsys):
    calls = []
    _stand_in_vgg16(monkeypatch, calls)
    _fake_cgroup(tmp_path, monkeypatch, v2="2000000000")
    card = models.load_model("auto")
    out = capsys.readouterr().out
    assert card.name == "efficientnet_lite0" and calls == [], "VGG16 was loaded although 2 GB cannot hold it"
    assert out.count("\n") == 1, out
    assert "may use 2.0 GB (cgroup memory.max)" in out and "COURSE_MODEL=vgg16" in out, out
    models.choose._CACHE.clear()
    assert models.load_model("vgg16", verbose=False).name == "vgg16" and len(calls) == 1, \
        "COURSE_MODEL=vgg16 must still force VGG16"


def test_auto_chooses_vgg16_where_it_fits(empty_keras_cache, tmp_path, monkeypatch, capsys):
    calls = []
    _stand_in_vgg16(monkeypatch, calls)
    _fake_cgroup(tmp_path, monkeypatch, v2="8000000000")
    card = models.load_model("auto")
    assert card.name == "vgg16" and len(calls) == 1
    assert "VGG16 ImageNet weights found" in capsys.readouterr().out


def _small_model(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(5, name="dense")(x)
    return keras.Model(inputs, outputs)


def test_load_weights_h5_in_row_chunks_equals_keras_own_loader(tmp_path):
    """The chunked loader against Keras's legacy HDF5 loader reading the same file."""
    source = _small_model(0)
    path = str(tmp_path / "w.h5")
    models.save_weights_h5(source, path)
    mine, keras_loaded = _small_model(1), _small_model(2)
    models.load_weights_h5(mine, path, rows=2)          # chunks smaller than every array's first axis
    keras_loaded.load_weights(path)
    for a, b, c in zip(source.get_weights(), mine.get_weights(), keras_loaded.get_weights()):
        np.testing.assert_array_equal(b, a)
        np.testing.assert_array_equal(c, a)


def test_load_weights_h5_names_the_layer_that_does_not_fit(tmp_path):
    path = str(tmp_path / "w.h5")
    models.save_weights_h5(_small_model(0), path)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Flatten()(keras.layers.Conv2D(6, 3, name="conv")(inputs))
    other = keras.Model(inputs, keras.layers.Dense(5, name="dense")(x))
    with pytest.raises(ValueError, match=r"layer conv: the file's .* is \(3, 3, 3, 4\), the model's .* \(3, 3, 3, 6\)"):
        models.load_weights_h5(other, path)


def test_vgg16_unfilled_is_vgg16_with_zeros():
    model = models.vgg16_unfilled()
    assert model.count_params() == 138_357_544          # VGG16's published parameter count
    assert [layer.name for layer in model.layers if layer.weights][:2] == ["block1_conv1", "block1_conv2"]
    assert all(not np.any(w.numpy()) for w in model.weights), "every variable must start at zero"


def test_predict_in_passes_equals_one_call_of_the_network():
    # 150 images: three passes of PREDICT_BATCH (64, 64, 22) against one direct call of the Keras model
    from helpers.models.card import PREDICT_BATCH

    card = models.load_model("shapesnet", verbose=False)
    x = np.random.default_rng(0).uniform(0, 255, (150, *card.input_size, 3)).astype(np.float32)
    assert len(x) > 2 * PREDICT_BATCH
    direct = np.asarray(card.model(card.preprocess(x), training=False))
    got = card.predict(x)
    assert got.shape == (150, card.num_classes)
    np.testing.assert_allclose(got, direct, rtol=1e-5, atol=1e-6)
