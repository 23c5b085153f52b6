"""Running a step through its user step decorators (Metaflow's order: the decorator nearest the
step runs its `pre_step` last and its `post_step` first), with skipping and replacement."""


def run_with_wrappers(flow, step_name, step_func, input_obj=None):
    """Call `step_func` (bound; given `input_obj` for a join) inside the step's user decorators."""
    func = getattr(type(flow), step_name)
    wrappers = list(getattr(func, "wrappers", None) or [])
    if not wrappers:
        if input_obj is None:
            step_func()
        else:
            step_func(input_obj)
        return
    stack = []
    replacement = None
    next_args = None
    for wrapper in reversed(wrappers):
        replacement = wrapper.pre_step(step_name, flow, input_obj)
        stack.append(wrapper)
        if wrapper.skip_step:
            next_args = wrapper.skip_step
            break
        if replacement:
            break
    raised = None
    had_exception = False
    try:
        if not next_args:
            if replacement:
                args = (flow,) if input_obj is None else (flow, input_obj)
                next_args = replacement(*args) or None
            elif input_obj is None:
                step_func()
            else:
                step_func(input_obj)
    except Exception as e:
        raised = e
        had_exception = True
    for wrapper in reversed(stack):
        try:
            outcome = wrapper.post_step(step_name, flow, raised)
        except Exception as e:
            outcome = e
        if outcome is None:
            raised = None
        elif isinstance(outcome, Exception):
            raised = outcome
        elif isinstance(outcome, tuple):
            if len(outcome) == 2:
                raised, next_args = outcome
            else:
                raise outcome[2]
        else:
            raise RuntimeError("Invalid return value from a UserStepDecorator. Expected an exception or an exception "
                               "and arguments for self.next, got: %s" % (outcome,))
    if raised:
        raise raised
    if (next_args is not None and next_args is not False) or had_exception:
        _fake_next(flow, step_name, next_args, had_exception)


def _fake_next(flow, step_name, next_args, had_exception):
    node = flow._graph[step_name]
    targets = [getattr(flow, name) for name in node.out_funcs]
    if not targets:
        return
    flow._transition = None
    if isinstance(next_args, dict) and next_args:
        flow.next(*targets, **next_args)
    elif next_args is True or next_args == {} or had_exception:
        if node.parallel_foreach:
            raise RuntimeError("Skipping a parallel foreach step without providing the arguments to the self.next "
                               "call is not supported. ")
        if node.foreach_param:
            flow.next(*targets, foreach=node.foreach_param)
        else:
            flow.next(*targets)
    else:
        raise RuntimeError("Invalid value passed to self.next; expected bool or a dictionary; got: %s" % (next_args,))
