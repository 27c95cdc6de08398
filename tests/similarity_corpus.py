"""Solutions written for the similarity tests and benchmark (this project's own code, no student's).

Each function of the word2vec homework has several independent implementations here,
written in different styles, so that two "independent" solutions share only what any two
correct solutions share.  :func:`solution` assembles a file from chosen implementations;
:func:`renamed` renames identifiers with the tokenizer (what a student hiding a copy does);
:data:`STARTER` is a skeleton of the kind a course hands out (placeholders, docstrings, a test
function), written here for the tests.
"""

from __future__ import annotations

import io
import random
import re
import tokenize

HEADER = "import numpy as np\nimport random\n\n"

IMPLEMENTATIONS: dict[str, list[str]] = {
    "softmax": [
        '''
def softmax(x):
    """Row-wise softmax, stable."""
    if x.ndim > 1:
        shifted = x - np.max(x, axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / np.sum(e, axis=1, keepdims=True)
    shifted = x - np.max(x)
    e = np.exp(shifted)
    return e / np.sum(e)
''',
        '''
def softmax(x):
    orig_shape = x.shape
    if len(x.shape) == 1:
        x = x.reshape(1, -1)
    m = x.max(axis=-1)[:, None]
    ex = np.exp(x - m)
    out = ex / ex.sum(axis=-1)[:, None]
    return out.reshape(orig_shape)
''',
        '''
def softmax(x):
    x = np.atleast_2d(np.asarray(x, dtype=float))
    result = np.zeros_like(x)
    for row in range(x.shape[0]):
        top = max(x[row])
        values = [np.exp(v - top) for v in x[row]]
        total = sum(values)
        result[row] = np.array(values) / total
    return result.squeeze() if result.shape[0] == 1 else result
''',
        '''
def softmax(x):
    a = np.array(x, dtype=np.float64)
    axis = a.ndim - 1
    a -= a.max(axis=axis, keepdims=True)
    np.exp(a, out=a)
    a /= a.sum(axis=axis, keepdims=True)
    return a
''',
    ],
    "sigmoid": [
        '''
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))
''',
        '''
def sigmoid(z):
    pos = z >= 0
    out = np.empty_like(z, dtype=float)
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out
''',
        '''
def sigmoid(v):
    return 0.5 * (np.tanh(0.5 * v) + 1.0)
''',
        '''
def sigmoid(x):
    from math import exp
    f = np.vectorize(lambda t: 1 / (1 + exp(-t)) if t > -500 else 0.0)
    return f(x)
''',
    ],
    "normalizeRows": [
        '''
def normalizeRows(x):
    norms = np.sqrt(np.sum(x ** 2, axis=1, keepdims=True))
    return x / norms
''',
        '''
def normalizeRows(x):
    n = np.linalg.norm(x, axis=1)
    x = x / n.reshape((-1, 1))
    return x
''',
        '''
def normalizeRows(x):
    rows = []
    for r in x:
        length = (r.dot(r)) ** 0.5
        rows.append(r / length)
    return np.vstack(rows)
''',
        '''
def normalizeRows(x):
    squares = np.einsum("ij,ij->i", x, x)
    return x * (1.0 / np.sqrt(squares))[:, np.newaxis]
''',
    ],
    "softmaxCostAndGradient": [
        '''
def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    scores = outputVectors.dot(predicted)
    probs = softmax(scores)
    cost = -np.log(probs[target])
    delta = probs.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad
''',
        '''
def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    V = outputVectors.shape[0]
    y = np.zeros(V)
    y[target] = 1.0
    yhat = softmax(np.matmul(outputVectors, predicted.reshape(-1)))
    cost = -np.sum(y * np.log(yhat))
    err = (yhat - y).reshape(V, 1)
    gradPred = np.sum(err * outputVectors, axis=0)
    grad = err @ predicted.reshape(1, -1)
    return cost, gradPred, grad
''',
        '''
def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    logits = [np.dot(u, predicted) for u in outputVectors]
    p = softmax(np.array(logits))
    cost = float(np.log(np.sum(np.exp(logits - np.max(logits)))) + np.max(logits) - logits[target])
    gradPred = -outputVectors[target] + p.dot(outputVectors)
    grad = p[:, np.newaxis] * predicted[np.newaxis, :]
    grad[target] = grad[target] - predicted
    return cost, gradPred, grad
''',
        '''
def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    theta = np.einsum("vd,d->v", outputVectors, predicted)
    theta -= theta.max()
    lse = np.log(np.exp(theta).sum())
    prob = np.exp(theta - lse)
    cost = lse - theta[target]
    onehot = np.eye(outputVectors.shape[0])[target]
    g = prob - onehot
    gradPred = np.einsum("v,vd->d", g, outputVectors)
    grad = np.einsum("v,d->vd", g, predicted)
    return cost, gradPred, grad
''',
    ],
    "negSamplingCostAndGradient": [
        '''
def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    indices = [target]
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == target:
            newidx = dataset.sampleTokenIdx()
        indices.append(newidx)
    grad = np.zeros(outputVectors.shape)
    gradPred = np.zeros(predicted.shape)
    z = sigmoid(outputVectors[target].dot(predicted))
    cost = -np.log(z)
    grad[target] += predicted * (z - 1.0)
    gradPred += outputVectors[target] * (z - 1.0)
    for k in range(K):
        samp = indices[k + 1]
        z = sigmoid(outputVectors[samp].dot(predicted))
        cost -= np.log(1.0 - z)
        grad[samp] += predicted * z
        gradPred += outputVectors[samp] * z
    return cost, gradPred, grad
''',
        '''
def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    negatives = []
    while len(negatives) < K:
        w = dataset.sampleTokenIdx()
        if w != target:
            negatives.append(w)
    u_o = outputVectors[target]
    s_pos = sigmoid(np.dot(u_o, predicted))
    u_neg = outputVectors[negatives]
    s_neg = sigmoid(-np.dot(u_neg, predicted))
    cost = -np.log(s_pos) - np.sum(np.log(s_neg))
    gradPred = (s_pos - 1) * u_o + np.dot(1 - s_neg, u_neg)
    grad = np.zeros_like(outputVectors)
    grad[target] = (s_pos - 1) * predicted
    np.add.at(grad, negatives, np.outer(1 - s_neg, predicted))
    return cost, gradPred, grad
''',
        '''
def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    sample = [dataset.sampleTokenIdx() for _ in range(K)]
    sample = [s if s != target else (s + 1) % outputVectors.shape[0] for s in sample]
    labels = np.array([1.0] + [-1.0] * K)
    rows = np.array([target] + sample)
    proj = labels * outputVectors[rows].dot(predicted)
    sig = 1.0 / (1.0 + np.exp(-proj))
    cost = -np.sum(np.log(sig))
    coeff = labels * (sig - 1.0)
    gradPred = coeff.dot(outputVectors[rows])
    grad = np.zeros(outputVectors.shape)
    for c, r in zip(coeff, rows):
        grad[r] += c * predicted
    return cost, gradPred, grad
''',
        '''
def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    ks = []
    for _ in range(K):
        pick = dataset.sampleTokenIdx()
        while pick == target:
            pick = dataset.sampleTokenIdx()
        ks += [pick]
    grad = np.zeros(outputVectors.shape)
    good = 1 / (1 + np.exp(-np.inner(outputVectors[target], predicted)))
    cost = -np.log(good)
    gradPred = -(1 - good) * outputVectors[target]
    grad[target] = -(1 - good) * predicted
    for pick in ks:
        bad = 1 / (1 + np.exp(np.inner(outputVectors[pick], predicted)))
        cost = cost - np.log(bad)
        gradPred = gradPred + (1 - bad) * outputVectors[pick]
        grad[pick] = grad[pick] + (1 - bad) * predicted
    return cost, gradPred, grad
''',
    ],
    "skipgram": [
        '''
def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    cost = 0.0
    gradIn = np.zeros(inputVectors.shape)
    gradOut = np.zeros(outputVectors.shape)
    center = tokens[currentWord]
    vc = inputVectors[center]
    for word in contextWords:
        c, gp, go = word2vecCostAndGradient(vc, tokens[word], outputVectors, dataset)
        cost += c
        gradIn[center] += gp
        gradOut += go
    return cost, gradIn, gradOut
''',
        '''
def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    idx = tokens[currentWord]
    results = [word2vecCostAndGradient(inputVectors[idx], tokens[w], outputVectors, dataset)
               for w in contextWords]
    total = sum(r[0] for r in results)
    gin = np.zeros_like(inputVectors)
    gin[idx] = np.sum([r[1] for r in results], axis=0)
    gout = np.sum([r[2] for r in results], axis=0) if results else np.zeros_like(outputVectors)
    return total, gin, gout
''',
        '''
def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    J = 0
    dIn, dOut = np.zeros(inputVectors.shape), np.zeros(outputVectors.shape)
    i = 0
    while i < len(contextWords):
        target = tokens[contextWords[i]]
        j, dv, du = word2vecCostAndGradient(inputVectors[tokens[currentWord], :], target, outputVectors, dataset)
        J = J + j
        dIn[tokens[currentWord], :] = dIn[tokens[currentWord], :] + dv
        dOut = dOut + du
        i += 1
    return J, dIn, dOut
''',
        '''
def skipgram(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
             dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    c_idx = tokens[currentWord]
    acc_cost, acc_in, acc_out = 0.0, np.zeros_like(inputVectors), np.zeros_like(outputVectors)
    for ctx in map(tokens.get, contextWords):
        part = word2vecCostAndGradient(inputVectors[c_idx], ctx, outputVectors, dataset)
        acc_cost += part[0]
        np.add(acc_in[c_idx], part[1], out=acc_in[c_idx])
        np.add(acc_out, part[2], out=acc_out)
    return acc_cost, acc_in, acc_out
''',
    ],
    "cbow": [
        '''
def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
         dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    gradIn = np.zeros(inputVectors.shape)
    indices = [tokens[w] for w in contextWords]
    vhat = np.sum(inputVectors[indices], axis=0)
    cost, gp, gradOut = word2vecCostAndGradient(vhat, tokens[currentWord], outputVectors, dataset)
    for i in indices:
        gradIn[i] += gp
    return cost, gradIn, gradOut
''',
        '''
def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
         dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    h = np.zeros(inputVectors.shape[1])
    for w in contextWords:
        h += inputVectors[tokens[w]]
    loss, dh, dU = word2vecCostAndGradient(h, tokens[currentWord], outputVectors, dataset)
    dV = np.zeros_like(inputVectors)
    np.add.at(dV, [tokens[w] for w in contextWords], dh)
    return loss, dV, dU
''',
        '''
def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
         dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    rows = list(map(lambda w: tokens[w], contextWords))
    context_sum = inputVectors[rows].sum(0)
    out = word2vecCostAndGradient(context_sum, tokens[currentWord], outputVectors, dataset)
    gradIn = np.zeros(inputVectors.shape)
    for r in rows:
        gradIn[r, :] = gradIn[r, :] + out[1]
    return out[0], gradIn, out[2]
''',
        '''
def cbow(currentWord, C, contextWords, tokens, inputVectors, outputVectors,
         dataset, word2vecCostAndGradient=softmaxCostAndGradient):
    counts = np.zeros(inputVectors.shape[0])
    for w in contextWords:
        counts[tokens[w]] += 1
    summed = counts.dot(inputVectors)
    c, g_pred, g_out = word2vecCostAndGradient(summed, tokens[currentWord], outputVectors, dataset)
    g_in = np.outer(counts, g_pred)
    return c, g_in, g_out
''',
    ],
}

#: The order functions appear in, as in the course's files.
ORDER = ("softmax", "sigmoid", "normalizeRows", "softmaxCostAndGradient", "negSamplingCostAndGradient",
         "skipgram", "cbow")

#: A skeleton of the kind a course hands out (written here): placeholders, docstrings, tests.
STARTER = '''import numpy as np
import random

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def normalizeRows(x):
    """ Row normalization function

    Implement a function that normalizes each row of a matrix to have
    unit length.
    """

    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE

    return x


def test_normalize_rows():
    print("Testing normalizeRows...")
    x = normalizeRows(np.array([[3.0, 4.0], [1, 2]]))
    print(x)
    ans = np.array([[0.6, 0.8], [0.4472136, 0.89442719]])
    assert np.allclose(x, ans, rtol=1e-05, atol=1e-06)
    print("")


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    """ Softmax cost function for word2vec models

    Implement the cost and gradients for one predicted word vector
    and one target word vector as a building block for word2vec
    models, assuming the softmax prediction function and cross
    entropy loss.

    Arguments:
    predicted -- numpy ndarray, predicted word vector (\\hat{v} in
                 the written component)
    target -- integer, the index of the target word
    outputVectors -- "output" vectors (as rows) for all tokens
    dataset -- needed for negative sampling, unused here.

    Return:
    cost -- cross entropy cost for the softmax word prediction
    gradPred -- the gradient with respect to the predicted word
           vector
    grad -- the gradient with respect to all the other word
           vectors
    """

    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE

    return cost, gradPred, grad


def getNegativeSamples(target, dataset, K):
    """ Samples K indexes which are not the target """
    indices = [None] * K
    for k in range(K):
        newidx = dataset.sampleTokenIdx()
        while newidx == target:
            newidx = dataset.sampleTokenIdx()
        indices[k] = newidx
    return indices


def word2vec_sgd_wrapper(word2vecModel, tokens, wordVectors, dataset, C,
                         word2vecCostAndGradient=softmaxCostAndGradient):
    batchsize = 50
    cost = 0.0
    grad = np.zeros(wordVectors.shape)
    N = wordVectors.shape[0]
    inputVectors = wordVectors[:N // 2, :]
    outputVectors = wordVectors[N // 2:, :]
    for i in range(batchsize):
        C1 = random.randint(1, C)
        centerword, context = dataset.getRandomContext(C1)
        if word2vecModel == skipgram:
            denom = 1
        else:
            denom = 1
        c, gin, gout = word2vecModel(
            centerword, C1, context, tokens, inputVectors, outputVectors,
            dataset, word2vecCostAndGradient)
        cost += c / batchsize / denom
        grad[:N // 2, :] += gin / batchsize / denom
        grad[N // 2:, :] += gout / batchsize / denom
    return cost, grad


def test_word2vec():
    """ Interface to the dataset for negative sampling """
    dataset = type('dummy', (), {})()

    def dummySampleTokenIdx():
        return random.randint(0, 4)

    def getRandomContext(C):
        tokens = ["a", "b", "c", "d", "e"]
        return tokens[random.randint(0, 4)], \\
            [tokens[random.randint(0, 4)] for i in range(2 * C)]
    dataset.sampleTokenIdx = dummySampleTokenIdx
    dataset.getRandomContext = getRandomContext

    random.seed(31415)
    np.random.seed(9265)
    dummy_vectors = normalizeRows(np.random.randn(10, 3))
    dummy_tokens = dict([("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4)])
    print("==== Gradient check for skip-gram ====")
    gradcheck_naive(lambda vec: word2vec_sgd_wrapper(
        skipgram, dummy_tokens, vec, dataset, 5, softmaxCostAndGradient),
        dummy_vectors)
    print("\\n=== Results ===")
    print(skipgram("c", 3, ["a", "b", "e", "d", "b", "c"],
                   dummy_tokens, dummy_vectors[:5, :], dummy_vectors[5:, :], dataset))


if __name__ == "__main__":
    test_normalize_rows()
    test_word2vec()
'''


def solution(choice: dict[str, int] | int, order: tuple[str, ...] = ORDER, *, extra: str = "") -> str:
    """Return a solution file: the implementation `choice[name]` of each function, in `order`.

    An int `choice` takes that implementation for every function.
    """
    picks = {n: choice for n in ORDER} if isinstance(choice, int) else choice
    body = "".join(IMPLEMENTATIONS[n][picks[n]] + "\n" for n in order)
    return HEADER + body + extra


def renamed(code: str, names: dict[str, str]) -> str:
    """Return `code` with the identifiers in `names` renamed (names only: strings and comments untouched)."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and tok.string in names:
            tok = tok._replace(string=names[tok.string])
        out.append(tok)
    return tokenize.untokenize(out)


#: What a student hiding a copy renames: locals, parameters, and their own helper functions.
RENAMES = {
    "scores": "logit_vals", "probs": "p_hat", "cost": "loss", "delta": "diff", "gradPred": "dPred",
    "grad": "dOut", "predicted": "v_c", "target": "o", "outputVectors": "U", "indices": "picked",
    "newidx": "cand", "z": "sg", "samp": "neg", "gradIn": "g_in", "gradOut": "g_out", "center": "ci",
    "vc": "v_center", "word": "ctx", "norms": "lens", "shifted": "xs", "e": "ex_", "vhat": "h_sum",
}


def py2(code: str) -> str:
    """Return `code` written as Python 2 would have it (print statements, xrange)."""
    code = re.sub(r"\bprint\((.*)\)$", r"print \1", code, flags=re.MULTILINE)
    return code.replace("range(", "xrange(")


def mutated(code: str, rng: random.Random, rate: float = 0.3) -> str:
    """Return `code` with small independent edits, line by line (for generated batches).

    With probability `rate` a line gets one of: a debug print after it, a temporary
    variable, an inline comment, a blank line; and the local names are renamed at random.
    """
    lines = code.split("\n")
    out = []
    depth = 0  # open brackets: a line inside an expression gets nothing after it
    indent = ""
    for line in lines:
        out.append(line)
        stripped = line.strip()
        if not depth:
            indent = line[: len(line) - len(line.lstrip())]  # where the statement starts
        depth += sum(stripped.count(c) for c in "([{") - sum(stripped.count(c) for c in ")]}")
        if depth or not stripped or stripped.startswith(("def ", "return", "@", "#")) \
                or stripped.endswith((":", "\\")):
            continue
        if rng.random() < rate:
            kind = rng.randrange(4)
            if kind == 0:
                out.append(f"{indent}tmp_{rng.randrange(10 ** 6)} = {rng.randrange(100)}")
            elif kind == 1:
                out.append(f"{indent}assert True, 'step {rng.randrange(1000)}'")
            elif kind == 2:
                out.append(f"{indent}_checked = {rng.choice(['None', '0', '[]', 'False'])}")
            else:
                out.append(f"{indent}pass")
    text = "\n".join(out)
    pool = sorted(RENAMES)
    rng.shuffle(pool)
    return renamed(text, {n: f"{n[:2]}{rng.randrange(10 ** 4)}" for n in pool[: rng.randrange(len(pool))]})
