"""Writes notebooks/03_deepvis.ipynb (run: python tools/build_03_notebook.py; stored without outputs)."""
import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell

cells = [
    md(r"""# 03 · DeepVis: the image that best fires an output class

The lecture's third look inside a convnet: *"Visualizing output neurons: the synthetic input image
that best fires that neuron"*, shown for three ImageNet classes of VGG16: **flamingo** (130),
**billiard table** (736) and **school bus** (779).

The idea is the filter patterns of notebook 02, one layer higher. Start from a grey image with a
little noise and repeat: compute the score $y_c$ of class $c$, its gradient with respect to the
pixels, and move the pixels a small step uphill. The image drifts towards what the network has
learnt to call $c$.

Plain gradient ascent gives high-frequency noise that the network scores highly but that looks like
nothing. **Yosinski et al. 2015**, *Understanding Neural Networks Through Deep Visualization*
(Deep Learning Workshop, ICML 2015; the "DeepVis" toolbox), showed that a few simple
**regularisers** applied after every step make recognisable images. This notebook:

1. why the score is taken **before** the softmax, checked numerically;
2. plain gradient ascent, all classes in one batch;
3. the regularisers one by one, side by side, with a measure of high-frequency energy;
4. the paper's four published settings (presets `yosinski1` ... `yosinski4`);
5. the final images, checked: each is classified as its class, no NaN, same seed → same image;
6. the lecture's classes on VGG16, and any class you type by name;
7. an explorer with a live preview.

Experiments run on the small **ShapesNet** (6 shape classes, 64 px), which takes seconds; the
lecture's classes need VGG16 (see section 6 for how long that takes).

*Running time with ShapesNet on a 2-core CPU: about 30 s (measured under nbval: 31 s wall time on an
otherwise idle machine, 42 s while other programs ran). With VGG16, add about 5 minutes (section 6).*"""),
    code("""import helpers                      # first: it quietens TensorFlow's start-up notices
import time
import numpy as np
import matplotlib.pyplot as plt
import keras
from helpers import deepvis, maximize
from helpers.models import load_model
from helpers.plotting import image_grid
from helpers.widgets.deepvis import class_explorer

t_start = time.perf_counter()
keras.utils.set_random_seed(0)
card = load_model()                                   # VGG16 or ShapesNet: the card knows which
sn = card if card.name == "shapesnet" else load_model("shapesnet", verbose=False)  # for the experiments
all_shapes = list(range(sn.num_classes))              # circle, square, triangle, star, cross, ring"""),
    md(r"""## 1. Which score? Before the softmax

The network ends with scores $y_1 \dots y_K$ (the *logits*) and a softmax turning them into
probabilities $p_c = e^{y_c} / \sum_j e^{y_j}$. DeepVis maximises $y_c$, not $p_c$. The derivative of
the softmax says why:

$$\frac{\partial p_c}{\partial y_j} = p_c\,(\delta_{cj} - p_j)
\qquad\Longrightarrow\qquad
\nabla_x p_c = p_c(1-p_c)\,\nabla_x y_c \;-\; p_c \sum_{j\neq c} p_j\,\nabla_x y_j .$$

* The weights $\partial p_c/\partial y_j$ **sum to zero**: $p_c$ gains as much from *lowering the other
  classes' scores* as from raising its own. Maximising $p_c$ may find an image that is "not a
  square, not a star, ..." rather than one that is very much a circle.
* Their size is $p_c(1-p_c)$: once the network is sure ($p_c \to 1$) the gradient **vanishes**.

`deepvis.class_gradients` computes both gradients (the score before the softmax comes from
`helpers.models.logits_model`). On ShapesNet's sample images, which it classifies confidently:"""),
    code("""samples = sn.sample_images()
images = np.stack(list(samples.values()))
top = sn.predict(images).argmax(axis=1)
g = deepvis.class_gradients(sn.model, images, top)
rms = lambda a: np.sqrt(np.mean(np.square(a), axis=(1, 2, 3)))
ratio = rms(g["grad_prob"]) / rms(g["grad_logit"])
p = g["probs"][np.arange(len(top)), top]
for name, pc, r in zip(samples, p, ratio):
    print(f"{name:>8s}: p = {pc:.4f}   |grad p_c| / |grad y_c| = {r:.4f}   (p(1-p) = {pc * (1 - pc):.4f})")
assert (ratio < 0.05).all()"""),
    md("""The gradient after the softmax is a few percent of the one before at most, about $p(1-p)$ as the
formula says.
And the weights of the first image's probability on the six scores: positive on its own class,
negative on all others, summing to zero."""),
    code("""w = g["dprob_dlogits"][0]
print("d p_c / d y_j:", np.round(w, 5), "  sum:", f"{w.sum():.1e}")
assert abs(w.sum()) < 1e-6 and w[top[0]] > 0 and (np.delete(w, top[0]) < 0).all()"""),
    md("""## 2. Plain gradient ascent, all classes in one batch

`maximize.maximize_classes(model, classes, steps, ...)` runs the ascent on the scores before the
softmax. Image $i$ of the batch maximises class `classes[i]`; the class index is a *tensor* inside
one compiled step (`tf.function`), so six classes - or a thousand - are one compiled graph and one
forward/backward pass per step. Each step moves the pixels by the gradient divided by its RMS
(times `lr` = 4 grey levels), so the step size does not depend on how large the gradient is.
First without any regulariser (`preset=None`):"""),
    code("""plain = maximize.maximize_classes(sn.model, all_shapes, steps=100, preset=None)
probs = sn.predict(plain.images)[all_shapes, all_shapes]
image_grid(maximize.deprocess_images(plain.images), ncols=6, tile_inches=1.5,
           titles=[f"{sn.class_names[c]} {p:.2f}" for c, p in zip(all_shapes, probs)])
plt.show()
engine = maximize.get_engine(sn.model, None, "logit")
assert engine.loop_function(maximize.PRESETS["none"].flags).experimental_get_tracing_count() == 1
assert (plain.final > plain.history[0] + 10).all() and np.isfinite(plain.images).all()"""),
    md("""Every class score rose a lot, and most images are classified as their class with probability
near 1. But they look like nothing: fine stripes and colour noise, "fooling images". An image that
falls short (here the ring) had its own score raised too, but another class's score rose with it:
the score objective does not ask for the other classes to go down.

Where the probability is 1, the softmax gradient has nothing left: in 32-bit floats $p_c$ is
exactly 1.0 and its weight on its own score exactly 0."""),
    code("""sat = deepvis.class_gradients(sn.model, plain.images[:1], all_shapes[0])
print("p_c =", sat["probs"][0, 0], "  d p_c / d y_c =", sat["dprob_dlogits"][0, 0],
      "  |grad p_c| / |grad y_c| =", f"{rms(sat['grad_prob'])[0] / rms(sat['grad_logit'])[0]:.1e}")
assert sat["dprob_dlogits"][0, 0] == 0.0"""),
    md(r"""## 3. The regularisers, one at a time

After each step the image passes through a regularisation operator $r_\theta$. The course's engine
keeps pixels in 0..255 and treats mid-grey (127.5) as the paper's zero (the mean image). Yosinski
et al. propose four; two more are common elsewhere:

| setting | what it does after each step | why |
|---|---|---|
| **L2 decay** $\theta_{decay}$ | $x \leftarrow \text{grey} + (1-\theta_{decay})(x - \text{grey})$ | no few extreme pixels dominate |
| **Gaussian blur** $\theta_{b\_width}$, $\theta_{b\_every}$ | blur of width $\sigma$ every $k$ steps | removes high frequencies, which excite the network but are not natural |
| **small-norm clipping** $\theta_{n\_pct}$ | pixels whose colour is nearest to grey (below the $n$-th percentile) become grey | shows only the main object |
| **small-contribution clipping** $\theta_{c\_pct}$ | pixels with small $\lvert\sum_{rgb}(x-\text{grey})\cdot\nabla y_c\rvert$ become grey | the same, using the first-order effect on the score |
| jitter | random shift by up to a few pixels before each step | the pattern must work wherever it is |
| total variation | each step also descends $\sum\lvert x_{i+1,j}-x_{i,j}\rvert + \lvert x_{i,j+1}-x_{i,j}\rvert$ | penalises differences between neighbours |

The comparison below runs every setting on the same start images (same seed), all classes as one
batch per setting. The strengths used:"""),
    code("""for label, reg in deepvis.COMPARISON.items():
    print(f"{label:>24s}: {reg.describe()}\\n{'':26s}({deepvis.COMPARISON_NOTES[label]})")
runs = deepvis.compare_regularizers(sn.model, all_shapes, steps=100)"""),
    md("""Rows: settings; columns: classes. Under each label, the mean *roughness* of the row: the mean
squared difference between neighbouring pixels relative to the image's variance
(`maximize.high_frequency_energy`: about 1 for white noise, near 0 for smooth images)."""),
    code("""deepvis.comparison_figure(runs, sn.class_names, tile_inches=1.1)
plt.show()"""),
    md("""Two measures of high-frequency energy - the roughness above, and the share of the Fourier energy
above half the Nyquist frequency (`deepvis.highpass_energy_ratio`: 0.73 for white noise, 0 for a
smooth image) - together with the probability of the intended class and the share of exactly grey
pixels:"""),
    code("""summary = {}
for label, r in runs.items():
    p = sn.predict(r.images)[all_shapes, all_shapes]
    summary[label] = (maximize.high_frequency_energy(r.images), deepvis.highpass_energy_ratio(r.images),
                      p, deepvis.grey_fraction(r.images))
    print(f"{label:>24s}: roughness {summary[label][0].mean():.2f}  high-pass {summary[label][1].mean():.2f}"
          f"  min p {p.min():.2f}  grey pixels {summary[label][3].mean():.0%}")"""),
    md("""What the measurements show:

* **Blur**, **total variation** and the **combination** remove the high frequencies: roughness and
  high-pass share drop to a fraction of the plain ascent's, for every class. Blur gives smooth
  colour blobs and edges (the triangle's slanted edge, the ring's chain of round blobs); the
  combination, which also clips, gives the most object-like fragments on a grey background.
* **L2 decay** alone smooths a little and keeps the image close to grey (small contrast; the
  display stretches it), but does not remove the fine stripes.
* The two **clippings** do not smooth at all - they *sparsify*: 20 % and 90 % of the pixels are
  exactly grey; what is left is as rough as before (with 90 % of the pixels grey, the rest are
  isolated specks). The paper combines them with blur.
* **Jitter** hardly changes ShapesNet's images: the network averages its last feature map over
  all positions, so a shift of a few pixels barely changes the score. It matters more on networks
  with strided convolutions, where it suppresses checkerboard patterns.

The checks (margin: at most 60 % of the plain ascent's value, for every class), including the
contrast left by L2 decay (RMS distance from grey):"""),
    code("""rough_none, high_none = summary["none"][0], summary["none"][1]
for label in ("blur", "total variation", "combination"):
    assert (summary[label][0] < 0.6 * rough_none).all() and (summary[label][1] < 0.6 * high_none).all(), label
assert (summary["small-norm clip"][3] >= 0.199).all() and (summary["small-contribution clip"][3] >= 0.899).all()
contrast = {k: np.sqrt(np.mean((runs[k].images - 127.5) ** 2, axis=(1, 2, 3))) for k in ("none", "L2 decay")}
assert (contrast["L2 decay"] < 0.6 * contrast["none"]).all()            # decay keeps the image near grey
assert all(np.isfinite(r.images).all() and not r.dead.any() for r in runs.values())"""),
    md(r"""## 4. The paper's settings

Yosinski et al. searched many combinations and published four (their Table 1). The course names
them `yosinski1` ... `yosinski4` in `maximize.PRESETS`; the third is the one used for most of the
paper's pictures: decay $10^{-4}$ and a blur of width 1.0 every 4 steps.

**These sets were tuned for the paper's Caffe reference network** (an AlexNet-like model, 227 px
inputs), with raw (not normalised) gradients, learning rate 100 or a "progress" schedule, and 500 to
1000 iterations. Here the gradient is normalised (each step moves the pixels by `lr` = 4 grey
levels RMS) and the number of steps is adapted - 100 on ShapesNet - so a per-step strength acts
differently: $\theta_{decay}=10^{-4}$ barely acts in 100 steps, and 0.3 per step keeps only the last
few steps' gradients. Read the presets as *the paper's style*, not as a reproduction."""),
    code("""print(f"{'preset':10s} {'decay':>7s} {'blur':>5s} {'every':>5s} {'norm%':>5s} {'contrib%':>8s} {'iters':>6s}  learning rate")
for row in deepvis.paper_table():
    print(f"{row['preset']:10s} {row['l2_decay']:7g} {row['blur_sigma']:5g} {row['blur_every']:5d} "
          f"{row['norm_pct']:5g} {row['contrib_pct']:8g} {row['iterations']:6d}  {row['learning_rate']}")
row3 = maximize.PRESETS["yosinski3"]
assert (row3.l2_decay, row3.blur_sigma, row3.blur_every) == (1e-4, 1.0, 4)      # the paper's third row"""),
    md("""The four presets on ShapesNet, 100 steps each, same start images:"""),
    code("""presets = deepvis.compare_regularizers(sn.model, all_shapes, steps=100,
                                       variants={name: name for name in deepvis.PAPER_RUNS})
deepvis.comparison_figure(presets, sn.class_names, tile_inches=1.1)
plt.show()
for name, r in presets.items():
    print(name, "probability of the intended class:", np.round(sn.predict(r.images)[all_shapes, all_shapes], 2))"""),
    md("""Row 3 (decay and a wide blur) is the smoothest; row 1 (a light blur and 50 % norm clipping) gives
blotches on grey; row 2 (strong decay and 20 % norm clipping, no blur) stays fine-grained; row 4 (a
light blur and 90 % contribution clipping) keeps only the few pixels that matter most. Not every row makes every
class win within 100 steps (see the probabilities printed under the figure).

## 5. The final images, checked

The lesson's images use the paper-style preset `yosinski3` (decay $10^{-4}$, blur 1.0 every 4 steps),
100 steps, all six classes in one batch. Three claims to check: every image is classified as its
class with probability at least 0.9, no image contains NaN, and the same seed gives the same image."""),
    code("""final = maximize.maximize_classes(sn.model, all_shapes, steps=100, preset="yosinski3", seed=0)
p_final = sn.predict(final.images)[all_shapes, all_shapes]
image_grid(maximize.deprocess_images(final.images), ncols=6, tile_inches=1.5,
           titles=[f"{sn.class_names[c]} {p:.3f}" for c, p in zip(all_shapes, p_final)])
plt.show()
print("probability of the intended class:", ", ".join(f"{n} {p:.4f}" for n, p in zip(sn.class_names, p_final)))
assert (p_final >= 0.9).all() and np.isfinite(final.images).all() and not final.dead.any()"""),
    code("""again = maximize.maximize_classes(sn.model, all_shapes, steps=100, preset="yosinski3", seed=0, progress=False)
other = maximize.maximize_classes(sn.model, all_shapes, steps=100, preset="yosinski3", seed=1, progress=False)
print("same seed, largest pixel difference:", np.abs(again.images - final.images).max())
print("seed 1, mean pixel difference:", round(float(np.abs(other.images - final.images).mean()), 1))
assert np.array_equal(again.images, final.images) and np.abs(other.images - final.images).mean() > 5"""),
    md("""Compared with the plain ascent of section 2, the regularised images are smooth **and** all six
are classified as their class. They do not look like a drawn circle or star: they show the parts the
network responds to (curved edges, corners, bar crossings) wherever they help, repeated over the
whole image, because ShapesNet averages its last feature map over all positions.

## 6. The lecture's classes on VGG16, and any class by name

With VGG16 (ImageNet weights, see notebook 00) the same call gives the lecture's pictures:
`card.demo_classes` are flamingo 130, billiard table 736 and school bus 779, at 224 px, with the
paper-style preset and 200 steps.

**How long it takes on a 2-core CPU:** one step for the three classes as one batch at 224 px takes
about **0.9 s**, measured with `deepvis.seconds_per_step` on `keras.applications.VGG16(weights=None)`
(same architecture and cost as with the real weights; compilation excluded; 0.91 and 0.95 s in two
runs on an otherwise idle 2-core machine, up to several times more while other programs ran). So the
200 steps below take about **3 minutes** (the paper's 1000 iterations would take about 15); one
class alone costs about 0.4 s per step, so the typed class of the next cell about 1.5 minutes.
With ShapesNet the cell below only says so."""),
    code("""LECTURE_STEPS = 200
if card.name == "vgg16":
    start = time.perf_counter()
    lecture = maximize.visualize_classes(card.model, card.demo_classes, steps=LECTURE_STEPS,
                                         preprocess=card.preprocess, preset="yosinski3")
    image_grid(lecture, titles=[card.class_names[c] for c in card.demo_classes], ncols=3, tile_inches=3)
    plt.show()
    print(f"{len(card.demo_classes)} classes, {LECTURE_STEPS} steps: {time.perf_counter() - start:.0f} s")
    assert lecture.shape == (len(card.demo_classes), *card.input_size, 3)
else:
    print(f"model {card.name!r}: the lecture's ImageNet classes need VGG16 (see notebook 00).")"""),
    md("""Any other class: type its name. With VGG16, `deepvis.find_class` looks it up among the 1000
ImageNet names (`helpers.imagenet.class_id`: case and spaces do not matter, and the lecture's
"billiard table" finds `pool_table`); `helpers.imagenet.search_classes("part of a name")` lists
candidates. With ShapesNet it is one of the six shapes."""),
    code("""name = "school bus" if card.name == "vgg16" else "star"          # <- type a class name here
c = deepvis.find_class(card, name)
steps = LECTURE_STEPS if card.name == "vgg16" else 100
typed = maximize.visualize_classes(card.model, [c], steps=steps, preprocess=card.preprocess, preset="yosinski3")
image_grid(typed, titles=[f"{c}: {card.class_names[c]}"], ncols=1, tile_inches=3)
plt.show()
assert typed.shape == (1, *card.input_size, 3)"""),
    md("""## 7. Explore

Search a class by name, pick a preset, tick or untick single regularisers and choose the number of
steps. The preview is redrawn every 5 steps while the ascent runs; below it the class score before
and after, the probability and the roughness. On ShapesNet every change re-runs at once; with VGG16
press **synthesise** (about 0.4 s per step for one class: 100 steps take about 40 s). The static figure under the explorer
shows, for a printed copy, the paper-style images of all six shapes (section 5) beside the plain
ascent (section 2)."""),
    code("""explorer = class_explorer(card, steps=100, preview_every=5)
explorer"""),
    code("""image_grid(np.concatenate([maximize.deprocess_images(plain.images), maximize.deprocess_images(final.images)]),
           titles=[f"plain: {n}" for n in sn.class_names] + [f"yosinski3: {n}" for n in sn.class_names],
           ncols=6, tile_inches=1.4)
plt.show()
assert (explorer.result is not None) == explorer.auto_run      # ShapesNet: ran at once; VGG16: waits"""),
    md("""## Summary

* DeepVis synthesises the input that maximises a class score by gradient ascent on the pixels.
* Maximise the score **before** the softmax: the softmax's gradient pushes the other classes down
  as much as the class up, and vanishes once the class is certain (exactly 0 in float32).
* Plain ascent finds high-frequency "fooling" patterns. Blur, total variation and their
  combinations remove the high frequencies (roughness down several-fold, measured above); the
  clippings make the image sparse instead; L2 decay keeps it near grey.
* The paper's settings (Yosinski et al. 2015, Table 1) were tuned for a Caffe AlexNet; here steps
  and learning rate are adapted. With `yosinski3`, every ShapesNet class is synthesised as an image
  the network gives that class with probability at least 0.9."""),
    code("""print(f"notebook ran in {time.perf_counter() - t_start:.0f} s")"""),
]

from exercise_cells import write_notebook  # noqa: E402  (tools/exercise_cells.py: exercises, ids, writing)

write_notebook(cells, "03_deepvis")
