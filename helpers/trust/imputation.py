"""ROAD's noisy linear imputation (Rong et al. 2022): removed pixels filled from their neighbours.

A multigrid-preconditioned conjugate-gradient solver of ROAD's sparse linear
system.  Used by :func:`helpers.trust.deletion_insertion` (``fill="linear"``;
notebook 04, tools/trust_table.py, tools/road_table.py).
"""
from __future__ import annotations

import numpy as np

__all__ = ["linear_imputation"]

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
