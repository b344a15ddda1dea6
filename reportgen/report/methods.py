"""The Update equations and Derivations as plain data: each method's equations in both variants, its quirks, references,
derivation text, and the code that builds it; the parts that code runs, each shown once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from reportgen import optimizers
from reportgen.analysis import TEXTBOOK_VARIANT
from reportgen.report import equations, references
from reportgen.report.references import Reference
from reportgen.report.templates import templates_dir
from reportgen.training import methods
from reportgen.training.results import MethodSpec

# Derivation texts, in report order; files templates/derivations/<slug>.md.
NETWORK_TEXT = "network"


BACKPROP_TEXT = "backprop"


IN_DEPTH = ("nesterov", "rmsprop", "nadam", "gaussian_noise", "adam_noise")  # the five the 2018 article showed


@dataclass(frozen=True)
class Derivation:
    slug: str
    html: str  # rendered Markdown with MathML: trusted
    markdown: str  # for report.md, LaTeX kept for GitHub
    references: list[Reference]


@dataclass(frozen=True)
class Code:
    """One function of the optimizer modules, under the anchor the report gives it."""

    name: str  # module.function, e.g. transforms.scale_by_adam
    anchor: str
    source: str

    @property
    def module(self) -> str:
        return self.name.split(".")[0]


@dataclass(frozen=True)
class UpdateRule:
    """One method in one variant: its update equation and the builder that makes it."""

    variant: str
    equation: equations.Equation
    builder: Code
    quirks: list[str]
    references: list[Reference]


@dataclass(frozen=True)
class PartUse:
    """A function a method's builders run: shown once, under Code of the parts or as another method's builder."""

    code: Code
    only: str  # the one variant that runs it; "" when every variant the method has does


@dataclass(frozen=True)
class MethodSection:
    name: str
    runs: str  # the built-in's name or plugin key it runs (MethodSpec.runs)
    letter: str
    title: str
    in_depth: bool
    derivation: Derivation
    rules: list[UpdateRule]  # one per variant
    parts: list[PartUse]
    shared_quirks: list[tuple[str, str]]  # (letter, title) of earlier methods whose quirks this one repeats
    also: list[str] = field(default_factory=list)  # letters of the other entries that run this code with other settings

    @property
    def one_equation(self) -> bool:
        """Both variants have the same update equation (they differ, if at all, in their settings)."""
        return len({rule.equation.latex for rule in self.rules}) == 1

    @property
    def quirks(self) -> list[str]:
        return [quirk for rule in self.rules for quirk in rule.quirks]

    @property
    def references(self) -> list[Reference]:
        return list({ref.anchor: ref for rule in self.rules for ref in rule.references}.values())


def derivation(slug: str) -> Derivation:
    return derivation_of(slug, (templates_dir() / "derivations" / f"{slug}.md").read_text(encoding="utf-8"))


def derivation_of(slug: str, text: str) -> Derivation:
    linked = references.link_citations(text)
    return Derivation(
        slug=slug,
        html=equations.markdown_to_html(linked),
        markdown=equations.markdown_for_github(linked).strip(),
        references=references.lookup(references.cited_keys(text)),
    )


def _code(definition: optimizers.CodeDefinition) -> Code:
    name = definition.name.removeprefix(f"{optimizers.__name__}.")
    return Code(name, "code-" + name.replace(".", "-").replace("_", "-").lower(), definition.source)


def _method(spec: MethodSpec, shown: tuple[str, ...]) -> MethodSection:
    infos = [methods.info(replace(spec, variant=variant)) for variant in _variants(spec) if variant in shown]
    rules = [
        UpdateRule(
            variant=info.variant,
            equation=equations.equation(info.equation),
            builder=_code(info.code[0]),
            quirks=[quirk.text for quirk in info.quirks],
            references=references.lookup(info.references),
        )
        for info in infos
    ]
    builders = {rule.builder.name for rule in rules}
    runs = {info.variant: [_code(definition) for definition in info.code[1:]] for info in infos}
    parts = {code.name: code for codes in runs.values() for code in codes if code.name not in builders}
    uses = []
    for code in parts.values():
        running = [variant for variant, codes in runs.items() if code in codes]
        uses.append(PartUse(code, running[0] if len(running) < len(runs) else ""))  # a method of one variant: every part is its own
    textbook = next(info for info in infos if info.variant == TEXTBOOK_VARIANT)  # the method's own title
    return MethodSection(spec.name, spec.runs, spec.letter, textbook.title, spec.name in IN_DEPTH, _derivation(spec), rules, uses, [])


def _variants(spec: MethodSpec) -> tuple[str, ...]:
    return (TEXTBOOK_VARIANT,) if spec.plugin else optimizers.variants_of(spec.runs)


def _derivation(spec: MethodSpec) -> Derivation:
    if not spec.plugin:
        return derivation(spec.runs)
    text = methods.plugin_declaration(spec).derivation or "The plugin gives no derivation; its update equation and code are above."
    return derivation_of(spec.name, text)


def _without_repeated_quirks(methods: list[MethodSection]) -> list[MethodSection]:
    """Each quirk text listed once: a later method that repeats an earlier one's points to it instead."""
    first_seen: dict[str, MethodSection] = {}
    unique = []
    for method in methods:
        rules, shared = [], {}
        for rule in method.rules:
            for quirk in rule.quirks:
                owner = first_seen.setdefault(quirk, method)
                if owner is not method:
                    shared[owner.letter] = owner.title
            rules.append(replace(rule, quirks=[quirk for quirk in rule.quirks if first_seen[quirk] is method]))
        unique.append(replace(method, rules=rules, shared_quirks=list(shared.items())))
    return unique


def shared_code(methods: list[MethodSection]) -> list[Code]:
    """Every part the methods run that is not itself a method's builder, once each, in module order."""
    builders = {rule.builder.name for method in methods for rule in method.rules}
    parts = {use.code.name: use.code for method in methods for use in method.parts if use.code.name not in builders}
    return sorted(parts.values(), key=lambda code: code.module)


def method_sections(specs) -> list[MethodSection]:
    """One section per method the runs of ``specs`` use (the first entry that runs it names it), in letter order,
    each quirk text under the first method that has it."""
    entries: dict[str, dict[str, MethodSpec]] = {}  # what runs -> its entries by letter (experiments repeat them)
    for spec in sorted(specs, key=lambda spec: (len(spec.letter), spec.letter)):
        entries.setdefault(spec.runs, {}).setdefault(spec.letter, spec)
    # The textbook rule always; the 2018 one (and its quirks) where the report trains the replica.
    shown = tuple(variant for variant in optimizers.VARIANTS if variant == TEXTBOOK_VARIANT or any(spec.variant == variant for spec in specs))
    sections = []
    for by_letter in entries.values():
        first, *others = by_letter.values()
        sections.append(replace(_method(first, shown), also=[spec.letter for spec in others]))
    return _without_repeated_quirks(sections)
