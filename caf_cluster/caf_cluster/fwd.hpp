// Forward declarations of caf-cluster's public types, for headers that only
// name them (as CAF's own caf/fwd.hpp does).
#pragma once

#include <cstdint>

namespace caf_cluster {

// -- classes ------------------------------------------------------------------

class cluster_config;
class entity_context;
class manual_wall_clock;
class memory_network;
class message_storage;
class sharding;
class snowflake;
class snowflake_generator;
class system_wall_clock;
class transport;
class wall_clock;

// -- structs ------------------------------------------------------------------

struct entity_address;
struct entity_options;
struct entity_type_counters;
struct entity_type_metrics;
struct metrics_snapshot;
struct persisted_message;
struct reply_to_store;
struct ring_node;
struct runner_address;
struct runner_options;
struct shard_id;
struct sharding_config;
struct store_outcome;
struct stored_send;

// -- templates ----------------------------------------------------------------

template <class Interface, class State>
class entity;

template <class Interface>
class entity_client;

template <class Interface>
class singleton_client;

template <class Waiter>
class reply_waiters;

// -- enums --------------------------------------------------------------------

enum class errc : uint8_t;

// -- storage ------------------------------------------------------------------

namespace storage {

class message_driver;
class runner_driver;

struct fence;
struct lease_row;
struct reply_row;
struct reply_write;
struct request_row;
struct runner_row;
struct save_outcome;
struct state_row;

} // namespace storage

// -- what public templates need ---------------------------------------------

namespace detail {

class send_path;

struct delivery;
struct entity_send;

} // namespace detail

} // namespace caf_cluster
