"""Writes notebooks/04_gradcam.ipynb (run: python tools/build_04_notebook.py)."""
import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = [
    md("""# 04 · Where does the network look? CAM and Grad-CAM

A convnet says *"African elephant, 92 %"*. Two questions follow:

* **Why** did it think so? Which parts of the picture pushed the score up?
* **Where** is the elephant?

A *class activation map* answers both: a heatmap over the image saying how important each location
is for one class. It helps to debug a wrong prediction and it locates the object without ever having
been trained with boxes.

**Grad-CAM** (Selvaraju et al., 2017) computes it from the last convolutional layer. Call its output
feature map $A$ (size $h \\times w$, with $k$ channels $A^k$) and the score of class $c$ *before the
softmax* $y^c$. Each channel gets a weight, the spatial mean of the gradient,

$$w_k^c = \\frac{1}{Z}\\sum_i\\sum_j \\frac{\\partial y^c}{\\partial A^k_{ij}} \\qquad (Z = h\\,w)$$

and the map is the ReLU of the weighted sum of the channels:
$L^c_{\\text{Grad-CAM}} = \\mathrm{ReLU}\\left(\\sum_k w_k^c A^k\\right)$.

In this notebook: the prediction, Grad-CAM by hand and with `helpers.cam`, the overlay, the maps of
the top-5 classes, one class across images, the localisation box, why the score is taken before the
softmax, CAM vs Grad-CAM, other methods, and a measurement of how well the maps locate objects.

The first cell loads the course model (VGG16 if its weights are available, otherwise the small
ShapesNet; see notebook 00)."""),
    code("""import time
import helpers                      # first: it quietens TensorFlow's start-up notices
import numpy as np
import matplotlib.pyplot as plt
import tensorflow as tf
import keras
from helpers import cam, shapes
from helpers.models import load_model, logits_model
from helpers.widgets.cam import cam_explorer

t_start = time.perf_counter()
keras.utils.set_random_seed(0)
card = load_model()                                   # VGG16 or ShapesNet: the card knows which
model, layer = card.model, card.last_conv_layer       # Grad-CAM's layer: the last conv layer
samples = card.sample_images()                        # dict name -> (H, W, 3) float32, 0..255
names, images = list(samples), np.stack(list(samples.values()))"""),
    md("""## 1. What does the model predict?

The three most likely classes of each sample image, with their probabilities (the model's output is a
softmax: the probabilities of an image sum to 1)."""),
    code("""for name, top in zip(names, card.top_k(images, k=3)):
    print(f"{name:>12s}: " + ", ".join(f"{n} {p:.1%}" for _, n, p in top))
probs = card.predict(images)
assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)"""),
    md("""## 2. Grad-CAM by hand

The book's listing 5.42 in today's TensorFlow, four steps:

1. a model that returns **both** the feature map $A$ of `layer` and the scores $y$ before the
   softmax (`logits_model` strips the final softmax);
2. a `GradientTape` records the forward pass, so TensorFlow can give $\\partial y^c/\\partial A$;
3. the weight of each channel is the mean of its gradient over the $h \\times w$ positions;
4. the map is the ReLU of the weighted sum of the channels."""),
    code("""grad_model = keras.Model(model.input, [model.get_layer(layer).output, logits_model(model).output])
x = card.preprocess(images[:1])
with tf.GradientTape() as tape:
    A, scores = grad_model(x)                          # A: (1, h, w, k); scores: (1, classes)
    c = int(tf.argmax(scores[0]))                      # the top-1 class
    y_c = scores[:, c]
grads = tape.gradient(y_c, A)                          # dy^c / dA, same shape as A
w = tf.reduce_mean(grads, axis=(1, 2))                 # w_k^c: one weight per channel, (1, k)
by_hand = tf.nn.relu(tf.reduce_sum(A * w[:, None, None, :], axis=-1))[0].numpy()
print(f"feature map {tuple(A.shape)} -> heatmap {by_hand.shape} for class {card.class_names[c]!r}")"""),
    md("""The book then divides by the maximum (listing 5.43: `heatmap /= np.max(heatmap)`). That is a
division by zero whenever no location has positive evidence, and the map becomes NaN.
`cam.grad_cam` does the same computation, but returns such a map as zeros with a warning. On this
image the maximum is positive, and the two must agree:"""),
    code("""heatmap = cam.grad_cam(card, images[:1])[0]           # top-1 class, values in [0, 1]
print("maximum of the hand-made map:", by_hand.max())
assert by_hand.max() > 0 and np.allclose(heatmap, by_hand / by_hand.max(), atol=1e-5)"""),
    md("""## 3. The heatmap and the overlay

The map has the resolution of the feature map (VGG16: 14 x 14; ShapesNet: 8 x 8). To superimpose it
on the picture (listing 5.44), `cam.overlay` resizes it to the image bilinearly, colours it with a
matplotlib colormap and mixes it in with weight `alpha` (0.4, as in the book)."""),
    code("""fig, axes = plt.subplots(1, 3, figsize=(9, 3))
axes[0].imshow(images[0].astype("uint8")); axes[0].set_title(names[0])
axes[1].matshow(heatmap); axes[1].set_title(f"Grad-CAM, {heatmap.shape[0]}x{heatmap.shape[1]}")
axes[2].imshow(cam.overlay(images[0], heatmap, alpha=0.4)); axes[2].set_title("overlay, alpha 0.4")
for ax in axes:
    ax.axis("off")
plt.show()
assert cam.overlay(images[0], heatmap).shape == images[0].shape"""),
    md("""## 4. The maps of the top-5 classes

As on the lecture's slide: one map per class among the five most likely. `classes="top5"` computes
them in **one** call: the convolutional part runs once, and only the small head after `layer` is
differentiated for the five classes, in one batched backward pass (`bench/bench_gradcam.py` measures
it on VGG16: several times faster than five separate calls). A class for which no location has
positive evidence gets an empty map and a warning naming it, instead of the book's division by zero."""),
    code("""maps5, ids5 = cam.grad_cam(card, images[0], "top5", return_classes=True)
titles = [f"{card.class_names[c]} {probs[0][c]:.1%}" for c in ids5]
cam.show_cams(images[0], maps5, titles=titles)
plt.show()
assert list(ids5) == [c for c, _, _ in card.top_k(images[0], k=5)[0]]"""),
    md("""## 5. One class across images

Now the other way round: one class (the top class of the first image) on every sample image. With
`normalize=False` the maps keep their raw size, so they can share one colour scale: the image that
really shows the class carries by far the most evidence for it."""),
    code("""c0 = int(probs[0].argmax())
raw = cam.grad_cam(card, images, classes=c0, normalize=False)     # (N, h, w), not rescaled
evidence = raw.max(axis=(1, 2))
print(f"class {card.class_names[c0]!r}, strongest evidence per image:", np.round(evidence, 2))
cam.show_cams(images, raw / evidence.max(), titles=names)           # one colour scale for all
plt.show()
assert evidence.argmax() == 0"""),
    md("""## 6. Where is the object? The localisation box

The Grad-CAM paper turns a map into a box: upsample it to the image, keep the pixels above **15 % of
its maximum**, take the **largest connected region** and its bounding box (`cam.heatmap_box`).

To check a box we need the true one. Photos don't come with boxes, but the synthetic shapes do, so
this part (and the measurements below) always uses **ShapesNet** on freshly generated *held-out*
shapes (a seed never used in training). White: box from the map; green: the true box."""),
    code("""sn = load_model("shapesnet", verbose=False)
held_x, held_y, held_boxes = shapes.make_shapes(500, seed=shapes.HELDOUT_SEED)
maps8 = cam.grad_cam(sn, held_x[:8], held_y[:8, None])[:, 0]       # map of the TRUE class
boxes8 = [cam.heatmap_box(m, threshold=0.15, size=sn.input_size) for m in maps8]
ious = [cam.box_iou(b, t) for b, t in zip(boxes8, held_boxes[:8])]
cam.show_cams(held_x[:8], maps8, titles=[f"IoU {v:.2f}" for v in ious], boxes=boxes8,
              true_boxes=held_boxes[:8], ncols=8)
plt.show()
assert all(v > 0 for v in ious)                      # every box finds (part of) its object"""),
    md("""The boxes find the objects but are often too large: an 8 x 8 map upsampled to 64 x 64 is
blurry, and 15 % of its maximum reaches well beyond the shape. The paper chose 15 % for ImageNet's
14 x 14 maps of large objects. Measured on the 500 held-out shapes, a higher threshold fits better:"""),
    code("""m500 = cam.grad_cam(sn, held_x, held_y[:, None])[:, 0]
mean_iou = {}
for th in (0.15, 0.3, 0.5, 0.7):
    ious = [cam.box_iou(cam.heatmap_box(m, th, size=sn.input_size), t) for m, t in zip(m500, held_boxes)]
    mean_iou[th] = float(np.mean(ious))
    print(f"threshold {th:.2f} x max: mean box IoU {mean_iou[th]:.2f}")
assert mean_iou[0.5] > mean_iou[0.15]"""),
    md("""## 7. Why the score *before* the softmax?

The probability of class $c$ is $p_c = e^{y^c} / \\sum_j e^{y^j}$, so

$$\\frac{\\partial p_c}{\\partial A} = p_c \\Big( \\frac{\\partial y^c}{\\partial A} - \\sum_j p_j
\\frac{\\partial y^j}{\\partial A} \\Big).$$

When the network is sure ($p_c \\approx 1$, all other $p_j \\approx 0$) the bracket is nearly
$\\partial y^c/\\partial A - \\partial y^c/\\partial A = 0$: the gradient **vanishes**, and what
is left mixes in the other classes. The score before the softmax has no such problem. Let us measure
it on the most confident held-out image:"""),
    code("""p_held = sn.predict(held_x)
i = int(p_held.max(axis=1).argmax())                 # the most confident held-out image
kw = dict(classes=int(p_held[i].argmax()), normalize=False)
before = cam.grad_cam(sn, held_x[i], **kw)            # y^c, the default
after = cam.grad_cam(sn, held_x[i], score="probability", **kw)
print(f"p = {p_held[i].max():.7f}: map maximum {before.max():.3g} before the softmax, "
      f"{after.max():.3g} after")
assert after.max() < 0.01 * before.max()"""),
    md("""## 8. CAM and Grad-CAM agree on a GAP + Dense model

The original **CAM** (Zhou et al., 2016) needs a particular architecture: the last feature map, then
global average pooling, then one Dense layer, $y^c = \\sum_k W_{kc} \\frac{1}{hw}\\sum_{ij} A^k_{ij}$.
Its map is $\\sum_k W_{kc} A^k$. ShapesNet is built exactly like that. Then
$\\partial y^c / \\partial A^k_{ij} = W_{kc}/(hw)$ everywhere, so Grad-CAM's weights are CAM's
divided by $h w$: the two maps are the same up to that positive factor. Grad-CAM generalises CAM to
any head (VGG16 has three Dense layers after its last conv layer: no CAM there)."""),
    code("""# NBVAL_CHECK_OUTPUT
x8, y8 = held_x[:8], held_y[:8, None]
m_cam = cam.grad_cam(sn, x8, y8, method="cam", normalize=False)
m_grad = cam.grad_cam(sn, x8, y8, method="gradcam", normalize=False)
h, w = m_cam.shape[-2:]
print(f"CAM / Grad-CAM = {m_cam.sum() / m_grad.sum():.4f};  h * w = {h * w}")
assert np.allclose(m_cam, m_grad * h * w, rtol=1e-3, atol=1e-5)"""),
    code("""try:
    cam.grad_cam(card, images[:1], method="cam")
    print(f"{card.name} has a GAP + Dense head: CAM applies")
except ValueError as err:
    print(f"CAM on {card.name}: {err}")"""),
    md("""## 9. Beyond Grad-CAM: other methods side by side

* **Grad-CAM++** (Chattopadhay et al., 2018) weights each position's positive gradient, which helps
  when several objects of a class are present (closed form of the paper's eq. 19).
* **Score-CAM** (Wang et al., 2020) uses no gradient at all: each channel, upsampled and scaled to
  [0, 1], masks the image; the weight is the class probability of the masked image. One forward pass
  per channel: slow.
* **Counterfactual** maps (Grad-CAM paper, section 3) negate the gradients: regions that speak
  *against* the class (removing them would raise its score). They may be empty: then you get a
  warning and a zero map, never NaN.
* **Guided backpropagation** (Springenberg et al., 2015) is the gradient of the score with respect
  to the pixels, where each ReLU lets only positive gradients pass: fine detail, but hardly
  class-specific. **Guided Grad-CAM** multiplies it by the upsampled Grad-CAM map: detail *and*
  class. (Computed on a clone of the model with "guided" ReLUs; your model is not modified.)"""),
    code("""x4, y4 = held_x[:4], held_y[:4, None]
maps = {m: cam.grad_cam(sn, x4, y4, method=m)[:, 0] for m in cam.METHODS}
saliency = {"guided backprop": cam.guided_backprop(sn, x4, y4)[:, 0],
            "guided Grad-CAM": cam.guided_grad_cam(sn, x4, y4)[:, 0]}
cam.show_methods(x4, maps, saliency)
plt.show()
assert all(m.shape == (4, 8, 8) and 0 <= m.min() and m.max() <= 1 for m in maps.values())"""),
    md("""## 10. How well do the maps locate the object?

Two measurements on the 500 held-out shapes, for the true class:

* the **pointing game** (Zhang et al., 2016): a hit when the map's maximum (after upsampling to the
  image) falls inside the true box;
* the **box IoU**: overlap (intersection over union) of the 15 % box with the true box.

The first row is a baseline that always points at the image centre and always answers the whole
image. Score-CAM needs one forward pass per channel (128 per image here), so it is measured on the
first 30 images only, to keep this notebook fast; `bench/bench_gradcam.py` runs it on all 500."""),
    code("""t0 = time.perf_counter()
rows = cam.localization_table(sn, held_x, held_y, held_boxes, limits={"scorecam": 30})
print(cam.format_table(rows))
print(f"({time.perf_counter() - t0:.0f} s)")
point = {r["method"]: r["pointing"] for r in rows}
assert point["gradcam"] >= 0.9 and point["gradcam"] > point["centre (baseline)"]"""),
    md("""Reading the table: CAM and Grad-CAM are the same map here (section 8), so they score the same.
Every class-specific method points inside the object far more often than the centre baseline (which
is not trivial: the shapes are often near the centre). The smooth maps give boxes that are too large
at 15 % (section 6), so their IoU is low; the guided methods, sharp at the pixel level, give tighter
boxes. The counterfactual map points *away* from the object, as it should: it shows what argues
against the class.

## 11. Debugging a mistake

The lecture's other use: when the network is wrong, compare the map of the class it predicted with
the map of the true class."""),
    code("""mistakes = np.flatnonzero(p_held.argmax(axis=1) != held_y)
print(f"{len(mistakes)} mistakes out of {len(held_y)} held-out images")
wrong = mistakes[:3]
if len(wrong):
    pairs = np.stack([p_held[wrong].argmax(axis=1), held_y[wrong]], axis=1)   # (predicted, true)
    mw = cam.grad_cam(sn, held_x[wrong], pairs)                              # (n, 2, h, w)
    titles = [f"{lbl}: {sn.class_names[c]}" for pr in pairs for lbl, c in zip(("said", "true"), pr)]
    cam.show_cams(np.repeat(held_x[wrong], 2, axis=0), mw.reshape(-1, h, w), titles=titles, ncols=6)
    plt.show()
assert len(mistakes) < 0.05 * len(held_y)"""),
    md("""## 12. Explore

Pick an image, one of its five best classes, a layer, a method and the overlay's opacity. The white
box is the 15 % box. Earlier layers give finer but less class-specific maps. (The explorer needs a
running kernel; the static figure below shows the top-1 maps of all sample images for a printed copy.)"""),
    code("""explorer = cam_explorer(card, samples, top_k=5)
explorer"""),
    code("""top1, ids1 = cam.grad_cam(card, images, return_classes=True)
boxes1 = [cam.heatmap_box(m, size=card.input_size) for m in top1]
cam.show_cams(images, top1, titles=[f"{n}: {card.class_names[c]}" for n, c in zip(names, ids1)],
              boxes=boxes1)
plt.show()
assert len(explorer.controls["class_id"].options) == min(5, card.num_classes)"""),
    md("""## Summary

* Grad-CAM weights the channels of the last conv feature map by the mean gradient of the class
  score **before the softmax**, then keeps the positive part (ReLU).
* Several classes cost about as much as one: the convolutional part runs once.
* On a GAP + Dense network, Grad-CAM *is* CAM up to a positive factor.
* The maps locate objects they were never trained to locate: on held-out shapes the peak of the
  Grad-CAM map falls inside the object in well over 90 % of the images."""),
    code("""print(f"notebook ran in {time.perf_counter() - t_start:.0f} s")"""),
]

from exercise_cells import write_notebook  # noqa: E402  (tools/exercise_cells.py: exercises, ids, writing)

write_notebook(cells, "04_gradcam")
