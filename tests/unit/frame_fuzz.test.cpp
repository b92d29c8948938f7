// The WebSocket and HTTP transports' frame decoding under seeded mutation:
// frames of real send and reply batches, and HTTP bodies of length-prefixed
// frames, with bytes flipped, inserted, deleted and cut. Every input decodes
// or fails with `malformed_message`; nothing crashes, leaks or hangs (the
// unit suite runs under ASan and UBSan in CI).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"

#include "caf_cluster/errc.hpp"
#include "caf_cluster/internal/envelope.hpp"
#include "caf_cluster/internal/frame_codec.hpp"
#include "caf_cluster/internal/router_actor.hpp"

using namespace caf_cluster;
using namespace caf_cluster::internal;

namespace {

struct frame_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  frame_fixture() {
    add_envelope_types(cfg);
    cfg.set("scheduler.max-threads", 1);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  std::vector<char> batch_frame(int n) {
    std::vector<envelope> batch;
    for (int i = 0; i < n; ++i) {
      envelope x;
      x.job = 1000 + i;
      x.attempt = i % 3;
      x.send.entity_type = "Counter";
      x.send.entity_id = "counter-" + std::to_string(i);
      x.send.shard_group = "default";
      x.send.shard_index = 1 + i % 300;
      x.send.payload = caf::make_message(int64_t{i}, std::string(i, 'k'));
      batch.push_back(std::move(x));
    }
    auto frame = encode_frame(
      *sys, caf::make_message(deliver_batch_atom::value, std::move(batch)));
    REQUIRE(frame);
    return std::move(*frame);
  }

  std::vector<char> reply_frame(int n) {
    std::vector<reply_envelope> replies;
    for (int i = 0; i < n; ++i)
      replies.push_back(
        reply_envelope{static_cast<uint64_t>(i), 0,
                       i % 2 == 0 ? caf::make_message(int64_t{i * 7})
                                  : caf::make_message(caf::make_error(
                                    errc::timeout, std::string{"late"}))});
    auto frame = encode_frame(
      *sys, caf::make_message(reply_batch_atom::value, std::move(replies)));
    REQUIRE(frame);
    return std::move(*frame);
  }
};

void mutate(std::vector<char>& bytes, std::mt19937_64& rng) {
  auto edits = 1 + rng() % 4;
  for (size_t e = 0; e < edits && !bytes.empty(); ++e) {
    auto pos = rng() % bytes.size();
    switch (rng() % 5) {
      case 0:
        bytes[pos] = static_cast<char>(rng());
        break;
      case 1:
        bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8)));
        break;
      case 2:
        bytes.insert(bytes.begin() + pos, static_cast<char>(rng()));
        break;
      case 3:
        bytes.erase(bytes.begin() + pos);
        break;
      default:
        bytes.resize(pos);
    }
  }
}

uint64_t fuzz_seed() {
  if (auto* env = std::getenv("CAF_CLUSTER_FUZZ_SEED"))
    return std::strtoull(env, nullptr, 10);
  return 20261207;
}

} // namespace

TEST_SUITE("unit.frame_fuzz") {

  TEST_CASE_FIXTURE(frame_fixture, "frames round-trip and keep their shape") {
    auto batch = decode_frame(*sys, batch_frame(5));
    REQUIRE(batch);
    CHECK(is_deliver_batch(*batch));
    CHECK(!is_reply_batch(*batch));
    auto replies = decode_frame(*sys, reply_frame(4));
    REQUIRE(replies);
    CHECK(is_reply_batch(*replies));
    std::string body;
    append_frame(body, batch_frame(2));
    append_frame(body, reply_frame(1));
    append_frame(body, {});
    std::vector<std::vector<char>> frames;
    REQUIRE(split_frames(body, frames));
    REQUIRE(frames.size() == 3);
    CHECK(frames[2].empty());
    CHECK(is_reply_batch(decode_frame(*sys, frames[1]).value()));
    frames.clear();
    CHECK(!split_frames(body.substr(0, body.size() - 1) + "xyz", frames));
    frames.clear();
    CHECK(!split_frames(std::string{"\xff\xff\xff\xff", 4}, frames));
  }

  TEST_CASE_FIXTURE(frame_fixture,
                    "seeded fuzz: mutated frames and bodies decode or fail "
                    "cleanly") {
    auto seed = fuzz_seed();
    INFO("seed " << seed << " (CAF_CLUSTER_FUZZ_SEED)");
    std::mt19937_64 rng{seed};
    const std::vector<std::vector<char>> corpus{batch_frame(1), batch_frame(7),
                                                reply_frame(1), reply_frame(6)};
    size_t decoded = 0;
    size_t refused = 0;
    size_t bodies_split = 0;
    for (int i = 0; i < 6000; ++i) {
      auto bytes = corpus[rng() % corpus.size()];
      mutate(bytes, rng);
      auto msg = decode_frame(*sys, bytes);
      if (msg) {
        ++decoded;
        // A decoded frame is judged by its shape only.
        static_cast<void>(is_deliver_batch(*msg) || is_reply_batch(*msg));
      } else {
        CHECK(msg.error() == errc::malformed_message);
        ++refused;
      }
      // The same bytes framed in an HTTP body with a damaged prefix.
      std::string body;
      append_frame(body, corpus[rng() % corpus.size()]);
      body.append(bytes.begin(), bytes.end());
      if (!body.empty() && rng() % 2 == 0)
        body[rng() % body.size()] = static_cast<char>(rng());
      std::vector<std::vector<char>> frames;
      if (split_frames(body, frames)) {
        ++bodies_split;
        for (auto& f : frames)
          static_cast<void>(decode_frame(*sys, f));
      }
    }
    MESSAGE("frame fuzz: " << decoded << " decoded, " << refused << " refused, "
                           << bodies_split << " bodies split");
    CHECK(refused > 1000);
    CHECK(decoded > 10);
  }
}
