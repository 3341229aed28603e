#include "control/ports.h"

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "common/ip_text.h"
#include "dataplane/packet_meta.h"

extern char** environ;

namespace sluice::control {
namespace {

constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;
constexpr uint16_t kTapDescriptors = 512;

std::string dpdk_error(const char* step, int rc) {
  return std::string(step) + ": " + rte_strerror(rc < 0 ? -rc : rc);
}

// Kernel-side set-up of a TAP twin goes through iproute2: a one-off at start, and the same
// commands an operator would type, which makes the log easy to follow.
Result<void> run_ip(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int rc = posix_spawnp(&pid, "ip", nullptr, nullptr, argv.data(), environ); rc != 0) {
    return Error{"cannot run ip: " + std::string(std::strerror(rc))};
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string line;
    for (size_t i = 0; i + 1 < argv.size(); ++i) line += std::string(i ? " " : "") + argv[i];
    return Error{"'" + line + "' failed"};
  }
  return {};
}

Result<void> set_ipv6_conf(const std::string& tap, const char* key, const char* value) {
  const std::string path = "/proc/sys/net/ipv6/conf/" + tap + "/" + key;
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return Error{"cannot enable IPv6 on " + tap + ": " + std::strerror(errno)};
  const bool written = std::fputs(value, f) >= 0;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) return Error{"cannot enable IPv6 on " + tap + ": " + std::strerror(errno)};
  return {};
}

// A namespace may have IPv6 off for new devices (the lab turns it off where DPDK owns the
// veths); the TAP twin of an interface with IPv6 addresses needs it on. Without duplicate
// address detection, as its configured addresses: the link-local address the kernel gives it
// is usable at once, and IPv6 VRRP adverts leave from it (a tentative one cannot send).
Result<void> enable_ipv6(const std::string& tap) {
  if (Result<void> r = set_ipv6_conf(tap, "accept_dad", "0"); !r) return r;
  return set_ipv6_conf(tap, "disable_ipv6", "0");
}

Result<void> configure_port(uint16_t port, uint16_t queues, uint16_t descriptors_rx,
                            uint16_t descriptors_tx, rte_mempool* pool) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0) return Error{dpdk_error("device info", rc)};
  if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
    return Error{"device has " + std::to_string(info.max_rx_queues) + " rx/" +
                 std::to_string(info.max_tx_queues) + " tx queues, " + std::to_string(queues) +
                 " needed (one per worker; for net_af_packet set qpairs=<workers>)"};
  }
  rte_eth_conf conf{};
  if (queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
  }
  if (int rc = rte_eth_dev_configure(port, queues, queues, &conf); rc != 0) {
    return Error{dpdk_error("configure", rc)};
  }
  uint16_t rxd = descriptors_rx, txd = descriptors_tx;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  const int socket = rte_eth_dev_socket_id(port);
  for (uint16_t q = 0; q < queues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(port, q, rxd, socket, nullptr, pool); rc != 0) {
      return Error{dpdk_error("rx queue", rc)};
    }
    if (int rc = rte_eth_tx_queue_setup(port, q, txd, socket, nullptr); rc != 0) {
      return Error{dpdk_error("tx queue", rc)};
    }
  }
  return {};
}

Result<void> start_interface(const config::Interface& ifc, uint16_t workers, size_t index,
                             rte_mempool* pool, DataInterface& out) {
  const std::string name = config::port_name_of(ifc.device);
  if (rte_eth_dev_get_port_by_name(name.c_str(), &out.port_id) != 0) {
    return Error{"no DPDK port named " + name};
  }
  out.port_open = true;
  if (Result<void> r = configure_port(out.port_id, workers, kRxDescriptors, kTxDescriptors, pool);
      !r) {
    return r;
  }
  if (int rc = rte_eth_dev_set_mtu(out.port_id, static_cast<uint16_t>(ifc.mtu)); rc != 0) {
    // Virtual devices (af_packet) take the MTU of the kernel interface they sit on.
    RTE_LOG(WARNING, USER1, "interface %s: cannot set MTU %u (%s); keeping the device's\n",
            ifc.name.c_str(), ifc.mtu, rte_strerror(-rc));
  }
  if (int rc = rte_eth_dev_start(out.port_id); rc != 0) return Error{dpdk_error("start", rc)};
  // IPv6 neighbour solicitations for the VIPs go to their solicited-node multicast groups,
  // which nobody joins for them on the NIC: take all multicast, or everything where the
  // device cannot (af_packet then sets the kernel interface promiscuous).
  if (rte_eth_allmulticast_enable(out.port_id) != 0) {
    if (int rc = rte_eth_promiscuous_enable(out.port_id); rc != 0) {
      RTE_LOG(WARNING, USER1,
              "interface %s: neither all-multicast nor promiscuous (%s): IPv6 virtual "
              "services may not be found by neighbour discovery\n",
              ifc.name.c_str(), rte_strerror(-rc));
    }
  }
  rte_ether_addr mac{};
  rte_eth_macaddr_get(out.port_id, &mac);
  std::memcpy(out.mac.bytes, mac.addr_bytes, 6);

  // The TAP twin carries the same MAC, so what the kernel sends needs no rewriting.
  const std::string tap_name = "net_tap_sluice" + std::to_string(index);
  const std::string tap_args = "iface=" + ifc.tap + ",mac=" + format_mac(out.mac);
  if (int rc = rte_vdev_init(tap_name.c_str(), tap_args.c_str()); rc != 0) {
    return Error{dpdk_error(("TAP twin " + ifc.tap).c_str(), rc)};
  }
  if (rte_eth_dev_get_port_by_name(tap_name.c_str(), &out.tap_port_id) != 0) {
    return Error{"TAP twin " + ifc.tap + " has no port"};
  }
  out.tap_open = true;
  if (Result<void> r = configure_port(out.tap_port_id, 1, kTapDescriptors, kTapDescriptors, pool);
      !r) {
    return Error{"TAP twin " + ifc.tap + ": " + r.error()};
  }
  if (int rc = rte_eth_dev_start(out.tap_port_id); rc != 0) return Error{dpdk_error("TAP start", rc)};
  if (Result<void> r = run_ip({"link", "set", "dev", ifc.tap, "mtu", std::to_string(ifc.mtu), "up"});
      !r) {
    return r;
  }
  for (const Prefix& p : ifc.addresses) {
    if (!p.address.is_v4()) {
      if (Result<void> r = enable_ipv6(ifc.tap); !r) return r;
    }
    // IPv6: no duplicate address detection, the address is ours at once (sluice answers
    // for its virtual-service addresses; the configuration owns the rest of the segment).
    std::vector<std::string> args{"addr", "add", format_prefix(p), "dev", ifc.tap};
    if (!p.address.is_v4()) args.push_back("nodad");
    if (Result<void> r = run_ip(args); !r) return r;
  }
  return {};
}

}  // namespace

std::vector<std::string> eal_arguments(const config::Config& cfg) {
  // --lcores takes what -l takes ("0-1") and also lcore@cpu maps ("0@0,1@1,2@1"), which let
  // more lcores than CPUs run on a small machine.
  std::vector<std::string> args{
      "sluiced",       "--lcores",         cfg.eal.lcores, "-m", std::to_string(cfg.eal.memory_mb),
      "--file-prefix", cfg.eal.file_prefix};
  if (cfg.eal.no_huge) args.push_back("--no-huge");
  for (const config::Interface& ifc : cfg.interfaces) {
    // vdev strings name a driver ("net_..."); anything else is a PCI address to allow.
    const bool vdev = ifc.device.starts_with("net_");
    args.push_back(vdev ? "--vdev" : "-a");
    args.push_back(ifc.device);
  }
  args.insert(args.end(), cfg.eal.extra_args.begin(), cfg.eal.extra_args.end());
  return args;
}

std::string eal_runtime_dir(const std::string& file_prefix) {
  const char* base = "/var/run";
  if (getuid() != 0) {
    const char* xdg = getenv("XDG_RUNTIME_DIR");
    base = xdg != nullptr ? xdg : "/tmp";
  }
  return std::string(base) + "/dpdk/" + file_prefix;
}

bool eal_config_locked(const std::string& runtime_dir) {
  const int fd = open((runtime_dir + "/config").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no primary made it, or it cleaned up
  // EAL write-locks part of the file; asking about all of it finds that lock. F_GETLK takes
  // none itself, and this process holds none that closing the fd could drop.
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool locked = fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  close(fd);
  return locked;
}

// An mbuf can wait in any of these, and a flood can fill all of them at once (junk that a
// worker hands off, packets for the kernel faster than the TAP takes them, a TX queue that
// does not drain). Were the pool smaller than their sum, it would run dry and the NIC could
// refill no RX descriptor: every queue would stop receiving. So the pool holds them all:
//   RX and TX descriptors of every queue      interfaces x workers x (1024 + 1024)
//   the TAP twins' one RX and one TX queue    interfaces x (512 + 512)
//   hand-off rings, one per ordered pair      workers x (workers - 1) x 1023
//   kernel rings: one per worker, one back    (workers + 1) x 1023
//   neighbour rings (ARP/ND), one per worker  workers x 255
//   what a thread holds between rings         (workers + 1) x kMaxBurst (512)
//   per-lcore caches, flushed at 1.5 x 256    (workers + 1) x 384
// With 8 workers and 2 interfaces: 32768 + 2048 + 57288 + 9207 + 2040 + 4608 + 3456 = 111415 mbufs,
// ~250 MiB of 2.3 KiB each (with hugepages; 4 KiB each without: an mbuf does not cross a
// page, control/dpdk_memory.cc); the hand-off rings are the largest share from 4 workers on.
uint32_t packet_pool_size(uint32_t workers, uint32_t interfaces) {
  const uint32_t threads = workers + 1;  // and the control thread
  return interfaces * workers * (kRxDescriptors + kTxDescriptors) +
         interfaces * 2 * kTapDescriptors + workers * (workers - 1) * (kRingSize - 1) +
         threads * (kRingSize - 1) + workers * (kNeighbourRingSize - 1) + threads * kMaxBurst +
         threads * kPacketPoolCache * 3 / 2;
}

uint16_t packet_data_room(const config::Config& cfg) {
  uint32_t mtu = 1500;
  for (const config::Interface& ifc : cfg.interfaces) mtu = std::max(mtu, ifc.mtu);
  return static_cast<uint16_t>(std::max<uint32_t>(
      RTE_MBUF_DEFAULT_BUF_SIZE, RTE_PKTMBUF_HEADROOM + mtu + RTE_ETHER_HDR_LEN + 8));
}

rte_mempool* create_packet_pool(const config::Config& cfg) {
  const uint32_t count =
      packet_pool_size(cfg.workers.count, static_cast<uint32_t>(cfg.interfaces.size()));
  return rte_pktmbuf_pool_create("sluice_pkts", count, kPacketPoolCache, dp::kPacketMetaRoom,
                                 packet_data_room(cfg), static_cast<int>(rte_socket_id()));
}

Result<void> start_interfaces(const config::Config& cfg, rte_mempool* pool,
                              std::vector<DataInterface>& out) {
  for (size_t i = 0; i < cfg.interfaces.size(); ++i) {
    const config::Interface& ifc = cfg.interfaces[i];
    DataInterface d;
    Result<void> r = start_interface(ifc, static_cast<uint16_t>(cfg.workers.count), i, pool, d);
    // Whatever started is recorded, so stop_interfaces closes exactly that.
    out.push_back(d);
    if (!r) return Error{"interface " + ifc.name + " (" + ifc.device + "): " + r.error()};
  }
  return {};
}

namespace {

// The TAP twin the kernel reaches a route's next hop through.
const config::Interface* interface_towards(const config::Config& cfg, const IpAddress& via) {
  for (const config::Interface& ifc : cfg.interfaces) {
    for (const Prefix& p : ifc.addresses) {
      if (p.contains(via)) return &ifc;
    }
  }
  return nullptr;
}

bool has_route(const config::Config& cfg, const config::Route& r) {
  for (const config::Route& other : cfg.routes) {
    if (other.prefix.address == r.prefix.address && other.prefix.length == r.prefix.length &&
        other.via == r.via) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<void> set_kernel_routes(const config::Config* running, const config::Config& next) {
  if (running != nullptr) {
    for (const config::Route& r : running->routes) {
      if (has_route(next, r)) continue;
      // Gone already (the interface went down, an operator removed it) is what we wanted.
      static_cast<void>(run_ip({"route", "del", format_prefix(r.prefix), "via", format_ip(r.via)}));
    }
  }
  // Every route, every time ("replace" is idempotent): one that failed before is tried again,
  // and one failure does not keep the others out.
  std::string failed;
  for (const config::Route& r : next.routes) {
    const config::Interface* ifc = interface_towards(next, r.via);
    if (ifc == nullptr) continue;  // validation refuses such a route
    if (Result<void> added = run_ip({"route", "replace", format_prefix(r.prefix), "via",
                                     format_ip(r.via), "dev", ifc->tap});
        !added) {
      failed += (failed.empty() ? "" : "; ") + added.error();
    }
  }
  if (!failed.empty()) return Error{failed};
  return {};
}

void stop_interfaces(const std::vector<DataInterface>& interfaces) {
  for (const DataInterface& d : interfaces) {
    if (d.tap_open) {
      rte_eth_dev_stop(d.tap_port_id);
      rte_eth_dev_close(d.tap_port_id);
    }
    if (d.port_open) {
      rte_eth_dev_stop(d.port_id);
      rte_eth_dev_close(d.port_id);
    }
  }
}

bool link_up(const config::Interface& ifc, const DataInterface& port) {
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port.port_id, &link) != 0 || link.link_status != RTE_ETH_LINK_UP) {
    return false;
  }
  const size_t at = ifc.device.find(",iface=");
  if (at == std::string::npos) return true;
  const size_t from = at + std::strlen(",iface=");
  const std::string name = ifc.device.substr(from, ifc.device.find(',', from) - from);
  std::ifstream carrier("/sys/class/net/" + name + "/carrier");
  char state = '1';
  carrier >> state;  // unreadable (interface gone or down): "0" or nothing
  return carrier && state == '1';
}

}  // namespace sluice::control
