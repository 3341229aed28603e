// The loader's `aws` mapping of an HA instance: what it reads, its defaults, and every way a
// value can be wrong or hostile, each named with its line, column and key path.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/unit/config/load_support.h"

namespace sluice::config {
namespace {

// kOneService (web at 198.18.0.10) with one real server, then one instance "front" floating
// 198.18.0.10 whose `aws` mapping is `aws`, indented under it: the instance starts on line 13,
// its `aws:` on line 18, so the mapping's first key is on line 19 at column 9.
std::string with_aws(const std::string& aws) {
  return kOneService +
         "    real_servers: [{ address: 198.18.1.21, port: 8080 }]\n"
         "ha:\n  instances:\n"
         "    - name: front\n"
         "      interface: front\n"
         "      vrid: 51\n"
         "      peers: [198.18.0.3]\n"
         "      addresses: [198.18.0.10]\n"
         "      aws:\n" +
         aws;
}

const std::string kEniLine = "        interface_id: eni-0123456789abcdef0\n";

// The first error's text after "test.yaml:".
std::string only_error(const std::string& aws) {
  const Lines errors = errors_of(with_aws(aws));
  EXPECT_EQ(errors.size(), 1u) << testing::PrintToString(errors);
  return errors.empty() ? "" : errors[0].substr(std::string("test.yaml:").size());
}

TEST(LoadAws, EveryKeyIsRead) {
  const Config c = load_valid(with_aws(
      kEniLine +
      "        private_addresses: [198.18.0.10, 198.18.0.11]\n"
      "        elastic_ips:\n"
      "          - { allocation_id: eipalloc-0123456789abcdef0, private_address: 198.18.0.10 }\n"
      "          - { allocation_id: eipalloc-15127270, private_address: 198.18.0.11 }\n"
      "        routes:\n"
      "          - { route_table: rtb-15127270, destination: 0.0.0.0/0 }\n"
      "          - { route_table: rtb-15127270, destination: \"2001:db8::/32\" }\n"
      "        region: eu-west-1\n"
      "        endpoint: https://vpce-0abc.ec2.eu-west-1.vpce.amazonaws.com\n"
      "        metadata: http://[fd00:ec2::254]\n"
      "        max_attempts: 20\n"));
  ASSERT_EQ(c.ha.instances.size(), 1u);
  ASSERT_TRUE(c.ha.instances[0].aws.has_value());
  const AwsMode& aws = *c.ha.instances[0].aws;
  EXPECT_EQ(aws.moves.interface_id, "eni-0123456789abcdef0");
  EXPECT_EQ(aws.moves.private_addresses, (std::vector{ip("198.18.0.10"), ip("198.18.0.11")}));
  EXPECT_EQ(aws.moves.elastic_ips,
            (std::vector<AwsElasticIp>{{"eipalloc-0123456789abcdef0", ip("198.18.0.10")},
                                       {"eipalloc-15127270", ip("198.18.0.11")}}));
  EXPECT_EQ(aws.moves.routes,
            (std::vector<AwsRoute>{{"rtb-15127270", parse_prefix("0.0.0.0/0").value()},
                                   {"rtb-15127270", parse_prefix("2001:db8::/32").value()}}));
  EXPECT_EQ(aws.settings.region, "eu-west-1");
  EXPECT_EQ(aws.settings.endpoint,
            (ServiceUrl{true, "vpce-0abc.ec2.eu-west-1.vpce.amazonaws.com"}));
  EXPECT_EQ(aws.settings.metadata, (ServiceUrl{false, "[fd00:ec2::254]"}));
  EXPECT_EQ(aws.settings.max_attempts, 20u);
}

TEST(LoadAws, DefaultsMoveTheInstancesAddressesWithWhatTheInstanceTells) {
  const Config c = load_valid(with_aws(kEniLine));
  const AwsMode& aws = c.ha.instances.at(0).aws.value();
  EXPECT_EQ(aws.moves.private_addresses, (std::vector{ip("198.18.0.10")}));
  EXPECT_TRUE(aws.moves.elastic_ips.empty());
  EXPECT_TRUE(aws.moves.routes.empty());
  EXPECT_EQ(aws.settings.region, "");
  EXPECT_FALSE(aws.settings.endpoint.has_value());
  EXPECT_EQ(aws.settings.metadata, (ServiceUrl{false, "169.254.169.254"}));
  EXPECT_EQ(aws.settings.max_attempts, 5u);
  const std::string without_aws = with_aws("").substr(0, with_aws("").rfind("      aws:"));
  EXPECT_FALSE(load_valid(without_aws).ha.instances.at(0).aws.has_value());
}

// Zone HA: each instance's own address stays; only the Elastic IP moves to it.
TEST(LoadAws, AnEmptyPrivateAddressListMovesNoAddress) {
  const Config c =
      load_valid(with_aws(kEniLine + "        private_addresses: []\n"
                                     "        elastic_ips: [{ allocation_id: eipalloc-15127270, "
                                     "private_address: 198.18.0.1 }]\n"));
  const AwsMode& aws = c.ha.instances.at(0).aws.value();
  EXPECT_TRUE(aws.moves.private_addresses.empty());
  EXPECT_EQ(aws.moves.elastic_ips.size(), 1u);
  EXPECT_EQ(only_error(kEniLine + "        private_addresses: []\n"),
            "20:28: ha.instances[0].aws.private_addresses: nothing to move: private_addresses, "
            "elastic_ips and routes are all empty");
}

TEST(LoadAws, IdsMustHaveEc2sForm) {
  EXPECT_EQ(only_error("        interface_id: eni-XYZ\n"),
            "19:23: ha.instances[0].aws.interface_id: expected eni- and 8 or 17 lower-case hex "
            "digits, not 'eni-XYZ'");
  EXPECT_EQ(only_error("        interface_id: eipalloc-15127270\n"),
            "19:23: ha.instances[0].aws.interface_id: expected eni- and 8 or 17 lower-case hex "
            "digits, not 'eipalloc-15127270'");
  EXPECT_EQ(
      only_error(kEniLine + "        elastic_ips: [{ allocation_id: eipalloc-0123456789ABCDEF0, "
                            "private_address: 198.18.0.10 }]\n"),
      "20:40: ha.instances[0].aws.elastic_ips[0].allocation_id: expected eipalloc- and 8 or "
      "17 lower-case hex digits, not 'eipalloc-0123456789ABCDEF0'");
  EXPECT_EQ(only_error(kEniLine +
                       "        routes: [{ route_table: rtb-1512727, destination: 0.0.0.0/0 }]\n"),
            "20:33: ha.instances[0].aws.routes[0].route_table: expected rtb- and 8 or 17 "
            "lower-case hex digits, not 'rtb-1512727'");
  EXPECT_EQ(only_error("        region: eu-west-1\n"),
            "19:9: ha.instances[0].aws: missing required key 'interface_id'");
}

TEST(LoadAws, ValuesOutOfTheirFormAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"        private_addresses: [\"2001:db8::10\"]\n",
       "20:29: ha.instances[0].aws.private_addresses[0]: invalid IPv4 address '2001:db8::10'"},
      {"        private_addresses: [198.18.0.10, 198.18.0.10]\n",
       "20:42: ha.instances[0].aws.private_addresses[1]: 198.18.0.10 is listed twice"},
      {"        elastic_ips: [{ allocation_id: eipalloc-15127270, private_address: 198.18.0.300 "
       "}]\n",
       "20:76: ha.instances[0].aws.elastic_ips[0].private_address: invalid IPv4 address "
       "'198.18.0.300'"},
      {"        elastic_ips: [{ allocation_id: eipalloc-15127270 }]\n",
       "20:23: ha.instances[0].aws.elastic_ips[0]: missing required key 'private_address'"},
      {"        elastic_ips: [eipalloc-15127270]\n",
       "20:23: ha.instances[0].aws.elastic_ips[0]: expected a mapping"},
      {"        elastic_ips:\n"
       "          - { allocation_id: eipalloc-15127270, private_address: 198.18.0.10 }\n"
       "          - { allocation_id: eipalloc-15127270, private_address: 198.18.0.11 }\n",
       "22:13: ha.instances[0].aws.elastic_ips[1]: eipalloc-15127270 is listed twice"},
      {"        routes: [{ route_table: rtb-15127270, destination: 198.18.9.7/24 }]\n",
       "20:60: ha.instances[0].aws.routes[0].destination: 198.18.9.7/24 has host bits set; the "
       "route table's block is 198.18.9.0/24"},
      {"        routes: [{ route_table: rtb-15127270, destination: default }]\n",
       "20:60: ha.instances[0].aws.routes[0].destination: invalid prefix 'default' (expected "
       "a.b.c.d/length or IPv6/length)"},
      {"        routes: [{ route_table: rtb-15127270, destination: 0.0.0.0/0, via: x }]\n",
       "20:71: ha.instances[0].aws.routes[0]: unknown key 'via'"},
      {"        region: EU-WEST-1\n",
       "20:17: ha.instances[0].aws.region: expected a region's name such as eu-west-1, not "
       "'EU-WEST-1'"},
      {"        endpoint: ftp://ec2.eu-west-1.amazonaws.com\n",
       "20:19: ha.instances[0].aws.endpoint: expected http:// or https://, a host and an optional "
       ":port, nothing after them, not 'ftp://ec2.eu-west-1.amazonaws.com'"},
      {"        endpoint: https://ec2.eu-west-1.amazonaws.com/api?x=1\n",
       "20:19: ha.instances[0].aws.endpoint: expected http:// or https://, a host and an optional "
       ":port, nothing after them, not 'https://ec2.eu-west-1.amazonaws.com/api?x=1'"},
      {"        metadata: http://169.254.169.254:99999\n",
       "20:19: ha.instances[0].aws.metadata: expected http:// or https://, a host and an optional "
       ":port, nothing after them, not 'http://169.254.169.254:99999'"},
      {"        max_attempts: 0\n",
       "20:23: ha.instances[0].aws.max_attempts: out of range: 0 (expected 1..20)"},
      {"        max_attempts: 21\n",
       "20:23: ha.instances[0].aws.max_attempts: out of range: 21 (expected 1..20)"},
      {"        assume_role: x\n", "20:9: ha.instances[0].aws: unknown key 'assume_role'"},
  };
  for (const auto& [lines, want] : cases) EXPECT_EQ(only_error(kEniLine + lines), want) << lines;
}

// Values that would smuggle text into a URL, a header or a log line are refused, and shown
// escaped and cut.
TEST(LoadAws, HostileValuesAreRefusedAndShownSafely) {
  EXPECT_EQ(only_error("        interface_id: \"eni-15127270\\r\\nX-Amz-Target: x\"\n"),
            "19:23: ha.instances[0].aws.interface_id: expected eni- and 8 or 17 lower-case hex "
            "digits, not 'eni-15127270\\x0d\\x0aX-Amz-Target: x'");
  EXPECT_EQ(
      only_error(kEniLine + "        endpoint: \"https://ec2.amazonaws.com\\r\\nHost: evil\"\n"),
      "20:19: ha.instances[0].aws.endpoint: expected http:// or https://, a host and an "
      "optional :port, nothing after them, not 'https://ec2.amazonaws.com\\x0d\\x0aHost: "
      "evil'");
  EXPECT_EQ(
      only_error(kEniLine + "        endpoint: https://user:pw@ec2.amazonaws.com\n").substr(0, 40),
      "20:19: ha.instances[0].aws.endpoint: exp");
  EXPECT_EQ(only_error(kEniLine + "        region: \"eu-west-1.evil.example\"\n").substr(0, 36),
            "20:17: ha.instances[0].aws.region: e");
  const std::string long_id = "eni-" + std::string(10000, 'a');
  const std::string error = only_error("        interface_id: " + long_id + "\n");
  EXPECT_LT(error.size(), 200u) << error;
  EXPECT_NE(error.find("not 'eni-aaaa"), std::string::npos) << error;
  EXPECT_EQ(only_error("        interface_id: [eni-15127270]\n"),
            "19:23: ha.instances[0].aws.interface_id: expected a string");
  EXPECT_EQ(only_error(kEniLine + "        routes: { route_table: rtb-15127270 }\n"),
            "20:17: ha.instances[0].aws.routes: expected a list");
  EXPECT_EQ(errors_of(with_aws("        - eni-15127270\n")).size(), 1u);
  EXPECT_NE(errors_of(with_aws("        - eni-15127270\n"))[0].find("aws: expected a mapping"),
            std::string::npos);
}

TEST(LoadAws, ListsAreBounded) {
  std::string many = "        routes:\n";
  for (int i = 0; i < 51; ++i) {
    many += "          - { route_table: rtb-15127270, destination: 10." + std::to_string(i) +
            ".0.0/16 }\n";
  }
  EXPECT_EQ(only_error(kEniLine + many), "21:11: ha.instances[0].aws.routes: at most 50");
  // The default too: the instance's own addresses, when there are more than an ENI holds.
  std::string addresses = "198.18.0.10";
  for (int i = 100; i < 150; ++i) addresses += ", 198.18.0." + std::to_string(i);
  std::string yaml = with_aws(kEniLine);
  yaml.replace(yaml.find("[198.18.0.10]"), 13, "[" + addresses + "]");
  const Lines errors = errors_of(yaml);
  EXPECT_NE(std::find(errors.begin(), errors.end(),
                      "test.yaml:19:9: ha.instances[0].aws: the instance's 51 addresses are more "
                      "than an interface holds (50): list private_addresses"),
            errors.end())
      << testing::PrintToString(errors);
}

}  // namespace
}  // namespace sluice::config
