"""The engine: one compiled, batched ascent loop for any objective and parameterisation.

:class:`AscentEngine` holds one (sub-)model and one objective
(:mod:`helpers.maximize.objectives`). Its loop is built once, by
:meth:`AscentEngine._build_loop`, over a parameterisation
(:class:`helpers.maximize.param.Pixel` or :class:`~helpers.maximize.param.Fourier`):
each step draws the step's jitter shift and zoom/rotation from ``(seed, step)``
(:mod:`helpers.maximize.transforms`), makes the image from the variables,
transforms it, runs the network and the objective under a GradientTape, and
hands the gradient to the parameterisation's ``update`` (normalised pixel
step plus regularisers, or Adam on the spectrum). Scores and gradient RMS
are collected in TensorArrays inside one ``tf.while_loop``; :meth:`run` calls
the compiled loop in blocks of about a quarter of a second.

What makes it fast and safe (compare ``bench/bench_filters.py``):

* all requested filters (or classes) form one batch: image ``i`` maximises
  ``targets[i]``, picked with ``tf.gather`` - no Python int reaches the
  compiled loop, so 64 filters are one trace, not 64;
* the loop is cached per engine, parameterisation and set of active options
  (their strengths, the jitter size, the seed, the step size and blur widths
  up to sigma 1 are tensors: changing them does not retrace);
* the sub-model stops at the layer that is needed (block1 never runs block5);
* a target that never fires (zero gradient at every step) is flagged
  ``dead``; a NaN or infinite objective raises a ValueError naming it.

Used by notebooks 02 and 03 through :func:`helpers.maximize.maximize_filters`
and :func:`helpers.maximize.maximize_classes`, and by bench/.
"""
from __future__ import annotations

import dataclasses
import math
import weakref

import numpy as np

from .. import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)
from ..layers import (conv_layers, find_layer, fixed_size, flexible_model, layer_input_model, layer_model,
                      logits_model)
from .objectives import OBJECTIVES, single_channel_objective, trimmable
from .param import FOURIER_DECAY, PARAMETERIZATIONS, Fourier, Pixel, parameterization_for
from .regularize import GREY, MIN_KERNEL, Regularizers, norm_flags
from .transforms import jitter_shift, transform_graph, warp_matrix

__all__ = ["AscentResult", "AscentEngine", "get_engine", "run_batched", "MAX_ENGINES"]


@dataclasses.dataclass
class AscentResult:
    """What a gradient-ascent run produced.

    Attributes:
        images: (B, H, W, 3) float32 in 0..255 (before preprocessing).
        history: (steps, B) objective of each image at each step (before the step's update).
        final: (B,) objective of the returned images.
        dead: (B,) bool, True where the gradient was zero at every step (the
            target never fired; its image is left as it started).
        targets: (B,) the filter / class indices.
        seconds: wall time of the ascent loop.
        parameterization: ``"pixel"`` or ``"fourier"`` (how :func:`helpers.maximize.viewable` shows the images).
    """

    images: np.ndarray
    history: np.ndarray
    final: np.ndarray
    dead: np.ndarray
    targets: np.ndarray
    seconds: float = 0.0
    parameterization: str = "pixel"


def _compiled(fn):
    """``tf.function(fn, autograph=False)`` without TensorFlow's "frequent retracing" warning.

    Every engine (one per model, layer, ...) compiles its own copy of the
    same Python code; TensorFlow counts traces per code object and would
    warn after five engines although each function traced once. Tests
    count the traces of each function instead.
    """
    import tensorflow as tf

    compiled = tf.function(fn, autograph=False)
    if hasattr(compiled, "_omit_frequent_tracing_warning"):
        compiled._omit_frequent_tracing_warning = True
    return compiled


#: Seconds of work per call of the compiled loop: the progress bar and the
#: Python loop are visited this often (more often costs time, see bench/).
_BLOCK_SECONDS = 0.25


class AscentEngine:
    """Compiled gradient ascent on one (sub-)model with one objective.

    Obtain engines with :func:`get_engine` (cached); call :meth:`run`.
    :meth:`loop_function` is the ``tf.function`` :meth:`run` calls: it runs
    any number of ascent steps, transformations and regularisers included,
    inside the graph (one call per progress-bar update, not per step), for
    either parameterisation. :meth:`step_function` is one pixel step
    compiled on its own (the benchmark's floor). ``.experimental_get_tracing_count()``
    on either counts its traces (tests check it is 1 for 64 filters). Both
    are compiled without AutoGraph (tracing is 2-3x quicker): a custom
    ``objective(outputs, targets) -> (B,)`` must use TensorFlow ops only.
    """

    def __init__(self, feature_model, objective, preprocess=None, name: str = ""):
        if callable(objective):
            self.objective_name, self.objective = getattr(objective, "__name__", "custom"), objective
        elif objective in OBJECTIVES:
            self.objective_name, self.objective = objective, OBJECTIVES[objective]
        else:
            raise ValueError(f"objective must be one of {sorted(OBJECTIVES)} or a function, got {objective!r}")
        self.feature_model = feature_model  # None: the objective reads the (preprocessed) images
        self.preprocess = preprocess
        self.name = name
        self._steps: dict = {}
        self._loops: dict = {}
        self._pace: dict = {}  # (parameterisation, flags, shape) -> measured seconds per step
        self._score_fn = None

    def _seen(self, x):
        """The network's input: the preprocessed images."""
        return self.preprocess(x) if self.preprocess is not None else x

    def _features(self, seen):
        return seen if self.feature_model is None else self.feature_model(seen, training=False)

    def _forward(self, x):
        return self._features(self._seen(x))

    def _step_body(self, param, flags):
        """One ascent step of ``param`` as a plain function of tensors (compiled by the callers).

        ``step(state, targets, i, shift, warp, constants) -> (state, score (B,), grad_rms (B,))``.
        """
        import tensorflow as tf

        forward, objective = self._forward, self.objective

        def step(state, targets, i, shift, warp, constants):
            var = state[0]
            with tf.GradientTape() as tape:
                tape.watch(var)
                seen = transform_graph(param.image(var), flags, shift, warp)  # pad 0, no warp: tf.roll or x
                score = objective(forward(seen), targets)
                total = tf.reduce_sum(score)
            grad = tape.gradient(total, var)
            state, grad_rms = param.update(state, grad, i, constants, flags)
            return state, score, grad_rms

        return step

    def step_function(self, flags=(False,) * 5):
        """One compiled pixel step for a set of active regularisers (Regularizers.flags; no blur, no warp).

        ``step(x, targets, lr, decay, tv, norm_pct, contrib_pct, shift) -> (x, score, grad_rms)``.
        """
        flags = norm_flags(flags)
        flags = flags[:5] + (False,) + flags[6:]
        if flags not in self._steps:
            import tensorflow as tf

            body = self._step_body(Pixel(), flags)
            no_blur = (tf.zeros([MIN_KERNEL]), tf.constant(1))

            def step(x, targets, lr, decay, tv, norm_pct, contrib_pct, shift, warp=None):
                (x,), score, grad_rms = body((x,), targets, tf.constant(0), shift, warp,
                                             (*no_blur, lr, decay, tv, norm_pct, contrib_pct))
                return x, score, grad_rms

            self._steps[flags] = _compiled(step)
        return self._steps[flags]

    def loop_function(self, flags=(False,) * 6, parameterization="pixel", size=None,
                      decay_power: float = FOURIER_DECAY):
        """The compiled loop :meth:`run` uses, for a parameterisation and a set of active options.

        ``loop(state, targets, start, count, seed, jitter, scale, rotate, constants)
        -> (state, scores (count, B), grad_rms (count, B))`` runs steps
        ``start .. start+count-1``; ``state`` and ``constants`` are the
        parameterisation's tuples (:class:`~helpers.maximize.param.Pixel`:
        ``(x,)`` and ``(kernel, blur_every, lr, decay, tv, norm_pct, contrib_pct)``;
        :class:`~helpers.maximize.param.Fourier`: ``(p, m, v)`` and ``(lr,)``).
        Step ``i``'s jitter shift, zoom and rotation depend only on ``(seed, i)``
        and the blur follows steps ``i`` with ``(i + 1) % blur_every == 0``, so
        how :meth:`run` cuts the steps into calls does not change the result.

        Args:
            flags: :attr:`Regularizers.flags`.
            parameterization: ``"pixel"``, ``"fourier"``, or a Pixel / Fourier object.
            size, decay_power: ``"fourier"`` only: (H, W) of the images and the 1/f exponent.
        """
        param = parameterization if isinstance(parameterization, (Pixel, Fourier)) else \
            parameterization_for(parameterization, size, decay_power)
        flags = norm_flags(flags)
        key = (param.key[0], flags, *param.key[1:])
        if key not in self._loops:
            self._loops[key] = self._build_loop(param, flags)
        return self._loops[key]

    def fourier_loop_function(self, flags, size, decay_power: float = FOURIER_DECAY):
        """:meth:`loop_function` for ``parameterization="fourier"`` (state ``(p, m, v)``, constants ``(lr,)``)."""
        return self.loop_function(flags, "fourier", size, decay_power)

    def _build_loop(self, param, flags):
        """The one loop builder: ``count`` steps of ``param`` inside one ``tf.while_loop``."""
        import tensorflow as tf

        jitter_on, warp_on, pad = flags[0], flags[6] or flags[7], flags[8]
        step = self._step_body(param, flags)

        def loop(state, targets, start, count, seed, jitter, scale, rotate, constants):
            batch = tf.shape(targets)[0]
            h, w = param.image_size(state[0])
            height, width = h + 2 * pad, w + 2 * pad
            scores = tf.TensorArray(tf.float32, size=count, element_shape=targets.shape)
            grads = tf.TensorArray(tf.float32, size=count, element_shape=targets.shape)

            def body(j, state, scores, grads):
                i = start + j
                shift = jitter_shift(seed, i, jitter, jitter_on)
                warp = warp_matrix(seed, i, scale, rotate, height, width) if warp_on else None
                state, score, grad_rms = step(state, targets, i, shift, warp, constants)
                return j + 1, state, scores.write(j, score), grads.write(j, grad_rms)

            _, state, scores, grads = tf.while_loop(lambda j, *_: j < count, body,
                                                    (tf.constant(0), tuple(state), scores, grads))
            empty = tf.zeros([0, batch])
            return (state, tf.cond(count > 0, scores.stack, lambda: empty),
                    tf.cond(count > 0, grads.stack, lambda: empty))

        return _compiled(loop)  # explicit while_loop and cond: nothing to convert

    def _image_function(self, param):
        """Compiled ``variables -> images`` of ``param`` (the identity for pixels)."""
        if isinstance(param, Pixel):
            return lambda x: x
        key = ("image", *param.key[1:])
        if key not in self._loops:
            self._loops[key] = _compiled(param.image)
        return self._loops[key]

    def _score(self, x, targets):
        """(objective (B,), (B,) bool: is the network's input - the preprocessed image - finite?)."""
        if self._score_fn is None:
            import tensorflow as tf

            def score(x, t):
                seen = self._seen(x)
                ok = tf.reduce_all(tf.math.is_finite(tf.reshape(seen, [tf.shape(seen)[0], -1])), axis=1)
                return self.objective(self._features(seen), t), ok

            self._score_fn = _compiled(score)
        return self._score_fn(x, targets)

    def _check_input(self, x, targets, when: str):
        """Raise a ValueError naming the targets whose images ``preprocess`` turns into NaN / infinite values.

        The gradient through a NaN is zero (ReLU, max pooling), so without
        this check such a target would look as if it "never fired".
        """
        score, ok = self._score(x, targets)
        ok = ok.numpy()
        if not ok.all():
            bad = np.asarray(targets)[~ok].tolist()
            raise ValueError(
                f"preprocess returned NaN or infinite values for the {when} images of targets {bad}: the network's "
                "input is not a number, so its gradient is zero or NaN and nothing can be drawn. Check preprocess "
                "(e.g. a log of a negative number or a division by zero) on images with values 0..255.")
        return score

    def prepare(self, init, targets, regs: Regularizers | None = None, lr=None, seed: int = 0,
                parameterization: str = "pixel", size=None, decay_power: float = FOURIER_DECAY):
        """Everything a call of the compiled loop needs, checked.

        Args: as :meth:`run`; ``lr`` None is the parameterisation's default.
        Returns:
            ``(param, loop, state, fixed)``: call ``loop(state, t, start, count, *fixed)``
            with ``t`` the (B,) int32 targets; ``fixed`` is ``(seed, jitter, scale, rotate, constants)``.
        """
        import tensorflow as tf

        regs = regs or Regularizers()
        param = parameterization_for(parameterization, size, decay_power, init)
        lr = PARAMETERIZATIONS[param.name] if lr is None else lr
        constants = param.constants(regs, lr, init)
        fixed = (tf.constant(int(seed) % 2**31, tf.int32), tf.constant(int(regs.jitter), tf.int32),
                 tf.constant(float(regs.scale), tf.float32), tf.constant(float(regs.rotate), tf.float32), constants)
        return param, self.loop_function(regs.flags, param), param.state(init), fixed

    def loop_call(self, init, targets, steps: int, **kw):
        """A callable that runs ``steps`` steps from ``init`` in one call of the compiled loop.

        Returns a function ``() -> (B, ...) numpy`` of the final variables
        (images, or Fourier parameters); it is called once here, to trace.
        For benchmarks (bench/); ``**kw`` as :meth:`prepare`.
        """
        import tensorflow as tf

        _, loop, state, fixed = self.prepare(init, targets, **kw)
        t = tf.constant(np.asarray(targets), tf.int32)
        begin, count = tf.constant(0), tf.constant(int(steps))
        run = lambda: loop(state, t, begin, count, *fixed)[0][0].numpy()  # noqa: E731
        run()
        return run

    def run(self, init, targets, steps: int = 30, lr: float = 4.0, regs: Regularizers | None = None,
            seed: int = 0, progress: bool = True, callback=None, callback_every: int = 10,
            desc: str = "gradient ascent", bar=None, parameterization: str = "pixel",
            size=None, decay_power: float = FOURIER_DECAY) -> AscentResult:
        """Gradient ascent from ``init``, image i maximising target ``targets[i]``.

        The steps run inside the compiled loop in blocks of about a quarter
        of a second (one block per progress-bar update), cut at the callback
        steps; the result does not depend on the cutting.

        Args:
            init: ``"pixel"``: (B, H, W, 3) float32 start images 0..255
                (:func:`helpers.maximize.initial_images`); ``"fourier"``: Fourier
                parameters (B, 3, H, W//2+1, 2) (:func:`helpers.maximize.initial_spectra`).
            targets: (B,) ints, the channel / class for each image.
            steps: number of ascent steps.
            lr: ``"pixel"``: the RMS pixel change (0..255 scale) per step;
                ``"fourier"``: Adam's step.
            regs: Regularizers (default none; ``"fourier"`` takes only jitter,
                scale, rotate and pad).
            seed: seeds the jitter shifts, zooms and rotations.
            progress: show a tqdm.auto bar.
            callback: optional ``callback(step, images)`` called every
                ``callback_every`` steps and at the end (live previews).
            desc: progress bar label.
            bar: an open tqdm bar to advance instead of opening one (chunked runs).
            parameterization: ``"pixel"`` or ``"fourier"``.
            size: (H, W) of the images (needed for ``"fourier"`` with an odd width).
            decay_power: ``"fourier"`` only: exponent of the 1/f scaling.
        Returns:
            AscentResult (``images`` are always the (B, H, W, 3) images).
        """
        import time

        import tensorflow as tf
        from tqdm.auto import tqdm

        regs = regs or Regularizers()
        steps = int(steps)
        t = tf.convert_to_tensor(np.asarray(targets, np.int32))
        param, loop, state, fixed = self.prepare(init, targets, regs, lr, seed, parameterization, size, decay_power)
        to_image = self._image_function(param)
        self._check_input(to_image(state[0]), t, "start")
        own_bar = bar is None
        if own_bar:
            bar = tqdm(total=steps, desc=desc, disable=not progress, leave=False)
        every = max(1, int(callback_every)) if callback is not None else steps
        scores, grads = [], []
        pace_key = (param.name, regs.flags, tuple(state[0].shape))
        per_step = self._pace.get(pace_key)
        done, block = 0, 1 if per_step is None else max(1, int(_BLOCK_SECONDS / per_step))
        start = time.perf_counter()
        while done < steps:
            count = min(block, steps - done, every - done % every)
            began = time.perf_counter()
            state, score, grad_rms = loop(state, t, tf.constant(done), tf.constant(count), *fixed)
            scores.append(score.numpy())
            grads.append(grad_rms.numpy())
            took = time.perf_counter() - began
            if per_step is None:
                per_step = -1.0  # the first call may have traced: time the next one
            else:
                per_step = max(took / count, 1e-6)
                self._pace[pace_key] = per_step
                block = max(1, int(_BLOCK_SECONDS / per_step))
            done += count
            bar.update(count)
            if callback is not None and (done % every == 0 or done == steps):
                callback(done, to_image(state[0]).numpy())
        x = to_image(state[0])
        if callback is not None and steps == 0:
            callback(0, x.numpy())
        final = self._check_input(x, t, "final").numpy()
        seconds = time.perf_counter() - start
        if own_bar:
            bar.close()
        b = len(targets)
        history = np.concatenate(scores) if scores else np.zeros((0, b), np.float32)
        grad_hist = np.concatenate(grads) if grads else np.zeros((0, b), np.float32)
        dead = np.all(grad_hist == 0, axis=0) if steps else np.zeros(b, bool)
        return AscentResult(images=x.numpy(), history=history, final=final, dead=dead,
                            targets=np.asarray(targets), seconds=seconds, parameterization=param.name)


def run_batched(engine, init, targets, batch_size, steps, progress, callback, desc, **kw) -> AscentResult:
    """Run ``engine`` over the targets in equal chunks of at most ``batch_size`` images.

    Chunks have the same size (the last is padded with copies and the copies
    dropped), so one compiled trace serves them all. With a callback, or
    ``batch_size=None``, everything runs as one batch.
    """
    from tqdm.auto import tqdm

    from ..inputs import check_int

    n = len(targets)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", 1)
    if callback is not None or batch_size is None or n <= batch_size:
        return finite(engine.run(init, targets, steps=steps, progress=progress, callback=callback, desc=desc, **kw))
    n_chunks = math.ceil(n / int(batch_size))
    chunk = math.ceil(n / n_chunks)
    pad = n_chunks * chunk - n
    init = np.concatenate([init, np.repeat(init[-1:], pad, axis=0)]) if pad else init
    padded = np.concatenate([targets, np.repeat(targets[-1:], pad)]) if pad else targets
    parts = []
    with tqdm(total=steps * n_chunks, desc=desc, disable=not progress, leave=False) as bar:
        for c in range(n_chunks):
            sl = slice(c * chunk, (c + 1) * chunk)
            parts.append(engine.run(init[sl], padded[sl], steps=steps, progress=progress, bar=bar, **kw))
    return finite(AscentResult(
        images=np.concatenate([p.images for p in parts])[:n],
        history=np.concatenate([p.history for p in parts], axis=1)[:, :n],
        final=np.concatenate([p.final for p in parts])[:n],
        dead=np.concatenate([p.dead for p in parts])[:n],
        targets=np.asarray(targets),
        seconds=float(sum(p.seconds for p in parts)),
        parameterization=parts[0].parameterization,
    ))


def finite(result):
    """``result``, or a clear error when the objective or the images became NaN / infinite."""
    bad = ~np.isfinite(np.asarray(result.history, np.float64)).all(axis=0) if np.size(result.history) else \
        np.zeros(len(result.targets), bool)
    bad |= ~np.isfinite(result.images.reshape(len(result.images), -1)).all(axis=1)
    if bad.any():
        raise ValueError(
            f"the objective of targets {np.asarray(result.targets)[bad].tolist()} became NaN or infinite during "
            "the ascent: does preprocess return NaN/inf (e.g. a division by zero), or is lr far too large?"
        )
    return result


# model -> {key: AscentEngine} (oldest first); weak so a dropped model is freed.
_ENGINES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
#: Engines kept per model: each (layer, objective, preprocess function) has one compiled trace. A
#: notebook that passes a new ``lambda`` every call gets a new engine each time; the oldest are dropped.
MAX_ENGINES = 16


def get_engine(model, layer=None, objective: str = "channel", preprocess=None, size=None) -> AscentEngine:
    """The cached engine for (model, layer, objective, preprocess, input flexibility).

    Args:
        model: a keras.Model.
        layer: layer name for ``"channel"``; ignored for ``"logit"``.
        objective: ``"channel"`` or ``"logit"``.
        preprocess: function applied to the 0..255 images inside the graph
            (use the same function object across calls to reuse the trace).
        size: (H, W) of the images that will be optimised.
    Returns:
        AscentEngine.
    """
    from ..inputs import unpack_model

    model, preprocess, _ = unpack_model(model, preprocess)
    if objective not in ("channel", "logit"):
        raise ValueError(f"objective must be 'channel' or 'logit', got {objective!r}")
    if preprocess is not None and not callable(preprocess):
        raise TypeError(f"preprocess must be a function images -> model input (e.g. card.preprocess), "
                        f"got {type(preprocess).__name__}")
    fixed = fixed_size(model)
    flexible = fixed is not None and size is not None and tuple(size) != fixed
    key = (objective, layer, preprocess, flexible)
    cache = _ENGINES.setdefault(model, {})
    if key in cache:
        cache[key] = cache.pop(key)               # most recently used last
    else:
        while len(cache) >= MAX_ENGINES:          # a fresh preprocess lambda per call must not grow it forever
            cache.pop(next(iter(cache)))
        if objective == "channel":
            *_, lay = find_layer(model, layer, valid=conv_layers(model))
            if trimmable(lay):  # compute only the selected channel of the target conv
                engine = AscentEngine(layer_input_model(model, layer, flexible=flexible),
                                      single_channel_objective(lay), preprocess, name=f"{model.name}:{layer}")
                cache[key] = engine
                return engine
            feature = layer_model(model, layer, flexible=flexible)
        else:
            feature = logits_model(model)
            if flexible:
                try:
                    feature = flexible_model(feature)
                    probe = np.full((1, int(size[0]), int(size[1]), 3), GREY, np.float32)
                    feature(preprocess(probe) if preprocess is not None else probe, training=False)
                except Exception as exc:  # e.g. Flatten + Dense need the trained size
                    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
                    raise ValueError(
                        f"model {model.name!r} only gives class scores for {fixed[0]}x{fixed[1]} images "
                        f"(a Flatten/Dense head needs the trained size); use size={tuple(fixed)} or leave "
                        f"size=None. ({type(exc).__name__}: {first})"
                    ) from None
        cache[key] = AscentEngine(feature, objective, preprocess, name=f"{model.name}:{layer or 'logits'}")
    return cache[key]


