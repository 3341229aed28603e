// Brings up DPDK: builds the EAL command line from the config, configures each data
// interface (one RX and one TX queue per worker) and creates its TAP twin, the kernel's door
// to the wire for the appliance's own addresses.
// Thread safety: control thread, at start and stop.
#pragma once

#include <rte_mempool.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "config/model.h"
#include "dataplane/neighbour_slots.h"

namespace sluice::control {

// argv for rte_eal_init, argv[0] included.
std::vector<std::string> eal_arguments(const config::Config& cfg);

// DPDK's runtime directory for a file prefix, as EAL makes it (eal_create_runtime_dir):
// /var/run/dpdk/PREFIX for root, else under $XDG_RUNTIME_DIR (or /tmp).
std::string eal_runtime_dir(const std::string& file_prefix);
// Does a running DPDK primary process hold the lock EAL takes on RUNTIME_DIR/config
// (rte_eal_config_create)? rte_eal_init then fails without setting rte_errno, so sluiced
// asks first to say what is wrong.
bool eal_config_locked(const std::string& runtime_dir);

struct DataInterface {
  uint16_t port_id = 0;
  uint16_t tap_port_id = 0;
  Mac mac;
  // Which of the two ports exist and must be closed (a start-up may fail half way).
  bool port_open = false;
  bool tap_open = false;
};

// On failure, what went wrong (device, step, DPDK's error).
Result<void> start_interfaces(const config::Config& cfg, rte_mempool* pool,
                             std::vector<DataInterface>& out);
void stop_interfaces(const std::vector<DataInterface>& interfaces);

// Is the interface's link up? The PMD's word, and for a vdev over a kernel interface
// (`iface=NAME`: af_packet and af_xdp, whose PMDs report up from start to stop whatever the
// cable does) the kernel's carrier of NAME as well. Reads sysfs: a few microseconds.
bool link_up(const config::Interface& ifc, const DataInterface& port);
// The configuration's routes in the kernel too, through the TAP twins, so that the kernel's
// sockets (health checks of routed real servers, such as tun's) reach what the workers reach.
// `running`: the routes installed before (nullptr at start): those no longer configured go.
// Runs ip(8), a few milliseconds per route, at start and at every reload; fails with every
// route it could not set (each is tried again at the next reload).
Result<void> set_kernel_routes(const config::Config* running, const config::Config& next);

// Slots of every ring between threads (workers, the control thread): one is kept empty.
inline constexpr unsigned kRingSize = 1024;
// Each worker's ring of ARP and ND for the kernel (dataplane/kernel_path.h): small, as they
// are few, and drained first.
inline constexpr unsigned kNeighbourRingSize = 256;

// The mbufs the packet pool needs so that every ring and buffer that can hold them may be
// full at once (see ports.cc for the sum).
uint32_t packet_pool_size(uint32_t workers, uint32_t interfaces);
// Each lcore's cache of the packet pool.
inline constexpr unsigned kPacketPoolCache = 256;
// The data room of each mbuf: a frame of the largest MTU with its headers and the headroom.
uint16_t packet_data_room(const config::Config& cfg);
rte_mempool* create_packet_pool(const config::Config& cfg);

}  // namespace sluice::control
