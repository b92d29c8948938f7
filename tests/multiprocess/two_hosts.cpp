#include "multiprocess/two_hosts.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <doctest/doctest.h>

#include "caf/error.hpp"

#include "caf_cluster/errc.hpp"

#include "multiprocess/raw_peer.hpp"

namespace caf_cluster::multiprocess {

namespace {

// `uri` with its `host:port` replaced by `authority`.
std::string with_authority(const std::string& uri,
                           const std::string& authority) {
  auto at = uri.find('@');
  auto slash = uri.find('/', at == std::string::npos ? 0 : at);
  if (at == std::string::npos || slash == std::string::npos)
    throw std::runtime_error("unexpected PostgreSQL URI: " + uri);
  return uri.substr(0, at + 1) + authority + uri.substr(slash);
}

// host and port of `host:port`.
std::pair<std::string, uint16_t> split_authority(const std::string& uri) {
  auto at = uri.find('@');
  auto slash = uri.find('/', at);
  auto authority = uri.substr(at + 1, slash - at - 1);
  auto colon = authority.rfind(':');
  return {authority.substr(0, colon),
          static_cast<uint16_t>(std::stoi(authority.substr(colon + 1)))};
}

} // namespace

two_hosts::two_hosts(const two_hosts_layout& layout)
  : db(dir, layout.database_proxy || postgresql_run()), storage(db.uri()) {
  if (layout.tls) {
    auto certs = dir.file("certs");
    make_test_ca(certs);
    node_flags = tls_flags(certs, "runner");
    client_flags = tls_flags(certs, "client");
  }
  auto storage_b = storage;
  if (layout.database_proxy) {
    auto [host, port] = split_authority(storage);
    proxy_db = std::make_unique<tcp_proxy>("127.0.0.3", host, port);
    storage_b = with_authority(storage, proxy_db->address());
  }
  auto start = [&](const std::string& host, const std::string& name,
                   std::unique_ptr<tcp_proxy>& proxy,
                   const std::string& node_storage) {
    node_options opts;
    opts.host = host;
    opts.extra = node_flags;
    opts.spawn.cwd = dir.file(name);
    std::filesystem::create_directories(opts.spawn.cwd);
    if (layout.runner_proxies) {
      // The proxy needs the runner's port first, the runner the proxy's.
      opts.port = pick_free_port(host);
      proxy = std::make_unique<tcp_proxy>("127.0.0.1", host, opts.port);
      opts.advertised = proxy->address();
    }
    return start_node(procs, node_storage, opts);
  };
  a = start("127.0.0.2", "host-a", proxy_a, storage);
  b = start("127.0.0.3", "host-b", proxy_b, storage_b);
  auto started = clock_type::now();
  auto table = await_shard_counts(storage, even(), 20s);
  MESSAGE("two hosts settled after "
          << seconds_between(started, clock_type::now())
          << " s: " << to_string(table.counts));
  REQUIRE(to_string(table.counts) == to_string(even()));
  client = std::make_unique<client_node>(storage, client_flags);
}

std::map<std::string, int> two_hosts::even(int count) const {
  return {{a.address, count}, {b.address, count}};
}

std::string two_hosts::runner_logs() {
  std::string result;
  for (auto* r : {&a, &b}) {
    r->proc->drain();
    result += r->address + " (" + r->listen_address + "):\n" + r->proc->err();
  }
  return result;
}

// -- keyed_load ---------------------------------------------------------------

keyed_load::keyed_load(client_node& client, int counters)
  : client_(client), counters_(counters), replies_(counters) {
  // nop
}

keyed_load::~keyed_load() {
  stop();
}

void keyed_load::start(int threads, clock_type::time_point deadline) {
  last_ack_ = clock_type::now();
  for (int t = 0; t < threads; ++t)
    threads_.emplace_back([this, deadline] {
      while (!stop_) {
        auto n = next_++;
        auto counter = n % counters_;
        auto id = "lf-" + std::to_string(counter);
        auto key = "k" + std::to_string(n);
        for (;;) {
          auto value = client_.increment(id, 1, key, 2s);
          auto now = clock_type::now();
          {
            std::lock_guard<std::mutex> guard{mtx_};
            if (value) {
              replies_[counter].push_back(*value);
              longest_gap_ = std::max(longest_gap_, now - last_ack_);
              last_ack_ = now;
              ++acknowledged_;
              break;
            }
            auto& err = value.error();
            ++errors_[err.category() == caf_cluster::errc_category
                        ? caf_cluster::to_string(
                          static_cast<caf_cluster::errc>(err.code()))
                        : client_.render(err)];
            if (now >= deadline) {
              abandoned_.push_back(id + "/" + key);
              break;
            }
          }
          // Errors that come back at once must not make a busy loop.
          std::this_thread::sleep_for(20ms);
        }
      }
    });
}

void keyed_load::stop() {
  stop_ = true;
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

double keyed_load::longest_gap() {
  std::lock_guard<std::mutex> guard{mtx_};
  return std::chrono::duration<double>(longest_gap_).count();
}

void keyed_load::check_exactly_once(client_node& reader) {
  stop();
  CHECK_MESSAGE(abandoned_.empty(), abandoned_.size()
                                      << " keys never acknowledged, e.g. "
                                      << abandoned_.front());
  for (int c = 0; c < counters_; ++c) {
    auto id = "lf-" + std::to_string(c);
    auto& replies = replies_[c];
    std::sort(replies.begin(), replies.end());
    std::vector<int64_t> expected(replies.size());
    for (size_t i = 0; i < expected.size(); ++i)
      expected[i] = static_cast<int64_t>(i) + 1;
    CHECK_MESSAGE(replies == expected,
                  id << ": the replies of its " << replies.size()
                     << " keys are not exactly 1.." << replies.size());
    caf::expected<int64_t> value{0};
    auto deadline = clock_type::now() + 20s;
    do {
      value = reader.get(id, 2s);
    } while (!value && clock_type::now() < deadline);
    REQUIRE_MESSAGE(value, id << ": " << reader.render(value.error()));
    CHECK_MESSAGE(*value == static_cast<int64_t>(replies.size()),
                  id << " holds " << *value << " after "
                     << replies.size() << " acknowledged keys");
  }
}

std::string keyed_load::error_summary() {
  std::lock_guard<std::mutex> guard{mtx_};
  std::string result;
  for (auto& [what, count] : errors_) {
    if (!result.empty())
      result += ", ";
    result += what + " " + std::to_string(count);
  }
  return result.empty() ? "no errors" : result;
}

} // namespace caf_cluster::multiprocess
