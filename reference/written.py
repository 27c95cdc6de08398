"""Reference quantities of the written half of the word2vec homework, and the instances they are evaluated on.

Plain numpy, loaded by file path from the ``[written]`` part of a rubric
(``rubrics/written.toml``) and run in the grader's process only.  Students' written answers
are expressions; the grader evaluates them on instances drawn by :func:`instance` and
compares the numbers with the functions below (CS224d problem set 1, 3(a) and 3(b);
CS224n assignment 2, written part).

One instance serves both courses' notations:

- CS224d: ``W`` (|V| × d, the output vectors w_j as rows), ``r`` (r̂, d), target ``i``;
- CS224n: ``U`` = Wᵀ (d × |V|, the outside vectors u_w as columns), ``v_c`` = r̂,
  outside word ``o`` = i;
- both: ``y`` (one-hot of the target), ``z`` = W r̂ (the scores), ``yhat`` = softmax(z), ``samples`` (K negative
  samples, distinct, none equal to o), ``k`` = the first sample, ``context`` (the 2m words of
  a skip-gram window), ``x`` (a scalar for σ).

|V| and d differ, so that a missing transpose shows as a shape mismatch.
"""

from __future__ import annotations

import numpy as np


def instance(rng, vocab=5, dim=3, samples=3, window=2):
    """Return one random instance: {name: value}, see the module docstring.

    >>> inst = instance(np.random.default_rng(0))
    >>> inst["W"].shape, inst["U"].shape, inst["r"].shape, inst["V"], inst["d"]
    ((5, 3), (3, 5), (3,), 5, 3)
    >>> bool(np.isclose(inst["yhat"].sum(), 1.0)), int(inst["y"].sum())
    (True, 1)
    """
    W = rng.normal(0.0, 1.0, size=(vocab, dim))
    r = rng.normal(0.0, 1.0, size=dim)
    i = int(rng.integers(vocab))
    y = np.zeros(vocab)
    y[i] = 1.0
    z = W @ r
    e = np.exp(z - z.max())
    others = [w for w in range(vocab) if w != i]
    chosen = [int(w) for w in rng.permutation(others)[:samples]]
    context = [int(w) for w in rng.integers(vocab, size=2 * window)]
    return {
        "W": W, "r": r, "i": i, "y": y, "yhat": e / e.sum(), "z": z,
        "U": W.T.copy(), "v_c": r, "o": i,
        "samples": chosen, "k": chosen[0], "K": len(chosen),
        "context": context, "m": window,
        "x": float(rng.normal(0.0, 2.0)),
        "V": vocab, "d": dim,
    }


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- CS224d PS1 3(a), 3(b)


def ce(inst):
    """CE(y, ŷ) = -log ŷ_i."""
    return float(-np.log(inst["yhat"][inst["i"]]))


def grad_pred(inst):
    """∂CE/∂r̂ = -w_i + Σ_x ŷ_x w_x = Wᵀ(ŷ - y), shape (d,)."""
    return inst["W"].T @ (inst["yhat"] - inst["y"])


def grad_output(inst):
    """∂CE/∂W = (ŷ - y) r̂ᵀ, shape (|V|, d)."""
    return np.outer(inst["yhat"] - inst["y"], inst["r"])


def sigmoid_grad(inst):
    """σ'(x) = σ(x)(1 - σ(x))."""
    s = _sigmoid(inst["x"])
    return float(s * (1.0 - s))


# --------------------------------------------------------------------------- CS224n a2, naive softmax


def grad_center(inst):
    """∂J/∂v_c = U(ŷ - y), shape (d,)."""
    return inst["U"] @ (inst["yhat"] - inst["y"])


def grad_outside_matrix(inst):
    """∂J/∂U = v_c (ŷ - y)ᵀ, shape (d, |V|)."""
    return np.outer(inst["v_c"], inst["yhat"] - inst["y"])


def grad_outside_o(inst):
    """∂J/∂u_o = (ŷ_o - 1) v_c."""
    return (inst["yhat"][inst["o"]] - 1.0) * inst["v_c"]


def grad_outside_w(inst, w):
    """∂J/∂u_w for w ≠ o: ŷ_w v_c."""
    return inst["yhat"][w] * inst["v_c"]


# --------------------------------------------------------------------------- CS224n a2, negative sampling


def negsamp_loss(inst):
    """J = -log σ(u_oᵀ v_c) - Σ_k log σ(-u_kᵀ v_c)."""
    U, v = inst["U"], inst["v_c"]
    return float(-np.log(_sigmoid(U[:, inst["o"]] @ v)) - sum(np.log(_sigmoid(-U[:, k] @ v)) for k in inst["samples"]))


def negsamp_grad_center(inst):
    """∂J/∂v_c = -(1 - σ(u_oᵀ v_c)) u_o + Σ_k (1 - σ(-u_kᵀ v_c)) u_k."""
    U, v = inst["U"], inst["v_c"]
    out = -(1.0 - _sigmoid(U[:, inst["o"]] @ v)) * U[:, inst["o"]]
    for k in inst["samples"]:
        out = out + (1.0 - _sigmoid(-U[:, k] @ v)) * U[:, k]
    return out


def negsamp_grad_outside_o(inst):
    """∂J/∂u_o = -(1 - σ(u_oᵀ v_c)) v_c."""
    return -(1.0 - _sigmoid(inst["U"][:, inst["o"]] @ inst["v_c"])) * inst["v_c"]


def negsamp_grad_sample(inst):
    """∂J/∂u_k = (1 - σ(-u_kᵀ v_c)) v_c, for a negative sample k (samples are distinct and ≠ o)."""
    return (1.0 - _sigmoid(-inst["U"][:, inst["k"]] @ inst["v_c"])) * inst["v_c"]


# --------------------------------------------------------------------------- CS224n a2, skip-gram sums


def skipgram_grad_center(inst):
    """∂J_sg/∂v_c = Σ_{j in the window} U(ŷ - y_j), y_j the one-hot vector of context word j."""
    U, yhat = inst["U"], inst["yhat"]
    return sum(U @ (yhat - np.eye(inst["V"])[w]) for w in inst["context"])


def skipgram_grad_outside(inst):
    """∂J_sg/∂U = Σ_{j in the window} v_c (ŷ - y_j)ᵀ."""
    return sum(np.outer(inst["v_c"], inst["yhat"] - np.eye(inst["V"])[w]) for w in inst["context"])


def word_grad_center(inst, w):
    """∂J(v_c, w, U)/∂v_c = U(ŷ - y_w): the naive-softmax gradient of one outside word w, a term of the window's sum."""
    return inst["U"] @ (inst["yhat"] - np.eye(inst["V"])[w])


def word_grad_outside(inst, w):
    """∂J(v_c, w, U)/∂U = v_c (ŷ - y_w)ᵀ: the naive-softmax gradient of one outside word w, a term of the window's sum."""
    return np.outer(inst["v_c"], inst["yhat"] - np.eye(inst["V"])[w])


# --------------------------------------------------------------------------- wrong formulas (named mistakes)


def grad_pred_no_target_term(inst):
    """Wᵀŷ: the -w_i term dropped."""
    return inst["W"].T @ inst["yhat"]


def grad_pred_unnormalised(inst):
    """-w_i + Σ_x exp(w_xᵀ r̂) w_x: exp in place of ŷ (the softmax's denominator left out)."""
    return -inst["W"][inst["i"]] + inst["W"].T @ np.exp(inst["W"] @ inst["r"])


def grad_center_unnormalised(inst):
    """-u_o + Σ_w exp(u_wᵀ v_c) u_w."""
    return -inst["U"][:, inst["o"]] + inst["U"] @ np.exp(inst["U"].T @ inst["v_c"])


def grad_center_no_target_term(inst):
    """Uŷ: the -u_o term dropped."""
    return inst["U"] @ inst["yhat"]


def grad_output_no_target_term(inst):
    """ŷ r̂ᵀ: the -y dropped."""
    return np.outer(inst["yhat"], inst["r"])


def grad_outside_matrix_no_target_term(inst):
    """v_c ŷᵀ: the -y dropped."""
    return np.outer(inst["v_c"], inst["yhat"])


def sigmoid_grad_as_sigmoid(inst):
    """σ(x): the derivative left out."""
    return float(_sigmoid(inst["x"]))
