#include "dataplane/persistence_table.h"

#include <gtest/gtest.h>

#include <thread>

namespace sluice::dp {
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

TEST(PersistenceTable, StaleSlotsAreReusedAndFreshOnesAreNot) {
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

// Two workers recording and reading the same clients: every read is either a miss or a value
// some writer wrote, never a mix of two entries (bounded: 200,000 operations each).
TEST(PersistenceTable, ConcurrentWritersAndReadersNeverSeeTornEntries) {
  PersistenceTable t;
  const auto worker = [&t](uint32_t server) {
    for (uint32_t i = 0; i < 200'000; ++i) {
      const uint32_t client = i % 64;
      t.record({1, client, server, 1000 + server}, 10);
      if (const auto found = t.find(1, client, 10)) {
        ASSERT_TRUE(*found == 1 || *found == 2) << *found;
      }
    }
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  for (const Entry& e : t.entries(10)) {
    EXPECT_EQ(e.expires, 1000 + e.server_id);  // fields of one write, never of two
  }
}

}  // namespace
}  // namespace sluice::dp
