#include "config/services_block.h"

#include <vector>

namespace sluice::config {
namespace {

constexpr std::string_view kKey = "virtual_services:";

// Does this line start a top-level key (or end the document)? Blank lines, comments, list
// items and a flow collection's brackets and items at column 0 do not.
bool top_level(std::string_view line) {
  return !line.empty() && std::string_view(" \t-#\r\n[]{},").find(line[0]) == std::string_view::npos;
}

bool starts_block(std::string_view line) {
  return line.starts_with(kKey) &&
         (line.size() == kKey.size() ||
          std::string_view(" \t\r\n").find(line[kKey.size()]) != std::string_view::npos);
}

// Byte ranges [begin, end) of every line, newline included.
std::vector<std::pair<size_t, size_t>> lines_of(std::string_view text) {
  std::vector<std::pair<size_t, size_t>> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t newline = text.find('\n', at);
    const size_t end = newline == std::string_view::npos ? text.size() : newline + 1;
    lines.emplace_back(at, end);
    at = end;
  }
  return lines;
}

// The block's byte range in `text`, if it has one.
std::optional<std::pair<size_t, size_t>> block_range(std::string_view text) {
  const auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!starts_block(text.substr(lines[i].first))) continue;
    // It ends after its last line of content: blank lines and comments at column 0 before the
    // next key introduce that key, not this block.
    size_t end = lines[i].second;
    for (size_t k = i + 1; k < lines.size(); ++k) {
      const std::string_view line = text.substr(lines[k].first, lines[k].second - lines[k].first);
      if (top_level(line)) break;
      const size_t first = line.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos && !(first == 0 && line[0] == '#')) end = lines[k].second;
    }
    return std::pair{lines[i].first, end};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> services_block(std::string_view text) {
  const auto range = block_range(text);
  if (!range) return std::nullopt;
  return std::string(text.substr(range->first, range->second - range->first));
}

Result<std::string> with_services_block(std::string_view text, std::string_view block) {
  const std::optional<std::pair<size_t, size_t>> own = block_range(block);
  if (!own || own->first != 0 || own->second != block.size()) {
    return Error{"the pushed text is not one virtual_services block (another top-level key, or "
                 "none)"};
  }
  std::string out;
  if (const auto range = block_range(text)) {
    out.append(text.substr(0, range->first));
    out.append(block);
    if (!block.empty() && block.back() != '\n' && range->second < text.size()) out += '\n';
    out.append(text.substr(range->second));
  } else {
    out.append(text);
    if (!out.empty() && out.back() != '\n') out += '\n';
    out.append(block);
  }
  return out;
}

}  // namespace sluice::config
