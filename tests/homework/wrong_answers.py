"""The catalogue's wrong answers, as a student who made each mistake would have written them.

For each mistake of ``minigrad.homework.catalogue.MISTAKES`` (by slug): either a list of
``(old, new)`` edits of the exercise's answer (the body of its region in the instructor's
tree), applied in order, each ``old`` found exactly once; or a whole body (a str, written
without indentation). ``tests/homework/test_homework.py`` plants each one in a student copy
and checks that the grader names it.

This is no test module: the meta-tests load it by path. NOTE: the edits give the answers
away, so each exercise's are a spoiler of that exercise, withheld from a student copy.
"""


def _ops_level_1():
    # BEGIN SPOILER ops.exp_backward ops.log_backward ops.tanh_backward ops.mul_backward
    return {
        "exp-no-upstream": [("g * self.y", "self.y")],
        "log-times-x": [("g / self.x", "g * self.x")],
        "tanh-no-square": [("1 - self.y * self.y", "1 - self.y")],
        "mul-swapped": [("gx = g * self.y", "gx = g * self.x"), ("gy = g * self.x if", "gy = g * self.y if")],
    }
    # END SPOILER


def _sgd():
    # BEGIN SPOILER optim.sgd_update optim.sgdm_update
    return {
        "sgd-uphill": [('theta -= group["lr"] * g', 'theta += group["lr"] * g')],
        "step-writes-grad": [('theta -= group["lr"] * g', 'g *= group["lr"]; theta -= g')],
        "sgdm-uphill": [('v -= group["lr"] * g', 'v += group["lr"] * g')],
        "sgdm-momentum-sign": [('v *= group["momentum"]', 'v *= -group["momentum"]')],
        "sgdm-velocity-forgotten": 'v = group["momentum"] * state["v"] - group["lr"] * g\ntheta += v\n',
    }
    # END SPOILER


def _adagrad_rmsprop():
    # BEGIN SPOILER optim.adagrad_update optim.rmsprop_update
    return {
        "adagrad-eps-inside-root": [('(np.sqrt(s) + group["eps"])', 'np.sqrt(s + group["eps"])')],
        "adagrad-no-sum": [("s += g * g", "s[...] = g * g")],
        "rmsprop-started-at-zero": [('if state["t"] == 1 and group["init"] == "first_grad":', "if False:")],
        "rmsprop-ignores-init": [('if state["t"] == 1 and group["init"] == "first_grad":', 'if state["t"] == 1:')],
        "rmsprop-t-off-by-one": [('\n        state["t"] += 1', ""),      # advanced last, after the comparison
                                 ('(np.sqrt(v) + group["eps"])', '(np.sqrt(v) + group["eps"]); state["t"] += 1')],
        "rmsprop-first-step-by-v": [('\n        state["t"] += 1', ""),
                                    ('if state["t"] == 1 and group["init"] == "first_grad":',
                                     'if group["init"] == "first_grad" and not v.any():')],
    }
    # END SPOILER


def _adam():
    # BEGIN SPOILER optim.adam_moments optim.adam_update optim.amsgrad_second_moment
    return {
        "moments-not-in-place": "m = beta1 * m + (1 - beta1) * g\nv = beta2 * v + (1 - beta2) * g * g\n",
        "moments-weights-swapped": [("m *= beta1; m += (1 - beta1) * g", "m *= 1 - beta1; m += beta1 * g"),
                                    ("v *= beta2; v += (1 - beta2) * g * g", "v *= 1 - beta2; v += beta2 * g * g")],
        "adam-no-bias-correction": [("m_hat = m / (1 - beta1 ** t)", "m_hat = m"),
                                    ("np.sqrt(self._second_moment(state)) / math.sqrt(1 - beta2 ** t)",
                                     "np.sqrt(self._second_moment(state))")],
        "adam-t-off-by-one": [('\n        state["t"] += 1', ""),         # advanced last, after the bias correction
                              ('(sqrt_v_hat + group["eps"])', '(sqrt_v_hat + group["eps"]); state["t"] += 1')],
        "adam-ignores-second-moment": [("np.sqrt(self._second_moment(state))", "np.sqrt(v)")],
        "amsgrad-max-not-kept": [('np.maximum(state["v_max"], state["v"], out=state["v_max"])',
                                  'np.maximum(state["v_max"], state["v"])')],
        "amsgrad-max-is-minimum": [('np.maximum(state["v_max"], state["v"], out=state["v_max"])',
                                    'np.minimum(state["v_max"], state["v"], out=state["v_max"])')],
        "amsgrad-max-not-elementwise": [('return np.maximum(state["v_max"], state["v"], out=state["v_max"])',
                                         'state["v_max"] = max(state["v_max"], state["v"])\n'
                                         '        return state["v_max"]')],
    }
    # END SPOILER


def _ops_level_2():
    # BEGIN SPOILER ops.sum_backward ops.softmax_backward ops.log_softmax_backward
    return {
        "sum-axis-not-restored": "return np.broadcast_to(g, self.shape)\n",
        "softmax-no-sum-term": "return self.y * (1 - self.y) * g\n",
        "log-softmax-no-sum": [("g.sum(axis=self.axis, keepdims=True)", "g")],
        "log-softmax-y-as-p": [("np.exp(self.y) * g.sum", "self.y * g.sum")],
    }
    # END SPOILER


def _minibatches_and_modules():
    # BEGIN SPOILER optim.minibatches nn.module_parameters
    return {
        "minibatches-last-batch-lost": [("stop = n - n % b if drop_last else n", "stop = n - n % b")],
        "minibatches-checks-late": [("return _batches(X, y, order[:stop], b)", "yield from _batches(X, y, order[:stop], b)")],
        "parameters-without-prefix": [('children.append((full + ".", value))', 'children.append(("", value))')],
        "parameters-in-member-order": ("for name, value in self._members():\n"
                                       "    if isinstance(value, Parameter):\n"
                                       "        yield name, value\n"
                                       "    else:\n"
                                       "        for sub, p in value._named_parameters_all():\n"
                                       "            yield f\"{name}.{sub}\", p\n"),
    }
    # END SPOILER


def _engine():
    # BEGIN SPOILER function.unbroadcast function.apply function.toposort function.backward_pass
    return {
        "unbroadcast-size1-axes": "while g.ndim > len(shape):\n    g = g.sum(axis=0)\nreturn g\n",
        "unbroadcast-drops-axis": [("g = g.sum(axis=axis, keepdims=True)", "g = g.sum(axis=axis)")],
        "apply-records-always": [("if needs_grad and GradMode.enabled:", "if True:")],
        "apply-passes-tensors": [("arrays.append(x.data)", "arrays.append(x)")],
        "toposort-recursion": ("order, seen = [], set()\n\n"
                               "def visit(node):\n"
                               "    if node in seen:\n"
                               "        return\n"
                               "    seen.add(node)\n"
                               "    for x in node.inputs:\n"
                               "        if x is not None and x.grad_fn is not None:\n"
                               "            visit(x.grad_fn)\n"
                               "    order.append(node)\n\n"
                               "visit(root)\n"
                               "return order\n"),
        "toposort-preorder": ("order, seen, stack = [], set(), [root]\n"
                              "while stack:\n"
                              "    node = stack.pop()\n"
                              "    if node in seen:\n"
                              "        continue\n"
                              "    seen.add(node)\n"
                              "    order.append(node)\n"
                              "    stack.extend(x.grad_fn for x in node.inputs if x is not None and x.grad_fn is not None)\n"
                              "return order[::-1]\n"),
        "toposort-seen-on-push": ("order, seen, stack = [], {root}, [(root, False)]\n"
                                  "while stack:\n"
                                  "    node, inputs_done = stack.pop()\n"
                                  "    if inputs_done:\n"
                                  "        order.append(node)\n"
                                  "        continue\n"
                                  "    stack.append((node, True))\n"
                                  "    for x in node.inputs:\n"
                                  "        if x is not None and x.grad_fn is not None and x.grad_fn not in seen:\n"
                                  "            seen.add(x.grad_fn)\n"
                                  "            stack.append((x.grad_fn, False))\n"
                                  "return order\n"),
        "backward-overwrites": [("grads[x.grad_fn] = grads[x.grad_fn] + gx if x.grad_fn in grads else gx",
                                 "grads[x.grad_fn] = gx")],
        "backward-adds-in-place": [("grads[x.grad_fn] = grads[x.grad_fn] + gx if x.grad_fn in grads else gx",
                                    "if x.grad_fn in grads:\n"
                                    "                    grads[x.grad_fn] += gx\n"
                                    "                else:\n"
                                    "                    grads[x.grad_fn] = gx")],
        "backward-no-unbroadcast": [("gx = _fit(gx, x, node)", "pass")],
        "backward-unbroadcast-kept-only": [("    if type(gx) is not np.ndarray or gx.shape != x.data.shape:\n"
                                            "                gx = _fit(gx, x, node)  # un-broadcast it, or raise\n"
                                            "            keep(x, gx)",
                                            "    keep(x, _fit(gx, x, node))")],
        "backward-constant-input": [("if x is None or gx is None:", "if gx is None:")],
        "backward-wrong-order": [("for node in reversed(order):", "for node in order:")],
    }
    # END SPOILER


def _shapes_in_batches():
    # BEGIN SPOILER ops.matmul_backward nn.cross_entropy_backward
    return {
        "matmul-transpose": [("gy = x.T @ g if", "gy = g.T @ x if")],
        "matmul-1d": [("if x.ndim == 2 and y.ndim == 2:", "if True:")],
        "cross-entropy-mean-not-divided": [("w = _upstream(g, self.reduction, len(self.labels))", "w = g")],
        "cross-entropy-sign": [("(self.p - onehot) * w", "(onehot - self.p) * w")],
    }
    # END SPOILER


def _papers():
    # BEGIN SPOILER optim.radam_update optim.swats_update higher_order.hvp
    return {
        "radam-v-not-corrected": [("r * m_hat * math.sqrt(1 - beta2 ** t) / (np.sqrt(v)", "r * m_hat / (np.sqrt(v)")],
        "radam-early-adaptive": [('theta -= group["lr"] * m_hat',
                                  'theta -= group["lr"] * m_hat / (np.sqrt(v / (1 - beta2 ** t)) + group["eps"])')],
        "radam-threshold-fixed": [('if rho > group["threshold"]:', "if rho > 4:")],
        "radam-eps-on-corrected-root": [("r * m_hat * math.sqrt(1 - beta2 ** t) / (np.sqrt(v) + group[\"eps\"])",
                                         "r * m_hat / (np.sqrt(v / (1 - beta2 ** t)) + group[\"eps\"])")],
        "swats-eps-on-corrected-root": [('p = -group["lr"] * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m / '
                                         '(np.sqrt(a) + group["eps"])',
                                         'p = -group["lr"] * (m / (1 - beta1 ** t)) / '
                                         '(np.sqrt(a / (1 - beta2 ** t)) + group["eps"])')],
        "swats-sgd-no-damping": [("theta -= (1 - beta1) * self.sgd_lr * v", "theta -= self.sgd_lr * v")],
        "swats-no-bias-correction": [('p = -group["lr"] * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m /',
                                      'p = -group["lr"] * m /')],
        "swats-dots-not-summed": [("self._pp += float(np.vdot(p, p))", "self._pp = float(np.vdot(p, p))"),
                                  ("self._pg += float(np.vdot(p, g))", "self._pg = float(np.vdot(p, g))")],
        "hvp-no-create-graph": [("grads = grad(output, inputs, create_graph=True)", "grads = grad(output, inputs)")],
    }
    # END SPOILER


def _variants():
    # BEGIN SPOILER optim.rmsprop_update optim.amsgrad_second_moment optim.radam_update
    return [
        ("rmsprop-first-step-by-v", [('if state["t"] == 1 and group["init"] == "first_grad":',
                                      'if group["init"] == "first_grad" and not v.any():')]),  # t advanced
        ("amsgrad-max-not-elementwise", [('return np.maximum(state["v_max"], state["v"], out=state["v_max"])',
                                          'state["v_max"] = np.max([state["v_max"], state["v"]])\n'
                                          '        return state["v_max"]')]),
        ("radam-threshold-fixed", [('if rho > group["threshold"]:', "if rho > 5:")]),
    ]
    # END SPOILER


def variants():
    """[(mistake slug, edits or a whole body), ...]: other ways to write a catalogued mistake, each
    caught with the same hint (planted as ``wrong_answers()``'s are)."""
    return _variants()


def wrong_answers():
    """{mistake slug: edits of the answer, or a whole body}, for every catalogued mistake."""
    found = {}
    for part in (_ops_level_1, _sgd, _adagrad_rmsprop, _adam, _ops_level_2, _minibatches_and_modules, _engine,
                 _shapes_in_batches, _papers):
        found.update(part())
    return found


def planted_body(region, wrong):
    """The lines of ``region``'s body (from the answer key) with the wrong answer ``wrong`` in it."""
    if isinstance(wrong, str):
        return [region.indent + line if line else line for line in wrong.rstrip("\n").split("\n")]
    body = "\n".join(region.body)
    for old, new in wrong:
        assert body.count(old) == 1, f"{region.id}: {old!r} is not in its answer exactly once; update the edit"
        body = body.replace(old, new)
    return body.split("\n")
