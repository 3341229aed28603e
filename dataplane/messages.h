// Typed messages between the control thread and one worker, both ways. Each direction is one
// single-producer single-consumer rte_ring whose elements are the messages themselves
// (rte_ring_create_elem): a message is copied in and out whole, so neither side ever reads
// memory the other may still write, and nothing is cast from a void*.
//
//   control -> worker   dump_connections (a snapshot of the table, answered in records and a
//                       dump_done), insert_connection (a connection learnt elsewhere, e.g. from
//                       the HA peer: inserted or updated), flush_connections (forget them all)
//   worker -> control   connection (a dump record), dump_done, connection_created,
//                       connection_changed (its TCP state moved) and connection_closed
//                       (events, sent only while `connection_events` is on: HA sync)
//
// A worker serves control messages in order, one at a time, a bounded amount of work per
// loop. Dump records wait while the reply ring is full (the dump resumes next loop); events
// never wait: when the ring is full they are dropped and counted (events_dropped).
#pragma once

#include <cstdint>

#include "dataplane/conn_table.h"

namespace sluice::dp {

// A connection of either family, as messages carry it.
struct ConnRecord {
  bool ipv6 = false;
  Conn conn{};    // when !ipv6
  Conn6 conn6{};  // when ipv6
};

enum class ToWorker : uint8_t { dump_connections, insert_connection, flush_connections };

struct alignas(8) ControlMessage {
  ToWorker type = ToWorker::dump_connections;
  uint32_t request = 0;  // echoed in the replies, so stale replies of an abandoned request
                         // are told apart from the current one's
  uint32_t limit = 0;    // dump_connections: records at most
  ConnRecord record;     // insert_connection
};

enum class FromWorker : uint8_t {
  connection,
  dump_done,
  connection_created,
  connection_changed,
  connection_closed
};

struct alignas(8) WorkerMessage {
  FromWorker type = FromWorker::connection;
  uint16_t worker = 0;
  uint32_t request = 0;  // connection, dump_done: the request they answer
  uint32_t now = 0;      // the worker's clock when it was sent (expiry times are on it)
  ConnRecord record;     // connection and the connection_* events
};

// rte_ring element sizes must be multiples of 4 bytes.
static_assert(sizeof(ControlMessage) % 4 == 0);
static_assert(sizeof(WorkerMessage) % 4 == 0);

// Ring sizes (entries; rte_ring keeps one free). 1024 replies of ~170 bytes: 170 KiB per
// worker, enough for a dump to stream at one ring per control-loop turn.
inline constexpr unsigned kToWorkerRingSize = 256;
inline constexpr unsigned kFromWorkerRingSize = 1024;

}  // namespace sluice::dp
