// One fresh runtime per measurement: a CAF actor system from the user's CAF
// flags and, on the cluster side, a sharding service with the counter entity.
// Tearing it down waits for every actor, so runs never overlap.
#pragma once

#include <memory>
#include <optional>

#include "caf/actor_system.hpp"

#include "caf_cluster/cluster_config.hpp"
#include "caf_cluster/entity_client.hpp"
#include "caf_cluster/sharding.hpp"

#include "counter.hpp"
#include "options.hpp"

namespace bench {

/// A fresh actor system, plus a sharding service on the cluster side.
class environment {
public:
  /// Starts the runtime for `s`; exits the program on a configuration error
  /// (the flags were checked once at start-up, so that does not happen).
  environment(const options& opt, side s);

  /// Shuts the sharding service down, then the actor system.
  ~environment();

  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;

  /// Returns the actor system.
  caf::actor_system& system() noexcept {
    return *sys_;
  }

  /// Returns the sharding service (cluster side only).
  caf_cluster::sharding& cluster() {
    return *cluster_;
  }

  /// Returns a client for the counter entity (cluster side only).
  caf_cluster::entity_client<counter_actor> client() const {
    return cluster_->make_client(counter_entity);
  }

private:
  std::unique_ptr<caf_cluster::cluster_config> cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::optional<caf_cluster::sharding> cluster_;
};

/// Parses the CAF flags into a throwaway configuration; returns false and
/// prints CAF's complaint on error, or when CAF printed its help text.
bool check_caf_flags(const options& opt, bool& help_printed);

/// Returns a short description of the scheduler settings in effect.
std::string describe_scheduler(const options& opt);

} // namespace bench
