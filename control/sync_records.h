// Connections and persistence entries as the data plane holds them and as HA sync carries
// them (control/ha/sync_packet.h), both ways. Addresses and ports go from network order to
// IpAddress and host order; expiry from the worker's clock to seconds left, and back.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>

#include "control/ha/sync_packet.h"
#include "dataplane/messages.h"
#include "dataplane/persistence_table.h"

namespace sluice::control {

// A connection of a worker whose clock read `worker_now` when it reported it.
ha::SyncConnection sync_record(const dp::ConnRecord& record, uint32_t worker_now,
                               ha::SyncEvent event);
// The connection to insert, its server our `server_id`, `expires` the seconds it has left (as
// insert_connection takes it); nullopt when the record's TCP state is none of ours.
std::optional<dp::ConnRecord> learnt_record(const ha::SyncConnection& s, uint32_t server_id);

ha::SyncPersistence sync_record(const dp::PersistenceTable::Entry& e, uint32_t worker_now);
// `expires` in seconds left, the server our `server_id`.
dp::PersistenceTable::Entry learnt_entry(const ha::SyncPersistence& s, uint32_t server_id);

}  // namespace sluice::control
