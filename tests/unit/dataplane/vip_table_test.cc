#include "dataplane/vip_table.h"

#include <gtest/gtest.h>

namespace sluice::dp {
namespace {

TEST(VipTable, FindsEveryInsertedKeyAndNothingElse) {
  VipTable t;
  for (uint32_t i = 0; i < 500; ++i) {
    ASSERT_TRUE(t.insert(0xc6120000 + i, static_cast<uint16_t>(80 + i % 3), 6, i));
  }
  t.seal();
  for (uint32_t i = 0; i < 500; ++i) {
    EXPECT_EQ(t.find(0xc6120000 + i, static_cast<uint16_t>(80 + i % 3), 6), i);
    EXPECT_EQ(t.find(0xc6120000 + i, static_cast<uint16_t>(80 + i % 3), 17), VipTable::kNone);
    EXPECT_EQ(t.find(0xc6120000 + i, 443, 6), VipTable::kNone);
    EXPECT_TRUE(t.is_vip_address(0xc6120000 + i));
  }
  EXPECT_FALSE(t.is_vip_address(0xc6130000));
  EXPECT_FALSE(t.is_vip_address(0));  // 0 marks empty slots; it is never a VIP
}

TEST(VipTable, RefusesADuplicateKey) {
  VipTable t;
  EXPECT_TRUE(t.insert(1, 80, 6, 0));
  EXPECT_TRUE(t.insert(1, 80, 17, 1));
  EXPECT_FALSE(t.insert(1, 80, 6, 2));
  t.seal();
  EXPECT_EQ(t.find(1, 80, 6), 0u);
  EXPECT_EQ(t.find(1, 80, 17), 1u);
}

TEST(VipTable, EmptyTableFindsNothing) {
  VipTable t;
  EXPECT_EQ(t.find(1, 80, 6), VipTable::kNone);
  EXPECT_FALSE(t.is_vip_address(1));
  t.seal();
  EXPECT_EQ(t.find(1, 80, 6), VipTable::kNone);
}

}  // namespace
}  // namespace sluice::dp
