#include "measure.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "caf_cluster/sharding_config.hpp"

namespace bench {

id_list make_ids(const char* prefix, int64_t n) {
  auto result = std::make_shared<std::vector<std::string>>();
  result->reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    result->push_back(prefix + std::to_string(i));
  return result;
}

void require_ok(const driver_result& r, int64_t expected, const char* what) {
  if (r.errors == 0 && r.completed == expected)
    return;
  std::cerr << "cluster-bench: " << what << ": " << r.errors << " of "
            << r.completed << " requests failed (expected " << expected
            << " replies); first error: " << r.first_error << '\n';
  std::exit(1);
}

double percentile_us(std::vector<int64_t>& xs, double p) {
  if (xs.empty())
    return 0;
  // Nearest rank: the smallest value with at least p of the samples <= it.
  auto rank = static_cast<size_t>(p * static_cast<double>(xs.size()));
  auto idx = std::min(xs.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(xs.begin(), xs.begin() + static_cast<ptrdiff_t>(idx),
                   xs.end());
  return static_cast<double>(xs[idx]) / 1000.0;
}

caf::timespan send_timeout(caf::actor_system& sys) {
  auto cfg = caf_cluster::read_sharding_config(sys.config());
  return cfg ? cfg->send_timeout : caf_cluster::sharding_config{}.send_timeout;
}

} // namespace bench
