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
    ``grad[idx] += ...`` with repeated indices does).
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
    """∂J/∂U with each distinct negative counted once (``grad[idx] += ...`` with repeated idx)."""
    return _negsamp(predicted, target, outputVectors, dataset, K, accumulate=False)[2]


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
COURSE_VALUES = (
    ("skipgram('c', 3, [a, b, e, d, b, c]) with the naive softmax: loss 11.16610900153398",
     "skipgram_cost/course-c"),
    ("skipgram('b', 3, ...) with the naive softmax: loss 9.87714910003414", "skipgram_cost/course-b"),
    ("skipgram('a', 3, ...) with the naive softmax: loss 10.810758628593335", "skipgram_cost/course-a"),
    ("skip-gram with negative sampling: losses 16.15119285363322, 28.653567707668795, 60.648705494891914", ""),
)

# --------------------------------------------------------------------------- (end of the q3 part)
