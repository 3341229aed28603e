// The loader's `http` block: the endpoint's address, what it serves, the actions' token, and
// every way they can be wrong, with the line and key.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/unit/config/load_support.h"

namespace sluice::config {
namespace {

// kOneService with one real server (10 lines), then `http` text from line 11.
std::string with_http(const std::string& http) {
  return kOneService + "    real_servers: [{ address: 198.18.1.21, port: 8080 }]\n" + http;
}

std::string token_file(const std::string& name, const std::string& bytes, mode_t mode) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  chmod(path.c_str(), mode);
  return path;
}

std::string fifo(const std::string& name) {
  const std::string path = ::testing::TempDir() + name;
  unlink(path.c_str());
  mkfifo(path.c_str(), 0600);
  return path;
}

TEST(LoadHttp, NoBlockIsNoEndpoint) { EXPECT_FALSE(load_valid(with_http("")).http); }

TEST(LoadHttp, MetricsAloneByDefault) {
  const Config c = load_valid(with_http("http: { listen: 198.18.0.1:9100 }\n"));
  ASSERT_TRUE(c.http);
  EXPECT_EQ(format_endpoint(c.http->listen.address, c.http->listen.port), "198.18.0.1:9100");
  EXPECT_TRUE(c.http->metrics);
  EXPECT_FALSE(c.http->status_page);
  EXPECT_TRUE(c.http->token.empty());
}

TEST(LoadHttp, IPv6AndThePageAreRead) {
  const Config c = load_valid(
      with_http("http: { listen: \"[2001:db8::1]:8080\", metrics: false, status_page: true }\n"));
  ASSERT_TRUE(c.http);
  EXPECT_EQ(format_endpoint(c.http->listen.address, c.http->listen.port), "[2001:db8::1]:8080");
  EXPECT_FALSE(c.http->metrics);
  EXPECT_TRUE(c.http->status_page);
}

TEST(LoadHttp, ATokenIsReadOnLoopbackOnly) {
  const std::string path = token_file("http.token", "0123456789abcdef0123\n", 0600);
  const Config c = load_valid(with_http(
      "http: { listen: 127.0.0.1:9100, status_page: true, token_file: " + path + " }\n"));
  ASSERT_TRUE(c.http);
  EXPECT_EQ(std::string(c.http->token.begin(), c.http->token.end()), "0123456789abcdef0123");
  EXPECT_TRUE(load_valid(with_http("http: { listen: \"[::1]:9100\", status_page: true, "
                                   "token_file: " + path + " }\n")).http);

  const Lines open = errors_of(with_http(
      "http: { listen: 198.18.0.1:9100, status_page: true, token_file: " + path + " }\n"));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_NE(open[0].find("test.yaml:11:"), std::string::npos) << open[0];
  EXPECT_NE(open[0].find("http.token_file: actions need a loopback listen address"),
            std::string::npos) << open[0];
  const Lines no_page = errors_of(with_http("http: { listen: 127.0.0.1:9100, token_file: " + path + " }\n"));
  ASSERT_EQ(no_page.size(), 1u);
  EXPECT_NE(no_page[0].find("http.token_file: is for the status page's actions"), std::string::npos)
      << no_page[0];
}

TEST(LoadHttp, ABadTokenFileIsNamedAndItsBytesNeverShown) {
  const struct {
    std::string path;
    const char* message;
  } cases[] = {
      {::testing::TempDir() + "missing.token", "cannot read token file"},
      {token_file("open.token", std::string(32, 's'), 0644), "may be read by others (chmod 600 it)"},
      {token_file("short.token", "secret", 0600), "must hold 16 to 1024 bytes"},
      {token_file("long.token", std::string(4096, 's'), 0600), "must hold 16 to 1024 bytes"},
      // A FIFO with nobody writing would hold the loader (on a reload, the control loop).
      {fifo("fifo.token"), "is not a regular file"},
      {::testing::TempDir(), "is not a regular file"},
  };
  for (const auto& c : cases) {
    const Lines errors = errors_of(with_http(
        "http:\n  listen: 127.0.0.1:9100\n  status_page: true\n  token_file: " + c.path + "\n"));
    ASSERT_EQ(errors.size(), 1u) << c.path;
    EXPECT_NE(errors[0].find("test.yaml:14:15: http.token_file: "), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find(c.message), std::string::npos) << errors[0];
    EXPECT_EQ(errors[0].find("sss"), std::string::npos) << errors[0];
  }
}

TEST(LoadHttp, BadValuesAreNamedWithTheirLine) {
  const struct {
    std::string yaml;
    const char* error;
  } cases[] = {
      {"http: {}\n", "test.yaml:11:7: http: missing required key 'listen'"},
      {"http: { listen: 198.18.0.1 }\n", "http.listen: expected ADDRESS:PORT"},
      {"http: { listen: 198.18.0.1:0 }\n", "http.listen: expected ADDRESS:PORT"},
      {"http: { listen: 198.18.0.1:70000 }\n", "http.listen: expected ADDRESS:PORT"},
      {"http: { listen: \"2001:db8::1:80\" }\n", "http.listen: expected ADDRESS:PORT"},
      {"http: { listen: [a, b] }\n", "http.listen"},
      {"http: { listen: 198.18.0.1:80, metrics: maybe }\n", "http.metrics"},
      {"http: { listen: 198.18.0.1:80, metrics: false }\n",
       "http: serves nothing: metrics and status_page are both false"},
      {"http: { listen: 198.18.0.1:80, colour: blue }\n", "http: unknown key 'colour'"},
      {"http: [198.18.0.1:80]\n", "test.yaml:11:7: http: expected a mapping"},
      {"http: { listen: \"\\x00\\n<script>:80\" }\n", "http.listen: contains a NUL byte"},
      {"http: { listen: \"\\n<script>:80\" }\n", "http.listen: expected ADDRESS:PORT"},
  };
  for (const auto& c : cases) {
    const Lines errors = errors_of(with_http(c.yaml));
    ASSERT_EQ(errors.size(), 1u) << c.yaml;
    EXPECT_NE(errors[0].find(c.error), std::string::npos) << c.yaml << " -> " << errors[0];
    EXPECT_EQ(errors[0].find('\n'), std::string::npos) << errors[0];
  }
}

}  // namespace
}  // namespace sluice::config
