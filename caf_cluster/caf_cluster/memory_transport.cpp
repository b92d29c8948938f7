#include "caf_cluster/memory_transport.hpp"

#include "caf/scheduled_actor.hpp"

#include "caf_cluster/errc.hpp"

namespace caf_cluster {

caf::actor memory_network::find(const std::string& address) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = routers_.find(address);
  return i == routers_.end() ? caf::actor{} : i->second;
}

bool memory_network::add(const std::string& address, const caf::actor& router) {
  std::lock_guard<std::mutex> guard{mtx_};
  return routers_.emplace(address, router).second;
}

void memory_network::remove(const std::string& address,
                            const caf::actor& router) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = routers_.find(address);
  if (i != routers_.end() && i->second == router)
    routers_.erase(i);
}

namespace {

class memory_transport final : public transport {
public:
  explicit memory_transport(std::shared_ptr<memory_network> network)
    : network_(std::move(network)) {
    // nop
  }

  ~memory_transport() override {
    close();
  }

  caf::expected<runner_address>
  listen(const caf::actor& router, const runner_address&,
         const runner_address& advertised) override {
    if (advertised.port == 0)
      return caf::make_error(errc::runner_unavailable,
                             "the memory transport needs an explicit port");
    auto address = to_string(advertised);
    if (!network_->add(address, router))
      return caf::make_error(errc::runner_unavailable,
                             "cannot listen on " + address
                               + ": address in use");
    std::lock_guard<std::mutex> guard{mtx_};
    address_ = address;
    router_ = router;
    return advertised;
  }

  void close() override {
    std::lock_guard<std::mutex> guard{mtx_};
    if (router_) {
      network_->remove(address_, router_);
      router_ = nullptr;
    }
  }

  void connect(caf::scheduled_actor*, const std::string& peer,
               connect_callback done) override {
    if (auto hdl = network_->find(peer))
      done(std::move(hdl));
    else
      done(caf::make_error(errc::runner_unavailable, peer,
                           std::string{"no runner listens there"}));
  }

private:
  std::shared_ptr<memory_network> network_;
  std::mutex mtx_;
  std::string address_;
  caf::actor router_;
};

} // namespace

std::shared_ptr<transport>
make_memory_transport(std::shared_ptr<memory_network> network) {
  return std::make_shared<memory_transport>(std::move(network));
}

} // namespace caf_cluster
