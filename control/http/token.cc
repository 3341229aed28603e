#include "control/http/token.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

namespace sluice::control::http {
namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(const void* data, size_t size) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(static_cast<const unsigned char*>(data), size, out.data());
  return out;
}

}  // namespace

bool bearer_matches(std::string_view authorization, const std::vector<uint8_t>& token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || !authorization.starts_with(kScheme)) return false;
  authorization.remove_prefix(kScheme.size());
  const auto sent = digest(authorization.data(), authorization.size());
  const auto ours = digest(token.data(), token.size());
  return CRYPTO_memcmp(sent.data(), ours.data(), sent.size()) == 0;
}

}  // namespace sluice::control::http
