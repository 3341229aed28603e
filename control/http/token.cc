#include "control/http/token.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>

namespace sluice::control::http {
namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(const void* data, size_t size) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(static_cast<const unsigned char*>(data), size, out.data());
  return out;
}

// RFC 7235 2.1: the scheme's name is case-insensitive ("bearer" is "Bearer").
bool has_bearer_scheme(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  return true;
}

}  // namespace

bool bearer_matches(std::string_view authorization, const std::vector<uint8_t>& token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || !has_bearer_scheme(authorization)) return false;
  authorization.remove_prefix(kScheme.size());
  const auto sent = digest(authorization.data(), authorization.size());
  const auto ours = digest(token.data(), token.size());
  return CRYPTO_memcmp(sent.data(), ours.data(), sent.size()) == 0;
}

}  // namespace sluice::control::http
