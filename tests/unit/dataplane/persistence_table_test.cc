#include "dataplane/persistence_table.h"

#include <gtest/gtest.h>

#include <thread>

namespace sluice::dp {

// Plays a writer that is half way through a slot (sequence odd), which a concurrent test on
// two cores cannot be relied on to catch in the act.
struct PersistenceTableProbe {
  static std::atomic<uint32_t>& sequence_of(PersistenceTable& t, uint32_t service,
                                            uint32_t client) {
    return t.slots_[PersistenceTable::home(service, client)].sequence;
  }
};

namespace {

using Entry = PersistenceTable::Entry;

TEST(PersistenceTable, FindsWhatWasRecordedUntilItExpires) {
  PersistenceTable t;
  ASSERT_TRUE(t.record({7, 0xc6120032, 3, 100}, 10));
  EXPECT_EQ(t.find(7, 0xc6120032, 99), 3u);
  EXPECT_FALSE(t.find(7, 0xc6120032, 100));  // expired
  EXPECT_FALSE(t.find(8, 0xc6120032, 50));   // another service
  EXPECT_FALSE(t.find(7, 0xc6120033, 50));   // another client
}

TEST(PersistenceTable, RecordingAgainRefreshesAndMoves) {
  PersistenceTable t;
  t.record({7, 1, 3, 100}, 10);
  t.record({7, 1, 4, 200}, 50);
  EXPECT_EQ(t.find(7, 1, 150), 4u);
  EXPECT_EQ(t.entries(150).size(), 1u);  // refreshed in place, not a second entry
}

TEST(PersistenceTable, ClearForgetsEveryFreshEntry) {
  PersistenceTable t;
  // Fill every probe slot of one home with fresh entries of clients that share it.
  int recorded = 0;
  for (uint32_t client = 0; client < 2'000'000 && recorded < 200; ++client) {
    if (t.record({9, client, 1, 100}, 10)) ++recorded;
  }
  EXPECT_EQ(t.entries(10).size(), 200u);
  EXPECT_EQ(t.clear(10), 200u);
  EXPECT_TRUE(t.entries(10).empty());
  EXPECT_FALSE(t.find(9, 0, 10));
}

TEST(PersistenceTable, ATableFullOfFreshEntriesRefusesWithoutWaiting) {
  PersistenceTable t;
  uint32_t refused = 0;
  // More clients than slots: some homes run out of fresh-free probe slots.
  for (uint32_t client = 0; client < PersistenceTable::kSlots * 2; ++client) {
    if (!t.record({5, client, 1, 1000}, 10)) ++refused;
  }
  EXPECT_GT(refused, 0u);
  EXPECT_LE(t.entries(10).size(), PersistenceTable::kSlots);
  // Once they expire, the slots take new clients again.
  EXPECT_TRUE(t.record({5, 0xffffff, 2, 3000}, 1000));
}

TEST(PersistenceTable, ASlotBeingWrittenIsNeitherReadNorClaimed) {
  PersistenceTable t;
  ASSERT_TRUE(t.record({7, 1, 3, 100}, 10));
  std::atomic<uint32_t>& sequence = PersistenceTableProbe::sequence_of(t, 7, 1);
  const uint32_t settled = sequence.load();
  sequence.store(settled + 1);                // a writer holds it
  EXPECT_FALSE(t.find(7, 1, 50));             // a half-written entry is a miss
  EXPECT_TRUE(t.record({7, 1, 4, 200}, 50));  // goes to the next probe slot instead
  EXPECT_EQ(t.find(7, 1, 50), 4u);
  sequence.store(settled + 2);      // the writer is done: the old entry is visible again
  EXPECT_EQ(t.find(7, 1, 50), 3u);  // the home slot is probed first
}

// Two workers record the same clients while the control thread reads the whole table: every
// entry it sees must be one write's fields (a writer records expires = 1000 + server). A stress
// check: on two cores it rarely meets a write in progress, which the test above covers. The writers
// keep going until the scans end (bounded: at most 20 million writes each; 300 full scans).
TEST(PersistenceTable, ConcurrentWritersAndAReaderStayConsistent) {
  PersistenceTable t;
  std::atomic<bool> done{false};
  const auto writer = [&t, &done](uint32_t server) {
    for (uint32_t i = 0; i < 20'000'000 && !done.load(std::memory_order_relaxed); ++i) {
      t.record({1, i % 64, server, 1000 + server}, 10);
    }
  };
  std::thread a(writer, 1), b(writer, 2);
  size_t seen = 0;
  for (int scan = 0; scan < 300; ++scan) {
    for (const Entry& e : t.entries(10)) {
      ASSERT_TRUE(e.server_id == 1 || e.server_id == 2) << e.server_id;
      ASSERT_EQ(e.expires, 1000 + e.server_id);
      ++seen;
    }
  }
  done.store(true);
  a.join();
  b.join();
  EXPECT_GT(seen, 0u);
  for (uint32_t client = 0; client < 64; ++client) {
    const auto found = t.find(1, client, 10);
    ASSERT_TRUE(found);
    EXPECT_TRUE(*found == 1 || *found == 2);
  }
}

}  // namespace
}  // namespace sluice::dp
