"""Loss functions: MSE, cross-entropy from logits, binary cross-entropy."""

import math

import numpy as np

from conformance import expect_close, expect_grad, expect_true, spec
from conformance.specs.sources import (
    LINREG,
    PY_COURSE,
    R_COURSE,
    both_courses,
    cite,
    maths,
    pytorch_docs,
)

MSE = both_courses("Mean squared error (MSE)")
CE_FROM_LOGITS = both_courses(
    "CrossEntropyLoss takes raw logits", "cross_entropy_loss takes raw logits"
)
CE_ORDERING = both_courses("The higher the logit for the true class")
LOG_SUM_EXP = cite(PY_COURSE, "whereas the log-sum-exp computation avoids this")
BCE_MEAN = cite(PY_COURSE, "the total loss is the mean")
BCE_LOGITS = both_courses(
    "BCEWithLogitsLoss accepts raw logits", "bce_with_logits_loss accepts raw logits"
)
BCE_STABLE = cite(PY_COURSE, "for the same numerical stability reason")

# -z_c + log(sum_j exp(z_j)) for z = [2.0, 0.5, -1.0], c = 0, evaluated in float64.
CE_EXAMPLE = -2.0 + math.log(math.exp(2.0) + math.exp(0.5) + math.exp(-1.0))


@spec(
    id="loss.cross_entropy_example",
    behaviour="cross-entropy of logits [2.0, 0.5, -1.0] with true class 0 is 0.2413",
    sources=[
        cite(PY_COURSE, "tensor(0.2413)"),
        cite(R_COURSE, "0.24131132662296295"),
        maths("-2 + log(e^2 + e^0.5 + e^-1)"),
    ],
    about="loss.cross_entropy",
    requires={"tensor.arrays"},
    note="The documents print 0.2413 (PyTorch) and 0.24131132662296295 (R, float32); the spec "
    "compares with the float64 value 0.241311296657157 within the result dtype's tolerance.",
)
def test_cross_entropy_example(engine):
    logits = engine.tensor([[2.0, 0.5, -1.0]])
    target = engine.tensor([0], dtype="int64")
    expect_close(engine.cross_entropy(logits, target), CE_EXAMPLE, what="cross_entropy")


@spec(
    id="loss.mse_value",
    behaviour="MSE is the mean of squared differences: (1/n) sum (y_i - yhat_i)**2",
    sources=[*MSE, maths("((0.5)**2 + 1**2 + 0 + 2**2) / 4")],
    about="loss.mse",
    requires={"tensor.arrays"},
)
def test_mse_value(engine):
    prediction = engine.tensor([1.5, 1.0, 3.0, -2.0])
    target = engine.tensor([1.0, 2.0, 3.0, 0.0])
    expect_close(engine.mse_loss(prediction, target), (0.25 + 1 + 0 + 4) / 4, what="mse_loss")


@spec(
    id="loss.mse_grad",
    behaviour="the gradient of MSE with respect to the predictions is 2 (yhat - y) / n",
    sources=[*MSE, maths("d MSE/d yhat_i = 2 (yhat_i - y_i)/n")],
    about="loss.mse",
    requires={"autograd.backward", "tensor.arrays"},
)
def test_mse_grad(engine):
    prediction = engine.tensor([1.5, 1.0, 3.0, -2.0], requires_grad=True)
    target = engine.tensor([1.0, 2.0, 3.0, 0.0])
    engine.mse_loss(prediction, target).backward()
    expect_grad(prediction, [0.25, -0.5, 0.0, -1.0], what="prediction.grad")


# A (2, 3) batch: the squared differences are [[0.25, 1, 0], [4, 0, 9]], summing to 14.25. The
# mean over all six is 2.375; the plausible wrong reductions give the sum (14.25), the sum over
# rows (7.125, i.e. divided by len()) and over columns (4.75), all at least twice as large, far
# beyond any dtype's tolerance.
MSE_BATCH_PREDICTION = [[1.5, 1.0, 3.0], [-2.0, 0.5, 2.0]]
MSE_BATCH_TARGET = [[1.0, 2.0, 3.0], [0.0, 0.5, -1.0]]


@spec(
    id="loss.mse_mean_over_all_elements",
    behaviour="MSE of a (2, 3) batch is the mean of all six squared differences, not their sum "
    "and not the sum divided by the number of rows",
    sources=[
        *MSE,
        cite(LINREG, "the average L2 loss over all datapoints"),
        maths("(0.25 + 1 + 0 + 4 + 0 + 9) / 6 = 2.375"),
    ],
    about="loss.mse",
    requires={"tensor.arrays"},
    note="The documents define MSE over n predictions; a (2, 3) batch holds six. Dividing by "
    "len() of a 2-d tensor (its rows) gives 7.125.",
)
def test_mse_mean_over_all_elements(engine):
    loss = engine.mse_loss(engine.tensor(MSE_BATCH_PREDICTION), engine.tensor(MSE_BATCH_TARGET))
    expect_close(loss, 14.25 / 6, what="mse_loss of a 2 x 3 batch (mean of the 6 terms)")


@spec(
    id="loss.mse_grad_batch",
    behaviour="the gradient of MSE of a (2, 3) batch with respect to the predictions is "
    "2 (yhat - y) / 6, one sixth per element",
    sources=[*MSE, maths("d MSE/d yhat_ij = 2 (yhat_ij - y_ij) / (N K)")],
    about="loss.mse",
    requires={"autograd.backward", "tensor.arrays"},
)
def test_mse_grad_batch(engine):
    prediction = engine.tensor(MSE_BATCH_PREDICTION, requires_grad=True)
    engine.mse_loss(prediction, engine.tensor(MSE_BATCH_TARGET)).backward()
    difference = np.array(MSE_BATCH_PREDICTION) - np.array(MSE_BATCH_TARGET)
    expect_grad(prediction, 2 * difference / 6, what="prediction.grad of a 2 x 3 batch")


# A batch of logits and targets for the identities below (arbitrary, moderate values).
LOGITS = [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-1.5, 3.0, 0.0], [1.0, 1.0, 1.0]]
TARGETS = [0, 2, 1, 1]


def log_softmax(rows):
    rows = np.asarray(rows, dtype=np.float64)
    return rows - np.log(np.exp(rows).sum(axis=1, keepdims=True))


@spec(
    id="loss.cross_entropy_is_neg_log_softmax",
    behaviour="cross-entropy from logits equals the batch mean of -log softmax(z)_c",
    sources=[
        *CE_FROM_LOGITS,
        cite(PY_COURSE, "The two forms are algebraically identical"),
        maths("CE = -log p_c = -z_c + log sum_j e^z_j"),
    ],
    about="loss.cross_entropy",
    requires={"tensor.arrays"},
)
def test_cross_entropy_is_neg_log_softmax(engine):
    expected = -log_softmax(LOGITS)[np.arange(4), TARGETS].mean()
    loss = engine.cross_entropy(engine.tensor(LOGITS), engine.tensor(TARGETS, dtype="int64"))
    expect_close(loss, expected, what="cross_entropy(logits, targets)")


@spec(
    id="loss.cross_entropy_grad",
    behaviour="the gradient of cross-entropy with respect to the logits is (softmax - onehot) / N",
    sources=[*CE_FROM_LOGITS, maths("d CE/dz = softmax(z) - onehot(c)")],
    about="loss.cross_entropy",
    requires={"autograd.backward", "tensor.arrays"},
)
def test_cross_entropy_grad(engine):
    logits = engine.tensor(LOGITS, requires_grad=True)
    engine.cross_entropy(logits, engine.tensor(TARGETS, dtype="int64")).backward()
    expected = np.exp(log_softmax(LOGITS))
    expected[np.arange(4), TARGETS] -= 1
    expect_grad(logits, expected / 4, what="logits.grad")


@spec(
    id="loss.cross_entropy_large_logits",
    behaviour="cross-entropy stays finite and exact for logits of size 1000 (log-sum-exp form)",
    sources=[LOG_SUM_EXP, maths("-z_c + max z + log(1 + tiny)")],
    about="loss.cross_entropy",
    requires={"tensor.arrays"},
    note="exp(1000) overflows in any float format, so computing softmax first gives inf or NaN.",
)
def test_cross_entropy_large_logits(engine):
    logits = engine.tensor([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]])
    loss = engine.cross_entropy(logits, engine.tensor([0, 1], dtype="int64"))
    expect_close(loss, (0.0 + 1000.0) / 2, what="cross_entropy with logits +-1000")


@spec(
    id="loss.cross_entropy_ordering",
    behaviour="the higher the true class's logit relative to the others, the lower the loss",
    sources=CE_ORDERING,
    about="loss.cross_entropy",
    requires={"tensor.arrays"},
)
def test_cross_entropy_ordering(engine):
    target = engine.tensor([0], dtype="int64")
    losses = [
        engine.to_numpy(engine.cross_entropy(engine.tensor([[z, 0.5, -1.0]]), target))
        for z in (-1.0, 0.5, 2.0, 4.0)
    ]
    expect_true(
        all(a > b for a, b in zip(losses, losses[1:], strict=False)),
        what="strictly decreasing losses",
        got=losses,
    )


# Probabilities, 0/1 targets and the element-wise BCE terms -[y log p + (1 - y) log(1 - p)].
PROBS = [0.9, 0.2, 0.6, 0.05]
LABELS = [1.0, 0.0, 0.0, 1.0]
BCE_TERMS = [-math.log(0.9), -math.log(0.8), -math.log(0.4), -math.log(0.05)]


@spec(
    id="loss.bce_value",
    behaviour="binary cross-entropy is the mean over outputs of -[y log p + (1 - y) log(1 - p)]",
    sources=[BCE_MEAN, maths("BCE terms of p = [.9, .2, .6, .05]")],
    about="loss.bce",
    requires={"tensor.arrays"},
)
def test_bce_value(engine):
    loss = engine.bce_loss(engine.tensor(PROBS), engine.tensor(LABELS))
    expect_close(loss, sum(BCE_TERMS) / 4, what="bce_loss (mean of the four terms)")


@spec(
    id="loss.bce_single_terms",
    behaviour="for y = 1 only -log p remains, for y = 0 only -log(1 - p)",
    sources=[cite(PY_COURSE, "only the first term survives")],
    about="loss.bce",
    requires={"tensor.arrays"},
)
def test_bce_single_terms(engine):
    for p, y, term in zip(PROBS, LABELS, BCE_TERMS, strict=True):
        loss = engine.bce_loss(engine.tensor([p]), engine.tensor([y]))
        expect_close(loss, term, what=f"bce_loss of p = {p} against y = {y}")


@spec(
    id="loss.bce_with_logits_matches_bce",
    behaviour="BCE-with-logits of z equals BCE of sigmoid(z) for moderate logits",
    sources=[*BCE_LOGITS, maths("BCE(sigmoid(z), y)")],
    about="loss.bce_with_logits",
    requires={"tensor.arrays"},
)
def test_bce_with_logits_matches_bce(engine):
    logits = [math.log(p / (1 - p)) for p in PROBS]  # sigmoid(logit(p)) = p
    loss = engine.bce_with_logits(engine.tensor(logits), engine.tensor(LABELS))
    expect_close(loss, sum(BCE_TERMS) / 4, what="bce_with_logits")


@spec(
    id="loss.bce_with_logits_stable",
    behaviour="BCE-with-logits stays finite and exact for logits of size 200, where sigmoid "
    "rounds to 0 or 1",
    sources=[BCE_STABLE, maths("BCE(z, y) = max(z,0) - zy + log(1+e^-|z|)")],
    about="loss.bce_with_logits",
    requires={"tensor.arrays"},
    note="PyTorch's probability form clips log at -100: BCE(sigmoid(200), 0) gives 100, not 200.",
)
def test_bce_with_logits_stable(engine):
    loss = engine.bce_with_logits(
        engine.tensor([200.0, -200.0, 200.0]), engine.tensor([0.0, 1.0, 1.0])
    )
    expect_close(loss, (200.0 + 200.0 + 0.0) / 3, what="bce_with_logits at z = +-200")


@spec(
    id="loss.bce_with_logits_grad",
    behaviour="the gradient of BCE-with-logits with respect to the logits is (sigmoid(z) - y) / n",
    sources=[*BCE_LOGITS, maths("d/dz = sigmoid(z) - y")],
    about="loss.bce_with_logits",
    requires={"autograd.backward", "tensor.arrays"},
)
def test_bce_with_logits_grad(engine):
    z = [2.0, -1.0, 0.0, 30.0]
    logits = engine.tensor(z, requires_grad=True)
    engine.bce_with_logits(logits, engine.tensor(LABELS)).backward()
    expected = (1 / (1 + np.exp(-np.array(z))) - np.array(LABELS)) / 4
    expect_grad(logits, expected, what="logits.grad")


def finite(engine, value) -> bool:
    return bool(np.isfinite(np.asarray(engine.to_numpy(value))).all())


@spec(
    id="loss.softmax_first_overflows",
    behaviour="for logits [1000, 0, -1000] taking -log of softmax computed by exp is not finite",
    sources=[
        cite(PY_COURSE, "can cause numerical overflow when logits are large"),
        maths("exp(1000) overflows"),
    ],
    about="tensor.overflow_to_inf",
    requires={"tensor.ops", "tensor.arrays"},
    note="exp(1000) exceeds the largest float64 as well, so the probability form breaks in any "
    "IEEE format. The other side of the documents' contrast, cross-entropy from the same logits "
    "staying exact, is loss.cross_entropy_large_logits, about loss.cross_entropy: a "
    "cross-entropy a few roundings off at logits of 1000 says nothing about overflow.",
)
def test_softmax_first_overflows(engine):
    logits = engine.tensor([1000.0, 0.0, -1000.0])
    exps = logits.exp()
    by_probabilities = -(exps[0:1] / exps.sum()).log()
    expect_true(
        not finite(engine, by_probabilities),
        what="-log(softmax(z)[0]) computed through exp to overflow",
        got=engine.to_numpy(by_probabilities),
    )


@spec(
    id="loss.sigmoid_first_breaks",
    behaviour="for logits +-200 sigmoid rounds to exactly 1 and 0, so BCE written on probabilities "
    "is infinite, while BCE-with-logits gives the exact 200",
    sources=[
        BCE_STABLE,
        maths("1 - sigmoid(200) = 1.4e-87 rounds to 0; BCE(z, y) = max(z,0) - zy + log(1+e^-|z|)"),
    ],
    about="tensor.overflow_to_inf",
    requires={"loss.bce_with_logits", "nn.activations", "tensor.ops", "tensor.arrays"},
    note="PyTorch's own BCELoss clamps each log at -100, so on these probabilities it returns "
    "100, finite but wrong; the documents recommend the logits form for this reason.",
)
def test_sigmoid_first_breaks(engine):
    logits, labels = engine.tensor([200.0, -200.0]), engine.tensor([0.0, 1.0])
    p = engine.sigmoid(logits)
    expect_close(p, [1.0, 0.0], what="sigmoid([200, -200])")
    by_probabilities = -(labels * p.log() + (1 - labels) * (1 - p).log()).mean()
    expect_true(
        not finite(engine, by_probabilities),
        what="BCE on the rounded probabilities to be infinite",
        got=engine.to_numpy(by_probabilities),
    )
    expect_close(engine.bce_with_logits(logits, labels), 200.0, what="bce_with_logits")


SOFTMAX = [cite(PY_COURSE, "e^{z_k} / \\sum_j e^{z_j}"), *both_courses("via softmax")]


def softmax_rows(rows):
    rows = np.asarray(rows, dtype=np.float64)
    return np.exp(log_softmax(np.atleast_2d(rows))).reshape(rows.shape)


@spec(
    id="loss.softmax_values",
    behaviour="softmax turns logits into probabilities exp(z) / exp(z).sum(): positive, summing "
    "to 1 along the last dimension, largest for the largest logit",
    sources=[*SOFTMAX, maths("softmax(z) = exp(z) / sum(exp(z))")],
    about="nn.softmax",
    requires={"tensor.arrays"},
)
def test_softmax_values(engine):
    p = engine.softmax(engine.tensor(LOGITS), dim=-1)
    expected = softmax_rows(LOGITS)
    expect_close(p, expected, what="softmax(logits, dim=-1)")
    expect_close(expected.sum(axis=1), np.ones(4), what="row sums of the expected probabilities")
    rows = np.asarray(engine.to_numpy(p), dtype=np.float64).sum(axis=-1)
    expect_close(rows, np.ones(4), what="row sums of softmax(logits)")


@spec(
    id="loss.softmax_stable",
    behaviour="softmax of logits [1000, 0, -1000] is [1, 0, 0], finite, and adding a constant "
    "to every logit leaves softmax unchanged",
    sources=[
        pytorch_docs("torch.nn.functional.softmax", "exp(x_i) / sum_j exp(x_j), finite for any x"),
        maths("softmax(z) = softmax(z - max z); e^-1000 underflows to 0"),
    ],
    about="nn.softmax_stable",
    requires={"nn.softmax", "tensor.arrays"},
    note="Mathematically softmax([1000, 0, -1000]) is [1, e^-1000, e^-2000]; computed as "
    "e^z / sum e^z, as the PyTorch course writes it, e^1000 overflows and the result is NaN. "
    "The course says that explicit computation can overflow (the reason cross-entropy works "
    "from logits), not that softmax must not, so an engine following the documents may "
    "overflow here: staying finite is PyTorch's convention, a capability of its own.",
)
def test_softmax_stable(engine):
    p = engine.softmax(engine.tensor([1000.0, 0.0, -1000.0]), dim=-1)
    expect_close(p, [1.0, 0.0, 0.0], what="softmax([1000, 0, -1000])")
    shifted = engine.softmax(engine.tensor([[2.0, 0.5, -1.0], [52.0, 50.5, 49.0]]), dim=-1)
    expect_close(shifted, softmax_rows([[2.0, 0.5, -1.0]] * 2), what="softmax of z and z + 50")


@spec(
    id="loss.softmax_jacobian",
    behaviour="the Jacobian of softmax at z is diag(p) - p p^T: d p_i / d z_j = p_i (delta_ij - "
    "p_j)",
    sources=[*SOFTMAX, maths("d p_i/d z_j = p_i (delta_ij - p_j)")],
    about="nn.softmax",
    requires={"autograd.jacobian", "tensor.arrays"},
)
def test_softmax_jacobian(engine):
    z = [2.0, 0.5, -1.0]
    p = softmax_rows(z)
    jacobian = engine.jacobian(lambda x: engine.softmax(x, dim=-1), engine.tensor(z))
    expect_close(jacobian, np.diag(p) - np.outer(p, p), what="jacobian of softmax at z")


# A batch of two rows of three logits, and output weights that differ within each row, so that
# the gradient of each row depends on that row's own weighted mean (w . p) and nothing else.
SOFTMAX_BATCH = [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]]
SOFTMAX_WEIGHTS = [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]]


@spec(
    id="loss.softmax_batch_grad",
    behaviour="softmax of a (2, 3) batch along dim 1 normalises each row on its own: the gradient "
    "of sum(w * softmax(z)) is p * (w - sum_j w_j p_j), row by row",
    sources=[*SOFTMAX, maths("d/dz_i sum_k w_k p_k = p_i (w_i - sum_j w_j p_j), per row")],
    about="nn.softmax",
    requires={"autograd.backward", "tensor.arrays", "tensor.ops"},
    note="The documents apply softmax to each sample's K logits; a batch holds one sample per "
    "row. A gradient that reduced over the batch, or broadcast a row's sum over the wrong axis, "
    "is off by O(1) here (with one row, as in loss.softmax_jacobian, both are the same).",
)
def test_softmax_batch_grad(engine):
    z = engine.tensor(SOFTMAX_BATCH, requires_grad=True)
    (engine.softmax(z, dim=1) * engine.tensor(SOFTMAX_WEIGHTS)).sum().backward()
    p, w = softmax_rows(SOFTMAX_BATCH), np.array(SOFTMAX_WEIGHTS)
    expect_grad(z, p * (w - (w * p).sum(axis=1, keepdims=True)), what="z.grad")


@spec(
    id="loss.bce_mean_over_all_terms",
    behaviour="binary cross-entropy of an (N, K) batch of probabilities is the mean of all N * K "
    "terms",
    sources=[BCE_MEAN, cite(PY_COURSE, "\\(K\\) independent Bernoulli variables")],
    about="loss.bce",
    requires={"tensor.arrays"},
)
def test_bce_mean_over_all_terms(engine):
    probabilities = [[0.9, 0.2, 0.6], [0.05, 0.7, 0.5]]
    labels = [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    p, y = np.array(probabilities), np.array(labels)
    terms = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    loss = engine.bce_loss(engine.tensor(probabilities), engine.tensor(labels))
    expect_close(loss, terms.mean(), what="bce_loss of a 2 x 3 batch (mean of the 6 terms)")


@spec(
    id="loss.bce_with_logits_mean_over_all_terms",
    behaviour="BCE-with-logits of an (N, K) batch of logits is the mean of all N * K terms, not "
    "their sum divided by the number of rows",
    sources=[
        *BCE_LOGITS,
        BCE_MEAN,
        cite(PY_COURSE, "\\(K\\) independent Bernoulli variables"),
        maths("mean of max(z,0) - zy + log(1+e^-|z|) over the 6 terms"),
    ],
    about="loss.bce_with_logits",
    requires={"tensor.arrays"},
    note="The sum over rows (N = 2) would be three times the mean of the six terms here.",
)
def test_bce_with_logits_mean_over_all_terms(engine):
    logits = [[2.0, -1.0, 0.5], [-3.0, 0.8, 0.0]]
    labels = [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    z, y = np.array(logits), np.array(labels)
    terms = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    loss = engine.bce_with_logits(engine.tensor(logits), engine.tensor(labels))
    expect_close(loss, terms.mean(), what="bce_with_logits of a 2 x 3 batch (mean of the 6 terms)")


@spec(
    id="loss.mse_grad_second_argument",
    behaviour="MSE passes gradients to either argument: with the tracked predictions second, "
    "d MSE / d yhat = -2 (y - yhat) / n",
    sources=[
        cite(LINREG, "(y - \\hat{y})^2"),
        *MSE,
        maths("d (y - yhat)**2/d yhat = -2 (y - yhat)"),
    ],
    about="loss.mse",
    requires={"autograd.backward", "tensor.arrays"},
)
def test_mse_grad_second_argument(engine):
    target = engine.tensor([1.0, 2.0, 3.0, 0.0])
    prediction = engine.tensor([1.5, 1.0, 3.0, -2.0], requires_grad=True)
    engine.mse_loss(target, prediction).backward()
    expect_grad(prediction, [0.25, -0.5, 0.0, -1.0], what="grad of the second argument")
