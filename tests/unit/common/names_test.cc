#include "common/names.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

// Every name parses back to its value, and the spellings are the YAML and CLI ones.
template <class Enum>
void expect_round_trip() {
  for (const Enum value : Vocabulary<Enum>::values) {
    EXPECT_EQ(from_name<Enum>(to_string(value)), value) << to_string(value);
  }
}

TEST(Names, EveryNameParsesBack) {
  expect_round_trip<Protocol>();
  expect_round_trip<Mode>();
  expect_round_trip<Scheduler>();
  expect_round_trip<AdminState>();
}

TEST(Names, SpellingsAndNumbers) {
  EXPECT_STREQ(to_string(Mode::snat), "snat");
  EXPECT_STREQ(to_string(Scheduler::maglev), "maglev");
  EXPECT_STREQ(to_string(AdminState::drain), "drain");
  EXPECT_EQ(static_cast<int>(Protocol::tcp), 6);  // packets carry the IP protocol number
  EXPECT_EQ(static_cast<int>(Protocol::udp), 17);
  EXPECT_EQ(expected_names<AdminState>(), "online, drain or halt");
  EXPECT_EQ(expected_names<Protocol>(), "tcp or udp");
}

TEST(Names, UnknownAndHostileNamesAreRefused) {
  const std::string names[] = {"",   "NAT",  "nat ", " nat", std::string("nat\0", 4),
                               "na", "natt", std::string(100000, 'a')};
  for (const std::string& name : names) {
    EXPECT_FALSE(from_name<Mode>(name)) << name.size();
  }
  EXPECT_STREQ(to_string(static_cast<Mode>(200)), "?");
}

}  // namespace
}  // namespace sluice
