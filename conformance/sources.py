"""The source documents the catalogue encodes, by file name (as in ``shared/seeds/``)."""

DOCUMENTS: dict[str, str] = {
    "000_f62b7cbb3fca057d.txt": "Training neural networks with R torch (course notes)",
    "001_a4ed5dc54d2b7027.txt": "Introducing torch autograd (blog post, R torch)",
    "002_a844684ecb0fd38f.txt": "Autograd and linear regression with R torch (tutorial)",
    "003_6019b0b13895e324.txt": "Training neural networks with PyTorch (course notes)",
    "004_87a9572cb53e2deb.txt": "Autograd (book chapter 4, R torch)",
}
