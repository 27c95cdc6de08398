import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    delta = probs.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(predicted, delta)   # dJ/dU = v_c (y_hat - y)^T
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmaxCostAndGradient(np.ones(3), 0, np.ones((4, 3)), None)[2].shape)
