// The Prometheus text format writer.
#include "control/http/exposition.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sluice::control::http {
namespace {

TEST(Exposition, FamiliesHaveHelpTypeAndTheirSamples) {
  Exposition out;
  out.family("sluice_x_total", MetricType::counter, "Things.");
  out.sample(LabelSet{}, uint64_t{3});
  out.sample(LabelSet{{"reason", "bad"}}, uint64_t{18446744073709551615ull});
  out.family("sluice_y", MetricType::gauge, "A level.");
  out.sample(LabelSet{{"a", "1"}, {"b", "2"}}, 0.5);
  EXPECT_EQ(out.take(),
            "# HELP sluice_x_total Things.\n# TYPE sluice_x_total counter\n"
            "sluice_x_total 3\n"
            "sluice_x_total{reason=\"bad\"} 18446744073709551615\n"
            "# HELP sluice_y A level.\n# TYPE sluice_y gauge\n"
            "sluice_y{a=\"1\",b=\"2\"} 0.5\n");
}

TEST(Exposition, LabelSetsExtendAndEscape) {
  const LabelSet base{{"service", "we\"b\n"}};
  EXPECT_EQ(base.text(), "{service=\"we\\\"b\\n\"}");
  EXPECT_EQ(base.with({{"state", "up"}}).text(), "{service=\"we\\\"b\\n\",state=\"up\"}");
  EXPECT_EQ(LabelSet{}.with({{"a", "b"}}).text(), "{a=\"b\"}");
  EXPECT_EQ(base.text(), "{service=\"we\\\"b\\n\"}");  // unchanged by with()
}

TEST(Exposition, OneLabelMoreWithoutALabelSet) {
  Exposition out;
  out.family("s", MetricType::gauge, "h");
  out.sample(LabelSet{{"a", "x"}}, {"state", "up\""}, uint64_t{1});
  out.sample(LabelSet{}, {"reason", "r"}, uint64_t{2});
  EXPECT_EQ(out.take(), "# HELP s h\n# TYPE s gauge\ns{a=\"x\",state=\"up\\\"\"} 1\ns{reason=\"r\"} 2\n");
}

TEST(Exposition, SpecialFloats) {
  Exposition out;
  out.family("g", MetricType::gauge, "h");
  out.sample(LabelSet{}, std::nan(""));
  out.sample(LabelSet{}, INFINITY);
  out.sample(LabelSet{}, -INFINITY);
  out.sample(LabelSet{}, 1e21);
  EXPECT_EQ(out.take(), "# HELP g h\n# TYPE g gauge\ng NaN\ng +Inf\ng -Inf\ng 1e+21\n");
}

}  // namespace
}  // namespace sluice::control::http
