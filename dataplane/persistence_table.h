// Source-address persistence shared by every worker: which real server a (masked) client of a
// service last went to, so its next connection, on any port, protocol or worker, goes there
// too. Workers read and write it concurrently without locks and without ever waiting:
//   - each slot has a sequence word (a seqlock): odd while being written;
//   - a writer decides on a slot from what it read and claims it with one compare-and-swap
//     from the sequence it read, so a slot another worker wrote in between is not
//     overwritten: the claim fails and the record gives up (the connection is still
//     scheduled, only not recorded: persistence is a preference, never a reason to wait);
//   - a record that meets a slot being written gives up too: that slot may be the same
//     client's entry, and claiming another slot would leave the client two entries;
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
  // A slot record() chose, and the sequence it had when its entry was read.
  struct Claim {
    Slot* slot;
    uint32_t sequence;
  };
  static uint32_t home(uint32_t service, uint32_t client);
  // false: being written, or changed meanwhile; else `sequence` is the one the copy is of.
  bool read(const Slot& s, Entry& out, uint32_t& sequence) const;
  // false: the slot is no longer at `sequence` (written, or being written, by another).
  static bool write(Slot& s, const Entry& e, uint32_t sequence);
  // record() in its two steps, which tests interleave as two workers could: the slot for
  // `e` (its own entry, else the first stale one), then the write, only if that slot has
  // not changed since.
  std::optional<Claim> decide(const Entry& e, uint32_t now);
  static bool commit(const Claim& c, const Entry& e) { return write(*c.slot, e, c.sequence); }

  std::unique_ptr<Slot[]> slots_;

  friend struct PersistenceTableProbe;  // tests/unit: holds a slot, interleaves writers
};

}  // namespace sluice::dp
