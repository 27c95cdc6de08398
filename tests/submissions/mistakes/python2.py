import numpy as np


def softmax(x):
    if len(x.shape) > 1:
        x = x - np.max(x, axis=1).reshape(-1, 1)
        x = np.exp(x)
        x = x / np.sum(x, axis=1).reshape(-1, 1)
    else:
        x = np.exp(x - np.max(x))
        x = x / np.sum(x)
    return x


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    delta = probs.copy()
    delta[target] -= 1
    gradPred = outputVectors.T.dot(delta)
    grad = np.outer(delta, predicted)
    return cost, gradPred, grad


if __name__ == "__main__":
    print "Running basic tests..."
    for i in xrange(3):
        print softmax(np.array([1, 2]))
