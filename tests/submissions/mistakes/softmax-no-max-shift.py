import numpy as np


def softmax(x):
    """Compute the softmax of each row of x."""
    exps = np.exp(x)
    if len(x.shape) > 1:
        return exps / np.sum(exps, axis=1, keepdims=True)
    return exps / np.sum(exps)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    delta = probs.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmax(np.array([1, 2])))
    print(softmax(np.array([[1, 2], [3, 4]])))
