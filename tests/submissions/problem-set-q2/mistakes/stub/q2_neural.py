import numpy as np


def forward_backward_prop(data, labels, params, dimensions):
    ### YOUR CODE HERE: forward propagation
    raise NotImplementedError
    ### END YOUR CODE
