// Which worker owns a packet's connection, computable from the packet alone, so that return
// traffic of nat and snat connections reaches the worker holding them whichever queue it
// arrived on (the NIC spreads by its own hash, or by rte_flow rules built from the same
// function, see control/compile/flow_rules.h).
//
// The owner is named by one port of the connection:
//   nat and snat, client side: the client's source port;
//   nat, server side: the destination port of the reply (the client's port again);
//   snat, server side: the destination port, an snat port the owner chose from its share.
// Bit 0 is skipped: Linux's connect() picks even ports (odd ones are left for bind()), so with
// two workers bit 0 would give every Linux client to worker 0. Bits 1.. of a port are
// selectable by an rte_flow mask when the worker count is a power of two.
// dr and tun have no return path through the appliance: the receiving worker owns them.
#pragma once

#include <rte_byteorder.h>

#include <cstdint>

#include "dataplane/snapshot.h"

namespace sluice::dp {

inline uint16_t owner_of_port(uint16_t port, uint16_t workers) {
  return static_cast<uint16_t>((port >> 1) % workers);
}

// Is this mode's return traffic steered to its owner?
inline bool steered(Mode mode) { return mode == Mode::nat || mode == Mode::snat; }

// The worker that owns (or will own) the connection of a packet with `key`, as seen by worker
// `self` of `workers`. Only a packet that may belong to a steered connection is given
// another worker: one to a nat/snat service, one to an snat pool address, or one from a nat
// real server (a reply). The rest (for the kernel, or dropped) stays with `self`, which
// disposes of it as any worker would: handing it off would only cost a ring transfer, and a
// flood of junk would fill the hand-off rings with mbufs the pool cannot spare.
// F: V4 or V6 (dataplane/family.h).
template <class F>
uint16_t owner_of(const Snapshot& snap, const typename F::Key& key, uint16_t self,
                  uint16_t workers) {
  const auto& vips = F::vips(snap);
  const auto dst = F::vip_form(key.dst_ip);
  switch (vips.kind_of(dst)) {
    case AddressKind::snat_pool: return owner_of_port(rte_be_to_cpu_16(key.dst_port), workers);
    case AddressKind::service: {
      const uint32_t vip = vips.find(dst, rte_be_to_cpu_16(key.dst_port), key.protocol);
      if (vip == VipTable::kNone || !steered(snap.services[vip].mode)) return self;
      return owner_of_port(rte_be_to_cpu_16(key.src_port), workers);
    }
    case AddressKind::none:
    case AddressKind::nat_server:
    case AddressKind::gateway:
    case AddressKind::standby: break;
  }
  if (vips.kind_of(F::vip_form(key.src_ip)) != AddressKind::nat_server) return self;
  return owner_of_port(rte_be_to_cpu_16(key.dst_port), workers);  // a nat reply, to the client
}

}  // namespace sluice::dp
