"""Figures of the trust measurements: the randomisation test per stage, deletion / insertion curves.

Used by notebook 04.
"""
from __future__ import annotations

import numpy as np

__all__ = ["plot_randomization", "plot_curves"]


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
