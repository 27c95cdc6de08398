"""Written questions as users meet them: `grader check --written`, `grader grade` with written.md, report.html in a browser."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_browser import assert_fits, assert_quiet, squash
from test_written import DERIVATION

from grader.cli import main

CORRECT = textwrap.dedent("""
    import numpy as np

    def softmax(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
        y_hat = softmax(outputVectors.dot(predicted))
        delta = y_hat.copy()
        delta[target] -= 1
        return -np.log(y_hat[target]), outputVectors.T.dot(delta), np.outer(delta, predicted)
""")


def run(argv, stdin: str | None = None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- grader check --written


def test_check_written_html_promises_no_hidden_checks(tmp_path):
    # one written answer, checked alone: its report does not tell of public checks and hidden
    # checks on other inputs still to come, as a code self-check's does (it has neither)
    page = tmp_path / "report.html"
    code, out, err = run(["check", "--written", "grad_pred", r"-w_i + \sum_x \hat{y}_x w_x", "--html", str(page)])
    html = page.read_text(encoding="utf-8")
    assert "hidden checks" not in html and "public checks only" not in html
    assert "This is a self-check of one written answer, read as text (nothing ran)" in html


def test_check_written_reads_the_derivation_line_by_line():
    code, out, err = run(["check", "--written", "grad_pred", DERIVATION, "--no-color"])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "written/grad_pred/answer: pass (2 / 2)"
    assert lines[1] == "Right: your answer equals ∂CE/∂r̂ on 3 random instances. An earlier step is wrong (line 2)."
    assert lines[2:5] == ["Your answer, as read:", "  line 1         CE =",
                          "  line 1  right  -Σ_k y_k log(exp(w_kᵀ r̂) / Σ_j exp(w_jᵀ r̂))"]
    assert "  line 2  WRONG  -Σ_k y_k log(exp(w_kᵀ r̂)) - Σ_k y_k log(Σ_j exp(w_jᵀ r̂))" in lines
    wrong = lines[lines.index("  line 2  WRONG  -Σ_k y_k log(exp(w_kᵀ r̂)) - Σ_k y_k log(Σ_j exp(w_jᵀ r̂))") + 1]
    assert wrong.startswith("                 does not equal the line before it: on instance 1 (|V| = 5, d = 3, i = ")
    assert lines[-7:-2] == [
        "  line 3  right  -w_iᵀ r̂ + log(Σ_j exp(w_jᵀ r̂))",
        "                 equals CE (the line before it does not)",
        "  line 4         ∂CE/∂r̂ =",
        "  line 4  right  -w_i + (1 / Σ_j exp(w_jᵀ r̂)) Σ_j exp(w_jᵀ r̂) w_j",
        "                 equals ∂CE/∂r̂",
    ]
    # the values of the instance where line 2 differs, to redo it by hand (its sizes are said in line 2's message)
    assert lines[-2].startswith("Where it differs, instance 1: W = [[")
    assert "; r̂ = [" in lines[-2] and "; ŷ = [" in lines[-2] and "|V|" not in lines[-2]
    assert lines[-1] == "Compact form: Wᵀ(ŷ - y)"
    assert out.count("Wᵀ(ŷ - y)") == 1  # said once: not in the verdict's line as well


@pytest.mark.parametrize("answer", [r"-w_i + \sum_x \hat{y}_x w_x", r"W^\top(\hat{y} - y)", "-W[i] + yhat @ W",
                                    "-W[i]+W.T@yhat"])
def test_check_written_accepts_equivalent_answers(answer):
    code, out, _ = run(["check", "--written", "grad_pred", answer, "--no-color"])
    assert code == 0 and out.startswith("written/grad_pred/answer: pass (2 / 2)\nRight: your answer equals ∂CE/∂r̂")


@pytest.mark.parametrize("answer, mistake", [
    (r"W^\top(y - \hat{y})", "The sign is flipped"),
    (r"-w_i + \sum_x y_x w_x", "y and ŷ are mixed up"),
    (r"W^\top \hat{y}", "The target word's own term is missing"),
    (r"W(\hat{y} - y)", "A transpose is missing"),
])
def test_check_written_names_the_mistake_and_exits_1(answer, mistake):
    code, out, _ = run(["check", "--written", "grad_pred", answer, "--no-color"])
    assert code == 1
    assert out.startswith("written/grad_pred/answer: fail (0 / 2)\n")
    assert f"\nLikely mistake: {mistake}" in out


CASES = ("\\begin{align*}\n\\frac{\\partial J}{\\partial \\mathbf{u}_w} &= \\begin{cases}\n"
         "(\\hat{y}_w - 1)\\, \\mathbf{v}_c & \\text{if } w = o, \\\\\n"
         "\\hat{y}_w\\, \\mathbf{v}_c & \\text{if } w \\neq o.\n\\end{cases}\n\\end{align*}")
CASES_OTHERWISE = (r"\frac{\partial J}{\partial u_w} = \begin{cases} (\hat{y}_w - 1) v_c & w = o \\ "
                   r"\hat{y}_w v_c & \text{otherwise} \end{cases}")
CASES_O_FIRST = (r"\frac{\partial J}{\partial u_w} = \begin{cases} (\hat{y}_w - 1) v_c & \text{if } o = w \\ "
                 r"\hat{y}_w v_c & \text{if } o \neq w \end{cases}")
CASES_SWAPPED = r"\frac{\partial J}{\partial u_w} = \begin{cases} \hat{y}_w v_c & w = o \\ (\hat{y}_w - 1) v_c & w \ne o \end{cases}"

#: Both cases of ∂J/∂u_w written one a line, each with its condition (the case of w = o first, or last).
LINES_O_FIRST = ("\\begin{align*}\n"
                 r"\frac{\partial J}{\partial u_w} &= (\hat{y}_w - 1) v_c, \quad w = o \\" "\n"
                 r"\frac{\partial J}{\partial u_w} &= \hat{y}_w v_c \quad \text{if } w \neq o" "\n"
                 "\\end{align*}")
LINES_W_FIRST = (r"\frac{\partial J}{\partial u_w} = \hat{y}_w v_c, \quad w \neq o" "\n\n"
                 r"\frac{\partial J}{\partial u_w} = (\hat{y}_w - 1) v_c, \quad w = o")
LINES_SWAPPED = (r"\frac{\partial J}{\partial u_w} = (\hat{y}_w - 1) v_c, \quad w \neq o" "\n"
                 r"\frac{\partial J}{\partial u_w} = \hat{y}_w v_c, \quad w = o")
LINES_SWAPPED_W_FIRST = (r"\frac{\partial J}{\partial u_w} = \hat{y}_w v_c, \quad w = o" "\n"
                         r"\frac{\partial J}{\partial u_w} = (\hat{y}_w - 1) v_c, \quad w \neq o")

#: LaTeX as students write it, each form with a right answer and a wrong one (which must not pass).
STUDENT_LATEX = [
    # \frac's arguments without braces: one character each, as TeX reads them
    ("sigmoid_grad", r"\frac{1}2 \cdot 2\sigma(x)(1-\sigma(x))", r"\frac{1}3 \cdot 2\sigma(x)(1-\sigma(x))"),
    ("sigmoid_grad", r"\frac1{2} \cdot 2\sigma(x)(1-\sigma(x))", r"\frac1{3} \cdot 2\sigma(x)(1-\sigma(x))"),
    ("sigmoid_grad", r"\frac{e^{-x}}{1+e^{-x}}\frac1{1+e^{-x}}", r"\frac{e^{-x}}{1+e^{-x}}\frac1{1-e^{-x}}"),
    ("sigmoid_grad", r"\frac12 \cdot 2\sigma(x)(1-\sigma(x))", r"\frac13 \cdot 2\sigma(x)(1-\sigma(x))"),
    # σ²(x) is (σ(x))²
    ("sigmoid_grad", r"\sigma(x) - \sigma^2(x)", r"\sigma(x) + \sigma^2(x)"),
    ("sigmoid_grad", r"\sigma(x) - \sigma^{2}\left(x\right)", r"\sigma(x) - \sigma^{2}\left(-x\right)"),
    ("sigmoid_grad", r"\sigma(x) - \sigma(x)^2", r"\sigma(x)^2 - \sigma(x)"),
    # Leibniz's d on the left names the quantity; the right side is the answer
    ("sigmoid_grad", r"\frac{d\sigma}{dx} = \sigma(x)(1-\sigma(x))", r"\frac{d\sigma}{dx} = \sigma(x)"),
    ("sigmoid_grad", r"\frac{d \sigma(x)}{d x} = \sigma(x)(1-\sigma(x))", r"\frac{d \sigma(x)}{d x} = \sigma(-x)"),
    ("grad_center", r"\frac{dJ}{dv_c} = U(\hat{y} - y)", r"\frac{dJ}{dv_c} = U(y - \hat{y})"),
    ("grad_center", r"\frac{\partial J}{\partial \boldsymbol{v}_c} = \mathbf{U}(\hat{\mathbf{y}} - \mathbf{y})",
     r"\frac{\partial J}{\partial \boldsymbol{v}_c} = \mathbf{U}\hat{\mathbf{y}}"),
    # a primed index is an index of its own (w' is not w), bound by its sum
    ("grad_center", r"-u_o + \sum_{w'} \hat{y}_{w'} u_{w'}", r"-u_o + \sum_{w'} y_{w'} u_{w'}"),
    ("grad_center", r"-u_o + \sum_{w' \in V} \hat{y}_{w'} u_{w'}", r"-u_o + \sum_{w' \in V} \hat{y}_{w'} u_o"),
    ("grad_center", r"-u_o + \sum_{x'=1}^{|V|} \hat{y}_{x'} u_{x'}", r"-u_o + \sum_{x'=2}^{|V|} \hat{y}_{x'} u_{x'}"),
    ("grad_center", r"-u_o + \sum_{w^\prime} \hat{y}_{w^{\prime}} u_{w^\prime}", r"u_o - \sum_{w^\prime} \hat{y}_{w^{\prime}} u_{w^\prime}"),
    ("grad_outside_w", r"\frac{\exp(u_w^\top v_c)}{\sum_{w'} \exp(u_{w'}^\top v_c)} v_c",
     r"\frac{\exp(u_w^\top v_c)}{\sum_{w' \ne o} \exp(u_{w'}^\top v_c)} v_c"),
    ("negsamp_grad_center", r"-\sigma(-u_o^\top v_c) u_o + \sum_{k'=1}^{K} \sigma(u_{k'}^\top v_c) u_{k'}",
     r"-\sigma(-u_o^\top v_c) u_o + \sum_{k'=2}^{K} \sigma(u_{k'}^\top v_c) u_{k'}"),
    # the answer's shape, or the condition it holds under, after it
    ("grad_center", r"U(\hat{y} - y) \in \mathbb{R}^d", r"U(y - \hat{y}) \in \mathbb{R}^d"),
    ("grad_center", r"U(\hat{y} - y) \in \R^{d}", r"U\hat{y} \in \R^{d}"),
    ("grad_outside_matrix", r"v_c(\hat{y} - y)^\top \in \mathbb{R}^{d \times |V|}.",
     r"v_c(y - \hat{y})^\top \in \mathbb{R}^{d \times |V|}."),
    ("grad_outside_w", r"\hat{y}_w v_c, \quad w \neq o", r"(\hat{y}_w - 1) v_c, \quad w \neq o"),
    ("grad_outside_w", r"\hat{y}_w v_c \quad (w \ne o)", r"(\hat{y}_w - 1) v_c \quad (w \ne o)"),
    ("grad_outside_w", "\\begin{align*}\n\\frac{\\partial J}{\\partial u_w} &= \\hat{y}_w v_c \\in \\mathbb{R}^d, "
                       "\\qquad \\forall w \\neq o \\\\\n\\end{align*}",
     "\\begin{align*}\n\\frac{\\partial J}{\\partial u_w} &= \\hat{y}_o v_c \\in \\mathbb{R}^d, "
     "\\qquad \\forall w \\neq o \\\\\n\\end{align*}"),
    # \text{...} inside a group is a name there, not prose that ends the line
    ("grad_center", r"-u_o + \sum\limits_{w \in \text{Vocab}} \hat{y}_w u_w",
     r"-u_o + \sum\limits_{w \in \text{Vocab}} y_w u_w"),
    # a prime after a vector or a matrix is a transpose (after σ(x), the derivative); ⊗ is the outer product
    ("grad_outside_matrix", r"v_c (\hat{y} - y)'", r"(\hat{y} - y) v_c'"),
    ("grad_pred", r"W'(\hat{y} - y)", r"W'(y - \hat{y})"),
    ("negsamp_grad_outside_o", r"(\sigma(u_o' v_c) - 1) v_c", r"(\sigma(u_o' v_c) + 1) v_c"),
    ("sigmoid_grad", r"\sigma(x)' = \sigma(x)(1-\sigma(x))", r"\sigma(x)' = \sigma(x)"),
    ("grad_outside_matrix", r"v_c \otimes (\hat{y} - y)", r"(\hat{y} - y) \otimes v_c"),
    ("grad_output", r"(\hat{y} - y) \otimes \hat{r}", r"\hat{r} \otimes (\hat{y} - y)"),
    ("grad_center", r"\frac{\partial}{\partial v_c} J = U(\hat{y} - y)", r"\frac{\partial}{\partial v_c} J = U\hat{y}"),
    ("sigmoid_grad", r"\frac{d}{dx} \sigma(x) = \sigma(x)(1-\sigma(x))", r"\frac{d}{dx} \sigma(x) = 1-\sigma(x)"),
    ("grad_center", r"\frac{\partial J}{\partial v_c} = -\frac{\partial}{\partial v_c} \log \hat{y}_o = U(\hat{y} - y)",
     r"\frac{\partial J}{\partial v_c} = -\frac{\partial}{\partial v_c} \log \hat{y}_o = U(y - \hat{y})"),
    # the quantity named as the handout names it, with its arguments and a subscript in words
    ("grad_center", r"\frac{\partial J_{\text{naive-softmax}}(v_c, o, U)}{\partial v_c} = U(\hat{y} - y)",
     r"\frac{\partial J_{\text{naive-softmax}}(v_c, o, U)}{\partial v_c} = U(y - \hat{y})"),
    ("grad_pred", r"\frac{\partial CE(y, \hat{y})}{\partial \hat{r}} = W^\top(\hat{y} - y)",
     r"\frac{\partial CE(y, \hat{y})}{\partial \hat{r}} = W^\top(y - \hat{y})"),
    # text copied from a PDF: Unicode powers, ℝᵈ, prose words without \text
    ("sigmoid_grad", "σ(x) − σ(x)²", "σ(x)² − σ(x)"),
    ("sigmoid_grad", "σ²(x) e^{−x}", "σ³(x) e^{−x}"),
    ("grad_center", "∂J/∂v_c = U(ŷ − y) ∈ ℝᵈ", "∂J/∂v_c = U(y − ŷ) ∈ ℝᵈ"),
    ("grad_center", "U(ŷ − y) where ŷ = softmax(Uᵀv_c)", "U(y − ŷ) where ŷ = softmax(Uᵀv_c)"),
    # σ written alone where σ'(x) is asked "in terms of σ(x)" (the rubric's bare = {sigma = "x"}): σ(x); a σ
    # applied to a group holding a σ alone is a product, as a person reads σ(1 - σ)
    ("sigmoid_grad", r"\sigma(1-\sigma)", r"\sigma(1+\sigma)"),
    ("sigmoid_grad", r"\sigma - \sigma^2", r"\sigma^2 - \sigma"),
    ("sigmoid_grad", "σ′ = σ(1 − σ)", "σ′ = σ"),
    ("sigmoid_grad", r"\sigma' = \sigma \cdot (1 - \sigma)", r"\sigma' = \sigma \cdot (1 + \sigma)"),
    ("sigmoid_grad", r"\sigma(x)\left(1-\sigma\right)", r"\sigma(x)\left(1-\sigma(-x)\right)"),
    # @ as written: a column times a row is their outer product (numpy's 1-D reading only where that does not fit)
    ("grad_output", "(yhat - y) @ rhat.T", "(y - yhat) @ rhat.T"),
    ("grad_pred", "(yhat - y) @ W", "(y - yhat) @ W"),
    # square brackets that group (an index stays an index: W[i]), and ⟨a, b⟩
    ("sigmoid_grad", r"\sigma(x)[1-\sigma(x)]", r"\sigma(x)[1+\sigma(x)]"),
    ("grad_pred", r"-W[i] + W^\top[\hat{y}]", r"W[i] + W^\top[\hat{y}]"),
    ("negsamp_grad_outside_o", r"(\sigma(\langle u_o, v_c \rangle) - 1) v_c", r"(\sigma(\langle u_o, v_c \rangle) + 1) v_c"),
    ("grad_outside_o", r"\frac{\partial J}{\partial u_o} = (\hat{y}_o - 1) v_c \quad (w = o)",
     r"\frac{\partial J}{\partial u_o} = \hat{y}_o v_c \quad (w = o)"),
    ("grad_outside_o", r"(\hat{y}_o - 1) v_c, \quad w = o", r"(1 - \hat{y}_o) v_c, \quad w = o"),
    # a condition "w = o" is judged with the answer: w is o there
    ("grad_outside_o", r"(\hat{y}_w - 1) v_c, \quad w = o", r"\hat{y}_w v_c, \quad w = o"),
    ("grad_outside_w", r"\hat{y}_w v_c, \quad w \neq o", r"\hat{y}_w v_c, \quad w = o"),
    ("grad_outside_w", "ŷ_w v_c for w ≠ o", "ŷ_w v_c when w = o"),
    ("grad_outside_w", "ŷ_w v_c if w ≠ o", "ŷ_w v_c if w = o"),
    ("grad_outside_w", r"\hat{y}[w] v_c, \quad w \neq o", r"\hat{y}[w] v_c, \quad w = o"),
    ("grad_outside_o", "(yhat[w] - 1) * v_c for w = o", "yhat[w] * v_c for w = o"),
    ("grad_outside_w", "ŷ_w v_c for any other word (w ≠ o)", "ŷ_w v_c for the outside word (w = o)"),
    ("grad_outside_w", "ŷ_w v_c when w is not o", "ŷ_w v_c when w is o."),
    ("grad_outside_w", r"\hat{y}_w v_c \quad \text{if $w$ is not $o$}", r"\hat{y}_w v_c \quad \text{if $w$ is $o$}"),
    ("negsamp_grad_sample", r"\sigma(u_k^\top v_c) v_c \quad \text{where } k \text{ is a negative sample}",
     r"\sigma(u_o^\top v_c) v_c \quad \text{where } k \text{ is a negative sample}"),
    # ... whichever index it names first
    ("grad_outside_w", r"\hat{y}_w v_c, \quad o \neq w", r"\hat{y}_w v_c, \quad o = w"),
    ("grad_outside_o", r"(\hat{y}_w - 1) v_c \quad (o = w)", r"\hat{y}_w v_c \quad (o = w)"),
    ("grad_outside_w", "ŷ_w v_c for o ≠ w", "ŷ_w v_c for o = w"),
    # ... and so is a condition written in \text after the answer, as LaTeX writes it
    ("grad_outside_w", r"\hat{y}_w v_c \quad \text{if } w \neq o", r"\hat{y}_w v_c \quad \text{if } w = o"),
    ("grad_outside_w", r"\hat{y}_w v_c, \text{ for } w \ne o.", r"\hat{y}_w v_c, \text{ for } w = o."),
    ("grad_outside_w", r"\hat{y}_w v_c \quad \text{when $w \neq o$}", r"\hat{y}_w v_c \quad \text{when $w = o$}"),
    ("grad_outside_w", r"\hat{y}_w v_c \quad \text{for all } w \neq o", r"\hat{y}_w v_c \quad \text{for all } w = o"),
    ("grad_outside_o", r"(\hat{y}_w - 1) v_c \quad \text{if } w = o", r"\hat{y}_w v_c \quad \text{if } w = o"),
    ("grad_outside_w", r"\hat{y}_w v_c \quad \text{if}~w \neq o", r"\hat{y}_w v_c \quad \text{if}~w = o"),
    ("grad_outside_w", r"\hat{y}_w v_c \quad \text{if}\ \mathbf{w} \ne o", r"\hat{y}_w v_c \quad \text{if}\ \mathbf{w}=o"),
    ("grad_outside_w", r"\hat{y}_w v_c \quad \text{for any other word } (w \ne o)",
     r"\hat{y}_w v_c \quad \text{for the true outside word } (w = o)"),
    ("grad_center", "U(ŷ − y) ∈ Rd", "U(ŷ + y) ∈ Rd"),
    ("grad_center", r"U(\hat{y} - y) \in R^{d}", r"U(\hat{y} + y) \in R^{d}"),
    # |\mathcal{V}|, a letter in \text{} or \mathsf{}, an end-of-proof mark
    ("grad_center", r"-\mathbf{u}_{o} + \sum_{w=1}^{|\mathcal{V}|} \hat{\mathbf{y}}_w \mathbf{u}_w",
     r"-\mathbf{u}_{o} + \sum_{w=2}^{|\mathcal{V}|} \hat{\mathbf{y}}_w \mathbf{u}_w"),
    ("grad_center", r"\textrm{U}(\hat{y} - y)", r"\textrm{U}(y - \hat{y})"),
    ("grad_center", r"\mathsf{U}(\hat{y} - y) \qquad \blacksquare", r"\mathsf{U}\hat{y} \qquad \blacksquare"),
    # a sum's conditions stacked with \substack
    ("skipgram_grad_center", r"\sum_{\substack{-m \le j \le m \\ j \ne 0}} U(\hat{y} - y_j)",
     r"\sum_{\substack{-m \le j \le m \\ j \ne 0}} U(y_j - \hat{y})"),
    # in terms of one outside word's loss J(v_c, w_{t+j}, U), as a2's handout asks
    ("skipgram_grad_center", r"\sum_{-m \le j \le m, j \ne 0} \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}",
     r"\sum_{-m \le j \le m, j \ne 0} \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c} - u_o"),
    # a function's argument in a group is that group, not the rest of the product
    ("grad_center", r"-u_o + \frac{\sum_w \exp{(u_w^\top v_c)} u_w}{\sum_x \exp{(u_x^\top v_c)}}",
     r"u_o + \frac{\sum_w \exp{(u_w^\top v_c)} u_w}{\sum_x \exp{(u_x^\top v_c)}}"),
    ("grad_center", r"-u_o + \frac{\sum_w \exp\{u_w^\top v_c\} u_w}{\sum_x \exp\{u_x^\top v_c\}}",
     r"u_o - \frac{\sum_w \exp\{u_w^\top v_c\} u_w}{\sum_x \exp\{u_x^\top v_c\}}"),
    # both cases of ∂J/∂u_w in one cases environment: each question is judged on its own case
    ("grad_outside_o", CASES, CASES_SWAPPED),
    ("grad_outside_w", CASES, CASES_SWAPPED),
    ("grad_outside_o", CASES_OTHERWISE, CASES_SWAPPED),
    ("grad_outside_w", CASES_OTHERWISE, CASES_SWAPPED),
    ("grad_outside_o", CASES_O_FIRST, CASES_SWAPPED),
    ("grad_outside_w", CASES_O_FIRST, CASES_SWAPPED),
    # ... or one a line, each with its condition: each question is judged on its own line
    ("grad_outside_o", LINES_O_FIRST, LINES_SWAPPED),
    ("grad_outside_w", LINES_O_FIRST, LINES_SWAPPED),
    ("grad_outside_o", LINES_W_FIRST, LINES_SWAPPED_W_FIRST),
    ("grad_outside_w", LINES_W_FIRST, LINES_SWAPPED_W_FIRST),
]


@pytest.mark.parametrize("qid, right, wrong", STUDENT_LATEX)
def test_check_written_reads_latex_as_students_write_it(qid, right, wrong):
    code, out, err = run(["check", "--written", qid, right, "--no-color"])
    assert (code, err) == (0, ""), out
    assert out.startswith(f"written/{qid}/answer: pass"), out
    code, out, err = run(["check", "--written", qid, wrong, "--no-color"])
    assert (code, err) == (1, ""), out
    assert out.startswith(f"written/{qid}/answer: fail (0 / ") and "\nWrong: " in out, out


@pytest.mark.parametrize("answer", [r"(\sigma(x) - \sigma(x)^2)'", r"\sigma(x)(1-\sigma(x))'",
                                    r"[\sigma(x)(1-\sigma(x))]'", r"\left(\frac{1}{1+e^{-x}}\right)'"])
def test_a_prime_on_a_number_is_a_derivative_not_worked_out_not_a_transpose(answer):
    # (σ(x) - σ(x)²)' is the derivative of σ(x) - σ(x)², not σ(x) - σ(x)² transposed (which would pass)
    code, out, _ = run(["check", "--written", "sigmoid_grad", answer, "--no-color"])
    assert code == 1 and out.startswith("written/sigmoid_grad/answer: fail (0 / 1)"), out
    assert "is a number with a prime, which reads as a derivative: it is not worked out" in out


def test_a_step_with_a_prime_on_a_number_is_not_taken_for_a_wrong_step():
    code, out, _ = run(["check", "--written", "sigmoid_grad",
                        r"\sigma'(x) = \left(\frac{1}{1+e^{-x}}\right)' = \sigma(x)(1-\sigma(x))", "--no-color"])
    assert code == 0 and "An earlier step is wrong" not in out, out


def test_a_primed_index_is_its_own_index():
    code, out, _ = run(["check", "--written", "grad_center", r"-u_o + \sum_{w'} \hat{y}_{w'} u_w", "--no-color"])
    assert code == 1
    assert "index 'w' at line 1, column 33 is used outside any sum: bind it with a sum (\\sum_w)" in out


def test_the_shape_and_condition_after_an_answer_are_not_read_as_part_of_it():
    code, out, _ = run(["check", "--written", "grad_outside_w", r"\hat{y}_w v_c \in \mathbb{R}^d, \quad w \neq o",
                        "--no-color"])
    assert code == 0
    assert out.endswith("Your answer, as read:\n  line 1  right  ŷ_w v_c\n                 equals ∂J/∂u_w\n"), out


def test_a_cases_answer_is_judged_on_the_case_the_question_asks_for():
    code, out, _ = run(["check", "--written", "grad_outside_o", CASES, "--no-color"])
    assert code == 0
    assert "\n  line 2         ∂J/∂u_o =\n  line 2  right  (ŷ_o - 1) v_c\n" in out


def test_a_case_under_a_condition_on_another_word_answers_no_question():
    # "w ≠ c" is not "w ≠ o": its case ŷ_w v_c is not the answer for every w ≠ o (nor w = c's for the word o)
    wrong = (r"\frac{\partial J}{\partial u_w} = \begin{cases} (\hat{y}_w - 1) v_c & \text{if } w = c \\ "
             r"\hat{y}_w v_c & \text{if } w \neq c \end{cases}")
    for qid in ("grad_outside_w", "grad_outside_o"):
        code, out, _ = run(["check", "--written", qid, wrong, "--no-color"])
        assert code == 1 and out.startswith(f"written/{qid}/answer: fail (0 / 1)"), out


def test_a_leibniz_derivative_on_the_left_is_read_as_the_quantity_not_as_the_answer():
    code, out, _ = run(["check", "--written", "sigmoid_grad", r"\frac{d\sigma}{dx} = \sigma(x)(1-\sigma(x))",
                        "--no-color"])
    assert code == 0
    assert "  line 1         ∂σ(x)/∂x =\n  line 1  right  σ(x) (1 - σ(x))\n" in out


def test_check_written_malformed_input_is_a_message_not_a_traceback():
    """Said once: the unreadable line's message is the check's, so it is not repeated under the line."""
    code, out, err = run(["check", "--written", "grad_pred", r"\frac{-w_i}{2", "--no-color"])
    assert (code, err) == (1, "")
    assert out == ("written/grad_pred/answer: fail (0 / 2)\n"
                   "Could not read your answer: unbalanced '{' at line 1, column 12: it is never closed (add '}').\n"
                   "Your answer, as read:\n"
                   "  line 1  error  \\frac{-w_i}{2\n")


def test_check_written_reads_standard_input(monkeypatch):
    code, out, _ = run(["check", "--written", "grad_center", "-", "--no-color"], stdin="U(\\hat{y} - y)\n",
                       monkeypatch=monkeypatch)
    assert code == 0 and out.startswith("written/grad_center/answer: pass (2 / 2)")


@pytest.mark.parametrize("argv, message", [
    (["check", "--written", "grad_prd", "x"],
     "error: --written: no written question 'grad_prd'; did you mean 'grad_pred'? (written questions: sigmoid_grad, "
     "grad_pred, grad_output, grad_center, grad_outside_o, grad_outside_w, grad_outside_matrix, negsamp_grad_center, "
     "negsamp_grad_outside_o, negsamp_grad_sample, skipgram_grad_center, skipgram_grad_outside)\n"),
    (["check", "--written", "grad_pred"], "error: argument --written: expected 2 arguments (see 'grader check --help')\n"),
    (["check", "x.py", "--written", "grad_pred", "W"],
     "error: --written checks one answer: give no PATH and no --kit with it\n"),
    (["check"], "error: check needs PATH (a .py file, a notebook, a folder or a .zip), or --written ID ANSWER\n"),
    (["check", "--rubric", "word2vec", "--written", "grad_pred", "W"],
     "error: rubric 'word2vec-softmax' has no written questions; give --rubric cs224n-a2-written, cs224d-2016-written "
     "or written (each course version's written questions, in its notation), or leave --rubric out for the built-in "
     "'written'\n"),
    # a question of another course version's written rubric: named, not a "did you mean" another question
    (["check", "--rubric", "cs224d-2016-written", "--written", "grad_center", "U"],
     "error: --written: no written question 'grad_center'; it is a question of --rubric cs224n-a2-written and of "
     "written (written questions: sigmoid_grad, grad_pred, grad_output)\n"),
])
def test_check_written_bad_arguments_exit_2(argv, message):
    code, out, err = run(argv)
    assert (code, out, err) == (2, "", message)


def test_check_written_json_is_a_result_document():
    code, out, _ = run(["check", "--written", "written/grad_output", r"\hat{r}(\hat{y} - y)^\top", "--json"])
    doc = json.loads(out)
    assert code == 1 and doc["schema"] == "grader.result/1" and (doc["score"], doc["max_score"]) == (0.0, 2.0)
    (q,) = doc["questions"]
    (c,) = q["checks"]
    assert (q["id"], c["id"], c["status"], c["mistake"]) == ("written/grad_output", "written/grad_output/answer",
                                                            "fail", "transposed")
    assert c["written"]["lines"][0]["read"] == "r̂(ŷ - y)ᵀ" and c["written"]["lines"][0]["mathml"].startswith("<math")


def test_check_written_runs_in_a_fresh_process():
    p = subprocess.run([sys.executable, "-c", "from grader.cli import console_main; console_main()", "check", "--written", "sigmoid_grad",
                        r"\sigma(x)(1-\sigma(x))", "--no-color"], capture_output=True, text=True, timeout=120,
                       check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("written/sigmoid_grad/answer: pass (1 / 1)\n")


# --------------------------------------------------------------------------- grader grade with written answers


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    root = tmp_path / "subs"
    alice = root / "alice"
    alice.mkdir(parents=True)
    (alice / "q3_word2vec.py").write_text(CORRECT)
    (alice / "written.md").write_text("# Written part\n\n## grad_pred\n\n```\n" + DERIVATION + "\n```\n\n"
                                      "## grad_output\n$$ \\hat{r}(\\hat{y} - y)^\\top $$\n", encoding="utf-8")
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [], "source": CORRECT},
        {"cell_type": "markdown", "metadata": {}, "source": ["## written/grad_center\n", "$$U(\\hat{y} - y)$$\n"]},
    ]}
    (root / "bob.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return root


def test_grade_reads_written_answers_from_markdown_and_notebook_cells(subs, tmp_path):
    out_dir = tmp_path / "results"
    code, _, err = run(["grade", str(subs), "--out", str(out_dir), "--rubric", "written", "--jobs", "1",
                        "--no-progress"])
    assert code == 0, err
    alice = json.loads((out_dir / "alice" / "result.json").read_text())
    bob = json.loads((out_dir / "bob" / "result.json").read_text())
    a = {q["id"]: q for q in alice["questions"]}
    b = {q["id"]: q for q in bob["questions"]}
    assert a["written/grad_pred"]["score"] == 2.0 and a["written/grad_output"]["score"] == 0.0
    assert a["written/grad_output"]["checks"][0]["mistake"] == "transposed"
    assert a["written/grad_output"]["checks"][0]["message"].startswith("Wrong (written.md): ")
    assert b["written/grad_center"]["checks"][0]["message"] == \
        "Right (bob.ipynb, cell #2): your answer equals ∂J/∂v_c on 3 random instances."
    assert b["written/grad_pred"]["checks"][0]["message"].startswith("No answer found for grad_pred: ")
    # written points add to the submission's score
    code_points = sum(q["score"] for q in alice["questions"] if not q["id"].startswith("written/"))
    assert alice["score"] == code_points + 2.0
    assert alice["max_score"] == sum(q["max_score"] for q in alice["questions"] if not q.get("extra"))  # (CBOW: extra credit)
    html = (out_dir / "alice" / "report.html").read_text()
    assert html.count("<math display=\"inline\">") >= 6 and 'id="first-wrong"' in html


def _csv(path: Path) -> list[dict]:
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_grades_csv_has_a_column_per_written_question_and_keeps_them_after_an_override(subs, tmp_path):
    out_dir = tmp_path / "results"
    code, _, err = run(["grade", str(subs), "--out", str(out_dir), "--rubric", "written", "--jobs", "1",
                        "--no-progress"])
    assert code == 0, err
    header = (out_dir / "grades.csv").read_text().splitlines()[0].split(",")
    written = [h for h in header if h.startswith("written/")]
    assert "written/grad_pred" in written and "written/grad_output" in written and len(written) >= 10
    rows = {r["id"]: r for r in _csv(out_dir / "grades.csv")}
    alice = json.loads((out_dir / "alice" / "result.json").read_text())
    assert rows["alice"]["written/grad_pred"] == "2"
    # every point of the total is in a question column
    assert sum(float(rows["alice"][h]) for h in header[10:] if rows["alice"][h]) == alice["score"]
    code, _, err = run(["override", str(out_dir), "alice", "written/grad_output", "--score", "1.5"])
    assert code == 0, err
    assert (out_dir / "grades.csv").read_text().splitlines()[0].split(",") == header  # the same columns
    assert {r["id"]: r for r in _csv(out_dir / "grades.csv")}["alice"]["written/grad_output"] == "1.5"


# --------------------------------------------------------------------------- report.html in the browser
# (the `chrome` fixture is conftest.py's: one headless Chromium per module)


@pytest.mark.browser
@pytest.mark.parametrize("width, phone", [(1280, False), (390, True)])
def test_report_shows_the_reading_as_mathml_the_first_wrong_step_and_the_compact_form(chrome, tmp_path, width, phone):
    page = tmp_path / "report.html"
    code, _, _ = run(["check", "--written", "grad_pred", DERIVATION, "--html", str(page), "--no-color"])
    assert code == 0
    seen = chrome.open(page, width=width, height=900, mobile=phone)
    assert_quiet(seen, page)
    assert_fits(chrome, width, "report.html of a written answer")
    rows = chrome.js("Array.from(document.querySelectorAll('.written-lines tbody tr')).map((r) => "
                     "[r.className, r.cells[0].innerText, r.querySelector('.verdict').innerText])")
    assert rows == [["w-label", "1", "names the quantity"], ["w-right", "1", "right"], ["w-wrong", "2", "wrong"],
                    ["w-right", "3", "right"], ["w-label", "4", "names the quantity"], ["w-right", "4", "right"]]
    assert chrome.js("document.querySelector('#first-wrong').cells[0].innerText") == "2"
    # MathML is laid out by the browser (no script): every reading has a size, a sum and a hat are drawn
    sizes = chrome.js("Array.from(document.querySelectorAll('.written-lines math')).map((m) => "
                      "{ const r = m.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; })")
    assert len(sizes) == 6 and all(w > 10 and h > 5 for w, h in sizes), sizes
    assert chrome.js("document.querySelectorAll('.written-lines munder').length") > 5
    text = squash(chrome.js("document.body.innerText"))
    assert "The first wrong step is line 2." in text
    assert "Compact form:" in text and "Wᵀ(ŷ - y)" in text
    assert chrome.js("document.querySelector('.compact-form math msup') !== null") is True


def test_grade_reads_written_md_from_a_canvas_download(tmp_path):
    subs = tmp_path / "canvas"
    subs.mkdir()
    (subs / "smithjohn_1234_5678_q3_word2vec.py").write_text(CORRECT)
    (subs / "smithjohn_1234_5679_written.md").write_text("## grad_pred\n$$ -w_i + \\sum_x \\hat{y}_x w_x $$\n")
    (subs / "doejane_LATE_4321_8765_q3_word2vec.py").write_text(CORRECT)
    out_dir = tmp_path / "results"
    code, _, err = run(["grade", str(subs), "--out", str(out_dir), "--rubric", "written", "--jobs", "1",
                        "--no-progress"])
    assert code == 0, err
    john = {q["id"]: q for q in json.loads((out_dir / "1234" / "result.json").read_text())["questions"]}
    jane = {q["id"]: q for q in json.loads((out_dir / "4321" / "result.json").read_text())["questions"]}
    assert john["written/grad_pred"]["checks"][0]["message"].startswith("Right (written.md): ")
    assert jane["written/grad_pred"]["checks"][0]["message"].startswith("No answer found for grad_pred")


def test_rubric_check_judges_each_compact_form_against_its_own_question(tmp_path):
    code, out, err = run(["rubric", "check", "written"])
    assert code == 0 and "  written questions whose compact form equals their reference quantity: 12\n" in out
    mine = tmp_path / "mine.toml"
    mine.write_text('extends = "written"\n[written.questions.grad_pred]\ncompact = \'W(\\hat{y} - y)\'\n')
    code, out, err = run(["rubric", "check", str(mine)])
    assert code == 2
    assert ("error: written.questions.grad_pred: its compact form does not equal its quantity: Your answer could not "
            "be evaluated: W times (ŷ - y) at line 1, column 1:") in err


def test_the_python_api_checks_a_written_answer():
    import grader
    from grader.errors import UsageError

    r = grader.check_written("written/grad_center", r"U(\hat{y} - y)")
    assert (r.status, r.score, r.isolation, [q.id for q in r.questions]) == ("graded", 2.0, "none",
                                                                              ["written/grad_center"])
    with pytest.raises(UsageError, match="has no written questions"):
        grader.check_written("grad_pred", "W", rubric="word2vec")


@pytest.mark.parametrize("answer", [
    "\\begin{align}\n\\frac{\\partial J}{\\partial v_c} &= U(\\hat{y} - y)\n\\end{align}\n",
    "\\begin{align*}\nU(\\hat{y} - y)\n\\end{align*}\n\n",
    "\\begin{equation}\nU(\\hat{y} - y)\n\\end{equation}  \n",
    "\\begin{align*}\nJ &= -\\log \\hat{y}_o \\\\\n\\end{align*}\n\\begin{align*}\nU(\\hat{y} - y)\n\\end{align*}\n",
    "\n\n\\[\nU(\\hat{y} - y)\n\\]\n\n",
])
def test_trailing_whitespace_after_an_environment_is_harmless(answer, monkeypatch):
    import grader

    code, out, _ = run(["check", "--written", "grad_center", "-", "--no-color"], stdin=answer, monkeypatch=monkeypatch)
    assert code == 0 and out.startswith("written/grad_center/answer: pass (2 / 2)"), out
    assert grader.check_written("grad_center", answer).score == 2.0


def test_a_submission_of_written_answers_only_is_graded_on_them(tmp_path):
    # Gradescope's written part handed in on its own, in a batch and in a student's self-check
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "written.md").write_text("## grad_pred\n$$ -w_i + \\sum_x \\hat{y}_x w_x $$\n")
    (subs / "bob.txt").write_text("my answers are in the PDF\n")  # no code and no written answers: an error
    out_dir = tmp_path / "results"
    code, _, err = run(["grade", str(subs), "--out", str(out_dir), "--rubric", "written", "--jobs", "1",
                        "--no-progress"])
    assert code == 0, err
    alice = json.loads((out_dir / "alice" / "result.json").read_text())
    assert alice["status"] == "graded" and alice["score"] == 2 and alice["errors"] == []
    questions = {q["id"]: q for q in alice["questions"]}
    assert questions["written/grad_pred"]["checks"][0]["message"].startswith("Right (written.md): ")
    assert questions["written/grad_pred"]["file"] == "written" and questions["softmax"]["file"] == "q1"
    assert all(c["status"] == "error" and c["message"].startswith("not run: no Python code found in subs/alice: ")
               for q in alice["questions"] if not q["id"].startswith("written/") for c in q["checks"])
    assert "no Python code was handed in: the written answers were graded, and every code check failed." in alice["notes"]
    assert json.loads((out_dir / "bob" / "result.json").read_text())["status"] == "error"
    code, out, err = run(["check", "--rubric", "written", str(subs / "alice"), "--json"])
    assert code == 1, err
    assert json.loads(out)["score"] == 2
    # a rubric without written questions: still nothing to grade
    code, out, err = run(["check", str(subs / "alice")])
    assert code == 2 and "no Python code found in alice" in err


def test_an_instance_of_sigmoid_grad_is_described_by_x_alone_and_once():
    code, out, err = run(["check", "--written", "sigmoid_grad", r"\sigma(x)(1+\sigma(x))", "--json"])
    assert code == 1, err
    (check,) = [c for q in json.loads(out)["questions"] for c in q["checks"]]
    # x is said where the verdict names the instance; "Where it differs" would only say it again
    assert check["written"]["instance"] == "" and check["message"].count("(x = ") == 1, check
    assert "|V|" not in check["message"] and "d = " not in check["message"]
    code, out, err = run(["check", "--written", "grad_pred", r"W^T(y-\hat{y})", "--json"])
    (check,) = [c for q in json.loads(out)["questions"] for c in q["checks"]]
    assert "on instance 1 (|V| = 5, d = 3, i = " in check["message"]
    assert check["written"]["instance"].startswith("instance 1: W = [[") and "|V|" not in check["written"]["instance"]


QUADRATIC_REFERENCE = textwrap.dedent("""
    import numpy as np

    def instance(rng, n=4):
        return {"A": rng.normal(size=(n, n)), "x": rng.normal(size=n), "n": n}

    def quad_grad(inst):
        return (inst["A"] + inst["A"].T) @ inst["x"]

    def quad_grad_symmetric(inst):
        return 2 * inst["A"] @ inst["x"]

    def broken(rng, n=4):
        raise ValueError("no instance today")

    def a_list(rng, n=4):
        return [1, 2]

    def ident(x):
        return x

    def gen_x(rng):
        return (rng.normal(size=3),)
""")


def _quadratic_rubric(folder: Path, generator: str = "instance") -> Path:
    """A TA's own assignment: one code question and a written gradient of xᵀAx, none of word2vec's symbols."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ref.py").write_text(QUADRATIC_REFERENCE)
    rubric = folder / f"quad-{generator}.toml"
    rubric.write_text(textwrap.dedent(f"""
        name = "quad"
        reference = "ref.py"

        [functions.f]
        names = ["f"]
        params = ["x"]

        [cases.c]
        function = "f"
        generator = "gen_x"

        [questions.f]
        title = "f"
        expected = "ident"
        [questions.f.checks.c]
        case = "c"

        [written]
        reference = "ref.py"
        generator = "{generator}"
        instances = 3

        [written.notations.lin]
        A = {{role = "matrix", value = "A", text = "a square matrix"}}
        x = {{role = "vector", value = "x", text = "a vector"}}

        [written.mistakes.symmetric]
        message = "You assumed A is symmetric."
        formula = "quad_grad_symmetric"

        [written.questions.quad]
        title = "gradient of xᵀAx"
        notation = "lin"
        expected = "quad_grad"
        labels = ['\\\\nabla_x f']
        compact = '(A + A^T) x'
        points = 2
        mistakes = ["symmetric"]
    """))
    return rubric


def _derivations_rubric(folder: Path, code_tables: str = "") -> Path:
    """The quadratic assignment's written part alone: a rubric of written questions only."""
    _quadratic_rubric(folder)
    rubric = folder / "derivations.toml"
    text = (folder / "quad-instance.toml").read_text()
    rubric.write_text('name = "derivations"\nreference = "ref.py"\n' + code_tables + "\n" + text[text.index("[written]"):])
    return rubric


def test_a_written_part_of_a_tas_own_assignment_judges_wrong_answers_in_words(tmp_path):
    rubric = _quadratic_rubric(tmp_path / "quad")
    assert run(["rubric", "check", str(rubric)])[0] == 0
    code, out, err = run(["check", "--rubric", str(rubric), "--written", "quad", "2 A x", "--no-color"])
    assert code == 1 and "Traceback" not in err, err
    assert "on instance 1 (A: 4×4, x: 4, n = 4)" in out and "Likely mistake: You assumed A is symmetric." in out
    code, out, _ = run(["check", "--rubric", str(rubric), "--written", "quad", "(A + A^T) x", "--no-color"])
    assert code == 0 and "pass (2 / 2)" in out
    subs = tmp_path / "subs"
    (subs / "bob").mkdir(parents=True)
    (subs / "bob" / "f.py").write_text("def f(x):\n    return x\n")
    (subs / "bob" / "written.md").write_text("## quad\n$$ 2 A x $$\n")
    code, _, err = run(["grade", str(subs), "--out", str(tmp_path / "out"), "--rubric", str(rubric), "--no-progress"])
    assert code == 0, err
    bob = json.loads((tmp_path / "out" / "bob" / "result.json").read_text())
    assert bob["status"] == "graded" and bob["score"] == 1  # the code question's point; the written answer's 0


@pytest.mark.parametrize(("generator", "said"), [
    ("broken", "written.generator: 'broken' failed: ValueError: no instance today"),
    ("a_list", "written.generator: 'a_list' failed: TypeError: it returned list, not a dict of named values"),
])
def test_a_written_generator_that_fails_is_a_rubric_error(tmp_path, generator, said):
    rubric = _quadratic_rubric(tmp_path / "quad", generator)
    code, _, err = run(["rubric", "check", str(rubric)])
    assert code == 2 and said in err and "Traceback" not in err, err


def _written_scores(tmp_path: Path, name: str, text: str) -> dict[str, tuple[float, str]]:
    """`grader check --rubric written` on a folder holding one prose file: question -> (score, message)."""
    folder = tmp_path / "sub"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    code, out, err = run(["check", "--rubric", "written", str(folder), "--json"])
    assert code in (0, 1) and "Traceback" not in err, err
    return {q["id"]: (q["score"], q["checks"][0]["message"]) for q in json.loads(out)["questions"]
            if q["id"].startswith("written/")}


def test_a_python_comment_in_a_fenced_block_is_not_a_heading(tmp_path):
    text = ("Checked numerically first:\n\n```python\n# grad_pred: numerical check\nprint(err)\n```\n\n"
            "## grad_pred\n\n$$ \\frac{\\partial CE}{\\partial \\hat r} = W^{\\top}(\\hat y - y) $$\n")
    score, message = _written_scores(tmp_path, "written.md", text)["written/grad_pred"]
    assert score == 2 and message.startswith("Right (written.md)"), message


def test_a_commented_out_attempt_in_written_tex_is_not_the_answer(tmp_path):
    text = ("\\section*{grad\\_pred}\n\\begin{equation*}\nW^\\top(\\hat{y} - y)\n\\end{equation*}\n"
            "% old attempt, wrong: $$ W^\\top(y - \\hat y) $$\n"
            "The sign matters: 50\\% of us got it wrong.\n")
    score, message = _written_scores(tmp_path, "written.tex", text)["written/grad_pred"]
    assert score == 2 and message.startswith("Right (written.tex)"), message


@pytest.mark.parametrize("where", [
    "where\n\n$$\\hat{y} = \\mathrm{softmax}(U^\\top v_c)$$\n",
    "where $$y_o = 1$$ and the other entries of $y$ are 0.\n",
])
def test_a_display_block_defining_a_symbol_after_the_answer_is_not_the_answer(tmp_path, where):
    text = "## grad_center\n\n$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)$$\n\n" + where
    score, message = _written_scores(tmp_path, "written.md", text)["written/grad_center"]
    assert score == 2 and message.startswith("Right (written.md)"), message
    # ... while the same symbol written as the answer's last step is the answer, and wrong
    wrong = "## grad_center\n\n$$ J = -\\log \\hat{y}_o $$\n\n$$ g = \\hat{y} - y $$\n"
    assert _written_scores(tmp_path, "written.md", wrong)["written/grad_center"][0] == 0


@pytest.mark.parametrize("answer", [
    "\\begin{equation}\n\\sigma(x)(1 - \\sigma(x)) \\label{eq:sigma-grad}\n\\end{equation}",
    "\\sigma(x)(1 - \\sigma(x)) \\tag{3}",
    "\\boxed{\\sigma(x)(1 - \\sigma(x))}",
    "\\textstyle \\sigma(x)(1 - \\sigma(x))",
    "2 \\cdot \\frac12 \\sigma(x)(1 - \\sigma(x))",
    "\\frac1{1 + e^{-x}}(1 - \\sigma(x))",
])
def test_labels_tags_boxes_and_one_digit_fractions_are_read_as_latex_reads_them(answer):
    import grader

    assert grader.check_written("sigmoid_grad", answer).score == 1.0
    assert grader.check_written("sigmoid_grad", answer.replace("1 - ", "2 - ")).score == 0.0


@pytest.mark.parametrize("index", ["k", "j", "i", "l"])
def test_a_sum_up_to_k_runs_over_the_negative_samples_whatever_its_index_is_called(index):
    import grader

    right = rf"-\sigma(-u_o^T v_c) u_o + \sum_{{{index}=1}}^{{K}} \sigma(u_{index}^T v_c) u_{index}"
    assert grader.check_written("negsamp_grad_center", right).score == 1.0
    # its bounds still count: the first sample left out is wrong
    assert grader.check_written("negsamp_grad_center", right.replace(f"{index}=1", f"{index}=2")).score == 0.0
    # and a sum over the vocabulary is not one over the samples
    assert grader.check_written("negsamp_grad_center", right.replace("^{K}", "^{|V|}")).score == 0.0


def test_a_rubric_of_written_questions_only_checks_and_grades_without_running_code(tmp_path):
    rubric = _derivations_rubric(tmp_path / "quad")
    code, out, err = run(["rubric", "check", str(rubric)])
    assert code == 0, err
    assert "written questions only, 2 points: no code is run" in out and out.endswith("the rubric can grade.\n")
    subs = tmp_path / "subs"
    for sid, answer in (("alice", "(A + A^T) x"), ("bob", "2 A x"), ("carl", "(A + A^T) x")):
        (subs / sid).mkdir(parents=True)
        (subs / sid / "written.md").write_text(f"## quad\n$$ {answer} $$\n")
    # carl's code is never run: a rubric without functions has nothing to call, and nothing to load
    (subs / "carl" / "extra.py").write_text("print('loaded')\n")
    code, _, err = run(["grade", str(subs), "--out", str(tmp_path / "out"), "--rubric", str(rubric), "--no-progress"])
    assert code == 0, err
    got = {sid: json.loads((tmp_path / "out" / sid / "result.json").read_text()) for sid in ("alice", "bob", "carl")}
    assert {sid: (r["status"], r["score"], r["max_score"]) for sid, r in got.items()} == {
        "alice": ("graded", 2, 2), "bob": ("graded", 0, 2), "carl": ("graded", 2, 2)}
    assert got["bob"]["questions"][0]["checks"][0]["hint"] == "You assumed A is symmetric."
    assert not any("code check" in n for r in got.values() for n in r["notes"])
    assert got["carl"]["load"] is None and got["carl"]["isolation"] == ""  # no sandbox: nothing was loaded
    code, out, _ = run(["check", "--rubric", str(rubric), str(subs / "bob"), "--no-color"])
    assert code == 1 and "written/quad" in out and "You assumed A is symmetric." in out


def test_the_terminal_names_every_unanswered_written_question_on_one_line(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "q3_word2vec.py").write_text(CORRECT)
    (folder / "written.md").write_text("## grad_pred\n$$ W^\\top(\\hat y - y) $$\n")
    code, out, _ = run(["check", "--rubric", "written", str(folder), "--no-color"])
    assert code == 1
    assert out.count("No answer found for") == 1, out
    line = next(x for x in out.splitlines() if "No answer found for" in x)
    assert "sigmoid_grad, grad_output, grad_center" in line and "grad_pred" not in line.split(":")[1]
    assert "write each in written.md under a heading that names it ('## <id>')" in line


def test_a_display_equation_broken_across_source_lines_is_one_line_as_latex_reads_it(tmp_path):
    # a line break inside $$ ... $$ (or \[ ... \]) is a space in LaTeX: the equation was read as two
    # lines, the first unreadable ("unexpected ''"), the answer judged on its second half alone
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "q3_word2vec.py").write_text(CORRECT)
    (folder / "written.md").write_text(
        "## grad_pred\n$$\n\\frac{\\partial CE}{\\partial \\hat r} = -w_i +\n\\sum_x \\hat y_x w_x\n$$\n\n"
        "## grad_output\n\\[\n\\frac{\\partial CE}{\\partial W} = (\\hat y - y)\n\\hat r^\\top\n\\]\n\n"
        "## sigmoid_grad\n$$\\begin{aligned} \\sigma'(x) &= \\frac{e^{-x}}{(1 +\n e^{-x})^2} \\\\\n"
        "&= \\sigma(x)(1 -\n\\sigma(x)) \\end{aligned}$$\n")
    code, out, _ = run(["check", "--rubric", "written", str(folder), "--json"])
    by_id = {q["id"]: q for q in json.loads(out)["questions"]}
    for qid in ("written/grad_pred", "written/grad_output", "written/sigmoid_grad"):
        check = by_id[qid]["checks"][0]
        assert check["status"] == "pass", (qid, check["message"])
    steps = by_id["written/sigmoid_grad"]["checks"][0]["written"]["lines"]
    assert [ln["status"] for ln in steps] == ["label", "right", "right"], steps


def test_a_rubric_of_written_questions_only_says_no_written_answer_was_found_not_no_python(tmp_path):
    rubric = _derivations_rubric(tmp_path / "quad")
    subs = tmp_path / "subs"
    (subs / "pdfonly").mkdir(parents=True)
    (subs / "pdfonly" / "answers.pdf").write_bytes(b"%PDF-1.4\n")
    code, _, err = run(["check", "--rubric", str(rubric), str(subs / "pdfonly")])
    assert code == 2 and "no written answers found in" in err and "Python" not in err, err
    assert "('## quad')" in err
    code, _, err = run(["grade", str(subs), "--out", str(tmp_path / "out"), "--rubric", str(rubric), "--no-progress"])
    assert code == 0, err
    r = json.loads((tmp_path / "out" / "pdfonly" / "result.json").read_text())
    assert r["status"] == "error" and r["errors"][0].startswith("no written answers found in")


def test_written_md_is_read_before_scratch_files_and_the_others_are_named(tmp_path):
    folder = tmp_path / "zed"
    folder.mkdir()
    (folder / "q3_word2vec.py").write_text(CORRECT)
    (folder / "a_scratch.md").write_text("## grad_pred\n$$ W^\\top(y - \\hat y) $$\n")  # a first try, wrong
    (folder / "written.tex").write_text("\\section*{grad\\_pred}\n\\[ W^\\top(\\hat y - y) \\]\n")
    code, out, _ = run(["check", "--rubric", "written", str(folder), "--json"])
    grad_pred = next(q for q in json.loads(out)["questions"] if q["id"] == "written/grad_pred")
    (c,) = grad_pred["checks"]
    assert c["status"] == "pass" and c["message"].startswith("Right (written.tex)")
    assert "answered in written.tex and also in a_scratch.md: the answer in written.tex was graded." in c["notes"]


@pytest.mark.parametrize(("name", "text"), [
    ("written.tex", "\\section*{grad\\_pred}\n\\[ W^\\top(\\hat y - y) \\]\n"
                    "\\begin{comment}\nfirst try: \\[ W^\\top(y - \\hat y) \\]\n\\end{comment}\n"),
    ("written.tex", "\\section*{grad\\_pred}\n\\[ W^\\top(\\hat y - y) \\]\n"
                    "\\iffalse\nold: \\[ W^\\top(y - \\hat y) \\] (\\fix this)\n\\fi\n"),
    ("written.md", "## grad_pred\n$$ W^\\top(\\hat y - y) $$\n<!--\nmy first try:\n$$ W^\\top(y - \\hat y) $$\n-->\n"),
])
def test_an_attempt_left_in_a_comment_is_not_the_answer(tmp_path, name, text):
    score, message = _written_scores(tmp_path, name, text)["written/grad_pred"]
    assert score == 2, message


def test_a_rubric_of_written_questions_only_may_keep_empty_code_tables(tmp_path):
    rubric = _derivations_rubric(tmp_path / "quad", "functions = {}\ncases = {}\nquestions = {}\n")
    code, out, err = run(["rubric", "check", str(rubric)])
    assert code == 0 and "written questions only" in out, err


@pytest.mark.parametrize("answer", [
    "W^\\top(\\hat y - y) \\quad \\text{where } y \\text{ is one-hot}",
    "W^\\top(\\hat y - y), \\text{ where } y_i = 1",
    "W^\\top(\\hat y - y) \\qquad\\text{(final)}",
    "\\text{hence } W^\\top(\\hat y - y)",
    "W^\\top(\\hat y - y) \\eqref{eq:1}",
    "{\\color{red} W^\\top(\\hat y - y)}",
    "\\fbox{W^\\top(\\hat y - y)}",
])
def test_prose_and_marks_around_the_math_are_not_read_as_math(answer):
    import grader

    assert grader.check_written("grad_pred", answer).score == 2.0
    assert grader.check_written("grad_pred", answer.replace("(\\hat y - y)", "(y - \\hat y)")).score == 0.0


@pytest.mark.parametrize(("qid", "answer", "said"), [
    # a "≠" condition naming another word than the case's: the formula alone is right, the case is not
    ("grad_outside_w", r"\hat{y}_w v_c, \quad w \neq c",
     "the condition w ≠ c (line 1) names the wrong word: c where the case asks for o (this question asks for the case w ≠ o)"),
    ("grad_outside_w", r"\hat{y}_w v_c \quad \text{if } w \neq c", "names the wrong word: c where the case asks for o"),
    ("grad_outside_w", "ŷ_w v_c for w ≠ c", "names the wrong word: c where the case asks for o"),
    ("grad_outside_o", r"(\hat{y}_w - 1) v_c, \quad w = c", "names the wrong word: c where the case asks for o"),
    # the other case's condition under this case's formula
    ("grad_outside_o", r"(\hat{y}_o - 1) v_c, \quad w \neq o",
     "the condition w ≠ o (line 1) is the other case: this question asks for the case w = o"),
])
def test_a_condition_on_the_wrong_word_or_case_is_judged_not_dropped(tmp_path, qid, answer, said):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$\n{answer}\n$$\n")[f"written/{qid}"]
    assert score == 0 and message.startswith("Wrong (written.md): ") and said in message, message
    assert message.count(said) == 1, message


@pytest.mark.parametrize(("qid", "answer", "said"), [
    ("grad_outside_o", r"(\hat{y}_w - 1) v_c, \quad w \neq o, \quad w = o",
     "line 1 states contradictory conditions, w = o and w ≠ o: no word is both"),
    ("grad_outside_o", r"(\hat{y}_w - 1) v_c \quad \text{if } w = o \text{ and } w \neq o",
     "line 1 states contradictory conditions, w = o and w ≠ o"),
    # two cases for one condition, one a line (the right one last) or in a cases environment
    ("grad_outside_o", "\\frac{\\partial J}{\\partial u_w} = \\hat y_w v_c, \\quad w = o \\\\\n"
                       "\\frac{\\partial J}{\\partial u_w} = (\\hat y_w - 1) v_c, \\quad w = o",
     "two cases are stated for the same condition w = o (lines 1 and 2), each with its own formula"),
    ("grad_outside_w", r"\frac{\partial J}{\partial u_w} = \begin{cases} (\hat y_w - 1) v_c & \text{if } w \ne o \\ "
                       r"\hat y_w v_c & \text{if } w \neq o \end{cases}",
     "two cases are stated for the same condition w ≠ o (the cases environment at line 1)"),
])
def test_contradictory_conditions_get_no_marks_and_are_said(tmp_path, qid, answer, said):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$\n{answer}\n$$\n")[f"written/{qid}"]
    assert score == 0 and message.startswith("Wrong (written.md): ") and said in message, message
    assert "could not be evaluated" not in message, message


def test_a_true_condition_between_two_fixed_words_is_no_case(tmp_path):
    # k ≠ o holds (the negative samples are never o): a fact, not a case to choose
    text = "## negsamp_grad_sample\n$$ \\sigma(u_k^\\top v_c) v_c, \\quad k \\neq o $$\n"
    score, message = _written_scores(tmp_path, "written.md", text)["written/negsamp_grad_sample"]
    assert score == 1 and message.startswith("Right (written.md)"), message


#: The handout's other ways of writing ŷ and y: P(w | c) is ŷ_w, e_o (bold or not) is the one-hot y, an expectation
#: under P(· | c) is the sum weighted by ŷ; each with a wrong answer in the same notation.
NOTATIONS = [
    ("grad_center", r"-u_o + \sum_w P(w|c) u_w", r"-u_o + \sum_w P(w|c) u_o"),
    ("grad_center", r"-u_o + \sum_{w=1}^{|V|} P(O = w \mid C = c) u_w", r"u_o - \sum_{w=1}^{|V|} P(O = w \mid C = c) u_w"),
    ("grad_outside_o", r"(P(o|c) - 1) v_c", r"(P(o|c) + 1) v_c"),
    ("grad_outside_w", r"P(w \mid c) v_c", r"P(o \mid c) v_c"),
    ("grad_center", r"U(\hat y - \mathbf e_o)", r"U(\mathbf e_o - \hat y)"),
    ("grad_center", r"U(\hat{y} - \mathbf{e}_o)", r"U(\hat{y} + \mathbf{e}_o)"),
    ("grad_pred", r"W^\top(\hat y - e_i)", r"W^\top(e_i - \hat y)"),
    ("grad_outside_matrix", r"v_c(\hat y - \mathbf e_o)^T", r"(\hat y - \mathbf e_o) v_c^T"),
    ("grad_center", r"-u_o + \mathbb{E}_{w \sim P(w|c)}[u_w]", r"-u_o + \mathbb{E}_{w \sim P(w|c)}[u_o]"),
    ("grad_center", r"-\mathbf u_o + \mathbb E_{w\sim P}\left[\mathbf u_w\right]", r"\mathbf u_o - \mathbb E_{w\sim P}\left[\mathbf u_w\right]"),
    ("grad_center", r"-u_o + \mathbb{E}_{w \sim \hat{y}}[u_w]", r"-u_o + \mathbb{E}_{w \sim \hat{y}}[\hat y_w u_w]"),
]


@pytest.mark.parametrize("qid, right, wrong", NOTATIONS)
def test_probabilities_one_hot_basis_vectors_and_expectations_are_read(tmp_path, qid, right, wrong):
    scores = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {right} $$\n")
    score, message = scores[f"written/{qid}"]
    assert score > 0 and message.startswith("Right (written.md)"), message
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {wrong} $$\n")[f"written/{qid}"]
    assert score == 0 and "could not be" not in message, message


@pytest.mark.parametrize("answer, said", [
    (r"-u_o + \mathbb{E}[u_w]", "the expectation '\\mathbb{E}' at line 1, column 8 does not say which distribution it is "
                                "over: an expectation is read only under the model's distribution, written "
                                "\\mathbb{E}_{w \\sim P(w|c)}[...]"),
    (r"-u_o + \mathbb{E}_{w \sim Q}[u_w]", "the expectation '\\mathbb{E}_{w \\sim Q}' at line 1, column 8 is over 'w \\sim Q'"),
    (r"-u_o + \sum_w P(w | c; \theta) u_w", "the probability 'P(w | c; \\theta)' at line 1, column 15 is not read: a "
                                           "probability is read only as the model's P(w | c), which is ŷ_w"),
])
def test_an_expectation_or_probability_without_a_meaning_here_is_named(answer, said):
    code, out, _ = run(["check", "--written", "grad_center", answer, "--no-color"])
    assert code == 1 and said in out, out


@pytest.mark.parametrize("qid, answer, said", [
    # the questions' vectors are columns (derivations.md: V ≠ d so that a missing transpose shows as a shape):
    # a gradient has the shape of what it is taken with respect to, so the row form is the transpose
    ("grad_pred", r"(\hat y - y)^T W", "your answer is a 1×3 row vector, ∂CE/∂r̂ is a 3×1 column vector (the shape of r̂)"),
    ("grad_center", r"(\hat y - y)^\top U^\top",
     "your answer is a 1×3 row vector, ∂J/∂v_c is a 3×1 column vector (the shape of v_c)"),
    ("grad_outside_matrix", r"(\hat y - y) v_c^T", "your answer is a 5×3 matrix, ∂J/∂U is a 3×5 matrix (the shape of U)"),
])
def test_a_row_gradient_is_wrong_and_its_shapes_are_said_once(tmp_path, qid, answer, said):
    code, out, _ = run(["check", "--written", qid, answer, "--no-color"])
    assert code == 1 and out.count(said) == 1, out
    assert "Likely mistake: Your answer is the transpose of the gradient" in out
    assert "Where it differs" not in out  # the shape differs on every instance: no values to redo by hand
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {answer} $$\n")[f"written/{qid}"]
    assert score == 0 and said in message, message


@pytest.mark.parametrize("qid, right, wrong", [
    # a sum numbered from 0, as in code, runs to |V| - 1 (or K - 1): the whole vocabulary, not one word short
    ("grad_pred", r"-w_i + \sum_{j=0}^{|V|-1} \hat{y}_j w_j", r"-w_i + \sum_{j=0}^{|V|-2} \hat{y}_j w_j"),
    ("grad_center", r"-u_o + \sum_{w=0}^{|V|-1} \hat y_w u_w", r"-u_o + \sum_{w=1}^{|V|-1} \hat y_w u_w"),
    ("negsamp_grad_center", r"-\sigma(-u_o^\top v_c) u_o + \sum_{k=0}^{K-1} \sigma(u_k^\top v_c) u_k",
     r"-\sigma(-u_o^\top v_c) u_o + \sum_{k=1}^{K-1} \sigma(u_k^\top v_c) u_k"),
    # a hat on a bold letter without braces, \hat{\mathbf y}
    ("grad_output", r"(\hat{\mathbf y} - \mathbf y)\hat{\mathbf r}^\top", r"\hat{\mathbf r}(\hat{\mathbf y} - \mathbf y)^\top"),
])
def test_sums_from_zero_and_bold_letters_under_a_hat_are_read(tmp_path, qid, right, wrong):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {right} $$\n")[f"written/{qid}"]
    assert score > 0 and message.startswith("Right (written.md)"), message
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {wrong} $$\n")[f"written/{qid}"]
    assert score == 0 and message.startswith("Wrong (written.md)"), message


@pytest.mark.parametrize("qid, right, wrong", [
    # the window written with its center left out after the lower bound, as \sum_{j=-m, j \ne 0}^{m}
    ("skipgram_grad_center", r"\sum_{j=-m, j\neq 0}^{m} U(\hat y - y_j)", r"\sum_{j=-m, j\neq 0}^{m-1} U(\hat y - y_j)"),
    ("skipgram_grad_outside", r"\sum_{j=-m, j \ne 0}^{m} v_c(\hat y - y_j)^\top",
     r"\sum_{j=-m+1, j \ne 0}^{m} v_c(\hat y - y_j)^\top"),
    ("grad_pred", r"-w_i + \sum_{j=1, j \ne i}^{|V|} \hat{y}_j w_j + \hat y_i w_i",
     r"-w_i + \sum_{j=1, j \ne i}^{|V|} \hat{y}_j w_j"),
    # "every word but o" as a set
    ("grad_outside_w", r"\hat y_w v_c, \; w \in V \setminus \{o\}", r"\hat y_w v_c, \; w \in V \setminus \{c\}"),
    ("grad_outside_w", r"\hat y_w v_c \quad \forall w \in \mathcal{V} \setminus \{o\}",
     r"(\hat y_w - 1) v_c \quad \forall w \in \mathcal{V} \setminus \{o\}"),
])
def test_a_window_without_its_center_and_every_word_but_o_are_read(tmp_path, qid, right, wrong):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {right} $$\n")[f"written/{qid}"]
    assert score > 0 and message.startswith("Right (written.md)"), message
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {wrong} $$\n")[f"written/{qid}"]
    assert score == 0 and message.startswith("Wrong (written.md)"), message


def test_a_probability_where_the_question_has_no_softmax_says_what_it_was_read_as(tmp_path):
    # negative sampling has no ŷ: P(o | c) (read as ŷ_o) is said to be the softmax's, not "unknown ŷ" alone
    text = "## negsamp_grad_outside_o\n$$ (P(o|c) - 1) v_c $$\n"
    score, message = _written_scores(tmp_path, "written.md", text)["written/negsamp_grad_outside_o"]
    assert score == 0 and ("unknown symbol 'ŷ' at line 1, column 2; ŷ (as P(w | c) is read) is the softmax's "
                           "prediction, which this question does not use") in message, message


def test_cases_whose_other_case_names_the_wrong_word_are_said_so_for_the_question_it_answers(tmp_path):
    # ∂J/∂u_w's second case says "w ≠ c": the question of w ≠ o is told that condition names the wrong word (not
    # that its answer states the case w = o); the question of o is judged on its own, right, case
    cases = (r"\frac{\partial J}{\partial u_w} = \begin{cases} (\hat y_w - 1) v_c & \text{if } w = o \\ "
             r"\hat y_w v_c & \text{if } w \neq c \end{cases}")
    scores = _written_scores(tmp_path, "written.md", f"## grad_outside_o\n$$ {cases} $$\n\n## grad_outside_w\n$$ {cases} $$\n")
    assert scores["written/grad_outside_o"][0] == 1, scores
    score, message = scores["written/grad_outside_w"]
    assert score == 0 and message == (
        "Wrong (written.md): the condition w ≠ c (the cases environment at line 1) names the wrong word: c where the "
        "case asks for o (this question asks for the case w ≠ o)."), message


@pytest.mark.parametrize("answer, said", [
    (r"-u_o + \mathbb{E}_{w \sim \hat{\mathbf{y}}}[u_w]", ""),
    ("-u_o + 𝔼_{w∼P}[u_w]", ""),
    (r"-u_o + \sum_{w=1}^{|\mathcal V|} \hat y_w u_w", ""),
    # the model's distribution is P(w | c): one over c given w, or the probability of o, is no expectation read
    (r"-u_o + \mathbb{E}_{w \sim P(c|w)}[u_w]", "the expectation '\\mathbb{E}_{w \\sim P(c|w)}' at line 1, column 8 is over "
                                                "'w \\sim P(c|w)'"),
    (r"-u_o + \mathbb{E}_{w \sim P(o|c)}[u_w]", "is over 'w \\sim P(o|c)'"),
    (r"-u_o + \mathbb{E}_{w \sim P} u_w", "the expectation '\\mathbb{E}' at line 1, column 8 is not read: an expectation "
                                         "is read only as \\mathbb{E}_{w \\sim P(w|c)}[...], with what it averages in brackets"),
])
def test_expectations_are_read_only_under_the_models_distribution(answer, said):
    code, out, _ = run(["check", "--written", "grad_center", answer, "--no-color"])
    if not said:
        assert code == 0 and out.startswith("written/grad_center/answer: pass (2 / 2)"), out
    else:
        assert code == 1 and said in out, out


@pytest.mark.parametrize("qid, answer, right", [
    # the samples an index runs over, after the answer, are no part of it
    ("negsamp_grad_sample", r"\frac{\partial J}{\partial u_k} = \sigma(u_k^\top v_c)\, v_c, \quad k = 1, \ldots, K", True),
    ("negsamp_grad_sample", r"\sigma(u_o^\top v_c) v_c, \; k = 1, \dots, K", False),
    # ... but the whole vocabulary is no range for w ≠ o: it claims the answer for o too
    ("grad_outside_w", r"\hat y_w v_c, \quad w = 1, \dots, |V|", False),
])
def test_the_range_of_a_samples_index_after_the_answer_is_not_read_as_part_of_it(tmp_path, qid, answer, right):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {answer} $$\n")[f"written/{qid}"]
    assert (score > 0) == right, message
    assert message.startswith("Right (written.md)" if right else ""), message


def test_a_definition_after_the_answer_is_shown_as_one_and_the_answer_line_keeps_its_verdict():
    # the answer's last line carries the verdict; "where ŷ = softmax(...)" after it was shown as "right: equals ∂J/∂v_c"
    answer = "\\frac{\\partial J}{\\partial v_c} = U(\\hat y - y)\n\\text{where } \\hat y = \\mathrm{softmax}(U^\\top v_c)"
    code, out, _ = run(["check", "--written", "grad_center", answer, "--no-color"])
    assert code == 0, out
    assert out.endswith("  line 1  right  U(ŷ - y)\n                 equals ∂J/∂v_c\n"
                        "  line 2         ŷ =\n                 defines ŷ after the answer: not judged, and not the answer\n"), out
    code, out, _ = run(["check", "--written", "grad_center", answer.replace("(\\hat y - y)", "(y - \\hat y)"), "--no-color"])
    assert code == 1 and "  line 1  WRONG  U(y - ŷ)\n" in out and "line 2  WRONG" not in out, out


@pytest.mark.parametrize("opening", ["\\therefore", "\\implies", "\\Rightarrow", "∴", "& \\therefore"])
def test_therefore_opening_a_line_is_a_word_not_a_factor(opening):
    answer = f"\\frac{{\\partial J}}{{\\partial v_c}} = -u_o + \\sum_w \\hat y_w u_w\n{opening} \\frac{{\\partial J}}{{\\partial v_c}} = U(\\hat y - y)"
    code, out, _ = run(["check", "--written", "grad_center", answer, "--no-color"])
    assert code == 0 and "error" not in out, out
    code, out, _ = run(["check", "--written", "grad_center", answer.replace("U(\\hat y - y)", "U(y - \\hat y)"), "--no-color"])
    assert code == 1, out


@pytest.mark.parametrize("qid, right, wrong", [
    # e to a vector is the exponential of each entry, as exp(W r̂) is: the softmax written out
    ("grad_pred", r"W^T\left(\frac{e^{W\hat r}}{\sum_{j=1}^{|V|} e^{w_j^T\hat r}} - y\right)",
     r"W^T\left(\frac{e^{W\hat r}}{\sum_{j=1}^{|V|} e^{w_j^T\hat r}} + y\right)"),
    ("grad_center", r"U\left(\frac{e^{U^\top v_c}}{\sum_w e^{u_w^\top v_c}} - y\right)", r"U\left(e^{U^\top v_c} - y\right)"),
])
def test_e_to_a_vector_is_the_exponential_of_each_entry(tmp_path, qid, right, wrong):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {right} $$\n")[f"written/{qid}"]
    assert score > 0 and message.startswith("Right (written.md)"), message
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {wrong} $$\n")[f"written/{qid}"]
    assert score == 0 and message.startswith("Wrong (written.md)"), message


@pytest.mark.parametrize("qid, answer", [
    # the window without j ≠ 0 holds the center word itself: a wrong answer (it passed, the window having no 0)
    ("skipgram_grad_center", r"\sum_{-m \le j \le m} U(\hat y - y_j)"),
    ("skipgram_grad_center", r"\sum_{j=-m}^{m} U(\hat y - y_j)"),
    ("skipgram_grad_outside", r"\sum_{-m \le j \le m} v_c(\hat y - y_j)^\top"),
])
def test_a_window_sum_that_takes_the_center_word_gets_no_marks(tmp_path, qid, answer):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {answer} $$\n")[f"written/{qid}"]
    assert score == 0 and "takes j = 0, the center word itself, which the window leaves out: add j \\ne 0" in message, message


@pytest.mark.parametrize("qid, answer", [
    # a sum over the vocabulary is no sum over the window or the negative samples (they passed: "\in V" was dropped)
    ("skipgram_grad_center", r"\sum_{j \in V} U(\hat y - y_j)"),
    ("negsamp_grad_center", r"-\sigma(-u_o^\top v_c) u_o + \sum_{k \in V} \sigma(u_k^\top v_c) u_k"),
    ("negsamp_grad_center", r"-\sigma(-u_o^\top v_c) u_o + \sum_{k \in \mathcal{V}} \sigma(u_k^\top v_c) u_k"),
])
def test_a_sum_over_the_vocabulary_is_not_one_over_the_window_or_the_samples(tmp_path, qid, answer):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {answer} $$\n")[f"written/{qid}"]
    assert score == 0 and message.startswith("Wrong (written.md)"), message


def test_cases_one_a_line_with_the_condition_in_an_align_column_are_read(tmp_path):
    # "... &= (\hat y_w - 1) v_c, && w = o \\": the condition in its own column of an align
    text = ("\\section*{grad\\_outside\\_o}\n\\begin{align*}\n"
            "\\frac{\\partial J}{\\partial \\mathbf{u}_w} &= (\\hat{y}_w - 1)\\mathbf{v}_c, && w = o \\\\\n"
            "\\frac{\\partial J}{\\partial \\mathbf{u}_w} &= \\hat{y}_w \\mathbf{v}_c, && w \\neq o\n\\end{align*}\n")
    both = text + text.replace("grad\\_outside\\_o", "grad\\_outside\\_w")
    scores = _written_scores(tmp_path, "written.tex", both)
    assert scores["written/grad_outside_o"][0] == 1 and scores["written/grad_outside_w"][0] == 1, scores
    scores = _written_scores(tmp_path, "written.tex", both.replace("&& w \\neq o", "&& w = o"))
    assert scores["written/grad_outside_o"][0] == 0 and scores["written/grad_outside_w"][0] == 0, scores
    assert "two cases are stated for the same condition w = o" in scores["written/grad_outside_o"][1], scores


@pytest.mark.parametrize("qid, right, wrong", [
    # "unless w = o" states w ≠ o (it was taken for w = o, and the right answer judged wrong)
    ("grad_outside_w", r"\hat y_w v_c \quad \text{unless } w = o", r"\hat y_w v_c \quad \text{unless } w \neq o"),
    ("grad_outside_w", r"\hat y_w v_c \quad \text{except when } w = o", r"(\hat y_w - 1) v_c \quad \text{except when } w = o"),
    ("grad_outside_w", "ŷ_w v_c unless w is o", "ŷ_w v_c unless w is not o"),
    ("grad_outside_o", r"(\hat y_w - 1) v_c \quad \text{unless } w \neq o", r"(\hat y_w - 1) v_c \quad \text{unless } w = o"),
])
def test_a_condition_after_unless_or_except_is_its_opposite(tmp_path, qid, right, wrong):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {right} $$\n")[f"written/{qid}"]
    assert score == 1 and message.startswith("Right (written.md)"), message
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {wrong} $$\n")[f"written/{qid}"]
    assert score == 0 and message.startswith("Wrong (written.md)"), message


@pytest.mark.parametrize("answer, right", [
    # stated for every w, o included, the answer of w ≠ o is wrong at o (it passed: "for all w" was left out)
    (r"\hat y_w v_c \quad \text{for all } w", False),
    ("ŷ_w v_c for every w.", False),
    (r"\hat y_w v_c \quad \forall w", False),
    (r"\hat y_w v_c \quad \text{for all } w \neq o", True),
    (r"\hat y_w v_c \quad \text{for any other word } w", True),
])
def test_an_answer_for_w_other_than_o_stated_for_every_w_gets_no_marks(tmp_path, answer, right):
    score, message = _written_scores(tmp_path, "written.md", f"## grad_outside_w\n$$ {answer} $$\n")["written/grad_outside_w"]
    assert score == (1 if right else 0), message
    if not right:
        assert "states the answer for every w, o included: this question asks for the case w ≠ o" in message, message


#: Cases written without a column for their conditions, or as an array in braces; each with its cases swapped.
CASES_FORMS = [
    r"\frac{\partial J}{\partial u_w} = \begin{cases} (\hat y_w - 1) v_c, \quad w = o \\ \hat y_w v_c, \quad w \ne o \end{cases}",
    r"\frac{\partial J}{\partial u_w} = \left\{ \begin{array}{ll} (\hat y_w - 1) v_c & w = o \\ \hat y_w v_c & w \ne o "
    r"\end{array} \right.",
]


@pytest.mark.parametrize("qid", ["grad_outside_o", "grad_outside_w"])
@pytest.mark.parametrize("cases", CASES_FORMS)
def test_cases_without_a_condition_column_or_as_an_array_answer_each_question(tmp_path, qid, cases):
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {cases} $$\n")[f"written/{qid}"]
    assert score == 1 and message.startswith("Right (written.md)"), message
    swapped = cases.replace("w = o", "w = TMP").replace("w \\ne o", "w = o").replace("w = TMP", "w \\ne o")
    score, message = _written_scores(tmp_path, "written.md", f"## {qid}\n$$ {swapped} $$\n")[f"written/{qid}"]
    assert score == 0 and message.startswith("Wrong (written.md)"), message


def test_sigma_alone_is_read_as_the_question_says_and_shown_so():
    """σ(1 - σ) for σ'(x): read σ(x)(1 - σ(x)), and the reading shown; where no question says what σ alone is
    (the negative-sampling gradients), the message says to write its argument, at its place."""
    code, out, err = run(["check", "--written", "sigmoid_grad", r"\sigma(1-\sigma)", "--no-color"])
    assert (code, err) == (0, "")
    assert "right  σ(x) (1 - σ(x))" in out
    code, out, err = run(["check", "--written", "negsamp_grad_outside_o", r"(\sigma - 1) v_c", "--no-color"])
    assert code == 1
    assert ("σ at line 1, column 2 is written without its argument: write σ(...) with what it is applied to"
            in out)
    assert out.count("written without its argument") == 1


def test_a_column_at_a_column_says_which_transpose_is_missing():
    code, out, err = run(["check", "--written", "grad_output", "(yhat - y) @ rhat", "--no-color"])
    assert code == 1
    assert ("a 5×1 vector times a 3×1 vector, the shapes do not fit (5 ≠ 3); a transpose is missing on the right "
            "factor, r̂.") in out


def test_a_folder_of_written_answers_alone_checked_without_a_rubric_is_pointed_at_the_written_rubrics(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "written.md").write_text("## grad_center\n$$ U(\\hat y - y) $$\n")
    code, out, err = run(["check", str(folder)])
    assert code == 2 and "found only other files (written.md)" in err, err
    assert "--rubric cs224n-a2-written, cs224d-2016-written or written" in err
    assert run(["check", "--rubric", "cs224n-a2-written", str(folder), "--no-color"])[0] == 1  # (code checks fail)


def test_a_question_answered_twice_in_one_file_says_which_answer_was_graded(tmp_path):
    # "## grad_output" and later "## grad_output (second try)" in written.md: the first was graded, without a word
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "q3_word2vec.py").write_text(CORRECT)
    (folder / "written.md").write_text("## grad_output\n$$ (\\hat y - y)\\hat r^\\top $$\n\n## notes\nblah\n\n"
                                       "## grad_output (second try)\n$$ W^\\top $$\n")
    code, out, _ = run(["check", "--rubric", "written", str(folder), "--json"])
    check = next(q for q in json.loads(out)["questions"] if q["id"] == "written/grad_output")["checks"][0]
    assert check["status"] == "pass"
    assert check["notes"] == ["answered in written.md, line 1 and also in written.md, line 7: the answer in "
                              "written.md, line 1 was graded."], check["notes"]
