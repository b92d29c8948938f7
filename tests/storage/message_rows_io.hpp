// Printing of message storage rows for doctest, so that a failed CHECK_EQ
// shows the rows instead of `{?}`. Payload bytes print escaped.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "caf/error.hpp"

#include "caf_cluster/storage/error_text.hpp"
#include "caf_cluster/storage/message_driver.hpp"

#include "storage/runner_rows_io.hpp"

namespace caf_cluster::storage {

inline std::ostream& operator<<(std::ostream& out, const request_row& x) {
  return out << "{#" << x.request_id << " " << quoted(x.entity_type) << "/"
             << quoted(x.entity_id) << " " << x.shard << " " << x.tag
             << " payload=" << quoted(x.payload)
             << " headers=" << quoted(x.headers)
             << " key=" << quoted(x.primary_key) << " at=" << x.deliver_at_ms
             << " processed=" << x.processed << " claimed=" << x.claimed_at_ms
             << "}";
}

inline std::ostream& operator<<(std::ostream& out, const reply_row& x) {
  return out << "{#" << x.request_id << (x.ok ? " ok " : " error ")
             << quoted(x.payload) << "}";
}

inline std::ostream& operator<<(std::ostream& out, const state_row& x) {
  return out << "{" << quoted(x.entity_type) << "/" << quoted(x.entity_id)
             << " " << quoted(x.payload) << "}";
}

template <class T>
std::ostream& operator<<(std::ostream& out, const std::optional<T>& x) {
  if (!x)
    return out << "none";
  return out << *x;
}

inline std::ostream& operator<<(std::ostream& out, const save_outcome& x) {
  return out << "{" << (x.duplicate ? "duplicate of #" : "stored #")
             << x.request_id << " reply=" << x.reply << "}";
}

inline std::ostream& operator<<(std::ostream& out, const pending_count& x) {
  return out << "{" << x.shard << " " << x.entity_type << " " << x.count
             << " next=" << x.next_deliver_at_ms << "}";
}

inline std::ostream& operator<<(std::ostream& out, const table_size& x) {
  return out << "{" << x.table << " rows=" << x.rows << " bytes=" << x.bytes
             << "}";
}

inline std::ostream& operator<<(std::ostream& out,
                                const std::vector<table_size>& xs) {
  return print_rows(out, xs);
}

inline std::ostream& operator<<(std::ostream& out,
                                const std::vector<request_row>& xs) {
  return print_rows(out, xs);
}

inline std::ostream& operator<<(std::ostream& out,
                                const std::vector<save_outcome>& xs) {
  return print_rows(out, xs);
}

inline std::ostream& operator<<(std::ostream& out,
                                const std::vector<pending_count>& xs) {
  return print_rows(out, xs);
}

} // namespace caf_cluster::storage
