"""The fixed vocabulary of capabilities an engine can declare and a spec can require.

A capability names one documented behaviour family. Specs require capabilities; an engine that
does not declare one gets a skip whose reason names it, never a failure. Each capability is also a
pytest marker of the same name, so ``-m "optim.adam"`` selects the Adam specs.

``tensor.core`` is required by every spec implicitly: without creating a tensor and reading it
back, nothing can be checked.

A capability whose description starts with "PyTorch convention" encodes behaviour that none of
the source documents states (the specs cite PyTorch's API documentation instead), so an engine
that follows only the documents can decline it and lose nothing else. Where the documents and
PyTorch disagree, both readings are capabilities (:data:`ALTERNATIVES`): an engine declares the
one it follows and the specs check that one.
"""

from __future__ import annotations

CAPABILITIES: dict[str, str] = {
    # tensors
    "tensor.core": "create scalar tensors from Python numbers and read them back as NumPy",
    "tensor.arrays": "create tensors of rank >= 1 from nested lists and read them back",
    "tensor.default_float32": "a tensor made from Python floats without a dtype is float32, as the "
    "documents print (CPUFloatType, tensor(12.)); an engine defaulting to float64 declines it",
    "tensor.float64": "create and compute in float64",
    "tensor.numpy": "convert NumPy arrays to tensors and back without changing values or dtype",
    "tensor.ops": "element-wise arithmetic, pow, exp, log, abs, reductions (sum, mean), reshape",
    "tensor.matmul": "matrix products (``@`` and ``mm``)",
    "tensor.inplace": "in-place methods with a trailing underscore (``abs_``, ``sub_``, ...)",
    "tensor.overflow_to_inf": "PyTorch convention: a float overflow gives inf (and inf / inf NaN) "
    "silently, so a softmax or sigmoid written out by hand breaks for large logits (the documents "
    "say it can overflow, not that it must)",
    # autograd
    "autograd.backward": "reverse-mode ``backward()`` from a scalar, gradients stored in ``.grad``",
    "autograd.backward_gradient": "PyTorch convention: ``backward(gradient=v)`` on a non-scalar "
    "output gives the vector-Jacobian product (no document uses it)",
    "autograd.leaf_only_grad": "``.grad`` is filled on leaves only; non-leaf ``.grad`` stays None",
    "autograd.retain_grad": "``retain_grad()`` keeps the gradient of a non-leaf tensor",
    "autograd.graph_freed": "a second backward through a freed graph raises",
    "autograd.retain_graph": "``backward(retain_graph=True)`` allows another backward pass",
    "autograd.accumulate": "gradients add up across backward calls until zeroed",
    "autograd.accumulate_retained": "a non-leaf that retains its gradient adds each backward "
    "pass's gradient to its .grad like a leaf (the R course states the adding rule with no "
    "exception); an engine that overwrites a retained gradient declines it",
    "autograd.no_grad": "operations under ``no_grad()`` are not recorded",
    "autograd.no_grad_flag": "PyTorch convention: a result computed under ``no_grad()`` has "
    "requires_grad False (the documents say only that the operations are not recorded)",
    "autograd.scalar_backward": "``backward()`` on a non-scalar without an output gradient raises",
    "autograd.grad_fn": "results carry a ``grad_fn`` with ``next_functions``",
    "autograd.grad_fn_names": "PyTorch convention: ``grad_fn`` nodes carry the names today's "
    "PyTorch prints (MulBackward0 and SubBackward0 also for a Python-number operand)",
    "autograd.grad_fn_names_book": "``grad_fn`` nodes carry the names the book (004) prints: "
    "MulBackward1 and SubBackward1 for a Python-number operand (older torch)",
    "autograd.inplace_checks": "in-place changes that would corrupt a gradient raise",
    "autograd.inplace_on_intermediate": "PyTorch convention: an in-place op on a tracked "
    "intermediate whose value backward does not need is recorded (the course allows it to raise)",
    "autograd.jacobian": "``jacobian(f, x)`` of a vector function",
    "autograd.requires_grad_": "``requires_grad_()`` turns tracking on after creation",
    "autograd.detach": "PyTorch convention: ``detach()`` returns a tensor outside the graph",
    "autograd.nonleaf_grad_warning": "reading ``.grad`` of a non-leaf that does not retain its "
    "gradient emits a warning",
    # functions and layers
    "nn.activations": "relu, tanh, sigmoid, clamp as differentiable functions",
    "nn.softmax": "``softmax(x, dim)``: exponentials normalised to sum to 1 along a dimension",
    "nn.softmax_stable": "PyTorch convention: softmax stays finite for logits of any size (it "
    "shifts by the largest logit); the documents write e^z / sum e^z and warn that computing it "
    "explicitly can overflow",
    "nn.linear": "``Linear`` layers, ``Sequential`` containers and Module parameters",
    "nn.linear_init": "PyTorch convention: ``Linear`` weights start uniform in "
    "+-1/sqrt(in_features) (no document states an initialisation)",
    "nn.dropout": "``Dropout`` with train/eval modes",
    # losses
    "loss.mse": "mean squared error",
    "loss.cross_entropy": "cross-entropy from logits and class indices",
    "loss.bce": "binary cross-entropy on probabilities",
    "loss.bce_with_logits": "binary cross-entropy on logits (numerically stable form)",
    # optimisation
    "optim.sgd": "SGD optimiser: step and zero_grad",
    "optim.momentum": "PyTorch convention: SGD momentum as torch.optim.SGD defines it (the "
    "documents do not mention momentum)",
    "optim.weight_decay": "PyTorch convention: the optimiser's ``weight_decay = wd`` adds wd * w "
    "to the gradient, the gradient of the penalty (wd / 2) sum(w**2)",
    "optim.weight_decay_penalty": "the documents' reading: the optimiser's ``weight_decay = "
    "lambda`` is the penalty lambda * sum(w**2) added to the loss, so 2 lambda w in the gradient",
    "optim.adam": "Adam as the documents describe it: running means of each parameter's "
    "gradient and squared gradient scale that parameter's own step",
    "optim.adam_equations": "PyTorch convention: torch.optim.Adam's update equations, bias "
    "correction and weight_decay (the documents describe Adam only in words)",
    # data
    "data.dataset": "``tensor_dataset``: a dataset whose item i holds row i of each tensor "
    "(TensorDataset, R's tensor_dataset), with len() and indexing",
    "data.random_split": "``random_split`` of a dataset into given lengths, seeded by its "
    "``seed`` argument",
    "data.random_split_fractions": "PyTorch convention: ``random_split`` also takes fractions "
    "summing to 1, flooring n * f and giving the remainder one item at a time to the first parts "
    "(the documents split by counts)",
    "data.loader": "PyTorch convention: ``DataLoader`` batching with batch size, shuffle and last "
    "partial batch (the documents batch by splitting shuffled indices themselves)",
    "data.subset": "a dataset restricted to a list of indices (``Subset``, R's ``dataset_subset``)",
    # randomness
    "random.randn": "``randn(*shape)``: standard normal draws, as the documents' synthetic data "
    "use (seeding them is ``random.manual_seed``)",
    "random.manual_seed": "PyTorch convention: ``manual_seed`` makes random tensors and dropout "
    "masks reproducible (no document seeds its generator)",
    "random.randint": "``randint(low, high, n)``: int64 class labels drawn from low..high - 1",
    # property specs: hypothesis draws the inputs (specs/test_properties_*.py); an engine that
    # declares none of these runs the worked examples alone
    "properties.gradients": "every differentiable op's gradient, for every operand, agrees with "
    "central finite differences at drawn shapes, dtypes and values",
    "properties.exactness": "gradients are exact, not numerical: right next to kinks, at "
    "integer values and at large curvature",
    "properties.accumulation": "drawn sequences of backward passes, retain_graph, retain_grad, "
    "zeroing and no_grad follow the documented accumulation rules",
    "properties.optimisers": "SGD (momentum with weight decay) and Adam follow their update "
    "equations for drawn parameters, shapes and step counts",
    "properties.data": "random_split and DataLoader partition any dataset, for drawn lengths, "
    "batch sizes, shuffling and last partial batches",
    "properties.layers": "dropout inside nested containers under train()/eval(), and Linear's "
    "initialisation bounds for weight and bias",
    "properties.graphs": "drawn computation graphs give the reference engine's values and "
    "gradients",
}

IMPLICIT = frozenset({"tensor.core"})

# Where the documents and PyTorch disagree: PyTorch's convention -> the documents' reading. An
# engine declares at most one of each pair; a spec of each side checks that side.
ALTERNATIVES: dict[str, str] = {
    "optim.weight_decay": "optim.weight_decay_penalty",
    "autograd.grad_fn_names": "autograd.grad_fn_names_book",
}


def unknown(names) -> list[str]:
    """The names in ``names`` that are not in the vocabulary, sorted."""
    return sorted(set(names) - CAPABILITIES.keys())


def contradictions(names) -> list[tuple[str, str]]:
    """The pairs of :data:`ALTERNATIVES` of which ``names`` holds both sides: an engine follows
    one reading of a disagreement, so declaring both is a mistake."""
    declared = set(names)
    return [(ours, theirs) for ours, theirs in ALTERNATIVES.items() if {ours, theirs} <= declared]


def pytorch_like() -> frozenset[str]:
    """Every capability with PyTorch's side of each alternative: what PyTorch itself (and an
    engine built to match it) declares."""
    return frozenset(CAPABILITIES) - set(ALTERNATIVES.values())


def is_convention(capability: str) -> bool:
    """Whether ``capability`` is a PyTorch convention no document states."""
    return CAPABILITIES[capability].startswith("PyTorch convention")


def documents_only() -> frozenset[str]:
    """Every capability but the PyTorch conventions, the documents' side of each alternative
    included: what an engine that follows only the source documents may declare."""
    return frozenset(name for name in CAPABILITIES if not is_convention(name))
