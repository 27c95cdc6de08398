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


# --------------------------------------------------------------------------- (end of the q2 / sgd / q4 part)
#
#
# =========================================================================== q3: normalizeRows,
# negative sampling, skip-gram, CBOW (the whole problem set: rubrics/problem-set.toml)


# --------------------------------------------------------------------------- (end of the q3 part)
