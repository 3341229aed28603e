// main() for test binaries that need DPDK (rte_hash, mbufs).
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/packet_meta.h"
#include "tests/support/eal_env.h"

namespace sluice::test {

void init_eal_or_die() {
  const std::string prefix = "--file-prefix=sluice-test-" + std::to_string(getpid());
  std::vector<std::string> args{"tests",     "-l",          "0",      "--no-huge", "-m",
                                "512",       "--no-pci",    prefix,   "--log-level=*:error",
                                "--no-shconf"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "tests: EAL initialisation failed\n");
    std::exit(1);
  }
}

rte_mempool* test_pool() {
  static rte_mempool* pool = rte_pktmbuf_pool_create(
      "test_pkts", 8191, 0, dp::kPacketMetaRoom, RTE_MBUF_DEFAULT_BUF_SIZE,
      static_cast<int>(rte_socket_id()));
  return pool;
}

}  // namespace sluice::test

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sluice::test::init_eal_or_die();
  const int result = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return result;
}
