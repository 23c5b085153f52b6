"""The static flow graph, built from the flow class's source with `ast` as Metaflow's graph.py does.

The worker needs it to know a join's kind (foreach or static), how many inputs a static join
expects, which step is a recursive switch, and to serialize `_graph_info` for the `_parameters`
task in Metaflow's shape (`FlowGraph.output_steps`).
"""

import ast
import inspect
import textwrap


def _literal(node):
    try:
        return ast.literal_eval(node)
    except Exception:
        return None


def _expr_str(expr):
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return "%s.%s" % (_expr_str(expr.value), expr.attr)
    return ""


class DAGNode(object):
    def __init__(self, name, func, func_ast, lineno, source_file):
        self.name = name
        self.func = func
        self.source_file = source_file
        self.func_lineno = lineno + func_ast.lineno - 1 if func_ast is not None else lineno
        self.decorators = list(getattr(func, "decorators", []))
        self.doc = inspect.cleandoc(func.__doc__) if func.__doc__ else ""
        self.is_start_step = bool(getattr(func, "is_start_step", False))
        self.is_end_step = bool(getattr(func, "is_end_step", False))
        self.parallel_step = any(getattr(d, "IS_PARALLEL", False) for d in self.decorators)
        self.type = None
        self.out_funcs = []
        self.has_tail_next = False
        self.invalid_tail_next = False
        self.num_args = 0
        self.switch_cases = {}
        self.condition = None
        self.foreach_param = None
        self.num_parallel = 0
        self.parallel_foreach = False
        self.in_funcs = set()
        self.split_parents = []
        self.split_branches = []
        self.matching_join = None
        self.is_inside_foreach = False
        if func_ast is not None:
            self._parse(func_ast)

    def _parse_switch(self, dict_node):
        cases = {}
        for key, value in zip(dict_node.keys, dict_node.values):
            if isinstance(key, ast.Constant):
                case_key = key.value
            elif (
                isinstance(key, ast.Attribute)
                and isinstance(key.value, ast.Attribute)
                and isinstance(key.value.value, ast.Name)
                and key.value.value.id == "self"
            ):
                case_key = "config:%s.%s" % (key.value.attr, key.attr)
            else:
                return None
            if not (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self"):
                return None
            cases[case_key] = value.attr
        return cases or None

    def _parse(self, func_ast):
        self.num_args = len(func_ast.args.args)
        tail = func_ast.body[-1]
        if not isinstance(tail, ast.Expr) or not isinstance(tail.value, ast.Call):
            return
        call = tail.value
        if _expr_str(call.func) != "self.next":
            return
        self.has_tail_next = True
        self.invalid_tail_next = True
        if len(call.args) == 1 and isinstance(call.args[0], ast.Dict) and any(k.arg == "condition" for k in call.keywords):
            cases = self._parse_switch(call.args[0])
            condition = None
            for k in call.keywords:
                if k.arg == "condition":
                    condition = _literal(k.value)
            if cases and isinstance(condition, str):
                self.type = "split-switch"
                self.condition = condition
                self.switch_cases = cases
                self.out_funcs = list(cases.values())
                self.invalid_tail_next = False
            return
        try:
            self.out_funcs = [a.attr for a in call.args]
        except AttributeError:
            return
        keywords = dict((k.arg, _literal(k.value)) for k in call.keywords)
        if len(keywords) == 1:
            if "foreach" in keywords:
                self.type = "foreach"
                if len(self.out_funcs) == 1:
                    self.foreach_param = keywords["foreach"]
                    self.invalid_tail_next = False
            elif "num_parallel" in keywords:
                self.type = "foreach"
                self.parallel_foreach = True
                if len(self.out_funcs) == 1:
                    self.num_parallel = keywords["num_parallel"]
                    self.invalid_tail_next = False
        elif not keywords:
            if len(self.out_funcs) > 1:
                self.type = "split"
                self.invalid_tail_next = False
            elif len(self.out_funcs) == 1:
                self.type = "join" if self.num_args > 1 else "linear"
                self.invalid_tail_next = False


def _step_functions(flow_cls):
    for name in dir(flow_cls):
        func = getattr(flow_cls, name, None)
        if callable(func) and getattr(func, "is_step", False):
            yield name, func


def _parse_function(func):
    lines, lineno = inspect.getsourcelines(func)
    source = textwrap.dedent("".join(lines))
    tree = ast.parse(source)
    return tree.body[0], lineno


class FlowGraph(object):
    def __init__(self, flow_cls):
        self.name = flow_cls.__name__
        self.doc = inspect.cleandoc(flow_cls.__doc__) if flow_cls.__doc__ else ""
        self.nodes = {}
        for name, func in _step_functions(flow_cls):
            try:
                source_file = inspect.getsourcefile(func)
                func_ast, lineno = _parse_function(func)
            except (OSError, TypeError, SyntaxError):
                source_file, func_ast, lineno = None, None, 0
            self.nodes[name] = DAGNode(name, func, func_ast, lineno, source_file)
        self.start_step = None
        self.end_step = None
        self.sorted_nodes = []
        self._identify_start_end()
        self._traverse()

    def __getitem__(self, name):
        return self.nodes[name]

    def __contains__(self, name):
        return name in self.nodes

    def __iter__(self):
        return iter(self.nodes.values())

    def _identify_start_end(self):
        starts = [n for n in self.nodes.values() if n.is_start_step]
        ends = [n for n in self.nodes.values() if n.is_end_step]
        if len(starts) == 1:
            self.start_step = starts[0].name
        elif not starts and "start" in self.nodes:
            self.start_step = "start"
        if len(ends) == 1:
            self.end_step = ends[0].name
        elif not ends and "end" in self.nodes:
            self.end_step = "end"
        if len(self.nodes) == 1:
            only = next(iter(self.nodes))
            self.start_step = self.start_step or only
            self.end_step = self.end_step or only
        if self.start_step and self.nodes[self.start_step].type == "linear":
            self.nodes[self.start_step].type = "start"
        if self.end_step:
            self.nodes[self.end_step].type = "end"

    def _traverse(self):
        def traverse(node, seen, split_parents, split_branches):
            add_branch = False
            if node.name in self.sorted_nodes:
                self.sorted_nodes.remove(node.name)
            self.sorted_nodes.append(node.name)
            if node.type in ("split", "foreach"):
                node.split_parents = split_parents
                node.split_branches = split_branches
                add_branch = True
                split_parents = split_parents + [node.name]
            elif node.type == "join":
                if split_parents:
                    self.nodes[split_parents[-1]].matching_join = node.name
                    node.split_parents = split_parents
                    node.split_branches = split_branches[:-1]
                    split_parents = split_parents[:-1]
                    split_branches = split_branches[:-1]
            else:
                node.split_parents = split_parents
                node.split_branches = split_branches
            for out in node.out_funcs:
                if out not in seen and out in self.nodes:
                    child = self.nodes[out]
                    child.in_funcs.add(node.name)
                    traverse(child, seen + [out], split_parents, split_branches + ([out] if add_branch else []))

        if self.start_step in self.nodes:
            traverse(self.nodes[self.start_step], [], [], [])
        for node in self.nodes.values():
            node.in_funcs = sorted(node.in_funcs)
            node.is_inside_foreach = any(self.nodes[p].type == "foreach" for p in node.split_parents if p in self.nodes)

    def join_type(self, step_name):
        """'foreach' or 'split' (static) for a join step, else None."""
        node = self.nodes[step_name]
        if node.type != "join" or not node.split_parents:
            return None
        return self.nodes[node.split_parents[-1]].type

    def serialized_type(self, node):
        if node.type in ("linear", "start", "end", "join"):
            return node.type
        if node.type == "split":
            return "split-static"
        if node.type == "foreach":
            return "split-parallel" if node.parallel_foreach else "split-foreach"
        if node.type == "split-switch":
            return "split-switch"
        return "unknown"

    def _node_dict(self, node):
        d = {
            "name": node.name,
            "type": self.serialized_type(node),
            "line": node.func_lineno,
            "source_file": node.source_file,
            "doc": node.doc,
            "decorators": [
                {
                    "name": deco.name,
                    "attributes": to_pod(deco.attributes),
                    "statically_defined": deco.statically_defined,
                    "inserted_by": deco.inserted_by,
                }
                for deco in node.decorators
                if not deco.name.startswith("_")
            ]
            # User step decorators and step mutators (set on the node once the flow's mutators ran).
            + [
                {
                    "name": deco.decorator_name,
                    "attributes": to_pod(dict(deco._kwargs, _args=list(deco._args))),
                    "statically_defined": deco.statically_defined,
                    "inserted_by": deco.inserted_by,
                }
                for deco in list(getattr(node, "wrappers", [])) + list(getattr(node, "config_decorators", []))
            ],
            "next": list(node.out_funcs),
            "node_info": {},
        }
        if d["type"] == "split-foreach":
            d["foreach_artifact"] = node.foreach_param
        elif d["type"] == "split-parallel":
            d["num_parallel"] = node.num_parallel
        elif d["type"] == "split-switch":
            d["condition"] = node.condition
            d["switch_cases"] = dict(node.switch_cases)
        if node.matching_join:
            d["matching_join"] = node.matching_join
        return d

    def output_steps(self):
        steps_info = {}

        def block(start_name, end_name):
            cur = start_name
            out = []
            while cur != end_name:
                node = self.nodes[cur]
                steps_info[cur] = self._node_dict(node)
                out.append(cur)
                kind = self.serialized_type(node)
                if kind in ("split-static", "split-foreach") and node.matching_join:
                    out.append([block(s, node.matching_join) for s in node.out_funcs])
                    cur = node.matching_join
                elif kind == "split-switch":
                    out.append([block(s, end_name) for s in node.out_funcs if s != cur])
                    cur = end_name
                elif node.out_funcs and node.out_funcs[0] in self.nodes:
                    cur = node.out_funcs[0]
                else:
                    break
            return out

        structure = [] if self.start_step == self.end_step else block(self.start_step, self.end_step)
        steps_info[self.end_step] = self._node_dict(self.nodes[self.end_step])
        structure.append(self.end_step)
        return steps_info, structure


def to_pod(value):
    """Plain-old-data copy of decorator attributes, exactly as Metaflow's `util.to_pod` (None -> "None")."""
    if isinstance(value, (str, int, float)):
        return value
    if isinstance(value, dict):
        return dict((to_pod(k), to_pod(v)) for k, v in value.items())
    if isinstance(value, (list, set, tuple)):
        return [to_pod(v) for v in value]
    if callable(value):
        return getattr(value, "__qualname__", str(value))
    return str(value)
