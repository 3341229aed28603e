// DPDK's --lcores value, read as EAL reads it (eal_parse_lcores), so that --check refuses what
// rte_eal_init would, and can count the lcores the workers need.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sluice::config {

// RTE_MAX_LCORE of Debian's DPDK build: lcore ids are below it.
inline constexpr uint32_t kMaxLcore = 128;
// CPU_SETSIZE: the CPUs an lcore may run on are below it.
inline constexpr uint32_t kMaxCpu = 1024;

// Groups "SET[@CPUS]" separated by ','; SET and CPUS are a number, a range "a-b" (either
// order) or a parenthesised list of them: "0-2", "0@0,1@1,2@1", "(0-3)@(0,1)". Blanks around
// the parts are allowed, as EAL allows them.
// Every lcore named, or why the text does not parse.
Result<std::set<uint32_t>> parse_lcores(std::string_view text);

}  // namespace sluice::config
