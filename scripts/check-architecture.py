#!/usr/bin/env python3
"""Checks the layout rules of docs/architecture.md on the source tree (run by ctest as
`architecture`):
  * host/ stages include one way: model -> formats -> method -> calibration -> report -> batch;
    sim (the simulators) may use model and formats; no stage includes sim, cli or bench;
  * kernels/ includes nothing from host/, and host/ never includes the CUDA runtime;
  * no source file over 700 lines;
  * no function over 80 lines unless the comment above it says why ("Long:").
Prints one line per violation, exits 1 when there is any."""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
STAGES = ["model", "formats", "method", "calibration", "report", "batch"]
MAY_USE = {s: set(STAGES[: i + 1]) for i, s in enumerate(STAGES)}
MAY_USE["sim"] = {"model", "formats", "sim"}
MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 80
SOURCE = (".cpp", ".hpp", ".cu", ".cuh")

problems = []


def sources(top):
    for d, _, files in os.walk(os.path.join(ROOT, top)):
        for f in sorted(files):
            if f.endswith(SOURCE):
                yield os.path.relpath(os.path.join(d, f), ROOT)


def check_includes(path, text):
    parts = path.split(os.sep)
    for m in re.finditer(r'#include [<"]([^>"]+)[>"]', text):
        inc = m.group(1)
        line = text.count("\n", 0, m.start()) + 1
        if parts[0] == "kernels" and inc.startswith("host/"):
            problems.append(f"{path}:{line}: kernels/ includes {inc}")
        if parts[0] == "host":
            if inc in ("cuda_runtime.h", "cuda.h"):
                problems.append(f"{path}:{line}: host/ includes {inc}")
            if inc.startswith("host/"):
                stage, used = parts[1], inc.split("/")[1]
                if stage in MAY_USE and used not in MAY_USE[stage]:
                    problems.append(f"{path}:{line}: {stage}/ may not include {inc} (dependencies run one way)")


def check_functions(path, lines):
    # Function bodies at namespace level: a line ending in "{" outside any brace, whose text
    # since the previous ";", "}" or blank line holds a parameter list.
    depth, start, head = 0, None, []
    for i, raw in enumerate(lines):
        code = re.sub(r'//.*|"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', "", raw)
        if re.match(r"\s*(namespace\b[^;]*\{|extern \"C\" \{)\s*$", raw) or re.match(r"^\}\s*//\s*namespace", raw):
            head = []
            continue  # namespace braces do not nest functions
        if depth == 0 and start is None:
            if code.strip() == "" or code.rstrip().endswith((";", "}")):
                head = []
            else:
                head.append(code)
        opens, closes = code.count("{"), code.count("}")
        if depth == 0 and opens > closes and start is None:
            sig = " ".join(head)
            if "(" in sig and not re.match(r"\s*(namespace|struct|class|enum|union|extern)\b", sig) \
                    and "=" not in sig.split("(")[0]:
                start = i
        depth += opens - closes
        if depth == 0 and start is not None:
            length = i - start + 1
            if length > MAX_FUNCTION_LINES:
                above = "\n".join(lines[max(0, start - len(head) - 8): start])
                if "Long:" not in above:
                    name = re.sub(r"\s+", " ", " ".join(head)).strip()[:90]
                    problems.append(f"{path}:{start + 1}: function of {length} lines ({name}); "
                                    f"split it or say why in a 'Long:' comment")
            start, head = None, []


for top in ("host", "kernels", "cli", "bench"):
    for path in sources(top):
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            text = f.read()
        lines = text.split("\n")
        if len(lines) - 1 > MAX_FILE_LINES:
            problems.append(f"{path}: {len(lines) - 1} lines (at most {MAX_FILE_LINES})")
        check_includes(path, text)
        if path.endswith((".cpp", ".cu")):
            check_functions(path, lines)

for p in problems:
    print(p)
print(f"check-architecture: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
