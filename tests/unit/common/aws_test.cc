// AWS's names as sluice accepts them (common/aws.cc): resource ids, regions, service URLs.
#include "common/aws.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

TEST(AwsNames, IdsArePrefixDashAndEightOrSeventeenLowerHexDigits) {
  EXPECT_TRUE(is_aws_id("eni-0123456789abcdef0", "eni"));
  EXPECT_TRUE(is_aws_id("rtb-15127270", "rtb"));
  EXPECT_TRUE(is_aws_id("eipalloc-0018577077972aa37", "eipalloc"));
  for (const char* bad : {"eni-", "eni-0123456", "eni-0123456789abcdef", "eni-0123456789abcdef01",
                          "eni-0123456789ABCDEF0", "eni_0123456789abcdef0", "rtb-15127270",
                          "eni-1512727g", " eni-15127270", "eni-15127270\n", "eni-15127270/x"}) {
    EXPECT_FALSE(is_aws_id(bad, "eni")) << bad;
  }
  EXPECT_FALSE(is_aws_id("eipalloc-15127270", "eni"));
  EXPECT_FALSE(is_aws_id("eni-15127270", "eipalloc"));
}

TEST(AwsNames, Regions) {
  for (const char* good : {"eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-4"}) {
    EXPECT_TRUE(is_aws_region(good)) << good;
  }
  for (const char* bad : {"", "eu", "EU-WEST-1", "1eu-west", "eu_west_1", "eu-west-1.evil.com",
                          "eu-west-1/x", "eu west 1", "abcdefghijklmnopqrstuvwxyz-1234567"}) {
    EXPECT_FALSE(is_aws_region(bad)) << bad;
  }
}

TEST(AwsNames, ServiceUrls) {
  EXPECT_EQ(parse_service_url("https://ec2.eu-west-1.amazonaws.com"),
            (ServiceUrl{true, "ec2.eu-west-1.amazonaws.com"}));
  EXPECT_EQ(parse_service_url("http://169.254.169.254/"), (ServiceUrl{false, "169.254.169.254"}));
  EXPECT_EQ(parse_service_url("http://127.0.0.1:8080"), (ServiceUrl{false, "127.0.0.1:8080"}));
  EXPECT_EQ(parse_service_url("http://[fd00:ec2::254]"), (ServiceUrl{false, "[fd00:ec2::254]"}));
  EXPECT_EQ(parse_service_url("https://[fd00:ec2::254]:443/"),
            (ServiceUrl{true, "[fd00:ec2::254]:443"}));
  EXPECT_EQ(ServiceUrl({true, "vpce-1.ec2.eu-west-1.vpce.amazonaws.com"}).text(),
            "https://vpce-1.ec2.eu-west-1.vpce.amazonaws.com");
  for (const char* bad : {"",
                          "ec2.amazonaws.com",
                          "ftp://ec2.amazonaws.com",
                          "https://",
                          "https:///",
                          "https://user@ec2.amazonaws.com",
                          "https://ec2.amazonaws.com/path",
                          "https://ec2.amazonaws.com?x=1",
                          "https://ec2.amazonaws.com#f",
                          "http://127.0.0.1:0",
                          "http://127.0.0.1:65536",
                          "http://127.0.0.1:080",
                          "http://127.0.0.1:",
                          "http://[::1",
                          "http://[198.18.0.1]",
                          "http://[fd00::1]x",
                          "http://-a.example",
                          "http://a..example",
                          "http://a b.example",
                          "https://ec2.amazonaws.com\r\nX-Injected: 1",
                          "HTTPS://ec2.amazonaws.com"}) {
    EXPECT_FALSE(parse_service_url(bad)) << bad;
  }
  EXPECT_FALSE(parse_service_url("http://" + std::string(64, 'a') + ".example"));
  EXPECT_FALSE(parse_service_url("http://" + std::string(250, 'a') + ".example"));
}

}  // namespace
}  // namespace sluice
