// The loader's health keys: health_check and feedback of a service, a real server's own keys
// on top, the top-level health section, and every kind of bad input with file:line:column.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/config/load_support.h"

namespace sluice::config {
namespace {

// kOneService (web, 198.18.0.10:80, nat) with `keys` in the service (indented 4) and `servers`.
std::string with(const std::string& keys, const std::string& servers =
                                              "    real_servers:\n      - { address: 198.18.1.21, port: 8080 }\n") {
  return kOneService + keys + servers;
}

TEST(LoadHealth, DefaultsAreHAProxysAndNothingIsCheckedWithoutAKey) {
  const Config none = load_valid(with(""));
  EXPECT_FALSE(none.virtual_services[0].health_check);
  EXPECT_FALSE(none.virtual_services[0].feedback);
  EXPECT_EQ(none.virtual_services[0].on_failure, KeepOrCut::keep);
  const Config c = load_valid(with("    health_check: { type: connect }\n"));
  const HealthCheck& hc = *c.virtual_services[0].health_check;
  EXPECT_EQ(hc.interval_ms, 2000u);
  EXPECT_EQ(hc.timeout_ms, 2000u);
  EXPECT_EQ(hc.rise, 2u);
  EXPECT_EQ(hc.fall, 3u);
  EXPECT_EQ(hc.expect_status, (std::vector<StatusRange>{{200, 399}}));
  EXPECT_EQ(check_port(c.virtual_services[0], c.virtual_services[0].real_servers[0], hc), 8080);
}

TEST(LoadHealth, EveryKeyIsRead) {
  const Config c = load_valid(with(
      "    on_failure: cut\n"
      "    health_check:\n"
      "      type: https\n      port: 443\n      address: 198.18.1.99\n      interval: 0.5\n"
      "      timeout: 0.25\n      rise: 1\n      fall: 4\n      connects_between: 5\n"
      "      method: HEAD\n      path: app/system/ping\n      host: gw.example\n"
      "      expect_status: 200-299, 302\n      expect_body: OK\n      expect_body_regex: \"^O.$\"\n"
      "      expect_body_absent: true\n      verify_certificate: true\n"
      "    feedback: { type: http, port: 8080, interval: 10, timeout: 1.5, path: /load }\n"));
  const VirtualService& vs = c.virtual_services[0];
  const HealthCheck& hc = *vs.health_check;
  EXPECT_EQ(vs.on_failure, KeepOrCut::cut);
  EXPECT_EQ(hc.type, CheckType::https);
  EXPECT_EQ(hc.port, 443);
  EXPECT_EQ(hc.address, ip("198.18.1.99"));
  EXPECT_EQ(hc.interval_ms, 500u);
  EXPECT_EQ(hc.timeout_ms, 250u);
  EXPECT_EQ(hc.rise, 1u);
  EXPECT_EQ(hc.fall, 4u);
  EXPECT_EQ(hc.connects_between, 5u);
  EXPECT_EQ(hc.method, HttpMethod::HEAD);
  EXPECT_EQ(hc.path, "/app/system/ping");  // the seeds' paths without '/' get one
  EXPECT_EQ(hc.host, "gw.example");
  EXPECT_EQ(hc.expect_status, (std::vector<StatusRange>{{200, 299}, {302, 302}}));
  EXPECT_EQ(hc.expect_body, "OK");
  EXPECT_EQ(hc.expect_body_regex, "^O.$");
  EXPECT_TRUE(hc.expect_body_absent);
  EXPECT_TRUE(hc.verify_certificate);
  const Feedback& fb = *vs.feedback;
  EXPECT_EQ(fb.type, FeedbackType::http);
  EXPECT_EQ(fb.port, 8080);
  EXPECT_EQ(fb.interval_ms, 10000u);
  EXPECT_EQ(fb.timeout_ms, 1500u);
  EXPECT_EQ(fb.path, "/load");
}

// The seeds check a multi-port service on one port; a server may change any key of it.
TEST(LoadHealth, ARealServerChangesOnlyWhatItSays) {
  const Config c = load_valid(with(
      "    health_check: { type: http, port: 443, path: /ping, expect_body: OK }\n"
      "    feedback: { type: agent }\n",
      "    real_servers:\n"
      "      - { address: 198.18.1.21, port: 8080 }\n"
      "      - { address: 198.18.1.22, port: 8080, health_check: { expect_body: CB_IS_OK },\n"
      "          feedback: { port: 4444 } }\n"
      "      - { address: 198.18.1.23, port: 8080, health_check: { type: ping } }\n"));
  const VirtualService& vs = c.virtual_services[0];
  EXPECT_FALSE(vs.real_servers[0].health_check);
  EXPECT_EQ(vs.check_of(vs.real_servers[0])->expect_body, "OK");
  const HealthCheck& own = *vs.check_of(vs.real_servers[1]);
  EXPECT_EQ(own.expect_body, "CB_IS_OK");
  EXPECT_EQ(own.path, "/ping");
  EXPECT_EQ(own.port, 443);
  EXPECT_EQ(vs.feedback_of(vs.real_servers[1])->port, 4444);
  EXPECT_EQ(vs.feedback_of(vs.real_servers[0])->port, 3333);
  EXPECT_EQ(vs.check_of(vs.real_servers[2])->type, CheckType::ping);
  EXPECT_FALSE(check_port(vs, vs.real_servers[2], *vs.check_of(vs.real_servers[2])));
}

TEST(LoadHealth, BadValuesAreNamedWithLineAndColumn) {
  EXPECT_EQ(
      errors_of(with("    health_check: { type: smtp, interval: 0.05, rise: 0, port: 70000 }\n")),
      (Lines{"test.yaml:10:27: virtual_services[0].health_check.type: unknown check type 'smtp' "
             "(expected connect, http, https, ping, dns, udp, external, on or off)",
             "test.yaml:10:43: virtual_services[0].health_check.interval: out of range: 0.05 "
             "(expected 0.1..3600 s)",
             "test.yaml:10:55: virtual_services[0].health_check.rise: out of range: 0 (expected "
             "1..100)",
             "test.yaml:10:64: virtual_services[0].health_check.port: out of range: 70000 "
             "(expected 1..65535)"}));
  EXPECT_EQ(errors_of(with("    health_check: { type: http, expect_status: 99, "
                           "expect_body_regex: \"((\" }\n")),
            (Lines{"test.yaml:10:48: virtual_services[0].health_check.expect_status: status "
                   "\"99\" is out of range (expected codes 100..599)",
                   "test.yaml:10:71: virtual_services[0].health_check.expect_body_regex: invalid "
                   "regular expression '((': Unmatched ( or \\("}));
}

TEST(LoadHealth, AKeyOfAnotherCheckTypeIsRefused) {
  EXPECT_EQ(errors_of(with("    health_check: { type: ping, path: /x, query_type: A }\n")),
            (Lines{"test.yaml:10:33: virtual_services[0].health_check.path: path applies to http "
                   "and https checks (this check's type is ping)",
                   "test.yaml:10:43: virtual_services[0].health_check.query_type: query_type "
                   "applies to dns checks (this check's type is ping)"}));
}

TEST(LoadHealth, ATimeoutLongerThanTheIntervalIsRefused) {
  EXPECT_EQ(errors_of(with("    health_check: { type: connect, interval: 1, timeout: 2 }\n")),
            (Lines{"test.yaml:10:58: virtual_services[0].health_check.timeout: timeout must not "
                   "be longer than interval (1000 ms): a check ends before the next one starts"}));
}

TEST(LoadHealth, SecondsAreReadToTheMillisecond) {
  for (const auto& [text, error] : std::vector<std::pair<std::string, std::string>>{
           {"1.", "expected seconds (such as 2 or 0.5)"},
           {".5", "expected seconds (such as 2 or 0.5)"},
           {"0.0001", "more precise than a millisecond: '0.0001'"},
           {"01", "leading zeros are not allowed: '01'"},
           {"\"2\"", "expected seconds (such as 2 or 0.5), not a quoted string"},
           {"-1", "expected seconds (such as 2 or 0.5)"},
           {"99999999999", "out of range: 99999999999 (expected 0.1..3600 s)"}}) {
    const Lines errors = errors_of(with("    health_check: { type: connect, interval: " + text + " }\n"));
    ASSERT_EQ(errors.size(), 1u) << text;
    EXPECT_NE(errors[0].find(error), std::string::npos) << errors[0];
  }
  EXPECT_EQ(load_valid(with("    health_check: { type: connect, interval: 1.25, timeout: 0.1 }\n"))
                .virtual_services[0].health_check->interval_ms,
            1250u);
}

TEST(LoadHealth, ExternalChecksNeedAnExecutableByAbsolutePath) {
  EXPECT_EQ(errors_of(with("    health_check: { type: external }\n")),
            (Lines{"test.yaml:10:19: virtual_services[0].health_check: an external check needs "
                   "command: the program to run"}));
  const Lines relative = errors_of(with("    health_check: { type: external, command: check.sh }\n"));
  ASSERT_EQ(relative.size(), 1u);
  EXPECT_NE(relative[0].find("'check.sh' must be an absolute path"), std::string::npos);
  const std::string plain = std::filesystem::temp_directory_path() /
                            ("sluice-not-executable-" + std::to_string(getpid()));
  std::ofstream(plain) << "#!/bin/sh\n";
  chmod(plain.c_str(), 0644);
  const Lines not_executable =
      errors_of(with("    health_check: { type: external, command: " + plain + " }\n"));
  std::filesystem::remove(plain);
  ASSERT_EQ(not_executable.size(), 1u);
  EXPECT_NE(not_executable[0].find("is not executable"), std::string::npos);
  EXPECT_TRUE(load(with("    health_check: { type: external, command: /bin/true }\n")).config);
}

TEST(LoadHealth, OversizedTextIsRefused) {
  const Lines errors =
      errors_of(with("    health_check: { type: http, expect_body: " + std::string(1025, 'x') + " }\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("longer than 1024 bytes"), std::string::npos);
  const Lines host = errors_of(with("    health_check: { type: http, host: \"a b\" }\n"));
  ASSERT_EQ(host.size(), 1u);
  EXPECT_NE(host[0].find("must be a DNS name"), std::string::npos);
  for (const char* address : {"198.18.1.21", "\"2001:db8::1\""}) {
    const Lines literal =
        errors_of(with(std::string("    health_check: { type: https, host: ") + address + " }\n"));
    ASSERT_EQ(literal.size(), 1u) << address;
    EXPECT_NE(literal[0].find("must be a name, not an address"), std::string::npos) << literal[0];
  }
}

TEST(LoadHealth, FeedbackKeysOfTheOtherTypeAreRefused) {
  EXPECT_EQ(errors_of(with("    feedback: { type: agent, path: /load }\n")),
            (Lines{"test.yaml:10:36: virtual_services[0].feedback.path: path applies to http "
                   "feedback only"}));
}

TEST(LoadHealth, AServiceOnEveryPortNeedsACheckPort) {
  const std::string all = kTopology +
                          "virtual_services:\n  - name: any\n    address: 198.19.0.10\n"
                          "    ports: all\n    protocol: tcp\n    mode: dr\n"
                          "    health_check: { type: connect }\n"
                          "    real_servers: [ { address: 198.19.0.21 } ]\n";
  const Lines errors = errors_of(all);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("health_check needs a port"), std::string::npos) << errors[0];
  EXPECT_TRUE(load(all.substr(0, all.find("{ type: connect }")) +
                   "{ type: connect, port: 22 }\n    real_servers: [ { address: 198.19.0.21 } ]\n")
                  .config);
}

TEST(LoadHealth, TheHealthSection) {
  const Config c = load_valid(with("") + "health: { notify: /bin/true, max_scripts: 4 }\n");
  EXPECT_EQ(c.health.notify, "/bin/true");
  EXPECT_EQ(c.health.max_scripts, 4u);
  const Lines errors = errors_of(with("") + "health: { max_scripts: 0, page: 1 }\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("health.max_scripts: out of range: 0"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("unknown key 'page'"), std::string::npos) << errors[1];
}

}  // namespace
}  // namespace sluice::config
