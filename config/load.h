// Reads a YAML file into a validated Config, or into every error found in it.
// Errors point at the offending node: "FILE:LINE:COLUMN: key.path: message", the format of
// `sluiced --check`, of `sluicectl reload` and of the log when a reload is refused.
// Thread safety: pure functions; call from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/model.h"

namespace sluice::config {

struct Error {
  std::string file;
  int line = 0;      // 1-based; 0 when the error is about the whole file (cannot open it)
  int column = 0;    // 1-based
  std::string path;  // "virtual_services[1].real_servers[0].weight"; empty for the whole file
  std::string message;

  // "FILE:LINE:COLUMN: key.path: message"
  std::string format() const;
};

struct LoadResult {
  std::optional<Config> config;  // set only when errors is empty
  std::vector<Error> errors;     // every error found, in file order
};

LoadResult load_file(const std::string& path);
// `name` stands for the file name in errors.
LoadResult load_string(const std::string& yaml, const std::string& name);

}  // namespace sluice::config
