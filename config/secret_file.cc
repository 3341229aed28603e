#include "config/secret_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sluice::config {

std::optional<std::vector<uint8_t>> read_secret_file(Context& cx, const Element& e,
                                                     const std::string& path, const char* what) {
  constexpr size_t kMin = 16;
  constexpr size_t kMax = 1024;
  const std::string named = std::string(what) + " " + quote(path);
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    return fail(cx, e, "cannot read " + named + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    return fail(cx, e, named + " may be read by others (chmod 600 it)");
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> secret;
  char c;
  while (secret.size() <= kMax && in.get(c)) secret.push_back(static_cast<uint8_t>(c));
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (secret.size() < kMin || secret.size() > kMax) {
    return fail(cx, e, named + " must hold 16 to 1024 bytes");
  }
  return secret;
}

}  // namespace sluice::config
