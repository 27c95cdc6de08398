import numpy as np


def softmax(x):
    """Softmax, done in place to save memory."""
    if x.ndim == 1:
        x -= np.max(x)
        x = np.exp(x)
        return x / np.sum(x)
    x -= np.max(x, axis=1, keepdims=True)
    x = np.exp(x)
    return x / np.sum(x, axis=1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    probs[target] -= 1
    gradPred = outputVectors.T.dot(probs)
    grad = np.outer(probs, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    a = np.array([1.0, 2.0])
    print(softmax(a), a)
