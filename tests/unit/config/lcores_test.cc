// DPDK's --lcores syntax, as --check reads it (config/lcores.cc).
#include "config/lcores.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/unit/config/load_support.h"

namespace sluice::config {
namespace {

struct LcoresCase {
  std::string text;
  std::set<uint32_t> ids;  // empty: refused
};

void PrintTo(const LcoresCase& c, std::ostream* os) { *os << c.text; }

class ParseLcores : public testing::TestWithParam<LcoresCase> {};

TEST_P(ParseLcores, NamesTheLcoresEalWouldStart) {
  const Result<std::set<uint32_t>> parsed = parse_lcores(GetParam().text);
  EXPECT_EQ(parsed.ok(), !GetParam().ids.empty());
  EXPECT_EQ(parsed ? parsed.value() : std::set<uint32_t>{}, GetParam().ids)
      << (parsed ? "" : parsed.error());
}

INSTANTIATE_TEST_SUITE_P(
    Eal, ParseLcores,
    testing::Values(LcoresCase{"0-1", {0, 1}}, LcoresCase{"3", {3}}, LcoresCase{"2-0", {0, 1, 2}},
                    LcoresCase{"0@0,1@1,2@1", {0, 1, 2}},
                    // DPDK's own example: 9 lcores.
                    LcoresCase{"1,2@(5-7),(3-5)@(0,2),(0,6),7-8", {0, 1, 2, 3, 4, 5, 6, 7, 8}},
                    LcoresCase{" 0 - 1 , 4 ", {0, 1, 4}}, LcoresCase{"127", {127}},
                    LcoresCase{"", {}}, LcoresCase{"128", {}}, LcoresCase{"0-128", {}},
                    LcoresCase{"0@1024", {}}, LcoresCase{"a", {}}, LcoresCase{"-1", {}},
                    LcoresCase{"0,,1", {}}, LcoresCase{"(0,1", {}}, LcoresCase{"0)", {}},
                    LcoresCase{"0@1@2", {}}, LcoresCase{"1-2-3", {}}, LcoresCase{"0x1", {}},
                    LcoresCase{"99999999999", {}}));

TEST(Lcores, ASyntaxErrorIsReportedAtTheKey) {
  EXPECT_EQ(errors_of("eal: { lcores: \"0-1,x\" }\n" + kOneService + "    real_servers: []\n"),
            (Lines{"test.yaml:1:16: eal.lcores: invalid lcores '0-1,x': 'x' is no lcore number "
                   "or range below 128"}));
}

TEST(Lcores, EachWorkerNeedsAnLcoreBesideTheControlPlanes) {
  const std::string services = kOneService + "    real_servers: []\n";
  EXPECT_EQ(errors_of("eal: { lcores: \"0-2\" }\nworkers: { count: 3 }\n" + services),
            (Lines{"test.yaml:1:16: eal.lcores: eal.lcores '0-2' gives 3 lcores; 3 workers need "
                   "4 (one more runs the control plane)"}));
  // With the default lcores "0-1", at the workers' count.
  EXPECT_EQ(errors_of("workers: { count: 2 }\n" + services),
            (Lines{"test.yaml:1:19: workers.count: eal.lcores '0-1' gives 2 lcores; 2 workers "
                   "need 3 (one more runs the control plane)"}));
  EXPECT_EQ(errors_of("eal: { lcores: \"0@0,1@1,2@1\" }\nworkers: { count: 2 }\n" + services),
            Lines{});
}

}  // namespace
}  // namespace sluice::config
