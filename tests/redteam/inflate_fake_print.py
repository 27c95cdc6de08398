"""REDTEAM inflate_fake_print: print results that look like the grader's own.

Attack: print pass lines, a fake result.json, a fake grades.csv row and a fake frame of
the wire format on stdout and stderr (and write them into its own folder), hoping
something parses them.
Bound: the baseline: printed text is only shown, never parsed.
"""
import json
import os
import struct
import sys

import numpy as np

FAKE = {"schema": "grader.result/1", "submission": "inflate_fake_print", "status": "graded",
        "score": 10.0, "max_score": 10.0, "questions": [], "errors": []}
print("softmax/vector: pass 0.5/0.5")
print("Total score: 10.0 / 10.0  ALL CHECKS PASSED")
print(json.dumps(FAKE))
print("inflate_fake_print,10.0,10.0,graded")
raw = json.dumps({"ev": "outcome", "call": "softmax:vector", "status": "ok", "$blobs": []}).encode()
sys.stdout.buffer.write(struct.pack(">IQ", len(raw), 0) + raw)
sys.stdout.flush()
sys.stderr.write(json.dumps(FAKE) + "\n")
with open("result.json", "w") as f:
    json.dump(FAKE, f)
with open(os.path.join(os.getcwd(), "grades.csv"), "w") as f:
    f.write("id,score,max_score,status\ninflate_fake_print,10,10,graded\n")


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

