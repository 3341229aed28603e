// The log's line shape, its levels, the per-event rate limit (on an injected clock), the
// journal's stream detection and DPDK's levels.
#include "control/log.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "control/log_dpdk.h"
#include "control/log_stderr.h"

namespace sluice::control {
namespace {

struct Captured {
  std::vector<std::pair<LogLevel, std::string>> lines;
  uint64_t now_ms = 1'000'000;
  Logger logger{[this](LogLevel l, std::string_view line) { lines.emplace_back(l, line); },
                [this] { return now_ms; }};
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& [level, line] : lines) out.push_back(line);
    return out;
  }
};

TEST(Log, OneLineWithLevelEventAndFields) {
  Captured c;
  c.logger.warning("mtu_not_set", {{"interface", "front"}, {"mtu", 9000u}, {"error", "Operation not supported"}});
  ASSERT_EQ(c.lines.size(), 1u);
  EXPECT_EQ(c.lines[0].first, LogLevel::warning);
  EXPECT_EQ(c.lines[0].second,
            "level=warning event=mtu_not_set interface=front mtu=9000 error=\"Operation not supported\"");
}

TEST(Log, EmptyValuesAreLeftOut) {
  const LogField fields[] = {{"service", "web"}, {"server", ""}, {"to", "up"}};
  EXPECT_EQ(format_fields("health", fields), "event=health service=web to=up");
}

TEST(Log, HostileValuesStayOnOneLineAndFakeNoKey) {
  EXPECT_EQ(log_value("plain"), "plain");
  EXPECT_EQ(log_value(""), "\"\"");
  EXPECT_EQ(log_value("a=b"), "\"a=b\"");
  EXPECT_EQ(log_value("said \"hi\"\nlevel=error event=fake\\"),
            "\"said \\\"hi\\\"\\x0alevel=error event=fake\\\\\"");
  EXPECT_EQ(log_value(std::string("nul\0del\x7f", 8)), "\"nul\\x00del\\x7f\"");
}

TEST(Log, LevelsBelowTheSetOneAreNotWritten) {
  Captured c;
  c.logger.set_level(LogLevel::warning);
  c.logger.error("a");
  c.logger.warning("b");
  c.logger.notice("c");
  c.logger.info("d");
  c.logger.pass(LogLevel::notice, "event=e");
  EXPECT_EQ(c.texts(), (std::vector<std::string>{"level=error event=a", "level=warning event=b"}));
  c.logger.set_level(LogLevel::debug);
  c.logger.log(LogLevel::debug, "f");
  c.logger.info("g");
  EXPECT_EQ(c.lines.size(), 4u);
  EXPECT_EQ(c.lines[2].second, "level=debug event=f");
}

TEST(Log, DefaultLevelIsNotice) {
  Captured c;
  c.logger.info("hidden");
  c.logger.notice("shown");
  EXPECT_EQ(c.texts(), std::vector<std::string>{"level=notice event=shown"});
}

TEST(Log, WarningsAreLimitedPerEventAndTheRestCounted) {
  Captured c;
  for (int i = 0; i < 25; ++i) c.logger.warning("agent_unknown_word", {{"n", i}});
  c.logger.warning("other");  // another event has its own budget
  ASSERT_EQ(c.lines.size(), Logger::kLimitBurst + 1);
  EXPECT_EQ(c.lines[Logger::kLimitBurst - 1].second,
            "level=warning event=agent_unknown_word n=" + std::to_string(Logger::kLimitBurst - 1));
  EXPECT_EQ(c.lines.back().second, "level=warning event=other");

  c.now_ms += Logger::kLimitWindowMs - 1;  // still the same window
  c.logger.warning("agent_unknown_word", {{"n", 99}});
  EXPECT_EQ(c.lines.size(), Logger::kLimitBurst + 1);

  c.now_ms += 1;  // a new window: the count first, then the line
  c.logger.warning("agent_unknown_word", {{"n", 100}});
  ASSERT_EQ(c.lines.size(), Logger::kLimitBurst + 3);
  EXPECT_EQ(c.lines[Logger::kLimitBurst + 1].second,
            "level=warning event=log_suppressed of=agent_unknown_word count=16");
  EXPECT_EQ(c.lines[Logger::kLimitBurst + 2].second, "level=warning event=agent_unknown_word n=100");

  c.now_ms += Logger::kLimitWindowMs;  // nothing suppressed in the last window: no count line
  c.logger.warning("agent_unknown_word");
  EXPECT_EQ(c.lines.back().second, "level=warning event=agent_unknown_word");
  EXPECT_EQ(c.lines.size(), Logger::kLimitBurst + 4);
}

TEST(Log, ErrorsAreLimitedNoticesAndPassedLinesAreNot) {
  Captured c;
  for (uint32_t i = 0; i < 2 * Logger::kLimitBurst; ++i) c.logger.error("sync_socket");
  EXPECT_EQ(c.lines.size(), Logger::kLimitBurst);
  c.lines.clear();
  // Notices are state changes, each logged once by design; events and DPDK's lines come
  // through pass().
  for (uint32_t i = 0; i < 2 * Logger::kLimitBurst; ++i) c.logger.notice("started");
  for (uint32_t i = 0; i < 2 * Logger::kLimitBurst; ++i) c.logger.pass(LogLevel::warning, "event=dpdk");
  EXPECT_EQ(c.lines.size(), 4 * Logger::kLimitBurst);
}

TEST(Log, JournalStreamIsTheDeviceAndInodeOfTheDescriptor) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  struct stat st {};
  ASSERT_EQ(fstat(fds[0], &st), 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  EXPECT_TRUE(is_journal_stream(mine.c_str(), fds[0]));
  EXPECT_FALSE(is_journal_stream(mine.c_str(), fds[1]));  // another socket, another inode
  EXPECT_FALSE(is_journal_stream(nullptr, fds[0]));
  EXPECT_FALSE(is_journal_stream("", fds[0]));
  EXPECT_FALSE(is_journal_stream((mine + "x").c_str(), fds[0]));
  EXPECT_FALSE(is_journal_stream(std::to_string(st.st_dev).c_str(), fds[0]));
  close(fds[0]);
  close(fds[1]);
}

std::string drain(int fd) {
  std::string got;
  char buf[65536];
  ssize_t n = 0;
  while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) got.append(buf, static_cast<size_t>(n));
  return got;
}

TEST(Log, JournalLinesCarryTheirPriority) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  StderrSink sink(fds[0], true);
  sink(LogLevel::warning, "level=warning event=x");
  sink(LogLevel::debug, "level=debug event=y");
  EXPECT_EQ(drain(fds[1]), "<4>level=warning event=x\n<7>level=debug event=y\n");
  StderrSink plain(fds[0], false);
  plain(LogLevel::error, "level=error event=z");
  EXPECT_EQ(drain(fds[1]), "level=error event=z\n");
  close(fds[0]);
  close(fds[1]);
}

// A journal that does not read: lines are dropped, not waited for, and counted once it reads.
TEST(Log, AFullJournalNeverBlocksAndLostLinesAreCounted) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  const int small = 4096;
  ASSERT_EQ(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  StderrSink sink(fds[0], true);
  const std::string line = "level=notice event=fill " + std::string(200, 'x');
  for (int i = 0; i < 2000; ++i) sink(LogLevel::notice, line);  // would hang if it waited
  const uint64_t lost = sink.lost();
  EXPECT_GT(lost, 0u);
  const std::string got = drain(fds[1]);
  sink(LogLevel::notice, "level=notice event=after");
  EXPECT_EQ(sink.lost(), 0u);
  EXPECT_EQ(drain(fds[1]), "<4>level=warning event=log_lost count=" + std::to_string(lost) +
                               "\n<5>level=notice event=after\n");
  // Whole lines only: what went through is a run of complete lines.
  EXPECT_EQ(got.size() % (line.size() + 4), 0u);
  close(fds[0]);
  close(fds[1]);
}

TEST(Log, DpdkLevelsMapBothWays) {
  EXPECT_EQ(dpdk_log_level(LogLevel::error), 4);    // RTE_LOG_ERR
  EXPECT_EQ(dpdk_log_level(LogLevel::notice), 6);   // RTE_LOG_NOTICE
  EXPECT_EQ(dpdk_log_level(LogLevel::debug), 8);    // RTE_LOG_DEBUG
  EXPECT_EQ(from_dpdk_log_level(1), LogLevel::error);  // RTE_LOG_EMERG
  EXPECT_EQ(from_dpdk_log_level(5), LogLevel::warning);
  EXPECT_EQ(from_dpdk_log_level(7), LogLevel::info);
  EXPECT_EQ(from_dpdk_log_level(8), LogLevel::debug);
  for (const LogLevel l : Vocabulary<LogLevel>::values) {
    EXPECT_EQ(from_dpdk_log_level(dpdk_log_level(l)), l);
  }
}

TEST(Log, LevelNamesAreTheOptionsWords) {
  EXPECT_EQ(from_name<LogLevel>("warning"), LogLevel::warning);
  EXPECT_EQ(from_name<LogLevel>("warn"), std::nullopt);
  EXPECT_EQ(expected_names<LogLevel>(), "error, warning, notice, info or debug");
}

}  // namespace
}  // namespace sluice::control
