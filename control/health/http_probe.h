// An http or https check: one request through the checks' HttpClient (control/http_client.h)
// to a real server's address, never resolved; the answer's status and the start of its body
// are what the check's rules judge.
// Thread safety: the event loop's thread only.
#pragma once

#include <memory>

#include "control/health/probe.h"
#include "control/http_client.h"

namespace sluice::control::health {

std::unique_ptr<Probe> make_http_probe(const ProbeContext& context, HttpClient& client,
                                       const HttpRequest& request);

}  // namespace sluice::control::health
