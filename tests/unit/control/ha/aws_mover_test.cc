// The AWS mode's take-over on the event loop (control/ha/aws_mover.cc) against
// tests/e2e/aws_standin.py, started for each test on 127.0.0.1 (a port of the kernel's
// choosing; nothing leaves the loopback). The stand-in serves the metadata service and EC2,
// checks every EC2 signature with Python's hmac, and logs each request as a JSON line, which
// is what these tests read: the calls and their order, the signatures, retries and their
// spacing, what was given up, what a cancel stopped, what was fetched once.
#include "control/ha/aws_mover.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/ip_text.h"
#include "tests/support/loop_pump.h"

namespace sluice::control::ha {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr char kStandIn[] = SLUICE_SOURCE_DIR "/tests/e2e/aws_standin.py";
constexpr char kInstanceId[] = "i-0123456789abcdef0";  // the stand-in's
constexpr char kEni[] = "eni-0123456789abcdef0";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "aws_mover.XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The stand-in's requests of one kind ("imds", "ec2") as it logged them, in order.
std::vector<json> of_kind(const std::vector<json>& log, const std::string& kind) {
  std::vector<json> out;
  for (const json& entry : log) {
    if (entry["kind"] == kind) out.push_back(entry);
  }
  return out;
}

std::vector<std::string> field(const std::vector<json>& entries, const char* name) {
  std::vector<std::string> out;
  for (const json& e : entries)
    out.push_back(e[name].is_string() ? e[name].get<std::string>() : e[name].dump());
  return out;
}

class AwsMoverTest : public testing::Test {
 protected:
  ~AwsMoverTest() override { stop(); }

  // Starts the stand-in with `args` besides its address, port file and log; waits for its port.
  void start(const std::vector<std::string>& args = {}) {
    std::vector<std::string> all = {
        "python3", kStandIn,      "--listen",        "127.0.0.1", "--port",
        "0",       "--port-file", dir_.file("port"), "--log",     dir_.file("log")};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&standin_, "python3", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0) << "python3 did not start";
    const auto end = Clock::now() + 10s;
    while (port_ == 0 && Clock::now() < end) {
      std::ifstream in(dir_.file("port"));
      in >> port_;
      if (port_ == 0) std::this_thread::sleep_for(20ms);
    }
    ASSERT_NE(port_, 0) << "the stand-in wrote no port";
  }

  void stop() {
    if (standin_ == 0) return;
    kill(standin_, SIGTERM);
    waitpid(standin_, nullptr, 0);
    standin_ = 0;
  }

  ServiceUrl standin_url() const { return {false, "127.0.0.1:" + std::to_string(port_)}; }

  AwsSettings settings(uint32_t max_attempts = 5) const {
    AwsSettings s;
    s.endpoint = standin_url();
    s.metadata = standin_url();
    s.max_attempts = max_attempts;
    return s;
  }

  static AwsMoves moves() {
    AwsMoves m;
    m.interface_id = kEni;
    m.private_addresses = {parse_ip("198.18.0.10").value(), parse_ip("198.18.0.11").value()};
    m.elastic_ips = {{"eipalloc-0123456789abcdef0", parse_ip("198.18.0.10").value()}};
    m.routes = {{"rtb-15127270", parse_prefix("0.0.0.0/0").value()}};
    return m;
  }

  void pump_until(const std::function<bool()>& done) { control::pump_until(loop_, done, 20s); }
  void pump_for(std::chrono::milliseconds span) { control::pump_for(loop_, span); }

  // The reports of `instance` so far.
  std::vector<AwsReport> reports_of(const std::string& instance) const {
    std::vector<AwsReport> out;
    for (const AwsReport& r : reports_) {
      if (r.instance == instance) out.push_back(r);
    }
    return out;
  }
  bool ended(const std::string& instance) const {
    for (const AwsReport& r : reports_) {
      if (r.instance == instance && r.call == "take-over") return true;
    }
    return false;
  }

  // Takes `instance` over and runs the loop until the take-over's last report.
  AwsReport take_over(const std::string& instance, const AwsSettings& s,
                      AwsMover* mover = nullptr) {
    const size_t before = reports_of(instance).size();
    (mover != nullptr ? *mover : mover_).take_over(instance, moves(), s);
    EXPECT_EQ(reports_of(instance).size(), before) << "reported from inside take_over";
    pump_until([&] { return ended(instance); });
    const std::vector<AwsReport> mine = reports_of(instance);
    if (mine.empty() || mine.back().call != "take-over") {
      ADD_FAILURE() << instance << ": no end of its take-over within 20 s";
      return {};
    }
    return mine.back();
  }

  // What the stand-in logged, every line a request.
  std::vector<json> log() const {
    std::vector<json> out;
    std::ifstream in(dir_.file("log"));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
  std::vector<json> ec2() const { return of_kind(log(), "ec2"); }
  std::vector<json> ec2(const std::string& action) const {
    std::vector<json> out;
    for (const json& e : ec2()) {
      if (e["action"] == action) out.push_back(e);
    }
    return out;
  }
  std::vector<json> imds() const { return of_kind(log(), "imds"); }

  TempDir dir_;
  pid_t standin_ = 0;
  uint16_t port_ = 0;
  EventLoop loop_;  // before the movers: it outlives everything on it
  std::vector<AwsReport> reports_;
  AwsMover mover_{loop_, [this](const AwsReport& r) { reports_.push_back(r); }};
};

// ---- the calls ----

TEST_F(AwsMoverTest, MetadataThenTheCallsInOrderEachSignatureVerified) {
  start();
  const AwsReport last = take_over("front", settings());
  EXPECT_EQ(last.outcome, AwsOutcome::ok);
  EXPECT_EQ(last.result, "3 calls done");
  EXPECT_EQ(last.what, std::string(kInstanceId) + " in eu-west-1");

  const std::vector<json> metadata = imds();
  EXPECT_EQ(field(metadata, "path"),
            (std::vector<std::string>{"/latest/api/token", "/latest/meta-data/placement/region",
                                      "/latest/meta-data/instance-id",
                                      "/latest/meta-data/iam/security-credentials/",
                                      "/latest/meta-data/iam/security-credentials/sluice-ha"}));
  for (const json& e : metadata) EXPECT_TRUE(e["token_ok"].get<bool>()) << e.dump();

  const std::vector<json> calls = ec2();
  EXPECT_EQ(field(calls, "action"), (std::vector<std::string>{"AssignPrivateIpAddresses",
                                                              "AssociateAddress", "ReplaceRoute"}));
  for (const json& e : calls) {
    EXPECT_TRUE(e["signature_ok"].get<bool>()) << e.dump();
    EXPECT_EQ(e["status"], 200) << e.dump();
  }
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0]["params"], json({{"NetworkInterfaceId", kEni},
                                      {"AllowReassignment", "true"},
                                      {"PrivateIpAddress.1", "198.18.0.10"},
                                      {"PrivateIpAddress.2", "198.18.0.11"}}));
  EXPECT_EQ(calls[1]["params"], json({{"AllocationId", "eipalloc-0123456789abcdef0"},
                                      {"NetworkInterfaceId", kEni},
                                      {"PrivateIpAddress", "198.18.0.10"},
                                      {"AllowReassociation", "true"}}));
  EXPECT_EQ(calls[2]["params"], json({{"RouteTableId", "rtb-15127270"},
                                      {"DestinationCidrBlock", "0.0.0.0/0"},
                                      {"NetworkInterfaceId", kEni}}));

  std::vector<std::string> reported;
  for (const AwsReport& r : reports_of("front")) {
    reported.push_back(r.call + " " + r.result);
    EXPECT_EQ(r.attempt, r.call == "take-over" ? 0u : 1u) << r.call;
  }
  EXPECT_EQ(reported,
            (std::vector<std::string>{
                "metadata token ok", "metadata region ok", "metadata instance-id ok",
                "metadata role ok", "metadata credentials ok", "AssignPrivateIpAddresses ok",
                "AssociateAddress ok", "ReplaceRoute ok", "take-over 3 calls done"}));
  const AwsCounters c = mover_.counters("front");
  EXPECT_EQ(c.calls, 8u);
  EXPECT_EQ(c.retries, 0u);
  EXPECT_EQ(c.failures, 0u);
  EXPECT_FALSE(c.moving);
}

// The stand-in's check is real: credentials served with another secret sign every call wrong,
// and a 403 AuthFailure is a client error: each call is given up at once.
TEST_F(AwsMoverTest, ABadSignatureIsRefusedAndGivenUpAtOnce) {
  start({"--wrong-secret"});
  const AwsReport last = take_over("front", settings());
  EXPECT_EQ(last.outcome, AwsOutcome::failed);
  EXPECT_EQ(last.result, "3 of 3 calls failed");
  const std::vector<json> calls = ec2();
  ASSERT_EQ(calls.size(), 3u);
  for (const json& e : calls) {
    EXPECT_FALSE(e["signature_ok"].get<bool>()) << e.dump();
    EXPECT_EQ(e["code"], "AuthFailure");
  }
  const std::vector<AwsReport> reports = reports_of("front");
  ASSERT_GE(reports.size(), 2u);
  EXPECT_EQ(reports[reports.size() - 2].result, "HTTP 403 AuthFailure: signature does not match");
  EXPECT_EQ(mover_.counters("front").failures, 3u);
}

// ---- retries ----

TEST_F(AwsMoverTest, ServerErrorsAreRetriedWithGrowingBackoff) {
  start({"--fail", "AssignPrivateIpAddresses:503,503"});
  EXPECT_EQ(take_over("front", settings()).result, "3 calls done");
  const std::vector<json> assigns = ec2("AssignPrivateIpAddresses");
  ASSERT_EQ(assigns.size(), 3u);
  EXPECT_EQ(field(assigns, "status"), (std::vector<std::string>{"503", "503", "200"}));
  // 250 ms, then 500 ms (less a little for the clocks' grain).
  EXPECT_GE(assigns[1]["t"].get<double>() - assigns[0]["t"].get<double>(), 0.24);
  EXPECT_GE(assigns[2]["t"].get<double>() - assigns[1]["t"].get<double>(), 0.49);
  std::vector<std::string> tries;
  for (const AwsReport& r : reports_of("front")) {
    if (r.call == "AssignPrivateIpAddresses")
      tries.push_back(std::to_string(r.attempt) + " " + r.result);
  }
  EXPECT_EQ(tries, (std::vector<std::string>{
                       "1 HTTP 503 Unavailable: injected failure (again in 250 ms)",
                       "2 HTTP 503 Unavailable: injected failure (again in 500 ms)", "3 ok"}));
  EXPECT_EQ(mover_.counters("front").retries, 2u);
  EXPECT_EQ(mover_.counters("front").failures, 0u);
}

// RequestLimitExceeded comes with 503, Throttling with 400: both are tried again.
TEST_F(AwsMoverTest, ThrottlingIsRetried) {
  start({"--throttle", "2", "--fail", "AssociateAddress:Throttling"});
  EXPECT_EQ(take_over("front", settings()).result, "3 calls done");
  EXPECT_EQ(field(ec2(), "code"),
            (std::vector<std::string>{"RequestLimitExceeded", "RequestLimitExceeded", "",
                                      "Throttling", "", ""}));
  EXPECT_EQ(field(ec2(), "action"),
            (std::vector<std::string>{"AssignPrivateIpAddresses", "AssignPrivateIpAddresses",
                                      "AssignPrivateIpAddresses", "AssociateAddress",
                                      "AssociateAddress", "ReplaceRoute"}));
  EXPECT_EQ(mover_.counters("front").retries, 3u);
}

TEST_F(AwsMoverTest, ARefusedConnectionIsRetried) {
  start();
  const int closed = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // bound, never listening
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  ASSERT_EQ(bind(closed, reinterpret_cast<sockaddr*>(&a), size), 0);
  getsockname(closed, reinterpret_cast<sockaddr*>(&a), &size);
  AwsSettings s = settings(2);
  s.endpoint = ServiceUrl{false, "127.0.0.1:" + std::to_string(ntohs(a.sin_port))};
  const AwsReport last = take_over("front", s);
  close(closed);
  EXPECT_EQ(last.result, "3 of 3 calls failed");
  EXPECT_TRUE(ec2().empty());
  const std::vector<AwsReport> reports = reports_of("front");
  ASSERT_GE(reports.size(), 7u);
  const AwsReport& first_try = reports[5];  // after the five metadata steps
  EXPECT_EQ(first_try.outcome, AwsOutcome::retrying);
  EXPECT_NE(first_try.result.find("Couldn't connect to server"), std::string::npos)
      << first_try.result;
  EXPECT_EQ(reports[6].result.rfind("given up after 2 attempts: ", 0), 0u) << reports[6].result;
}

TEST_F(AwsMoverTest, ASilentEndpointTimesOutAndIsTriedAgain) {
  start({"--hang", "AssignPrivateIpAddresses:1"});
  AwsMover quick(
      loop_, [this](const AwsReport& r) { reports_.push_back(r); },
      AwsTiming{250, 8000, {500, 1000}});
  EXPECT_EQ(take_over("front", settings(), &quick).result, "3 calls done");
  const std::vector<AwsReport> reports = reports_of("front");
  ASSERT_GE(reports.size(), 6u);
  EXPECT_EQ(reports[5].call, "AssignPrivateIpAddresses");
  EXPECT_EQ(reports[5].outcome, AwsOutcome::retrying);
  EXPECT_NE(reports[5].result.find("timed out after"), std::string::npos) << reports[5].result;
  EXPECT_EQ(reports[6].result, "ok");
}

// ---- giving up ----

// A call given up does not hold the others back.
TEST_F(AwsMoverTest, GivesUpAfterMaxAttemptsAndGoesOn) {
  start({"--fail", "AssignPrivateIpAddresses:503*10"});
  const AwsReport last = take_over("front", settings(3));
  EXPECT_EQ(last.outcome, AwsOutcome::failed);
  EXPECT_EQ(last.result, "1 of 3 calls failed");
  EXPECT_EQ(ec2("AssignPrivateIpAddresses").size(), 3u);
  EXPECT_EQ(field(ec2(), "action").back(), "ReplaceRoute");
  const std::vector<AwsReport> reports = reports_of("front");
  const AwsReport& given_up = reports[reports.size() - 4];
  EXPECT_EQ(given_up.call, "AssignPrivateIpAddresses");
  EXPECT_EQ(given_up.attempt, 3u);
  EXPECT_EQ(given_up.outcome, AwsOutcome::failed);
  EXPECT_EQ(given_up.result, "given up after 3 attempts: HTTP 503 Unavailable: injected failure");
  const AwsCounters c = mover_.counters("front");
  EXPECT_EQ(c.retries, 2u);
  EXPECT_EQ(c.failures, 1u);
}

TEST_F(AwsMoverTest, AClientErrorIsGivenUpAtOnceWithItsCode) {
  start({"--fail", "AssociateAddress:InvalidAllocationID.NotFound"});
  EXPECT_EQ(take_over("front", settings()).result, "1 of 3 calls failed");
  EXPECT_EQ(ec2("AssociateAddress").size(), 1u);
  EXPECT_EQ(ec2("ReplaceRoute").size(), 1u);
  bool named = false;
  for (const AwsReport& r : reports_of("front")) {
    named = named || (r.call == "AssociateAddress" && r.outcome == AwsOutcome::failed &&
                      r.result == "HTTP 400 InvalidAllocationID.NotFound: injected failure");
  }
  EXPECT_TRUE(named);
}

// Without credentials nothing can be signed: the take-over ends there.
TEST_F(AwsMoverTest, NoRoleEndsTheTakeOver) {
  start({"--fail", "role:404"});
  const AwsReport last = take_over("front", settings());
  EXPECT_EQ(last.outcome, AwsOutcome::failed);
  EXPECT_EQ(last.result, "no credentials (metadata role failed): 3 of 3 calls not made");
  EXPECT_TRUE(ec2().empty());
  const std::vector<AwsReport> reports = reports_of("front");
  ASSERT_GE(reports.size(), 2u);
  EXPECT_EQ(reports[reports.size() - 2].result, "HTTP 404: no IAM role attached to the instance");
}

// ---- cancel ----

TEST_F(AwsMoverTest, CancelStopsFurtherCalls) {
  start({"--fail", "AssignPrivateIpAddresses:503*10"});
  mover_.take_over("front", moves(), settings());
  pump_until([&] { return !ec2("AssignPrivateIpAddresses").empty(); });
  pump_until([&] { return reports_of("front").size() >= 6; });  // the first try's report
  ASSERT_EQ(reports_of("front").size(), 6u);
  mover_.cancel("front");
  EXPECT_FALSE(mover_.counters("front").moving);
  pump_for(1500ms);  // the backoff was 250 ms, the next 500 ms
  EXPECT_EQ(ec2().size(), 1u);
  EXPECT_EQ(reports_of("front").size(), 6u);
}

// A take-over of an instance still moving starts afresh; the other instances go on.
TEST_F(AwsMoverTest, TakingOverAgainReplacesTheTakeOverInProgress) {
  start({"--fail", "AssignPrivateIpAddresses:503"});
  mover_.take_over("front", moves(), settings());
  pump_until([&] { return reports_of("front").size() >= 6; });
  EXPECT_EQ(take_over("front", settings()).result, "3 calls done");
  size_t ends = 0;
  for (const AwsReport& r : reports_of("front")) ends += r.call == "take-over" ? 1 : 0;
  EXPECT_EQ(ends, 1u);
}

// ---- what is fetched once ----

TEST_F(AwsMoverTest, CredentialsAreCachedAcrossTakeOvers) {
  start();
  EXPECT_EQ(take_over("front", settings()).result, "3 calls done");
  const size_t metadata = imds().size();
  EXPECT_EQ(take_over("back", settings()).result, "3 calls done");
  EXPECT_EQ(imds().size(), metadata) << "the second take-over asked the metadata service";
  const std::vector<std::string> keys = field(ec2(), "access_key");
  ASSERT_EQ(keys.size(), 6u);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), keys[0]), 6);
  for (const AwsReport& r : reports_of("back"))
    EXPECT_EQ(r.call.rfind("metadata", 0), std::string::npos);
  for (const json& e : ec2()) EXPECT_TRUE(e["signature_ok"].get<bool>());
}

// Credentials within 5 minutes of their expiry are renewed before the next take-over; the
// region and instance id are not asked again.
TEST_F(AwsMoverTest, ExpiringCredentialsAreFetchedAgain) {
  start({"--expires-in", "120"});
  take_over("front", settings());
  take_over("back", settings());
  const std::vector<std::string> paths = field(imds(), "path");
  EXPECT_EQ(std::count(paths.begin(), paths.end(),
                       "/latest/meta-data/iam/security-credentials/sluice-ha"),
            2);
  EXPECT_EQ(std::count(paths.begin(), paths.end(), "/latest/meta-data/instance-id"), 1);
  const std::vector<std::string> keys = field(ec2(), "access_key");
  ASSERT_EQ(keys.size(), 6u);
  EXPECT_NE(keys[0], keys[3]);
  for (const json& e : ec2()) EXPECT_TRUE(e["signature_ok"].get<bool>());
}

// A 401 means the session token is no longer good: a new one, then the same request again.
TEST_F(AwsMoverTest, ARefusedTokenIsFetchedAgain) {
  start({"--fail", "credentials:401"});
  EXPECT_EQ(take_over("front", settings()).result, "3 calls done");
  const std::vector<std::string> paths = field(imds(), "path");
  EXPECT_EQ(std::count(paths.begin(), paths.end(), "/latest/api/token"), 2);
  std::vector<uint32_t> attempts;
  for (const AwsReport& r : reports_of("front")) {
    if (r.call == "metadata credentials") attempts.push_back(r.attempt);
  }
  EXPECT_EQ(attempts, (std::vector<uint32_t>{1, 2}));
}

TEST_F(AwsMoverTest, AConfiguredRegionIsNotAsked) {
  start();
  AwsSettings s = settings();
  s.region = "eu-west-1";
  EXPECT_EQ(take_over("front", s).result, "3 calls done");
  for (const json& e : imds()) EXPECT_NE(e["path"], "/latest/meta-data/placement/region");
}

}  // namespace
}  // namespace sluice::control::ha
