// The operator's saved states: written and read back, and a damaged file refused with why.
#include "control/admin_state_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/ip_text.h"

namespace sluice::control {
namespace {

class AdminStateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("sluice-state-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "sluiced.state").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(path_) << text; }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(AdminStateFileTest, LivesNextToTheSocket) {
  EXPECT_EQ(admin_state_path("/run/sluice/sluiced.sock"), "/run/sluice/sluiced.state");
}

TEST_F(AdminStateFileTest, AMissingFileIsNoOverrides) {
  Result<Overrides> r = read_admin_state(path_);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r.value().empty());
}

TEST_F(AdminStateFileTest, WhatIsWrittenIsReadBack) {
  Overrides o;
  o[{"web", parse_ip("198.18.1.21").value(), 8080, false}] = {AdminState::drain, std::nullopt};
  o[{"web", parse_ip("2001:db8::5").value(), 0, false}] = {std::nullopt, 7};
  o[{"web", parse_ip("198.18.1.22").value(), 0, false}] = {std::nullopt, std::nullopt};  // nothing
  ASSERT_TRUE(write_admin_state(path_, o));
  Result<Overrides> back = read_admin_state(path_);
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back.value().size(), 2u);
  const Override& drained = back.value().at({"web", parse_ip("198.18.1.21").value(), 8080, false});
  EXPECT_EQ(drained.state, AdminState::drain);
  EXPECT_FALSE(drained.weight);
  EXPECT_EQ(back.value().at({"web", parse_ip("2001:db8::5").value(), 0, false}).weight, 7u);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".new"));
}

TEST_F(AdminStateFileTest, DamagedFilesAreRefusedWithWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not a state file"},
      {"{\"servers\": [", "not a state file"},
      {"[1, 2]", "not a state file"},
      {"{\"servers\": [42]}", "servers[0]: an entry is not an object"},
      {"{\"servers\": [{\"service\": \"web\", \"address\": \"198.18.1.21\"}]}",
       "servers[0]: an entry lacks service, address or port"},
      {"{\"servers\": [{\"service\": \"web\", \"address\": \"nope\", \"port\": 1}]}",
       "servers[0]: bad address nope"},
      {"{\"servers\": [{\"service\": \"web\", \"address\": \"198.18.1.21\", \"port\": 70000}]}",
       "servers[0]: an entry lacks service, address or port"},
      {"{\"servers\": [{\"service\": \"web\", \"address\": \"198.18.1.21\", \"port\": 1, "
       "\"state\": \"asleep\"}]}",
       "servers[0]: bad state"},
      {"{\"servers\": [{\"service\": \"web\", \"address\": \"198.18.1.21\", \"port\": 1, "
       "\"weight\": -1}]}",
       "servers[0]: bad weight"},
  };
  for (const auto& [text, why] : cases) {
    write(text);
    Result<Overrides> r = read_admin_state(path_);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().find(why), std::string::npos) << r.error();
  }
  write(std::string(2 << 20, ' '));
  Result<Overrides> big = read_admin_state(path_);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().find("larger than 1 MiB"), std::string::npos);
}

}  // namespace
}  // namespace sluice::control
