#include "tests/support/eal_env.h"

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "dataplane/packet_meta.h"

namespace sluice::test {

void init_eal_or_die(unsigned memory_mb) {
  const std::string prefix = "--file-prefix=sluice-test-" + std::to_string(getpid());
  std::vector<std::string> args{"tests",      "-l",   "0",
                                "--no-huge",  "-m",   std::to_string(memory_mb),
                                "--no-pci",   prefix, "--log-level=*:error",
                                "--no-shconf"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "tests: EAL initialisation failed\n");
    std::exit(1);
  }
}

void cleanup_eal() {
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  std::error_code ignored;
  std::filesystem::remove_all(runtime_dir, ignored);
}

rte_mempool* test_pool() {
  static rte_mempool* pool =
      rte_pktmbuf_pool_create("test_pkts", 8191, 0, dp::kPacketMetaRoom, RTE_MBUF_DEFAULT_BUF_SIZE,
                              static_cast<int>(rte_socket_id()));
  return pool;
}

}  // namespace sluice::test
