"""Build notebooks/05_rnn_motivation.ipynb and notebooks/06_rnn_unrolling.ipynb.

Run from the repository root:  .venv/bin/python tools/build_rnn_notebooks.py
The notebooks are written without outputs or execution counts (nbformat v4,
kernel "python3"). Edit the cells here, not in the .ipynb files.
"""
from nbformat.v4 import new_code_cell, new_markdown_cell

from exercise_cells import write_notebook

CHECK = "# NBVAL_CHECK_OUTPUT\n"


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text, check=False):
    return new_code_cell((CHECK if check else "") + text.strip("\n"))


SETUP = """
# Setup: helpers first (it quietens TensorFlow's start-up messages), then the libraries.
import helpers.rnn as rnn
{widget_import}
import numpy as np
import keras
import matplotlib.pyplot as plt

keras.utils.set_random_seed(0)      # fixed seeds: the same run every time
np.set_printoptions(precision=3, suppress=True)
"""

# ---------------------------------------------------------------------------
# 05: why recurrent networks
# ---------------------------------------------------------------------------

NB05 = [
    md(r"""
# 05 · Why recurrent networks?

Lecture: *Sequence Modeling: Recurrent Neural Networks*, slides "Motivation" to
"Neural Networks" (the four input/output shapes).

Not every problem has inputs and outputs of a fixed size. The lecture's simplest
example: **read a string of bits and answer YES if the number of 1s is odd.**
In this notebook you will measure, rather than take on trust, that

1. a predictor that only sees a fixed window of the last $k$ bits is no better than a coin;
2. a feedforward network (an MLP) on 20-bit strings memorises its training set, fails on new
   strings, and cannot even accept a 21-bit string;
3. networks come in four shapes (one-to-one, one-to-many, many-to-one, many-to-many);
4. a small recurrent network (a GRU) trained on strings of at most 20 bits answers
   correctly for strings of 40, 100 and 200 bits.

Run the cells from top to bottom. The whole notebook takes about a minute on a laptop CPU.
"""),
    code(SETUP.format(widget_import="from helpers.widgets.rnn import parity_explorer")),
    md(r"""
## 1. The task: is the number of 1s odd?

For a bit string $x_1 x_2 \dots x_T$ define the **running parity**
$p_t = (x_1 + \dots + x_t) \bmod 2$. The answer for the whole string is $p_T$:
1 means "odd number of 1s" (YES), 0 means "even" (NO). The lecture's two examples:
"""),
    code("""
for s, expected in rnn.LECTURE_EXAMPLES.items():
    ones = int(rnn.parse_bits(s).sum())
    print(f"{s:>20}   {ones} ones  ->  {rnn.parity_answer(s)}")
    assert rnn.parity_answer(s) == expected
""", check=True),
    md(r"""
The running parity flips at every 1 and stays put at every 0. Here it is for the second
example (the ticks at the bottom mark the 1s):
"""),
    code("""
rnn.plot_running_parity("100011000000000000")
plt.title("running parity of 100011000000000000: odd at the end -> Yes")
plt.show()
"""),
    md(r"""
The answer depends on **every** bit: change any single bit, wherever it is, and the answer
flips. Keep this in mind; it is why the shortcuts below fail.
"""),
    code("""
s = rnn.parse_bits("100011000000000000")
flipped_answers = []
for i in range(len(s)):
    t = s.copy(); t[i] ^= 1                 # flip bit i
    flipped_answers.append(rnn.parity_answer(t))
print(set(flipped_answers))
assert set(flipped_answers) == {"No"}      # every single flip turns Yes into No
""", check=True),
    md(r"""
## 2. A fixed context window cannot work

Suppose a model may only look at the **last $k$ bits** (a "context window"). The best it can
possibly do is a lookup table: for each of the $2^k$ window patterns, answer whichever parity is
more frequent among strings ending in that pattern.

We compute that best accuracy two ways, for strings of $n = 20$ bits:

* **exact**: enumerate all $2^{20} = 1{,}048{,}576$ strings and count
  (`rnn.window_accuracy_exact`);
* **counted on data**: fill the table from 20,000 random strings and score it on 20,000 others
  (`rnn.window_accuracy_empirical`).
"""),
    code("""
rows = rnn.window_table(ks=(0, 1, 2, 4, 8, 12, 16, 19, 20), n=20)
print(" k | exact best accuracy | table counted on data, held-out accuracy")
for k, exact, counted in rows:
    print(f"{k:2d} | {exact:19.3f} | {counted:.3f}")
assert all(exact == 0.5 for k, exact, _ in rows if k < 20)
assert all(abs(counted - 0.5) < 0.02 for _, _, counted in rows)
""", check=True),
    md(r"""
Every window shorter than the string scores **exactly 50%**, a coin flip. Why: pair every string
with the one that differs in its first bit. Both have the same last $k$ bits (when $k < n$) but
opposite parities, so for every window pattern exactly half of the strings are odd.

A window as long as the string ($k = 20$) would be perfect in principle, but the table counted on
20,000 examples still scores 50% on new strings: it has seen only 2% of the $2^{20}$ patterns and
knows nothing about the others. And strings of 21 bits would need a new table again. This is the
lecture's "hard/impossible to choose a fixed context window".

## 3. A feedforward network has no memory

Dense and convolutional networks process the input they are shown in one go, with a fixed
number of inputs. Let us give an MLP (two hidden layers of 256 ReLU units) the 20 bits as 20
inputs, train it on 1,000 random strings (0.1% of all strings) and test it on 2,000 new ones.
"""),
    code("""
mlp, info = rnn.train_parity_mlp(n_bits=20, n_train=1000, n_test=2000, epochs=60, seed=0)
print(f"train accuracy {info['train_acc']:.3f}   test accuracy {info['test_acc']:.3f}"
      f"   ({info['seconds']:.0f} s of training)")
assert info["train_acc"] >= 0.97            # it memorised the training strings...
assert abs(info["test_acc"] - 0.5) < 0.05   # ...and learned nothing that carries over
"""),
    md(r"""
Near 100% on the training strings, near 50% on new ones: the network memorised a lookup table.
Parity is the worst case for this: two strings that differ in one bit (the most similar inputs
there are) always have opposite answers, so "similar inputs, similar outputs" never holds.

And the MLP cannot even read a string of another length: its first weight matrix has exactly 20
rows. `rnn.predict_fixed_length` checks the length first and explains; Keras itself stops with an
error from inside the first Dense layer:
"""),
    code("""
try:
    rnn.predict_fixed_length(mlp, "1" * 21)
except ValueError as err:
    print("ValueError:", err)
try:
    mlp.predict(np.ones((1, 21)), verbose=0)
except ValueError as err:
    print("\\nKeras says:", [line for line in str(err).splitlines() if "incompatible" in line][0])
print("20 bits work:", round(rnn.predict_fixed_length(mlp, "1" * 20), 3))
"""),
    md(r"""
## 4. Four shapes of problems

A feedforward network is **one-to-one**: one input, one output (a picture → "cat"). Recurrent
networks add three shapes, all from the lecture:

* **one-to-many**: image captioning, one picture → "a cat is sitting on a tree branch";
* **many-to-one**: sentiment analysis, a review of any length → negative / neutral / positive;
* **many-to-many**: translation, an English sentence → a Persian sentence of another length
  (an *encoder* RNN reads the source, its final state starts a *decoder* RNN that writes the target).

Each is a tiny runnable Keras model below (`rnn.build_shape_model`). They are untrained: only the
shapes matter here. Words are turned into integer ids by a toy tokenizer. Shapes are
(batch, steps, features); here batch = 1.
"""),
    code("""
rows = rnn.shape_demo()
for r in rows:
    print(f"{r['kind']:12s}  {r['task']}")
    print(f"{'':12s}  input {r['inputs']} -> output {r['output']}   ({r['params']} weights)")
assert [r["output"] for r in rows] == [(1, 10), (1, 8, 50), (1, 3), (1, 16, 50)]
""", check=True),
    md(r"""
The many-to-one model takes the lecture's three reviews although they have 6, 9 and 11 words:
the same weights are applied once per word. (The numbers are meaningless, it is untrained.)
"""),
    code("""
sentiment = rnn.build_shape_model("many_to_one")
for label, review in rnn.SENTIMENT_REVIEWS.items():
    ids = rnn.word_ids(review)
    probs = np.asarray(sentiment(ids))
    print(f"{label:8s} {ids.shape} -> {probs.shape}   {review}")
    assert probs.shape == (1, 3)
"""),
    md(r"""
## 5. The payoff: a recurrent network that generalises to longer strings

A recurrent network reads **one bit at a time** and carries a state $h_t$ (here 16 numbers) from
step to step: $h_t = f_W(h_{t-1}, x_t)$. The same weights $W$ are used at every step, so it can
read strings of any length. We use a GRU (a recurrent layer with gates, built into Keras),
16 units, Adam with learning rate $10^{-2}$.

**Data.** Random strings of lengths 1 to 20. A batch needs one length, so shorter strings are
**padded** with the value $-1$ (never a real bit) and a boolean **mask** marks the real steps. A
`Masking` layer tells the GRU to skip padded steps, and they get weight 0 in the loss.
The target is the running parity at every step. Three strings, padded to 8 steps:
"""),
    code("""
x, y, mask = rnn.parity_batch(3, min_len=1, max_len=8, seed=1)
print("bits (-1 = padding):\\n", x[..., 0])
print("running parity (target):\\n", y[..., 0])
print("mask (1 = real step):\\n", mask.astype(int))
assert np.all(x[~mask] == -1) and np.all(y[..., 0][mask] == np.concatenate(
    [np.cumsum(row[m]) % 2 for row, m in zip(x[..., 0], mask)]))
""", check=True),
    md(r"""
**Training** (4,000 strings, 12 passes over them, about 10-20 s on a laptop CPU):
"""),
    code("""
gru, info = rnn.train_parity_gru(units=16, lr=1e-2, n=4000, min_len=1, max_len=20,
                                 epochs=12, seed=0)
print(f"trained in {info['seconds']:.0f} s; loss per real step "
      f"{info['loss'][0]:.3f} (first epoch) -> {info['loss'][-1]:.5f} (last)")
print(gru.count_params(), "weights")
assert info["loss"][-1] < 0.01
"""),
    md(r"""
**Test on longer strings than it ever saw.** For each length, 1,000 new random strings; "final"
is the lecture's question (is the answer after the last bit right?), "every step" checks the
running answer at all steps.
"""),
    code("""
acc = {L: rnn.parity_accuracy(gru, L, n=1000) for L in (20, 40, 100, 200)}
for L, a in acc.items():
    print(f"length {L:3d}: final answer {a['final']:.1%}   every step {a['per_step']:.2%}")
assert acc[40]["final"] >= 0.99      # trained on <= 20 bits, right on 40-bit strings
assert acc[200]["final"] >= 0.97     # and still on 200-bit strings (10x the training length)
"""),
    md(r"""
Strings 10 times longer than any training string are still answered correctly almost always:
the GRU learned the rule "flip the state at every 1", not a table. (The trained weights are
real numbers, so over very long strings a state can drift and a few answers go wrong;
notebook 06 builds an RNN by hand that is exact at any length.)

### Why lengths 1..20, and why every step?

Both are a **curriculum**: short strings, and the first steps of long ones, are easy problems
whose answers teach the rule. Keep only the lecture's single YES/NO answer (loss on the last
step only) and train the same GRU twice with the same budget: once on strings of exactly 20 bits,
once on lengths 1 to 20 (about 20 s for both).
"""),
    code("""
fixed, info_fixed = rnn.train_parity_gru(n=3000, min_len=20, max_len=20, epochs=8,
                                         target="last_step", seed=0)
mixed, info_mixed = rnn.train_parity_gru(n=3000, min_len=1, max_len=20, epochs=8,
                                         target="last_step", seed=0)
acc_fixed, acc_mixed = rnn.parity_accuracy(fixed, 20), rnn.parity_accuracy(mixed, 20)
print(f"only length 20: loss {info_fixed['loss'][-1]:.4f} (guessing: ln2/20 = {np.log(2)/20:.4f}),"
      f" accuracy at length 20: {acc_fixed['final']:.1%}")
print(f"lengths 1..20:  loss {info_mixed['loss'][-1]:.4f}, accuracy at length 20: {acc_mixed['final']:.1%}")
assert abs(acc_fixed["final"] - 0.5) < 0.1 and acc_mixed["final"] >= 0.95
"""),
    md(r"""
On strings of one fixed length the loss never leaves the guessing level: the network gets one
bit of feedback per 20 bits of input and the gradient carries no usable signal
(a parity of 20 bits looks like noise until the rule is found). The short strings give a
foothold from which the rule grows to longer ones.

## 6. Try it yourself

A static view first (widgets do not show in a rendered copy of the notebook): a 60-bit string,
three times longer than any training string, with the GRU's probability that the count so far
is odd.
"""),
    code("""
bits = rnn.random_bits(1, 60, seed=7)[0]
probs = rnn.predict_parity(gru, bits)
rnn.plot_running_parity(bits, probs, label="GRU P(odd so far)")
plt.title("a 60-bit string: the GRU follows the running parity")
plt.show()
right = (probs > 0.5) == (rnn.running_parity(bits) == 1)
print(f"{right.sum()} of 60 running answers right")
assert right[-1] and right.mean() >= 0.95
"""),
    md(r"""
Now type your own strings: the table shows the running parity and the GRU's answer step by step
(up to 40 bits; longer strings show only the summary). Try the lecture's examples, a long run of
0s followed by a single 1, or a few hundred bits. Characters other than 0 and 1 get a message.
"""),
    code("""
parity_explorer(gru, "1000010101")
"""),
    md(r"""
## Summary

* Parity needs the whole string: any window shorter than the string scores exactly 50%.
* A feedforward net on 20 bits memorises (train ≈ 100%, test ≈ 50%) and cannot take 21 bits.
* Recurrent networks handle one-to-many, many-to-one and many-to-many problems.
* A 16-unit GRU trained on strings of at most 20 bits answers ≥ 99% right at 40 bits and keeps
  going at 100 and 200 bits; short strings act as a curriculum.

Next, notebook 06 opens the recurrence: what $h_t = f_W(h_{t-1}, x_t)$ means, how the loop
unrolls into one big function $g^{(t)}$, and how to train it (back-propagation through time).
"""),
]

# ---------------------------------------------------------------------------
# 06: unrolling
# ---------------------------------------------------------------------------

NB06 = [
    md(r"""
# 06 · What unrolling means

Lecture: *Recurrent Neural Networks*, the last slides:

$$h_3 = f_W(h_2, x_3) = f_W(f_W(h_1, x_2), x_3) = f_W(f_W(f_W(h_0, x_1), x_2), x_3) = g^{(3)}(x_1, x_2, x_3)$$

An RNN is a graph with a cycle (the state feeds back into the next step). **Unrolling** writes
that loop out as a chain of copies of the same function $f_W$, one per time step. In this
notebook you will

1. write $f_W$ in numpy and check that the nested call equals the loop;
2. run the same weights on sequences of 3, 18 and 10,000 steps;
3. build, by hand, an RNN that computes parity **exactly** for any length;
4. check a from-scratch RNN against `keras.layers.SimpleRNN`;
5. train it with back-propagation through time (BPTT), checked against numerical gradients;
6. look inside a trained GRU: its state encodes the running parity.

It runs in well under a minute.
"""),
    code(SETUP.format(widget_import="from helpers.widgets.rnn import timestep_explorer")),
    md(r"""
## 1. $f_W$ as a numpy function

A simple RNN (Keras's `SimpleRNN`, "Elman network") uses

$$h_t = f_W(h_{t-1}, x_t) = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b)$$

with row vectors: $x_t$ has `n_in` numbers, $h_t$ has `units` numbers,
$W_{xh}$ is (n_in, units), $W_{hh}$ is (units, units), $b$ is (units,). Below: 1 input, 3 units,
random weights.
"""),
    code("""
W_xh, W_hh, b = rnn.init_rnn_weights(n_in=1, units=3, scale=1.0, seed=0)

def f_W(h, x):
    return np.tanh(x @ W_xh + h @ W_hh + b)

h0 = np.zeros(3)
xs = np.array([[1.0], [0.0], [1.0]])        # x_1, x_2, x_3
h3_nested = f_W(f_W(f_W(h0, xs[0]), xs[1]), xs[2])
print(rnn.nested_expression(3))
print("nested call:", h3_nested)
"""),
    md(r"""
The nested call is the lecture's $g^{(3)}$. In code one never writes it out: a loop applies
`f_W` once per step and keeps every $h_t$. That loop is `rnn.rnn_forward`, which returns all the
states $h_1 \dots h_T$ as a (T, units) array; its last row must be $h_3$:
"""),
    code("""
hs = rnn.rnn_forward(xs, h0, W_xh, W_hh, b)
print("the loop:   ", hs[-1], "  all states:", hs.shape)
assert np.allclose(hs[-1], h3_nested, atol=1e-15)
"""),
    md(r"""
## 2. A cycle, unrolled

Left: the RNN as the lecture draws it, a graph with a cycle (the state goes round the loop
once per step). Right: the same computation unrolled over three steps, an ordinary feedforward
graph, with **the same $f_W$ in every box**.
"""),
    code("""
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw=dict(width_ratios=[1, 3]))
rnn.draw_rnn_cycle(axes[0])
rnn.draw_unrolled(3, ax=axes[1])
plt.show()
"""),
    md(r"""
## 3. Shared weights: any length, same parameters

$g^{(3)}$ takes 3 inputs, $g^{(18)}$ takes 18: they are different functions, but all are built
from the same $f_W$. So the number of parameters does not depend on the length. For comparison,
an MLP that reads all $T$ bits at once with 3 hidden units needs $3T$ weights in its first layer
alone.
"""),
    code("""
n_params = W_xh.size + W_hh.size + b.size
for T in (3, 18, 10_000):
    bits = rnn.random_bits(1, T, seed=T)[0]
    hs_T = rnn.rnn_forward(bits, h0, W_xh, W_hh, b)
    print(f"T = {T:6d}: states {str(hs_T.shape):11s} RNN parameters {n_params}"
          f"   (an MLP's first layer: {3 * T + 3})")
    assert hs_T.shape == (T, 3) and np.isfinite(hs_T).all()
""", check=True),
    md(r"""
The same holds in Keras: a layer built with input shape `(None, 1)` (any number of steps) has
one set of weights, `count_params()` does not mention the length, and the one model runs on all
three lengths. `rnn.keras_simple_rnn` builds such a model in float64 and copies our weights in
(Keras stores them as `[kernel, recurrent_kernel, bias]` = $[W_{xh}, W_{hh}, b]$).
"""),
    code("""
keras_model = rnn.keras_simple_rnn(W_xh, W_hh, b)        # float64, return_sequences=True
print("Keras parameters:", keras_model.count_params())
for T in (3, 18, 10_000):
    bits = rnn.random_bits(1, T, seed=T)[0]
    ours = rnn.rnn_forward(bits, h0, W_xh, W_hh, b)
    theirs = rnn.run_sequence_model(keras_model, bits[None, :, None].astype("float64"))[0]
    print(f"T = {T:6d}: max |numpy - Keras| = {np.abs(ours - theirs).max():.1e}")
    assert np.abs(ours - theirs).max() <= 1e-6
assert keras_model.count_params() == n_params
"""),
    md(r"""
## 4. numpy vs `keras.layers.SimpleRNN`, in detail

Float64 on both sides agrees to rounding error (around $10^{-16}$, far below the $10^{-6}$ we
ask for). In float32, Keras's default, the difference is float32 rounding, about $10^{-7}$: that is
the honest tolerance for a float32 comparison.
"""),
    code("""
xs_rand = np.random.default_rng(1).normal(size=(50, 1))
ours = rnn.rnn_forward(xs_rand, h0, W_xh, W_hh, b)
k64 = np.asarray(rnn.keras_simple_rnn(W_xh, W_hh, b, dtype="float64")(xs_rand[None]))[0]
k32 = np.asarray(rnn.keras_simple_rnn(W_xh, W_hh, b, dtype="float32")(xs_rand[None].astype("float32")))[0]
print(f"float64: max difference {np.abs(ours - k64).max():.1e}")
print(f"float32: max difference {np.abs(ours - k32).max():.1e}")
assert np.abs(ours - k64).max() <= 1e-6 and np.abs(ours - k32).max() <= 1e-5
"""),
    md(r"""
Three options of Keras recurrent layers, and what they return (batch of 1, 50 steps, 3 units):

* `return_sequences=True`: every $h_t$, shape (batch, T, units); `False`: only $h_T$, (batch, units);
* `return_state=True`: additionally the final state (for an LSTM, two states), e.g. to start a
  decoder as in notebook 05's translation model.
"""),
    code("""
for seqs in (True, False):
    out = rnn.keras_simple_rnn(W_xh, W_hh, b, return_sequences=seqs, return_state=True)(xs_rand[None])
    print(f"return_sequences={seqs!s:5s} return_state=True -> output {tuple(out[0].shape)},"
          f" state {tuple(out[1].shape)}")
    assert np.allclose(np.asarray(out[1])[0], ours[-1], atol=1e-12)   # the state is h_T
""", check=True),
    md(r"""
**Masking for variable lengths.** Strings of 3, 18 and 7 bits padded with $-1$ to 18 steps. With
a `Masking` layer the RNN skips padded steps and carries its state over them, so the final state
of each row equals numpy's last state on the unpadded string. Without the mask, the padding
would be read as input and change the state.
"""),
    code("""
strings = [rnn.random_bits(1, T, seed=T)[0] for T in (3, 18, 7)]
x_pad, mask = rnn.pad_bits(strings)
masked = rnn.keras_simple_rnn(W_xh, W_hh, b, return_sequences=False, masking=True)
unmasked = rnn.keras_simple_rnn(W_xh, W_hh, b, return_sequences=False, masking=False)
want = np.stack([rnn.rnn_forward(s, h0, W_xh, W_hh, b)[-1] for s in strings])
print("mask (1 = real step):\\n", mask.astype(int))
print("max difference with mask:    %.1e" % np.abs(np.asarray(masked(x_pad.astype("float64"))) - want).max())
print("max difference without mask: %.1e" % np.abs(np.asarray(unmasked(x_pad.astype("float64"))) - want).max())
assert np.allclose(np.asarray(masked(x_pad.astype("float64"))), want, atol=1e-12)
"""),
    md(r"""
## 5. An RNN built by hand that computes parity exactly

Can a tiny RNN do parity with weights we choose ourselves? The state must remember the running
parity $p_{t-1} \in \{0, 1\}$, and each step must compute $p_t = \mathrm{XOR}(p_{t-1}, x_t)$.

**XOR with two ReLUs.** Let $s = p + x \in \{0, 1, 2\}$. XOR is 1 exactly when $s = 1$.
$\mathrm{relu}(s) = s$ and $\mathrm{relu}(s - 1)$ is 1 only when $s = 2$, so

$$\mathrm{XOR}(p, x) = \mathrm{relu}(p + x) - 2\,\mathrm{relu}(p + x - 1).$$

| $p_{t-1}$ | $x_t$ | $s$ | $h_1 = \mathrm{relu}(s)$ | $h_2 = \mathrm{relu}(s-1)$ | $h_1 - 2h_2$ | XOR |
|---|---|---|---|---|---|---|
| 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 0 | 1 | 1 | 1 | 0 | 1 | 1 |
| 1 | 0 | 1 | 1 | 0 | 1 | 1 |
| 1 | 1 | 2 | 2 | 1 | 0 | 0 |

**Making it recurrent.** The state is $h_t = (h_{1,t}, h_{2,t})$, and the parity is a *linear*
read-out of it: $p_t = h_{1,t} - 2h_{2,t}$. Substituting $p_{t-1} = h_{1,t-1} - 2h_{2,t-1}$:

$$h_{1,t} = \mathrm{relu}(x_t + h_{1,t-1} - 2h_{2,t-1}), \qquad
  h_{2,t} = \mathrm{relu}(x_t + h_{1,t-1} - 2h_{2,t-1} - 1).$$

Reading off the coefficients in $h_t = \mathrm{relu}(x_t W_{xh} + h_{t-1} W_{hh} + b)$
(row $i$ of $W_{hh}$ says how $h_{i,t-1}$ feeds each unit):

$$W_{xh} = \begin{pmatrix} 1 & 1 \end{pmatrix},\quad
  W_{hh} = \begin{pmatrix} 1 & 1 \\ -2 & -2 \end{pmatrix},\quad
  b = \begin{pmatrix} 0 & -1 \end{pmatrix},\quad
  W_{hy} = \begin{pmatrix} 1 \\ -2 \end{pmatrix},\ b_y = 0,$$

starting from $h_0 = (0, 0)$, i.e. $p_0 = 0$. First the truth table, through `rnn.rnn_step`
with a state that encodes $p$ (for example $(p, 0)$):
"""),
    code("""
w = rnn.handbuilt_parity_weights()
for p in (0, 1):
    for x in (0, 1):
        h = rnn.rnn_step(np.array([p, 0.0]), np.array([x]), w["W_xh"], w["W_hh"], w["b"], rnn.relu)
        out = h @ w["W_hy"][:, 0] + w["b_y"][0]
        print(f"p={p} x={x} -> h=({h[0]:.0f}, {h[1]:.0f})  read-out {out:.0f}")
        assert out == p ^ x
""", check=True),
    md(r"""
Now a whole string, the lecture's 1000010101 (four 1s, answer No), step by step:
"""),
    code("""
table = rnn.handbuilt_parity_table("1000010101")
print(" t  x_t  h_t     parity")
for t, x_t, h1, h2, par in table:
    print(f"{t:2d}   {x_t}   ({h1}, {h2})  {par}")
assert [row[-1] for row in table] == list(np.cumsum(rnn.parse_bits("1000010101")) % 2)
""", check=True),
    md(r"""
The same weights in Keras (`rnn.handbuilt_parity_rnn()`: `SimpleRNN(2, activation="relu")` +
`Dense(1)`, nothing trained), on random strings up to 10,000 bits, compared with
`np.cumsum(bits) % 2`. Every value in the network is a small integer (0, 1 or 2), which float32
represents exactly, so there is nothing to drift: the answer is exact at every step of every length.
"""),
    code("""
hand = rnn.handbuilt_parity_rnn()
print("parameters:", hand.count_params())
for T in (1, 10, 100, 1000, 10_000):
    bits = rnn.random_bits(8, T, seed=T)
    out = rnn.run_sequence_model(hand, bits[..., None].astype("float32"))[..., 0]
    errors = int((out != np.cumsum(bits, axis=1) % 2).sum())
    print(f"8 strings of {T:6d} bits: {errors} wrong steps out of {8 * T}")
    assert errors == 0
""", check=True),
    md(r"""
Compare with notebook 05's trained GRU: its states are real numbers that only approximate two
clean values, so after hundreds of steps a few answers go wrong. Learning finds *a* solution that
works on the training lengths; exactness at every length needs the kind of structure built here.

## 6. Training by back-propagation through time (BPTT)

To train an RNN we need the gradient of a loss with respect to the shared weights. Unrolled, the
RNN is an ordinary feedforward graph, so ordinary back-propagation applies, run backwards
through the time steps. With a loss $L = \sum_t \tfrac12 \lVert h_t - y_t \rVert^2$ and
$a_t = x_t W_{xh} + h_{t-1} W_{hh} + b$:

$$\frac{dL}{dh_t} = \frac{\partial L}{\partial h_t} + \Big(\frac{dL}{dh_{t+1}} \odot (1 - h_{t+1}^2)\Big) W_{hh}^\top,
\qquad \delta_t = \frac{dL}{dh_t} \odot (1 - h_t^2),$$

$$\frac{dL}{dW_{hh}} = \sum_t h_{t-1}^\top \delta_t, \qquad
  \frac{dL}{dW_{xh}} = \sum_t x_t^\top \delta_t, \qquad \frac{dL}{db} = \sum_t \delta_t.$$

The sums over $t$ are what *shared weights* means for the gradient: each copy of $f_W$ in the
unrolled graph contributes. `rnn.rnn_bptt` implements this; `rnn.gradient_check` compares it with
central differences $(L(\theta + \epsilon) - L(\theta - \epsilon)) / 2\epsilon$ in float64, one
parameter at a time (relative error $\lVert a - n\rVert / (\lVert a\rVert + \lVert n\rVert)$):
"""),
    code("""
errors = rnn.gradient_check(T=8, n_in=2, units=4, seed=0)
for name, err in errors.items():
    print(f"dL/d{name:5s} relative error {err:.1e}")
assert max(errors.values()) <= 1e-6
"""),
    md(r"""
**Vanishing gradients (optional).** The factor $(1 - h^2) W_{hh}^\top$ is applied once per step
back in time. How much of a loss on the last state $h_{50}$ reaches earlier steps depends on the
size of $W_{hh}$: with small recurrent weights the gradient shrinks exponentially, so early inputs
barely influence learning. (This is what gated cells such as the GRU and LSTM were designed against.)
"""),
    code("""
norms = rnn.gradient_norms_over_time(T=50, units=16, scales=(0.5, 1.0, 2.0))
for scale, n in norms.items():
    plt.semilogy(np.arange(1, 51), n, label=f"recurrent weight scale {scale}")
plt.xlabel("time step t"); plt.ylabel("||dL/dh_t||  (loss on h_50)")
plt.legend(); plt.title("gradients flowing back in time"); plt.show()
assert norms[0.5][0] < 1e-6 * norms[0.5][-1]     # 49 steps back: a millionth or less
"""),
    md(r"""
## 7. Inside a trained GRU

Notebook 05's GRU learned parity from examples. Does its 16-number state contain the running
parity? We retrain it here (about 10 s), record $h_t$ on 400 new 50-bit strings, and

* fit a **linear probe**: least squares from $h_t$ to $p_t$, fitted on 200 strings, tested on
  the other 200;
* take the **first principal component** (PC1) of the states, with no labels at all, and threshold it.
"""),
    code("""
gru, info = rnn.train_parity_gru(units=16, lr=1e-2, epochs=10, seed=0)
bits = rnn.random_bits(400, 50, seed=5)
H = rnn.gru_hidden_states(gru, bits)                  # (400 strings, 50 steps, 16 units)
par = np.cumsum(bits, axis=1) % 2
H_train, H_test = H[:200].reshape(-1, 16), H[200:].reshape(-1, 16)
p_train, p_test = par[:200].ravel(), par[200:].ravel()
probe = rnn.linear_probe(H_train, p_train, H_test, p_test)
print(f"trained in {info['seconds']:.0f} s; linear probe accuracy on held-out states: {probe['test_acc']:.2%}")
assert probe["test_acc"] >= 0.99
"""),
    code("""
pcs, mean, ratios = rnn.principal_components(H_train, k=2)
z_train, z_test = (H_train - mean) @ pcs.T, (H_test - mean) @ pcs.T
pc1_acc = rnn.threshold_accuracy(z_train[:, 0], p_train, z_test[:, 0], p_test)
print(f"PC1 explains {ratios[0]:.0%} of the variance; thresholding it gives {pc1_acc:.2%}")
plt.scatter(z_test[:, 0], z_test[:, 1], c=p_test, cmap="coolwarm", s=4)
plt.xlabel("PC1"); plt.ylabel("PC2"); plt.title("GRU states h_t, coloured by running parity")
plt.show()
assert pc1_acc >= 0.95
"""),
    md(r"""
The states form two clouds, one per parity, and the direction that spreads the states most
(PC1, found without labels) separates them. Following one string over time: the probe's output
jumps at every 1, like the true running parity.
"""),
    code("""
one, h_one = bits[200], H[200]                        # a held-out string
m0, m1 = z_train[p_train == 0, 0].mean(), z_train[p_train == 1, 0].mean()
pc1_scaled = ((h_one - mean) @ pcs[0] - m0) / (m1 - m0)   # class means -> 0 and 1
fig, axes = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
rnn.plot_running_parity(one, h_one @ probe["w"] + probe["c"], ax=axes[0], label="linear probe of h_t")
rnn.plot_running_parity(one, pc1_scaled, ax=axes[1], label="PC1 of h_t (rescaled)")
plt.show()
"""),
    md(r"""
## 8. Step through time

A static picture first: the hand-built parity RNN on 1011, computed up to $t = 2$ (faded steps
are not computed yet; numbers above the boxes are $h_t$).
"""),
    code("""
w = rnn.handbuilt_parity_weights()
x4 = rnn.parse_bits("1011")
hs4 = rnn.rnn_forward(x4, np.zeros(2), w["W_xh"], w["W_hh"], w["b"], rnn.relu)
rnn.draw_unrolled(4, upto=2, xs=x4, hs=hs4)
plt.show()
print(rnn.nested_expression(2))
assert hs4[1].tolist() == [1.0, 0.0]      # after 1, 0: parity 1 = h1 - 2 h2
"""),
    md(r"""
The widget: move the slider $t$ to see $x_t$, $h_t$, the read-out and the unrolled graph computed
up to step $t$, with the nested formula for $h_t$. Type another string of up to 12 bits.
"""),
    code("""
timestep_explorer("1011")
"""),
    md(r"""
## Summary

* $f_W$ is one small function; unrolling applies it $T$ times, building $g^{(T)}$ with the same
  weights at every step: any length, a fixed number of parameters.
* Our numpy loop equals `keras.layers.SimpleRNN` (float64: ~1e-16), including `return_state` and masking.
* Two ReLU units with hand-set weights compute parity exactly for 10,000 bits.
* BPTT is back-propagation on the unrolled graph; the gradients of shared weights sum over time
  steps, and they agree with numerical gradients to about 1e-10; they can vanish over long spans.
* A trained GRU stores the running parity in its state, readable by a linear probe and even by
  the first principal component.
"""),
]


if __name__ == "__main__":
    write_notebook(NB05, "05_rnn_motivation")
    write_notebook(NB06, "06_rnn_unrolling")
