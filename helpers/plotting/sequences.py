"""The five input/output shapes of the lecture (Karpathy, "The Unreasonable Effectiveness of Recurrent
Neural Networks", 2015), each with a concrete example, drawn: no model is run.

Used by notebook 05 (:func:`sequence_shapes_figure`, :data:`SEQUENCE_EXAMPLES`).
"""
from __future__ import annotations

import numpy as np

__all__ = ["SEQUENCE_EXAMPLES", "sequence_shapes_figure"]

#: each; "<image>" is the photo). The translation's output is Persian, shown as a transliteration in
#: the boxes (generation order) and in Persian script above them (read right to left).
SEQUENCE_EXAMPLES = {
    "one_to_one": {"title": "one-to-one\nclassification", "inputs": ["<image>"], "outputs": ["cat"]},
    "one_to_many": {"title": "one-to-many\nimage captioning", "inputs": ["<image>"],
                    "outputs": ["a", "tabby", "cat", "with", "green", "eyes"]},
    "many_to_one": {"title": "many-to-one\nsentiment of a review", "inputs": ["Brilliant", "effort", "guys!", "Loved",
                                                                           "Your", "Work."],
                    "outputs": ["positive"],
                    "also": ["\"Totally dissatisfied with the service. Worst customer care ever.\" -> negative",
                             "\"Good Job but I will expect a lot more in future.\" -> neutral"]},
    "many_to_many": {"title": "many-to-many\ntranslation, English -> Persian", "inputs": ["I", "read", "the", "book"],
                     "outputs": ["ket\u0101b", "r\u0101", "kh\u0101ndam"], "script": "\u06a9\u062a\u0627\u0628 \u0631\u0627 "
                     "\u062e\u0648\u0627\u0646\u062f\u0645"},
    "many_to_many_synced": {"title": "many-to-many, synced\nrunning parity of bits", "inputs": ["1", "0", "1", "1"],
                            "outputs": ["1", "1", "0", "1"]},
}

_IN, _STATE, _OUT = "#f4b6b6", "#b5e6ad", "#b3cff5"


def _script_image(text: str, size: int = 44):
    """``text`` in a right-to-left script (Persian) as an RGBA array, shaped by Pillow's raqm layout;
    None when Pillow has no raqm (the figure then shows the transliteration only)."""
    from PIL import Image, ImageDraw, ImageFont, features
    import matplotlib.font_manager as fm

    if not features.check("raqm"):
        return None
    font = ImageFont.truetype(fm.findfont("DejaVu Sans"), size, layout_engine=ImageFont.Layout.RAQM)
    x0, y0, x1, y1 = font.getbbox(text, direction="rtl", language="fa")
    im = Image.new("RGBA", (x1 - x0 + 8, y1 - y0 + 8), (255, 255, 255, 0))
    ImageDraw.Draw(im).text((4 - x0, 4 - y0), text, font=font, fill=(20, 20, 20, 255), direction="rtl", language="fa")
    return np.asarray(im)


def _seq_panel(ax, example, image, encoder_steps: int = 0):
    """One shape: input boxes (row 0), states (row 1, joined left to right), output boxes (row 2).

    With ``encoder_steps`` the outputs start after the inputs (encoder-decoder), else inputs and
    outputs are laid from step 0 (one input -> many outputs, many inputs -> the last step's output).
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    ins, outs = example["inputs"], example["outputs"]
    if encoder_steps:
        in_steps, out_steps = range(len(ins)), range(len(ins), len(ins) + len(outs))
    elif len(outs) == 1 and len(ins) > 1:
        in_steps, out_steps = range(len(ins)), [len(ins) - 1]
    else:
        in_steps, out_steps = range(len(ins)), range(len(outs))
    steps = max([*in_steps, *out_steps]) + 1
    w, h = 0.86, 0.5

    def box(x, y, colour, label=None):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                    fc=colour, ec="0.35", lw=1))
        if label is not None:
            ax.text(x, y, label, ha="center", va="center", fontsize=13 if len(label) <= 6 else 11)

    def arrow(a, b, colour="0.3"):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color=colour, lw=1.3))

    for t in range(steps):
        box(t, 1, _STATE)
        if t:
            arrow((t - 1 + w / 2, 1), (t - w / 2, 1), "tab:green")
    for t, label in zip(in_steps, ins):
        if label == "<image>":
            ax.imshow(image, extent=(t - 0.45, t + 0.45, -0.6, 0.25), zorder=3, aspect="auto")
        else:
            box(t, 0, _IN, label)
        arrow((t, h / 2), (t, 1 - h / 2))
    for t, label in zip(out_steps, outs):
        box(t, 2, _OUT, label)
        arrow((t, 1 + h / 2), (t, 2 - h / 2))
    ax.set_xlim(-0.55, max(steps, 1.6) - 0.45)
    ax.set_ylim(-0.62, 2.7)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(example["title"], fontsize=13, loc="left")
    return steps


def sequence_shapes_figure(image=None, examples=None):
    """The lecture's five input/output shapes, each drawn with a concrete example (no model is run).

    Row 1: one-to-one (the photo -> "tabby cat"), one-to-many (the photo -> a caption, one word per
    step), many-to-one (a review, one word per step -> its sentiment; the lecture's two other reviews
    listed below it). Row 2: many-to-many (an English sentence read by an encoder, then a Persian one
    written by a decoder: transliterated in the boxes, in Persian script above them when Pillow can
    shape it) and many-to-many synced (a bit string -> the running parity after every bit).
    Red boxes are inputs, green the network's state at one time step (the green arrows carry it to
    the next step), blue outputs.

    Args:
        image: (H, W, 3) uint8 or float 0..255 shown as the photo; None: ``data/images/chelsea.png``.
        examples: a dict like SEQUENCE_EXAMPLES (the default) to draw other tokens.
    Returns:
        (figure, {kind: number of time steps drawn}); the figure is 12.8 x 6.4 inches at 100 dpi
        (1280 x 640 px), sized for a 1280 x 720 slide with a title and one sentence.
    Raises:
        ValueError: for an image that is not (H, W, 3).
    Used by notebook 05.
    """
    import os
    import textwrap

    import matplotlib.pyplot as plt

    from .. import DATA_DIR

    examples = SEQUENCE_EXAMPLES if examples is None else examples
    if image is None:
        from PIL import Image

        image = np.asarray(Image.open(os.path.join(DATA_DIR, "images", "chelsea.png")).convert("RGB"))
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"image must be (H, W, 3), got shape {image.shape}")
    image = np.clip(image, 0, 255).astype(np.uint8)
    # every step gets the same width on both rows
    top, bottom = ["one_to_one", "one_to_many", "many_to_one"], ["many_to_many", "many_to_many_synced"]
    width = {k: max(len(examples[k]["inputs"]), len(examples[k]["outputs"])) + 0.4 for k in top}
    width["one_to_one"] = 1.9
    width["many_to_many"] = len(examples["many_to_many"]["inputs"]) + len(examples["many_to_many"]["outputs"]) + 0.4
    width["many_to_many_synced"] = len(examples["many_to_many_synced"]["inputs"]) + 0.4
    total = max(sum(width[k] for k in top), sum(width[k] for k in bottom) + 4.2)   # + the reviews' text
    fig = plt.figure(figsize=(12.8, 6.4), dpi=100)
    steps = {}
    for row, kinds in enumerate((top, bottom)):
        x = 0.01
        for kind in kinds:
            ax = fig.add_axes((x, 0.54 - row * 0.48, 0.98 * width[kind] / total, 0.37))
            steps[kind] = _seq_panel(ax, examples[kind], image,
                                     encoder_steps=len(examples[kind]["inputs"]) if kind == "many_to_many" else 0)
            x += 0.98 * width[kind] / total + 0.005
            if kind == "many_to_one" and examples[kind].get("also"):
                fig.text(0.995, 0.36, "many-to-one, the lecture's other reviews:\n\n" +
                         "\n".join(textwrap.fill(r, 34) for r in examples[kind]["also"]), fontsize=11, ha="right",
                         va="top", color="0.2", linespacing=1.4, multialignment="left")
            if kind == "many_to_many":
                n_in, n_out = len(examples[kind]["inputs"]), len(examples[kind]["outputs"])
                ax.text(n_in / 2 - 0.5, -0.42, "encoder reads English", ha="center", va="top", fontsize=11, color="0.3")
                ax.text(n_in + n_out / 2 - 0.5, 0.1, "decoder writes Persian", ha="center", va="center", fontsize=11,
                        color="0.3")
                script = _script_image(examples[kind]["script"]) if examples[kind].get("script") else None
                if script is not None:
                    hgt = 0.36
                    wid = hgt * script.shape[1] / script.shape[0]
                    cx = n_in + (n_out - 1) / 2
                    ax.imshow(script, extent=(cx - wid / 2, cx + wid / 2, 2.33, 2.33 + hgt), zorder=3)
                    ax.set_ylim(-0.6, 2.8)
    fig.text(0.5, 0.005, "red: input  ·  green: the network's state at one time step (the green arrow carries it on)"
             "  ·  blue: output", ha="center", fontsize=11)
    return fig, steps
