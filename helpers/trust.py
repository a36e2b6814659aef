"""Can we trust the map?  Sanity checks and faithfulness of class activation maps.

Used by notebook 04_gradcam ("Can we trust the map?") and ``tools/trust_table.py``.

A map that *locates* the object (pointing game, box IoU: ``helpers.cam``) has
not yet been shown to *explain the network*: on single-object images an edge
detector points at the object too.  Two measurements of a different kind (and
ROAD, a variant of the second):

* **Model-parameter randomisation test** (Adebayo et al. 2018, "Sanity Checks
  for Saliency Maps", cascading version).  Re-initialise the weights from the
  top layer down, one stage at a time, and compare each method's maps on the
  randomised network with its maps on the trained one (Spearman rank
  correlation, SSIM).  A map that explains the network must change when the
  network's weights are destroyed; a map that barely changes shows the image,
  not the network.
* **Deletion and insertion** (Petsiuk et al. 2018, "RISE", section 4.1).
  Remove pixels in the order the map ranks them (most important first) and
  follow the class probability: a faithful map makes it fall fast (low
  deletion AUC).  Or start from a blurred image and insert the pixels in that
  order: the probability should rise fast (high insertion AUC).  A random
  order is the baseline every method must beat.
* **ROAD** (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy
  for Attribution Methods").  Removed pixels set to one grey make the image
  unlike any training image: scattered grey pixels can hurt the network more
  than the object's removal.  ROAD fills them by *noisy linear imputation*
  (:func:`linear_imputation`, ``deletion_insertion(..., fill="linear")``) and
  deletes in both orders: most relevant first (MoRF, our "deletion") and
  least relevant first (LeRF: a faithful map keeps the probability high).

All maps are compared at image resolution: a Grad-CAM-type map is upsampled
bilinearly (as it is shown), a guided map is :func:`helpers.cam.saliency_heatmap`
(max |gradient| over the colour channels).
"""
from __future__ import annotations

import numpy as np

from . import cam
from .layers import default_layer, forget, probabilities_fn, walk
from .cam.core import quiet_tracing
from .inputs import unpack_built_model

__all__ = [
    "TRUST_METHODS",
    "rank_correlation",
    "ssim",
    "explanation_maps",
    "cascade_stages",
    "randomize_layers",
    "randomized_copy",
    "randomization_test",
    "pixel_order",
    "FILLS",
    "linear_imputation",
    "deletion_insertion",
    "curve_auc",
    "trust_table",
    "format_trust_table",
    "plot_randomization",
    "plot_curves",
]

#: Methods the trust measurements accept (``helpers.cam`` names).
TRUST_METHODS = cam.ALL_METHODS


# ------------------------------------------------------------- statistics ----

def _average_ranks(v):
    """Ranks 1..n of a 1-D array; tied values share the mean of their ranks."""
    v = np.asarray(v, dtype=np.float64).ravel()
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))      # rank - 1 of each group's first member
    return (first + (counts + 1) / 2.0)[inverse]


def rank_correlation(a, b) -> float:
    """Spearman rank correlation of two maps of the same shape (ties get average ranks).

    Args:
        a, b: arrays of the same shape (e.g. two (H, W) maps).
    Returns:
        float in [-1, 1]: the Pearson correlation of the ranks.  When one map
        is constant (e.g. a Grad-CAM map that is zero everywhere) its ranking
        says nothing: the result is defined as 0.0 (never NaN).
    Used by: :func:`randomization_test` (notebook 04).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"maps must have the same shape, got {a.shape} and {b.shape}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("maps contain NaN or infinite values.")
    ra, rb = _average_ranks(a), _average_ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / den) if den > 0 else 0.0


def _gaussian_kernel(sigma, radius):
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def _filter2d(x, kernel):
    """Separable filtering of (..., H, W) with a 1-D kernel, 'reflect' borders (mirror, edge repeated)."""
    r = len(kernel) // 2
    out = np.asarray(x, dtype=np.float64)
    for axis in (-2, -1):
        n = out.shape[axis]
        if r >= n:
            raise ValueError(f"image side {n} is too small for a filter of radius {r}.")
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        padded = np.pad(out, pad, mode="symmetric")
        acc = np.zeros_like(out)
        for i, w in enumerate(kernel):
            acc += w * np.take(padded, np.arange(i, i + n), axis=axis)
        out = acc
    return out


def ssim(a, b, data_range: float = 1.0, sigma: float = 1.5) -> float:
    """Structural similarity (Wang et al. 2004) of two 2-D maps, Gaussian window.

    SSIM = mean over pixels of
    ((2 mu_a mu_b + C1)(2 s_ab + C2)) / ((mu_a^2 + mu_b^2 + C1)(s_a^2 + s_b^2 + C2))
    with local means / (co)variances under a Gaussian window of ``sigma`` px
    (truncated at 3.5 sigma, mirrored at the border), C1 = (0.01 L)^2,
    C2 = (0.03 L)^2, L = ``data_range``.

    Args:
        a, b: (H, W) maps, values in [0, data_range] (maps in [0, 1]: 1.0).
    Returns:
        float, 1.0 for identical maps, near 0 for unrelated ones.
    Used by: :func:`randomization_test` (notebook 04).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"ssim needs two (H, W) maps of the same shape, got {a.shape} and {b.shape}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("maps contain NaN or infinite values.")
    k = _gaussian_kernel(sigma, int(3.5 * sigma + 0.5))
    mu_a, mu_b = _filter2d(a, k), _filter2d(b, k)
    s_aa = _filter2d(a * a, k) - mu_a ** 2
    s_bb = _filter2d(b * b, k) - mu_b ** 2
    s_ab = _filter2d(a * b, k) - mu_a * mu_b
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    num = (2 * mu_a * mu_b + c1) * (2 * s_ab + c2)
    den = (mu_a ** 2 + mu_b ** 2 + c1) * (s_aa + s_bb + c2)
    return float(np.mean(num / den))


# ------------------------------------------------------------------ maps ----

def _arguments(model, images, labels, preprocess, layer):
    """(keras model, preprocess, layer, images (N, H, W, C) float32, labels (N,) int64): one class per image."""
    model, preprocess, layer = unpack_built_model(model, preprocess, layer)
    x = np.asarray(images, dtype=np.float32)
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"labels / classes must be one class id per image: {len(x)} images, got shape {y.shape}.")
    return model, preprocess, layer if layer is not None else default_layer(model), x, y.astype(np.int64)


def explanation_maps(model, images, classes, method, layer=None, *, preprocess=None, batch_size=32):
    """One map per image, at image resolution, in [0, 1], for any method of :data:`TRUST_METHODS`.

    :func:`helpers.cam.maps` (the one implementation, shared with the
    localisation table and the widget), upsampled to the image.

    Args:
        model: keras.Model or model card; images: (N, H, W, 3) 0..255;
        classes: (N,) class id per image (the map is taken for that class).
        method: a :data:`TRUST_METHODS` name; layer: feature layer (None:
            the card's / :func:`helpers.layers.default_layer`).
    Returns:
        (N, H, W) float32 in [0, 1] (a map that is zero everywhere stays zero, silently).
    Used by: :func:`randomization_test`, :func:`trust_table` (notebook 04).
    """
    return cam.maps(model, images, classes, method, layer, preprocess=preprocess, batch_size=batch_size)


# ---------------------------------------------------- randomisation test ----

def _weighted_layers(model):
    """(path name, layer) of every layer with weights, in model order (nested models expanded)."""
    return [("/".join(p), lay) for p, _, lay in walk(model, leaves=True) if lay.weights]


def cascade_stages(model) -> list:
    """Stages of the cascading randomisation, top of the network first.

    Layers with weights are grouped by their name up to the first ``_``
    (``block4_conv1`` and ``block4_conv2`` form stage ``block4``; EfficientNet's
    ``block6d_expand_conv`` ... ``block6d_project_bn`` form ``block6d``).

    Returns:
        list of (stage name, [layer names]) from the output towards the input.
    Used by: :func:`randomization_test` (notebook 04).
    """
    model, _, _ = unpack_built_model(model, None, None)
    stages: list = []
    for name, _ in reversed(_weighted_layers(model)):
        key = name.split("/")[-1].split("_")[0]
        if stages and stages[-1][0] == key:
            stages[-1][1].append(name)
        else:
            stages.append((key, [name]))
    return stages


def _initializer_for(layer, var_name):
    for attr in (f"{var_name}_initializer", var_name.replace("_kernel", "") + "_initializer"):
        init = getattr(layer, attr, None)
        if init is not None:
            return init
    return None


def randomize_layers(model, layer_names, seed=0):
    """Re-initialise, in place, every weight of the named layers from the layer's own initializers.

    Kernels are drawn from their ``kernel_initializer`` (``depthwise_initializer``
    ...) with a seed derived from ``seed``; biases, BatchNorm's beta / gamma /
    moving mean / variance go back to their initial values (0 / 1 / 0 / 1).  A
    weight without a known initializer gets N(0, 2 / fan_in).

    Args:
        model: keras.Model (changed in place: use a copy, see :func:`randomized_copy`).
        layer_names: names from :func:`cascade_stages` ("outer/inner" for nested layers).
        seed: int.
    Used by: :func:`randomization_test`.
    """
    layers = dict(_weighted_layers(model))
    missing = [n for n in layer_names if n not in layers]
    if missing:
        raise ValueError(f"no layer with weights named {missing}; choose from {list(layers)}.")
    rng = np.random.default_rng(seed)
    for name in layer_names:
        lay = layers[name]
        for var in lay.weights:
            vname = var.path.split("/")[-1]
            shape, dtype = tuple(var.shape), var.dtype
            init = _initializer_for(lay, vname)
            if init is not None:
                cfg = init.get_config()
                if "seed" in cfg:
                    cfg["seed"] = int(rng.integers(2 ** 31 - 1))
                value = np.asarray(init.__class__.from_config(cfg)(shape, dtype=dtype))
            else:
                fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
                value = rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), shape)
            var.assign(value.astype(np.float32))
    forget(model)   # the pre-softmax model and the guided clone hold copies of some weights


def randomized_copy(model, seed=0, stages=None):
    """A copy of ``model`` (the original is never changed), optionally with some stages randomised.

    Args:
        model: keras.Model or model card.
        seed: int; stages: None (no randomisation: a trained copy) or "all"
            (every layer with weights) or a list of stage names of
            :func:`cascade_stages`.
    Returns:
        keras.Model (the card's preprocessing still applies to it).
    Used by: :func:`trust_table` (notebook 04).
    """
    import keras

    model, _, _ = unpack_built_model(model, None, None)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    if stages is not None:
        chosen = cascade_stages(copy)
        if stages != "all":
            unknown = [s for s in stages if s not in dict(chosen)]
            if unknown:
                raise ValueError(f"unknown stages {unknown}; choose from {[s for s, _ in chosen]}.")
            chosen = [(s, names) for s, names in chosen if s in stages]
        randomize_layers(copy, [n for _, names in chosen for n in names], seed=seed)
    return copy


def randomization_test(model, images, classes, methods=("gradcam", "guided_backprop"), layer=None, *,
                       preprocess=None, stages=None, seed=0, batch_size=32):
    """Cascading model-parameter randomisation test (Adebayo et al. 2018, section 3.1).

    A copy of the network is randomised stage by stage from the output down
    (:func:`cascade_stages`); after each stage every method's maps are
    compared with its maps on the trained network, image by image.

    Args:
        model: model card or keras.Model (never modified).
        images: (N, H, W, 3) 0..255; classes: (N,) class per image (kept fixed:
            the map of the same class before and after).
        methods: names of :data:`TRUST_METHODS`, or functions
            ``f(net, images, classes) -> (N, H, W)`` maps in [0, 1] (named by
            their ``__name__``).
        stages: stage names to stop at (a subset of :func:`cascade_stages`, in
            that order); None -> all.  The randomisation is cumulative.
        seed: int (the same seed gives the same random weights).
    Returns:
        dict with "stages": list of S stage names, "spearman" and "ssim": dict
        method -> (S, N) float arrays (per stage, per image), "maps": dict
        method -> (N, H, W) maps of the trained network.
    Used by: notebook 04, tools/trust_table.py.
    """
    model, preprocess, layer, x, cls = _arguments(model, images, classes, preprocess, layer)
    named = {}
    for m in methods:
        if callable(m):
            named[getattr(m, "__name__", repr(m))] = m
        elif m in TRUST_METHODS:
            named[m] = m
        else:
            raise ValueError(f"unknown method {m!r}; choose from {TRUST_METHODS} (or pass a function).")
    all_stages = cascade_stages(model)
    names = [s for s, _ in all_stages]
    wanted = names if stages is None else list(stages)
    bad = [s for s in wanted if s not in names]
    if bad:
        raise ValueError(f"unknown stages {bad}; choose from {names}.")
    copy = randomized_copy(model, seed)

    def maps_of(net):
        return {name: np.asarray(m(net, x, cls), np.float64) if callable(m) else
                explanation_maps(net, x, cls, m, layer, preprocess=preprocess, batch_size=batch_size)
                for name, m in named.items()}

    trained = maps_of(copy)
    spear = {m: [] for m in named}
    sim = {m: [] for m in named}
    done, rng = [], np.random.default_rng(seed)
    for stage, layer_names in all_stages:
        randomize_layers(copy, layer_names, seed=int(rng.integers(2 ** 31 - 1)))
        if stage not in wanted:
            continue
        done.append(stage)
        now = maps_of(copy)
        for m in named:
            spear[m].append([rank_correlation(a, b) for a, b in zip(trained[m], now[m])])
            sim[m].append([ssim(a, b) for a, b in zip(trained[m], now[m])])
        if len(done) == len(wanted):
            break
    return {"stages": done,
            "spearman": {m: np.asarray(v, np.float64) for m, v in spear.items()},
            "ssim": {m: np.asarray(v, np.float64) for m, v in sim.items()},
            "maps": trained}


# ------------------------------------------------- deletion / insertion ----

def pixel_order(maps, seed=0):
    """Rank of every pixel by its map value, most important first; ties broken at random.

    Args:
        maps: (N, H, W).  seed: int (tie-breaking; a map with flat regions,
            e.g. Grad-CAM's zeros, would otherwise be ranked row by row).
    Returns:
        (N, H, W) int64: 0 for the highest value, H*W - 1 for the lowest.
    Used by: :func:`deletion_insertion`.
    """
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim != 3:
        raise ValueError(f"maps must be (N, H, W), got shape {m.shape}.")
    rng = np.random.default_rng(seed)
    flat = m.reshape(len(m), -1)
    rank = np.empty(flat.shape, np.int64)
    for i, row in enumerate(flat):
        order = np.lexsort((rng.random(row.size), -row))
        rank[i, order] = np.arange(row.size)
    return rank.reshape(m.shape)


def _blur(images, sigma):
    if sigma <= 0:
        return np.asarray(images, dtype=np.float32).copy()
    k = _gaussian_kernel(sigma, max(1, int(3 * sigma + 0.5)))
    x = np.moveaxis(np.asarray(images, dtype=np.float64), -1, 1)     # (N, C, H, W)
    return np.moveaxis(_filter2d(x, k), 1, -1).astype(np.float32)


# ------------------------------------------- ROAD: noisy linear imputation ----

#: How :func:`deletion_insertion` fills removed pixels: the image's mean colour, or ROAD's
#: noisy linear imputation (:func:`linear_imputation`).
FILLS = ("mean", "linear")

# ROAD's neighbourhood (Rong et al. 2022, section 5): a pixel is the weighted mean of its 8
# neighbours, 1/6 for each of the 4 direct ones and 1/12 for each of the 4 diagonal ones (sum 1).
# The solver works with 12 x these weights (2 and 1): the same equations, fewer multiplications.
_OFFSETS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
_WEIGHTS12 = {o: (1.0 if o[0] and o[1] else 2.0) for o in _OFFSETS}


# The solver works on (N, C, H, W) arrays (channels first: the per-pixel coefficients, (N, 1, H, W),
# then broadcast over whole rows; channels last, numpy's inner loops would be 3 long).

def _pad1(u):
    """(N, C, H, W) -> (N, C, H + 2, W + 2) with a frame of zeros (nothing outside the image)."""
    p = np.zeros(u.shape[:-2] + (u.shape[-2] + 2, u.shape[-1] + 2), u.dtype)     # np.pad: 5x slower here
    p[..., 1:-1, 1:-1] = u
    return p


def _shifted(padded, offset, H, W):
    """u[..., y + dy, x + dx] at every (y, x), read from ``_pad1(u)`` (0 outside the image)."""
    dy, dx = offset
    return padded[..., 1 + dy:1 + dy + H, 1 + dx:1 + dx + W]


def _neighbour_sum12(u):
    """12 x sum_j w_j u_j over the 8 neighbours of every pixel of (N, C, H, W), 0 outside the image.

    Separably: the stencil [[1, 2, 1], [2, 0, 2], [1, 2, 1]] is [1, 2, 1] x [1, 2, 1] - 4 delta.
    """
    v = u * 2
    v[..., 1:, :] += u[..., :-1, :]
    v[..., :-1, :] += u[..., 1:, :]
    h = v * 2
    h[..., 1:] += v[..., :-1]
    h[..., :-1] += v[..., 1:]
    v = np.multiply(u, 4, out=v)
    h -= v
    return h


def _block_sum(r):
    """(N, C, H, W) -> (N, C, ceil(H/2), ceil(W/2)): sums over 2x2 blocks (P^T, restriction)."""
    H, W = r.shape[-2:]
    out = np.zeros(r.shape[:-2] + ((H + 1) // 2, (W + 1) // 2), r.dtype)
    for py in (0, 1):
        for px in (0, 1):
            part = r[..., py::2, px::2]
            out[..., :part.shape[-2], :part.shape[-1]] += part
    return out


def _block_spread(u, shape):
    """Inverse shape of :func:`_block_sum`: every pixel gets its 2x2 block's value (P, prolongation)."""
    return np.repeat(np.repeat(u, 2, axis=-2), 2, axis=-1)[..., :shape[0], :shape[1]]


def _dot(a, b):
    """Per image and channel: sum over pixels of a * b, (N, C, 1, 1) float64."""
    return (a * b).sum(axis=(-2, -1), keepdims=True, dtype=np.float64)


def _ratio(num, den, dtype):
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0).astype(dtype)


class _Stencil:
    """A symmetric 9-point operator on (N, C, H, W): (A u)_i = d_i u_i + sum_o a_o[i] u_(i+o).

    ``d`` and each ``a[o]`` are (N, 1, H, W): one operator per image, the same for its
    channels.  A pixel with d = 0 is not an unknown (a kept pixel; on a coarse level, a block
    of kept pixels): its row and column are zero.
    """

    def __init__(self, d, a):
        self.d, self.a = d, a
        self.shape = d.shape[-2:]
        self.active = d > 0
        self.dinv = np.where(self.active, 1.0 / np.where(self.active, d, 1.0), 0.0).astype(d.dtype)

    def __call__(self, u):
        H, W = self.shape
        p = _pad1(u)
        out = self.d * u
        for o, c in self.a.items():
            out += c * _shifted(p, o, H, W)
        return out

    def coarsened(self):
        """The Galerkin operator P^T A P, P constant on 2x2 blocks (again a 9-point stencil)."""
        H, W = self.shape
        d = np.zeros((len(self.d), 1, (H + 1) // 2, (W + 1) // 2), self.d.dtype)
        a = {o: np.zeros_like(d) for o in _OFFSETS}
        for (dy, dx), c in [((0, 0), self.d)] + list(self.a.items()):
            for py in (0, 1):
                for px in (0, 1):
                    part = c[..., py::2, px::2]
                    block = ((py + dy) // 2, (px + dx) // 2)    # where pixel i + o's block is, from i's block
                    target = d if block == (0, 0) else a[block]
                    target[..., :part.shape[-2], :part.shape[-1]] += part
        return _Stencil(d, a)

    def dense_inverse(self):
        """(N, H*W, H*W) inverse of the operator written as a matrix (identity rows for non-unknowns)."""
        H, W = self.shape
        N, n = len(self.d), H * W
        A = np.zeros((N, n, n))
        idx = np.arange(n).reshape(H, W)
        A[:, idx.ravel(), idx.ravel()] = np.where(self.active, self.d, 1.0).reshape(N, n)
        ys, xs = np.mgrid[:H, :W]
        for (dy, dx), c in self.a.items():
            ok = (ys + dy >= 0) & (ys + dy < H) & (xs + dx >= 0) & (xs + dx < W)
            A[:, idx[ok], idx[ys[ok] + dy, xs[ok] + dx]] = c[:, 0][:, ok]
        return np.linalg.inv(A).astype(self.d.dtype)


class _Multigrid:
    """One symmetric multigrid V-cycle: the preconditioner of :func:`_solve_linear_imputation`.

    Levels: the system itself, then Galerkin coarsenings over 2x2 blocks down to at most 64
    pixels, solved exactly there.  On each level one damped Jacobi sweep before and one after
    the coarse correction (weight 1 on the first level, where Jacobi damps the rough half of
    ROAD's stencil by a factor 1/3 or better; 0.7 on the coarse ones, whose stencils are
    stiffer).  Symmetric and positive definite, as conjugate gradients need.
    """

    def __init__(self, fine: _Stencil, apply_fine):
        self.levels, self.apply_fine = [fine], apply_fine
        while np.prod(self.levels[-1].shape) > 64 and min(self.levels[-1].shape) >= 2:
            self.levels.append(self.levels[-1].coarsened())
        self.coarsest_inverse = self.levels[-1].dense_inverse()

    def __call__(self, f, level=0):
        L = self.levels[level]
        if level == len(self.levels) - 1:
            u = np.einsum("nij,ncj->nci", self.coarsest_inverse, f.reshape(f.shape[:2] + (-1,))).reshape(f.shape)
            return u * L.active
        A = self.apply_fine if level == 0 else L
        jacobi = (1.0 if level == 0 else 0.7) * L.dinv
        u = jacobi * f
        u += _block_spread(self(_block_sum(f - A(u)), level + 1), L.shape) * L.active
        u += jacobi * (f - A(u))
        return u


def _solve_linear_imputation(x, m, tol, max_iter):
    """ROAD's linear system for a chunk of images, by multigrid-preconditioned conjugate gradients.

    Args:
        x: (N, C, H, W) float32 images; m: (N, 1, H, W) float32, 1 where removed (no image
            has every pixel removed: that system is singular).
    Returns:
        (N, C, H, W) float32: kept pixels of ``x``, removed ones solved.
    """
    H, W = x.shape[-2:]
    s = _neighbour_sum12(np.ones((1, 1, H, W), x.dtype))    # 12 x weight of the neighbours inside the image

    def A(u):                                                  # u is 0 on kept pixels
        out = s * u
        out -= _neighbour_sum12(u)
        out *= m
        return out

    pm = _pad1(m)
    fine = _Stencil(m * s, {o: -_WEIGHTS12[o] * m * _shifted(pm, o, H, W) for o in _OFFSETS})
    precondition = _Multigrid(fine, A)
    b = m * _neighbour_sum12(x * (1 - m))      # the kept neighbours' share, on the right-hand side
    u = np.zeros_like(x)
    r = b.copy()
    z = precondition(r)
    p, rz = z.copy(), _dot(r, z)
    for it in range(max_iter + 1):
        # r_i / s_i = (weighted mean of pixel i's neighbours) - u_i: how far from ROAD's equation
        worst = float(np.abs(r * fine.dinv).max())
        if worst <= tol:
            r = b - A(u)                       # the true residual, not the updated one
            worst = float(np.abs(r * fine.dinv).max())
            if worst <= tol:
                return x * (1 - m) + u
            z = precondition(r)
            p, rz = z.copy(), _dot(r, z)
        if it == max_iter:
            break
        Ap = A(p)
        alpha = _ratio(rz, _dot(p, Ap), x.dtype)
        u += alpha * p
        r -= alpha * Ap
        z = precondition(r)
        rz_new = _dot(r, z)
        p = z + _ratio(rz_new, rz, x.dtype) * p
        rz = rz_new
    raise RuntimeError(f"linear_imputation did not converge: after {max_iter} iterations a removed pixel still "
                       f"differs from the weighted mean of its neighbours by {worst:.3g} > tol = {tol}; "
                       "raise max_iter or tol.")


def linear_imputation(images, removed, *, noise=0.01, seed=0, tol=0.01, max_iter=100):
    """ROAD's noisy linear imputation (Rong et al. 2022, section 5): removed pixels filled from their neighbours.

    Every removed pixel becomes the weighted mean of its 8 neighbours, weight 1/6 for each of the
    4 direct ones and 1/12 for each of the 4 diagonal ones (at the border of the image only the
    neighbours inside it count, their weights renormalised to sum 1), whether those neighbours
    are kept or removed themselves.  All removed pixels of an image are solved together, as one
    sparse linear system per colour channel with the kept pixels fixed: a hole is filled with a
    smooth surface spanned by its rim (a linear ramp is reproduced exactly), not with one flat
    colour.  Then independent Gaussian noise of standard deviation ``noise`` x 255 is added to
    every removed pixel (ROAD adds it so that the imputed values do not follow the neighbours
    exactly, a trace of the mask a model could pick up).

    Solver: conjugate gradients, preconditioned by a multigrid V-cycle (Galerkin coarsening
    over 2x2 blocks, Jacobi smoothing), on all images of a chunk at once; it stops when every
    removed pixel differs from the weighted mean of its neighbours by at most ``tol`` (10-25
    iterations; on the course's photos the values are then within about 0.5 grey levels of the
    exact solution; the residual is checked on the final values, not on a running update).
    Measured on 2 CPU cores, per call: about 0.25 s for 4 images of 224 x 224 and 1.2 s for 300
    of 64 x 64 with pixels removed in a map's order (fewer iterations for scattered pixels).

    Args:
        images: (N, H, W, C), or one (H, W, C) image, in 0..255.
        removed: (N, H, W) booleans, True where a pixel is removed; an (H, W) mask applies to
            every image.
        noise: standard deviation of the noise as a share of the range 0..255.  Default 0.01
            (2.55 grey levels), the value of ROAD's reference code, which imputes images in
            0..1; 0 gives the exact linear imputation.
        seed: int or sequence of ints for ``numpy.random.default_rng``: the same seed, the same noise.
        tol: grey levels (see above); max_iter: conjugate-gradient iterations per chunk.
    Returns:
        float32 array of the shape of ``images``: kept pixels unchanged, removed ones imputed.
        An image with every pixel removed has nothing to interpolate: it becomes its mean colour
        (as ``fill="mean"``), plus the noise.
    Raises:
        ValueError: shapes that do not fit, a negative noise or tol.
        RuntimeError: the solver did not reach ``tol`` in ``max_iter`` iterations.
    Used by: :func:`deletion_insertion` (``fill="linear"``; notebook 04, tools/trust_table.py).
    """
    x = np.asarray(images, dtype=np.float32)
    single = x.ndim == 3
    if single:
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C) or (H, W, C), got shape {np.shape(images)}.")
    N, H, W, _ = x.shape
    mask = np.asarray(removed)
    if mask.shape == (H, W):
        mask = np.broadcast_to(mask, (N, H, W))
    if mask.shape != (N, H, W):
        raise ValueError(f"removed must be ({N}, {H}, {W}) or ({H}, {W}) for images of shape {x.shape}, "
                         f"got {mask.shape}.")
    if not (noise >= 0 and tol > 0):
        raise ValueError(f"noise must be >= 0 and tol > 0, got noise={noise}, tol={tol}.")
    mask = mask.astype(bool)
    out = x.copy()
    everything = mask.all(axis=(1, 2))
    out[everything] = x[everything].mean(axis=(1, 2), keepdims=True)
    todo = np.flatnonzero(mask.any(axis=(1, 2)) & ~everything)
    per_chunk = max(1, (1 << 20) // (H * W))                  # ~1 M pixels at a time bounds the memory
    n_chunks = -(-len(todo) // per_chunk)
    for chunk in np.array_split(todo, n_chunks) if n_chunks else []:
        m = mask[chunk, None].astype(np.float32)
        xc = np.ascontiguousarray(np.moveaxis(x[chunk], -1, 1))
        out[chunk] = np.moveaxis(_solve_linear_imputation(xc, m, float(tol), int(max_iter)), 1, -1)
    if noise > 0:
        rng = np.random.default_rng(seed)
        out += np.where(mask[..., None], rng.standard_normal(out.shape, dtype=np.float32) * np.float32(noise * 255), 0)
    return out[0] if single else out


def deletion_insertion(model, images, classes, maps, *, preprocess=None, steps=16, modes=("deletion", "insertion"),
                       blur_sigma=None, seed=0, batch_size=64, fill="mean", noise=0.01):
    """Deletion and insertion curves (Petsiuk et al. 2018): class probability as pixels go or come.

    Pixels are taken in the order of :func:`pixel_order` (the map's most
    important first).  At step s of ``steps``, the first s/steps of them are
    changed, in every image at once: ONE forward pass per step for the whole
    batch (in chunks of ``batch_size``).

    * deletion: changed pixels are removed, filled as ``fill`` says; step 0 is
      the intact image.  ROAD (Rong et al. 2022) calls this order MoRF, most
      relevant first: a faithful map makes the probability fall fast.
    * lerf: the same, least relevant pixels first (ROAD's LeRF): a faithful map
      keeps the probability high (high AUC is good).
    * insertion: the image starts blurred (Gaussian, ``blur_sigma`` px, default
      image width / 16) and changed pixels get their sharp value back; the last
      step is the intact image (``fill`` plays no part).

    Fills: "mean" sets removed pixels to the image's mean colour (the last
    deletion step is a flat colour); "linear" is ROAD's noisy linear imputation
    (:func:`linear_imputation`, noise ``noise`` x 255, its seed derived from
    ``seed``, the step and the mode, so the random order and every map see the
    same noise at a step): removed pixels are interpolated from their
    neighbours, so scattered removed pixels leave a photo looking like a photo.

    Args:
        model: model card or keras.Model; images (N, H, W, 3) 0..255;
        classes: (N,) class per image; maps: (N, H, W) (or (N, h, w):
            upsampled) - any real values, only their order matters.
        steps: number of steps (curve has steps + 1 points).
        modes: any of "deletion", "lerf", "insertion".
        fill: one of :data:`FILLS`, "mean" or "linear".
    Returns:
        dict "fractions": (steps + 1,) share of pixels changed, and per mode
        (N, steps + 1) probabilities of the class.
    Used by: :func:`trust_table`, notebook 04, tools/trust_table.py, tools/road_table.py.
    """
    model, preprocess, _ = unpack_built_model(model, preprocess, None)
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C), got shape {x.shape}.")
    N, H, W = x.shape[:3]
    cls = np.asarray(classes).astype(np.int64).reshape(-1)
    m = np.asarray(maps, dtype=np.float32)
    if len(cls) != N or len(m) != N or m.ndim != 3:
        raise ValueError(f"need one class and one (h, w) map per image: {N} images, {len(cls)} classes, "
                         f"maps of shape {m.shape}.")
    if m.shape[1:] != (H, W):
        m = np.stack([cam.resize_heatmap(h, (H, W)) for h in m])
    if int(steps) < 1:
        raise ValueError(f"steps must be >= 1, got {steps}.")
    known = ("deletion", "lerf", "insertion")
    bad = [md for md in modes if md not in known]
    if bad:
        raise ValueError(f"unknown modes {bad}; use any of {known}.")
    if not isinstance(fill, str) or fill not in FILLS:
        raise ValueError(f"fill must be one of {FILLS} (the image's mean colour, or ROAD's noisy linear "
                         f"imputation), got {fill!r}.")
    rank = pixel_order(m, seed)                                 # (N, H, W)
    counts = np.round(np.linspace(0, H * W, int(steps) + 1)).astype(np.int64)
    probs = probabilities_fn(model, x.shape[1:] if preprocess is None else np.shape(preprocess(x[:1]))[1:])
    mean = np.broadcast_to(x.mean(axis=(1, 2), keepdims=True), x.shape)
    blurred = _blur(x, W / 16.0 if blur_sigma is None else float(blur_sigma)) if "insertion" in modes else None

    def step_images(mode, j, k):
        if mode == "insertion":
            return np.where(rank[..., None] < k, x, blurred)
        removed = rank < k if mode == "deletion" else rank >= H * W - k
        if fill == "mean":
            return np.where(removed[..., None], mean, x)
        return linear_imputation(x, removed, noise=noise, seed=(int(seed), known.index(mode), j))

    out = {"fractions": counts / float(H * W)}
    for mode in modes:
        curve = np.empty((N, len(counts)), np.float64)
        for j, k in enumerate(counts):
            step = step_images(mode, j, k)
            for s in range(0, N, int(batch_size)):
                part = step[s:s + int(batch_size)]
                inp = preprocess(part) if preprocess is not None else part
                with quiet_tracing():
                    p = np.asarray(probs(np.asarray(inp, np.float32)))
                curve[s:s + len(part), j] = p[np.arange(len(part)), cls[s:s + len(part)]]
        out[mode] = curve
    return out


def curve_auc(curve, fractions=None):
    """Area under a curve over [0, 1] by the trapezoid rule (the normalised AUC of Petsiuk et al.).

    Args:
        curve: (..., S) values at ``fractions`` (default S equal steps from 0 to 1).
    Returns:
        (...) areas (a float for one curve).
    """
    c = np.asarray(curve, dtype=np.float64)
    f = np.linspace(0.0, 1.0, c.shape[-1]) if fractions is None else np.asarray(fractions, np.float64)
    area = ((c[..., 1:] + c[..., :-1]) / 2.0 * np.diff(f)).sum(axis=-1)
    return float(area) if np.ndim(area) == 0 else area


# ---------------------------------------------------------------- table ----

def trust_table(model, images, labels, boxes, methods=cam.TABLE_METHODS, layer=None, *, preprocess=None,
                limits=None, steps=16, seed=0, tolerance=0, batch_size=64, fill="mean", faithfulness=True):
    """Per method: does the map locate the object, explain the network, and is it faithful?

    Columns: pointing game and box IoU (``helpers.cam``), both on the trained
    network and the pointing game again on a fully randomised copy; the share
    of the map's mass inside the box (``energy``: the energy-based pointing
    game of Wang et al. 2020, :func:`helpers.cam.mass_in_box`; with a mosaic's
    tile as the box, the grid pointing game of Böhle et al. 2021); the mean
    Spearman correlation between the maps of the trained and the fully
    randomised network (high = the map does not depend on what the network
    learnt); deletion AUC (lower is better) and insertion AUC (higher is better).

    Args:
        model: model card or keras.Model; images (N, H, W, 3); labels (N,) true
            classes (the maps are those of the true class); boxes: (N, 4) true
            boxes (x0, y0, x1, y1), or None (photos without boxes: no pointing,
            IoU).
        methods: :data:`TRUST_METHODS` names.
        limits: dict method -> max images (Score-CAM is slow).
        steps, seed, fill: of :func:`deletion_insertion`; tolerance: pointing-game px.
        faithfulness: False skips deletion and insertion (their columns are None).
    Returns:
        list of dict rows, first "random order" (a random map: the baseline of
        deletion / insertion; its pointing and IoU are those of a random peak),
        then one per method: method, n, pointing, pointing_random_net, iou,
        energy, rand_spearman, deletion_auc, insertion_auc (means over the
        images; missing values are None) and "curves": the mean curves, dict
        "fractions", "deletion", "insertion" of (steps + 1,) arrays (None
        with ``faithfulness=False``).
    Used by: notebook 04, tools/trust_table.py.
    """
    model_, preprocess, layer, x, y = _arguments(model, images, labels, preprocess, layer)
    size = x.shape[1:3]
    limits = dict(limits or {})
    rand_net = randomized_copy(model_, seed, stages="all")
    rng = np.random.default_rng(seed)
    rows = []
    for method in ("random order",) + tuple(methods):
        n = min(len(x), int(limits.get(method, len(x))))
        xs, ys = x[:n], y[:n]
        row = {"method": method, "n": n, "pointing": None, "pointing_random_net": None, "iou": None,
               "energy": None, "rand_spearman": None, "deletion_auc": None, "insertion_auc": None, "curves": None}
        if method == "random order":
            maps = rng.random((n,) + tuple(size)).astype(np.float32)
        else:
            maps = explanation_maps(model_, xs, ys, method, layer, preprocess=preprocess, batch_size=batch_size)
            rmaps = explanation_maps(rand_net, xs, ys, method, layer, preprocess=preprocess, batch_size=batch_size)
            row["rand_spearman"] = float(np.mean([rank_correlation(a, b) for a, b in zip(maps, rmaps)]))
            if boxes is not None:
                row["pointing_random_net"] = cam.pointing_game(rmaps, np.asarray(boxes)[:n], size, tolerance)
        if boxes is not None:
            loc = cam.localization_scores(maps, np.asarray(boxes)[:n], size, tolerance=tolerance)
            row["pointing"], row["iou"] = loc["pointing"], loc["iou"]
            row["energy"] = float(np.mean([cam.mass_in_box(m, bx, size) for m, bx in zip(maps, np.asarray(boxes)[:n])]))
        if not faithfulness:
            rows.append(row)
            continue
        curves = deletion_insertion(model_, xs, ys, maps, preprocess=preprocess, steps=steps, seed=seed,
                                    batch_size=batch_size, fill=fill)
        row["deletion_auc"] = float(curve_auc(curves["deletion"], curves["fractions"]).mean())
        row["insertion_auc"] = float(curve_auc(curves["insertion"], curves["fractions"]).mean())
        row["curves"] = {"fractions": curves["fractions"], "deletion": curves["deletion"].mean(axis=0),
                         "insertion": curves["insertion"].mean(axis=0)}
        rows.append(row)
    return rows


def format_trust_table(rows) -> str:
    """Rows of :func:`trust_table` as a fixed-width text table ("-" where a value does not apply)."""
    cols = [("pointing", "pointing"), ("pointing_random_net", "pt.rand.net"), ("iou", "box IoU"),
            ("energy", "in box"), ("rand_spearman", "rand.corr"), ("deletion_auc", "deletion"), ("insertion_auc", "insertion")]
    lines = [f"{'method':<16} {'n':>4} " + " ".join(f"{title:>11}" for _, title in cols)]
    for r in rows:
        vals = " ".join(f"{'-':>11}" if r.get(k) is None else f"{r[k]:>11.3f}" for k, _ in cols)
        lines.append(f"{r['method']:<16} {r['n']:>4d} {vals}")
    return "\n".join(lines)


# ---------------------------------------------------------------- plots ----

def plot_randomization(result, what="spearman", ax=None):
    """Mean (and interquartile band) of a :func:`randomization_test` result per stage, per method.

    Returns:
        matplotlib Axes (x: stages from "trained" at the left to all layers
        randomised at the right).
    Used by: notebook 04.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    stages = ["trained"] + list(result["stages"])
    xs = np.arange(len(stages))
    for method, vals in result[what].items():
        full = np.vstack([np.ones((1, vals.shape[1])), vals])
        line, = ax.plot(xs, full.mean(axis=1), marker="o", label=method)
        ax.fill_between(xs, np.percentile(full, 25, axis=1), np.percentile(full, 75, axis=1),
                        color=line.get_color(), alpha=0.15)
    ax.set_xticks(xs)
    ax.set_xticklabels(stages, rotation=45, ha="right", fontsize=8)
    ax.set_xlabel("randomised from the output down to ...")
    ax.set_ylabel({"spearman": "Spearman with trained map", "ssim": "SSIM with trained map"}.get(what, what))
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_ylim(-0.3, 1.05)
    ax.legend(fontsize=8)
    return ax


def plot_curves(rows, mode="deletion", ax=None):
    """Mean deletion or insertion curve of every row of :func:`trust_table`, AUC in the legend.

    Returns:
        matplotlib Axes.  Used by: notebook 04.
    """
    import matplotlib.pyplot as plt

    if mode not in ("deletion", "insertion"):
        raise ValueError(f"mode must be 'deletion' or 'insertion', got {mode!r}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    for r in rows:
        c = r["curves"]
        if c is None:                      # a row of trust_table(..., faithfulness=False)
            continue
        ax.plot(c["fractions"], c[mode], label=f"{r['method']} ({r[mode + '_auc']:.2f})",
                ls="--" if r["method"] == "random order" else "-", color="k" if r["method"] == "random order" else None)
    ax.set_xlabel("share of pixels " + ("removed" if mode == "deletion" else "inserted"))
    ax.set_ylabel("probability of the class")
    ax.set_title(f"{mode} (AUC; {'lower' if mode == 'deletion' else 'higher'} is better)", fontsize=9)
    ax.set_ylim(0, 1.02)
    if ax.get_lines():
        ax.legend(fontsize=7)
    return ax
