"""Tests for helpers.trust (notebook 04, "Can we trust the map?").

References are computed another way: rank correlations and areas by hand,
SSIM by an explicit loop over windows, Grad-CAM of a randomised GAP + Dense
head in numpy, deletion curves of a model whose score is a known function of
the pixels (a logistic regression on the pixels), ROAD's linear imputation
against its equations written out one pixel at a time and solved densely.
"""
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import cam, trust  # noqa: E402


# ------------------------------------------------------------ statistics ----

def test_rank_correlation_with_ties_matches_the_hand_computation():
    # ranks a = [1, 2.5, 2.5, 4], b = [1, 3, 2, 4]; centred: [-1.5, 0, 0, 1.5], [-1.5, .5, -.5, 1.5]
    # sum of products 4.5, sums of squares 4.5 and 5  ->  4.5 / sqrt(4.5 * 5) = sqrt(0.9)
    assert trust.rank_correlation([1, 2, 2, 4], [10, 30, 20, 40]) == pytest.approx(np.sqrt(0.9), abs=1e-12)


def test_rank_correlation_without_ties_matches_the_classic_formula():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    n = a.size
    d = np.argsort(np.argsort(a.ravel())) - np.argsort(np.argsort(b.ravel()))
    assert trust.rank_correlation(a, b) == pytest.approx(1 - 6 * (d ** 2).sum() / (n * (n * n - 1)), abs=1e-12)


def test_rank_correlation_sees_only_the_order_and_is_zero_for_a_constant_map():
    a = np.random.default_rng(0).random((4, 4))
    assert trust.rank_correlation(a, np.exp(3 * a)) == pytest.approx(1.0)
    assert trust.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert trust.rank_correlation(a, np.zeros_like(a)) == 0.0


def test_rank_correlation_rejects_bad_maps_clearly():
    with pytest.raises(ValueError, match="same shape"):
        trust.rank_correlation(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        trust.rank_correlation([0.0, np.nan], [0.0, 1.0])


def _ssim_by_loop(a, b, sigma=1.5):
    """SSIM with an explicit 2-D window at every pixel (mirror padding, edge repeated)."""
    r = int(3.5 * sigma + 0.5)
    t = np.arange(-r, r + 1)
    w2 = np.exp(-0.5 * (t[:, None] ** 2 + t[None, :] ** 2) / sigma ** 2)
    w2 /= w2.sum()
    pa, pb = np.pad(a, r, mode="symmetric"), np.pad(b, r, mode="symmetric")
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    vals = []
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            wa, wb = pa[i:i + 2 * r + 1, j:j + 2 * r + 1], pb[i:i + 2 * r + 1, j:j + 2 * r + 1]
            ma, mb = (w2 * wa).sum(), (w2 * wb).sum()
            va, vb = (w2 * (wa - ma) ** 2).sum(), (w2 * (wb - mb) ** 2).sum()
            cov = (w2 * (wa - ma) * (wb - mb)).sum()
            vals.append((2 * ma * mb + c1) * (2 * cov + c2) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2)))
    return float(np.mean(vals))


def test_ssim_matches_an_explicit_loop_over_windows():
    rng = np.random.default_rng(5)
    a = rng.random((12, 10))
    b = np.clip(a + 0.3 * rng.normal(size=a.shape), 0, 1)
    assert trust.ssim(a, b) == pytest.approx(_ssim_by_loop(a, b), abs=1e-10)
    assert trust.ssim(a, a) == pytest.approx(1.0)
    assert trust.ssim(a, rng.random(a.shape)) < 0.3


def test_ssim_rejects_maps_of_different_shapes():
    with pytest.raises(ValueError, match="same shape"):
        trust.ssim(np.zeros((12, 12)), np.zeros((12, 11)))


# -------------------------------------------------- randomisation test ----

@pytest.fixture()
def gap_dense():
    """8x8x3 -> Conv2D(4, relu) 'conv' -> GAP -> Dense(3) 'logits' -> softmax; Dense bias init 0."""
    keras.utils.set_random_seed(1)
    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inp)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(3, name="logits", kernel_initializer=keras.initializers.Constant(0.5))(x)
    out = keras.layers.Activation("softmax", name="predictions")(x)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(2)
    model.get_layer("conv").set_weights([rng.normal(size=(3, 3, 3, 4)), rng.normal(0, 0.1, 4)])
    model.get_layer("logits").set_weights([rng.normal(size=(4, 3)), np.array([0.1, -0.2, 0.3])])
    return model


def test_cascade_stages_go_from_the_output_to_the_input(gap_dense):
    assert trust.cascade_stages(gap_dense) == [("logits", ["logits"]), ("conv", ["conv"])]


def test_randomize_layers_redraws_from_the_layers_initializers_and_leaves_the_rest(gap_dense):
    copy = trust.randomized_copy(gap_dense)
    trust.randomize_layers(copy, ["logits"], seed=0)
    W, b = copy.get_layer("logits").get_weights()
    assert np.all(W == 0.5) and np.all(b == 0.0)            # Constant(0.5) kernel, zeros bias
    for a, c in zip(copy.get_layer("conv").get_weights(), gap_dense.get_layer("conv").get_weights()):
        np.testing.assert_array_equal(a, c)
    assert not np.all(gap_dense.get_layer("logits").get_weights()[0] == 0.5)   # the original is untouched
    with pytest.raises(ValueError, match="no layer with weights named"):
        trust.randomize_layers(copy, ["nope"])


def test_gradcam_after_randomising_the_head_is_the_hand_computed_map(gap_dense):
    """GAP + Dense: Grad-CAM = ReLU(sum_k W'_kc A^k) with the NEW Dense weights W' and the old A."""
    copy = trust.randomized_copy(gap_dense)
    x = np.random.default_rng(4).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    trust.explanation_maps(copy, x, [0, 2], "gradcam", "conv")           # cache the core first
    trust.randomize_layers(copy, ["logits"], seed=3)
    copy.get_layer("logits").set_weights([np.array([[1.0, 0, 0], [-1, 0, 0], [0, 0, 1], [0, 0, -2]]),
                                          np.zeros(3)])
    K, bk = gap_dense.get_layer("conv").get_weights()
    xp = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1), (0, 0)))
    A = np.zeros((2, 8, 8, 4))
    for i in range(8):
        for j in range(8):
            A[:, i, j] = np.tensordot(xp[:, i:i + 3, j:j + 3], K, axes=([1, 2, 3], [0, 1, 2])) + bk
    A = np.maximum(A, 0)
    ref = [np.maximum(A[0, ..., 0] - A[0, ..., 1], 0), np.maximum(A[1, ..., 2] - 2 * A[1, ..., 3], 0)]
    got = trust.explanation_maps(copy, x, [0, 2], "gradcam", "conv")
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r / r.max(), atol=1e-4)


def test_a_map_that_ignores_the_weights_keeps_correlation_one_at_every_stage(gap_dense):
    def brightness(net, images, classes):
        g = images.mean(axis=-1)
        return g / g.max(axis=(1, 2), keepdims=True)

    x = np.random.default_rng(0).uniform(0, 255, (3, 8, 8, 3)).astype(np.float32)
    res = trust.randomization_test(gap_dense, x, [0, 1, 2], [brightness, "gradcam"], "conv")
    assert res["stages"] == ["logits", "conv"]
    np.testing.assert_allclose(res["spearman"]["brightness"], 1.0)
    np.testing.assert_allclose(res["ssim"]["brightness"], 1.0)
    assert res["spearman"]["gradcam"].shape == (2, 3)
    assert res["spearman"]["gradcam"][-1].mean() < 0.9        # Grad-CAM does depend on the weights


def test_guided_backprop_follows_weights_changed_in_place(gap_dense):
    """The cached guided clone gets the new weights: same as a fresh clone of the randomised copy."""
    copy = trust.randomized_copy(gap_dense)
    x = np.random.default_rng(1).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    before = trust.explanation_maps(copy, x, [0, 1], "guided_backprop")
    trust.randomize_layers(copy, ["logits", "conv"], seed=5)
    after = trust.explanation_maps(copy, x, [0, 1], "guided_backprop")
    fresh = trust.randomized_copy(copy)
    np.testing.assert_allclose(after, trust.explanation_maps(fresh, x, [0, 1], "guided_backprop"), atol=1e-5)
    assert not np.allclose(before, after)


def test_randomization_test_rejects_unknown_methods_and_stages(gap_dense):
    x = np.zeros((1, 8, 8, 3), np.float32)
    with pytest.raises(ValueError, match="unknown method"):
        trust.randomization_test(gap_dense, x, [0], ["lime"])
    with pytest.raises(ValueError, match="unknown stages"):
        trust.randomization_test(gap_dense, x, [0], ["gradcam"], stages=["block9"])


# ------------------------------------------------- deletion / insertion ----

def test_curve_auc_is_the_trapezoid_area():
    assert trust.curve_auc([0.0, 1.0]) == pytest.approx(0.5)
    assert trust.curve_auc([1.0, 0.0, 1.0]) == pytest.approx(0.5)
    np.testing.assert_allclose(trust.curve_auc([[1, 1, 1], [0, 0.5, 1]]), [1.0, 0.5])


def test_pixel_order_puts_the_largest_value_first_and_breaks_ties():
    rank = trust.pixel_order(np.array([[[3.0, 1.0], [2.0, 1.0]]]))[0]
    assert rank[0, 0] == 0 and rank[1, 0] == 1 and sorted([rank[0, 1], rank[1, 1]]) == [2, 3]


@pytest.fixture()
def pixel_logistic():
    """4x4x1 image -> Flatten -> Dense(2) -> softmax: p_0 = sigmoid(sum_i w_i x_i), a known function."""
    w = np.linspace(-1.0, 2.0, 16) / 40.0
    inp = keras.Input((4, 4, 1))
    x = keras.layers.Flatten()(inp)
    x = keras.layers.Dense(2, name="logits")(x)
    out = keras.layers.Activation("softmax")(x)
    model = keras.Model(inp, out)
    model.get_layer("logits").set_weights([np.stack([w, np.zeros(16)], axis=1), np.zeros(2)])
    return model, w


def _unsaturated(x, w, logit=0.5):
    """Scale the pixels of positive weight so that each image's logit is ``logit`` (p far from 0 and 1)."""
    x = x.reshape(len(x), 16).astype(np.float64)
    pos = w > 0
    x[:, pos] *= ((logit - x[:, ~pos] @ w[~pos]) / (x[:, pos] @ w[pos]))[:, None]
    return x.reshape(len(x), 4, 4, 1).astype(np.float32)


def test_deletion_curve_and_auc_match_the_hand_computation(pixel_logistic):
    model, w = pixel_logistic
    rng = np.random.default_rng(0)
    x = _unsaturated(rng.uniform(0, 255, (2, 16)), w)
    maps = rng.permutation(32).reshape(2, 4, 4).astype(np.float32)      # no ties
    got = trust.deletion_insertion(model, x, [0, 0], maps, steps=4)
    for n in range(2):
        img = x[n].ravel().astype(np.float64)
        order = np.argsort(-maps[n].ravel())
        ref = []
        for j in range(5):
            cur = img.copy()
            cur[order[:4 * j]] = img.mean()
            ref.append(1 / (1 + np.exp(-(w * cur).sum())))
        assert np.ptp(ref) > 0.02                        # the curve moves: the comparison can fail
        np.testing.assert_allclose(got["deletion"][n], ref, rtol=1e-5)
        area = sum((ref[j] + ref[j + 1]) / 2 * 0.25 for j in range(4))
        assert trust.curve_auc(got["deletion"][n], got["fractions"]) == pytest.approx(area, rel=1e-5)
    # without blur the insertion start is the image itself: a flat curve at p(x)
    flat = trust.deletion_insertion(model, x, [0, 0], maps, steps=4, modes=["insertion"], blur_sigma=0)
    np.testing.assert_allclose(flat["insertion"], got["deletion"][:, :1].repeat(5, axis=1), rtol=1e-5)


def test_the_map_that_ranks_by_evidence_deletes_faster_than_a_random_order(pixel_logistic):
    model, w = pixel_logistic
    x = _unsaturated(np.random.default_rng(1).uniform(0, 255, (1, 16)), w)
    evidence = (w * (x[0].ravel() - x[0].mean())).reshape(1, 4, 4)      # what removing each pixel costs
    best = trust.curve_auc(trust.deletion_insertion(model, x, [0], evidence, steps=16)["deletion"])
    worst = trust.curve_auc(trust.deletion_insertion(model, x, [0], -evidence, steps=16)["deletion"])
    assert best < worst - 0.05


def test_blur_matches_a_direct_two_dimensional_convolution():
    rng = np.random.default_rng(2)
    img = rng.random((1, 9, 7, 1))
    sigma, r = 1.0, 3
    t = np.arange(-r, r + 1)
    k2 = np.exp(-0.5 * (t[:, None] ** 2 + t[None, :] ** 2) / sigma ** 2)
    k2 /= k2.sum()
    p = np.pad(img[0, ..., 0], r, mode="symmetric")
    ref = np.array([[(k2 * p[i:i + 2 * r + 1, j:j + 2 * r + 1]).sum() for j in range(7)] for i in range(9)])
    np.testing.assert_allclose(trust.deletion._blur(img, sigma)[0, ..., 0], ref, atol=1e-6)


def test_deletion_insertion_rejects_mismatched_inputs(pixel_logistic):
    model, _ = pixel_logistic
    x = np.zeros((2, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match="one class and one"):
        trust.deletion_insertion(model, x, [0], np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="unknown modes"):
        trust.deletion_insertion(model, x, [0, 0], np.zeros((2, 4, 4)), modes=["roar"])


# ------------------------------------------ ROAD: noisy linear imputation ----

def _road_by_dense_solve(img, removed):
    """ROAD's equations written out, one removed pixel at a time, solved by numpy.linalg.solve.

    For each removed pixel i: x_i - sum_j (w_ij / sum_j w_ij) x_j = 0 over its neighbours j inside
    the image (w = 1/6 direct, 1/12 diagonal), the kept x_j moved to the right-hand side.
    """
    H, W, C = img.shape
    index = {p: k for k, p in enumerate(zip(*np.nonzero(removed)))}
    A, b = np.eye(len(index)), np.zeros((len(index), C))
    for (y, x), k in index.items():
        nbrs = [(y + dy, x + dx, 1 / 6 if dy == 0 or dx == 0 else 1 / 12)
                for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy or dx) and 0 <= y + dy < H and 0 <= x + dx < W]
        total = sum(w for _, _, w in nbrs)
        for yy, xx, w in nbrs:
            if (yy, xx) in index:
                A[k, index[(yy, xx)]] -= w / total
            else:
                b[k] += w / total * img[yy, xx]
    out = img.astype(np.float64).copy()
    if index:
        sol = np.linalg.solve(A, b)
        for (y, x), k in index.items():
            out[y, x] = sol[k]
    return out


@pytest.mark.parametrize("shape, share", [((5, 5), 0.3), ((16, 16), 0.6), ((13, 10), 0.8), ((9, 21), 0.95)])
def test_linear_imputation_matches_a_dense_solve_of_the_same_equations(shape, share):
    """Sizes above 8 x 8 go through the multigrid levels, odd sizes through their smaller last blocks."""
    rng = np.random.default_rng(7)
    img = rng.uniform(0, 255, shape + (2,)).astype(np.float32)
    removed = rng.random(shape) < share
    removed[0, 0] = removed[-1, 2] = True                        # a corner and an edge pixel at least
    got = trust.linear_imputation(img, removed, noise=0, tol=1e-4)
    np.testing.assert_allclose(got, _road_by_dense_solve(img, removed), atol=2e-3)


def test_linear_imputation_reproduces_a_linear_ramp_and_a_constant_image():
    """A linear function equals the weighted mean of its 8 neighbours (the weights are symmetric).

    Not at the border, where only the neighbours inside count: there the removed pixels are interior.
    """
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:40, :40].astype(np.float32)
    ramp = np.stack([20 + 3 * yy + 2 * xx, 230 - 4 * xx, 100 + 0 * xx], axis=-1)
    removed = np.zeros((3, 40, 40), bool)
    removed[0, 1:-1, 1:-1] = rng.random((38, 38)) < 0.5         # scattered
    removed[1, 5:35, 3:30] = True                                # one large hole
    removed[2, 1:-1, 1:-1] = True                                # everything but the frame
    got = trust.linear_imputation(np.stack([ramp] * 3), removed, noise=0, tol=1e-4)
    np.testing.assert_allclose(got, np.stack([ramp] * 3), atol=2e-3)
    flat = np.full((40, 40, 3), 77.0, np.float32)
    anywhere = rng.random((40, 40)) < 0.7                       # borders and corners included
    np.testing.assert_allclose(trust.linear_imputation(flat, anywhere, noise=0, tol=1e-4), flat, atol=1e-3)


def test_linear_imputation_meets_its_stated_tolerance():
    """Every removed pixel within tol of the weighted mean of its neighbours, checked one neighbour at a time."""
    rng = np.random.default_rng(4)
    img = rng.uniform(0, 255, (2, 64, 48, 3)).astype(np.float32)
    yy, xx = np.mgrid[:64, :48]
    removed = np.stack([(yy - 30) ** 2 + (xx - 20) ** 2 < 400, rng.random((64, 48)) < 0.9])
    tol = 0.05
    got = trust.linear_imputation(img, removed, noise=0, tol=tol).astype(np.float64)
    padded = np.pad(got, ((0, 0), (1, 1), (1, 1), (0, 0)))
    inside = np.pad(np.ones((64, 48)), 1)
    total, weight = np.zeros_like(got), np.zeros((64, 48))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                w = 1 / 6 if dy == 0 or dx == 0 else 1 / 12
                total += w * padded[:, 1 + dy:65 + dy, 1 + dx:49 + dx]
                weight += w * inside[1 + dy:65 + dy, 1 + dx:49 + dx]
    deviation = np.abs(got - total / weight[..., None])[removed]
    assert deviation.max() <= tol * 1.01
    assert np.abs(got - img)[removed].mean() > 10               # the removed pixels did change


def test_linear_imputation_keeps_kept_pixels_and_handles_none_all_and_a_single_kept_pixel():
    rng = np.random.default_rng(2)
    img = rng.uniform(0, 255, (4, 12, 12, 3)).astype(np.float32)
    removed = np.zeros((4, 12, 12), bool)
    removed[1] = True                                            # everything: the image's mean colour
    removed[2] = True
    removed[2, 11, 0] = False                                    # all but one corner pixel: its colour
    removed[3] = rng.random((12, 12)) < 0.5
    got = trust.linear_imputation(img, removed, noise=0)
    assert np.isfinite(got).all()
    np.testing.assert_array_equal(got[~removed], img[~removed])  # bit for bit, img[0] included
    np.testing.assert_allclose(got[1], np.broadcast_to(img[1].mean(axis=(0, 1)), (12, 12, 3)), rtol=1e-6)
    np.testing.assert_allclose(got[2], np.broadcast_to(img[2, 11, 0], (12, 12, 3)), atol=1e-2)
    noisy = trust.linear_imputation(img, removed, noise=0.01, seed=3)
    np.testing.assert_array_equal(noisy[~removed], img[~removed])
    assert np.isfinite(noisy).all()


def test_linear_imputation_noise_has_the_stated_size_and_follows_the_seed():
    rng = np.random.default_rng(5)
    img = rng.uniform(0, 255, (1, 64, 64, 3)).astype(np.float32)
    removed = rng.random((64, 64)) < 0.5                          # an (H, W) mask for every image
    exact = trust.linear_imputation(img, removed, noise=0, tol=1e-3)
    noisy = trust.linear_imputation(img, removed, noise=0.02, seed=11, tol=1e-3)
    diff = (noisy - exact)[:, removed]                          # ~6000 draws of N(0, (0.02 * 255)^2)
    assert abs(diff.std() / (0.02 * 255) - 1) < 0.05 and abs(diff.mean()) < 0.3
    np.testing.assert_array_equal(noisy, trust.linear_imputation(img, removed, noise=0.02, seed=11, tol=1e-3))
    assert not np.allclose(noisy, trust.linear_imputation(img, removed, noise=0.02, seed=12, tol=1e-3))
    one = trust.linear_imputation(img[0], removed, noise=0, tol=1e-3)      # one (H, W, C) image
    assert one.shape == (64, 64, 3)
    np.testing.assert_allclose(one, exact[0], atol=1e-3)


def test_linear_imputation_rejects_bad_inputs_and_says_when_it_does_not_converge():
    img = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="removed must be"):
        trust.linear_imputation(img, np.zeros((2, 32, 31), bool))
    with pytest.raises(ValueError, match="noise must be >= 0"):
        trust.linear_imputation(img, np.zeros((32, 32), bool), noise=-1)
    hole = np.zeros((32, 32), bool)
    hole[2:30, 2:30] = True
    with pytest.raises(RuntimeError, match="did not converge.*max_iter"):
        trust.linear_imputation(img, hole, tol=1e-4, max_iter=1)


def test_deletion_and_lerf_with_linear_fill_match_the_hand_computation(pixel_logistic):
    """Each step's image is the dense solve's imputation of the pixels removed so far, in either order."""
    model, w = pixel_logistic
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 255, (2, 16))
    pos = w > 0                                  # scale the pixels of positive weight: logit 0.5, p far from 0 and 1
    x[:, pos] *= ((0.5 - x[:, ~pos] @ w[~pos]) / (x[:, pos] @ w[pos]))[:, None]
    x = x.reshape(2, 4, 4, 1).astype(np.float32)
    maps = rng.permutation(32).reshape(2, 4, 4).astype(np.float32)
    got = trust.deletion_insertion(model, x, [0, 0], maps, steps=4, modes=("deletion", "lerf"), fill="linear",
                                   noise=0)
    for n in range(2):
        order = np.argsort(-maps[n].ravel())
        for mode, removal in (("deletion", order), ("lerf", order[::-1])):
            ref = []
            for j in range(5):
                removed = np.zeros(16, bool)
                removed[removal[:4 * j]] = True
                if removed.all():
                    img = np.full(16, x[n].mean())
                else:
                    img = _road_by_dense_solve(x[n], removed.reshape(4, 4)).ravel()
                ref.append(1 / (1 + np.exp(-(w * img).sum())))
            assert np.ptp(ref) > 0.02                # the curve moves: the comparison can fail
            np.testing.assert_allclose(got[mode][n], ref, rtol=1e-4)
    mean_fill = trust.deletion_insertion(model, x, [0, 0], maps, steps=4, modes=("deletion",))
    assert not np.allclose(mean_fill["deletion"][:, 1:4], got["deletion"][:, 1:4])   # the fill does matter


def test_deletion_insertion_names_the_fills_when_given_another(pixel_logistic):
    model, _ = pixel_logistic
    x = np.zeros((1, 4, 4, 1), np.float32)
    for bad in ("blur", None, "Linear"):
        with pytest.raises(ValueError, match=r"fill must be one of \('mean', 'linear'\).*got"):
            trust.deletion_insertion(model, x, [0], np.zeros((1, 4, 4)), fill=bad)


# ----------------------------------------------------------------- table ----

def test_trust_table_rows_and_ranges(gap_dense):
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 255, (4, 8, 8, 3)).astype(np.float32)
    boxes = np.array([[0, 0, 4, 4], [2, 2, 8, 8], [0, 0, 8, 8], [4, 0, 8, 4]])
    rows = trust.trust_table(gap_dense, x, [0, 1, 2, 0], boxes, ("gradcam", "guided_backprop"), "conv", steps=4)
    assert [r["method"] for r in rows] == ["random order", "gradcam", "guided_backprop"]
    assert rows[0]["rand_spearman"] is None and rows[1]["rand_spearman"] is not None
    for r in rows:
        assert 0 <= r["deletion_auc"] <= 1 and 0 <= r["insertion_auc"] <= 1 and 0 <= r["pointing"] <= 1
    assert rows[2]["pointing"] == cam.pointing_game(
        trust.explanation_maps(gap_dense, x, [0, 1, 2, 0], "guided_backprop"), boxes, (8, 8))
    assert "-" in trust.format_trust_table(rows).splitlines()[1]
    no_boxes = trust.trust_table(gap_dense, x, [0, 1, 2, 0], None, ("gradcam",), "conv", steps=2)
    assert no_boxes[1]["pointing"] is None and no_boxes[1]["iou"] is None


def test_pointing_game_tolerance_counts_a_peak_just_outside_the_box():
    hm = np.zeros((1, 8, 8), np.float32)
    hm[0, 2, 5] = 1.0                                   # peak at x = 5, y = 2
    box = np.array([[0, 0, 4, 4]])                      # x1 = 4 exclusive: x = 5 is 2 px outside
    assert cam.localization_scores(hm, box, (8, 8))["pointing"] == 0.0
    assert cam.localization_scores(hm, box, (8, 8), tolerance=1)["pointing"] == 0.0
    assert cam.localization_scores(hm, box, (8, 8), tolerance=2)["pointing"] == 1.0


def test_plots_draw_one_line_per_method_and_name_bad_modes():
    import matplotlib

    matplotlib.use("Agg")
    res = {"stages": ["logits", "conv"], "spearman": {"a": np.zeros((2, 3)), "b": np.ones((2, 3))}}
    ax = trust.plot_randomization(res)
    assert len(ax.get_lines()) == 3                     # two methods + the zero line
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1, 0, 0])   # "trained" = 1 by definition
    curves = {"fractions": np.linspace(0, 1, 3), "deletion": np.array([1, .5, 0]), "insertion": np.zeros(3)}
    rows = [{"method": "random order", "curves": curves, "deletion_auc": 0.5, "insertion_auc": 0.0}]
    assert len(trust.plot_curves(rows, "deletion").get_lines()) == 1
    with pytest.raises(ValueError, match="deletion"):
        trust.plot_curves(rows, "roar")


def test_trust_table_energy_is_the_share_of_each_map_inside_its_box(gap_dense):
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 255, (4, 8, 8, 3)).astype(np.float32)
    y = [0, 1, 2, 0]
    whole = np.tile([0, 0, 8, 8], (4, 1))
    left, right = np.tile([0, 0, 4, 8], (4, 1)), np.tile([4, 0, 8, 8], (4, 1))
    kw = dict(methods=("gradcam", "guided_backprop"), layer="conv", faithfulness=False)
    r_whole = trust.trust_table(gap_dense, x, y, whole, **kw)
    r_left, r_right = (trust.trust_table(gap_dense, x, y, b, **kw) for b in (left, right))
    for rw, rl, rr in zip(r_whole, r_left, r_right):
        # all of a map is inside the whole image; a map that is zero everywhere counts 0 (no evidence)
        nonzero = 1.0 if rw["method"] == "random order" else np.mean(
            [m.sum() > 0 for m in trust.explanation_maps(gap_dense, x, y, rw["method"], "conv")])
        assert rw["energy"] == pytest.approx(nonzero)
        assert rl["energy"] + rr["energy"] == pytest.approx(nonzero)   # the two halves share it
        assert rw["deletion_auc"] is None and rw["curves"] is None
    maps = trust.explanation_maps(gap_dense, x, y, "guided_backprop", "conv")
    by_hand = np.mean([m[:, :4].sum() / m.sum() for m in maps])
    assert r_left[2]["energy"] == pytest.approx(by_hand, rel=1e-5)
    assert len(trust.plot_curves(r_whole).get_lines()) == 0     # rows without curves are skipped
