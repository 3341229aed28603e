#include "config/load.h"

#include <fcntl.h>
#include <grp.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <sstream>
#include <system_error>
#include <utility>

#include "common/ip_text.h"
#include "config/lcores.h"
#include "config/ports.h"
#include "config/validate.h"
#include "config/load_ha.h"
#include "config/load_http.h"
#include "config/load_health.h"
#include "config/yaml_reader.h"

namespace sluice::config {
namespace {

// yaml-cpp keeps about 500 bytes per node and a hostile flow list holds a node every two
// bytes: at 1 MiB a file costs at most ~250 MB and a second to load. Real files stay far
// below it: the data plane's limits (4096 real servers) fit in about 300 KiB.
constexpr size_t kMaxFileBytes = 1 << 20;

constexpr Range kMemoryMb{64, 1 << 20};
constexpr Range kWorkerCount{1, 64};
constexpr Range kBurst{1, 512};  // kMaxBurst
constexpr Range kIdlePolls{1, 1'000'000};
constexpr Range kIdleSleepUs{0, 1'000'000};
constexpr Range kMtu{576, 9216};
constexpr Range kCapacity{1, 1 << 27};
constexpr Range kTimeout{1, 2'592'000};  // 30 days
constexpr Range kNeighbourTimeout{1, 86'400};
constexpr Range kPort{1, 65535};
constexpr Range kWeight{0, 65535};
constexpr Range kConnLimit{0, 1 << 27};  // connections.capacity's upper bound
// Persistence netmask as a prefix length; 0 puts every client in one group (ipvsadm -M 0.0.0.0:
// an active/standby pair where all clients follow one server).
constexpr Range kPrefixLength{0, 128};

constexpr size_t kMaxSocketPath = 107;  // sun_path less the NUL
constexpr size_t kMaxGroupName = 32;    // LOGIN_NAME_MAX less the NUL, as useradd allows
// DPDK's device name (the devargs before the first ',') fits RTE_DEV_NAME_MAX_LEN (64) with
// its NUL, and rte_kvargs takes at most RTE_KVARGS_MAX (32) key=value arguments; EAL refuses
// more at start. Past those, a bound of our own keeps errors and logs one line.
constexpr size_t kMaxDeviceName = 63;
constexpr size_t kMaxDeviceArguments = 32;
constexpr size_t kMaxDeviceBytes = 1024;
// eal.extra_args: EAL sets no limit of its own, so these are ours, far above any real command
// line; an argument holds at most an option and a path (PATH_MAX less the NUL).
constexpr size_t kMaxEalArguments = 64;
constexpr size_t kMaxEalArgumentBytes = 4095;
constexpr std::string_view kDefaultTapPrefix = "sl-";


// Tells whether errors were reported since it was made: an item with errors of its own is
// left out of the draft.
class ErrorWatch {
 public:
  explicit ErrorWatch(const Context& cx) : cx_(cx), before_(cx.error_count()) {}
  bool clean() const { return cx_.error_count() == before_; }

 private:
  const Context& cx_;
  size_t before_;
};

// A section such as `workers:` whose keys are all commented out is the same as no section.
std::optional<Element> section(const Fields& fields, std::string_view key) {
  std::optional<Element> element = fields.get(key);
  if (element && element->node.IsNull()) return std::nullopt;
  return element;
}

// Names that appear in logs, CLI arguments and kernel interface names without quoting.
struct NameRule {
  size_t max_size;
  std::string_view extra;  // allowed besides letters and digits
  std::string_view allowed;
};
// A Linux interface name: IFNAMSIZ less the NUL, and none of the '/', ':' or spaces that the
// kernel or ip(8) refuse.
constexpr NameRule kKernelName{15, "-_", "letters, digits, '-' and '_'"};
constexpr NameRule kServiceName{64, ".-_", "letters, digits, '.', '-' and '_'"};
// DPDK makes /run/dpdk/<prefix>/ and Unix sockets in it (mp_socket, mp_socket_<pid>_<tsc>
// of secondary tools such as dpdk-proc-info, dpdk_telemetry.v2), whose path must fit
// sun_path's 108 bytes: DPDK cuts a longer one silently. 48 leaves them room. '/' would nest
// directories, and EAL refuses '%'.
constexpr NameRule kFilePrefix{48, ".-_", "letters, digits, '.', '-' and '_'"};

bool is_name_char(char c, std::string_view extra) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         extra.find(c) != std::string_view::npos;
}

std::optional<std::string> read_name(Context& cx, const Element& e, std::string_view what,
                                     const NameRule& rule) {
  std::optional<std::string> name = read_string(cx, e);
  if (!name) return std::nullopt;
  const std::string described = std::string(what) + " " + quote(*name);
  if (name->size() > rule.max_size) {
    return fail(cx, e,
                described + " is longer than " + std::to_string(rule.max_size) + " characters");
  }
  const bool valid = !name->empty() && std::all_of(name->begin(), name->end(), [&](char c) {
    return is_name_char(c, rule.extra);
  });
  if (!valid) {
    return fail(cx, e,
                "invalid " + described + ": use 1 to " + std::to_string(rule.max_size) + " " +
                    std::string(rule.allowed));
  }
  return name;
}

std::optional<std::string> read_non_empty(Context& cx, const Element& e) {
  std::optional<std::string> text = read_string(cx, e);
  if (text && text->empty()) return fail(cx, e, "must not be empty");
  return text;
}

// An address a host or a service owns must be routable unicast (IpAddress::not_unicast):
// an error at `e` names `what` and why not.
bool is_unicast(Context& cx, const Element& e, const IpAddress& ip, const std::string& what) {
  const char* why = ip.not_unicast();
  if (why != nullptr) cx.error(e.origin, what + " " + format_ip(ip) + " is " + why);
  return why == nullptr;
}

std::optional<IpAddress> read_unicast(Context& cx, const Element& e, const std::string& what) {
  const std::optional<IpAddress> ip = read_ip(cx, e);
  if (!ip || !is_unicast(cx, e, *ip, what)) return std::nullopt;
  return ip;
}

// The network of a route: host bits set are a typo the kernel refuses too.
std::optional<Prefix> read_network(Context& cx, const Element& e) {
  const std::optional<Prefix> prefix = read_prefix(cx, e);
  if (!prefix) return std::nullopt;
  const Prefix network{prefix->address.masked(prefix->length), prefix->length};
  if (network.address != prefix->address) {
    return fail(cx, e,
                "prefix " + quote(e.node.Scalar()) + " has host bits set (the network is " +
                    format_prefix(network) + ")");
  }
  return prefix;
}

// As EAL's --lcores takes it: a syntax error would otherwise stop sluiced at start.
std::optional<std::string> read_lcores(Context& cx, const Element& e) {
  std::optional<std::string> text = read_non_empty(cx, e);
  if (!text) return std::nullopt;
  if (const Result<std::set<uint32_t>> lcores = parse_lcores(*text); !lcores) {
    return fail(cx, e, "invalid lcores " + quote(*text) + ": " + lcores.error());
  }
  return text;
}

// The runtime directory /run/dpdk/<prefix>: "." or ".." would make it /run/dpdk or /run,
// which sluiced removes when it stops.
std::optional<std::string> read_file_prefix(Context& cx, const Element& e) {
  std::optional<std::string> prefix = read_name(cx, e, "file prefix", kFilePrefix);
  if (prefix && (*prefix == "." || *prefix == "..")) {
    return fail(cx, e, "file prefix " + quote(*prefix) + " names a directory above DPDK's own");
  }
  return prefix;
}

// The EAL options sluice writes from keys of its own (control/ports.cc, eal_arguments): given
// again in extra_args, EAL would take the last, and sluiced, which checks the runtime
// directory of eal.file_prefix and sizes its tables by eal.lcores, another.
struct OwnOption {
  std::string_view option;  // "--long" also matches "--long=...", "-s" also "-sVALUE"
  std::string_view key;
};
constexpr std::array kOwnOptions{
    OwnOption{"--lcores", "eal.lcores"},       OwnOption{"-l", "eal.lcores"},
    OwnOption{"-c", "eal.lcores"},             OwnOption{"--file-prefix", "eal.file_prefix"},
    OwnOption{"-m", "eal.memory_mb"},          OwnOption{"--socket-mem", "eal.memory_mb"},
    OwnOption{"--no-huge", "eal.no_huge"},
};

const OwnOption* own_option(std::string_view arg) {
  for (const OwnOption& own : kOwnOptions) {
    const bool is_long = own.option.starts_with("--");
    if (arg == own.option || (is_long && arg.starts_with(std::string(own.option) + "=")) ||
        (!is_long && arg.starts_with(own.option) && !arg.starts_with("--"))) {
      return &own;
    }
  }
  return nullptr;
}

std::optional<std::vector<std::string>> read_eal_arguments(Context& cx, const Element& e) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return std::nullopt;
  if (items->size() > kMaxEalArguments) {
    return fail(cx, e, std::to_string(items->size()) + " arguments, more than " +
                           std::to_string(kMaxEalArguments));
  }
  const ErrorWatch watch(cx);
  std::vector<std::string> args;
  for (const Element& item : *items) {
    std::optional<std::string> arg = read_string(cx, item);
    const OwnOption* own = arg ? own_option(*arg) : nullptr;
    if (arg && arg->size() > kMaxEalArgumentBytes) {
      fail(cx, item, "argument is longer than " + std::to_string(kMaxEalArgumentBytes) + " bytes");
    } else if (own != nullptr) {
      fail(cx, item, quote(*arg) + ": sluice sets " + std::string(own->option) + " from " +
                         std::string(own->key) + "; set that key instead");
    } else if (arg) {
      args.push_back(std::move(*arg));
    }
  }
  if (!watch.clean()) return std::nullopt;
  return args;
}

void parse_eal(Context& cx, const Element& e, Eal& eal) {
  const Fields f(cx, e, {"lcores", "memory_mb", "no_huge", "file_prefix", "extra_args"});
  if (auto v = f.get("lcores")) set(eal.lcores, read_lcores(cx, *v));
  eal.memory_mb_origin = e.origin;
  if (auto v = f.get("memory_mb")) {
    set(eal.memory_mb, read_integer(cx, *v, kMemoryMb));
    eal.memory_mb_origin = v->origin;
  }
  if (auto v = f.get("no_huge")) set(eal.no_huge, read_bool(cx, *v));
  if (auto v = f.get("file_prefix")) set(eal.file_prefix, read_file_prefix(cx, *v));
  if (auto v = f.get("extra_args")) set(eal.extra_args, read_eal_arguments(cx, *v));
}

void parse_workers(Context& cx, const Element& e, Workers& workers) {
  const Fields f(cx, e, {"count", "burst", "idle_polls", "idle_sleep_us"});
  if (auto v = f.get("count")) set(workers.count, read_integer(cx, *v, kWorkerCount));
  if (auto v = f.get("burst")) set(workers.burst, read_integer(cx, *v, kBurst));
  if (auto v = f.get("idle_polls")) set(workers.idle_polls, read_integer(cx, *v, kIdlePolls));
  if (auto v = f.get("idle_sleep_us")) {
    set(workers.idle_sleep_us, read_integer(cx, *v, kIdleSleepUs));
  }
}

void parse_control_socket(Context& cx, const Element& socket, Control& control) {
  const std::optional<std::string> path = read_string(cx, socket);
  if (!path) return;
  if (!path->starts_with('/')) {
    cx.error(socket.origin, "expected an absolute path");
  } else if (path->size() > kMaxSocketPath) {
    cx.error(socket.origin, "path is longer than " + std::to_string(kMaxSocketPath) +
                                " bytes, the limit of a unix socket address");
  } else {
    control.socket = *path;
  }
}

// The group must exist where the file is checked: the daemon gives the socket to it at start.
void parse_control_group(Context& cx, const Element& e, Control& control) {
  const std::optional<std::string> name = read_string(cx, e);
  if (!name) return;
  if (name->empty() || name->size() > kMaxGroupName || name->find('\0') != std::string::npos) {
    cx.error(e.origin, "expected a group name of 1.." + std::to_string(kMaxGroupName) + " bytes");
  } else if (getgrnam(name->c_str()) == nullptr) {
    cx.error(e.origin, "no group named " + quote(*name) + " on this host");
  } else {
    control.group = *name;
  }
}

void parse_control(Context& cx, const Element& e, Control& control) {
  const Fields f(cx, e, {"socket", "group", "group_access"});
  if (auto v = f.get("socket")) parse_control_socket(cx, *v, control);
  if (auto v = f.get("group")) parse_control_group(cx, *v, control);
  if (auto v = f.get("group_access")) {
    set(control.group_access, read_enum<ControlAccess>(cx, *v, "group_access"));
  }
}

std::vector<Prefix> parse_interface_addresses(Context& cx, const Element& e) {
  std::vector<Prefix> addresses;
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return addresses;
  if (items->empty()) cx.error(e.origin, "expected at least one address");
  for (const Element& item : *items) {
    const std::optional<Prefix> prefix = read_prefix(cx, item);
    if (!prefix) continue;
    if (!is_unicast(cx, item, prefix->address, "address")) continue;
    // With /0 every address would be on this interface's segment.
    if (prefix->length == 0) {
      cx.error(item.origin, "prefix length 0 is out of range (expected 1.." +
                                std::to_string(prefix->address.bits()) + ")");
      continue;
    }
    addresses.push_back(*prefix);
  }
  return addresses;
}

// A PCI address or a vdev string "name,key=value,...", as EAL's -a and --vdev take them.
std::optional<std::string> read_device(Context& cx, const Element& e) {
  std::optional<std::string> device = read_non_empty(cx, e);
  if (!device) return std::nullopt;
  if (device->size() > kMaxDeviceBytes) {
    return fail(cx, e, "device is longer than " + std::to_string(kMaxDeviceBytes) + " bytes");
  }
  const std::string name = port_name_of(*device);
  if (name.size() > kMaxDeviceName) {
    return fail(cx, e, "device name " + quote(name) + " is longer than " +
                           std::to_string(kMaxDeviceName) + " bytes (DPDK's limit)");
  }
  // Each ',' starts a key=value argument.
  const auto arguments = static_cast<size_t>(std::count(device->begin(), device->end(), ','));
  if (arguments > kMaxDeviceArguments) {
    return fail(cx, e, "device has " + std::to_string(arguments) + " arguments, more than " +
                           std::to_string(kMaxDeviceArguments) + " (DPDK's limit)");
  }
  return device;
}

std::optional<Interface> parse_interface(Context& cx, const Element& e) {
  const ErrorWatch watch(cx);
  Interface interface;
  interface.origin = e.origin;
  const Fields f(cx, e, {"name", "device", "mtu", "addresses", "tap"});
  const std::optional<Element> name = f.require("name");
  if (name) set(interface.name, read_name(cx, *name, "interface name", kKernelName));
  if (auto v = f.require("device")) set(interface.device, read_device(cx, *v));
  if (auto v = f.get("mtu")) set(interface.mtu, read_integer(cx, *v, kMtu));
  if (auto v = f.require("addresses")) interface.addresses = parse_interface_addresses(cx, *v);
  if (auto v = f.get("tap")) {
    set(interface.tap, read_name(cx, *v, "TAP name", kKernelName));
  } else if (!interface.name.empty()) {
    interface.tap = std::string(kDefaultTapPrefix) + interface.name;
    if (interface.tap.size() > kKernelName.max_size) {
      cx.error(name->origin, "name " + quote(interface.name) + " is too long for the default " +
                                 "TAP name " + quote(interface.tap) + " (at most " +
                                 std::to_string(kKernelName.max_size) +
                                 " characters); shorten it or set tap");
    }
  }
  if (!watch.clean()) return std::nullopt;
  return interface;
}

std::optional<Route> parse_route(Context& cx, const Element& e) {
  const ErrorWatch watch(cx);
  Route route;
  route.origin = e.origin;
  const Fields f(cx, e, {"prefix", "via"});
  if (auto v = f.require("prefix")) set(route.prefix, read_network(cx, *v));
  if (auto v = f.require("via")) {
    set(route.via, read_unicast(cx, *v, "next hop"));
  }
  if (!watch.clean()) return std::nullopt;
  return route;
}

void parse_timeouts(Context& cx, const Element& e, Timeouts& timeouts) {
  const Fields f(cx, e, {"tcp", "tcp_fin", "tcp_syn", "tcp_close", "udp"});
  if (auto v = f.get("tcp")) set(timeouts.tcp, read_integer(cx, *v, kTimeout));
  if (auto v = f.get("tcp_fin")) set(timeouts.tcp_fin, read_integer(cx, *v, kTimeout));
  if (auto v = f.get("tcp_syn")) set(timeouts.tcp_syn, read_integer(cx, *v, kTimeout));
  if (auto v = f.get("tcp_close")) set(timeouts.tcp_close, read_integer(cx, *v, kTimeout));
  if (auto v = f.get("udp")) set(timeouts.udp, read_integer(cx, *v, kTimeout));
}

void parse_connections(Context& cx, const Element& e, Connections& connections) {
  const Fields f(cx, e, {"capacity", "timeouts"});
  if (auto v = f.get("capacity")) set(connections.capacity, read_integer(cx, *v, kCapacity));
  if (auto v = section(f, "timeouts")) parse_timeouts(cx, *v, connections.timeouts);
}

void parse_neighbours(Context& cx, const Element& e, Neighbours& neighbours) {
  const Fields f(cx, e, {"timeout"});
  if (auto v = f.get("timeout")) set(neighbours.timeout, read_integer(cx, *v, kNeighbourTimeout));
}

void parse_log(Context& cx, const Element& e, Log& log) {
  const Fields f(cx, e, {"level"});
  if (auto v = f.get("level")) set(log.level, read_enum<LogLevel>(cx, *v, "log level"));
}

// `tcp`, `udp`, or `both` for tcp and udp on the same address and ports.
std::optional<std::vector<Protocol>> read_protocols(Context& cx, const Element& e) {
  constexpr std::array kNames{"tcp", "udp", "both"};
  const std::string expected = either_of(kNames);
  if (!e.node.IsScalar()) return fail(cx, e, "expected " + expected);
  const std::string& name = e.node.Scalar();
  if (name == "tcp") return std::vector{Protocol::tcp};
  if (name == "udp") return std::vector{Protocol::udp};
  if (name == "both") return std::vector{Protocol::tcp, Protocol::udp};
  return fail(cx, e, "unknown protocol " + quote(name) + " (expected " + expected + ")");
}

// `vs` is the service as parsed so far: its health_check and feedback are what the server's
// own keys of those names change.
std::optional<RealServer> parse_real_server(Context& cx, const Element& e,
                                            const VirtualService& vs) {
  const ErrorWatch watch(cx);
  RealServer rs;
  rs.origin = e.origin;
  const Fields f(cx, e,
                 {"address", "port", "weight", "state", "max_conns", "min_conns", "health_check",
                  "feedback"});
  if (auto v = f.require("address")) set(rs.address, read_unicast(cx, *v, "real server"));
  if (auto v = f.get("port")) set(rs.port, read_integer(cx, *v, kPort, "a port number"));
  if (auto v = f.get("weight")) set(rs.weight, read_integer(cx, *v, kWeight));
  if (auto v = f.get("state")) set(rs.state, read_enum<AdminState>(cx, *v, "state"));
  if (auto v = f.get("max_conns")) set(rs.max_conns, read_integer(cx, *v, kConnLimit));
  if (auto v = f.get("min_conns")) {
    set(rs.min_conns, read_integer(cx, *v, kConnLimit));
    if (rs.min_conns != 0 && rs.min_conns >= rs.max_conns) {
      cx.error(v->origin,
               "min_conns must be below max_conns (the threshold to take new "
               "connections again after reaching max_conns)");
    }
  }
  if (auto v = f.get("health_check")) {
    rs.health_check = parse_health_check(cx, *v, vs.health_check.value_or(HealthCheck{}));
  }
  if (auto v = f.get("feedback")) {
    rs.feedback = parse_feedback(cx, *v, vs.feedback.value_or(Feedback{}));
  }
  if (!watch.clean()) return std::nullopt;
  return rs;
}

// A fallback server is an address and, in nat mode, a port; nothing else applies to it.
std::optional<RealServer> parse_fallback(Context& cx, const Element& e) {
  const ErrorWatch watch(cx);
  RealServer rs;
  rs.origin = e.origin;
  const Fields f(cx, e, {"address", "port"});
  if (auto v = f.require("address")) set(rs.address, read_unicast(cx, *v, "fallback server"));
  if (auto v = f.get("port")) set(rs.port, read_integer(cx, *v, kPort, "a port number"));
  if (!watch.clean()) return std::nullopt;
  return rs;
}

// The items of a list that parsed without errors.
template <class Item>
std::vector<Item> parse_list(Context& cx, const std::vector<Element>& items,
                             std::optional<Item> (*parse_item)(Context&, const Element&)) {
  std::vector<Item> parsed;
  for (const Element& item : items) {
    if (std::optional<Item> value = parse_item(cx, item)) parsed.push_back(std::move(*value));
  }
  return parsed;
}

std::vector<RealServer> parse_real_servers(Context& cx, const Element& e,
                                           const VirtualService& vs) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return {};
  std::vector<RealServer> parsed;
  for (const Element& item : *items) {
    if (std::optional<RealServer> rs = parse_real_server(cx, item, vs)) {
      parsed.push_back(std::move(*rs));
    }
  }
  return parsed;
}

struct ParsedListener {
  Listener listener;
  std::vector<PortItem> ports;  // as written, for the validator's errors
};

// The keys of a listener: those of a `listeners` item, or the service's own.
ParsedListener parse_listener_keys(Context& cx, const Fields& f, const Origin& origin) {
  ParsedListener parsed;
  Listener& listener = parsed.listener;
  listener.origin = origin;
  if (auto v = f.require("address")) set(listener.address, read_unicast(cx, *v, "address"));
  if (auto v = f.require("ports")) {
    if (std::optional<ReadPorts> read = read_ports(cx, *v, f.get("except_ports"))) {
      listener.ports = std::move(read->set);
      parsed.ports = std::move(read->items);
    }
  }
  if (auto v = f.require("protocol")) set(listener.protocols, read_protocols(cx, *v));
  return parsed;
}

std::optional<ParsedListener> parse_listener(Context& cx, const Element& e) {
  const Fields f(cx, e, {"address", "ports", "except_ports", "protocol"});
  if (!f.is_mapping()) return std::nullopt;
  return parse_listener_keys(cx, f, e.origin);
}

struct ParsedService {
  VirtualService vs;
  std::vector<std::vector<PortItem>> listener_ports;  // [listener]

  void add(ParsedListener&& parsed) {
    vs.listeners.push_back(std::move(parsed.listener));
    listener_ports.push_back(std::move(parsed.ports));
  }
};

// A service gives where it listens in its own keys or in `listeners`, not both: one place to
// look.
void parse_listeners(Context& cx, const Fields& f, const Element& e, ParsedService& parsed) {
  for (std::string_view key : {"address", "ports", "except_ports", "protocol"}) {
    if (auto v = f.get(key)) {
      cx.error(v->origin,
               "not allowed with listeners: give " + std::string(key) + " in each listener");
    }
  }
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return;
  if (items->empty()) cx.error(e.origin, "expected at least one listener");
  for (ParsedListener& listener : parse_list(cx, *items, parse_listener)) {
    parsed.add(std::move(listener));
  }
}

// The position of key `name` of an item, or of the item when the key is absent.
const Origin& field_origin(const Context& cx, const Origin& item, std::string_view name) {
  return cx.origin_of(child_path(item.path, name), item);
}

// A dotted netmask of contiguous ones (255.255.255.0, not 255.0.255.0; 0.0.0.0 groups every
// client), or a prefix length (64), which is how ipvsadm takes it for IPv6. Which fits the
// service's family is validation's business.
void parse_netmask(Context& cx, const Element& v, Persistence& p) {
  const std::string text = v.node.IsScalar() ? v.node.Scalar() : std::string();
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    if (const std::optional<uint32_t> bits = read_integer(cx, v, kPrefixLength)) {
      p.prefix_length = static_cast<uint8_t>(*bits);
      // (Shifting a 32-bit value by 32 is undefined: length 0 is spelled out.)
      if (*bits <= 32) p.netmask = *bits == 0 ? 0 : ~Ipv4{0} << (32 - *bits);
    }
    return;
  }
  const std::optional<Ipv4> mask = parse_ipv4(text);
  const Ipv4 inverted = mask ? ~*mask : 1;
  if (!mask || (inverted & (inverted + 1)) != 0) {
    cx.error(v.origin, "invalid netmask " + quote(text) +
                           " (expected contiguous ones such as 255.255.255.0, or a prefix "
                           "length such as 64)");
    return;
  }
  p.netmask = *mask;
}

std::optional<Persistence> parse_persistence(Context& cx, const Element& e) {
  const ErrorWatch watch(cx);
  Persistence p;
  const Fields f(cx, e, {"timeout", "netmask"});
  if (auto v = f.get("timeout")) set(p.timeout, read_integer(cx, *v, kTimeout));
  if (auto v = f.get("netmask")) parse_netmask(cx, *v, p);
  if (!watch.clean()) return std::nullopt;
  return p;
}

void parse_snat_pool(Context& cx, const Element& e, VirtualService& vs) {
  if (vs.mode != Mode::snat) {
    cx.error(e.origin, "snat_pool applies to snat mode only");
    return;
  }
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return;
  if (items->empty()) cx.error(e.origin, "snat_pool needs at least one address");
  for (const Element& item : *items) {
    if (std::optional<IpAddress> address = read_unicast(cx, item, "snat_pool address")) {
      vs.snat_pool.push_back(*address);
      vs.snat_pool_origins.push_back(item.origin);
    }
  }
}

// `timeouts` are the global connections.timeouts, for the keys the service leaves out.
std::optional<ParsedService> parse_virtual_service(Context& cx, const Element& e,
                                                   const Timeouts& timeouts) {
  const ErrorWatch watch(cx);
  ParsedService parsed;
  VirtualService& vs = parsed.vs;
  vs.origin = e.origin;
  const Fields f(cx, e,
                 {"name", "address", "ports", "except_ports", "protocol", "listeners", "mode",
                  "scheduler", "real_servers", "fallback", "snat_pool", "persistence",
                  "timeouts", "on_remove", "health_check", "feedback", "on_failure"});
  if (auto v = f.require("name")) {
    set(vs.name, read_name(cx, *v, "virtual service name", kServiceName));
  }
  if (auto v = f.get("listeners")) {
    parse_listeners(cx, f, *v, parsed);
  } else {
    parsed.add(parse_listener_keys(cx, f, vs.origin));
  }
  if (auto v = f.require("mode")) set(vs.mode, read_enum<Mode>(cx, *v, "mode"));
  if (auto v = f.get("scheduler")) set(vs.scheduler, read_enum<Scheduler>(cx, *v, "scheduler"));
  vs.timeouts = timeouts;
  if (auto v = section(f, "timeouts")) parse_timeouts(cx, *v, vs.timeouts);
  if (auto v = f.get("on_remove")) set(vs.on_remove, read_enum<KeepOrCut>(cx, *v, "on_remove"));
  if (auto v = f.get("on_failure")) set(vs.on_failure, read_enum<KeepOrCut>(cx, *v, "on_failure"));
  if (auto v = section(f, "health_check")) vs.health_check = parse_health_check(cx, *v, {});
  if (auto v = section(f, "feedback")) vs.feedback = parse_feedback(cx, *v, {});
  // Errors of the service itself leave it out; a bad real server leaves out only that server.
  const bool service_clean = watch.clean();
  if (auto v = f.require("real_servers")) vs.real_servers = parse_real_servers(cx, *v, vs);
  if (auto v = f.get("fallback")) vs.fallback = parse_fallback(cx, *v);
  if (auto v = f.get("persistence")) vs.persistence = parse_persistence(cx, *v);
  if (auto v = f.get("snat_pool")) {
    parse_snat_pool(cx, *v, vs);
  } else if (vs.mode == Mode::snat) {
    cx.error(field_origin(cx, vs.origin, "mode"),
             "snat mode needs snat_pool: the source "
             "addresses the real servers will see");
  }
  if (!service_clean) return std::nullopt;
  return parsed;
}

void parse_virtual_services(Context& cx, const Element& e, Draft& draft) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return;
  for (const Element& item : *items) {
    if (std::optional<ParsedService> parsed =
            parse_virtual_service(cx, item, draft.config.connections.timeouts)) {
      draft.config.virtual_services.push_back(std::move(parsed->vs));
      draft.listener_ports.push_back(std::move(parsed->listener_ports));
    }
  }
}

std::vector<Interface> parse_interfaces(Context& cx, const Element& e) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return {};
  if (items->empty()) cx.error(e.origin, "expected at least one interface");
  return parse_list(cx, *items, parse_interface);
}

std::vector<Route> parse_routes(Context& cx, const Element& e) {
  const std::optional<std::vector<Element>> items = read_list(cx, e);
  if (!items) return {};
  return parse_list(cx, *items, parse_route);
}

Draft parse_config(Context& cx, const YAML::Node& root) {
  Draft draft;
  Config& config = draft.config;
  const Fields top(cx, Element{root, locate(root, "")},
                   {"eal", "workers", "control", "interfaces", "routes", "connections",
                    "neighbours", "log", "health", "ha", "http", "virtual_services"});
  if (!top.is_mapping()) return draft;
  if (auto v = section(top, "eal")) parse_eal(cx, *v, config.eal);
  if (auto v = section(top, "workers")) parse_workers(cx, *v, config.workers);
  if (auto v = section(top, "control")) parse_control(cx, *v, config.control);
  const ErrorWatch interfaces(cx);
  if (auto v = top.require("interfaces")) config.interfaces = parse_interfaces(cx, *v);
  draft.interfaces_complete = interfaces.clean();
  const ErrorWatch routes(cx);
  if (auto v = top.get("routes")) config.routes = parse_routes(cx, *v);
  draft.routes_complete = routes.clean();
  if (auto v = section(top, "connections")) parse_connections(cx, *v, config.connections);
  if (auto v = section(top, "neighbours")) parse_neighbours(cx, *v, config.neighbours);
  if (auto v = section(top, "log")) parse_log(cx, *v, config.log);
  if (auto v = section(top, "health")) parse_health_settings(cx, *v, config.health);
  if (auto v = section(top, "ha")) parse_ha(cx, *v, config.ha);
  if (auto v = section(top, "http")) config.http = parse_http(cx, *v);
  if (auto v = top.get("virtual_services")) parse_virtual_services(cx, *v, draft);
  return draft;
}

// Remembers where each document starts.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark last;

  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Where a second document starts, if there is one. yaml-cpp's LoadAll() would tell, but it
// loops forever, allocating, on some malformed input (a stray ',' at the top level), so the
// documents are walked with the event parser, which is asked for two documents at most.
std::optional<YAML::Mark> second_document(const std::string& yaml) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentStarts starts;
  parser.HandleNextDocument(starts);
  if (!parser.HandleNextDocument(starts)) return std::nullopt;
  return starts.last;
}

// The one YAML document of the file, or nullopt after reporting why there is none.
std::optional<YAML::Node> read_document(Context& cx, const std::string& yaml) {
  try {
    const YAML::Node root = YAML::Load(yaml);
    const std::optional<YAML::Mark> second = second_document(yaml);
    if (root.IsNull() && second) {
      // yaml-cpp stops without an error at a token that cannot start a document.
      cx.error(locate(*second, ""), "expected a mapping");
      return std::nullopt;
    }
    if (root.IsNull()) {
      cx.file_error("empty configuration: expected a mapping");
      return std::nullopt;
    }
    if (second) cx.error(locate(*second, ""), "expected a single YAML document");
    return root;
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp guards its recursion with a fixed depth and says only "bad file".
    cx.error(locate(e.mark, ""), "nested too deeply: more than " + std::to_string(e.depth() - 1) +
                                     " levels of lists and mappings");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    cx.error(locate(e.mark, ""), e.msg);
    return std::nullopt;
  }
}

// The file's first limit bytes, or the error that prevented reading them.
std::optional<std::string> read_file(const std::string& path, size_t limit, std::string& text) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open: " + std::generic_category().message(errno);
  std::optional<std::string> failure;
  std::array<char, 65536> buffer;
  while (text.size() < limit) {
    const ssize_t n = ::read(fd, buffer.data(), std::min(buffer.size(), limit - text.size()));
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failure = "cannot read: " + std::generic_category().message(errno);
      break;
    }
    text.append(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return failure;
}

}  // namespace

std::string Error::format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

LoadResult load_string(const std::string& yaml, const std::string& name) {
  Context cx(name);
  LoadResult result;
  if (yaml.size() > kMaxFileBytes) {
    cx.file_error("too large: more than " + std::to_string(kMaxFileBytes) + " bytes");
  } else if (const std::optional<YAML::Node> root = read_document(cx, yaml)) {
    Draft draft = parse_config(cx, *root);
    validate(draft, cx);
    if (cx.error_count() == 0) {
      result.config = std::move(draft.config);
      result.config->file = name;
    }
  }
  result.errors = cx.take_errors();
  return result;
}

LoadResult load_file(const std::string& path) {
  std::string text;
  // One byte past the limit lets load_string tell a file at the limit from a larger one.
  if (std::optional<std::string> failure = read_file(path, kMaxFileBytes + 1, text)) {
    return LoadResult{std::nullopt, {Error{path, 0, 0, "", std::move(*failure)}}};
  }
  return load_string(text, path);
}

}  // namespace sluice::config
