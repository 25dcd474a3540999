"""The catalogue's reading of the source documents: passages a careful reader might expect to be
executable that the catalogue judged not to be, each with the reason. Anchors are verbatim up to
whitespace and lead to one passage (the citation test checks them like spec citations);
docs/catalogue.md lists them per document."""

from conformance import Document
from conformance.specs.sources import BLOG, BOOK, LINREG, PY_COURSE, R_COURSE

NOT_EXECUTABLE: list[tuple[Document, str, str]] = [
    # (document, anchor, why)
    (
        PY_COURSE,
        "xtensor([ 1.5000, 2.0000, -1.0000])",
        "a printed representation: engines print tensors their own way; the values, shape and "
        "dtype it shows are encoded (basics.*)",
    ),
    (
        PY_COURSE,
        "will raise a RuntimeError",
        "the error's type: engines raise their own types, so the spec accepts any error except "
        "an argument-type or missing-member one (graph.*)",
    ),
    (
        PY_COURSE,
        "it can run on a GPU",
        "a device, not a behaviour: every spec runs on a GPU with --device=cuda",
    ),
    (
        PY_COURSE,
        "convert to one another cheaply",
        "cost is not observable through the contract; "
        "the conversion itself is encoded (tensors.numpy_roundtrip)",
    ),
    (
        PY_COURSE,
        "or silently produce incorrect gradients",
        "the alternative to raising; a "
        "conforming engine must raise, and the catalogue checks that (autograd.inplace_checks)",
    ),
    (
        PY_COURSE,
        "would be prohibitively expensive",
        "the reason for leaf-only gradients (memory), not a behaviour",
    ),
    (
        PY_COURSE,
        "all intermediate buffers remain allocated",
        "memory use is not observable through the contract",
    ),
    (
        PY_COURSE,
        "certain second-order optimisation methods",
        "context for the Jacobian, no behaviour beyond the Jacobian itself",
    ),
    (
        PY_COURSE,
        "arises from maximum likelihood estimation",
        "a derivation; its result (CE = -log p_c) is encoded",
    ),
    (
        PY_COURSE,
        "helps escape local minima",
        "an empirical claim about training, not deterministic behaviour of an engine",
    ),
    (
        PY_COURSE,
        "tends to converge faster than SGD",
        "an empirical claim about training "
        "problems in general; Adam's per-parameter scaling is encoded",
    ),
    (PY_COURSE, "no longer fully independent", "advice on experimental method"),
    (PY_COURSE, "provide a predefined train/test split", "about datasets, not the engine"),
    (
        PY_COURSE,
        "more distributed and robust representations",
        "an effect of training with dropout, not a property of one forward pass",
    ),
    (
        PY_COURSE,
        "prevents any single parameter from dominating",
        "an effect of training with weight decay",
    ),
    (
        PY_COURSE,
        "the same four lines:",
        "the four lines are not in the "
        "text; the optimiser loop they stand for is encoded (optim.sgd_trace)",
    ),
    (R_COURSE, "evaluated only once, at the end", "advice on experimental method"),
    (
        R_COURSE,
        "idx <- sample(length(dataset))",
        "R's sample() draws from R's generator; the "
        "spec draws the shuffled index vector with NumPy and keeps the split mechanism",
    ),
    (
        BLOG,
        "These potential actions are saved internally",
        "an implementation detail; what is observable (grad_fn chains) is encoded",
    ),
    (
        BLOG,
        'cat("Epoch: ", t',
        "the blog prints losses from unseeded random data and does "
        "not show them; the loop is encoded with seeded data (examples.two_layer_training)",
    ),
    (LINREG, "The graphic below visualizes", "a figure"),
    (
        LINREG,
        "The length of the step",
        "the list that follows is missing from "
        "the text; the learning-rate trade-off is encoded from the PyTorch course",
    ),
    (LINREG, "Of course, better solutions exist", "a remark on statistics, not on the engine"),
    (
        BOOK,
        "nor store, functional representations of derivatives",
        "an implementation detail, not observable",
    ),
    (BOOK, "it is not always the most efficient way", "optimisation advice"),
    (
        BOOK,
        "We could have given the constants",
        "a choice of drawing; engines differ in how "
        "constants appear (PyTorch: None entries), which the blog chain spec states",
    ),
    (
        BOOK,
        "\\nabla f = \\frac{\\partial f}{\\partial x_1} + ",
        "the book writes the gradient "
        "as a sum of partial derivatives; the engine stores the vector, which the spec checks",
    ),
]
