#include "config/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice::config {

std::optional<std::vector<uint8_t>> read_secret_file(Context& cx, const Element& e,
                                                     const std::string& path, const char* what) {
  constexpr size_t kMin = 16;
  constexpr size_t kMax = 1024;
  const std::string named = std::string(what) + " " + quote(path);
  // Opened without waiting (a FIFO or device would hold the loader, which a reload runs on
  // the control loop), then judged by what was opened: a regular file only.
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return fail(cx, e, "cannot read " + named + ": " + std::strerror(errno));
  struct stat st{};
  const bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (!regular) {
    close(fd);
    return fail(cx, e, named + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    close(fd);
    return fail(cx, e, named + " may be read by others (chmod 600 it)");
  }
  std::vector<uint8_t> secret(kMax + 2);
  const ssize_t n = read(fd, secret.data(), secret.size());
  close(fd);
  secret.resize(n > 0 ? static_cast<size_t>(n) : 0);
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (secret.size() < kMin || secret.size() > kMax) {
    return fail(cx, e, named + " must hold 16 to 1024 bytes");
  }
  return secret;
}

}  // namespace sluice::config
