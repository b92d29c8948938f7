// The decisions every message_driver backend makes the same way: which rows
// and arguments are refused, when a write is fenced, whether a reply may be
// stored, and whether a request may be claimed. Backends differ in where
// rows live, never in these rules, so the rules live once, here.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "caf/error.hpp"

#include "caf_cluster/storage/message_driver.hpp"

namespace caf_cluster::storage::internal {

/// Returns the latest claim time that no longer holds at `now_ms`,
/// `now_ms - claim_ms` without overflow.
/// @pre `claim_ms >= 0`
constexpr int64_t claim_cutoff(int64_t now_ms, int64_t claim_ms) noexcept {
  return now_ms < std::numeric_limits<int64_t>::min() + claim_ms
    ? std::numeric_limits<int64_t>::min()
    : now_ms - claim_ms;
}

/// Returns whether a request may be claimed at `now_ms`: it is due, and its
/// last claim (`claimed_at_ms`, none if unclaimed) is at least `claim_ms`
/// old.
/// @pre `claim_ms >= 0`
constexpr bool is_claimable(int64_t deliver_at_ms,
                            std::optional<int64_t> claimed_at_ms,
                            int64_t now_ms, int64_t claim_ms) noexcept {
  return deliver_at_ms <= now_ms
    && (!claimed_at_ms || *claimed_at_ms <= claim_cutoff(now_ms, claim_ms));
}

/// Returns `"<n> <what>"` for the messages of errors ("3 requests").
std::string count_of(size_t n, const char* what);

/// Returns `limit` as an SQL LIMIT (at most INT64_MAX).
int64_t clamp_limit(size_t limit);

/// Returns the first string after every string that starts with `prefix`
/// (the exclusive end of a prefix range), or none when no string is (an
/// empty prefix, or one of only 0xFF bytes).
std::optional<std::string> after_prefix(std::string prefix);

/// Returns how messages name an entity: `type/id`, control bytes escaped.
std::string entity_name(const std::string& type, const std::string& id);

/// Checks the rows of `save_requests`.
/// @returns an `errc::invalid_argument` error naming the first invalid row,
///          or a default error if all are valid.
caf::error check_requests(const std::vector<request_row>& rows);

/// Checks the arguments of `claim_unprocessed`.
/// @returns an `errc::invalid_argument` error, or a default error if valid.
caf::error check_claim(int64_t claim_ms);

/// Checks the arguments of `save_state`.
/// @returns an `errc::invalid_argument` error, or a default error if valid.
caf::error check_state(const state_row& state, const fence& by);

/// Returns the `errc::fenced` error for a write under `by` when the shard's
/// latest epoch is `current`, or a default error when `by` is not stale.
caf::error check_fence(const fence& by, int64_t current);

/// Decides whether `write` may be stored.
/// @param current the latest epoch of `write.by.shard`.
/// @param stored the request the reply answers as stored (`nullptr` if
///        unknown); only its entity, shard and `processed` flag are read.
/// @returns a default error if it may, else the error for the write.
caf::error check_reply(const reply_write& write, int64_t current,
                       const request_row* stored);

/// Returns the `errc::invalid_argument` error for a request whose id is
/// stored already under another entity or primary key.
caf::error request_id_taken(const request_row& row);

} // namespace caf_cluster::storage::internal
