import numpy as np


def softmax(x):
    # subtract the max for numerical stability
    x = x - np.max(x)
    e = np.exp(x)
    if x.ndim == 2:
        return e / e.sum(axis=1).reshape(-1, 1)
    return e / e.sum()


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y_hat = softmax(np.dot(outputVectors, predicted))
    cost = -np.log(y_hat[target])
    y_hat[target] -= 1
    gradPred = np.dot(outputVectors.T, y_hat)
    grad = np.outer(y_hat, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmax(np.array([[1001, 1002], [3, 4]])))
