"""hv/'s include graph: no file includes, directly or through others, a file
that includes it back (a module is a .c with its .h). Such circles make a
layer depend on the layers that use it; the last one (guest_events ->
ipi -> init_state -> guest_events) was broken by hv/guest/nmi_window.c.
Run: python3 -m unittest discover -s tools/tests"""
import os
import re
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_graph(root):
    graph = {}
    for d, _, names in os.walk(os.path.join(root, "hv")):
        if os.sep + "tests" in d:
            continue
        for name in names:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            mod = os.path.relpath(os.path.splitext(path)[0], root)
            with open(path, encoding="utf-8") as f:
                for inc in INCLUDE.findall(f.read()):
                    target = os.path.relpath(os.path.splitext(os.path.normpath(os.path.join(d, inc)))[0], root)
                    if target != mod:
                        graph.setdefault(mod, set()).add(target)
    return graph


def find_cycle(graph):
    """One cycle as a list of modules, or None (iterative DFS, three colours)."""
    colour, parent = {}, {}
    for start in sorted(graph):
        if colour.get(start):
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                continue
            if colour.get(child) == 1:
                cycle = [child]
                for n, _ in reversed(stack):
                    cycle.append(n)
                    if n == child:
                        break
                return list(reversed(cycle))
            if not colour.get(child):
                colour[child] = 1
                parent[child] = node
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


class Includes(unittest.TestCase):
    def test_no_module_includes_its_includers(self):
        graph = module_graph(REPO)
        self.assertGreater(len(graph), 40, "hv/ not found where expected")
        self.assertIsNone(find_cycle(graph))

    def test_a_circle_is_found(self):
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
        cycle = find_cycle(graph)
        self.assertEqual(sorted(set(cycle)), ["a", "b", "c"])
        self.assertEqual(cycle[0], cycle[-1])
        self.assertIsNone(find_cycle({"a": {"b"}, "b": {"c"}, "d": {"c"}}))


if __name__ == "__main__":
    unittest.main()
