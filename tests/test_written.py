"""Written answers: parsed (LaTeX and plain text), read back, evaluated on instances, judged with named mistakes."""

from __future__ import annotations

import pytest

from grader.rubric import load_rubric
from grader.written import answers, grading
from grader.written.judge import judge
from grader.written.parse import MAX_CHARS, WrittenError, parse, parse_expression
from grader.written.show import mathml, plain
from grader.model import Submission, TextFile

#: The student's derivation of derivations.md, as asked (its second line has the wrong sign).
DERIVATION = """\
CE = -Σ_k y_k log( exp(w_kᵀ r̂) / Σ_j exp(w_jᵀ r̂) )
   = -Σ_k y_k log exp(w_kᵀ r̂) - Σ_k y_k log Σ_j exp(w_jᵀ r̂)
   = -w_iᵀ r̂ + log Σ_j exp(w_jᵀ r̂)
∂CE/∂r̂ = -w_i + (1 / Σ_j exp(w_jᵀ r̂)) Σ_j exp(w_jᵀ r̂) w_j"""

#: The same derivation as LaTeX in an align environment.
DERIVATION_TEX = r"""\begin{align*}
CE &= -\sum_k y_k \log \left( \frac{\exp(w_k^\top \hat{r})}{\sum_{j=1}^{|V|} \exp(w_j^\top \hat{r})} \right) \\
   &= -\sum_k y_k \log \exp(w_k^\top \hat{r}) - \sum_k y_k \log \sum_j \exp(w_j^\top \hat{r}) \\
   &= -w_i^\top \hat{r} + \log \sum_j \exp(w_j^\top \hat{r}) \\
\frac{\partial CE}{\partial \hat{r}} &= -w_i + \frac{1}{\sum_j \exp(w_j^\top \hat{r})} \sum_j \exp(w_j^\top \hat{r}) w_j
\end{align*}"""


@pytest.fixture(scope="module")
def job():
    return grading.prepare(load_rubric("written"))


def answer(job, qid: str, text: str):
    return grading.answer(job, qid, text)


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("text, read", [
    (r"-w_i + \sum_x \hat{y}_x w_x", "-w_i + Σ_x ŷ_x w_x"),
    (r"-w_i + \sum_x \hat{y_x} w_x", "-w_i + Σ_x ŷ_x w_x"),  # the subscript inside the hat's braces
    (r"(\hat{y_{o}} - 1) v_c", "(ŷ_o - 1) v_c"),
    (r"\widehat{y_1}", "ŷ_1"),
    ("-w_i + sum_x yhat_x w_x", "-w_i + Σ_x ŷ_x w_x"),
    (r"W^\top(\hat{y} - y)", "Wᵀ(ŷ - y)"),
    (r"W^T \left( \hat y - y \right)", "Wᵀ(ŷ - y)"),
    (r"\mathbf{W}^{\top}\big(\hat{\mathbf{y}} - \mathbf{y}\big)", "Wᵀ(ŷ - y)"),
    ("-W[i] + W.T @ yhat", "-W[i] + Wᵀ @ ŷ"),
    ("-W[i] + yhat @ W", "-W[i] + ŷ @ W"),
    (r"\sum_{j=1}^{|V|} \exp(w_j^T \hat{r})", "Σ_{j=1}^{|V|} exp(w_jᵀ r̂)"),
    (r"\log \sum_j \exp(w_j^T \hat r)", "log(Σ_j exp(w_jᵀ r̂))"),
    (r"\frac{1}{\sum_j \exp(w_j^T\hat r)} \sum_j \exp(w_j^T \hat r) w_j",
     "(1 / Σ_j exp(w_jᵀ r̂)) Σ_j exp(w_jᵀ r̂) w_j"),
    (r"\sigma(x) \cdot (1 - \sigma(x))", "σ(x) · (1 - σ(x))"),
    ("U[:, o]", "U[:, o]"),
    (r"\sum_{-m \le j \le m, j \ne 0} u_j", "Σ_{-m≤j≤m, j≠0} u_j"),
])
def test_both_notations_are_read_and_shown_back(text, read):
    assert plain(parse_expression(text)) == read


def test_a_derivation_is_read_line_by_line():
    for text in (DERIVATION, DERIVATION_TEX):
        doc = parse(text)
        assert [len(c.steps) for c in doc.chains] == [4, 2]
        lines = [s.line for s in doc.steps()]
        assert lines[1:4] == [lines[1], lines[1] + 1, lines[1] + 2] and lines[4] == lines[5] == lines[3] + 1


def test_a_wrapped_step_goes_on_and_a_new_line_with_equals_is_a_step():
    doc = parse("CE = -w_i^T r\n   + log sum_j exp(w_j^T r)\n   = 0")
    assert [plain(s.expr) for s in doc.steps()] == ["CE", "-w_iᵀ r + log(Σ_j exp(w_jᵀ r))", "0"]


def test_a_line_ending_with_equals_goes_on_on_the_next_line():
    doc = parse("W^T(yhat - y) =\n-w_i + sum_x yhat_x w_x\n= W.T @ (yhat - y)")
    assert [len(c.steps) for c in doc.chains] == [3]


def test_mathml_is_presentation_markup_and_escaped():
    ml = mathml(parse_expression(r"W^\top(\hat{y} - y)"))
    assert ml.startswith('<math display="inline">') and "<msup>" in ml and "<mi>ŷ</mi>" in ml
    assert mathml(parse_expression(r"\theta")) == '<math display="inline"><mrow><mi>\\theta</mi></mrow></math>'


@pytest.mark.parametrize("text, message", [
    ("-w_i + (", "unbalanced '(' at line 1, column 8: it is never closed (add ')')"),
    (r"\frac{-w_i}{2", "unbalanced '{' at line 1, column 12: it is never closed (add '}')"),
    (r"-w_i + W^T \hat{y})", "unbalanced ')' at line 1, column 19: nothing is open for it to close"),
    (r"(-w_i + W^T \hat{y}]", "unbalanced '(' at line 1, column 1: it is closed by ']' at line 1, column 20, not by ')'"),
    ("-w_i +", "the answer ends too early (after '+' at line 1, column 6): something is missing at its end"),
    ("-w_i + ? ", "unexpected character '?' at line 1, column 8"),
    ("w_i + * w_j", "unexpected '*' at line 1, column 7"),
    ("   ", "the answer is empty"),
    ("(" * 60 + "x" + ")" * 60, "brackets are nested more than 48 deep at line 1, column 49"),
    ("-" * 250 + "w_i", "the expression is nested more than 200 deep; write it in steps"),
    ("w_i+" * 1001, f"the answer is {4 * 1001} characters long; at most {MAX_CHARS} are read"),
])
def test_malformed_input_gets_a_message_naming_the_token_and_its_position(text, message):
    with pytest.raises(WrittenError) as e:
        parse(text)
    assert e.value.message == message


# --------------------------------------------------------------------------- the derivation of derivations.md


@pytest.mark.parametrize("text", [DERIVATION, DERIVATION_TEX], ids=["unicode", "latex-align"])
def test_the_derivation_second_line_is_the_first_wrong_step_and_the_final_line_is_right(job, text):
    r = answer(job, "grad_pred", text)
    assert r.status == "pass" and r.score == 2.0
    w = r.written
    steps = [(ln.line, ln.status) for ln in w.lines if ln.status != "label"]
    first = steps[0][0]
    assert steps == [(first, "right"), (first + 1, "wrong"), (first + 2, "right"), (first + 3, "right")]
    assert w.first_wrong == first + 1
    wrong = next(ln for ln in w.lines if ln.status == "wrong")
    assert wrong.message.startswith("does not equal the line before it: on instance 1 (|V| = 5, d = 3, i = ")
    assert ", the line before gives " in wrong.message and ", this line gives " in wrong.message
    assert [ln.message for ln in w.lines if ln.status == "right"] == [
        "equals CE", "equals CE (the line before it does not)", "equals ∂CE/∂r̂"]
    assert w.compact == "Wᵀ(ŷ - y)" and "<msup>" in w.compact_mathml
    assert r.message == ("Right: your answer equals ∂CE/∂r̂ on 3 random instances. An earlier step is wrong "
                         f"(line {first + 1}).")


# --------------------------------------------------------------------------- equivalent answers


@pytest.mark.parametrize("qid, text", [
    ("grad_pred", r"-w_i + \sum_x \hat{y}_x w_x"),
    ("grad_pred", r"W^\top(\hat{y} - y)"),
    ("grad_pred", "-W[i] + yhat @ W"),
    ("grad_pred", "-W[i] + W.T @ yhat"),
    ("grad_pred", "-w_i + sum_x yhat_x w_x"),
    ("grad_pred", r"\frac{\partial CE}{\partial \hat{r}} = -w_i + \sum_{x=1}^{|V|} \hat{y}_x w_x = W^T(\hat{y} - y)"),
    ("grad_pred", r"\sum_{j} (\hat{y}_j - y_j) w_j"),
    ("grad_pred", r"\nabla_{\hat{r}} CE = W^\top(\hat{y} - y)"),
    ("grad_pred", r"\frac{\mathrm{d} CE}{\mathrm{d} \hat{r}} = W^\top(\hat{y} - y)"),
    ("grad_pred", "∂CE/∂r̂ = Wᵀ(ŷ - y)"),
    ("grad_output", r"(\hat{y} - y)\hat{r}^\top"),
    ("grad_output", "outer(yhat - y, rhat)"),
    ("grad_output", "np.outer(yhat - y, rhat)"),
    ("grad_pred", "W.T.dot(yhat - y)"),
    ("grad_pred", "np.dot(W.T, yhat - y)"),
    ("grad_pred", "-W[i, :] + W.T @ yhat"),
    ("grad_pred", "W.T @ (np.exp(z) / np.sum(np.exp(z)) - y)"),
    ("grad_pred", r"-w_i + W^\top \text{softmax}(z)"),
    ("sigmoid_grad", r"\sigma'(x) = \sigma(x)(1 - \sigma(x))"),
    ("sigmoid_grad", r"\frac{e^{-x}}{(1 + e^{-x})^2}"),
    ("sigmoid_grad", r"\exp(-x) / (1 + \exp(-x))^2"),
    ("grad_center", r"-u_o + \sum_{w} \hat{y}_w u_w"),
    ("grad_center", "U @ (yhat - y)"),
    ("grad_outside_o", r"(\hat{y}_o - 1) v_c"),
    ("grad_outside_w", r"\hat{y}_w v_c"),
    ("grad_outside_matrix", r"v_c (\hat{y} - y)^\top"),
    ("negsamp_grad_center", r"-\sigma(-u_o^\top v_c) u_o + \sum_{k=1}^{K} \sigma(u_k^\top v_c) u_k"),
    ("negsamp_grad_outside_o", r"-(1 - \sigma(u_o^\top v_c)) v_c"),
    ("negsamp_grad_sample", r"(1 - \sigma(-u_k^\top v_c)) v_c"),
    ("negsamp_grad_center", r"-\left(1-\sigma\left(\boldsymbol{u}_o^\top \boldsymbol{v}_c\right)\right)\boldsymbol{u}_o"
                            r"+\sum_{s=1}^{K}\left(1-\sigma\left(-\boldsymbol{u}_{w_s}^\top \boldsymbol{v}_c\right)\right)"
                            r"\boldsymbol{u}_{w_s}"),
    ("negsamp_grad_sample", r"\frac{\partial J}{\partial u_{w_s}} = \sigma(u_{w_s}^\top v_c) v_c"),
    ("grad_center", r"\boldsymbol{U}(\hat{\boldsymbol{y}} - \boldsymbol{y})"),
    ("grad_center", r"-\boldsymbol{u}_o + \sum_{w \in V} \hat{y}_w \boldsymbol{u}_w"),
    ("skipgram_grad_center", r"\sum_{-m \le j \le m, j \ne 0} \left(-u_j + U \hat{y}\right)"),
    ("skipgram_grad_outside", r"\sum_{j} v_c (\hat{y} - y_j)^\top"),
    # in terms of one outside word's loss, as a2's handout asks
    ("skipgram_grad_center", r"\sum_{-m \le j \le m, j \ne 0} \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}"),
    ("skipgram_grad_outside", r"\sum_{j} \frac{\partial J_{\text{naive-softmax}}(v_c, w_{t + j}, U)}{\partial U}"),
    ("skipgram_grad_center", r"\frac{\partial J_{sg}}{\partial v_c} = \sum_j \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}"
                             r" = \sum_j U(\hat{y} - y_j)"),
    # the quantity named at the end of the line (it was "a derivative not worked out": 0)
    ("grad_center", r"U(\hat y - y) = \frac{\partial J}{\partial v_c}"),
    ("grad_center", r"-u_o + \sum_w \hat y_w u_w = U(\hat y - y) = \frac{\partial J}{\partial v_c}"),
    # a plain-text derivative naming the line (it was read as the product d J / (d v_c): an error line)
    ("grad_center", "dJ/dv_c = U @ (yhat - y)"),
    # the handout's bold J, with its arguments and its subscript in words
    ("skipgram_grad_center", r"\sum_{j=-m, j\ne 0}^{m} \frac{\partial \boldsymbol{J}(\boldsymbol{v}_c, w_{t+j}, "
                             r"\boldsymbol{U})}{\partial \boldsymbol{v}_c}"),
    ("grad_center", r"\frac{\partial \boldsymbol{J}_{\text{naive-softmax}}(\boldsymbol{v}_c, o, \boldsymbol{U})}"
                    r"{\partial \boldsymbol{v}_c} = U(\hat y - y)"),
])
def test_equivalent_answers_in_several_notations_pass(job, qid, text):
    r = answer(job, qid, text)
    assert (r.status, r.mistake) == ("pass", None), r.message


def test_every_compact_form_of_the_built_in_rubric_passes_its_own_question(job):
    for q in job.part.questions:
        r = answer(job, q.id, q.compact)
        assert r.status == "pass", (q.id, r.message)
        assert r.written.compact == ""  # not longer than itself


def test_a_right_answer_as_short_as_the_compact_form_shows_no_compact_form(job):
    r = answer(job, "grad_pred", r"W^\top(\hat{y} - y)")
    assert r.message == "Right: your answer equals ∂CE/∂r̂ on 3 random instances."


def test_a_quantity_without_the_each_index_may_label_a_chain_of_an_each_question(job):
    r = answer(job, "grad_outside_w", "J = -\\log \\hat{y}_o\n\\frac{\\partial J}{\\partial u_w} = \\hat{y}_w v_c")
    assert r.status == "pass"
    assert [(ln.status, ln.message) for ln in r.written.lines if ln.status != "label"] == [
        ("right", "equals J"), ("right", "equals ∂J/∂u_w")]


def test_an_each_index_is_checked_for_every_word_but_the_target(job):
    r = answer(job, "grad_outside_w", r"\hat{y}_w v_c")
    assert r.message == "Right: your answer equals ∂J/∂u_w for every w ≠ o on 3 random instances."
    wrong = answer(job, "grad_outside_w", r"(\hat{y}_w - 1) v_c")
    assert wrong.status == "fail" and ", w = " in wrong.message


# --------------------------------------------------------------------------- named mistakes


@pytest.mark.parametrize("qid, text, mistake", [
    ("grad_pred", r"W^\top(y - \hat{y})", "sign-flipped"),
    ("grad_pred", r"w_i - \sum_x \hat{y}_x w_x", "sign-flipped"),
    ("grad_pred", r"-w_i + \sum_x y_x w_x", "y-for-yhat"),
    ("grad_pred", r"W^\top \hat{y}", "no-target-term"),
    ("grad_pred", r"\sum_x \hat{y}_x w_x", "no-target-term"),
    ("grad_pred", r"W(\hat{y} - y)", "missing-transpose"),
    ("grad_pred", r"-w_i + \sum_x \exp(w_x^\top \hat{r}) w_x", "unnormalised"),
    ("grad_center", r"-u_o + \sum_w \exp(u_w^\top v_c) u_w", "unnormalised"),
    ("grad_pred", r"-w_i + \sum_x \hat{y}_x w_x \hat{r}", "missing-transpose"),
    ("grad_output", r"\hat{r}(\hat{y} - y)^\top", "transposed"),
    ("grad_pred", r"(\hat{y} - y)^\top W", "transposed"),
    ("grad_output", r"\hat{y} \hat{r}^\top", "no-target-term"),
    ("grad_center", r"U(y - \hat{y})", "sign-flipped"),
    ("grad_center", r"U^\top(\hat{y} - y)", "missing-transpose"),
    ("sigmoid_grad", r"\sigma(x)", "sigmoid-not-derived"),
])
def test_each_named_mistake_is_named(job, qid, text, mistake):
    r = answer(job, qid, text)
    assert (r.status, r.score, r.mistake) == ("fail", 0.0, mistake), r.message
    assert r.hint == job.part.mistakes[mistake]["message"]


def test_a_wrong_answer_shows_a_small_instance_with_expected_and_got(job):
    r = answer(job, "grad_pred", r"W^\top(y - \hat{y})")
    assert r.message.startswith("Wrong: your answer does not equal ∂CE/∂r̂: on instance 1 (|V| = 5, d = 3, i = ")
    assert "), ∂CE/∂r̂ is [" in r.message and "], your answer gives [" in r.message


def test_a_missing_transpose_is_a_shape_mismatch_that_says_where(job):
    r = answer(job, "grad_pred", r"W(\hat{y} - y)")
    assert r.message == ("Your answer could not be evaluated: W times (ŷ - y) at line 1, column 1: a 5×3 matrix "
                         "times a 5×1 vector, the shapes do not fit (3 ≠ 5); a transpose is missing on the left "
                         "factor, W.")


def test_one_term_transposed_in_a_sum_is_said_of_that_term_not_of_the_whole_answer(job):
    r = answer(job, "grad_pred", r"-w_i + \sum_x \hat{y}_x w_x^T")
    assert (r.status, r.mistake, r.hint) == ("fail", None, None)  # not "your answer is the transpose of the gradient"
    assert r.message == ("Your answer could not be evaluated: can't add a 3×1 vector (-w_i) and a 1×3 row vector "
                         "(Σ_x ŷ_x w_xᵀ) at line 1, column 1: the shapes differ; one is the other's transpose, so a "
                         "transpose is missing or misplaced in one of them.")
    # the whole answer transposed is named so
    assert answer(job, "grad_pred", r"(-w_i + \sum_x \hat{y}_x w_x)^T").mistake == "transposed"


def test_a_wrong_last_step_after_a_right_one_shows_the_values_once(job):
    r = answer(job, "grad_output", "(\\hat{y} - y)\\hat{r}^T \\\\ = \\hat{y}\\hat{r}^T + y\\hat{r}^T")
    assert r.status == "fail" and r.message.startswith("Wrong: your answer does not equal ∂CE/∂W: on instance ")
    last = r.written.lines[-1]
    assert (last.status, last.message) == ("wrong", "does not equal the line before it, which gives ∂CE/∂W "
                                                    "(the values are above)")
    # a wrong step that is not the answer's last line still shows its values (the verdict says none of them)
    r = answer(job, "grad_output", "(\\hat{y} - y)\\hat{r}^T \\\\ = \\hat{y}\\hat{r}^T + y\\hat{r}^T "
                                   "\\\\ = (\\hat{y} + y)\\hat{r}^T")
    wrong = [ln for ln in r.written.lines if ln.status == "wrong"]
    assert wrong and "the line before gives [" in wrong[0].message, [(ln.status, ln.message) for ln in r.written.lines]


def test_a_transposed_gradient_is_reported_by_its_shape(job):
    r = answer(job, "grad_output", r"\hat{r}(\hat{y} - y)^\top")
    assert r.message == "Wrong: your answer does not equal ∂CE/∂W: your answer is a 3×5 matrix, ∂CE/∂W is a 5×3 matrix (the shape of W)."


@pytest.mark.parametrize("text, message", [
    (r"-w_i + \sum_x \hat{y}_x w_q",
     "index 'q' at line 1, column 27 is used outside any sum: bind it with a sum (\\sum_q)"),
    (r"-w_j + \sum_j \hat{y}_j w_j",
     "index 'j' at line 1, column 4 is used outside its sum (the sum over j at line 1, column 8 does not reach it)"),
    (r"-w_i + \theta",
     "unknown symbol '\\theta' at line 1, column 8 (this question's symbols: W, w_j, r̂, y, ŷ, z, i, V, CE, J)"),
    ("-w_i + W^T yht",
     "unknown symbol 'yht' at line 1, column 12; did you mean 'ŷ'? (this question's symbols: W, w_j, r̂, y, ŷ, z, i, V, CE, J)"),
    ("i + w_i", "'i' at line 1, column 1 is an index: it can only be a subscript (w_i, ŷ_i)"),
    (r"w + W^T\hat y", "'w' at line 1, column 1 needs an index: w_j is one of the vectors it names"),
    ("W_i", "'W' at line 1, column 1 is a matrix: it takes no subscript"),
    (r"\sum w_j", "the sum at line 1, column 1 names no index: write \\sum_j"),
    (r"\hat{y}_1", "the subscript '1' at line 1, column 9 is not an index: write a word's index by its letter (w_j, u_o)"),
    (r"-w_i + \frac{\partial CE}{\partial W}",
     "'∂CE/∂W' at line 1, column 8 is a derivative not worked out, so it is not evaluated: a derivative can only "
     "name the quantity a line is about, on the left of '='"),
])
def test_names_are_checked_with_a_message_naming_the_token_and_its_position(job, text, message):
    r = answer(job, "grad_pred", text)
    assert (r.status, r.score) == ("fail", 0.0)
    assert r.message == f"Your answer could not be evaluated: {message}."
    assert r.written.lines[-1].status == "error" and r.written.lines[-1].message == message


@pytest.mark.parametrize("qid, text, advice", [
    ("grad_outside_o", r"\hat{y}_j v_c", "bind it with a sum (\\sum_j), or use 'o'"),
    ("grad_outside_w", r"\hat{y}_j v_c", "bind it with a sum (\\sum_j), or use 'w'"),  # not o: w ≠ o
    ("negsamp_grad_sample", r"\sigma(u_j^\top v_c) v_c", "bind it with a sum (\\sum_j), or use 'k', 's'"),
    ("grad_center", r"-u_o + \hat{y}_w u_w", "bind it with a sum (\\sum_w)"),  # u_o there would be wrong
    ("negsamp_grad_center", r"-\sigma(-u_o^\top v_c) u_o + \sigma(u_k^\top v_c) u_k", "bind it with a sum (\\sum_k)"),
    ("skipgram_grad_center", r"U(\hat{y} - y_j)", "bind it with a sum (\\sum_j)"),
])
def test_an_unbound_index_is_advised_only_the_word_the_question_is_about(job, qid, text, advice):
    r = answer(job, qid, text)
    assert r.status == "fail"
    assert r.message.endswith(f"is used outside any sum: {advice}."), r.message


def test_one_window_words_loss_is_evaluated_as_that_words_gradient_and_only_with_its_word(job):
    # J(v_c, w_{t+j}, U) is context word j's loss: its derivative is word j's naive-softmax gradient
    wrong = answer(job, "skipgram_grad_center", r"-\sum_j \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}")
    assert (wrong.status, wrong.mistake) == ("fail", "sign-flipped"), wrong.message
    assert [ln.read for ln in wrong.written.lines] == ["-Σ_j ∂J_j/∂v_c"]
    # each term is its own word's: the same word for every term is not the window's sum
    assert answer(job, "skipgram_grad_center", r"2m \frac{\partial J}{\partial v_c}").status == "fail"
    alone = answer(job, "skipgram_grad_center", r"\frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}")
    assert alone.message.endswith("is used outside any sum: bind it with a sum (\\sum_j)."), alone.message
    no_word = answer(job, "skipgram_grad_center", r"\sum_j \frac{\partial J}{\partial v_c}")
    assert no_word.message == (
        "Your answer could not be evaluated: '∂J/∂v_c' at line 1, column 8 names no outside word: a term of the "
        "window's sum is one word's loss, written with its word as J(v_c, w_{t+j}, U) (read '∂J_j/∂v_c') in a sum "
        "over j."), no_word.message
    # elsewhere a derivative is still not worked out
    other = answer(job, "grad_center", r"\sum_j \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}")
    assert "is a derivative not worked out" in other.message, other.message


def test_a_line_said_for_every_word_is_read_without_its_for_all_and_judged_for_it(job):
    # "\forall w" was read as math: an error on the line ("'w' is an index") beside the verdict that says why
    r = answer(job, "grad_outside_w", r"\hat y_w v_c \quad \forall w")
    assert r.status == "fail" and "states the answer for every w, o included" in r.message, r.message
    assert [(ln.status, ln.read) for ln in r.written.lines] == [("right", "ŷ_w v_c")]
    assert answer(job, "grad_outside_w", r"\hat y_w v_c, \quad \forall w \neq o").status == "pass"
    assert answer(job, "grad_center", r"U(\hat y - y) \quad \forall c").status == "pass"


def test_a_plain_text_derivative_labels_its_line_with_no_error(job):
    r = answer(job, "grad_center", "dJ/dv_c = U @ (yhat - y)")
    assert [ln.status for ln in r.written.lines] == ["label", "right"], r.written.lines


def test_the_first_problem_in_reading_order_is_the_one_said(job):
    # "log at line 1, column 39": the last of three, where the first is at column 1
    r = answer(job, "sigmoid_grad", r"\log(\sigma(x)) + \log(1-\sigma(x)) + \log(2)")
    assert "log at line 1, column 1 is not one of this question's functions" in r.message, r.message
    r = answer(job, "sigmoid_grad", "s * (1 - s)")
    assert "unknown symbol 's' at line 1, column 1" in r.message, r.message


def test_a_prime_on_a_number_is_a_derivative_not_a_transpose(job):
    r = answer(job, "grad_center", r"J' = U(\hat{y} - y)")
    assert r.status == "pass", r.message
    assert [(ln.status, ln.message) for ln in r.written.lines] == [
        ("error", "'J′' at line 1, column 1 reads as a derivative, which is not worked out, so it is not evaluated: "
                  "name a derivative as \\frac{\\partial J}{\\partial ...}"),
        ("right", "equals ∂J/∂v_c")]
    assert answer(job, "sigmoid_grad", "x'").status == "fail"
    assert answer(job, "grad_pred", r"W'(\hat{y} - y)").status == "pass"  # on a matrix, a transpose


def test_an_unreadable_answer_is_a_failed_check_with_its_line(job):
    r = answer(job, "grad_pred", "-w_i +\n  (W^T y")
    assert r.message == "Could not read your answer: unbalanced '(' at line 2, column 3: it is never closed (add ')')."
    assert [(ln.line, ln.source, ln.status) for ln in r.written.lines] == [(2, "(W^T y", "error")]


def test_evaluation_is_bounded(job):
    deep = r"\sum_a \sum_b \sum_c \sum_d \sum_e \sum_f \sum_g \sum_h w_i"
    r = answer(job, "grad_pred", deep)
    assert r.message == "Your answer could not be evaluated: the answer takes more than 50000 operations to evaluate; simplify it."


def test_the_evaluation_budget_is_for_the_whole_answer_not_each_line(job):
    # each line alone is within the budget (5^4 = 625 terms); forty of them are not
    line = r"\sum_a \sum_b \sum_c \sum_d \hat{y}_w v_c"
    assert answer(job, "grad_outside_w", line).message.startswith("Wrong: ")
    r = answer(job, "grad_outside_w", r"\frac{\partial J}{\partial u_w} = " + "\n= ".join([line] * 40))
    assert r.message == "Your answer could not be evaluated: the answer takes more than 50000 operations to evaluate; simplify it."


# --------------------------------------------------------------------------- answers in a submission


def test_answers_are_found_in_markdown_latex_and_notebook_cells():
    md = TextFile("written.md", "# My homework\n\n## grad_pred\nMy answer:\n$$ W^\\top(\\hat y - y) $$\n\n"
                                "## written/grad_output: dCE/dW\n```\n(yhat - y) @ rhat.T\n```\n", "written.md")
    tex = TextFile("written.tex", "\\section*{sigmoid\\_grad}\n\\section*{grad_center}\n"
                                  "\\begin{align*} \\frac{\\partial J}{\\partial v_c} &= U(\\hat y - y) \\end{align*}\n",
                   "written.tex")
    nb = TextFile("hw.ipynb", "Intro\n\n<!-- grad_outside_o -->\n$(\\hat{y}_o - 1) v_c$", "hw.ipynb",
                  cells=((0, "cell #1"), (7, "cell #3")))
    found = answers.find([md, tex, nb], ["grad_pred", "grad_output", "grad_center", "grad_outside_o", "sigmoid_grad"])
    assert {k: (a.text, a.where) for k, a in found.items()} == {
        "grad_pred": ("W^\\top(\\hat y - y)", "written.md"),
        "grad_output": ("(yhat - y) @ rhat.T", "written.md"),
        "grad_center": ("\\begin{align*} \\frac{\\partial J}{\\partial v_c} &= U(\\hat y - y) \\end{align*}", "written.tex"),
        "grad_outside_o": ("(\\hat{y}_o - 1) v_c", "hw.ipynb, cell #3"),
    }


def test_a_submission_without_an_answer_is_told_where_to_write_it(job):
    results = grading.grade(job, Submission(id="s", source="s.py", kind="module"))
    assert len(results) == len(job.part.questions)
    assert results[0].message == ("No answer found for sigmoid_grad: write it in written.md under a heading that "
                                  "names it ('## sigmoid_grad'), in written.tex under a section that names it "
                                  "('\\section*{sigmoid\\_grad}'), or in a notebook Markdown cell headed "
                                  "'## sigmoid_grad'.")
    assert {r.status for r in results} == {"fail"} and sum(r.score for r in results) == 0


# --------------------------------------------------------------------------- the rubric's [written] part


def _rubric(tmp_path, body: str):
    p = tmp_path / "mine.toml"
    p.write_text('extends = "written"\n' + body, encoding="utf-8")
    return load_rubric(str(p))


def test_a_rubric_extending_the_written_one_keeps_its_reference_and_may_drop_a_question(tmp_path):
    r = _rubric(tmp_path, 'exclude_questions = ["written/skipgram_grad_outside"]\n'
                          '[written.questions.grad_pred]\npoints = 5\n')
    ids = [q.id for q in r.written.questions]
    assert "skipgram_grad_outside" not in ids and "grad_pred" in ids
    assert r.written.question("written/grad_pred").points == 5.0
    assert r.written.reference_path.endswith("reference/written.py")
    # (CBOW's extra-credit questions count in the score, not in the maximum)
    assert r.max_score == sum(q.max_score for q in r.questions if not q.extra) + sum(q.points for q in r.written.questions)


@pytest.mark.parametrize("body, message", [
    ('exclude_questions = ["written/grad_prd"]\n',
     "exclude_questions: no written question 'written/grad_prd' to exclude; did you mean 'written/grad_pred'?"),
    ('[written.notations.cs224d]\nW = {role = "matrx"}\n',
     "written.notations.cs224d.W: role must be one of 'vector', 'matrix', 'scalar', 'onehot', 'family', 'onehots', "
     "'index', 'each', 'size', 'quantity', 'term', not 'matrx'; did you mean 'matrix'?"),
    ('[written.questions.grad_pred]\nsymbols = {dW = {role = "term", value = "grad_pred"}}\n',
     "written.questions.grad_pred.symbols.dW: a term is named by a derivative of a quantity "
     "(\\frac{\\partial J}{\\partial v_c}), not 'dW'"),
    ('[written.questions.grad_pred]\nsymbols = {\'\\frac{\\partial J}{\\partial W}\' = {role = "term", value = "grad_pre"}}\n',
     "written.questions.grad_pred.symbols.\\frac{\\partial J}{\\partial W}: the written reference module defines no "
     "function 'grad_pre'; did you mean 'grad_pred'?"),
    ('[written.questions.grad_pred]\nnotation = "cs224"\n',
     "written.questions.grad_pred: unknown notation 'cs224' (defined: 'cs224d', 'cs224n', 'negsamp', 'sigmoid')"),
    ('[written.questions.grad_pred]\nexpected = "grad_prd"\n',
     "written.questions.grad_pred: the written reference module defines no function 'grad_prd'; did you mean 'grad_pred'?"),
    ('[written.questions.grad_pred]\ncompact = "W^T(\\\\hat{y} - y"\n',
     "written.questions.grad_pred: 'W^T(\\hat{y} - y' can't be read: unbalanced '(' at line 1, column 4: it is never "
     "closed (add ')')"),
    ('[written.questions.grad_pred]\nmistakes = ["sign"]\n',
     "written.questions.grad_pred: unknown mistake 'sign' (defined in [written.mistakes]: 'sign-flipped', "
     "'y-for-yhat', 'no-target-term', 'unnormalised', 'missing-transpose', 'transposed', 'sum-range', "
     "'sigmoid-not-derived')"),
    ('[written.questions.grad_pred]\nindices = {k = "words"}\n',
     "written.questions.grad_pred.indices: k must be one of 'vocab', 'samples', 'context', 'others', not 'words'"),
    ('[written]\ninstances = 50\n', "written: instances must be between 1 and 10 (got 50)"),
    ('[written.questions.grad_pred]\npoints = 1e308\n', "written.questions.grad_pred: points must be at most 1000000 (1e+308)"),
    ('[written.questions.grad_pred]\nfunctions = ["tanh"]\n',
     "written.questions.grad_pred: unknown function 'tanh' (known: 'exp', 'log', 'sigma', 'softmax', 'outer', 'dot', 'sum')"),
    ('[written.questions.sigmoid_grad]\nbare = {exp = "x"}\n',
     "written.questions.sigmoid_grad.bare: only sigma may be written without its argument, not 'exp'"),
    ('[written.questions.sigmoid_grad]\nbare = {sigma = "(x"}\n',
     "written.questions.sigmoid_grad.bare: '(x' can't be read: unbalanced '(' at line 1, column 1: it is never closed "
     "(add ')')"),
])
def test_a_wrong_written_part_is_refused_with_its_place(tmp_path, body, message):
    from grader.errors import RubricError

    with pytest.raises(RubricError) as e:
        _rubric(tmp_path, body)
    assert e.value.format_message().endswith(message), e.value.format_message()


def test_letters_written_together_are_one_name_and_the_message_says_how_to_multiply(job):
    r = answer(job, "grad_pred", "-w_i + Wz")
    assert r.message == ("Your answer could not be evaluated: unknown symbol 'Wz' at line 1, column 8; for a product, "
                         "put a space between the letters: 'W z' (this question's symbols: W, w_j, r̂, y, ŷ, z, i, V, "
                         "CE, J).")


def test_the_reading_survives_result_json(job):
    from grader.model import check_from_dict

    r = answer(job, "grad_pred", DERIVATION)
    back = check_from_dict(r.to_dict(), r.question)
    assert back.written == r.written and back.to_dict() == r.to_dict()


def test_render_marks_only_the_graders_own_mathml_safe(job):
    from grader.render import mathml as safe

    r = answer(job, "grad_pred", DERIVATION)
    assert all(type(safe(ln.mathml)).__name__ == "Markup" for ln in r.written.lines)
    assert safe('<math display="inline"><mi onclick="x">a</mi></math>') == '<math display="inline"><mi onclick="x">a</mi></math>'
    assert type(safe('<math display="inline"><mi onclick="x">a</mi></math>')) is str


#: Pieces of the notation, glued at random into (mostly malformed) answers.
PIECES = [r"\hat{y}", "y", "w_j", "w_i", "W", "^T", r"^\top", r"\sum_j", r"\sum_{j=1}^{|V|}", r"\exp(", r"\log", "(",
          ")", "{", "}", "+", "-", "*", "@", "/", r"\frac{", "}{", r"\cdot", "=", "\n", r"\\", "&=", "_", "^", "2",
          "0.5", "[", "]", "[i]", ".T", r"\sigma(", r"\sigma'(", "x", r"\partial", "∂", "Σ", "ŷ", "r̂", "ᵀ", "|V|",
          "|", r"\left(", r"\right)", "outer(", ",", "U[:, o]", "e^{", "yhat", "$$", "%", "\\", "_{", "^{", r"\in",
          r"\le", r"\ne", "k", "CE", "J = ", "CE = ", r"\nabla_", r"\theta", "softmax(", "U", "u_o", "v_c", "u_w",
          "\x00", "\u202e", "np.", ".dot(", "sum(", r"\hat{y}_w", "y_j", "u_k", r"\sum_{k=1}^{K}"]


def test_any_answer_gets_a_verdict_never_a_traceback(job):
    import random

    rng = random.Random(15)
    ids = [q.id for q in job.part.questions]
    seen = set()
    for _ in range(600):
        text = "".join(rng.choice(PIECES) + rng.choice(["", " "]) for _ in range(rng.randint(1, 14)))
        r = answer(job, rng.choice(ids), text)
        assert r.status in ("pass", "fail") and r.message, text
        seen.add(r.message.split(":")[0])
    assert {"Could not read your answer", "Your answer could not be evaluated"} <= seen


def test_an_unnamed_chain_ending_on_the_answer_has_each_step_compared_with_it(job):
    r = answer(job, "grad_pred", "W^T y - W^T yhat\n= W^T (yhat - y)")
    assert r.status == "pass" and r.written.first_wrong == 1
    assert [(ln.line, ln.status) for ln in r.written.lines] == [(1, "wrong"), (2, "right")]
    assert r.written.lines[0].message.startswith("does not equal ∂CE/∂r̂: on instance 1 (")
    assert r.written.lines[1].message == "equals ∂CE/∂r̂ (the line before it does not)"


def test_an_unnamed_chain_that_goes_wrong_says_where_it_stops_equalling_the_line_before(job):
    r = answer(job, "grad_pred", "W^T (yhat - y)\n= W^T yhat - W^T y\n= W^T yhat")
    assert r.status == "fail" and r.mistake == "no-target-term" and r.written.first_wrong == 3
    assert [(ln.line, ln.status) for ln in r.written.lines] == [(1, "start"), (2, "right"), (3, "wrong")]
    # (the line before gives ∂CE/∂r̂: the values, which the verdict shows, are not shown again)
    assert r.written.lines[2].message == "does not equal the line before it, which gives ∂CE/∂r̂ (the values are above)"
    assert r.message.startswith("Wrong: your answer does not equal ∂CE/∂r̂: on instance 1 (")


def test_a_question_may_restrict_the_functions_students_use(job):
    r = answer(job, "sigmoid_grad", r"\log(\sigma(x))")
    assert r.message == ("Your answer could not be evaluated: log at line 1, column 1 is not one of this question's "
                         "functions (σ, exp).")


@pytest.mark.parametrize("text", [
    "# " + " " * 200_000 + "x", "<!-- " + " " * 200_000, "<!--" * 50_000, "## grad_pred\n" + "\\[" * 100_000,
    "## grad_pred\n" + "\\begin{align}" * 15_000, "## grad_pred\n" + "```\n" * 50_000, "## grad_pred\n" * 15_000,
])
def test_hostile_prose_is_read_in_linear_time(text):
    # Each of these made a naive pattern quadratic (minutes); here they finish at once.
    found = answers.find([TextFile("written.md", text, "written.md")], ["grad_pred"])
    assert set(found) <= {"grad_pred"}


@pytest.mark.parametrize("text", [
    "a" + ("\n" + " " * 10) * 300 + "b",  # made the line-break patterns backtrack exponentially
    "a" + (" \\\\ &~" * 600) + "b",
    ("\\left" * 700) + "(",
    ("^" * 3900),
])
def test_hostile_answers_are_lexed_in_linear_time(text):
    try:
        doc = parse(text)
    except WrittenError as e:
        assert e.message
    else:
        assert [plain(s.expr) for s in doc.steps()] == ["a", "b"]


@pytest.mark.parametrize("text", [
    "a \\in" + " " * 3900 + "b",  # a shape after the answer: made the pattern backtrack for minutes
    "\\hat y_w v_c," + " " * 3900 + "x",  # a condition after the answer
    "a" + " ," * 1900 + "w \\ne o",
    "a" + " " * 3900 + "\\text{x}",  # prose after the math
    "\\quad" * 790 + "w = o",
])
def test_hostile_asides_are_found_in_linear_time(text):
    # (its time is measured by benchmarks/hostile_inputs.py)
    try:
        parse(text)
    except WrittenError as e:
        assert e.message


@pytest.mark.parametrize("unit", [r" \text{a}", r"{\text{a}}", r"\text{a} for "])
def test_prose_groups_in_every_answer_of_a_submission_are_read_in_linear_time(job, unit):
    # Each group asked whether a brace was open before it by scanning the whole line before it again:
    # a section of 8,000 characters took half a second per question (7 s a submission) before being
    # refused as too long.
    # (its time is measured by benchmarks/hostile_inputs.py)
    ids = [q.id for q in job.part.questions]
    body = "".join(f"## {q}\n{{" + unit * (9000 // len(unit)) + "\n\n" for q in ids)
    results = grading.grade(job, Submission(id="s", source="s", kind="folder",
                                            texts=(TextFile("written.md", body, "written.md"),)))
    assert len(results) == len(ids) and all(r.status == "fail" for r in results)

#: Most times an answer of many unreadable lines is parsed (each of its lines parsed again: hundreds).
PARSES_MOST = 20


@pytest.mark.parametrize("text", ["a\n" + ")\n" * 700 + "b", "a\n" + "= )\n" * 450 + "b", "v_c\n" + "(a +\n" * 350 + "b"])
def test_many_unreadable_lines_are_not_each_set_aside_by_parsing_again(job, text, monkeypatch):
    # each line set aside was found by parsing the whole answer again: 1.4 s a question (its time is measured
    # by benchmarks/hostile_inputs.py); here, the answer is parsed a few times, however many lines it has
    from grader.written import judge as judge_mod

    real, parses = judge_mod.parse, []
    monkeypatch.setattr(judge_mod, "parse", lambda *a, **k: (parses.append(1), real(*a, **k))[1])
    r = answer(job, "grad_outside_w", text)
    assert r.status == "fail" and r.message.startswith("Could not read your answer: ")
    assert 0 < len(parses) <= PARSES_MOST, len(parses)


def test_the_written_reference_travels_with_the_rubric(tmp_path):
    # A cluster worker has the rubric (as data) but not its files: the source comes with it.
    import dataclasses

    rubric = load_rubric("written")
    moved = dataclasses.replace(rubric, written=dataclasses.replace(
        rubric.written, reference_path=str(tmp_path / "elsewhere" / "written.py")))
    job = grading.prepare(moved)
    assert job.reference.__name__.startswith("_grader_written_reference_")
    assert grading.answer(job, "grad_pred", "-W[i] + yhat @ W").status == "pass"


def _random_expression(rng, depth=0):
    atoms = ["W", "w_i", "w_j", r"\hat{r}", "y", r"\hat{y}", "y_i", r"\hat{y}_j", "1", "2", "0", "U", "u_o", "v_c",
             "u_w", "x", "i", "|V|", "K", "CE", "J", "z", "e", "y_j", "1000"]
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(atoms)
    a, b = _random_expression(rng, depth + 1), _random_expression(rng, depth + 1)
    return rng.choice([f"({a})+({b})", f"({a})-({b})", f"({a}) ({b})", rf"({a}) \cdot ({b})", f"({a}) @ ({b})",
                       f"({a}) * ({b})", f"({a}) / ({b})", f"({a})^T", f"({a})^{{{b}}}", rf"\sum_j ({a})",
                       f"exp({a})", f"log({a})", rf"\sigma({a})", f"softmax({a})", rf"\frac{{{a}}}{{{b}}}",
                       f"outer({a}, {b})", f"-({a})", f"({a})[i]", f"({a}).dot({b})", f"sum({a})"])


def test_any_well_formed_expression_gets_a_verdict_never_a_traceback(job):
    # numbers out of range (1/0, exp(1000), 2^1000), shapes that do not fit, entries of matrices...
    import random

    rng = random.Random(224)
    ids = [q.id for q in job.part.questions]
    for _ in range(800):
        text = _random_expression(rng)
        r = answer(job, rng.choice(ids), text)
        assert r.status in ("pass", "fail") and r.message, text


# --------------------------------------------------------------------------- summation bounds


@pytest.mark.parametrize("qid, text", [
    ("grad_pred", r"-w_i + \sum_{j=1}^{|V|} \hat{y}_j w_j"),
    ("grad_pred", r"-w_i + \sum_{j=1}^{V} \hat{y}_j w_j"),
    ("grad_pred", r"-w_i + \sum_{j \in V} \hat{y}_j w_j"),
    ("grad_pred", r"-(1 - \hat{y}_i) w_i + \sum_{j \neq i} \hat{y}_j w_j"),
    ("grad_pred", r"-(1 - \hat{y}_i) w_i + \sum_{j \ne i} \hat{y}_j w_j"),
    ("negsamp_grad_center", r"-(1 - \sigma(u_o^\top v_c)) u_o + \sum_{k=1}^{K} (1 - \sigma(-u_k^\top v_c)) u_k"),
    ("skipgram_grad_center", r"\sum_{-m \le j \le m, j \ne 0} U(\hat{y} - y_j)"),
])
def test_a_sum_over_its_whole_range_passes(job, qid, text):
    r = answer(job, qid, text)
    assert r.status == "pass", r.message


@pytest.mark.parametrize("qid, text, left_out", [
    ("grad_pred", r"-w_i + \sum_{j=1}^{1} \hat{y}_j w_j", "The sum over j at line 1, column 8 leaves out j = 2, j = 3, j = 4, j = 5."),
    ("grad_pred", r"-w_i + \sum_{j=2}^{|V|} \hat{y}_j w_j", "The sum over j at line 1, column 8 leaves out j = 1."),
    ("grad_pred", r"-w_i + \sum_{j \ne i} \hat{y}_j w_j", "The sum over j at line 1, column 8 leaves out j = i."),
    ("negsamp_grad_center", r"-(1 - \sigma(u_o^\top v_c)) u_o + \sum_{k=2}^{K} (1 - \sigma(-u_k^\top v_c)) u_k",
     "The sum over k at line 1, column 35 leaves out k = 1."),
    ("skipgram_grad_center", r"\sum_{1 \le j \le m, j \ne 0} U(\hat{y} - y_j)",
     "The sum over j at line 1, column 1 leaves out j = -2, j = -1."),
])
def test_a_sum_over_part_of_its_range_fails_and_says_what_it_leaves_out(job, qid, text, left_out):
    r = answer(job, qid, text)
    assert (r.status, r.mistake) == ("fail", "sum-range"), r.message
    assert r.message.endswith(left_out)
    assert r.hint == job.part.mistakes["sum-range"]["message"]


@pytest.mark.parametrize("text, message", [
    (r"-w_i + \sum_{j=1}^{n} \hat{y}_j w_j",
     "the upper bound of the sum over j at line 1, column 8 can't be evaluated: unknown symbol 'n' at line 1, column 20"),
    (r"-w_i + \sum_{j=-1}^{|V|} \hat{y}_j w_j",
     "the lower bound of the sum over j at line 1, column 8 is -1, outside its range (j runs from 1 to 5 here)"),
    # numbered from 0, as in code, the sum runs to |V| - 1
    (r"-w_i + \sum_{j=0}^{|V|} \hat{y}_j w_j",
     "the upper bound of the sum over j at line 1, column 8 is 5, outside its range (j runs from 0 to 4 here)"),
    (r"-w_i + \sum_{j=1}^{|V|+1} \hat{y}_j w_j",
     "the upper bound of the sum over j at line 1, column 8 is 6, outside its range (j runs from 1 to 5 here)"),
    (r"-w_i + \sum_{j=1}^{\hat{r}} \hat{y}_j w_j",
     "the upper bound of the sum over j at line 1, column 8 is a 3×1 vector, not a whole number"),
])
def test_bounds_that_cannot_be_evaluated_say_so(job, text, message):
    r = answer(job, "grad_pred", text)
    assert r.status == "fail" and message in r.message, r.message


# --------------------------------------------------------------------------- feedback never gives the answer away


#: A wrong answer for every named mistake of every question of the built-in rubric that has one.
MISTAKEN = [
    ("sigmoid_grad", r"-\sigma(x)(1 - \sigma(x))", "sign-flipped"),
    ("sigmoid_grad", r"\sigma(x)", "sigmoid-not-derived"),
    ("grad_pred", r"W^\top(y - \hat{y})", "sign-flipped"),
    ("grad_pred", r"-w_i + \sum_x y_x w_x", "y-for-yhat"),
    ("grad_pred", r"W^\top \hat{y}", "no-target-term"),
    ("grad_pred", r"-w_i + \sum_x \exp(w_x^\top \hat{r}) w_x", "unnormalised"),
    ("grad_pred", r"W(\hat{y} - y)", "missing-transpose"),
    ("grad_pred", r"(\hat{y} - y)^\top W", "transposed"),
    ("grad_pred", r"-w_i + \sum_{j=2}^{|V|} \hat{y}_j w_j", "sum-range"),
    ("grad_output", r"(y - \hat{y})\hat{r}^\top", "sign-flipped"),
    ("grad_output", r"(\hat{y} - y)\hat{r}", "missing-transpose"),
    ("grad_output", r"\hat{r}(\hat{y} - y)^\top", "transposed"),
    ("grad_output", r"\hat{y} \hat{r}^\top", "no-target-term"),
    ("grad_center", r"U(y - \hat{y})", "sign-flipped"),
    ("grad_center", r"U^\top(\hat{y} - y)", "missing-transpose"),
    ("grad_center", r"U \hat{y}", "no-target-term"),
    ("grad_center", r"-u_o + \sum_w \exp(u_w^\top v_c) u_w", "unnormalised"),
    ("grad_center", r"-u_o + \sum_{w=1}^{1} \hat{y}_w u_w", "sum-range"),
    ("grad_outside_o", r"(1 - \hat{y}_o) v_c", "sign-flipped"),
    ("grad_outside_w", r"-\hat{y}_w v_c", "sign-flipped"),
    ("grad_outside_matrix", r"v_c(y - \hat{y})^\top", "sign-flipped"),
    ("grad_outside_matrix", r"v_c(\hat{y} - y)", "missing-transpose"),
    ("negsamp_grad_center", r"(1 - \sigma(u_o^\top v_c)) u_o - \sum_{k=1}^{K} (1 - \sigma(-u_k^\top v_c)) u_k",
     "sign-flipped"),
    ("negsamp_grad_center", r"-(1 - \sigma(u_o v_c)) u_o", "missing-transpose"),
    ("negsamp_grad_center", r"-(1 - \sigma(u_o^\top v_c)) u_o + \sum_{k=2}^{K} (1 - \sigma(-u_k^\top v_c)) u_k",
     "sum-range"),
    ("negsamp_grad_outside_o", r"(1 - \sigma(u_o^\top v_c)) v_c", "sign-flipped"),
    ("negsamp_grad_sample", r"-\sigma(u_k^\top v_c) v_c", "sign-flipped"),
    ("skipgram_grad_center", r"\sum_{j} U(y_j - \hat{y})", "sign-flipped"),
    ("skipgram_grad_outside", r"\sum_{j} (\hat{y} - y_j) v_c^\top", "transposed"),
]


def _squeezed(text: str) -> str:
    """Return text with spaces and a transpose's spellings made one, to compare expressions as read."""
    return "".join(text.split()).replace("^T", "ᵀ")


def _shown_to_the_student(r) -> str:
    lines = " ".join(line.message for line in r.written.lines) if r.written else ""  # not the answer as read
    return " ".join((r.message, r.hint or "", lines))


def test_every_named_mistake_and_every_question_has_an_example(job):
    assert {m for _, _, m in MISTAKEN} == set(job.part.mistakes)
    assert {q for q, _, _ in MISTAKEN} == {q.id for q in job.part.questions}


@pytest.mark.parametrize("qid, text, mistake", MISTAKEN)
def test_a_named_mistake_never_shows_the_expected_answer(job, qid, text, mistake):
    r = answer(job, qid, text)
    assert (r.status, r.mistake) == ("fail", mistake), r.message
    q = job.part.question(qid)
    expected = _squeezed(plain(parse_expression(q.compact)))
    assert expected not in _squeezed(_shown_to_the_student(r))


@pytest.mark.parametrize("mistake", ["sign-flipped", "y-for-yhat", "no-target-term", "unnormalised",
                                     "missing-transpose", "transposed", "sum-range", "sigmoid-not-derived"])
def test_no_mistake_message_holds_any_questions_expected_answer(job, mistake):
    hint = _squeezed(job.part.mistakes[mistake]["message"])
    assert "=" not in hint  # an equation in a hint is a step of the derivation given away
    for q in job.part.questions:
        assert _squeezed(plain(parse_expression(q.compact))) not in hint, q.id


def test_a_mistake_message_fits_its_question(job):
    """sigma_grad's sign message speaks of no cost; σ'(x)'s has no -log ŷ."""
    r = answer(job, "sigmoid_grad", r"-\sigma(x)(1 - \sigma(x))")
    assert r.mistake == "sign-flipped" and "log" not in r.hint and "w_i" not in r.hint


def test_a_transpose_too_many_is_named_as_such(job):
    r = answer(job, "grad_center", r"U^T(\hat{y}-y)")
    assert r.message.endswith("the transpose on the left factor, Uᵀ, does not fit here.")
    assert "ᵀ)ᵀ" not in r.message


def test_an_empty_answer_is_reported_at_line_1(job):
    r = answer(job, "grad_pred", "")
    assert r.message == "Could not read your answer: the answer is empty."
    assert [l.line for l in r.written.lines] == [1]


def test_expected_and_got_are_shown_with_digits_enough_to_differ(job):
    r = answer(job, "sigmoid_grad", r"\sigma(x)(1-\sigma(x)) + 10^{-7}")
    assert r.status == "fail"
    expected, got = r.message.rstrip(".").split(" is ")[-1].split(", your answer gives ")
    assert expected != got, r.message


# --------------------------------------------------------------------------- headings


@pytest.mark.parametrize("path, heading", [
    ("written.tex", r"\section*{grad_pred}"),
    ("written.tex", r"\section*{grad\_pred}"),
    ("written.tex", r"\section{grad\_pred}"),
    ("written.tex", r"\subsection*{grad\_pred}"),
    ("written.tex", r"\subsubsection*{grad\_pred}"),
    ("written.tex", r"\paragraph{grad\_pred}"),
    ("written.tex", r"\section*{\texttt{grad\_pred}}"),
    ("written.tex", r"\section*{written/grad\_pred}"),
    ("written.tex", r"\subsection[3(a)]{Question \texttt{grad\_pred}: $\partial CE / \partial \hat{r}$}"),
    ("written.md", r"## grad\_pred"),
    ("written.md", r"## written/grad\_pred"),
    ("written.md", "### `grad_pred`"),
])
def test_a_heading_that_compiles_names_its_question(path, heading):
    text = heading + "\n\\[ W^\\top(\\hat{y} - y) \\]\n"
    found = answers.find([TextFile(path, text, path)], ["grad_pred", "grad_predict"])
    assert list(found) == ["grad_pred"] and found["grad_pred"].text == "W^\\top(\\hat{y} - y)"


# --------------------------------------------------------------------------- a line that cannot be read


def test_an_unparseable_middle_line_is_not_read_and_the_answer_is_judged_on_the_others(job):
    text = ("-\\frac{\\partial}{\\partial \\hat r}\\left(w_i^T \\hat r - \\log Q(O = i | C = c)\\right)\n"
            "= W^T(\\hat y - y)")
    r = answer(job, "grad_pred", text)
    assert r.status == "pass", r.message
    assert [(ln.line, ln.status, ln.read) for ln in r.written.lines] == [(1, "error", ""), (2, "right", "Wᵀ(ŷ - y)")]
    assert r.written.lines[0].source == text.split("\n")[0]
    assert r.written.lines[0].message == "could not be read: unexpected '=' at line 1, column 64"


def test_a_derivative_written_as_an_operator_names_the_quantity_or_is_a_step_not_worked_out(job):
    r = answer(job, "grad_center", r"\frac{\partial}{\partial v_c} J = U(\hat{y} - y)")
    assert r.status == "pass", r.message
    assert [(ln.status, ln.read) for ln in r.written.lines] == [("label", "∂J/∂v_c"), ("right", "U(ŷ - y)")]
    r = answer(job, "grad_pred", "-\\frac{\\partial}{\\partial \\hat r}\\left(w_i^T \\hat r - \\log \\sum_j \\exp(w_j^T \\hat r)"
                                  "\\right)\n= W^T(\\hat y - y)")
    assert r.status == "pass", r.message
    assert [(ln.status, ln.read) for ln in r.written.lines] == [
        ("error", "-∂(w_iᵀ r̂ - log(Σ_j exp(w_jᵀ r̂)))/∂r̂"), ("right", "Wᵀ(ŷ - y)")]
    assert answer(job, "sigmoid_grad", r"\frac{d}{dx}\sigma(x) = \sigma(x)").status == "fail"


@pytest.mark.parametrize("middle", [r"= -w_i^T \hat r + \log \sum_j \exp(w_j^T \hat r) (",  # cannot be parsed
                                    r"= -w_i^T \hat r + \log \sum_j \exp(w_j^T \hat r) \theta"])  # unknown symbol
def test_a_middle_line_that_cannot_be_read_is_judged_as_one_with_an_unknown_symbol(job, middle):
    r = answer(job, "grad_pred", "CE = -\\log \\hat y_i\n" + middle + "\n= W^T(\\hat y - y)")
    assert r.status == "pass", r.message
    assert [(ln.line, ln.status) for ln in r.written.lines] == [(1, "label"), (1, "right"), (2, "error"), (3, "right")]


def test_a_last_line_that_cannot_be_parsed_still_fails_the_answer(job):
    r = answer(job, "grad_pred", "CE = -\\log \\hat y_i\n= W^T(\\hat y - y) (")
    assert r.status == "fail"
    assert r.message == "Could not read your answer: unbalanced '(' at line 2, column 19: it is never closed (add ')')."


def test_a_wrapped_step_with_an_unreadable_line_is_not_read_as_a_whole(job):
    r = answer(job, "grad_pred", "-w_i\n+ \\sum_j \\hat{y}_j w_j (\n= W^T(\\hat y - y)")
    assert r.status == "pass", r.message
    assert [(ln.line, ln.status) for ln in r.written.lines][-1] == (3, "right")
    assert (r.written.lines[0].line, r.written.lines[0].status) == (1, "error")
    assert r.written.lines[0].source == "-w_i + \\sum_j \\hat{y}_j w_j ("


# --------------------------------------------------------------------------- notation


@pytest.mark.parametrize("text, read", [
    (r"W^{T}y", "Wᵀ y"),
    (r"W^Ty", "Wᵀ y"),
    (r"W^T\hat{y} - W^Ty", "Wᵀ ŷ - Wᵀ y"),
    (r"u_o^{T}v_c", "u_oᵀ v_c"),
    (r"u_o^{\top}v_c", "u_oᵀ v_c"),
])
def test_a_transpose_followed_directly_by_a_letter_is_a_transpose_then_a_factor(text, read):
    assert plain(parse_expression(text)) == read


@pytest.mark.parametrize("qid, text", [
    ("sigmoid_grad", r"\sigma'(x) = \sigma(x)(1-\sigma(x))."),
    ("sigmoid_grad", "σ′(x) = σ(x)(1 − σ(x))"),
    ("grad_pred", r"W^T(\hat{y} - y)\,,"),
    ("grad_pred", "\\begin{align*}\n\\frac{\\partial CE}{\\partial \\hat r} &= W^T(\\hat y - y).\n\\end{align*}\n"),
    ("grad_pred", r"-w_i + \sum\limits_j \hat{y}_j w_j"),
    ("grad_pred", r"-w_i + \sum\nolimits_{j=1}^{|V|} \hat{y}_j w_j"),
    ("grad_pred", r"W^\mathrm{T}(\hat{y} - y)"),
    ("grad_pred", r"W^{\mathrm{T}}(\hat{y} - y)"),
    ("grad_pred", "W^⊤(ŷ - y)"),
    ("grad_pred", "W⊤(ŷ - y)"),
    ("grad_pred", "W\u200b^T(\\hat{y}\u200b - y)\ufeff"),
    ("grad_pred", "-wᵢ + Σⱼ ŷⱼ wⱼ"),
])
def test_ordinary_notation_is_read(job, qid, text):
    r = answer(job, qid, text)
    assert r.status == "pass", r.message


# --------------------------------------------------------------------------- inline math


@pytest.mark.parametrize("prose, status", [
    (r"The gradient is $W^T(\hat{y} - y)$, where $\hat y$ is the softmax output and $y$ is one-hot.", "pass"),
    (r"With $\hat{y} = \mathrm{softmax}(W \hat{r})$ and $W \in \mathbb{R}^{|V| \times d}$, "
     r"$\frac{\partial CE}{\partial \hat r} = W^T(\hat y - y)$, where $y_i = 1$.", "pass"),
    (r"The gradient is $W^T(y - \hat{y})$, where $\hat y$ is the softmax output and $y$ is one-hot.", "fail"),
    (r"It is $W^T \hat{y}$, where $\hat y$ is the softmax output.", "fail"),
])
def test_inline_math_that_only_names_or_defines_a_symbol_is_not_the_answer(job, prose, status):
    text = TextFile("written.md", "## grad_pred\n" + prose + "\n", "written.md")
    [r] = [r for r in grading.grade(job, Submission(id="s", source="s", kind="folder", texts=(text,)))
           if r.question == "written/grad_pred"]
    assert r.status == status, r.message


def test_a_section_of_lone_symbols_is_still_graded():
    assert answers.extract_math("only $y$ here") == "y"


def test_a_right_answer_shows_no_instance_where_nothing_differs(job):
    r = answer(job, "grad_pred", "CE = -\\log \\hat y_i\n= \\theta\n= W^T(\\hat y - y)")
    assert r.status == "pass" and r.written.first_wrong is None and r.written.instance == "", r.written


def test_a_last_step_wrapped_onto_an_unreadable_line_is_not_read(job):
    r = answer(job, "grad_pred", "-w_i\n+ \\sum_j \\hat{y}_j w_j (\n+ 0")
    assert r.status == "fail"
    assert r.message == ("Your answer could not be evaluated: line 2 could not be read: unbalanced '(' at line 2, "
                         "column 24: it is never closed (add ')').")


def test_a_prime_on_a_one_by_one_vector_is_its_transpose(tmp_path):
    # with d = 1 every vector of the instance is 1×1: its prime is still a transpose, not a derivative
    import grader
    from pathlib import Path

    rubrics = Path(grader.__file__).resolve().parent.parent / "rubrics"
    text = (rubrics / "written.toml").read_text(encoding="utf-8")
    text = text.replace('extends = "problem-set.toml"', f'extends = {str(rubrics / "problem-set.toml")!r}')
    text = text.replace('reference = "../reference/written.py"',
                        f'reference = {str((rubrics / "../reference/written.py").resolve())!r}')
    text = text.replace("dim = 3,", "dim = 1,")
    (tmp_path / "d1.toml").write_text(text, encoding="utf-8")
    r = grader.check_written("negsamp_grad_outside_o", r"(\sigma(u_o' v_c) - 1) v_c", rubric=tmp_path / "d1.toml")
    assert r.score == r.max_score == 1, r.checks()[0].message
