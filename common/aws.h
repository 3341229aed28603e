// The AWS mode of high availability in the words both sides share: the configuration reads an
// instance's `aws` mapping into these values (config/load_aws), the mover on the control side
// (control/ha/aws_mover) makes the EC2 calls they ask for. Also the forms of AWS's names, which
// the loader checks in the file and the mover in what the metadata service answers.
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"

namespace sluice {

// Where a service answers: "https://ec2.eu-west-1.amazonaws.com", "http://169.254.169.254".
struct ServiceUrl {
  bool https = false;
  std::string host;  // as in a Host header: "ec2.eu-west-1.amazonaws.com", "127.0.0.1:8080"
  std::string text() const { return (https ? "https://" : "http://") + host; }
  bool operator==(const ServiceUrl&) const = default;
};

// An Elastic IP to associate with one of the interface's private addresses.
struct AwsElasticIp {
  std::string allocation_id;  // eipalloc-...
  IpAddress private_address;  // IPv4
  bool operator==(const AwsElasticIp&) const = default;
};

// A VPC route whose target becomes the interface.
struct AwsRoute {
  std::string route_table;  // rtb-...
  Prefix destination;       // the route's CIDR block, as in the table
  bool operator==(const AwsRoute&) const = default;
};

// What one VRRP instance moves to this appliance's network interface when it becomes master.
struct AwsMoves {
  std::string interface_id;                  // eni-...
  std::vector<IpAddress> private_addresses;  // secondary private IPv4 addresses
  std::vector<AwsElasticIp> elastic_ips;
  std::vector<AwsRoute> routes;
  bool operator==(const AwsMoves&) const = default;
};

inline constexpr uint32_t kDefaultAwsAttempts = 5;

// Where the calls go and how hard they are tried.
struct AwsSettings {
  std::string region;                  // empty: the instance's, from the metadata service
  std::optional<ServiceUrl> endpoint;  // EC2's; empty: https://ec2.REGION.amazonaws.com
  ServiceUrl metadata = {false, "169.254.169.254"};  // the instance metadata service
  uint32_t max_attempts = kDefaultAwsAttempts;       // per call, the first included
  bool operator==(const AwsSettings&) const = default;
};

// `prefix`, '-', then 8 or 17 lower-case hex digits, as EC2 writes resource ids:
// is_aws_id("eni-0123456789abcdef0", "eni"), is_aws_id("rtb-15127270", "rtb").
bool is_aws_id(std::string_view text, std::string_view prefix);
// A region's name ("eu-west-1", "us-gov-west-1"): 3..32 lower-case letters, digits and '-',
// starting with a letter. It becomes part of a host name and of what is signed.
bool is_aws_region(std::string_view text);
// "http://HOST" or "https://HOST", HOST a DNS name, a dotted quad or an IPv6 address in
// brackets, then an optional ":PORT" (1..65535) and an optional final "/"; no user, path,
// query or fragment.
std::optional<ServiceUrl> parse_service_url(std::string_view text);

}  // namespace sluice
