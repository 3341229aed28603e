// Source-address persistence shared by every worker: which real server a (masked) client of a
// service last went to, so its next connection, on any port, protocol or worker, goes there
// too. Workers read and write it concurrently without locks and without ever waiting:
//   - each slot has a sequence word (a seqlock): odd while being written;
//   - a writer claims a slot with one compare-and-swap and simply gives up if another worker
//     holds it (the connection is still scheduled, only not recorded: persistence is a
//     preference, never a reason to wait);
//   - a reader that sees the word change under it treats the slot as a miss.
// Entries expire by time; stale slots are reused in place, so nothing ever sweeps the table.
// Thread safety: find/record from any worker; entries/clear from the control thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace sluice::dp {

class PersistenceTable {
 public:
  // 65,536 slots x 32 B = 2 MiB, preallocated; a client probes at most kProbe neighbouring
  // slots (one or two cache lines).
  static constexpr uint32_t kSlots = 1 << 16;
  static constexpr uint32_t kProbe = 4;

  struct Entry {
    uint32_t service;  // the service's persistence key (never 0)
    uint32_t client;   // masked client address, host byte order
    uint32_t server_id;
    uint32_t expires;  // worker clock, seconds
  };

  PersistenceTable();

  // The server recorded for (service, client), if its entry is still fresh at `now`.
  std::optional<uint32_t> find(uint32_t service, uint32_t client, uint32_t now) const;
  // Records or refreshes; false when every probed slot was busy or held by fresh entries of
  // other clients.
  bool record(const Entry& e, uint32_t now);

  // Control thread: every fresh entry (a consistent copy of each).
  std::vector<Entry> entries(uint32_t now) const;
  // Control thread: forgets everything. Returns how many fresh entries there were.
  uint32_t clear(uint32_t now);

 private:
  struct alignas(32) Slot {
    std::atomic<uint32_t> sequence{0};
    // Relaxed atomics: the sequence word orders them, the type keeps the race well defined.
    std::atomic<uint32_t> service{0}, client{0}, server_id{0}, expires{0};
  };
  static uint32_t home(uint32_t service, uint32_t client);
  bool read(const Slot& s, Entry& out) const;  // false: being written, or changed meanwhile
  bool write(Slot& s, const Entry& e);         // false: another writer holds it

  std::unique_ptr<Slot[]> slots_;

  friend struct PersistenceTableProbe;  // tests/unit: holds a slot as a writer would
};

}  // namespace sluice::dp
