// main() for test binaries that need DPDK (rte_hash, mbufs).
#include <gtest/gtest.h>
#include <rte_eal.h>

#include "tests/support/eal_env.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sluice::test::init_eal_or_die();
  const int result = RUN_ALL_TESTS();
  sluice::test::cleanup_eal();
  return result;
}
