#include "config/load_aws.h"

#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "common/ip_text.h"

namespace sluice::config {
namespace {

constexpr Range kAttempts{1, 20};
// An interface holds at most 50 private IPv4 addresses (the largest instance types); Elastic
// IPs and routes are bounded alike, so that one take-over is a bounded number of calls.
constexpr size_t kMaxPerList = 50;

// EC2's form of an id: `prefix`, '-', 8 or 17 lower-case hex digits.
std::optional<std::string> read_aws_id(Context& cx, const Element& e, std::string_view prefix) {
  std::optional<std::string> text = read_string(cx, e);
  if (!text) return std::nullopt;
  if (!is_aws_id(*text, prefix)) {
    return fail(cx, e,
                "expected " + std::string(prefix) + "- and 8 or 17 lower-case hex digits, not " +
                    quote(*text));
  }
  return text;
}

std::optional<std::string> read_region(Context& cx, const Element& e) {
  std::optional<std::string> text = read_string(cx, e);
  if (!text) return std::nullopt;
  if (!is_aws_region(*text)) {
    return fail(cx, e, "expected a region's name such as eu-west-1, not " + quote(*text));
  }
  return text;
}

std::optional<ServiceUrl> read_service_url(Context& cx, const Element& e) {
  const std::optional<std::string> text = read_string(cx, e);
  if (!text) return std::nullopt;
  std::optional<ServiceUrl> url = parse_service_url(*text);
  if (!url) {
    return fail(cx, e,
                "expected http:// or https://, a host and an optional :port, nothing after "
                "them, not " +
                    quote(*text));
  }
  return url;
}

std::optional<IpAddress> read_private_ipv4(Context& cx, const Element& e) {
  const std::optional<Ipv4> ip = read_ipv4(cx, e);
  if (!ip) return std::nullopt;
  return IpAddress::v4(*ip);
}

// The CIDR block of a route as the route table has it: no host bits.
std::optional<Prefix> read_destination(Context& cx, const Element& e) {
  const std::optional<Prefix> p = read_prefix(cx, e);
  if (!p) return std::nullopt;
  if (p->address.masked(p->length) != p->address) {
    const Prefix block{p->address.masked(p->length), p->length};
    return fail(cx, e,
                format_prefix(*p) + " has host bits set; the route table's block is " +
                    format_prefix(block));
  }
  return p;
}

// A mapping of the two keys a T is made of, both required, each read by its reader.
template <class T, class ReadFirst, class ReadSecond>
std::optional<T> read_two(Context& cx, const Element& e, const char* first, ReadFirst read_first,
                          const char* second, ReadSecond read_second) {
  const Fields f(cx, e, {first, second});
  if (!f.is_mapping()) return std::nullopt;
  decltype(read_first(cx, e)) a;
  decltype(read_second(cx, e)) b;
  if (auto v = f.require(first)) a = read_first(cx, *v);
  if (auto v = f.require(second)) b = read_second(cx, *v);
  if (!a || !b) return std::nullopt;
  return T{*a, *b};
}

std::optional<AwsElasticIp> read_elastic_ip(Context& cx, const Element& e) {
  return read_two<AwsElasticIp>(
      cx, e, "allocation_id",
      [](Context& c, const Element& v) { return read_aws_id(c, v, "eipalloc"); }, "private_address",
      read_private_ipv4);
}

std::optional<AwsRoute> read_route(Context& cx, const Element& e) {
  return read_two<AwsRoute>(
      cx, e, "route_table", [](Context& c, const Element& v) { return read_aws_id(c, v, "rtb"); },
      "destination", read_destination);
}

// A list of at most kMaxPerList items, each read by `read` and named by `key` (what makes
// two items the same move): a move listed twice is an error.
template <class T, class Read, class Key>
std::optional<std::vector<T>> read_moves(Context& cx, const Element& e, Read read, Key key) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return std::nullopt;
  if (items->size() > kMaxPerList) {
    return fail(cx, e, "at most " + std::to_string(kMaxPerList));
  }
  std::vector<T> out;
  std::set<std::string> seen;
  bool ok = true;
  for (const Element& item : *items) {
    std::optional<T> value = read(cx, item);
    if (value && !seen.insert(key(*value)).second) {
      cx.error(item.origin, key(*value) + " is listed twice");
      value.reset();
    }
    ok = ok && value.has_value();
    if (value) out.push_back(std::move(*value));
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

std::optional<AwsMode> parse_aws(Context& cx, const Element& e,
                                 const std::vector<IpAddress>& addresses) {
  const Fields f(cx, e,
                 {"interface_id", "private_addresses", "elastic_ips", "routes", "region",
                  "endpoint", "metadata", "max_attempts"});
  if (!f.is_mapping()) return std::nullopt;
  const size_t errors_before = cx.error_count();
  AwsMode aws;
  AwsMoves& moves = aws.moves;
  AwsSettings& settings = aws.settings;
  if (auto v = f.require("interface_id")) set(moves.interface_id, read_aws_id(cx, *v, "eni"));
  const std::optional<Element> private_addresses = f.get("private_addresses");
  if (private_addresses) {
    set(moves.private_addresses,
        read_moves<IpAddress>(cx, *private_addresses, read_private_ipv4, format_ip));
  } else if (addresses.size() > kMaxPerList) {
    cx.error(e.origin, "the instance's " + std::to_string(addresses.size()) +
                           " addresses are more than an interface holds (" +
                           std::to_string(kMaxPerList) + "): list private_addresses");
  } else {
    moves.private_addresses = addresses;
  }
  if (auto v = f.get("elastic_ips")) {
    set(moves.elastic_ips,
        read_moves<AwsElasticIp>(cx, *v, read_elastic_ip,
                                 [](const AwsElasticIp& eip) { return eip.allocation_id; }));
  }
  if (auto v = f.get("routes")) {
    set(moves.routes, read_moves<AwsRoute>(cx, *v, read_route, [](const AwsRoute& r) {
          return r.route_table + " " + format_prefix(r.destination);
        }));
  }
  if (auto v = f.get("region")) set(settings.region, read_region(cx, *v));
  if (auto v = f.get("endpoint")) set(settings.endpoint, read_service_url(cx, *v));
  if (auto v = f.get("metadata")) set(settings.metadata, read_service_url(cx, *v));
  if (auto v = f.get("max_attempts")) set(settings.max_attempts, read_integer(cx, *v, kAttempts));
  if (cx.error_count() != errors_before) return std::nullopt;
  if (private_addresses && moves.private_addresses.empty() && moves.elastic_ips.empty() &&
      moves.routes.empty()) {
    return fail(cx, *private_addresses,
                "nothing to move: private_addresses, elastic_ips and routes are all empty");
  }
  return aws;
}

}  // namespace sluice::config
