"""Drawings of notebooks 05 and 06: the folded RNN, the unrolled graph, running parity over time.

matplotlib is imported when a drawing is made (not when helpers.rnn is imported).
"""
from __future__ import annotations

import numpy as np

from ..inputs import check_int
from .parity import parse_bits, running_parity


def _box(ax, xy, text, color, w=0.8, h=0.5, fontsize=11, alpha=1.0):
    import matplotlib.patches as mpatches
    x, y = xy
    ax.add_patch(mpatches.FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                         fc=color, ec="black", lw=1, alpha=alpha))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, alpha=max(alpha, 0.4))


def _arrow(ax, start, end, color="black", alpha=1.0, **kw):
    import matplotlib.patches as mpatches
    ax.add_patch(mpatches.FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                          color=color, alpha=alpha, lw=1.3, **kw))


def draw_rnn_cycle(ax=None):
    """The folded RNN: x_t -> f_W -> h_t, with a loop feeding h_{t-1} back into f_W.

    Returns: the matplotlib Axes. Used by notebook 06.
    """
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.2))
    _box(ax, (0, 0), "$x_t$", "#cfe8ff")
    _box(ax, (0, 1.2), "$f_W$", "#ffe2b3")
    _box(ax, (0, 2.4), "$h_t$", "#d6f5d6")
    _arrow(ax, (0, 0.3), (0, 0.9))
    _arrow(ax, (0, 1.5), (0, 2.1))
    _arrow(ax, (0.45, 2.4), (0.45, 1.3), connectionstyle="arc3,rad=-1.2", color="tab:red")
    ax.text(1.75, 1.85, "$h_{t-1}$\n(delay)", color="tab:red", fontsize=10, ha="center")
    ax.set_xlim(-1, 2.4)
    ax.set_ylim(-0.5, 2.9)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("an RNN: a graph with a cycle", fontsize=10)
    return ax


def draw_unrolled(T: int = 3, upto: int | None = None, xs=None, hs=None, ax=None):
    """The unrolled graph h_0 -> f_W -> h_1 -> ... -> h_T, every box the same f_W.

    Args:
        T: number of steps drawn (1..12).
        upto: highlight the computation up to step upto (0..T); later steps
            are faded. None highlights everything.
        xs: optional (T,) values written under x_t; hs: optional (T, units)
            hidden states written above h_t (rounded to 2 decimals).
    Returns: the matplotlib Axes. Used by notebook 06 and its time-step widget.
    """
    import matplotlib.pyplot as plt
    T = check_int(T, "T (the steps drawn, for a readable drawing)", 1, 12)
    upto = None if upto is None else check_int(upto, f"upto (T={T})", 0, T)
    current = upto
    upto = T if upto is None else upto
    if ax is None:
        _, ax = plt.subplots(figsize=(1.3 * T + 1.5, 3.2))
    _box(ax, (0, 2.4), "$h_0$", "#d6f5d6", w=0.6)
    for t in range(1, T + 1):
        on = t <= upto
        a = 1.0 if on else 0.25
        _box(ax, (1.3 * t, 0), f"$x_{{{t}}}$" + (f"={xs[t - 1]:g}" if xs is not None else ""),
             "#cfe8ff", w=0.9, alpha=a)
        _box(ax, (1.3 * t, 1.2), "$f_W$", "#ffb347" if t == current else "#ffe2b3", alpha=a)
        _box(ax, (1.3 * t, 2.4), f"$h_{{{t}}}$", "#d6f5d6", w=0.6, alpha=a)
        _arrow(ax, (1.3 * t, 0.3), (1.3 * t, 0.9), alpha=a)
        _arrow(ax, (1.3 * t, 1.5), (1.3 * t, 2.1), alpha=a)
        _arrow(ax, (1.3 * (t - 1) + 0.3, 2.3), (1.3 * t - 0.45, 1.3), color="tab:red", alpha=a)
        if hs is not None and on:
            vals = ", ".join(f"{v:.2g}" for v in np.atleast_1d(hs[t - 1])[:3])
            ax.text(1.3 * t, 2.85, f"({vals})", ha="center", fontsize=8, alpha=a)
    ax.text(1.3 * (T + 1) / 2, -0.75, "the same weights W in every $f_W$ box", ha="center", fontsize=9)
    ax.set_xlim(-0.6, 1.3 * T + 0.7)
    ax.set_ylim(-1.0, 3.1)
    ax.axis("off")
    title = "unrolled over time" if upto == T else f"unrolled: computed up to t = {upto}"
    ax.set_title(title, fontsize=10)
    return ax


def plot_running_parity(bits, probs=None, ax=None, label="model P(odd)"):
    """Bits, their running parity (steps) and optionally a model's P(odd) per step.

    Args: bits as accepted by parse_bits; probs (T,) or None.
    Returns: the matplotlib Axes. Used by notebooks 05 and 06.
    """
    import matplotlib.pyplot as plt
    x = parse_bits(bits)
    t = np.arange(1, len(x) + 1)
    if probs is not None:
        probs = np.asarray(probs, dtype=float)
        if probs.shape != x.shape:
            raise ValueError(f"probs must have one value per bit: shape ({len(x)},), got {probs.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.6))
    ax.step(t, running_parity(x), where="mid", color="black", lw=2, label="running parity (truth)")
    ax.scatter(t[x == 1], np.full((x == 1).sum(), -0.15), marker="|", color="tab:blue", s=60,
               label="a 1 in the string")
    if probs is not None:
        ax.plot(t, probs, "o-", ms=3, color="tab:orange", label=label)
    ax.set_ylim(-0.3, 1.7)
    ax.set_yticks([0, 0.5, 1])
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # t counts bits: no 2.5
    ax.set_xlabel("t (bits read so far)")
    ax.legend(loc="upper right", fontsize=8, ncol=3)
    return ax
