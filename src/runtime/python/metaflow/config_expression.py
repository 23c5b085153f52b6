"""The value of a `config_expr("...")` expression, e.g. `str(config.value)` or `config.region.lower()`,
with the run's configs as names, then the names of the module that wrote the expression, then Python's
builtins (what Metaflow gives such an expression).

The expression is walked as a syntax tree, not handed to `eval`: names, attributes, items, calls,
literals, containers, arithmetic, comparisons, boolean and conditional expressions and f-strings. Any
other syntax (lambdas, comprehensions, assignments, ...) is refused with a message naming it."""

import ast
import builtins
import operator

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_, ast.Invert: operator.invert}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


class ConfigExpressionError(Exception):
    pass


class _Walker(object):
    def __init__(self, expr, names, module_globals):
        self.expr = expr
        self.names = names
        self.module_globals = module_globals or {}

    def refuse(self, node, why):
        raise ConfigExpressionError("config_expr(%r): %s (at column %d)" % (self.expr, why, node.col_offset + 1))

    def value(self, node):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.refuse(node, "%s is not supported in a config expression" % type(node).__name__)
        return method(node)

    def _Expression(self, node):
        return self.value(node.body)

    def _Constant(self, node):
        return node.value

    def _Name(self, node):
        for scope in (self.names, self.module_globals, vars(builtins)):
            if node.id in scope:
                return scope[node.id]
        self.refuse(node, "the name '%s' is not a Config of the flow nor a name of its module" % node.id)

    def _Attribute(self, node):
        return getattr(self.value(node.value), node.attr)

    def _Subscript(self, node):
        return self.value(node.value)[self.value(node.slice)]

    def _Slice(self, node):
        parts = [None if p is None else self.value(p) for p in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def _Call(self, node):
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                args.extend(self.value(a.value))
            else:
                args.append(self.value(a))
        kwargs = {}
        for k in node.keywords:
            if k.arg is None:
                kwargs.update(self.value(k.value))
            else:
                kwargs[k.arg] = self.value(k.value)
        return self.value(node.func)(*args, **kwargs)

    def _List(self, node):
        return [self.value(e) for e in node.elts]

    def _Tuple(self, node):
        return tuple(self.value(e) for e in node.elts)

    def _Set(self, node):
        return set(self.value(e) for e in node.elts)

    def _Dict(self, node):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                out.update(self.value(v))
            else:
                out[self.value(k)] = self.value(v)
        return out

    def _BinOp(self, node):
        op = _BINARY.get(type(node.op))
        if op is None:
            self.refuse(node, "the operator %s is not supported" % type(node.op).__name__)
        return op(self.value(node.left), self.value(node.right))

    def _UnaryOp(self, node):
        return _UNARY[type(node.op)](self.value(node.operand))

    def _BoolOp(self, node):
        result = None
        for v in node.values:
            result = self.value(v)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result

    def _Compare(self, node):
        left = self.value(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.value(right_node)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node):
        return self.value(node.body) if self.value(node.test) else self.value(node.orelse)

    def _JoinedStr(self, node):
        return "".join(str(self.value(v)) for v in node.values)

    def _FormattedValue(self, node):
        value = self.value(node.value)
        if node.conversion == ord("r"):
            value = repr(value)
        elif node.conversion == ord("s"):
            value = str(value)
        elif node.conversion == ord("a"):
            value = ascii(value)
        spec = self.value(node.format_spec) if node.format_spec is not None else ""
        return format(value, spec)


def evaluate(expr, names, module_globals=None):
    """The value of `expr` with `names` (the configs) first, then `module_globals`, then builtins."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise ConfigExpressionError("config_expr(%r) is not a Python expression: %s" % (expr, e.msg))
    return _Walker(expr, names, module_globals).value(tree)
