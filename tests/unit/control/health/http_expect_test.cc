// What an http check expects of the answer (control/health/http_expect.cc): status sets and
// body rules.
#include "control/health/http_expect.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace sluice::control::health {
namespace {

using namespace std::string_literals;
using Ranges = std::vector<StatusRange>;

const Ranges kOk = {{200, 299}};

HttpExpect expect(BodyRule body, Ranges statuses = kOk) {
  Result<HttpExpect> made = HttpExpect::make(std::move(statuses), std::move(body));
  EXPECT_TRUE(made) << made.error();
  return std::move(made).value();
}

BodyRule contains(std::string text) { return {std::move(text), "", false}; }
BodyRule lacks(std::string text) { return {std::move(text), "", true}; }
BodyRule matches(std::string regex) { return {"", std::move(regex), false}; }
BodyRule does_not_match(std::string regex) { return {"", std::move(regex), true}; }

TEST(HttpExpect, StatusOutsideTheSetIsTheMismatch) {
  const HttpExpect check = expect({}, {{200, 299}, {302, 302}});
  EXPECT_EQ(check.mismatch(200, ""), std::nullopt);
  EXPECT_EQ(check.mismatch(299, ""), std::nullopt);
  EXPECT_EQ(check.mismatch(302, ""), std::nullopt);
  EXPECT_EQ(check.mismatch(199, ""), "HTTP 199");
  EXPECT_EQ(check.mismatch(300, ""), "HTTP 300");
  EXPECT_EQ(check.mismatch(301, ""), "HTTP 301");
  EXPECT_EQ(check.mismatch(503, "OK"), "HTTP 503");
}

// The status is judged first: a 503 with the expected body is still a 503.
TEST(HttpExpect, StatusIsJudgedBeforeTheBody) {
  const HttpExpect check = expect(contains("OK"));
  EXPECT_EQ(check.mismatch(503, "OK"), "HTTP 503");
  EXPECT_EQ(check.mismatch(503, "down"), "HTTP 503");
}

TEST(HttpExpect, BodyMustContain) {
  const HttpExpect check = expect(contains("OK"));
  EXPECT_EQ(check.mismatch(200, "status: OK\n"), std::nullopt);
  EXPECT_EQ(check.mismatch(200, "OK"), std::nullopt);
  EXPECT_EQ(check.mismatch(200, "ok"), "body does not contain \"OK\"");  // case matters
  EXPECT_EQ(check.mismatch(200, ""), "body does not contain \"OK\"");
  EXPECT_EQ(check.mismatch(200, "O K"), "body does not contain \"OK\"");
}

TEST(HttpExpect, BodyMustNotContain) {
  const HttpExpect check = expect(lacks("error"));
  EXPECT_EQ(check.mismatch(200, "all fine"), std::nullopt);
  EXPECT_EQ(check.mismatch(200, ""), std::nullopt);
  EXPECT_EQ(check.mismatch(200, "an error occurred"), "body contains \"error\"");
}

TEST(HttpExpect, BodyMustMatch) {
  const HttpExpect check = expect(matches("^status: (up|ok)$"));
  EXPECT_EQ(check.mismatch(200, "status: up"), std::nullopt);
  EXPECT_EQ(check.mismatch(200, "status: ok"), std::nullopt);
  EXPECT_EQ(check.mismatch(200, "status: down"), "body does not match \"^status: (up|ok)$\"");
  EXPECT_EQ(check.mismatch(200, ""), "body does not match \"^status: (up|ok)$\"");
}

TEST(HttpExpect, BodyMustNotMatch) {
  const HttpExpect check = expect(does_not_match("err(or)?[0-9]+"));
  EXPECT_EQ(check.mismatch(200, "all fine"), std::nullopt);
  EXPECT_EQ(check.mismatch(200, "error 5"), std::nullopt);
  EXPECT_EQ(check.mismatch(200, "err42"), "body matches \"err(or)?[0-9]+\"");
}

// With both, the body must contain and match; with absent, it must do neither.
TEST(HttpExpect, ContainsAndRegexTogether) {
  const HttpExpect both = expect({"OK", "load [0-9]+", false});
  EXPECT_EQ(both.mismatch(200, "OK load 3"), std::nullopt);
  EXPECT_EQ(both.mismatch(200, "load 3"), "body does not contain \"OK\"");
  EXPECT_EQ(both.mismatch(200, "OK"), "body does not match \"load [0-9]+\"");

  const HttpExpect neither = expect({"FAIL", "err[0-9]", true});
  EXPECT_EQ(neither.mismatch(200, "fine"), std::nullopt);
  EXPECT_EQ(neither.mismatch(200, "FAIL"), "body contains \"FAIL\"");
  EXPECT_EQ(neither.mismatch(200, "err1"), "body matches \"err[0-9]\"");
}

TEST(HttpExpect, NoBodyRuleAcceptsAnyBody) {
  const HttpExpect check = expect({});
  EXPECT_EQ(check.mismatch(200, "anything"), std::nullopt);
  EXPECT_EQ(check.mismatch(200, ""), std::nullopt);
  EXPECT_EQ(expect({"", "", true}).mismatch(200, "anything"), std::nullopt);
}

// Bodies are bytes: a NUL neither ends the body nor hides what follows it.
TEST(HttpExpect, BodiesWithNulBytes) {
  const std::string body = "\0\0binary\0OK tail"s;
  EXPECT_EQ(expect(contains("OK")).mismatch(200, body), std::nullopt);
  EXPECT_EQ(expect(matches("OK tail$")).mismatch(200, body), std::nullopt);
  EXPECT_EQ(expect(matches("^binary")).mismatch(200, body), "body does not match \"^binary\"");
  EXPECT_EQ(expect(contains("\0OK"s)).mismatch(200, body), std::nullopt);
}

TEST(HttpExpect, ABadRegexFailsWithRegcompsMessage) {
  const Result<HttpExpect> paren = HttpExpect::make(kOk, matches("(up"));
  ASSERT_FALSE(paren);
  EXPECT_EQ(paren.error(), "invalid regex \"(up\": Unmatched ( or \\(");
  const Result<HttpExpect> bracket = HttpExpect::make(kOk, matches("[a-"));
  ASSERT_FALSE(bracket);
  EXPECT_EQ(bracket.error(), "invalid regex \"[a-\": Unmatched [, [^, [:, [., or [=");
  const Result<HttpExpect> nul = HttpExpect::make(kOk, matches("a\0b"s));
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error(), "invalid regex \"a\\x00b\": it contains a NUL byte");
}

// Long configured texts are cut in messages, never in the middle of a UTF-8 character.
TEST(HttpExpect, MessagesQuoteAtMostSixtyBytes) {
  const std::string long_text(100, 'x');
  EXPECT_EQ(expect(contains(long_text)).mismatch(200, ""),
            "body does not contain \"" + std::string(60, 'x') + "\"...");
  EXPECT_EQ(expect(matches(long_text)).mismatch(200, ""),
            "body does not match \"" + std::string(60, 'x') + "\"...");
  const std::string sixty(60, 'y');
  EXPECT_EQ(expect(contains(sixty)).mismatch(200, ""), "body does not contain \"" + sixty + "\"");

  const std::string accented = std::string(59, 'e') + "\xc3\xa9" + "tail";  // é across byte 60
  EXPECT_EQ(expect(contains(accented)).mismatch(200, ""),
            "body does not contain \"" + std::string(59, 'e') + "\"...");
}

TEST(HttpExpect, ControlBytesInMessagesAreEscaped) {
  EXPECT_EQ(expect(contains("a\tb\n")).mismatch(200, ""), "body does not contain \"a\\x09b\\x0a\"");
}

// Copies share the compiled regex; it outlives the object it was made for.
TEST(HttpExpect, CopiesShareTheRegex) {
  std::optional<HttpExpect> copy;
  {
    const HttpExpect original = expect(matches("^up$"));
    copy = original;
  }
  EXPECT_EQ(copy->mismatch(200, "up"), std::nullopt);
  EXPECT_EQ(copy->mismatch(200, "down"), "body does not match \"^up$\"");
}

}  // namespace
}  // namespace sluice::control::health
