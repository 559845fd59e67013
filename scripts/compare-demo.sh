#!/usr/bin/env bash
# Proves that a change leaves every output of scripts/demo.sh byte-identical: builds BASE_REV
# (default HEAD, i.e. the working tree against the last commit) in a worktree under
# build-compare/ of the main checkout (shared by its worktrees), runs the demo there and here, and compares every file. The only fields
# allowed to differ are those that differ between any two runs: in JSON the keys `created`,
# `command` and `seconds_*`, and the checkout's own path inside recorded file names.
#   scripts/compare-demo.sh [BASE_REV]
# Exit 0 when identical, 1 with the differing files listed otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
base_rev="${1:-HEAD}"
sha=$(git rev-parse --verify "$base_rev^{commit}")
common=$(cd "$(git rev-parse --git-common-dir)/.." && pwd)
base="$common/build-compare/$sha"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "compare-demo: base $base_rev ($sha)" >&2
mkdir -p "$common/build-compare"
(
  flock 9  # one build of the base at a time
  [ -d "$base" ] || git worktree add -q --detach "$base" "$sha"
  cd "$base" && scripts/demo.sh "$out/base" >/dev/null
) 9>"$common/build-compare/.lock"
scripts/demo.sh "$out/new" >/dev/null

python3 - "$out/base" "$base" "$out/new" "$root" <<'PY'
import json, os, re, sys
base_out, base_root, new_out, new_root = sys.argv[1:5]

def normalise(path, data, out_dir, root):
    if not path.endswith(".json"):
        return data
    text = data.decode("utf-8").replace(out_dir, "<out>").replace(root, "<root>")
    def scrub(v):
        if isinstance(v, dict):
            return {k: ("<varies>" if k in ("created", "command") or k.startswith("seconds_") else scrub(x))
                    for k, x in v.items()}
        if isinstance(v, list):
            return [scrub(x) for x in v]
        return v
    return json.dumps(scrub(json.loads(text)), indent=1, sort_keys=False).encode()

def files(top):
    return sorted(os.path.relpath(os.path.join(d, f), top) for d, _, fs in os.walk(top) for f in fs)

a, b = files(base_out), files(new_out)
bad = [f"only in base: {f}" for f in sorted(set(a) - set(b))] + [f"only in new: {f}" for f in sorted(set(b) - set(a))]
for f in sorted(set(a) & set(b)):
    x = normalise(f, open(os.path.join(base_out, f), "rb").read(), base_out, base_root)
    y = normalise(f, open(os.path.join(new_out, f), "rb").read(), new_out, new_root)
    if x != y:
        bad.append(f"differs: {f}")
for line in bad:
    print("compare-demo:", line)
print(f"compare-demo: {len(a)} files, {len(bad)} differences")
sys.exit(1 if bad else 0)
PY
