"""Widgets for notebooks 05 (type a bit string) and 06 (step through time).

Each function returns the widget object (an ipywidgets VBox). Bad input (a
character other than 0/1, an empty string, a string too long to draw) is
shown as a message in the widget, never as a traceback. Widgets do not render
in static HTML, so the notebooks also show a static figure beside each one.
"""
from __future__ import annotations

import html
import io

import ipywidgets as widgets
import numpy as np

from helpers import rnn


def _error_html(message: str) -> str:
    return f"<p style='color:#b00020'><b>Cannot use this input:</b> {html.escape(message)}</p>"


def parity_report_html(bits, model=None, max_table: int = 40) -> str:
    """HTML describing one bit string: running parity per step, the answer, the model's answer.

    Args: bits (str or 0/1 sequence); model: a per-step parity model
        (batch, T, 1) -> (batch, T, 1) P(odd), or None; max_table: longest
        string shown bit by bit.
    Returns: an HTML string (an error message for bad input).
    Used by parity_explorer (notebook 05).
    """
    try:
        x = rnn.parse_bits(bits)
    except (ValueError, TypeError) as err:
        return _error_html(str(err))
    par = rnn.running_parity(x)
    answer = "Yes" if par[-1] else "No"
    parts = [f"<p>{len(x)} bits, {int(x.sum())} ones: the number of 1s is "
             f"{'odd' if par[-1] else 'even'}, so the answer is <b>{answer}</b>.</p>"]
    probs = rnn.predict_parity(model, x) if model is not None else None
    if len(x) <= max_table:
        rows = [("t", range(1, len(x) + 1)), ("bit x_t", x), ("running parity", par)]
        if probs is not None:
            rows.append(("model P(odd)", [f"{p:.2f}" for p in probs]))
        cells = "".join(
            "<tr><th style='text-align:left'>" + name + "</th>"
            + "".join(f"<td style='padding:0 4px'>{v}</td>" for v in vals) + "</tr>"
            for name, vals in rows)
        parts.append(f"<table style='font-family:monospace'>{cells}</table>")
    else:
        parts.append(f"<p>(string longer than {max_table} bits: table not shown)</p>")
    if probs is not None:
        said = "Yes" if probs[-1] > 0.5 else "No"
        verdict = "right" if said == answer else "WRONG"
        wrong_steps = int(((probs > 0.5) != par.astype(bool)).sum())
        parts.append(f"<p>The model says <b>{said}</b> (P(odd) = {probs[-1]:.3f}): {verdict}. "
                     f"Steps where its running answer is wrong: {wrong_steps} of {len(x)}.</p>")
    return "".join(parts)


def parity_explorer(model=None, bits: str = "1000010101", max_len: int = 5000):
    """Type a bit string; see its running parity, the answer and the model's answer.

    Args: model: a per-step parity model (e.g. the trained GRU of notebook
        05) or None; bits: the initial string; max_len: longest string accepted.
    Returns: widgets.VBox([Text "bits", HTML report]). Setting
        .children[0].value from Python updates .children[1].value.
    Used by notebook 05.
    """
    text = widgets.Text(value=bits, description="bits", placeholder="e.g. 1000010101",
                        layout=widgets.Layout(width="95%"))
    report = widgets.HTML()

    def update(_=None):
        value = text.value
        if len(value.replace(" ", "").replace("_", "")) > max_len:
            report.value = _error_html(f"the string has more than {max_len} bits; use a shorter one")
            return
        report.value = parity_report_html(value, model)

    text.observe(update, names="value")
    update()
    return widgets.VBox([text, report])


def _png(draw, figsize) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, dpi=110)
    FigureCanvasAgg(fig)
    draw(fig.add_subplot(1, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def timestep_report_html(bits, t: int, weights=None) -> str:
    """HTML for step t: the nested formula, x_t, h_t and the table up to t.

    Args: bits (at most 12 bits); t in 0..T; weights: None for the hand-built
        parity RNN, or a dict with W_xh, W_hh, b (optional "activation",
        default np.tanh, and a read-out W_hy, b_y).
    Returns: an HTML string (an error message for bad input).
    Used by timestep_explorer (notebook 06).
    """
    try:
        x, hs, ys = _run(bits, weights)
    except (ValueError, TypeError) as err:
        return _error_html(str(err))
    if not 0 <= t <= len(x):
        return _error_html(f"t must be between 0 and {len(x)}")
    parts = [f"<p style='font-family:monospace'>{html.escape(rnn.nested_expression(t))}</p>"]
    if t == 0:
        parts.append("<p>t = 0: nothing read yet, h_0 = (0, 0).</p>")
    else:
        h = ", ".join(f"{v:.3g}" for v in hs[t - 1])
        parts.append(f"<p>t = {t}: x_{t} = {x[t - 1]}, h_{t} = ({h})"
                     + (f", read-out y_{t} = {ys[t - 1]:.3g}" if ys is not None else "") + "</p>")
    head = "<tr><th>t</th><th>x_t</th><th>h_t</th>" + ("<th>y_t</th>" if ys is not None else "") + "</tr>"
    body = ""
    for s in range(1, len(x) + 1):
        style = "" if s <= t else " style='color:#bbb'"
        y = f"<td>{ys[s - 1]:.3g}</td>" if ys is not None else ""
        body += (f"<tr{style}><td>{s}</td><td>{x[s - 1]}</td><td>("
                 + ", ".join(f"{v:.3g}" for v in hs[s - 1]) + f")</td>{y}</tr>")
    parts.append(f"<table style='font-family:monospace'>{head}{body}</table>")
    return "".join(parts)


def _run(bits, weights):
    x = rnn.parse_bits(bits)
    if len(x) > 12:
        raise ValueError(f"the drawing shows at most 12 steps; this string has {len(x)} bits")
    if weights is None:
        w = rnn.handbuilt_parity_weights()
        act = rnn.relu
    else:
        w, act = weights, weights.get("activation", np.tanh)
    hs = rnn.rnn_forward(x, np.zeros(np.asarray(w["b"]).shape[0]), w["W_xh"], w["W_hh"], w["b"], act)
    ys = hs @ np.asarray(w["W_hy"])[:, 0] + np.asarray(w["b_y"])[0] if "W_hy" in w else None
    return x, hs, ys


def timestep_explorer(bits: str = "1011", weights=None, t: int | None = None):
    """Slide through time: x_t, h_t and the unrolled graph highlighted up to t.

    Args: bits: the initial string (1..12 bits); weights: None for the
        hand-built parity RNN, or a dict (see timestep_report_html); t: the
        initial step (default: the last).
    Returns: widgets.VBox([Text "bits", IntSlider "t", HTML report,
        Image (PNG of the unrolled graph)]). Setting .children[0].value or
        .children[1].value from Python updates the report and the image.
    Used by notebook 06.
    """
    text = widgets.Text(value=bits, description="bits", placeholder="1 to 12 bits, e.g. 1011")
    slider = widgets.IntSlider(value=0, min=0, max=1, description="t")
    report = widgets.HTML()
    image = widgets.Image(format="png")

    updating = []      # non-empty while new_bits moves the slider: redraw once, at the end

    def redraw(_=None):
        if updating:
            return
        try:
            x, hs, _ = _run(text.value, weights)
        except (ValueError, TypeError) as err:
            report.value = _error_html(str(err))
            image.value = b""
            return
        report.value = timestep_report_html(text.value, slider.value, weights)
        image.value = _png(lambda ax: rnn.draw_unrolled(len(x), upto=slider.value, xs=x, hs=hs, ax=ax),
                           figsize=(1.3 * len(x) + 1.5, 3.2))
        # show the PNG at its own pixel width (stretched to the page it looks blurred)
        image.layout.width = f"{int.from_bytes(image.value[16:20], 'big')}px"

    def new_bits(_=None):
        try:
            n = len(_run(text.value, weights)[0])
        except (ValueError, TypeError):
            redraw()
            return
        updating.append(True)
        try:
            slider.max = n
            slider.value = min(slider.value, n)
        finally:
            updating.clear()
        redraw()

    try:
        n0 = len(_run(bits, weights)[0])
    except (ValueError, TypeError):
        n0 = 1
    slider.max = n0
    slider.value = n0 if t is None else min(max(int(t), 0), n0)
    text.observe(new_bits, names="value")
    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([text, slider, report, image])
