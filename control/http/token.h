// The status page's actions are allowed to a request whose Authorization header is
// "Bearer TOKEN" with the configured token (http.token_file).
// Thread safety: a pure function.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice::control::http {

// Compared in constant time: both sides are hashed (SHA-256) and the digests compared with
// CRYPTO_memcmp, so neither the position of the first wrong byte nor the token's length
// shows in the time an answer takes. An empty `token` matches nothing.
bool bearer_matches(std::string_view authorization, const std::vector<uint8_t>& token);

}  // namespace sluice::control::http
