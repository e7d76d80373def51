#include "metrics/exposition.h"

#include <gtest/gtest.h>

namespace ipvsd::metrics {
namespace {

TEST(ExpositionTest, WritesHelpTypeAndSamples) {
  Exposition out;
  out.Family("node_ipvs_connections_total", Type::kCounter, "The total number of connections made.");
  out.Sample(uint64_t{23});
  out.Family("node_ipvs_backend_weight", Type::kGauge, "The current backend weight by local and remote address.");
  Labels l;
  l.Add("local_address", "198.19.0.1").Add("local_port", uint64_t{80}).Add("proto", "TCP");
  out.Sample(l, uint64_t{3});
  out.Sample(Labels().Add("local_address", "2001:db8::1"), 0.5);
  EXPECT_EQ(out.text(),
            "# HELP node_ipvs_connections_total The total number of connections made.\n"
            "# TYPE node_ipvs_connections_total counter\n"
            "node_ipvs_connections_total 23\n"
            "# HELP node_ipvs_backend_weight The current backend weight by local and remote address.\n"
            "# TYPE node_ipvs_backend_weight gauge\n"
            "node_ipvs_backend_weight{local_address=\"198.19.0.1\",local_port=\"80\",proto=\"TCP\"} 3\n"
            "node_ipvs_backend_weight{local_address=\"2001:db8::1\"} 0.5\n");
}

TEST(ExpositionTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Exposition out;
  out.Family("x", Type::kGauge, "line one\nback\\slash \"quoted\"");
  EXPECT_EQ(out.text(), "# HELP x line one\\nback\\\\slash \"quoted\"\n# TYPE x gauge\n");
}

TEST(ExpositionTest, SpecialFloatValues) {
  Exposition out;
  out.Family("x", Type::kGauge, "h");
  out.Sample(std::numeric_limits<double>::infinity());
  out.Sample(-std::numeric_limits<double>::infinity());
  out.Sample(std::numeric_limits<double>::quiet_NaN());
  out.Sample(uint64_t{18446744073709551615u});
  EXPECT_EQ(out.text(), "# HELP x h\n# TYPE x gauge\nx +Inf\nx -Inf\nx NaN\nx 18446744073709551615\n");
}

}  // namespace
}  // namespace ipvsd::metrics
