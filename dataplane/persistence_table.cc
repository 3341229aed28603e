#include "dataplane/persistence_table.h"

namespace sluice::dp {

PersistenceTable::PersistenceTable() : slots_(std::make_unique<Slot[]>(kSlots)) {}

uint32_t PersistenceTable::home(uint32_t service, uint32_t client) {
  const uint64_t key = (uint64_t{service} << 32) | client;
  return static_cast<uint32_t>((key * 0x9e3779b97f4a7c15ull) >> 48) & (kSlots - 1);
}

bool PersistenceTable::read(const Slot& s, Entry& out, uint32_t& sequence) const {
  sequence = s.sequence.load(std::memory_order_acquire);
  if (sequence & 1) return false;
  out = {s.service.load(std::memory_order_relaxed), s.client.load(std::memory_order_relaxed),
         s.server_id.load(std::memory_order_relaxed), s.expires.load(std::memory_order_relaxed)};
  // acquire fence: the field loads above happen before the second look at the sequence.
  std::atomic_thread_fence(std::memory_order_acquire);
  return s.sequence.load(std::memory_order_relaxed) == sequence;
}

bool PersistenceTable::write(Slot& s, const Entry& e, uint32_t sequence) {
  // From the sequence the decision was made on: had another writer been here since, its
  // entry (maybe another client's, maybe this client's with another server) would be lost.
  if (!s.sequence.compare_exchange_strong(sequence, sequence + 1, std::memory_order_acquire)) {
    return false;  // another writer has it, or had it: give up rather than wait
  }
  // release fence: a reader that sees a field store also sees the odd sequence before it.
  std::atomic_thread_fence(std::memory_order_release);
  s.service.store(e.service, std::memory_order_relaxed);
  s.client.store(e.client, std::memory_order_relaxed);
  s.server_id.store(e.server_id, std::memory_order_relaxed);
  s.expires.store(e.expires, std::memory_order_relaxed);
  s.sequence.store(sequence + 2, std::memory_order_release);  // publishes the fields
  return true;
}

std::optional<uint32_t> PersistenceTable::find(uint32_t service, uint32_t client,
                                               uint32_t now) const {
  const uint32_t start = home(service, client);
  for (uint32_t i = 0; i < kProbe; ++i) {
    Entry e;
    uint32_t sequence;
    if (!read(slots_[(start + i) & (kSlots - 1)], e, sequence)) continue;
    if (e.service == service && e.client == client) {
      if (static_cast<int32_t>(e.expires - now) <= 0) return std::nullopt;
      return e.server_id;
    }
  }
  return std::nullopt;
}

std::optional<PersistenceTable::Claim> PersistenceTable::decide(const Entry& e, uint32_t now) {
  const uint32_t start = home(e.service, e.client);
  std::optional<Claim> free_slot;
  for (uint32_t i = 0; i < kProbe; ++i) {
    Slot& s = slots_[(start + i) & (kSlots - 1)];
    Entry there;
    uint32_t sequence;
    if (!read(s, there, sequence)) return std::nullopt;  // may be this client's (see the header)
    if (there.service == e.service && there.client == e.client) return Claim{&s, sequence};
    const bool stale = there.service == 0 || static_cast<int32_t>(there.expires - now) <= 0;
    if (stale && !free_slot) free_slot = Claim{&s, sequence};
  }
  return free_slot;
}

bool PersistenceTable::record(const Entry& e, uint32_t now) {
  const std::optional<Claim> claim = decide(e, now);
  return claim && commit(*claim, e);
}

std::vector<PersistenceTable::Entry> PersistenceTable::entries(uint32_t now) const {
  std::vector<Entry> fresh;
  for (uint32_t i = 0; i < kSlots; ++i) {
    Entry e;
    uint32_t sequence;
    if (read(slots_[i], e, sequence) && e.service != 0 &&
        static_cast<int32_t>(e.expires - now) > 0) {
      fresh.push_back(e);
    }
  }
  return fresh;
}

uint32_t PersistenceTable::clear(uint32_t now) {
  uint32_t cleared = 0;
  for (uint32_t i = 0; i < kSlots; ++i) {
    Entry e;
    uint32_t sequence;
    // A slot a worker is writing, or wrote since the read, is left: it was recorded after
    // the clear.
    if (!read(slots_[i], e, sequence) || e.service == 0) continue;
    if (write(slots_[i], Entry{}, sequence) && static_cast<int32_t>(e.expires - now) > 0) {
      ++cleared;
    }
  }
  return cleared;
}

}  // namespace sluice::dp
