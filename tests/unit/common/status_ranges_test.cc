// HTTP status sets as operators write them (common/status_ranges.cc).
#include "common/status_ranges.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

using Ranges = std::vector<StatusRange>;

// The error, or "parsed as" and the ranges written back.
std::string outcome_of(std::string_view text) {
  Result<Ranges> ranges = parse_status_ranges(text);
  return ranges ? "parsed as " + format_status_ranges(ranges.value()) : ranges.error();
}

TEST(StatusRanges, CodesAndRanges) {
  EXPECT_EQ(parse_status_ranges("200").value(), (Ranges{{200, 200}}));
  EXPECT_EQ(parse_status_ranges("200-299,302").value(), (Ranges{{200, 299}, {302, 302}}));
  EXPECT_EQ(parse_status_ranges("100-599").value(), (Ranges{{100, 599}}));
  EXPECT_EQ(parse_status_ranges("404-404").value(), (Ranges{{404, 404}}));
  EXPECT_EQ(parse_status_ranges("301,200-204,500").value(),
            (Ranges{{301, 301}, {200, 204}, {500, 500}}));  // in the order written
}

TEST(StatusRanges, SpacesAroundItemsAreAllowed) {
  EXPECT_EQ(parse_status_ranges(" 200-299 , 302\t,304 ").value(),
            (Ranges{{200, 299}, {302, 302}, {304, 304}}));
  EXPECT_EQ(parse_status_ranges("200 - 299").value(), (Ranges{{200, 299}}));
}

TEST(StatusRanges, FormatGivesTheTextBack) {
  for (const char* text : {"200", "200-299", "200-299,302", "100-599", "301,200-204,500"}) {
    EXPECT_EQ(format_status_ranges(parse_status_ranges(text).value()), text);
  }
  EXPECT_EQ(format_status_ranges({{200, 200}, {302, 307}}), "200,302-307");
  EXPECT_EQ(format_status_ranges({}), "");
}

TEST(StatusRanges, ErrorsNameTheBadPart) {
  const std::string expected = " (expected a code such as 200 or a range such as 200-299)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "no status codes given (expected 200-299,302 or the like)"},
      {" \t ", "no status codes given (expected 200-299,302 or the like)"},
      {"200,,302", "empty item in the status list \"200,,302\""},
      {"200,", "empty item in the status list \"200,\""},
      {",200", "empty item in the status list \",200\""},
      {"200, ,302", "empty item in the status list \"200, ,302\""},
      {"2xx", "invalid status \"2xx\"" + expected},
      {"200-abc", "invalid status \"200-abc\"" + expected},
      {"200-", "invalid status \"200-\"" + expected},
      {"-200", "invalid status \"-200\"" + expected},
      {"200-299-300", "invalid status \"200-299-300\"" + expected},
      {"+200", "invalid status \"+200\"" + expected},
      {"200 302", "invalid status \"200 302\"" + expected},
      {"200,99999999999", "invalid status \"99999999999\"" + expected},
      {"99", "status \"99\" is out of range (expected codes 100..599)"},
      {"600", "status \"600\" is out of range (expected codes 100..599)"},
      {"200,0-200", "status \"0-200\" is out of range (expected codes 100..599)"},
      {"500-600", "status \"500-600\" is out of range (expected codes 100..599)"},
      {"299-200", "reversed status range \"299-200\""},
      {"200\n", "invalid status \"200\\x0a\"" + expected},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(outcome_of(text), error) << text;
  // The accepted bounds themselves.
  EXPECT_EQ(outcome_of("100,599"), "parsed as 100,599");
}

TEST(StatusRanges, StatusIn) {
  const Ranges r = parse_status_ranges("200-299,302").value();
  EXPECT_TRUE(status_in(r, 200));
  EXPECT_TRUE(status_in(r, 299));
  EXPECT_TRUE(status_in(r, 302));
  EXPECT_FALSE(status_in(r, 301));
  EXPECT_FALSE(status_in(r, 199));
  EXPECT_FALSE(status_in({}, 200));
}

}  // namespace
}  // namespace sluice
