"""Reference solutions of the word2vec softmax homework, its case generators and its wrong formulas.

Plain numpy in float64, loaded by file path from ``rubrics/word2vec.toml`` and run in
the grader's process only (never in a student's).  Three kinds of functions live here:

- expected-value functions (``softmax``, ``cross_entropy``, ``grad_pred``, ``grad_output``),
  named by the rubric's checks and called with a case's positional arguments;
- case generators ``gen_*(rng, **params)`` returning those positional arguments;
- wrong formulas (``softmax_no_max_shift``, ``cross_entropy_log10``, ...) that reproduce the
  mistakes students make, so that a failing answer can be recognised and named.

Notation (see word2vec.md): ``predicted`` is r̂ of shape (d,), ``outputVectors`` is W of
shape (|V|, d) with one output word vector per row, ``target`` is the index i of the true
word, the scores are z = W r̂ and the prediction is ŷ = softmax(z).

Every generated number is exactly representable in float32, so that a student who casts
the inputs to float32 computes with the very numbers the reference saw; only their
arithmetic differs, and the rubric's tolerances are set for that.
"""

from __future__ import annotations

from hashlib import sha256 as _sha256

import numpy as np

# --------------------------------------------------------------------------- expected values


def softmax(x):
    """Return the softmax of each row of `x`, computed stably.

    ``softmax(x)_j = exp(x_j - max(x)) / sum_k exp(x_k - max(x))``, with the maximum taken
    over each row (the last axis), which leaves the result unchanged mathematically and
    keeps ``exp`` from overflowing.

    Parameters
    ----------
    x : array_like, shape (n,) or (m, n)
        Scores; each row is normalised on its own.

    Returns
    -------
    numpy.ndarray
        float64, the shape of `x`; every row sums to 1.

    Examples
    --------
    >>> softmax([1000.0, 1000.0]).tolist()
    [0.5, 0.5]
    >>> softmax([[1.0, 1.0], [-1000.0, -1000.0]]).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _scores(predicted, outputVectors):  # noqa: N803 - the course's names
    """Return z = W r̂ in float64."""
    return np.asarray(outputVectors, dtype=np.float64) @ np.asarray(predicted, dtype=np.float64)


def _one_hot(target, n):
    """Return y, the one-hot vector of `target` among `n` words."""
    y = np.zeros(n)
    y[int(target)] = 1.0
    return y


def cross_entropy(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """Return the cross-entropy cost of predicting word `target` from `predicted`.

    ``CE(y, ŷ) = -log ŷ_i = -w_iᵀ r̂ + log Σ_j exp(w_jᵀ r̂)``, with the log-sum-exp computed
    after subtracting the largest score, so it is finite whenever the scores are.

    Parameters
    ----------
    predicted : array_like, shape (d,)
        r̂, the predicted (center) word vector.
    target : int
        i, the index of the true output word.
    outputVectors : array_like, shape (|V|, d)
        W, one output word vector per row.
    dataset : object, optional
        Unused by the naive softmax (the course's signature has it).

    Returns
    -------
    numpy.float64
        The cost, a non-negative number.

    Examples
    --------
    >>> float(cross_entropy([1.0, 0.0], 0, [[0.0, 0.0], [0.0, 0.0]]))  # ŷ = (1/2, 1/2)
    0.6931471805599453
    """
    z = _scores(predicted, outputVectors)
    m = np.max(z)
    return np.float64(m + np.log(np.sum(np.exp(z - m))) - z[int(target)])


def grad_pred(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """Return ∂CE/∂r̂, the gradient of the cost with respect to the predicted vector.

    ``∂CE/∂r̂ = -w_i + Σ_x ŷ_x w_x = Wᵀ (ŷ - y)``.

    Parameters
    ----------
    predicted, target, outputVectors, dataset
        As for :func:`cross_entropy`.

    Returns
    -------
    numpy.ndarray
        float64, shape (d,).
    """
    w = np.asarray(outputVectors, dtype=np.float64)
    y_hat = softmax(_scores(predicted, w))
    return w.T @ (y_hat - _one_hot(target, w.shape[0]))


def grad_output(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """Return ∂CE/∂W, the gradient of the cost with respect to the output vectors.

    ``∂CE/∂W = (ŷ - y) r̂ᵀ``, the outer product: row j is ``(ŷ_j - y_j) r̂``.

    Parameters
    ----------
    predicted, target, outputVectors, dataset
        As for :func:`cross_entropy`.

    Returns
    -------
    numpy.ndarray
        float64, shape (|V|, d), the shape of `outputVectors`.
    """
    r = np.asarray(predicted, dtype=np.float64)
    w = np.asarray(outputVectors, dtype=np.float64)
    y_hat = softmax(w @ r)
    return np.outer(y_hat - _one_hot(target, w.shape[0]), r)


# --------------------------------------------------------------------------- case generators


def _f32(a):
    """Round to the nearest float32 and return float64 (exact for a float32 implementation)."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def gen_softmax(rng, shape, scale=1.0, offset=0.0, row_offsets=None):
    """Make the argument of softmax: normal scores around `offset`.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : list of int
        (n,) or (m, n).
    scale : float
        Standard deviation of the scores around their row's offset.
    offset : float
        Added to every score (1000 makes a naive ``exp`` overflow).
    row_offsets : list of float, optional
        Added to each row (a row near +1000 next to one near -1000); its length is m.

    Returns
    -------
    tuple
        ``(x,)``.
    """
    x = rng.normal(0.0, scale, size=tuple(shape)) + offset
    if row_offsets is not None:
        x = x + np.asarray(row_offsets, dtype=np.float64).reshape(-1, *([1] * (x.ndim - 1)))
    return (_f32(x),)


def _dataset(vocab):
    """Return the marker of the `dataset` argument (imported here, in the generators only)."""
    from grader.model import Dataset

    return Dataset(vocab=int(vocab))


def gen_cost(rng, vocab, dim, scale=1.0):
    """Make the arguments of the cost function: random vectors with normal entries.

    Parameters
    ----------
    rng : numpy.random.Generator
    vocab : int
        |V|, the number of output words.
    dim : int
        d, the length of a word vector.
    scale : float
        Standard deviation of the entries.

    Returns
    -------
    tuple
        ``(predicted (d,), target int, outputVectors (|V|, d), Dataset(vocab=|V|))``.
    """
    predicted = _f32(rng.normal(0.0, scale, size=dim))
    output_vectors = _f32(rng.normal(0.0, scale, size=(vocab, dim)))
    target = int(rng.integers(vocab))
    return predicted, target, output_vectors, _dataset(vocab)


def gen_cost_extreme(rng, vocab, dim, offset=768.0, spread=20.0):
    """Make cost arguments whose scores all lie near `offset` (exp overflows there).

    The first coordinate puts every score at `offset`; the others, dyadic numbers with
    few bits, move each score by up to ±`spread`.  Every product and partial sum is exact
    in float32, so an implementation in float32 computes exactly the same scores.

    Parameters
    ----------
    rng : numpy.random.Generator
    vocab : int
        |V|.
    dim : int
        d, at least 2.
    offset : float
        The common part of the scores; must be a multiple of 1/8.
    spread : float
        Largest move of a score away from `offset`.

    Returns
    -------
    tuple
        ``(predicted (d,), target int, outputVectors (|V|, d), Dataset(vocab=|V|))``.
    """
    step = 1.0 / 64.0
    lim = float(np.sqrt(spread / (dim - 1)))  # |w_jk r_k| <= lim**2, summed over d - 1 coordinates
    predicted = np.round(rng.uniform(-lim, lim, size=dim) / step) * step
    output_vectors = np.round(rng.uniform(-lim, lim, size=(vocab, dim)) / step) * step
    predicted[0] = 32.0
    output_vectors[:, 0] = offset / 32.0
    target = int(rng.integers(vocab))
    return _f32(predicted), target, _f32(output_vectors), _dataset(vocab)


# --------------------------------------------------------------------------- wrong formulas (named mistakes)
#
# Each reproduces one mistake of word2vec.md and is called with a case's arguments.  They
# keep the dtype of their inputs (mistakes.py calls them in float32 too, to reproduce a
# float32 student's overflow), and may return nan/inf: that is the point of some.


def _float(a):
    """Return `a` as a floating array, keeping float32 as float32."""
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def softmax_no_max_shift(x):
    """Softmax without subtracting the maximum: ``exp(x) / Σ exp(x)`` (overflows for large x)."""
    x = _float(x)
    with np.errstate(all="ignore"):
        e = np.exp(x)
        return e / np.sum(e, axis=-1, keepdims=True)


def softmax_global_max(x):
    """Softmax shifted by one maximum for the whole matrix instead of each row's own."""
    x = _float(x)
    with np.errstate(all="ignore"):
        e = np.exp(x - np.max(x))
        return e / np.sum(e, axis=-1, keepdims=True)


def softmax_whole_matrix(x):
    """Softmax with one maximum and one sum for the whole matrix: ``exp(x - max(x)) / Σ_all exp(...)``
    (a 1-D input is right; the rows of a matrix together sum to 1)."""
    x = _float(x)
    with np.errstate(all="ignore"):
        e = np.exp(x - np.max(x))
        return e / np.sum(e)


def softmax_wrong_axis(x):
    """Softmax normalised over the columns (axis 0) of a matrix instead of its rows."""
    x = _float(x)
    with np.errstate(all="ignore"):
        e = np.exp(x - np.max(x, axis=0, keepdims=True))
        return e / np.sum(e, axis=0, keepdims=True)


def _naive_y_hat(predicted, outputVectors):  # noqa: N803
    """Return W, r̂, ŷ with ŷ computed without the max-shift (in the inputs' dtype)."""
    r, w = _float(predicted), _float(outputVectors)
    with np.errstate(all="ignore"):
        return w, r, softmax_no_max_shift(w @ r)


def cross_entropy_no_max_shift(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """The cost ``-log ŷ_i`` with ŷ computed without the max-shift."""
    _, _, y_hat = _naive_y_hat(predicted, outputVectors)
    with np.errstate(all="ignore"):
        return -np.log(y_hat[int(target)])


def grad_pred_no_max_shift(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """``Wᵀ (ŷ - y)`` with ŷ computed without the max-shift."""
    w, _, y_hat = _naive_y_hat(predicted, outputVectors)
    with np.errstate(all="ignore"):
        return w.T @ (y_hat - _one_hot(target, w.shape[0]).astype(y_hat.dtype))


def grad_output_no_max_shift(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """``(ŷ - y) r̂ᵀ`` with ŷ computed without the max-shift."""
    w, r, y_hat = _naive_y_hat(predicted, outputVectors)
    with np.errstate(all="ignore"):
        return np.outer(y_hat - _one_hot(target, w.shape[0]).astype(y_hat.dtype), r)


def cross_entropy_log10(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """The cost with ``log10`` in place of the natural log: ``-log10 ŷ_i``."""
    return cross_entropy(predicted, target, outputVectors) / np.log(10.0)


def cross_entropy_log2(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """The cost with ``log2`` in place of the natural log: ``-log2 ŷ_i``."""
    return cross_entropy(predicted, target, outputVectors) / np.log(2.0)


def cross_entropy_wrong_entry(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """The log of a wrong entry of ŷ: each of ``-log ŷ_j`` for j the most likely word, i - 1 and i + 1.

    Returns a tuple of alternatives (any one of them is this mistake); an entry equal to
    the target's own is left out.
    """
    z = _scores(predicted, outputVectors)
    log_y_hat = z - (np.max(z) + np.log(np.sum(np.exp(z - np.max(z)))))
    i, n = int(target), z.shape[0]
    wrong = []
    for j in (int(np.argmax(z)), i - 1, (i + 1) % n):  # i - 1 = -1 is the last word in Python
        if j % n != i and j % n not in wrong:
            wrong.append(j % n)
    return tuple(np.float64(-log_y_hat[j]) for j in wrong)


def grad_pred_no_target_term(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """∂CE/∂r̂ without its ``-w_i`` term: ``Wᵀ ŷ``."""
    w = np.asarray(outputVectors, dtype=np.float64)
    return w.T @ softmax(_scores(predicted, w))


def grad_pred_unnormalised(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """∂CE/∂r̂ with ``exp(z)`` in place of ŷ: ``Wᵀ (exp(z) - y)``."""
    w = np.asarray(outputVectors, dtype=np.float64)
    with np.errstate(all="ignore"):
        return w.T @ (np.exp(_scores(predicted, w)) - _one_hot(target, w.shape[0]))


def grad_output_no_target_term(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """∂CE/∂W without its ``-y`` term: ``ŷ r̂ᵀ``."""
    r = np.asarray(predicted, dtype=np.float64)
    return np.outer(softmax(_scores(r, outputVectors)), r)


def grad_output_target_row_only(predicted, target, outputVectors, dataset=None):  # noqa: N803
    """∂CE/∂W with only the target's row filled: row i is ``(ŷ_i - 1) r̂``, every other row 0."""
    full = grad_output(predicted, target, outputVectors)
    only = np.zeros_like(full)
    only[int(target)] = full[int(target)]
    return only


# =========================================================================== q2: sigmoid, gradcheck,
# neural network; sgd; q4 (the whole problem set: rubrics/problem-set.toml)
#
# Functions students write in q2_sigmoid.py, q2_neural.py, q3_sgd.py (sgd.py in CS224n a2)
# and q4_softmaxreg.py.  Arguments that are not arrays (a function f, a dict of tokens, a
# list of words, the network's dimensions) are ``grader.model.Built`` markers: built in the
# student's process from their ``data``, and read from it here.  gradcheck_naive has no
# expected value: it is judged by behaviour (grader/behaviour.py); its cases are made here.


def _built(kind, **data):
    """Return the marker of an argument built in the student's process (imported in generators only)."""
    from grader.model import Built

    return Built(kind=kind, data=data)


def _data(arg, key, default=None):
    """Return ``arg.data[key]`` for a Built marker (plain values pass through)."""
    data = getattr(arg, "data", None)
    return data.get(key, default) if data is not None else default


def sigmoid(x):
    """Return 1 / (1 + exp(-x)) elementwise, in float64, without overflow for any x.

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(s):
    """Return the sigmoid's derivative given its value ``s = sigmoid(x)``: ``s (1 - s)``."""
    s = np.asarray(s, dtype=np.float64)
    return s * (1.0 - s)


def gen_sigmoid(rng, shape, scale=1.0, values=None):
    """Make the argument of sigmoid: normal numbers of standard deviation `scale`, or `values` as given.

    Returns
    -------
    tuple
        ``(x,)``.
    """
    if values is not None:
        return (_f32(np.asarray(values, dtype=np.float64).reshape(shape)),)
    return (_f32(rng.normal(0.0, scale, size=tuple(shape))),)


def gen_sigmoid_grad(rng, shape, scale=2.0):
    """Make the argument of sigmoid_grad: ``s = sigmoid(x)`` for normal x (values in (0, 1)).

    Returns
    -------
    tuple
        ``(s,)``.
    """
    return (_f32(sigmoid(rng.normal(0.0, scale, size=tuple(shape)))),)


def sigmoid_exp_ratio(x):
    """The unstable form ``exp(x) / (1 + exp(x))``: inf / inf = nan for large x."""
    x = _float(x)
    with np.errstate(all="ignore"):
        e = np.exp(x)
        return e / (1.0 + e)


def sigmoid_sign_flipped(x):
    """``1 / (1 + exp(x))``: the sign inside exp flipped, which is sigmoid(-x) = 1 - sigmoid(x)."""
    return sigmoid(-np.asarray(x, dtype=np.float64))


def sigmoid_grad_on_x(s):
    """sigmoid_grad computed as if its argument were x: ``sigmoid(s) (1 - sigmoid(s))``."""
    g = sigmoid(s)
    return g * (1.0 - g)


def sigmoid_grad_sign_flipped(s):
    """``s (s - 1)``: the derivative with the wrong sign."""
    return -sigmoid_grad(s)


# ---- q2_neural: forward_backward_prop(data, labels, params, dimensions)


def _unpack(params, dimensions):
    """Return W1 (Dx, H), b1 (1, H), W2 (H, Dy), b2 (1, Dy), in the starter's order."""
    dx, h, dy = (int(v) for v in _data(dimensions, "values", dimensions))
    p = np.asarray(params, dtype=np.float64)
    o = 0
    w1 = p[o:o + dx * h].reshape(dx, h)
    o += dx * h
    b1 = p[o:o + h].reshape(1, h)
    o += h
    w2 = p[o:o + h * dy].reshape(h, dy)
    o += h * dy
    b2 = p[o:o + dy].reshape(1, dy)
    return w1, b1, w2, b2


def _network(data, labels, params, dimensions, mean=False, grad_on_z=False, order="C", sgrad_twice=False):
    """The cost and flat gradient of the one-hidden-layer network (summed over the batch, or `mean`)."""
    x = np.asarray(data, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    w1, b1, w2, b2 = _unpack(params, dimensions)
    z1 = x @ w1 + b1
    h = sigmoid(z1)
    scores = h @ w2 + b2
    m = np.max(scores, axis=1, keepdims=True)
    log_p = scores - m - np.log(np.sum(np.exp(scores - m), axis=1, keepdims=True))
    n = x.shape[0] if mean else 1
    cost = -np.sum(y * log_p) / n
    delta2 = (np.exp(log_p) - y) / n
    gw2 = h.T @ delta2
    gb2 = delta2.sum(axis=0)
    if grad_on_z:
        local = sigmoid_grad(z1)
    elif sgrad_twice:  # the student's sigmoid_grad applies the sigmoid again: sigmoid(h) (1 - sigmoid(h))
        local = sigmoid_grad_on_x(h)
    else:
        local = h * (1.0 - h)
    delta1 = (delta2 @ w2.T) * local
    gw1 = x.T @ delta1
    gb1 = delta1.sum(axis=0)
    grad = np.concatenate([gw1.flatten(order), gb1.ravel(), gw2.flatten(order), gb2.ravel()])
    return np.float64(cost), grad


def neural_cost(data, labels, params, dimensions):
    """The cross-entropy cost of the network, summed over the batch."""
    return _network(data, labels, params, dimensions)[0]


def neural_grad(data, labels, params, dimensions):
    """The flat gradient (W1, b1, W2, b2 in the starter's order) of the summed cost."""
    return _network(data, labels, params, dimensions)[1]


def neural_cost_mean(data, labels, params, dimensions):
    """The cost averaged over the batch (the starters accept it when the gradient is averaged too)."""
    return _network(data, labels, params, dimensions, mean=True)[0]


def neural_grad_mean(data, labels, params, dimensions):
    """The flat gradient of the averaged cost."""
    return _network(data, labels, params, dimensions, mean=True)[1]


def neural_grad_sigmoid_on_z(data, labels, params, dimensions):
    """Mistake: sigmoid_grad applied to the hidden layer's input z (not its output h), summed."""
    return _network(data, labels, params, dimensions, grad_on_z=True)[1]


def neural_grad_mean_sigmoid_on_z(data, labels, params, dimensions):
    """Mistake: sigmoid_grad applied to z, averaged."""
    return _network(data, labels, params, dimensions, mean=True, grad_on_z=True)[1]


def neural_grad_own_sigmoid_grad_on_x(data, labels, params, dimensions):
    """Right backpropagation through a sigmoid_grad that takes x (the sigmoid-grad-on-x mistake), summed."""
    return _network(data, labels, params, dimensions, sgrad_twice=True)[1]


def neural_grad_mean_own_sigmoid_grad_on_x(data, labels, params, dimensions):
    """Right backpropagation through a sigmoid_grad that takes x, averaged."""
    return _network(data, labels, params, dimensions, mean=True, sgrad_twice=True)[1]


def neural_grad_transposed(data, labels, params, dimensions):
    """Mistake: the weight gradients flattened transposed (column by column), summed."""
    return _network(data, labels, params, dimensions, order="F")[1]


def neural_grad_mean_transposed(data, labels, params, dimensions):
    """Mistake: the weight gradients flattened transposed, averaged."""
    return _network(data, labels, params, dimensions, mean=True, order="F")[1]


def gen_neural(rng, n, dx, h, dy, scale=1.0):
    """Make the arguments of forward_backward_prop: data (n, dx), one-hot labels (n, dy), flat params.

    Returns
    -------
    tuple
        ``(data, labels, params, dimensions)``, dimensions a list [dx, h, dy] built in the
        student's process.
    """
    data = _f32(rng.normal(0.0, scale, size=(n, dx)))
    labels = np.zeros((n, dy))
    labels[np.arange(n), rng.integers(dy, size=n)] = 1.0
    params = _f32(rng.normal(0.0, scale, size=(dx + 1) * h + (h + 1) * dy))
    return data, labels, params, _built("list", values=[int(dx), int(h), int(dy)])


# ---- gradcheck_naive(f, x): judged by behaviour; the cases hand over built functions


def gen_gradcheck(rng, shape, grad="right", noise=0.0, perturb=0.0, curvature=2.0):
    """Make the arguments of gradcheck_naive: a quadratic f built in the student's process and a point x.

    ``f(x) = 0.5 * sum(a * (x - c)**2)`` (+ ``noise * random.random()``), with the gradient
    ``a * (x - c)`` ("right"), all zeros ("zeros"), or with ``perturb`` added to one element
    ("wrong").  The point is at least 0.5 away from c, so a wrong gradient is far off.
    """
    shape = tuple(shape)
    a = _f32(curvature * (0.5 + rng.random(size=shape)))
    c = _f32(rng.normal(0.0, 1.0, size=shape))
    x = _f32(c + np.where(rng.random(size=shape) < 0.5, -1.0, 1.0) * (0.5 + rng.random(size=shape)))
    size = int(np.prod(shape)) if shape else 1
    f = _built("function", a=a, c=c, grad=grad, noise=float(noise), perturb=float(perturb),
               index=int(rng.integers(size)))
    return f, x


# ---- sgd(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10)


def gen_sgd(rng, x0, step, iterations, curvature=2.0, center=0.0, shape=None, factor=None, start=None,
            anneal_every=20000):
    """Make the arguments of sgd: a quadratic f, x0 and the loop's settings.

    With `shape`, x0 and the quadratic are random arrays of that shape (x0 is the scale);
    otherwise x0 is the number given (the starter's own checks start from 0.5, 0.0, -1.5).
    `factor`: a postprocessing ``x -> factor * x``.  `start`: useSaved, with the starter's
    helpers answering that the run was saved at iteration `start` (at the point x0).
    PRINT_EVERY is past the last iteration: the starter's print of a stub's None cost
    must not hide that the loop is empty.
    """
    if shape is not None:
        shape = tuple(shape)
        a = _f32(curvature * (0.5 + rng.random(size=shape)))
        c = _f32(rng.normal(0.0, 1.0, size=shape) * center)
        x = _f32(rng.normal(0.0, x0, size=shape))
    else:
        a, c, x = float(curvature), float(center), float(x0)
    f = _built("function", a=a, c=c, anneal_every=int(anneal_every))
    post = _built("postprocess", factor=float(factor)) if factor is not None else None
    saved = _built("use-saved", start=int(start), x=x) if start is not None else False
    return f, x, float(step), int(iterations), post, saved, int(iterations) + 1


def _sgd_run(f, x0, step, iterations, postprocessing, useSaved, print_every, *, before=False,
             floor=True, anneal=True, sign=1.0, anneal_every=20000):
    """Simulate the starter's sgd loop in float64 on the built quadratic."""
    a = np.asarray(_data(f, "a", 1.0), dtype=np.float64)
    c = np.asarray(_data(f, "c", 0.0), dtype=np.float64)
    factor = _data(postprocessing, "factor", None) if postprocessing is not None else None
    post = (lambda v: v * float(factor)) if factor is not None else (lambda v: v)
    start = 0
    x = np.array(x0, dtype=np.float64)
    if useSaved is not False and useSaved is not None:
        start = int(_data(useSaved, "start", 0))
        if start > 0:
            x = np.array(_data(useSaved, "x", x0), dtype=np.float64)
            step = step * 0.5 ** (start // anneal_every if floor else start / anneal_every)
    for it in range(start + 1, int(iterations) + 1):
        if before:
            x = post(x)
        x = x - sign * step * (a * (x - c))
        if not before:
            x = post(x)
        if anneal and it % anneal_every == 0:
            step *= 0.5
    return x


def sgd_post_after(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """The point sgd reaches, postprocessing applied after each step (the starter's comment)."""
    return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY,
                    anneal_every=_anneal_every(f))


def sgd_post_before(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """The point sgd reaches, postprocessing applied before each evaluation of f."""
    return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY, before=True,
                    anneal_every=_anneal_every(f))


def sgd_resumed_floor(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """Resumed with useSaved, the step annealed by 0.5 ** (start // ANNEAL_EVERY) (Python 2's division)."""
    return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY,
                    anneal_every=_anneal_every(f))


def sgd_resumed_true(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """Resumed with useSaved, the step annealed by 0.5 ** (start / ANNEAL_EVERY) (Python 3's division)."""
    return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY, floor=False,
                    anneal_every=_anneal_every(f))


def sgd_wrong_sign(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """Mistake: x += step * grad (uphill)."""
    with np.errstate(all="ignore"):
        return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY, sign=-1.0,
                        anneal_every=_anneal_every(f))


def sgd_wrong_sign_before(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """Mistake: x += step * grad (uphill), postprocessing applied before each evaluation of f."""
    with np.errstate(all="ignore"):
        return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY, sign=-1.0, before=True,
                        anneal_every=_anneal_every(f))


def sgd_no_anneal(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """Mistake: the step is never halved every ANNEAL_EVERY iterations."""
    return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY, anneal=False,
                    anneal_every=_anneal_every(f))


def sgd_wrong_sign_true(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """Mistake: x += step * grad, resumed with Python 3's division."""
    with np.errstate(all="ignore"):
        return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY, sign=-1.0, floor=False,
                        anneal_every=_anneal_every(f))


def sgd_no_anneal_true(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """Mistake: the step is never halved, resumed with Python 3's division."""
    return _sgd_run(f, x0, step, iterations, postprocessing, useSaved, PRINT_EVERY, anneal=False, floor=False,
                    anneal_every=_anneal_every(f))


def sgd_no_postprocessing(f, x0, step, iterations, postprocessing=None, useSaved=False, PRINT_EVERY=10):  # noqa: N803
    """Mistake: postprocessing is never applied."""
    return _sgd_run(f, x0, step, iterations, None, useSaved, PRINT_EVERY, anneal_every=_anneal_every(f))


def _anneal_every(f):
    """The ANNEAL_EVERY of the case (kept in the built function's data; the starter's 20000 by default)."""
    return int(_data(f, "anneal_every", 20000))


# ---- q4_softmaxreg (CS224d 2016): getSentenceFeature, softmaxRegression


def sentence_feature(tokens, wordVectors, sentence):  # noqa: N803
    """The average of the sentence's word vectors."""
    idx = [int(i) for i in np.asarray(_data(sentence, "indices", [])).reshape(-1)]
    return np.asarray(wordVectors, dtype=np.float64)[idx].mean(axis=0)


def sentence_feature_sum(tokens, wordVectors, sentence):  # noqa: N803
    """Mistake: the sum of the word vectors, not their average."""
    idx = [int(i) for i in np.asarray(_data(sentence, "indices", [])).reshape(-1)]
    return np.asarray(wordVectors, dtype=np.float64)[idx].sum(axis=0)


def sentence_feature_unique(tokens, wordVectors, sentence):  # noqa: N803
    """Mistake: each distinct word counted once (a repeated word should count every time)."""
    idx = sorted({int(i) for i in np.asarray(_data(sentence, "indices", [])).reshape(-1)})
    return np.asarray(wordVectors, dtype=np.float64)[idx].mean(axis=0)


def gen_sentence(rng, vocab, dim, length, scale=1.0):
    """Make getSentenceFeature's arguments: tokens {"w0": 0, ...}, word vectors (vocab, dim), a sentence.

    The sentence repeats a word on purpose (a word counts as often as it occurs).
    """
    vectors = _f32(rng.normal(0.0, scale, size=(vocab, dim)))
    idx = [int(i) for i in rng.integers(vocab, size=length - 1)]
    idx.insert(int(rng.integers(length)), idx[0])
    return _built("tokens", vocab=int(vocab)), vectors, _built("words", indices=idx)


def _softmaxreg(features, labels, weights, regularization=0.0, *, average=True, reg_grad=1.0):
    x = np.asarray(features, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    y = np.asarray(labels).astype(np.int64)
    n = x.shape[0]
    scores = x @ w
    p = softmax(scores)
    cost = -np.sum(np.log(p[np.arange(n), y])) / n + 0.5 * regularization * np.sum(w * w)
    d = p.copy()
    d[np.arange(n), y] -= 1.0
    grad = x.T @ d / (n if average else 1) + reg_grad * regularization * w
    return np.float64(cost), grad, np.argmax(scores, axis=1)


def softmaxreg_cost(features, labels, weights, regularization=0.0):
    """The mean cross-entropy plus 0.5 * regularization * |W|^2 (the starter's cost)."""
    return _softmaxreg(features, labels, weights, regularization)[0]


def softmaxreg_grad(features, labels, weights, regularization=0.0):
    """Xᵀ(P - Y) / N + regularization * W."""
    return _softmaxreg(features, labels, weights, regularization)[1]


def softmaxreg_pred(features, labels, weights, regularization=0.0):
    """The predicted class of each row: argmax of its scores."""
    return _softmaxreg(features, labels, weights, regularization)[2]


def softmaxreg_grad_not_averaged(features, labels, weights, regularization=0.0):
    """Mistake: Xᵀ(P - Y) not divided by N (the cost is averaged)."""
    return _softmaxreg(features, labels, weights, regularization, average=False)[1]


def softmaxreg_grad_no_reg(features, labels, weights, regularization=0.0):
    """Mistake: the regularization term's gradient, regularization * W, left out."""
    return _softmaxreg(features, labels, weights, regularization, reg_grad=0.0)[1]


def softmaxreg_grad_half_reg(features, labels, weights, regularization=0.0):
    """Mistake: 0.5 * regularization * W (the gradient of 0.5 |W|^2 is W)."""
    return _softmaxreg(features, labels, weights, regularization, reg_grad=0.5)[1]


def gen_softmaxreg(rng, n, dim, classes, regularization, scale=1.0):
    """Make softmaxRegression's arguments: features (n, dim), integer labels (n,), weights (dim, classes)."""
    features = _f32(rng.normal(0.0, scale, size=(n, dim)))
    labels = rng.integers(classes, size=n).astype(np.int64)
    weights = _f32(0.1 * rng.normal(0.0, 1.0, size=(dim, classes)))
    return features, labels, weights, float(regularization)


# --------------------------------------------------------------------------- (end of the q2 / sgd / q4 part)
#
#
# =========================================================================== q3: normalizeRows,
# negative sampling, skip-gram, CBOW (the whole problem set: rubrics/problem-set.toml)

#
# Functions of q3_word2vec.py (CS224d 2016, CS224n 2017/2018) / word2vec.py (a2) beyond the
# naive softmax.  Notation as above: v = r̂ the predicted (center) vector, U = W the output
# vectors (one per row), o = the target, σ the sigmoid.  Negative sampling's expected values
# depend on what a student drew: its functions read the draws from the `dataset` argument
# of a case *resolved* on them (``Dataset.drawn`` and ``Dataset.convention``, set in the
# grader's process by grader/sampling.py).  Skip-gram and CBOW take the cost function as a
# marker (``CostFn``): the student's own (the reference uses the naive softmax cost above)
# or a table of the grader's (the reference reads the same table).


def normalize_rows(x):
    """Return `x` with each row scaled to unit Euclidean length.

    Parameters
    ----------
    x : array_like, shape (m, n)

    Returns
    -------
    numpy.ndarray
        float64, shape (m, n); ``sqrt(sum(row ** 2)) == 1`` for every row.

    Examples
    --------
    >>> normalize_rows([[3.0, 4.0], [1.0, 2.0]]).round(8).tolist()
    [[0.6, 0.8], [0.4472136, 0.89442719]]
    """
    x = np.asarray(x, dtype=np.float64)
    return x / np.sqrt(np.sum(x * x, axis=-1, keepdims=True))


def normalize_columns(x):
    """The mistake: each column scaled to unit length instead of each row."""
    x = _float(x)
    with np.errstate(all="ignore"):
        return x / np.sqrt(np.sum(x * x, axis=0, keepdims=True))


def normalize_whole_matrix(x):
    """The mistake: the whole matrix divided by its own (Frobenius) norm, not each row by its length."""
    x = _float(x)
    with np.errstate(all="ignore"):
        return x / np.sqrt(np.sum(x * x))


def gen_rows(rng, shape, scale=1.0, row_scales=None):
    """Make the argument of normalizeRows: normal entries, each row optionally scaled.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : list of int
        (m, n).
    scale : float
        Standard deviation of the entries.
    row_scales : list of float, optional
        Multiplies each row (rows of very different lengths); its length is m.

    Returns
    -------
    tuple
        ``(x,)``.
    """
    x = rng.normal(0.0, scale, size=tuple(shape))
    if row_scales is not None:
        x = x * np.asarray(row_scales, dtype=np.float64).reshape(-1, 1)
    return (_f32(x),)


# ----------------------------------------------------------------- negative sampling


def _log_sigmoid(x):
    """Return log σ(x) = -log(1 + exp(-x)), finite for every finite x."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def _sigmoid(x):
    """Return σ(x) = 1 / (1 + exp(-x)) without overflow."""
    return np.exp(_log_sigmoid(x))


def negatives(dataset, target, K=10, convention=None):  # noqa: N803
    """Return the negative samples a student used, from the draws recorded in `dataset`.

    "reject": the draws not equal to the target, the first K of them (getNegativeSamples of
    2017+ draws again when it draws the target); "use": the first K draws, the target
    included where it was drawn (2016's wording allows it).

    >>> from types import SimpleNamespace as D
    >>> negatives(D(drawn=(1, 3, 1, 4), convention="reject"), 1, K=2)
    [3, 4]
    >>> negatives(D(drawn=(1, 3, 1, 4), convention="use"), 1, K=2)
    [1, 3]
    """
    drawn = tuple(getattr(dataset, "drawn", None) or ())
    convention = convention or getattr(dataset, "convention", "") or "reject"
    if convention == "use":
        return [int(d) for d in drawn[: int(K)]]
    return [int(d) for d in drawn if int(d) != int(target)][: int(K)]


def _negsamp(predicted, target, outputVectors, dataset, K=10, *, convention=None, sign=1.0,  # noqa: N803
             accumulate=True):
    """Cost, gradient for v and for U of negative sampling on the recorded negatives.

    ``sign=-1`` gives the negatives' terms the wrong sign (σ(u_k·v) in place of σ(-u_k·v));
    ``accumulate=False`` counts each distinct negative once in the gradient for U (what
    ``grad[idx] += ...`` with repeated indices does); ``accumulate="assign"`` sets each negative's
    row instead (``grad[k] = ...`` in a loop: the last draw's term, over the target's own when the
    target was drawn and used).
    """
    v = np.asarray(predicted, dtype=np.float64).reshape(-1)
    u = np.asarray(outputVectors, dtype=np.float64)
    o = int(target)
    negs = negatives(dataset, o, K, convention)
    z_o = float(u[o] @ v)
    cost = -_log_sigmoid(z_o)
    grad_pred = (_sigmoid(z_o) - 1.0) * u[o]
    grad = np.zeros_like(u)
    grad[o] += (_sigmoid(z_o) - 1.0) * v
    for k in negs:
        z = -sign * float(u[k] @ v)  # correct: σ(-u_k·v)
        cost -= _log_sigmoid(z)
        coef = (1.0 - _sigmoid(z)) * sign  # d(-log σ(-s u_k·v))/d(u_k·v) = s (1 - σ(-s u_k·v))
        grad_pred = grad_pred + coef * u[k]
    for k in (negs if accumulate else sorted(set(negs))):
        z = -sign * float(u[k] @ v)
        if accumulate == "assign":
            grad[k] = (1.0 - _sigmoid(z)) * sign * v
        else:
            grad[k] += (1.0 - _sigmoid(z)) * sign * v
    return np.float64(cost), grad_pred, grad


def negsamp_cost(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """The negative-sampling cost ``-log σ(u_oᵀv) - Σ_k log σ(-u_kᵀv)`` over the drawn negatives.

    Duplicates among the negatives count once each time they were drawn.
    """
    return _negsamp(predicted, target, outputVectors, dataset, K)[0]


def negsamp_grad_pred(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """∂J/∂v = (σ(u_oᵀv) - 1) u_o + Σ_k σ(u_kᵀv) u_k."""
    return _negsamp(predicted, target, outputVectors, dataset, K)[1]


def negsamp_grad_output(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """∂J/∂U: row o is (σ(u_oᵀv) - 1) v; row k gets σ(u_kᵀv) v once per time k was drawn."""
    return _negsamp(predicted, target, outputVectors, dataset, K)[2]


def negsamp_cost_target_used(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """The cost with draws equal to the target used as negatives (not rejected)."""
    return _negsamp(predicted, target, outputVectors, dataset, K, convention="use")[0]


def negsamp_grad_pred_target_used(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """∂J/∂v with draws equal to the target used as negatives."""
    return _negsamp(predicted, target, outputVectors, dataset, K, convention="use")[1]


def negsamp_grad_output_target_used(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """∂J/∂U with draws equal to the target used as negatives."""
    return _negsamp(predicted, target, outputVectors, dataset, K, convention="use")[2]


def negsamp_grad_output_no_accumulate(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """∂J/∂U with each distinct negative counted once: ``grad[idx] += ...`` with repeated idx, or
    ``grad[k] = ...`` in a loop (which, where the target was drawn and used, also loses the
    target's own term: then both, as alternatives)."""
    added = _negsamp(predicted, target, outputVectors, dataset, K, accumulate=False)[2]
    assigned = _negsamp(predicted, target, outputVectors, dataset, K, accumulate="assign")[2]
    return added if np.array_equal(added, assigned) else (added, assigned)


def negsamp_cost_neg_sign(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """The cost with -log σ(u_kᵀv) for the negatives instead of -log σ(-u_kᵀv)."""
    return _negsamp(predicted, target, outputVectors, dataset, K, sign=-1.0)[0]


def negsamp_grad_pred_neg_sign(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """∂J/∂v with the negatives' terms of the wrong sign: (σ(u_oᵀv) - 1) u_o - Σ_k σ(-u_kᵀv) u_k."""
    return _negsamp(predicted, target, outputVectors, dataset, K, sign=-1.0)[1]


def negsamp_grad_output_neg_sign(predicted, target, outputVectors, dataset, K=10):  # noqa: N803
    """∂J/∂U with the negatives' rows of the wrong sign: -σ(-u_kᵀv) v."""
    return _negsamp(predicted, target, outputVectors, dataset, K, sign=-1.0)[2]


def _dyadic(rng, size, lim=2.0, step=1.0 / 16.0):
    """Normal-looking numbers rounded to multiples of `step` in [-lim, lim]: sums of a few are exact."""
    return np.clip(np.round(rng.normal(0.0, lim / 2.0, size=size) / step) * step, -lim, lim)


def gen_negsamp(rng, vocab, dim, K=10, scale=1.0, targets_at=(1, 4), duplicates=0, extreme=0.0, script_len=None):
    """Make negative sampling's arguments, with a scripted dataset.

    The script (what ``sampleTokenIdx()`` returns, in order) has the target at the
    positions `targets_at` (so a student who does not reject it uses it within the first K
    draws) and otherwise random non-target indices; with `duplicates`, it draws from only
    that many distinct words (many repeated negatives).

    Parameters
    ----------
    rng : numpy.random.Generator
    vocab, dim : int
        |V| and d.
    K : int
        The number of negative samples (passed as the K argument).
    scale : float
        Standard deviation of the vectors' entries.
    targets_at : list of int
        Positions of the script that are the target.
    duplicates : int
        When > 0, the non-target draws come from this many words only.
    extreme : float
        When > 0, the scores u_kᵀv lie near ±`extreme` (σ saturates: a naive log(σ) gives -inf).
    script_len : int, optional
        Length of the script (default 3 K + 5; the dataset draws at random after it).

    Returns
    -------
    tuple
        ``(predicted (d,), target, outputVectors (|V|, d), Dataset(vocab, seed, script), K)``.
    """
    from grader.model import Dataset

    target = int(rng.integers(vocab))
    others = [i for i in range(vocab) if i != target]
    pool = others if duplicates <= 0 else list(rng.choice(others, size=duplicates, replace=False))
    n = int(script_len or 3 * K + 5)
    script = [int(pool[int(rng.integers(len(pool)))]) for _ in range(n)]
    for p in targets_at:
        if 0 <= p < n:
            script[p] = target
    if extreme > 0:
        predicted = np.zeros(dim)
        predicted[0] = 8.0
        u = _dyadic(rng, (vocab, dim), lim=0.25)
        u[:, 0] = np.where(rng.random(vocab) < 0.5, 1.0, -1.0) * extreme / 8.0
        output_vectors = u
        predicted[1:] = _dyadic(rng, dim - 1, lim=0.25)
    else:
        predicted = rng.normal(0.0, scale, size=dim)
        output_vectors = rng.normal(0.0, scale, size=(vocab, dim))
    seed = int(rng.integers(1 << 30))
    return (_f32(predicted), target, _f32(output_vectors),
            Dataset(vocab=int(vocab), seed=seed, script=tuple(script)), int(K))


# ----------------------------------------------------------------- skip-gram and CBOW


def _cost_call(costfn, predicted, target, outputVectors, dataset):  # noqa: N803
    """What the cost function passed to skip-gram/CBOW answers: (cost, gradPred, grad) in float64."""
    if getattr(costfn, "table", ()):
        center = np.ravel(np.asarray(predicted, dtype=np.float64))
        for e_pred, e_target, e_cost, e_grad_pred, e_grad in costfn.table:
            if int(e_target) == int(target) and np.allclose(center, e_pred, rtol=1e-6, atol=1e-9):
                return float(e_cost), np.asarray(e_grad_pred, dtype=np.float64), np.asarray(e_grad, dtype=np.float64)
        raise KeyError(f"the table has no entry for target {target}")
    return (float(cross_entropy(predicted, target, outputVectors)), grad_pred(predicted, target, outputVectors),
            grad_output(predicted, target, outputVectors))


def _skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset, costfn,  # noqa: N803
              *, wrong_row=False):
    """Skip-gram: the cost function summed over the context words, with the center word's vector.

    ``wrong_row=True`` writes each gradPred into the context word's row instead of the
    center word's (the mistake).
    """
    v_in = np.asarray(inputVectors, dtype=np.float64)
    w_out = np.asarray(outputVectors, dtype=np.float64)
    c = int(tokens[currentWord])
    cost, g_in, g_out = 0.0, np.zeros_like(v_in), np.zeros_like(w_out)
    for w in contextWords:
        t = int(tokens[w])
        cc, gp, g = _cost_call(costfn, v_in[c], t, w_out, dataset)
        cost += cc
        g_in[t if wrong_row else c] += gp
        g_out += g
    return np.float64(cost), g_in, g_out


def skipgram_cost(*args):
    """Skip-gram's cost: Σ over the context words of the cost function's cost."""
    return _skipgram(*args)[0]


def skipgram_grad_center(*args):
    """Skip-gram's gradient for the input vectors: Σ gradPred, in the center word's row only."""
    return _skipgram(*args)[1]


def skipgram_grad_outside(*args):
    """Skip-gram's gradient for the output vectors: Σ grad."""
    return _skipgram(*args)[2]


def skipgram_grad_center_wrong_row(*args):
    """The mistake: each gradPred written into the context word's row instead of the center word's."""
    return _skipgram(*args, wrong_row=True)[1]


def _cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors, dataset, costfn,  # noqa: N803
          *, accumulate=True):
    """CBOW: one cost call, predicting the center word from the sum of the context words' vectors.

    ``accumulate=False`` gives a context word that appears twice its gradient once (the
    ``gradIn[indices] += gradPred`` mistake with repeated indices).
    """
    v_in = np.asarray(inputVectors, dtype=np.float64)
    w_out = np.asarray(outputVectors, dtype=np.float64)
    idx = [int(tokens[w]) for w in contextWords]
    predicted = np.sum(v_in[idx], axis=0)
    cost, gp, g = _cost_call(costfn, predicted, int(tokens[currentWord]), w_out, dataset)
    g_in = np.zeros_like(v_in)
    for i in (idx if accumulate else sorted(set(idx))):
        g_in[i] += gp
    return np.float64(cost), g_in, np.array(g, dtype=np.float64)


def cbow_cost(*args):
    """CBOW's cost: the cost function's, for the sum of the context vectors."""
    return _cbow(*args)[0]


def cbow_grad_center(*args):
    """CBOW's gradient for the input vectors: gradPred in each context word's row, once per occurrence."""
    return _cbow(*args)[1]


def cbow_grad_outside(*args):
    """CBOW's gradient for the output vectors: the cost function's grad."""
    return _cbow(*args)[2]


def cbow_grad_center_no_accumulate(*args):
    """The mistake: a context word that appears twice gets gradPred once."""
    return _cbow(*args, accumulate=False)[1]


def gen_skipgram(rng, vocab, dim, C, n_context=None, cost="own", model="skipgram", center_in_context=False):
    """Make skip-gram's (or CBOW's) arguments: words, tokens and vectors, and the cost function.

    Vectors are multiples of 1/16 in [-2, 2] (float32-exact, and their sums are exact in
    any order).  The context has a repeated word on purpose (and the center word itself with
    `center_in_context`, as in the course's own check); tokens map words to a shuffled
    order of the rows.  ``cost="own"`` passes the student's own naive-softmax cost function;
    ``cost="table"`` a function of the grader's that answers only this case's calls, with
    values drawn here (multiples of 1/64: their sums are exact too), never the value of any
    function graded elsewhere.

    Returns
    -------
    tuple
        ``(currentWord, C, contextWords, tokens, inputVectors, outputVectors, Dataset, CostFn)``.
    """
    from grader.model import CostFn, Dataset

    words = [f"w{i:03d}" for i in range(vocab)]
    perm = rng.permutation(vocab)
    tokens = {w: int(perm[i]) for i, w in enumerate(words)}
    center = words[int(rng.integers(vocab))]
    n = int(n_context if n_context is not None else 2 * C)
    context = [words[int(rng.integers(vocab))] for _ in range(n)]
    if n >= 2:
        context[-1] = context[0]  # a repeated word
    if center_in_context and n >= 3:
        context[1] = center
    input_vectors = _dyadic(rng, (vocab, dim))
    output_vectors = _dyadic(rng, (vocab, dim))
    if cost == "table":
        if model == "cbow":
            calls = [(np.sum(input_vectors[[tokens[w] for w in context]], axis=0), tokens[center])]
        else:
            calls = [(input_vectors[tokens[center]], tokens[w]) for w in dict.fromkeys(context)]
        table = tuple(
            (np.array(p, dtype=np.float64), int(t), float(np.round(rng.uniform(0.5, 5.0) * 64) / 64),
             _dyadic(rng, dim, step=1.0 / 64.0), _dyadic(rng, (vocab, dim), step=1.0 / 64.0))
            for p, t in calls)
        digest = _sha256(np.ascontiguousarray(output_vectors, dtype=np.float64).tobytes()).hexdigest()
        fn = CostFn(table=table, outputs=digest)
    else:
        fn = CostFn(role="cost_and_grad")
    return (center, int(C), context, tokens, input_vectors, output_vectors, Dataset(vocab=int(vocab)), fn)


def gen_course_check(rng, center="c"):
    """Make the arguments of the course's own skip-gram check (CS224d 2016 to CS224n a2).

    The starter seeds numpy with 9265, takes ``normalizeRows(np.random.randn(10, 3))`` as
    its dummy vectors (the first 5 rows the input vectors, the last 5 the output ones), the
    tokens a..e, and calls ``skipgram(center, 3, ["a", "b", "e", "d", "b", "c"], ...)`` with
    the naive softmax cost.  The naive softmax draws nothing, so these values do not depend
    on the starter's sequence of `random` calls: 11.16610900153398 for "c",
    9.87714910003414 for "b" and 10.810758628593335 for "a", as the course prints them.
    (`rng` is not used: the course's own numbers come from numpy's legacy seeding.)
    """
    from grader.model import CostFn, Dataset

    vectors = normalize_rows(np.random.RandomState(9265).randn(10, 3))
    tokens = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4}
    return (str(center), 3, ["a", "b", "e", "d", "b", "c"], tokens, vectors[:5], vectors[5:], Dataset(vocab=5),
            CostFn(role="cost_and_grad"))


#: The course's own sanity values (CS224n a2, after random.seed(31415); np.random.seed(9265)), for
#: the student kit: those of the naive softmax are reproduced by the course-* checks of skip-gram;
#: those of negative sampling depend on the starter's whole sequence of `random` calls before
#: them (and changed between Python 2 and 3), so no check can reproduce them.
#: How the kit and ``grader check`` introduce :data:`COURSE_VALUES`: whose values they are.
COURSE_VALUES_TITLE = "CS224n assignment 2's own sanity values (2019-2023; its starter prints them)"
#: The course versions (grader/recognise.py's names) whose starter printed them: ``grader check``
#: shows them to a submission recognised as one of these, or as nothing in particular (the
#: other years' starters printed other values, or none).
COURSE_VALUES_VERSIONS = ("cs224n-a2", "cs224n")
COURSE_VALUES = (
    ("skipgram('c', 3, [a, b, e, d, b, c]) with the naive softmax: loss 11.16610900153398",
     "skipgram_cost/course-c"),
    ("skipgram('b', 3, ...) with the naive softmax: loss 9.87714910003414", "skipgram_cost/course-b"),
    ("skipgram('a', 3, ...) with the naive softmax: loss 10.810758628593335", "skipgram_cost/course-a"),
    ("skip-gram with negative sampling: losses 16.15119285363322, 28.653567707668795, 60.648705494891914", ""),
)

# --------------------------------------------------------------------------- (end of the q3 part)
