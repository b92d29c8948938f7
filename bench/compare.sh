#!/usr/bin/env bash
# Compares caf-cluster at an older commit with the working tree on the same
# machine in one invocation: builds the old commit's cluster-bench in a git
# worktree beside this one (build-compare/), then runs both, alternating run
# by run (old, new, old, new, ...) so that the machine's changing load hits
# both sides alike, and prints the medians of each and their ratio.
#
# Usage: bench/compare.sh OLD_COMMIT [ROUNDS] [WORKLOADS]
#   ROUNDS     runs per side and workload (default 5)
#   WORKLOADS  cluster-bench workload list (default: the in-process, remote and
#              persisted ones)
set -euo pipefail
cd "$(dirname "$0")/.."
old_commit=${1:?usage: bench/compare.sh OLD_COMMIT [ROUNDS] [WORKLOADS]}
rounds=${2:-5}
workloads=${3:-sequential,concurrent,activation,memory,remote-sequential,remote-concurrent,persisted-sequential,persisted-concurrent}

root=$PWD/build-compare
mkdir -p "$root"
if [[ ! -d "$root/old/.git" && ! -f "$root/old/.git" ]]; then
  git worktree add --detach "$root/old" "$old_commit" >/dev/null
else
  git -C "$root/old" checkout --quiet --detach "$old_commit"
fi
cmake -S "$root/old" -B "$root/old/build" -G Ninja -DCAF_CLUSTER_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/old/build" --target cluster-bench >/dev/null
cmake -S . -B build -G Ninja >/dev/null
cmake --build build --target cluster-bench >/dev/null
old_bin=$root/old/build/bench/cluster-bench
new_bin=$PWD/build/bench/cluster-bench

rows=$root/rows.txt
: > "$rows"
IFS=, read -ra list <<< "$workloads"
for ((r = 1; r <= rounds; ++r)); do
  for w in "${list[@]}"; do
    for side in old new; do
      bin=$old_bin
      [[ $side == new ]] && bin=$new_bin
      # One run of the cluster side; keep its figure rows.
      "$bin" --runs 1 --side cluster --workload "$w" 2>/dev/null \
        | awk -F'|' -v side="$side" -v w="$w" '
            $2 ~ "^ " w " $" && $3 ~ /[a-z]/ && $4 ~ /[0-9]/ {
              gsub(/^ +| +$/, "", $3); gsub(/[ ,]/, "", $4);
              print side "\t" w "\t" $3 "\t" $4 }' >> "$rows"
    done
  done
  echo "compare: round $r of $rounds done" >&2
done

echo "| workload | metric | $old_commit median | working tree median | new/old | runs |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
awk -F'\t' '
  { key = $2 "\t" $3; vals[$1, key] = vals[$1, key] " " $4; keys[key] = 1 }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ");
    for (i = 1; i <= n; ++i) for (j = i + 1; j <= n; ++j)
      if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (key in keys) {
      split(key, k, "\t");
      o = median(vals["old", key]); n = median(vals["new", key]);
      runs = split(vals["new", key], tmp, " ");
      printf "| %s | %s | %.1f | %.1f | %.2f | %d |\n", k[1], k[2], o, n,
             (o > 0 ? n / o : 0), runs
    }
  }' "$rows" | sort
