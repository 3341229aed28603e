// The actions' Bearer token check.
#include "control/http/token.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::control::http {
namespace {

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Token, OnlyTheExactBearerTokenMatches) {
  const auto token = bytes("0123456789abcdef");
  EXPECT_TRUE(bearer_matches("Bearer 0123456789abcdef", token));
  EXPECT_FALSE(bearer_matches("", token));
  EXPECT_FALSE(bearer_matches("Bearer ", token));
  EXPECT_FALSE(bearer_matches("Bearer 0123456789abcdeg", token));
  EXPECT_FALSE(bearer_matches("Bearer 0123456789abcde", token));    // a prefix
  EXPECT_FALSE(bearer_matches("Bearer 0123456789abcdef0", token));  // longer
  EXPECT_TRUE(bearer_matches("bearer 0123456789abcdef", token));  // the scheme in any case
  EXPECT_TRUE(bearer_matches("BEARER 0123456789abcdef", token));
  EXPECT_FALSE(bearer_matches("Bearer 0123456789ABCDEF", token));  // the token exactly
  EXPECT_FALSE(bearer_matches("Basic 0123456789abcdef", token));
  EXPECT_FALSE(bearer_matches("0123456789abcdef", token));
  EXPECT_FALSE(bearer_matches(std::string("Bearer 0123456789abcdef\0", 24), token));
}

TEST(Token, NoTokenMatchesNothing) {
  EXPECT_FALSE(bearer_matches("Bearer ", {}));
  EXPECT_FALSE(bearer_matches("Bearer x", {}));
}

}  // namespace
}  // namespace sluice::control::http
