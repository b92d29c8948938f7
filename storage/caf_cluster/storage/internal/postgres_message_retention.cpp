// One statement finds what is due for every entity type: the retention
// rules travel as two parallel arrays (types, milliseconds).
#include "caf_cluster/storage/internal/postgres_message_retention.hpp"

#include "caf_cluster/storage/internal/message_rules.hpp"
#include "caf_cluster/storage/internal/postgres_schema.hpp"

namespace caf_cluster::storage::internal {

namespace {

// `{1,2,3}`: a bigint[] literal.
std::string int_array(const std::vector<int64_t>& xs) {
  std::string result = "{";
  for (size_t i = 0; i < xs.size(); ++i)
    result += (i == 0 ? "" : ",") + std::to_string(xs[i]);
  return result + "}";
}

} // namespace

size_t expire_postgres_messages(pqxx::transaction_base& tx,
                                const retention_table& retention,
                                int64_t now_ms, int64_t default_retention_ms,
                                size_t limit) {
  std::vector<std::string> types;
  std::vector<int64_t> retentions;
  for (const auto& [type, ms] : retention.rules()) {
    types.push_back(type);
    retentions.push_back(ms);
  }
  auto horizon = retention.horizon();
  std::vector<int64_t> stamp;
  std::vector<int64_t> drop;
  auto res = tx.exec_prepared("ms_expirable", hex_array(types),
                              int_array(retentions), horizon,
                              default_retention_ms, now_ms, clamp_limit(limit));
  for (const auto& r : res)
    (r[1].as<int64_t>() == 0 ? stamp : drop).push_back(r[0].as<int64_t>());
  if (!stamp.empty())
    tx.exec_prepared("ms_stamp", now_ms, int_array(stamp));
  if (!drop.empty()) {
    auto ids = int_array(drop);
    tx.exec_prepared("ms_expire_replies", ids);
    tx.exec_prepared("ms_expire_requests", ids);
  }
  return stamp.size() + drop.size();
}

std::vector<table_size>
postgres_message_table_sizes(pqxx::transaction_base& tx,
                             const std::string& schema) {
  std::vector<table_size> result;
  for (const char* table :
       {"cluster_entity_states", "cluster_replies", "cluster_requests"}) {
    auto name = schema + "." + table;
    // Exact rows (COUNT), bytes with indexes and TOAST.
    auto r = tx.exec("SELECT (SELECT count(*) FROM " + name
                     + "), pg_total_relation_size(" + tx.quote(name)
                     + "::regclass)")[0];
    result.push_back(table_size{table, r[0].as<int64_t>(), r[1].as<int64_t>()});
  }
  return result;
}

} // namespace caf_cluster::storage::internal
