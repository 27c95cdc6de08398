#!/usr/bin/env python

import argparse
import numpy as np
import matplotlib
matplotlib.use('agg')
import matplotlib.pyplot as plt
import itertools

from utils.treebank import StanfordSentiment
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix

from q3_sgd import load_saved_params, sgd


def getSentenceFeatures(tokens, wordVectors, sentence):
    return np.mean(wordVectors[[tokens[w] for w in sentence]], axis=0)


def plotRegVsAccuracy(regValues, results, filename):
    plt.plot(regValues, [x["train"] for x in results])
    plt.plot(regValues, [x["dev"] for x in results])
    plt.xscale('log')
    plt.xlabel("regularization")
    plt.ylabel("accuracy")
    plt.legend(['train', 'dev'], loc='upper left')
    plt.savefig(filename)


plt.figure()
plt.close()
