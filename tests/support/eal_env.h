// Starts DPDK's EAL once per test binary, the way CI machines allow: no hugepages, no PCI,
// a file prefix of its own so parallel test binaries do not collide.
#pragma once

#include <rte_mempool.h>

namespace sluice::test {

// Call from main() before anything uses DPDK (see eal_main.cc). `memory_mb`: EAL -m.
void init_eal_or_die(unsigned memory_mb = 512);
// rte_eal_cleanup, then removes the runtime directory EAL leaves in /run/dpdk.
void cleanup_eal();
// A packet pool with room for PacketMeta, as the daemon creates it.
rte_mempool* test_pool();

}  // namespace sluice::test
