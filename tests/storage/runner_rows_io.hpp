// Printing of runner storage rows and errors for doctest, so that a failed
// CHECK_EQ shows the rows instead of `{?}`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "caf/error.hpp"

#include "caf_cluster/storage/errc.hpp"
#include "caf_cluster/storage/runner_driver.hpp"

namespace caf_cluster::storage {

inline std::ostream& operator<<(std::ostream& out, const runner_row& x) {
  out << "{" << x.address << " id=" << x.machine_id << " w=" << x.weight
      << " groups=[";
  for (size_t i = 0; i < x.groups.size(); ++i)
    out << (i > 0 ? "," : "") << '"' << x.groups[i] << '"';
  return out << "] healthy=" << x.healthy << " hb=" << x.last_heartbeat_ms
             << " drain=" << x.drain_requested << "}";
}

inline std::ostream& operator<<(std::ostream& out, const lease_row& x) {
  return out << "{" << x.shard << " " << x.runner << " epoch=" << x.epoch
             << " expires=" << x.expires_at_ms << "}";
}

inline std::ostream& operator<<(std::ostream& out, const lease_grant& x) {
  return out << "{" << x.shard << " epoch=" << x.epoch << "}";
}

template <class T>
std::ostream& print_rows(std::ostream& out, const std::vector<T>& xs) {
  out << "[";
  for (size_t i = 0; i < xs.size(); ++i)
    out << (i > 0 ? ", " : "") << xs[i];
  return out << "]";
}

inline std::ostream& operator<<(std::ostream& out,
                                const std::vector<runner_row>& xs) {
  return print_rows(out, xs);
}

inline std::ostream& operator<<(std::ostream& out,
                                const std::vector<lease_row>& xs) {
  return print_rows(out, xs);
}

inline std::ostream& operator<<(std::ostream& out,
                                const std::vector<lease_grant>& xs) {
  return print_rows(out, xs);
}

namespace test {

/// Returns the message of a storage error, or a description of what else
/// `err` is.
inline std::string message_of(const caf::error& err) {
  if (err && err.context().size() == 1
      && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return "<no message: " + caf::to_string(err) + ">";
}

} // namespace test

} // namespace caf_cluster::storage
