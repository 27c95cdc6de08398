"""REDTEAM leak_html_output: HTML, JavaScript and terminal escapes in everything shown.

Attack: print <script>, event handlers, a closing </textarea>/</pre>, javascript: URLs,
bidi overrides and ANSI/OSC terminal escapes (clear screen, set title, OSC 52
clipboard write, OSC 8 hyperlink); raise exceptions whose class name and message are
HTML; return a value whose repr is HTML; fail a top-level statement with HTML in it.
Bound: the baseline, and no page or terminal line shows any of it unescaped.
"""
import sys

import numpy as np

XSS = '<script>alert("REDTEAM-XSS")</script><img src=x onerror=alert("REDTEAM-XSS")>'
ANSI = "\x1b[2J\x1b]0;REDTEAM-TITLE\x07\x1b]52;c;UkVEVEVBTQ==\x07\x1b]8;;javascript:alert(1)\x07link\x1b]8;;\x07"
BIDI = "\u202etxt.exe"
print(XSS, ANSI, BIDI)
print("</textarea></pre></code>-->" + XSS, file=sys.stderr)
raise_me = type('<img src=x onerror=alert("REDTEAM-XSS")>', (Exception,), {})


class HtmlRepr:
    def __repr__(self):
        return XSS + ANSI


def softmax(x):
    print(XSS + ANSI)
    if np.size(x) == 5:
        raise raise_me(XSS + ANSI + BIDI)
    if np.size(x) == 24:
        return HtmlRepr()
    if np.size(x) == 7:
        raise ValueError("javascript:alert('REDTEAM-XSS')" + ANSI)
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    print(XSS)
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)


undefined_name_with_html_<script>alert("REDTEAM-XSS")</script>
