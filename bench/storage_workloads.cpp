#include "storage_workloads.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"

#include "caf_cluster/internal/storage_writer.hpp"
#include "caf_cluster/shard_id.hpp"
#include "caf_cluster/sharding_config.hpp"
#include "caf_cluster/storage/message_driver.hpp"
#include "caf_cluster/storage/sqlite_message_driver.hpp"
#include "caf_cluster/storage/sqlite_runner_driver.hpp"

#include "child_process.hpp"
#include "driver.hpp"
#include "environment.hpp"
#include "measure.hpp"
#include "report.hpp"

namespace bench {

namespace {

namespace st = caf_cluster::storage;
namespace ci = caf_cluster::internal;

using request_list = std::shared_ptr<const std::vector<st::request_row>>;
using write_list = std::shared_ptr<const std::vector<st::reply_write>>;

// Snowflake-sized (19 digits) and increasing, as the core's ids will be.
constexpr int64_t first_request_id = 7'300'000'000'000'000'000;

// Rows the driver saves per call while preparing the replies workload.
constexpr size_t prepare_batch = 1'000;

std::string with_commas(int64_t x) {
  return format_figure(static_cast<double>(x), figure_format::integer);
}

// Row i goes to entity `i % entities`, in that entity's shard of "default".
request_list make_requests(int64_t rows, int64_t entities) {
  auto per_group = caf_cluster::sharding_config{}.shards_per_group;
  std::vector<std::string> ids;
  std::vector<std::string> shards;
  for (int64_t e = 0; e < entities; ++e) {
    ids.push_back("counter-" + std::to_string(e));
    auto shard = caf_cluster::make_shard_id(ids.back(), "default", per_group);
    if (!shard)
      die("no shard for " + ids.back());
    shards.push_back(caf_cluster::to_string(*shard));
  }
  auto result = std::make_shared<std::vector<st::request_row>>();
  result->reserve(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    auto e = static_cast<size_t>(i % entities);
    st::request_row row;
    row.request_id = first_request_id + i;
    row.entity_type = "Counter";
    row.entity_id = ids[e];
    row.shard = shards[e];
    row.tag = "increment";
    char payload[17];
    std::snprintf(payload, sizeof(payload), "add:%012lld",
                  static_cast<long long>(i % 1'000'000'000'000));
    row.payload.assign(payload, 16);
    row.primary_key = std::to_string(row.request_id);
    result->push_back(std::move(row));
  }
  return result;
}

std::unique_ptr<st::message_driver> open_driver(const std::string& path) {
  auto driver = st::make_sqlite_message_driver(path);
  if (!driver)
    die("cannot open " + path + ": " + caf::to_string(driver.error()));
  return std::move(*driver);
}

// Stores the first `count` requests with `driver` and leases their shards
// through runner storage on the same file; returns one reply with the
// entity's new state per request, fenced by its shard's epoch.
write_list prepare_replies(st::message_driver& driver, const std::string& path,
                           const std::vector<st::request_row>& rows,
                           int64_t count) {
  auto end = rows.begin() + count;
  for (auto i = rows.begin(); i != end;) {
    auto next = i + std::min<ptrdiff_t>(prepare_batch, end - i);
    if (auto res = driver.save_requests({i, next}); !res)
      die("cannot save requests: " + caf::to_string(res.error()));
    i = next;
  }
  auto runner = st::make_sqlite_runner_driver(path);
  if (!runner)
    die("cannot open runner storage: " + caf::to_string(runner.error()));
  std::set<std::string> shard_set;
  for (auto i = rows.begin(); i != end; ++i)
    shard_set.insert(i->shard);
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  auto grants = (*runner)->acquire(
    "bench-runner", {shard_set.begin(), shard_set.end()}, now_ms, 3'600'000);
  if (!grants || grants->size() != shard_set.size())
    die("cannot lease the shards of the requests");
  std::map<std::string, int64_t> epochs;
  for (auto& g : *grants)
    epochs[g.shard] = g.epoch;
  auto result = std::make_shared<std::vector<st::reply_write>>();
  result->reserve(static_cast<size_t>(count));
  for (auto i = rows.begin(); i != end; ++i) {
    st::reply_write w;
    w.reply.request_id = i->request_id;
    w.reply.payload = i->primary_key.substr(0, 8);
    w.by = st::fence{i->shard, epochs[i->shard]};
    w.state = st::state_row{i->entity_type, i->entity_id, i->payload.substr(8)};
    result->push_back(std::move(w));
  }
  return result;
}

caf::error check(const std::vector<st::save_outcome>& xs) {
  if (xs.size() != 1 || xs[0].duplicate)
    return caf::make_error(caf::sec::unexpected_response,
                           "expected one stored request");
  return {};
}

caf::error check(const std::vector<caf::error>& xs) {
  if (xs.size() != 1)
    return caf::make_error(caf::sec::unexpected_response,
                           "expected one reply result");
  return xs[0];
}

// Save i sends row i alone to the writer, as one caller of persisted
// messages will; no CAF request timeout (it would wake the clock thread).
template <class Atom, class Row, class Result>
struct save_one {
  caf_cluster::detail::storage_writer_actor writer;
  std::shared_ptr<const std::vector<Row>> rows;

  template <class Self, class Done>
  void operator()(Self* self, int64_t i, Done done) const {
    std::vector<Row> one{(*rows)[static_cast<size_t>(i)]};
    self->request(writer, caf::infinite, Atom::value, std::move(one))
      .then(
        [done](std::vector<Result>& xs) {
          done(check(xs));
        },
        [done](caf::error& err) {
          done(err);
        });
  }
};

// Returns rows/s, p50 and p99 latency per save in µs.
std::vector<double> figures_of(const driver_result& r, int64_t count,
                               const char* what) {
  require_ok(r, count, what);
  auto lat = r.latencies_ns;
  return {static_cast<double>(count) / r.seconds, percentile_us(lat, 0.50),
          percentile_us(lat, 0.99)};
}

// caf-cluster: `count` saves of one row each through a storage writer over
// the SQLite message driver on `path`, `window` in flight.
std::vector<double> cluster_run(caf::actor_system& sys, workload w,
                                const std::string& path,
                                const request_list& rows, int64_t count,
                                int64_t window, int64_t drivers) {
  std::shared_ptr<st::message_driver> driver = open_driver(path);
  write_list writes;
  if (w == workload::storage_replies)
    writes = prepare_replies(*driver, path, *rows, count);
  auto writer = ci::spawn_storage_writer(sys, driver);
  driver.reset();
  driver_result r;
  if (w == workload::storage_requests)
    r = drive(
      sys,
      save_one<caf_cluster::detail::save_requests_atom, st::request_row, st::save_outcome>{
        writer, rows},
      count, window, drivers, true);
  else
    r = drive(sys,
              save_one<caf_cluster::detail::save_replies_atom, st::reply_write, caf::error>{
                writer, writes},
              count, window, drivers, true);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  return figures_of(r, count, to_string(w));
}

void bind_request(SQLite::Statement& s, const st::request_row& row) {
  s.bind(1, row.request_id);
  s.bind(2, row.entity_type);
  s.bind(3, row.entity_id);
  s.bind(4, row.shard);
  s.bind(5, row.tag);
  s.bind(6, row.payload.data(), static_cast<int>(row.payload.size()));
  s.bind(7, row.headers.data(), static_cast<int>(row.headers.size()));
  s.bind(8, row.primary_key);
  s.bind(9, row.deliver_at_ms);
}

void exec_reset(SQLite::Statement& s) {
  s.exec();
  s.reset();
}

// The ceiling of a reply: the fence read, the reply, the request marked
// processed and the state replaced, without the driver's checks.
struct raw_reply_statements {
  SQLite::Statement epoch;
  SQLite::Statement reply;
  SQLite::Statement processed;
  SQLite::Statement state;

  explicit raw_reply_statements(SQLite::Database& db)
    : epoch(db, "SELECT epoch FROM cluster_shard_epochs WHERE shard = ?"),
      reply(db,
            "INSERT INTO cluster_replies (request_id, ok, payload)"
            " VALUES (?, ?, ?)"),
      processed(db,
                "UPDATE cluster_requests SET processed = 1"
                " WHERE request_id = ?"),
      state(db,
            "INSERT INTO cluster_entity_states (entity_type, entity_id,"
            " payload) VALUES (?, ?, ?) ON CONFLICT (entity_type,"
            " entity_id) DO UPDATE SET payload = excluded.payload") {}

  void write(const st::reply_write& w) {
    epoch.bind(1, w.by.shard);
    if (!epoch.executeStep() || epoch.getColumn(0).getInt64() > w.by.epoch)
      die("raw reply fenced");
    epoch.reset();
    reply.bind(1, w.reply.request_id);
    reply.bind(2, w.reply.ok ? 1 : 0);
    reply.bind(3, w.reply.payload.data(),
               static_cast<int>(w.reply.payload.size()));
    exec_reset(reply);
    processed.bind(1, w.reply.request_id);
    exec_reset(processed);
    state.bind(1, w.state->entity_type);
    state.bind(2, w.state->entity_id);
    state.bind(3, w.state->payload.data(),
               static_cast<int>(w.state->payload.size()));
    exec_reset(state);
  }
};

// Raw SQLiteCpp: the same rows into the same tables (the schema made by the
// SQLite message driver) with prepared statements, `per_txn` rows per
// transaction, WAL and synchronous=NORMAL. Latencies only for one row per
// transaction; -1 otherwise.
std::vector<double> raw_run(workload w, const std::string& path,
                            const request_list& rows, int64_t count,
                            int64_t per_txn) {
  write_list writes;
  {
    auto driver = open_driver(path);
    if (w == workload::storage_replies)
      writes = prepare_replies(*driver, path, *rows, count);
  }
  try {
    SQLite::Database db{path, SQLite::OPEN_READWRITE};
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=NORMAL");
    SQLite::Statement insert{db,
                             "INSERT INTO cluster_requests (request_id,"
                             " entity_type, entity_id, shard, tag, payload,"
                             " headers, primary_key, deliver_at_ms)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"};
    raw_reply_statements replies{db};
    std::vector<int64_t> latencies;
    auto start = bench_clock::now();
    for (int64_t first = 0; first < count; first += per_txn) {
      auto t0 = bench_clock::now();
      db.exec("BEGIN IMMEDIATE");
      for (auto i = first; i < std::min(count, first + per_txn); ++i) {
        auto idx = static_cast<size_t>(i);
        if (w == workload::storage_requests) {
          bind_request(insert, (*rows)[idx]);
          exec_reset(insert);
        } else {
          replies.write((*writes)[idx]);
        }
      }
      db.exec("COMMIT");
      if (per_txn == 1)
        latencies.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(
            bench_clock::now() - t0)
            .count());
    }
    auto seconds
      = std::chrono::duration<double>(bench_clock::now() - start).count();
    auto rate = static_cast<double>(count) / seconds;
    if (per_txn != 1)
      return {rate, -1, -1};
    return {rate, percentile_us(latencies, 0.50),
            percentile_us(latencies, 0.99)};
  } catch (const std::exception& e) {
    die(std::string{"raw SQLite: "} + e.what());
  }
}

} // namespace

std::vector<metric> storage_metrics(const workload_sizes& n) {
  auto window = with_commas(n.window) + " in flight";
  return {
    {"rows/s, " + window + " (raw: " + with_commas(n.storage_batch)
       + " per transaction)",
     figure_format::integer},
    {"p50 latency per save, " + window + " (µs)", figure_format::one_decimal},
    {"p99 latency per save, " + window + " (µs)", figure_format::one_decimal},
    {"rows/s, one in flight (raw: one per transaction)",
     figure_format::integer},
    {"p50 latency per save, one in flight (µs)", figure_format::one_decimal},
    {"p99 latency per save, one in flight (µs)", figure_format::one_decimal}};
}

void run_storage_workload(workload w, side s, const options& opt,
                          const figures_sink& sink) {
  auto& n = opt.sizes;
  auto rows = make_requests(std::max(n.storage_rows, n.storage_sequential_rows),
                            n.storage_entities);
  auto dir = make_temp_dir();
  auto many = dir + "/many.db";
  auto one = dir + "/one.db";
  std::vector<double> figures;
  if (s == side::cluster) {
    environment env{opt, side::bare};
    figures = cluster_run(env.system(), w, many, rows, n.storage_rows, n.window,
                          n.drivers);
    auto seq = cluster_run(env.system(), w, one, rows,
                           n.storage_sequential_rows, 1, 1);
    figures.insert(figures.end(), seq.begin(), seq.end());
  } else {
    figures = raw_run(w, many, rows, n.storage_rows, n.storage_batch);
    auto seq = raw_run(w, one, rows, n.storage_sequential_rows, 1);
    figures.insert(figures.end(), seq.begin(), seq.end());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  sink(figures);
}

double raw_request_ceiling(int64_t count, int64_t entities, int64_t per_txn) {
  auto rows = make_requests(count, entities);
  auto dir = make_temp_dir();
  auto figures = raw_run(workload::storage_requests, dir + "/raw.db", rows,
                         count, per_txn);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return figures[0];
}

std::string describe_storage(workload w, const workload_sizes& n) {
  auto shape = "request rows (entity type Counter, "
    + with_commas(n.storage_entities)
    + " entities in their shards of default:1-300, 16-byte "
      "payload, 19-digit request ids as primary keys) into a "
      "fresh SQLite file (WAL, synchronous=NORMAL)";
  auto sides = "caf-cluster = one row per save through the group-commit "
               "storage writer (an actor) over the SQLite message driver, "
    + with_commas(n.window) + " saves in flight from "
    + with_commas(std::min(n.drivers, n.window)) + " requesting actors, then "
    + with_commas(n.storage_sequential_rows)
    + " saves one at a time into another fresh file; the bare "
      "column is raw SQLiteCpp on the same tables with prepared "
      "statements, "
    + with_commas(n.storage_batch)
    + " rows per transaction, then one per transaction";
  if (w == workload::storage_requests)
    return "storage-requests: " + with_commas(n.storage_rows) + " " + shape
      + "; " + sides;
  return "storage-replies: " + with_commas(n.storage_rows)
    + " replies, each with the entity's durable state and fenced by "
      "the epoch of its shard's lease (acquired first through the "
      "SQLite runner driver on the same file), after saving as many "
    + shape + "; " + sides
    + " (raw, per reply: the epoch read, the reply insert, the request "
      "marked processed, the state upsert)";
}

} // namespace bench
