#include "control/admin_state_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/ip_text.h"

namespace sluice::control {
namespace {

using nlohmann::json;

// A state file holds one entry per overridden server: 4096 servers fit in well under 1 MiB.
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

Result<ServerKey> key_from(const json& entry) {
  if (!entry.is_object()) return Error{"an entry is not an object"};
  const auto service = entry.find("service");
  const auto address = entry.find("address");
  const auto port = entry.find("port");
  if (service == entry.end() || !service->is_string() || address == entry.end() ||
      !address->is_string() || port == entry.end() || !port->is_number_unsigned() ||
      port->get<uint64_t>() > 65535) {
    return Error{"an entry lacks service, address or port"};
  }
  const std::optional<IpAddress> ip = parse_ip(address->get<std::string>());
  if (!ip) return Error{"bad address " + address->get<std::string>().substr(0, 64)};
  return ServerKey{service->get<std::string>(), *ip, port->get<uint16_t>(), false};
}

Result<Override> override_from(const json& entry) {
  Override o;
  if (const auto state = entry.find("state"); state != entry.end()) {
    const std::optional<AdminState> parsed =
        state->is_string() ? from_name<AdminState>(state->get<std::string>()) : std::nullopt;
    if (!parsed) return Error{"bad state"};
    o.state = parsed;
  }
  if (const auto weight = entry.find("weight"); weight != entry.end()) {
    if (!weight->is_number_unsigned() || weight->get<uint64_t>() > 65535) {
      return Error{"bad weight"};
    }
    o.weight = weight->get<uint32_t>();
  }
  return o;
}

}  // namespace

std::string admin_state_path(const std::string& control_socket) {
  return std::filesystem::path(control_socket).replace_extension(".state").string();
}

Result<Overrides> read_admin_state(const std::string& path) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec == std::errc::no_such_file_or_directory) return Overrides{};
  if (ec) return Error{path + ": " + ec.message()};
  if (size > kMaxFileBytes) return Error{path + ": larger than 1 MiB"};
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("servers") ||
      !doc["servers"].is_array()) {
    return Error{path + ": not a state file (expected {\"servers\": [...]})"};
  }
  Overrides overrides;
  size_t index = 0;
  for (const json& entry : doc["servers"]) {
    Result<ServerKey> key = key_from(entry);
    Result<Override> o = key ? override_from(entry) : Error{key.error()};
    if (!o) return Error{path + ": servers[" + std::to_string(index) + "]: " + o.error()};
    overrides[key.value()] = o.value();
    ++index;
  }
  return overrides;
}

Result<void> write_admin_state(const std::string& path, const Overrides& overrides) {
  json servers = json::array();
  for (const auto& [key, o] : overrides) {
    if (key.fallback || (!o.state && !o.weight)) continue;
    json entry = {{"service", key.service}, {"address", format_ip(key.address)}, {"port", key.port}};
    if (o.state) entry["state"] = to_string(*o.state);
    if (o.weight) entry["weight"] = *o.weight;
    servers.push_back(std::move(entry));
  }
  const std::string temporary = path + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << json{{"servers", servers}}.dump(1) << "\n";
    if (!out.flush()) return Error{"cannot write " + temporary};
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return Error{"cannot rename " + temporary + " to " + path};
  }
  return {};
}

}  // namespace sluice::control
