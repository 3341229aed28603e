// The port syntax of virtual services and their listeners:
//   ports: 80 | 5070-5073 | "80,443,5070-5073" | [80, 443, "5070-5073"] | all
//   except_ports: the same, but not all, and only next to `ports: all`
// and the overlap test the loader and the validator use to find ports given twice.
// Thread safety: pure apart from the Context errors are reported to.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "config/model.h"
#include "config/yaml_reader.h"

namespace sluice::config {

// A port or range where the file wrote it, for errors found after parsing.
struct PortItem {
  PortRange range;
  Origin origin;
};

struct ReadPorts {
  PortSet set;
  // The ports listened on, as written: the items of `ports`; for `ports: all`, the ranges
  // between the exceptions, each at the position of `all`.
  std::vector<PortItem> items;
};

// `ports`, and `except_ports` if given, of one listener; nullopt after reporting errors.
std::optional<ReadPorts> read_ports(Context& cx, const Element& ports,
                                    const std::optional<Element>& except);

// Port ranges that do not overlap, and where each was written.
class PortRanges {
 public:
  struct Overlap {
    PortRange shared;  // the ports both ranges have
    Origin first;      // where the earlier range was written
  };
  // Adds `item` unless it overlaps a range added before; then returns the overlap with the
  // lowest such range and leaves the set unchanged.
  std::optional<Overlap> add(const PortItem& item);

 private:
  std::map<uint16_t, PortItem> by_first_;
};

}  // namespace sluice::config
