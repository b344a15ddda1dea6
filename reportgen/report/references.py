"""The bibliography: every work the report cites, as plain data.

Keys are the ones ``reportgen.optimizers.describe(...).references`` uses.
Derivation texts cite a work as ``[@key]``; :func:`link_citations` turns that
into a Markdown link to the reference list entry (anchor ``#ref-key``), so the
same text serves the HTML and the Markdown report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportgen.optimizers import Citation


@dataclass(frozen=True)
class Reference:
    key: str
    label: str  # short in-text form, e.g. "Kingma & Ba 2014"
    citation: str  # the full reference, without the link
    url: str  # "" when there is no stable public address

    @property
    def anchor(self) -> str:
        return f"ref-{self.key}"


REFERENCES: dict[str, Reference] = {
    reference.key: reference
    for reference in (
        Reference(
            "sutton1986",
            "Sutton 1986",
            "Sutton, R. S. (1986). Two problems with backpropagation and other steepest-descent "
            "learning procedures for networks. Proceedings of the Eighth Annual Conference of the "
            "Cognitive Science Society, 823-831.",
            "",
        ),
        Reference(
            "qian1999",
            "Qian 1999",
            "Qian, N. (1999). On the momentum term in gradient descent learning algorithms. "
            "Neural Networks, 12(1), 145-151.",
            "https://doi.org/10.1016/S0893-6080(98)00116-6",
        ),
        Reference(
            "nesterov1983",
            "Nesterov 1983",
            "Nesterov, Y. (1983). A method for solving the convex programming problem with "
            "convergence rate O(1/k^2). Doklady Akademii Nauk SSSR, 269(3), 543-547.",
            "",
        ),
        Reference(
            "sutskever2013",
            "Sutskever et al. 2013",
            "Sutskever, I., Martens, J., Dahl, G., & Hinton, G. (2013). On the importance of "
            "initialization and momentum in deep learning. Proceedings of the 30th International "
            "Conference on Machine Learning, PMLR 28(3), 1139-1147.",
            "https://proceedings.mlr.press/v28/sutskever13.html",
        ),
        Reference(
            "attouch2016",
            "Attouch & Peypouquet 2016",
            "Attouch, H., & Peypouquet, J. (2016). The rate of convergence of Nesterov's accelerated "
            "forward-backward method is actually faster than 1/k^2. SIAM Journal on Optimization, "
            "26(3), 1824-1834.",
            "https://doi.org/10.1137/15M1046095",
        ),
        Reference(
            "duchi2011",
            "Duchi et al. 2011",
            "Duchi, J., Hazan, E., & Singer, Y. (2011). Adaptive subgradient methods for online "
            "learning and stochastic optimization. Journal of Machine Learning Research, 12, 2121-2159.",
            "https://jmlr.org/papers/v12/duchi11a.html",
        ),
        Reference(
            "zeiler2012",
            "Zeiler 2012",
            "Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method. arXiv:1212.5701.",
            "https://arxiv.org/abs/1212.5701",
        ),
        Reference(
            "hinton2012",
            "Hinton et al. 2012",
            "Hinton, G., Srivastava, N., & Swersky, K. (2012). Neural Networks for Machine Learning, "
            "lecture 6e: rmsprop, divide the gradient by a running average of its recent magnitude. "
            "Lecture slides, University of Toronto.",
            "http://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf",
        ),
        Reference(
            "kingma2014",
            "Kingma & Ba 2014",
            "Kingma, D. P., & Ba, J. (2014). Adam: a method for stochastic optimization. "
            "arXiv:1412.6980 (ICLR 2015).",
            "https://arxiv.org/abs/1412.6980",
        ),
        Reference(
            "dozat2016",
            "Dozat 2016",
            "Dozat, T. (2016). Incorporating Nesterov momentum into Adam. ICLR 2016 workshop track.",
            "https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ",
        ),
        Reference(
            "neelakantan2015",
            "Neelakantan et al. 2015",
            "Neelakantan, A., Vilnis, L., Le, Q. V., Sutskever, I., Kaiser, L., Kurach, K., & "
            "Martens, J. (2015). Adding gradient noise improves learning for very deep networks. "
            "arXiv:1511.06807.",
            "https://arxiv.org/abs/1511.06807",
        ),
        Reference(
            "ruder2016",
            "Ruder 2016",
            "Ruder, S. (2016). An overview of gradient descent optimization algorithms. arXiv:1609.04747.",
            "https://arxiv.org/abs/1609.04747",
        ),
        Reference(
            "seo2018noise",
            "Seo 2018a",
            "Seo, J. D. (2018, February 1). Only Numpy: Noise Training, training a neural network "
            "without back propagation, with interactive code. Medium.",
            "https://medium.com/@SeoJaeDuk/only-numpy-noise-training-training-a-neural-network-without-back-propagation-with-interactive-ad775f04cad6",
        ),
        Reference(
            "chen2023lion",
            "Chen et al. 2023",
            "Chen, X., Liang, C., Huang, D., Real, E., Wang, K., Liu, Y., Pham, H., Dong, X., Luong, T., "
            "Hsieh, C.-J., Lu, Y., & Le, Q. V. (2023). Symbolic discovery of optimization algorithms. "
            "arXiv:2302.06675 (NeurIPS 2023).",
            "https://arxiv.org/abs/2302.06675",
        ),
        Reference(
            "defazio2024",
            "Defazio et al. 2024",
            "Defazio, A., Yang, X. (Alice), Mehta, H., Mishchenko, K., Khaled, A., & Cutkosky, A. (2024). "
            "The road less scheduled. arXiv:2405.15682 (NeurIPS 2024).",
            "https://arxiv.org/abs/2405.15682",
        ),
        Reference(
            "riedmiller1993",
            "Riedmiller & Braun 1993",
            "Riedmiller, M., & Braun, H. (1993). A direct adaptive method for faster backpropagation learning: "
            "the RPROP algorithm. IEEE International Conference on Neural Networks, 586-591.",
            "https://doi.org/10.1109/ICNN.1993.298623",
        ),
        Reference(
            "shazeer2018",
            "Shazeer & Stern 2018",
            "Shazeer, N., & Stern, M. (2018). Adafactor: adaptive learning rates with sublinear memory cost. "
            "arXiv:1804.04235 (ICML 2018).",
            "https://arxiv.org/abs/1804.04235",
        ),
        Reference(
            "jordan2024muon",
            "Jordan et al. 2024",
            "Jordan, K., Jin, Y., Boza, V., You, J., Cesista, F., Newhouse, L., & Bernstein, J. (2024). "
            "Muon: an optimizer for hidden layers in neural networks. Blog post.",
            "https://kellerjordan.github.io/posts/muon/",
        ),
        Reference(
            "liu2025muon",
            "Liu et al. 2025",
            "Liu, J., Su, J., Yao, X., Jiang, Z., Lai, G., Du, Y., Qin, Y., Xu, W., Lu, E., Yan, J., et al. (2025). "
            "Muon is scalable for LLM training. arXiv:2502.16982.",
            "https://arxiv.org/abs/2502.16982",
        ),
        Reference(
            "seo2018optimizers",
            "Seo 2018b",
            "Seo, J. D. (2018, February). Only Numpy: implementing and comparing gradient descent "
            "optimization algorithms + Google Brain's Gaussian additive noise + Noise Training. "
            "Towards Data Science.",
            "https://towardsdatascience.com/only-numpy-implementing-and-comparing-gradient-descent-optimization-algorithms-google-brains-8870b133102b",
        ),
        Reference(
            "loshchilov2019",
            "Loshchilov & Hutter 2019",
            "Loshchilov, I., & Hutter, F. (2019). Decoupled weight decay regularization. ICLR 2019. arXiv:1711.05101.",
            "https://arxiv.org/abs/1711.05101",
        ),
        Reference(
            "reddi2018",
            "Reddi et al. 2018",
            "Reddi, S. J., Kale, S., & Kumar, S. (2018). On the convergence of Adam and beyond. ICLR 2018.",
            "https://openreview.net/forum?id=ryQu7f-RZ",
        ),
        Reference(
            "liu2020",
            "Liu et al. 2020",
            "Liu, L., Jiang, H., He, P., Chen, W., Liu, X., Gao, J., & Han, J. (2020). On the variance of the "
            "adaptive learning rate and beyond. ICLR 2020. arXiv:1908.03265.",
            "https://arxiv.org/abs/1908.03265",
        ),
    )
}

# "[@key]" or "[@first; @second]"
CITATION = re.compile(r"\[(@[A-Za-z0-9_-]+(?:\s*;\s*@[A-Za-z0-9_-]+)*)\]")


def lookup(keys) -> list[Reference]:
    """The references for ``keys`` in the given order: reportgen's keys, or a plugin's own ``Citation``s.
    An unknown key is a programming error (a plugin's unknown key is caught when it is loaded)."""
    unknown = [key for key in keys if not isinstance(key, Citation) and key not in REFERENCES]
    if unknown:
        raise KeyError(f"unknown reference key(s) {', '.join(unknown)}; known: {', '.join(REFERENCES)}")
    return [_from_citation(key) if isinstance(key, Citation) else REFERENCES[key] for key in keys]


def _from_citation(citation: Citation) -> Reference:
    return Reference("plugin-" + re.sub(r"[^a-z0-9]+", "-", citation.label.lower()).strip("-"), citation.label, citation.citation, citation.url)


def _keys(group: str) -> list[str]:
    return [key.strip().lstrip("@") for key in group.split(";")]


def cited_keys(markdown: str) -> list[str]:
    """Keys cited as ``[@key]`` or ``[@key; @other]``, in order of first appearance."""
    return list(dict.fromkeys(key for group in CITATION.findall(markdown) for key in _keys(group)))


def link_citations(markdown: str) -> str:
    """Replace every citation with Markdown links to the reference list: ``([Label](#ref-key))``."""

    def links(match: re.Match) -> str:
        return "(" + "; ".join(f"[{reference.label}](#{reference.anchor})" for reference in lookup(_keys(match[1]))) + ")"

    return CITATION.sub(links, markdown)
