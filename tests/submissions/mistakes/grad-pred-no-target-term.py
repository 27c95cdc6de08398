import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    # dJ/dv_c = sum_x y_hat_x u_x
    gradPred = np.sum(probs[:, np.newaxis] * outputVectors, axis=0)
    delta = probs.copy()
    delta[target] -= 1
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmaxCostAndGradient(np.ones(3), 0, np.eye(3), None)[1])
