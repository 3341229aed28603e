// A check script: one program run through uv_spawn in a process group of its own, its exit
// status the verdict. libuv reaps it (SIGCHLD, waitpid with WNOHANG): nothing here waits.
// Thread safety: the event loop's thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "control/health/probe.h"

namespace sluice::control::health {

// The deadline starts with start() (when the script's turn comes, not when it was asked for).
std::unique_ptr<Probe> make_script_probe(const ProbeContext& context, std::vector<std::string> argv,
                                         std::vector<std::string> env);

}  // namespace sluice::control::health
