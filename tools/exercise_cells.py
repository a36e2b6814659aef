"""The exercise cells of the lesson notebooks 01-06, and the function that adds them.

Each notebook's build script ends with

    from exercise_cells import write_notebook
    write_notebook(cells, "05_rnn_motivation")

which (through :func:`add_exercises`) removes any earlier exercise section (cells whose metadata tags
contain "exercise") and appends a fresh one: a heading, a code cell that
imports ``helpers.exercises``, then per exercise a statement (markdown), a
starter cell (``answer = None`` or a function stub returning None) and a
check cell calling ``exercises.check_<name>(...)``.

Every exercise cell carries ``metadata.tags == ["exercise"]`` and
``metadata.exercise == {"name": ..., "role": "intro"|"statement"|"starter"|"check"}``;
``tools/run_solutions.py`` finds the starter cells through it and pastes the
reference solution (``solutions/exNN.py``: the function ``<name>`` and, for
value exercises, the line in ``solve``) in their place.

Variables the check cells expect from the notebook's setup cell: ``card``
(the model card) in 01, 02 and 04; nothing in 03, 05 and 06.
"""
from __future__ import annotations

import copy
import os
import sys
from textwrap import dedent

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

TAG = "exercise"


def _ex(name, title, statement, starter, check, solve=None):
    """One exercise: ``solve`` is the line the solutions runner adds after the solution's source
    (value exercises, e.g. ``answer = blue_channel(card)``); None for function exercises."""
    return dict(name=name, title=title, statement=dedent(statement).strip(), starter=dedent(starter).strip(),
                check=dedent(check).strip(), solve=solve)


INTRO = """## Exercises

Now you. Each exercise has a starter cell (replace `None`, or fill in the function) and a check cell
that says **not attempted yet**, **correct**, or what is wrong with a hint. A wrong answer never stops
the notebook: change your answer and run both cells again. They go from easy to harder.
(Reference solutions are in the repository's `solutions/` folder: try first!)"""

EXERCISES: dict[str, list[dict]] = {}

# --------------------------------------------------------------------- 01 ----

EXERCISES["01"] = [
    _ex("layer_shape", "Exercise 1.1 · The shape of a feature map", """
        ### Exercise 1.1 · The shape of a feature map (easy)

        What shape `(h, w, C)` does the output of `block2_conv1` have **for one image** at the model's
        input size? Compute it (for example with `get_activations`) rather than guess; answer with a
        tuple of three integers.""", """
        answer = None   # (h, w, C), e.g. (10, 10, 8)""", """
        exercises.check_layer_shape(answer, card);""", solve="answer = layer_shape(card)"),
    _ex("blue_channel", "Exercise 1.2 · Which channel likes blue?", """
        ### Exercise 1.2 · Which channel likes blue? (medium)

        Build a **pure blue** image yourself: shape `(*card.input_size, 3)`, every pixel (R, G, B) =
        (0, 0, 255), values 0..255 as always before preprocessing. Which channel of the first conv layer
        (`conv_layer_names(model)[0]`) has the **largest mean activation** (mean over all positions) on
        it? Answer with the channel index. Then look at that channel's kernel in notebook 02.""", """
        blue = None     # your (H, W, 3) image
        answer = None   # an int: the channel index""", """
        exercises.check_blue_channel(answer, card);""", solve="answer = blue_channel(card)"),
    _ex("strongest_channels", "Exercise 1.3 · The explorer's ranking", """
        ### Exercise 1.3 · The explorer's ranking (harder)

        The explorer shows "the most active channels" of a layer. Write the function yourself (numpy
        only, without `top_channels`): `strongest_channels(act, k)` takes the feature map of one image,
        `act` of shape `(h, w, C)`, and returns the indices of the `k` channels with the largest **mean**
        activation, **strongest first**.""", """
        def strongest_channels(act, k):
            \"\"\"act: (h, w, C) feature map of one image -> indices of the k strongest channels, strongest first.\"\"\"
            return None   # your code here""", """
        exercises.check_strongest_channels(strongest_channels);"""),
]

# --------------------------------------------------------------------- 02 ----

EXERCISES["02"] = [
    _ex("kernel_size", "Exercise 2.1 · Why deeper kernels are no pictures", """
        ### Exercise 2.1 · Why deeper kernels are no pictures (easy)

        A first-layer filter has 3 x 3 x 3 = 27 weights, a tiny RGB picture. How many weights (without
        the bias) does **one** filter of `block2_conv1` have? Read it off the layer's weights
        (`model.get_layer("block2_conv1").get_weights()[0].shape`) and explain the number to yourself.""", """
        answer = None   # an int""", """
        exercises.check_kernel_size(answer, card);""", solve="answer = kernel_size(card)"),
    _ex("vertical_edge", "Exercise 2.2 · Find the vertical-edge detector", """
        ### Exercise 2.2 · Find the vertical-edge detector (medium)

        Which first-layer kernel is most like a **vertical edge, dark on the left and bright on the
        right**? Sum each kernel over its 3 colours to get a 3 x 3 grey kernel (`kernels.sum(axis=2)`),
        and compare it with the template `[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]` by the **cosine
        similarity** (dot product divided by both norms). Answer with the index of the kernel with the
        largest cosine, then draw it with `kernel_tiles` to see it.""", """
        answer = None   # an int: the filter index""", """
        exercises.check_vertical_edge(answer, card);""", solve="answer = vertical_edge(card)"),
    _ex("conv_response", "Exercise 2.3 · A filter by hand", """
        ### Exercise 2.3 · A filter by hand (harder)

        What does one filter of a conv layer compute? Write `conv_response(x, kernel, bias)` with numpy
        loops: `x` is the layer's input `(H, W, 3)`, `kernel` one filter `(3, 3, 3)`, `bias` a number.
        Return the `(H - 2, W - 2)` map of `max(0, sum(x[r:r+3, c:c+3, :] * kernel) + bias)` over every
        position where the window fits. (Keras does **not** flip the kernel.) The check compares it with
        a Keras `Conv2D` layer, on random inputs and on your model's first kernel. Then try your function
        on a small image with a vertical edge and the kernel you found in exercise 2.2: where does it fire?""", """
        def conv_response(x, kernel, bias):
            \"\"\"x: (H, W, 3), kernel: (3, 3, 3), bias: float -> (H - 2, W - 2) ReLU response.\"\"\"
            return None   # your code here""", """
        exercises.check_conv_response(conv_response, card);"""),
]

# --------------------------------------------------------------------- 03 ----

EXERCISES["03"] = [
    _ex("l2_decay", "Exercise 3.1 · L2 decay as a function", """
        ### Exercise 3.1 · L2 decay as a function (easy)

        The first regulariser of Yosinski et al.: after every ascent step, shrink the image towards the
        mean image (grey) by a small fraction `decay`. With `x` the image **relative to grey** (grey = 0),
        write `l2_decay(x, decay)` returning the shrunk image. Do not change `x` in place.""", """
        def l2_decay(x, decay):
            \"\"\"x: image relative to grey (any shape), decay: fraction removed per step -> the shrunk image.\"\"\"
            return None   # your code here""", """
        exercises.check_l2_decay(l2_decay);"""),
    _ex("decay_half_life", "Exercise 3.2 · Plug the decay into the engine", """
        ### Exercise 3.2 · Plug the decay into the engine (medium)

        The engine (`helpers.maximize`) applies exactly your `l2_decay` after every step when its
        regulariser `l2_decay` is set. Choose the per-step `decay` so that, without any gradient, the
        image's contrast **halves in 100 steps** (check it by applying your function 100 times to an
        array). Then plug it into the engine: start from the paper's preset `"yosinski3"` and override
        only its decay with `regularizers("yosinski3", l2_decay=...)` (from `helpers.maximize`).
        Optionally pass it as `preset=answer` to `visualize_classes` and look.""", """
        from helpers.maximize import regularizers

        decay = None    # per step
        answer = None   # regularizers("yosinski3", l2_decay=...)""", """
        exercises.check_decay_half_life(answer);""", solve="answer = decay_half_life()"),
    _ex("total_variation", "Exercise 3.3 · Measure the noise", """
        ### Exercise 3.3 · Measure the noise (harder)

        Plain gradient ascent makes high-frequency noise; the **total variation** measures it. Write
        `total_variation(img)` for an `(H, W, 3)` image: the sum, over all pixels and colours, of the
        absolute differences between each pixel and its neighbour below, plus its neighbour to the right
        (no wrap-around at the borders). The check compares it with `tf.image.total_variation`. Then
        compare a plain and a regularised class image, e.g. `total_variation(plain.images[0])` and
        `total_variation(final.images[0])` from sections 2 and 5.""", """
        def total_variation(img):
            \"\"\"img: (H, W, 3) -> float, sum of |vertical| + |horizontal| neighbour differences.\"\"\"
            return None   # your code here""", """
        exercises.check_total_variation(total_variation);"""),
]

# --------------------------------------------------------------------- 04 ----

def _softmax_choices() -> str:
    from helpers.exercises import SOFTMAX_CHOICES

    return "\n".join(f"* **({k})** {v}" for k, v in SOFTMAX_CHOICES.items())


EXERCISES["04"] = [
    _ex("gradcam_weights", "Exercise 4.1 · The channel weights", """
        ### Exercise 4.1 · The channel weights (easy)

        `ex_data` (made by the cell above) holds, for the first sample image and its top class, the
        feature map `A` of the last conv layer and the gradient `grads` of the class score with respect to
        it, both `(h, w, k)` numpy arrays. Compute the Grad-CAM weights $w_k^c$ with numpy, one per
        channel, shape `(k,)`.""", """
        A, grads = ex_data["A"], ex_data["grads"]
        answer = None   # (k,) channel weights""", """
        exercises.check_gradcam_weights(answer, ex_data);""", solve="answer = gradcam_weights(ex_data)"),
    _ex("gradcam_map", "Exercise 4.2 · The map", """
        ### Exercise 4.2 · The map (medium)

        Now the heatmap itself, `(h, w)` with values in [0, 1], from `A` and your weights: the formula at
        the top of this notebook, then divided by its maximum. The check compares it with
        `cam.grad_cam`.""", """
        answer = None   # (h, w) heatmap in [0, 1]""", """
        exercises.check_gradcam_map(answer, ex_data, card);""", solve="answer = gradcam_map(ex_data)"),
    _ex("before_softmax", "Exercise 4.3 · Why before the softmax?", """
        ### Exercise 4.3 · Why before the softmax? (medium)

        Grad-CAM differentiates the class score $y^c$ *before* the softmax. Which statement is the
        reason? Answer with one letter.

        {choices}""", """
        answer = None   # one letter: a, b, c or d""", """
        exercises.check_before_softmax(answer);""", solve="answer = before_softmax()"),
    _ex("runner_up_weights", "Exercise 4.4 · The runner-up class", """
        ### Exercise 4.4 · The runner-up class (harder)

        Compute the gradients yourself this time: the Grad-CAM weights, shape `(k,)`, of the **second
        most likely class** of the same image (`ex_data["image"]`), at `card.last_conv_layer`. Use a
        `GradientTape` as in section 2 (the score before the softmax!). Then draw both maps side by side:
        do the two classes look at the same places?""", """
        image = ex_data["image"]
        answer = None   # (k,) weights of the runner-up class""", """
        exercises.check_runner_up_weights(answer, card, ex_data["image"]);""",
        solve="answer = runner_up_weights(card, ex_data['image'])"),
]

INTRO_CODE = {
    "04": """from helpers import exercises
ex_data = exercises.gradcam_data(card)     # first sample image, its top class: A and dy^c/dA, (h, w, k) each
print("class:", card.class_names[ex_data["class_id"]], "  A:", ex_data["A"].shape, "  grads:", ex_data["grads"].shape)""",
}

# --------------------------------------------------------------------- 05 ----

EXERCISES["05"] = [
    _ex("window_3_of_10", "Exercise 5.1 · A 3-bit window", """
        ### Exercise 5.1 · A 3-bit window (easy)

        By hand, before any code: what is the **best possible accuracy** of a predictor that sees only
        the **last 3 bits** of a 10-bit string, on the parity of the whole string (all $2^{10}$ strings
        equally likely)? Answer with a fraction between 0 and 1.""", """
        answer = None   # a fraction, e.g. 0.75""", """
        exercises.check_window_3_of_10(answer);""", solve="answer = window_3_of_10()"),
    _ex("running_parity", "Exercise 5.2 · Running parity", """
        ### Exercise 5.2 · Running parity (medium)

        Write `running_parity(bits)`: `bits` is a 1-D numpy array of 0/1 integers $x_1 \\dots x_T$; return
        the array $p_1 \\dots p_T$ with $p_t = (x_1 + \\dots + x_t) \\bmod 2$ (1 = odd so far). This is the
        target the GRU learned in section 5.""", """
        def running_parity(bits):
            \"\"\"bits: (T,) array of 0/1 -> (T,) array, the parity after each bit.\"\"\"
            return None   # your code here""", """
        exercises.check_running_parity(running_parity);"""),
    _ex("window_accuracy", "Exercise 5.3 · The window table by brute force", """
        ### Exercise 5.3 · The window table by brute force (harder)

        Reproduce the "exact" column of section 2 yourself: `window_accuracy(n, k)` enumerates all $2^n$
        strings of $n$ bits (`itertools.product((0, 1), repeat=n)`), groups them by their **last k bits**
        ($0 \\le k \\le n$), lets the best table answer the more frequent parity in each group, and returns
        the fraction of strings it gets right. Watch the edge cases $k = 0$ and $k = n$.""", """
        import itertools

        def window_accuracy(n, k):
            \"\"\"Best accuracy of a lookup table on the last k bits, over all 2**n strings of n bits.\"\"\"
            return None   # your code here""", """
        exercises.check_window_accuracy(window_accuracy);"""),
]

# --------------------------------------------------------------------- 06 ----

EXERCISES["06"] = [
    _ex("rnn_params", "Exercise 6.1 · Count the parameters", """
        ### Exercise 6.1 · Count the parameters (easy)

        A `SimpleRNN` layer with **8 units** reads sequences with **3 numbers per step**. How many
        parameters does it have for sequences of 10 steps? And of 10,000 steps? Answer with one
        integer (work it out from $h_t = \\tanh(x_t W_{xh} + h_{t-1} W_{hh} + b)$, then check with Keras
        if you like).""", """
        answer = None   # an int""", """
        exercises.check_rnn_params(answer);""", solve="answer = rnn_params()"),
    _ex("h2_by_hand", "Exercise 6.2 · Unroll two steps by hand", """
        ### Exercise 6.2 · Unroll two steps by hand (medium)

        A one-unit RNN $h_t = \\tanh(x_t W_{xh} + h_{t-1} W_{hh} + b)$ has $W_{xh} = 0.5$,
        $W_{hh} = -1.0$, $b = 0.1$ and starts from $h_0 = 0$. The inputs are $x_1 = 1$, $x_2 = 2$.
        Compute $h_2 = f_W(f_W(h_0, x_1), x_2)$ with a calculator or `np.tanh`, step by step (not with
        `rnn.rnn_forward`: the check uses that).""", """
        answer = None   # h_2, a number""", """
        exercises.check_h2_by_hand(answer);""", solve="answer = h2_by_hand()"),
    _ex("threshold_parity", "Exercise 6.3 · A parity RNN with threshold units", """
        ### Exercise 6.3 · A parity RNN with threshold units (harder)

        Section 5 built parity from two **ReLU** units. Build it from two **threshold** units
        $\\mathrm{step}(z) = 1$ if $z > 0$ else $0$: choose $W_{xh}$ (1 x 2), $W_{hh}$ (2 x 2), $b$ (2) and
        a linear read-out $y_t = h_t W_{hy} + b_y$ so that, from $h_0 = (0, 0)$,
        $h_t = \\mathrm{step}(x_t W_{xh} + h_{t-1} W_{hh} + b)$ gives $y_t$ = the running parity.
        Idea: one unit computes OR, the other AND of $p_{t-1}$ and $x_t$, and XOR = OR - AND. Test it
        on a string of 1,000 bits with `rnn.rnn_forward(..., activation=threshold)`; the check tries every
        string of up to 8 bits and 1,000 random bits.""", """
        def threshold(z):
            return (np.asarray(z) > 0).astype(float)   # the step unit

        W_xh = None   # (1, 2)
        W_hh = None   # (2, 2)
        b = None      # (2,)
        W_hy = None   # (2,)
        b_y = 0.0
        answer = dict(W_xh=W_xh, W_hh=W_hh, b=b, W_hy=W_hy, b_y=b_y)""", """
        exercises.check_threshold_parity(answer);""", solve="answer = threshold_parity()"),
]


def exercises_for(notebook_stem: str) -> list[dict]:
    """The exercise specs of a notebook, by its stem ("05_rnn_motivation") or number ("05")."""
    key = os.path.basename(str(notebook_stem))[:2]
    if key not in EXERCISES:
        raise ValueError(f"no exercises for notebook {notebook_stem!r}; known: {sorted(EXERCISES)}")
    out = copy.deepcopy(EXERCISES[key])
    for ex in out:
        if "{choices}" in ex["statement"]:
            ex["statement"] = ex["statement"].replace("{choices}", _softmax_choices())
    return out


def _meta(name, role):
    return {"tags": [TAG], "exercise": {"name": name, "role": role}}


def exercise_cells(notebook_stem: str) -> list:
    """The nbformat cells of a notebook's exercise section (all tagged "exercise")."""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    key = os.path.basename(str(notebook_stem))[:2]
    cells = [new_markdown_cell(INTRO, metadata=_meta(None, "intro")),
             new_code_cell(INTRO_CODE.get(key, "from helpers import exercises"), metadata=_meta(None, "intro"))]
    for ex in exercises_for(notebook_stem):
        cells += [new_markdown_cell(ex["statement"], metadata=_meta(ex["name"], "statement")),
                  new_code_cell(ex["starter"], metadata=_meta(ex["name"], "starter")),
                  new_code_cell(ex["check"], metadata=_meta(ex["name"], "check"))]
    return cells


def is_exercise_cell(cell) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])


def add_exercises(nb, notebook_stem: str):
    """Append the exercise section of ``notebook_stem`` to notebook node ``nb`` (in place; also returned).

    Any earlier exercise section (cells tagged "exercise") is removed first,
    so running a build script twice gives the same notebook; cell ids are
    then numbered (see :func:`number_cells`) so a rebuild changes only the
    cells whose text changed.
    """
    nb.cells = [c for c in nb.cells if not is_exercise_cell(c)] + exercise_cells(notebook_stem)
    return number_cells(nb)


def number_cells(nb):
    """Give every cell of ``nb`` the id ``cell-000``, ``cell-001``, ... (in place; also returned).

    nbformat makes random ids, so every rebuild would otherwise rewrite every cell's id.
    """
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nb


def write_notebook(cells, stem: str, exercises: bool = True) -> str:
    """Write ``cells`` as ``notebooks/<stem>.ipynb``: Python 3 kernel, exercise section, numbered ids.

    Args:
        cells: list of nbformat cells (the lesson).
        stem: file name without ``.ipynb``, e.g. ``"03_deepvis"``.
        exercises: append the exercise section (notebook 00 has none).
    Returns:
        the path written.
    """
    import nbformat

    nb = nbformat.v4.new_notebook(cells=list(cells), metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    if exercises:
        add_exercises(nb, stem)
    number_cells(nb)
    nbformat.validate(nb)
    path = os.path.join(ROOT, "notebooks", stem + ".ipynb")
    nbformat.write(nb, path)
    print("wrote", os.path.relpath(path, ROOT))
    return path
