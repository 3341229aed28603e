// Enums whose values are counters shown by name (the HA protocols' drop reasons): the list is
// written once, as an X-macro of X(name), and makes the enum, its size and its names.
// Thread safety: constants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#define SLUICE_NAMED_ENUMERATOR(name) name,
#define SLUICE_NAMED_STRING(name) #name,
#define SLUICE_NAMED_COUNT(name) +1
// enum class Enum : uint8_t with list's values in order, `count` (how many) and
// to_string(Enum) (its name; "?" for a value off the list).
#define SLUICE_NAMED_ENUM(Enum, count, list)                           \
  enum class Enum : uint8_t { list(SLUICE_NAMED_ENUMERATOR) };         \
  inline constexpr size_t count = 0 list(SLUICE_NAMED_COUNT);          \
  constexpr std::string_view to_string(Enum value) {                   \
    constexpr std::string_view kNames[] = {list(SLUICE_NAMED_STRING)}; \
    const auto i = static_cast<size_t>(value);                         \
    return i < count ? kNames[i] : "?";                                \
  }
