"""Flux's post-build variable substitution, as far as preflight needs it: which variables a text references.

kustomize-controller v1.7.3 (the one microsoft.flux 1.24.1 ships, policies/baseline/facts/flux_extension.toml) builds
with fluxcd/pkg kustomize v1.24.0 and envsubst v1.5.0 (its go.mod). `kustomize/kustomize_varsub.go` there runs
`envsubst.Eval` over each object's YAML; envsubst (fluxcd/pkg `envsubst/`, forked from drone/envsubst) parses the text
with `parse/parse.go` and `parse/scan.go`. This module re-implements that parser's grammar, so that it accepts and
rejects exactly what envsubst does and names the same variables:

- `$${v}` (and `$$` anywhere outside an expression) is a literal `$`, never a reference;
- `${v}`, and the operators `${#v}`, `${v^}`, `${v^^}`, `${v,}`, `${v,,}`, `${v:pos}`, `${v:pos:len}`, `${v#p}`,
  `${v##p}`, `${v%p}`, `${v%%p}`, `${v/p/r}`, `${v//p/r}`, `${v/#p/r}`, `${v/%p/r}` all read `v`;
- `${v=x}`, `${v:=x}`, `${v:-x}`, `${v:?x}`, `${v:+x}` give `x` when `v` is empty (`funcs.go` `toDefault`; `lookupFunc`
  maps all five to it), so `v` needs no definition there;
- arguments may nest expressions (`${v:=${w}}`), which are evaluated too;
- anything else after `${` is a parse error, which fails the whole kustomization ("envsubst error"). That
  includes `${v-x}`, `${v+x}` and `${v?x}`: `parseFunc` only dispatches on `:`, `=`, `,`, `^`, `/`, `#` and `%`,
  so a `-` after the name ends in ErrMissingClosingBrace (also at fluxcd/pkg main, envsubst v1.7.0).

The scanner counts positions in bytes and identifiers are Unicode letters, digits (Nd) and `_` (`acceptIdent`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# kustomize_varsub.go: substitution "is skipped" for an object with this label or annotation set to this value.
DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
DISABLED = "disabled"

# The operators `lookupFunc` (envsubst template.go) maps to toDefault: the argument replaces an empty value.
DEFAULT_OPERATORS = frozenset({"=", ":=", ":-", ":?", ":+"})

# envsubst parse.go's error values, by message (the controller quotes them after "variable substitution failed:").
BAD_SUBSTITUTION = "bad substitution"
MISSING_CLOSING_BRACE = "missing closing brace"
BAD_VARIABLE_NAME = "unable to parse variable name"
BAD_FUNCTION_ARGUMENT = "unable to parse substitution within function"
BAD_DEFAULT = "unable to parse default function"


class ParseError(Exception):
    """envsubst cannot parse the text; `message` is envsubst's own error text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Text:
    value: str


@dataclass
class Func:
    """`${param<name>args...}`: name is the operator ("" for a plain `${param}`)."""

    param: str
    name: str = ""
    args: list[Node] = field(default_factory=list)


Node = Text | Func


def _ident(ch: str) -> bool:
    return ch.isalpha() or ch.isdecimal() or ch == "_"


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def peek(self, ahead: int = 0) -> str:
        at = self.i + ahead
        return self.s[at] if at < len(self.s) else ""

    def at_open(self) -> bool:
        return self.s.startswith("${", self.i)

    # -- top level: text and expressions -------------------------------------------------------------------------
    def top(self) -> list[Node]:
        nodes: list[Node] = []
        text: list[str] = []
        while self.i < len(self.s):
            if self.at_open():
                if text:
                    nodes.append(Text("".join(text)))
                    text = []
                self.i += 2
                nodes.append(self.expression())
            elif self.s.startswith("$$", self.i):
                text.append("$")  # the escape: the second `$` is taken as text, whatever follows it
                self.i += 2
            else:
                text.append(self.s[self.i])
                self.i += 1
        if text:
            nodes.append(Text("".join(text)))
        return nodes

    # -- after `${` ------------------------------------------------------------------------------------------------
    def expression(self) -> Func:
        if self.peek() == "#":
            return self.length()
        name = self.identifier()
        if not name:
            raise ParseError(BAD_VARIABLE_NAME)
        nxt = self.peek()
        if nxt == ":":
            if self.peek(1) in ("=", "-", "?", "+") and self.peek(1):
                return self.default(name, 2)
            return self.substring(name)
        if nxt == "=":
            return self.default(name, 1)
        if nxt in (",", "^"):
            return self.closed(Func(name, self.run(lambda ch, n: ch in ",^" and n < 2)))
        if nxt == "/":
            return self.replace(name)
        if nxt in ("#", "%"):
            return self.remove(name, nxt)
        if nxt != "}":
            raise ParseError(MISSING_CLOSING_BRACE)
        self.i += 1
        return Func(name)

    def identifier(self) -> str:
        start = self.i
        while self.i < len(self.s) and _ident(self.s[self.i]):
            self.i += 1
        return self.s[start : self.i]

    def run(self, accept: object) -> str:
        """The longest run of characters `accept(ch, count_so_far)` takes (an operator)."""
        start = self.i
        while self.i < len(self.s) and accept(self.s[self.i], self.i - start):  # type: ignore[operator]
            self.i += 1
        return self.s[start : self.i]

    def closed(self, node: Func) -> Func:
        if self.peek() != "}":
            raise ParseError(BAD_SUBSTITUTION)
        self.i += 1
        return node

    def length(self) -> Func:
        self.i += 1  # the one `#`
        name = self.identifier()
        if not name:
            raise ParseError(BAD_SUBSTITUTION)
        return self.closed(Func(name, "#"))

    def param(self, stop: str, *, escapes: bool = False) -> Node:
        """One argument: a nested expression, or text up to a character of `stop`, the next `${` or the end."""
        if self.at_open():
            self.i += 2
            return self.expression()
        out: list[str] = []
        while self.i < len(self.s):
            if self.at_open():
                break
            ch = self.s[self.i]
            if escapes and ((ch == "$" and self.peek(1) == "$") or (ch == "\\" and self.peek(1) in ("/", "\\"))):
                out.append(self.s[self.i + 1])  # the escaped character is taken as is, even a `/`
                self.i += 2
                continue
            if ch in stop:
                break
            out.append(ch)
            self.i += 1
        if not out:
            raise ParseError(BAD_FUNCTION_ARGUMENT)
        return Text("".join(out))

    def default(self, name: str, width: int) -> Func:
        node = Func(name, self.s[self.i : self.i + width])
        self.i += width
        while self.peek() != "}":
            node.args.append(self.param("}"))
        self.i += 1
        return node

    def substring(self, name: str) -> Func:
        self.i += 1  # the `:`
        node = Func(name, ":", [self.param(":}")])
        if self.peek() == "}":
            self.i += 1
            return node
        if not self.run(lambda ch, n: ch == ":"):
            raise ParseError(BAD_SUBSTITUTION)
        node.args.append(self.param("}"))
        return self.closed(node)

    def remove(self, name: str, mark: str) -> Func:
        node = Func(name, self.run(lambda ch, n: ch == mark and n < 2))
        node.args.append(self.param("}"))
        return self.closed(node)

    def replace(self, name: str) -> Func:
        node = Func(name, self.run(lambda ch, n: (n == 0 and ch == "/") or (n == 1 and ch in "/#%")))
        node.args.append(self.param("/", escapes=True))
        if not self.run(lambda ch, n: ch == "/"):
            raise ParseError(BAD_SUBSTITUTION)
        if self.peek() == "}":
            self.i += 1
            return node
        node.args.append(self.param("}", escapes=True))
        return self.closed(node)


def parse(text: str) -> list[Node]:
    """The expressions and text of `text` as envsubst parses it; ParseError where envsubst fails."""
    return _Parser(text).top()


@dataclass(frozen=True)
class Reference:
    variable: str
    expression: str  # how it was written, for messages: `${v}`, `${#v}`, `${v^^}`...


def _shown(node: Func) -> str:
    if node.name == "#" and not node.args:
        return f"${{#{node.param}}}"
    return f"${{{node.param}{node.name}{'…' if node.args else ''}}}"


def undefined(text: str, defined: set[str] | dict[str, str]) -> list[Reference]:
    """The references whose value Flux uses while the variable is not defined: non-strict envsubst
    (`kustomize_varsub.go` `varSubstitution`, strict=false) makes them an empty string. A default operator's
    arguments are used only when its variable is empty, so a default makes its own variable need no definition,
    while a reference nested in a used argument still counts. Raises ParseError where envsubst would fail."""
    values = defined if isinstance(defined, dict) else dict.fromkeys(defined, "set")
    found: list[Reference] = []

    def walk(nodes: list[Node]) -> None:
        for node in nodes:
            if not isinstance(node, Func):
                continue
            if node.name in DEFAULT_OPERATORS:
                if not values.get(node.param):
                    walk(node.args)
                continue
            if node.param not in values:
                found.append(Reference(node.param, _shown(node)))
            walk(node.args)

    walk(parse(text))
    return found
