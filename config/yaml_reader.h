// Typed, error-collecting access to a yaml-cpp tree, for the configuration loader.
// Every read that fails reports why at the node's position and key path and returns nullopt,
// so the loader goes on and finds every error of a file in one pass.
// Thread safety: a Context belongs to one load; the free functions are pure.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/names.h"

#include "config/load.h"
#include "config/model.h"

namespace sluice::config {

// The errors of one file, and where each mapping value was read, so that checks made after
// parsing can point at a field ("interfaces[1].device") the model keeps no position for.
class Context {
 public:
  explicit Context(std::string file) : file_(std::move(file)) {}

  void error(const Origin& where, std::string message);
  // An error about the file as a whole: no position, no path.
  void file_error(std::string message);
  // Every error reported so far, including those past the cap that were not kept.
  size_t error_count() const { return reported_; }
  // The kept errors in file order, followed by a note when some were not kept.
  std::vector<Error> take_errors();

  void remember(const Origin& origin);
  // Where the value at `path` was read; `fallback` when the file did not set it.
  const Origin& origin_of(const std::string& path, const Origin& fallback) const;

  // Charges one list item or mapping entry to the work budget. Aliases let a small file name
  // the same subtree millions of times; the budget bounds the time and memory such a file
  // costs. Returns false, after reporting it once, when the budget is spent.
  bool spend();

 private:
  std::string file_;
  std::vector<Error> errors_;
  size_t reported_ = 0;
  size_t spent_ = 0;
  std::unordered_map<std::string, Origin> origins_;
};

// A node with the position and key path its errors carry.
struct Element {
  YAML::Node node;
  Origin origin;
};

Origin locate(const YAML::Mark& mark, std::string path);
Origin locate(const YAML::Node& node, std::string path);
std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, size_t index);

// Reports `message` about `e`; returns nullopt for the failed read.
std::nullopt_t fail(Context& cx, const Element& e, std::string message);

// Operator text in quotes, made safe for a one-line message: control bytes escaped, long
// text cut short.
std::string quote(std::string_view text);

// The entries of a mapping whose keys the schema knows. Reports a value that is not a
// mapping, keys that are not strings, duplicate keys and unknown keys.
class Fields {
 public:
  Fields(Context& cx, const Element& mapping, std::initializer_list<std::string_view> known);

  bool is_mapping() const { return is_mapping_; }
  std::optional<Element> get(std::string_view key) const;
  // Like get, but reports a missing key (unless the value was not a mapping at all).
  std::optional<Element> require(std::string_view key) const;

 private:
  void add(const YAML::Node& key, const YAML::Node& value,
           std::initializer_list<std::string_view> known);

  Context& cx_;
  Origin origin_;
  bool is_mapping_ = false;
  std::unordered_set<std::string> seen_;                  // every key, for duplicates
  std::vector<std::pair<std::string, Element>> entries_;  // known keys, first occurrence
};

struct Range {
  uint32_t min = 0;
  uint32_t max = 0;
};

// A plain decimal integer in `range`; `noun` names what was expected ("a port number").
std::optional<uint32_t> read_integer(Context& cx, const Element& e, Range range,
                                     std::string_view noun = "an integer");
// Seconds as the YAML gives durations, "2" or "0.5" (to the millisecond), in milliseconds
// within `ms`.
std::optional<uint32_t> read_seconds_ms(Context& cx, const Element& e, Range ms);
std::optional<bool> read_bool(Context& cx, const Element& e);
// Any scalar, so `name: 80` is the string "80".
std::optional<std::string> read_string(Context& cx, const Element& e);
std::optional<Ipv4> read_ipv4(Context& cx, const Element& e);
std::optional<IpAddress> read_ip(Context& cx, const Element& e);  // IPv4 or IPv6
std::optional<Prefix> read_prefix(Context& cx, const Element& e);
// The items of a list, each with its path; an empty value is an empty list.
std::optional<std::vector<Element>> read_list(Context& cx, const Element& e);

// One of `values`, spelled as to_string spells it.
template <Named Enum>
std::optional<Enum> read_enum(Context& cx, const Element& e, std::string_view what) {
  const std::string expected = expected_names<Enum>();
  if (!e.node.IsScalar()) {
    cx.error(e.origin, "expected " + expected);
    return std::nullopt;
  }
  if (const std::optional<Enum> value = from_name<Enum>(e.node.Scalar())) return value;
  cx.error(e.origin, "unknown " + std::string(what) + " " + quote(e.node.Scalar()) + " (expected " +
                         expected + ")");
  return std::nullopt;
}

// Stores a value that was read; leaves the default when the read failed.
template <class T, class U>
void set(T& target, const std::optional<U>& value) {
  if (value) target = static_cast<T>(*value);
}

}  // namespace sluice::config
