// Runs one measurement in a fresh copy of this program. A process that ran
// earlier workloads keeps freed heap in glibc's per-thread arenas, which later
// runs reuse without growing RSS (measured: 1.3 KB per bare actor in the first
// run, 0.6-0.9 KB in later ones), so in-process memory figures drift.
#pragma once

#include <vector>

#include "options.hpp"

namespace bench {

/// Re-executes this program with `argv` plus `--child w:s` and returns the
/// figures the child prints. Exits the program if the child fails.
std::vector<double> run_in_child(workload w, side s, int argc, char** argv);

} // namespace bench
